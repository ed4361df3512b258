//! Assessment and settlement: recording satisfaction checks, a scope's
//! figures as of a day, and a county's settlement of a period through its
//! incentive plugin, stored once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use time::Date;

use super::{Kernel, KernelError, looked_up, not_found};
use crate::assessment::{self, Assessment, Inputs, NewSatisfactionCheck, Priced, SatisfactionCheck, Scope};
use crate::authz::{Action, NOWHERE, Principal, Resource};
use crate::claims::StoredClaim;
use crate::contracts::{Contract, Period};
use crate::fulfilment::ServiceRecord;
use crate::plugins::Package;
use crate::residents::{RecordedTags, Resident};
use crate::settlement::{self, SettlementReport, TeamSettlement};
use crate::store::StoredSettlement;

/// Everything of a county's period an assessment or settlement reads.
struct CountyData {
    /// Every resident, for the signing rates; none for a settlement, whose
    /// score does not use them.
    residents: Vec<Resident>,
    /// Recorded tags by resident, for the control rates.
    recorded: HashMap<String, RecordedTags>,
    /// Resident id → the township health centre serving their village.
    townships: HashMap<String, String>,
    contracts: Vec<Priced>,
    records: Vec<ServiceRecord>,
    claims: Vec<StoredClaim>,
    checks: Vec<SatisfactionCheck>,
}

/// One scope's share of a county's data.
#[derive(Default)]
struct Part<'a> {
    contracts: Vec<&'a Priced>,
    records: Vec<ServiceRecord>,
    claims: Vec<StoredClaim>,
    checks: Vec<SatisfactionCheck>,
}

impl CountyData {
    /// The residents of each township's villages.
    fn areas(&self) -> HashMap<&str, Vec<&Resident>> {
        let mut areas: HashMap<&str, Vec<&Resident>> = HashMap::new();
        for r in &self.residents {
            if let Some(township) = self.townships.get(&r.id) {
                areas.entry(township.as_str()).or_default().push(r);
            }
        }
        areas
    }

    /// Each team's contracts, records, claims and checks, in one pass.
    fn by_team(&self) -> HashMap<&str, Part<'_>> {
        let mut parts: HashMap<&str, Part<'_>> = HashMap::new();
        for priced in &self.contracts {
            parts.entry(priced.0.team_id.as_str()).or_default().contracts.push(priced);
        }
        for r in &self.records {
            parts.entry(r.team_id.as_str()).or_default().records.push(r.clone());
        }
        for c in &self.claims {
            parts.entry(c.team_id.as_str()).or_default().claims.push(c.clone());
        }
        for c in &self.checks {
            parts.entry(c.team_id.as_str()).or_default().checks.push(c.clone());
        }
        parts
    }

    /// The part of the teams `in_scope` says are the scope's.
    fn part(&self, in_scope: impl Fn(&Contract) -> bool) -> Part<'_> {
        let contracts: Vec<&Priced> = self.contracts.iter().filter(|(c, _)| in_scope(c)).collect();
        let teams: HashSet<&str> = contracts.iter().map(|(c, _)| c.team_id.as_str()).collect();
        Part {
            records: self.records.iter().filter(|r| teams.contains(r.team_id.as_str())).cloned().collect(),
            claims: self.claims.iter().filter(|c| teams.contains(c.team_id.as_str())).cloned().collect(),
            checks: self.checks.iter().filter(|c| teams.contains(c.team_id.as_str())).cloned().collect(),
            contracts,
        }
    }
}

fn assess(scope: Scope, as_of: Date, area: &[&Resident], data: &CountyData, part: &Part<'_>) -> Assessment {
    assessment::assess(&Inputs {
        scope,
        as_of,
        area,
        recorded: &data.recorded,
        contracts: &part.contracts,
        records: &part.records,
        claims: &part.claims,
        checks: &part.checks,
    })
}

impl Kernel {
    /// Records a resident's survey answer or an inspector's phone spot check.
    pub async fn record_satisfaction(
        &self,
        who: &Principal,
        contract_id: &str,
        new: NewSatisfactionCheck,
    ) -> Result<SatisfactionCheck, KernelError> {
        let contract = self.contract_for(who, Action::RecordSatisfaction, contract_id).await?;
        assessment::check(&new, &contract, self.clock.today())?;
        let check = SatisfactionCheck {
            id: uuid::Uuid::now_v7().to_string(),
            contract_id: contract.id.clone(),
            resident_id: contract.resident_id.clone(),
            team_id: contract.team_id.clone(),
            checked_on: new.checked_on,
            method: new.method,
            reached: new.reached,
            satisfied: new.reached && new.satisfied,
            note: new.note.trim().to_owned(),
            recorded_by: who.subject.clone(),
            recorded_at: super::fulfilment::now(),
        };
        self.store.insert_satisfaction_check(&check, &contract.county_code).await?;
        Ok(check)
    }

