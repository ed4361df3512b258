//! Assessment (考核): the figures a team, a township or a county is judged
//! by, for a period as of any day, each with the residents behind it.
//!
//! Owns the definitions of the figures and the score settlements use. Pure:
//! the kernel loads the residents of the scope's area, its contracts (with
//! the packages that priced them), their service records, claims and
//! satisfaction checks.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;
use utoipa::ToSchema;

use crate::claims::StoredClaim;
use crate::contracts::{Contract, ContractStatus};
use crate::fulfilment::{self, ServiceRecord};
use crate::plugins::{CareKind, CareLevel, Package};
use crate::residents::{RecordedTags, Resident, Tag};

/// Who is assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    County(String),
    /// A township health centre (乡镇卫生院), by institution id: its teams and
    /// the villages it serves.
    Township(String),
    Team(String),
}

/// How a satisfaction check was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckMethod {
    /// 满意度调查: the resident answered a survey.
    Survey,
    /// 电话抽查: an inspector phoned the resident.
    PhoneSpotCheck,
}

/// A satisfaction survey answer or an inspector's phone spot check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SatisfactionCheck {
    pub id: String,
    pub contract_id: String,
    pub resident_id: String,
    pub team_id: String,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub checked_on: Date,
    pub method: CheckMethod,
    /// Whether the resident was reached (a phone may go unanswered).
    pub reached: bool,
    /// Whether the resident said they were served and satisfied.
    pub satisfied: bool,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A check as an inspector or resident enters it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSatisfactionCheck {
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub checked_on: Date,
    pub method: CheckMethod,
    pub reached: bool,
    /// Ignored when the resident was not reached.
    #[serde(default)]
    pub satisfied: bool,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CheckError {
    #[error("{on} is outside the contract's period {year}")]
    OutsidePeriod { on: Date, year: i32 },
    #[error("{on} is in the future")]
    InFuture { on: Date },
}

/// Checks a satisfaction check against its contract, as of `today`.
pub fn check(new: &NewSatisfactionCheck, contract: &Contract, today: Date) -> Result<(), CheckError> {
    if new.checked_on > today {
        return Err(CheckError::InFuture { on: new.checked_on });
    }
    if new.checked_on < contract.period.start() || new.checked_on > contract.period.end() {
        return Err(CheckError::OutsidePeriod { on: new.checked_on, year: contract.period.year });
    }
    Ok(())
}

/// The chronic conditions whose control rates are figured (血压、血糖控制率).
pub const CONTROLLED: [Tag; 2] = [Tag::Hypertension, Tag::Diabetes];

/// One figure: a rate, and who it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Figure {
    pub numerator: u32,
    pub denominator: u32,
    /// The rate in tenths of a percent (879 is 87.9%); none without a
    /// denominator.
    pub permille: Option<u32>,
    /// The residents behind the figure, when asked for: those counted in the
    /// numerator and the rest of the denominator's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residents: Option<Drill>,
}

/// The residents behind a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Drill {
    pub counted: Vec<String>,
    pub not_counted: Vec<String>,
}

impl Figure {
    fn of(counted: BTreeSet<String>, not_counted: BTreeSet<String>) -> Self {
        let numerator = u32::try_from(counted.len()).unwrap_or(u32::MAX);
        let denominator = numerator.saturating_add(u32::try_from(not_counted.len()).unwrap_or(u32::MAX));
        Figure {
            numerator,
            denominator,
            permille: permille(numerator, denominator),
            residents: Some(Drill {
                counted: counted.into_iter().collect(),
                not_counted: not_counted.into_iter().collect(),
            }),
        }
    }
}

fn permille(numerator: u32, denominator: u32) -> Option<u32> {
    (denominator > 0).then(|| {
        let rate = (u64::from(numerator) * 1000 + u64::from(denominator) / 2) / u64::from(denominator);
        u32::try_from(rate).unwrap_or(u32::MAX)
    })
}

/// Every figure of a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Assessment {
    pub scope: Scope,
    pub period: i32,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
    /// Signed residents of the key populations (重点人群签约率) over those of
    /// the scope's area: the elderly, children, maternal, chronic patients,
    /// the disabled.
    pub key_population_signing: Figure,
    /// Signed residents of the poverty groups (应签尽签) over those of the area.
    pub poverty_signing: Figure,
    /// Deliveries made over deliveries due by `as_of` (履约率), counting
    /// each item's deliveries up to what was due; the residents are those
    /// with nothing overdue and those with something overdue.
    pub fulfilment: Figure,
    /// Signed residents' outpatient claims at a village clinic or township
    /// centre over all their outpatient claims (基层首诊率); the residents
    /// are those whose every outpatient claim was at primary care.
    pub first_contact: Figure,
    /// Signed residents with hypertension recorded by the day whose latest
    /// reading this period is under 140/90 mmHg, over those with a reading
    /// (血压控制率).
    pub blood_pressure_control: Figure,
    /// Signed residents with diabetes recorded by the day whose latest
    /// fasting glucose this period is under 7.0 mmol/L, over those with a
    /// result (血糖控制率).
    pub glucose_control: Figure,
    /// Residents reached by a survey or phone spot check who said they were
    /// satisfied, over those reached (满意度); the latest check of each counts.
    pub satisfaction: Figure,
    /// The score (考核得分, 0–100) the county's incentive plugin is given: the
    /// mean of the rates above that have a denominator, rounded.
    pub score: u8,
}

