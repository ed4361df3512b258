//! Assessment and settlement: recording satisfaction checks, a scope's
//! figures as of a day, and a county's settlement of a period through its
//! incentive plugin, stored once.

use std::collections::HashMap;

use time::Date;

use super::{Kernel, KernelError, not_found};
use crate::assessment::{self, Assessment, Inputs, NewSatisfactionCheck, SatisfactionCheck, Scope};
use crate::authz::{Action, Principal, Resource};
use crate::claims::StoredClaim;
use crate::contracts::{Contract, Period};
use crate::fulfilment::ServiceRecord;
use crate::plugins::Package;
use crate::residents::Resident;
use crate::settlement::{self, SettlementReport, TeamSettlement};
use crate::store::StoredSettlement;

/// Residents read a page at a time when a whole county is assessed.
const PAGE: u32 = 5_000;

/// Everything of a county's period an assessment or settlement reads.
struct CountyData {
    residents: Vec<Resident>,
    /// Resident id → the township health centre serving their village.
    townships: HashMap<String, String>,
    contracts: Vec<(Contract, Vec<Package>)>,
    records: Vec<ServiceRecord>,
    claims: Vec<StoredClaim>,
    checks: Vec<SatisfactionCheck>,
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
        let data = self.county_data(&county, Period::containing(as_of)).await?;
        let assessed = self.assess(&data, scope, as_of).await?;
        Ok(if drill_down { assessed } else { assessment::without_residents(assessed) })
    }

    /// Settles every team of a county for a period that has ended, through
    /// the county's incentive plugin in force on its last day. The first run
    /// stores the settlements; a later run recomputes them and answers the
    /// stored ones if they are the same, and refuses if anything changed.
    pub async fn settle(&self, who: &Principal, county: &str, period: Period) -> Result<SettlementReport, KernelError> {
        self.county_for(who, Action::SettleTeams, county).await?;
        if self.clock.today() <= period.end() {
            return Err(KernelError::Invalid(format!(
                "period {} runs until {}: its teams are settled once it has ended",
                period.year,
                period.end()
            )));
        }
        let data = self.county_data(county, period).await?;
        let plugin = self.plugins.for_county(county, period.end())?;
        let teams = self.store.teams(county).await?;
        let mut activities = Vec::with_capacity(teams.len());
        for team in &teams {
            let score = self.assess(&data, Scope::Team(team.id.clone()), period.end()).await?.score;
            let own: Vec<(Contract, Vec<Package>)> =
                data.contracts.iter().filter(|(c, _)| c.team_id == team.id).cloned().collect();
            activities.push(settlement::activity(period, &own, &data.records, &data.claims, score));
        }
        let answers = plugin.settle_batch(&activities)?;
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
        self.county_for(who, Action::ReadSettlements, county).await?;
        let stored = self.store.settlements(county, period.year).await?;
        if stored.is_empty() {
            return Err(not_found("settlement", &format!("{county}/{}", period.year)));
        }
        self.report(county, period, stored, true).await
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
                let township = self.store.institution(id).await?.ok_or_else(|| not_found("institution", id))?;
                self.authz.decide(who, Action::ReadAssessment, &Resource::County { code: &township.county_code })?;
                Ok(township.county_code)
            }
            Scope::Team(id) => {
                let team = self.store.team(id).await?.ok_or_else(|| not_found("team", id))?;
                let resource =
                    Resource::Team { id: &team.id, county: &team.county_code, institution: &team.institution_id };
                self.authz.decide(who, Action::ReadAssessment, &resource)?;
                Ok(team.county_code)
            }
        }
    }

    async fn county_data(&self, county: &str, period: Period) -> Result<CountyData, KernelError> {
        let mut residents = Vec::new();
        loop {
            let page = self.store.residents(county, residents.last().map(|r: &Resident| r.id.as_str()), PAGE).await?;
            let done = page.len() < PAGE as usize;
            residents.extend(page);
            if done {
                break;
            }
        }
        let mut packages: HashMap<String, Vec<Package>> = HashMap::new();
        let mut contracts = Vec::new();
        for contract in self.store.contracts_of_county(county, period).await? {
            if !packages.contains_key(&contract.plugin_hash) {
                let catalogue = self.stored_plugin(&contract.plugin_hash).await?.catalogue.clone();
                packages.insert(contract.plugin_hash.clone(), catalogue);
            }
            let own = packages.get(&contract.plugin_hash).cloned().unwrap_or_default();
            contracts.push((contract, own));
        }
        Ok(CountyData {
            townships: self.store.townships_of_residents(county).await?,
            residents,
            contracts,
            records: self.store.service_records_of_county(county, period).await?,
            claims: self.store.claims_of_county(county, period.year).await?,
            checks: self.store.satisfaction_checks(county, period).await?,
        })
    }

    /// The scope's part of a county's data, assessed.
    async fn assess(&self, data: &CountyData, scope: Scope, as_of: Date) -> Result<Assessment, KernelError> {
        // A team is judged against its township's area; a township's
        // contracts are those of its teams.
        let (township, team) = match &scope {
            Scope::County(_) => (None, None),
            Scope::Township(id) => (Some(id.clone()), None),
            Scope::Team(id) => {
                let team = self.store.team(id).await?.ok_or_else(|| not_found("team", id))?;
                (Some(team.institution_id), Some(team.id))
            }
        };
        let area: Vec<Resident> = data
            .residents
            .iter()
            .filter(|r| township.as_ref().is_none_or(|t| data.townships.get(&r.id) == Some(t)))
            .cloned()
            .collect();
        let contracts: Vec<(Contract, Vec<Package>)> = data
            .contracts
            .iter()
            .filter(|(c, _)| match (&team, &township) {
                (Some(team), _) => &c.team_id == team,
                (None, Some(township)) => &c.institution_id == township,
                (None, None) => true,
            })
            .cloned()
            .collect();
        Ok(assessment::assess(&Inputs {
            scope,
            as_of,
            area: &area,
            contracts: &contracts,
            records: &data.records,
            claims: &data.claims,
            checks: &data.checks,
        }))
    }
}