    /// A scope's figures as of `as_of` (today), with the residents behind
    /// each when `drill_down`.
    pub async fn assessment(
        &self,
        who: &Principal,
        scope: Scope,
        as_of: Option<Date>,
        drill_down: bool,
    ) -> Result<Assessment, KernelError> {
        let county = self.authorize_scope(who, &scope).await?;
        let as_of = as_of.unwrap_or_else(|| self.clock.today());
        let data = self.county_data(&county, Period::containing(as_of), true).await?;
        let areas = data.areas();
        let everyone: Vec<&Resident> = data.residents.iter().collect();
        let assessed = match &scope {
            Scope::County(_) => assess(scope.clone(), as_of, &everyone, &data, &data.part(|_| true)),
            Scope::Township(id) => {
                let area = areas.get(id.as_str()).map_or(&[][..], Vec::as_slice);
                assess(scope.clone(), as_of, area, &data, &data.part(|c| &c.institution_id == id))
            }
            Scope::Team(id) => {
                let team = self.store.team(id).await?.ok_or_else(|| not_found("team", id))?;
                // A team is judged against its township's area.
                let area = areas.get(team.institution_id.as_str()).map_or(&[][..], Vec::as_slice);
                assess(scope.clone(), as_of, area, &data, &data.part(|c| &c.team_id == id))
            }
        };
        Ok(if drill_down { assessed } else { assessment::without_residents(assessed) })
    }

    /// Settles every team of a county for a period that has ended, through
    /// the county's incentive plugin in force on its last day. The first run
    /// stores the settlements; a later run recomputes them and answers the
    /// stored ones if they are the same, and refuses if anything changed.
    pub async fn settle(&self, who: &Principal, county: &str, period: Period) -> Result<SettlementReport, KernelError> {
        self.settlement_of(who, Action::SettleTeams, county, period).await?;
        if self.clock.today() <= period.end() {
            return Err(KernelError::Invalid(format!(
                "period {} runs until {}: its teams are settled once it has ended",
                period.year,
                period.end()
            )));
        }
        let data = self.county_data(county, period, false).await?;
        let plugin = self.plugins.for_county(county, period.end())?;
        let mut teams = self.store.teams(county).await?;
        teams.retain(|team| team.existed_on(period.end()));
        let (areas, mut parts) = (data.areas(), data.by_team());
        let mut activities = Vec::with_capacity(teams.len());
        for team in &teams {
            let part = parts.remove(team.id.as_str()).unwrap_or_default();
            let area = areas.get(team.institution_id.as_str()).map_or(&[][..], Vec::as_slice);
            let score = assess(Scope::Team(team.id.clone()), period.end(), area, &data, &part).score;
            activities.push(settlement::activity(period, &part.contracts, &part.records, &part.claims, score));
        }
        let asked = Arc::clone(&plugin);
        let (answers, activities) =
            crate::plugins::off_runtime(move || Ok((asked.settle_batch(&activities)?, activities))).await?;
        let settled_at = super::fulfilment::now();
        let mut computed = Vec::with_capacity(teams.len());
        for ((team, activity), answer) in teams.iter().zip(activities).zip(answers) {
            let settlement = answer.map_err(|refusal| {
                KernelError::Invalid(format!("the county's incentive rules refuse team `{}`: {refusal}", team.id))
            })?;
            computed.push(StoredSettlement {
                county_code: county.to_owned(),
                period: period.year,
                team_id: team.id.clone(),
                activity,
                settlement,
                plugin_hash: plugin.hash.clone(),
                plugin_version: plugin.info.version.clone(),
                settled_by: who.subject.clone(),
                settled_at: settled_at.clone(),
            });
        }
        let stored_now = self.store.settlements(county, period.year).await?.is_empty()
            && self.store.insert_settlements(&computed).await?;
        let stored = self.store.settlements(county, period.year).await?;
        let same = |a: &StoredSettlement, b: &StoredSettlement| {
            (&a.team_id, &a.activity, &a.settlement, &a.plugin_hash)
                == (&b.team_id, &b.activity, &b.settlement, &b.plugin_hash)
        };
        computed.sort_by(|a, b| a.team_id.cmp(&b.team_id));
        if stored.len() != computed.len() || stored.iter().zip(&computed).any(|(a, b)| !same(a, b)) {
            return Err(KernelError::SettlementChanged { county: county.to_owned(), period: period.year });
        }
        self.report(county, period, stored, !stored_now).await
    }