/// A contract with the packages of the plugin version that priced it
/// (shared by every contract that version priced).
pub type Priced = (Contract, Arc<[Package]>);

/// What an assessment is computed from.
pub struct Inputs<'a> {
    pub scope: Scope,
    pub as_of: Date,
    /// The residents of the scope's area, for the signing rates.
    pub area: &'a [&'a Resident],
    /// The recorded tags of the signed residents, for the control rates:
    /// who is hypertensive or diabetic on the day. Only [`CONTROLLED`] tags
    /// are read; others may be given.
    pub recorded: &'a HashMap<String, RecordedTags>,
    /// The scope's contracts of the period, whatever their status.
    pub contracts: &'a [&'a Priced],
    /// Records, claims and checks of the period; those of residents outside
    /// the scope's contracts are left out.
    pub records: &'a [ServiceRecord],
    pub claims: &'a [StoredClaim],
    pub checks: &'a [SatisfactionCheck],
}

fn poverty(tag: Tag) -> bool {
    matches!(tag, Tag::RegisteredPoor | Tag::LiftedOutOfPoverty | Tag::PovertyMonitoring | Tag::SpecialFamilyPlanning)
}

/// Whether a contract was in force on `day`.
fn in_force(c: &Contract, day: Date) -> bool {
    c.signed_on <= day
        && match c.status {
            ContractStatus::Active => true,
            _ => c.ended_on.is_some_and(|ended| ended > day),
        }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Every figure of a scope. Linear in its inputs: records, claims and
/// checks are grouped by contract or resident first.
pub fn assess(inputs: &Inputs<'_>) -> Assessment {
    let as_of = inputs.as_of;
    let period = crate::contracts::Period::containing(as_of);
    let in_scope: HashSet<&str> = inputs.contracts.iter().map(|(c, _)| c.resident_id.as_str()).collect();
    let signed: BTreeMap<&str, &Contract> = inputs
        .contracts
        .iter()
        .map(|(c, _)| c)
        .filter(|c| in_force(c, as_of))
        .map(|c| (c.resident_id.as_str(), c))
        .collect();

    let signing = |belongs: fn(Tag) -> bool| {
        let (mut counted, mut not_counted) = (BTreeSet::new(), BTreeSet::new());
        for resident in inputs.area {
            if resident.tags_on(as_of).iter().any(|t| belongs(*t)) {
                let bucket = if signed.contains_key(resident.id.as_str()) { &mut counted } else { &mut not_counted };
                bucket.insert(resident.id.clone());
            }
        }
        Figure::of(counted, not_counted)
    };
    let key_population_signing = signing(|t| t.is_must_sign() && !poverty(t));
    let poverty_signing = signing(poverty);

    // Fulfilment counts deliveries, not residents.
    let mut by_contract: HashMap<&str, Vec<ServiceRecord>> = HashMap::new();
    for r in inputs.records.iter().filter(|r| r.delivered_on <= as_of) {
        by_contract.entry(r.contract_id.as_str()).or_default().push(r.clone());
    }
    let (mut delivered, mut owed) = (0u32, 0u32);
    let (mut on_track, mut behind) = (BTreeSet::new(), BTreeSet::new());
    for (contract, packages) in inputs.contracts.iter().filter(|(c, _)| c.signed_on <= as_of) {
        let own = by_contract.get(contract.id.as_str()).map_or(&[][..], Vec::as_slice);
        let mut late = false;
        for item in fulfilment::schedule(contract, packages, own, as_of) {
            let due = count(item.due.iter().filter(|d| **d <= as_of).count());
            owed += due;
            delivered += item.delivered.min(due);
            late |= item.delivered < due;
        }
        let bucket = if late { &mut behind } else { &mut on_track };
        bucket.insert(contract.resident_id.clone());
    }
    let fulfilment = Figure {
        numerator: delivered,
        denominator: owed,
        permille: permille(delivered, owed),
        residents: Some(Drill {
            counted: on_track.difference(&behind).cloned().collect(),
            not_counted: behind.into_iter().collect(),
        }),
    };

    let primary = |c: &StoredClaim| matches!(c.level, CareLevel::VillageClinic | CareLevel::TownshipCentre);
    let mut outpatient: BTreeMap<&str, Vec<&StoredClaim>> = BTreeMap::new();
    for claim in inputs.claims.iter().filter(|c| c.kind == CareKind::Outpatient) {
        if claim.on <= as_of && claim.on >= period.start() && in_scope.contains(claim.resident_id.as_str()) {
            outpatient.entry(claim.resident_id.as_str()).or_default().push(claim);
        }
    }
    let (mut all_primary, mut not_all_primary) = (BTreeSet::new(), BTreeSet::new());
    let (mut at_primary, mut all_outpatient) = (0u32, 0u32);
    for (resident, claims) in &outpatient {
        let primary_claims = count(claims.iter().filter(|c| primary(c)).count());
        at_primary += primary_claims;
        all_outpatient += count(claims.len());
        let bucket = if primary_claims == count(claims.len()) { &mut all_primary } else { &mut not_all_primary };
        bucket.insert((*resident).to_owned());
    }
    let first_contact = Figure {
        numerator: at_primary,
        denominator: all_outpatient,
        permille: permille(at_primary, all_outpatient),
        residents: Some(Drill {
            counted: all_primary.into_iter().collect(),
            not_counted: not_all_primary.into_iter().collect(),
        }),
    };

    let mut standing_of: HashMap<&str, Vec<&ServiceRecord>> = HashMap::new();
    for r in fulfilment::standing(inputs.records) {
        if r.delivered_on >= period.start() && r.delivered_on <= as_of {
            standing_of.entry(r.resident_id.as_str()).or_default().push(r);
        }
    }
    let control = |tag: Tag, measured: fn(&ServiceRecord) -> Option<bool>| {
        let (mut counted, mut not_counted) = (BTreeSet::new(), BTreeSet::new());
        for resident in signed.keys() {
            let recorded = inputs.recorded.get(*resident).and_then(|tags| tags.get(&tag));
            if recorded.is_none_or(|r| r.recorded_on > as_of) {
                continue;
            }
            let latest = standing_of
                .get(resident)
                .into_iter()
                .flatten()
                .filter_map(|r| measured(r).map(|ok| ((r.delivered_on, r.recorded_at.as_str()), ok)))
                .max_by(|a, b| a.0.cmp(&b.0));
            match latest {
                Some((_, true)) => counted.insert((*resident).to_owned()),
                Some((_, false)) => not_counted.insert((*resident).to_owned()),
                None => false,
            };
        }
        Figure::of(counted, not_counted)
    };
    let [hypertension, diabetes] = CONTROLLED;
    let blood_pressure_control = control(hypertension, |r| {
        let m = r.measurements;
        m.systolic.map(|s| s < 140 && m.diastolic.is_none_or(|d| d < 90))
    });
    let glucose_control = control(diabetes, |r| r.measurements.fasting_glucose.map(|g| g < 70));

    let mut latest_check: BTreeMap<&str, &SatisfactionCheck> = BTreeMap::new();
    for check in inputs.checks.iter().filter(|c| c.reached && c.checked_on <= as_of) {
        if !in_scope.contains(check.resident_id.as_str()) {
            continue;
        }
        let newer = latest_check
            .get(check.resident_id.as_str())
            .is_none_or(|seen| (check.checked_on, &check.recorded_at) > (seen.checked_on, &seen.recorded_at));
        if newer {
            latest_check.insert(&check.resident_id, check);
        }
    }
    let (satisfied, unsatisfied): (Vec<&SatisfactionCheck>, Vec<&SatisfactionCheck>) =
        latest_check.values().copied().partition(|c| c.satisfied);
    let satisfaction = Figure::of(
        satisfied.iter().map(|c| c.resident_id.clone()).collect(),
        unsatisfied.iter().map(|c| c.resident_id.clone()).collect(),
    );

    let rates: Vec<u32> = [&fulfilment, &first_contact, &blood_pressure_control, &glucose_control, &satisfaction]
        .iter()
        .filter_map(|f| f.permille)
        .collect();
    let score = if rates.is_empty() {
        0
    } else {
        let sum: u32 = rates.iter().sum();
        let n = count(rates.len());
        u8::try_from((sum + n * 5) / (n * 10)).unwrap_or(100)
    };

    Assessment {
        scope: inputs.scope.clone(),
        period: period.year,
        as_of,
        key_population_signing,
        poverty_signing,
        fulfilment,
        first_contact,
        blood_pressure_control,
        glucose_control,
        satisfaction,
        score,
    }
}

/// The same figures without the residents behind them.
pub fn without_residents(mut a: Assessment) -> Assessment {
    for figure in [
        &mut a.key_population_signing,
        &mut a.poverty_signing,
        &mut a.fulfilment,
        &mut a.first_contact,
        &mut a.blood_pressure_control,
        &mut a.glucose_control,
        &mut a.satisfaction,
    ] {
        figure.residents = None;
    }
    a
}

#[cfg(test)]
mod tests;