    /// A county's stored settlement of a period.
    pub async fn settlement(
        &self,
        who: &Principal,
        county: &str,
        period: Period,
    ) -> Result<SettlementReport, KernelError> {
        self.settlement_of(who, Action::ReadSettlements, county, period).await?;
        let stored = self.store.settlements(county, period.year).await?;
        if stored.is_empty() {
            return Err(not_found("settlement", &format!("{county}/{}", period.year)));
        }
        self.report(county, period, stored, true).await
    }

    /// Checks `who` may do `action` on a county's settlement of a period, of
    /// a county that exists.
    async fn settlement_of(
        &self,
        who: &Principal,
        action: Action,
        county: &str,
        period: Period,
    ) -> Result<(), KernelError> {
        self.authz.decide(who, action, &Resource::Settlement { county, period: period.year })?;
        self.store.county(county).await?.ok_or_else(|| not_found("county", county))?;
        Ok(())
    }

    async fn report(
        &self,
        county: &str,
        period: Period,
        stored: Vec<StoredSettlement>,
        stored_before: bool,
    ) -> Result<SettlementReport, KernelError> {
        let names: HashMap<String, String> =
            self.store.teams(county).await?.into_iter().map(|t| (t.id, t.name)).collect();
        let first = stored.first().cloned();
        let teams: Vec<TeamSettlement> = stored
            .into_iter()
            .map(|s| TeamSettlement {
                team_name: names.get(&s.team_id).cloned().unwrap_or_default(),
                team_id: s.team_id,
                activity: s.activity,
                settlement: s.settlement,
            })
            .collect();
        Ok(SettlementReport {
            county_code: county.to_owned(),
            period: period.year,
            plugin_hash: first.as_ref().map(|s| s.plugin_hash.clone()).unwrap_or_default(),
            plugin_version: first.as_ref().map(|s| s.plugin_version.clone()).unwrap_or_default(),
            settled_by: first.as_ref().map(|s| s.settled_by.clone()).unwrap_or_default(),
            settled_at: first.map(|s| s.settled_at).unwrap_or_default(),
            stored_before,
            total: teams.iter().map(|t| t.settlement.total).sum(),
            teams,
        })
    }

    /// May `who` read this scope's assessment? Its county.
    async fn authorize_scope(&self, who: &Principal, scope: &Scope) -> Result<String, KernelError> {
        match scope {
            Scope::County(code) => Ok(self.county_for(who, Action::ReadAssessment, code).await?.code),
            Scope::Township(id) => {
                let found = self.store.institution(id).await?;
                let county = found.as_ref().map_or(NOWHERE, |t| t.county_code.as_str());
                let decision = self.authz.decide(who, Action::ReadAssessment, &Resource::County { code: county });
                Ok(looked_up(decision, "institution", id, found)?.county_code)
            }
            Scope::Team(id) => Ok(self.team_for(who, Action::ReadAssessment, id).await?.county_code),
        }
    }

    /// Reads the period's contracts, records, claims and checks, the
    /// residents' recorded tags, and the residents themselves `with_residents`.
    async fn county_data(&self, county: &str, period: Period, with_residents: bool) -> Result<CountyData, KernelError> {
        // One after the other: on SQLite, reading them at once was slower.
        let (residents, townships, recorded) = if with_residents {
            let residents = self.store.all_residents(county).await?;
            let recorded = residents.iter().map(|r| (r.id.clone(), r.recorded_tags.clone())).collect();
            (residents, self.store.townships_of_residents(county).await?, recorded)
        } else {
            (Vec::new(), HashMap::new(), self.store.recorded_tags_among(county, &assessment::CONTROLLED).await?)
        };
        let stored = self.store.contracts_of_county(county, period).await?;
        let records = self.store.service_records_of_county(county, period).await?;
        let claims = self.store.claims_of_county(county, period.year).await?;
        let checks = self.store.satisfaction_checks(county, period).await?;
        let mut packages: HashMap<String, Arc<[Package]>> = HashMap::new();
        let mut contracts = Vec::new();
        for contract in stored {
            if !packages.contains_key(&contract.plugin_hash) {
                let catalogue: Arc<[Package]> =
                    self.stored_plugin(&contract.plugin_hash).await?.catalogue.clone().into();
                packages.insert(contract.plugin_hash.clone(), catalogue);
            }
            let own = packages.get(&contract.plugin_hash).cloned().unwrap_or_else(|| Arc::from(Vec::new()));
            contracts.push((contract, own));
        }
        Ok(CountyData { residents, recorded, townships, contracts, records, claims, checks })
    }
}
