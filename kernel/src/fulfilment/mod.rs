//! Fulfilment (履约): what a contract owes in its period, what its team
//! delivered, what is late, and what a delivered measurement calls for.
//!
//! Owns service records (服务记录: append-only; a correction is a new record
//! naming the one it replaces), the schedule of due items derived from a
//! contract's packages, work lists ordered by urgency, and the national
//! protocol triggers that raise referral suggestions. Pure: no I/O and no
//! plugin calls; the kernel passes in the contract, its packages (from the
//! plugin version that priced it) and the records.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Duration};
use utoipa::ToSchema;

use crate::contracts::Contract;
use crate::plugins::Package;
use crate::residents::{Tag, Tags};

/// How a service was delivered (履约方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceMode {
    /// 集中服务: by the health centre, by region and time slot.
    Centralised,
    /// 团队补服务: a team's make-up session for those who missed one.
    TeamMakeUp,
    /// 个体服务: individual clinical service.
    Individual,
    /// 上门服务: a home visit, for the isolated and immobile.
    HomeVisit,
}

/// What was measured at a delivery. Integers throughout, as money is:
/// glucose in tenths of a mmol/L.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Measurements {
    /// 收缩压, mmHg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub systolic: Option<u16>,
    /// 舒张压, mmHg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diastolic: Option<u16>,
    /// 空腹血糖 in 0.1 mmol/L: 72 is 7.2 mmol/L.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fasting_glucose: Option<u16>,
    /// 心率, beats a minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heart_rate: Option<u16>,
    /// 危险性评估 of a severe mental disorder, 0 (none) to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<u8>,
}

/// A delivered service item, as recorded. Never changed once stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceRecord {
    pub id: String,
    pub contract_id: String,
    pub resident_id: String,
    pub team_id: String,
    pub county_code: String,
    pub package_code: String,
    pub item_code: String,
    /// When it was delivered.
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub delivered_on: Date,
    /// Where, e.g. `"安国镇卫生院"` or `"居民家中"`.
    pub place: String,
    pub mode: ServiceMode,
    pub measurements: Measurements,
    /// The record this one corrects (replaces), if it is a correction.
    pub corrects: Option<String>,
    /// Who delivered and recorded it: the subject of their token.
    pub recorded_by: String,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
}

/// A delivery as a team member enters it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServiceRecord {
    pub package_code: String,
    pub item_code: String,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub delivered_on: Date,
    pub place: String,
    pub mode: ServiceMode,
    #[serde(default)]
    pub measurements: Measurements,
    /// The id of the record this one corrects.
    #[serde(default)]
    pub corrects: Option<String>,
}

/// Why a delivery cannot be recorded as entered.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FulfilmentError {
    #[error("the contract has no package `{0}`")]
    NotInContract(String),
    #[error("package `{package}` has no item `{item}`")]
    UnknownItem { package: String, item: String },
    #[error("{on} is outside the contract, which covers {from} to {to}")]
    OutsideContract { on: Date, from: Date, to: Date },
    #[error("{on} is in the future: record a delivery once it has happened")]
    InFuture { on: Date },
    #[error("a delivery needs a place")]
    NoPlace,
    #[error("{what} {value} is outside {low}–{high}")]
    Implausible { what: &'static str, value: u16, low: u16, high: u16 },
    #[error("a diastolic pressure needs its systolic pressure, and is lower than it")]
    BloodPressure,
    #[error("record `{0}` does not exist in this contract")]
    CorrectsUnknown(String),
    #[error("record `{record}` was already corrected by `{by}`: correct that one")]
    AlreadyCorrected { record: String, by: String },
}

/// The days a contract covers: from signing (or the period's first day)
/// to the period's last day.
fn coverage(contract: &Contract) -> (Date, Date) {
    (contract.signed_on.max(contract.period.start()), contract.period.end())
}

/// The last day a contract owes anything: its end if it ended early.
fn owed_until(contract: &Contract) -> Date {
    contract.ended_on.map_or(contract.period.end(), |ended| ended.min(contract.period.end()))
}

/// Checks a delivery against its contract, the contract's packages and the
/// records already stored for it (`existing`), as of `today`.
pub fn check(
    new: &NewServiceRecord,
    contract: &Contract,
    packages: &[Package],
    existing: &[ServiceRecord],
    today: Date,
) -> Result<(), FulfilmentError> {
    if !contract.lines.iter().any(|l| l.package_code == new.package_code) {
        return Err(FulfilmentError::NotInContract(new.package_code.clone()));
    }
    let known = packages
        .iter()
        .find(|p| p.code == new.package_code)
        .is_some_and(|p| p.items.iter().any(|i| i.code == new.item_code));
    if !known {
        return Err(FulfilmentError::UnknownItem { package: new.package_code.clone(), item: new.item_code.clone() });
    }
    let (from, _) = coverage(contract);
    let to = owed_until(contract);
    if new.delivered_on < from || new.delivered_on > to {
        return Err(FulfilmentError::OutsideContract { on: new.delivered_on, from, to });
    }
    if new.delivered_on > today {
        return Err(FulfilmentError::InFuture { on: new.delivered_on });
    }
    if new.place.trim().is_empty() {
        return Err(FulfilmentError::NoPlace);
    }
    check_measurements(&new.measurements)?;
    if let Some(corrected) = &new.corrects {
        if !existing.iter().any(|r| &r.id == corrected) {
            return Err(FulfilmentError::CorrectsUnknown(corrected.clone()));
        }
        if let Some(by) = existing.iter().find(|r| r.corrects.as_ref() == Some(corrected)) {
            return Err(FulfilmentError::AlreadyCorrected { record: corrected.clone(), by: by.id.clone() });
        }
    }
    Ok(())
}

fn check_measurements(m: &Measurements) -> Result<(), FulfilmentError> {
    let ranges: [(&'static str, Option<u16>, u16, u16); 5] = [
        ("systolic pressure (mmHg)", m.systolic, 50, 300),
        ("diastolic pressure (mmHg)", m.diastolic, 30, 200),
        ("fasting glucose (0.1 mmol/L)", m.fasting_glucose, 10, 400),
        ("heart rate (per minute)", m.heart_rate, 20, 250),
        ("risk level", m.risk_level.map(u16::from), 0, 5),
    ];
    for (what, value, low, high) in ranges {
        if let Some(value) = value
            && !(low..=high).contains(&value)
        {
            return Err(FulfilmentError::Implausible { what, value, low, high });
        }
    }
    match (m.systolic, m.diastolic) {
        (None, Some(_)) => Err(FulfilmentError::BloodPressure),
        (Some(s), Some(d)) if d >= s => Err(FulfilmentError::BloodPressure),
        _ => Ok(()),
    }
}

/// The records that stand: every record no other record corrects.
pub fn standing(records: &[ServiceRecord]) -> Vec<&ServiceRecord> {
    let corrected: HashSet<&str> = records.iter().filter_map(|r| r.corrects.as_deref()).collect();
    records.iter().filter(|r| !corrected.contains(r.id.as_str())).collect()
}

/// One item of one package of a contract: what is owed by when, and what
/// was delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ItemSchedule {
    pub package_code: String,
    pub item_code: String,
    pub item_name: String,
    /// Deliveries owed in the period (up to the contract's end, if it ended).
    pub owed: u32,
    /// Standing records of the item within the contract's days.
    pub delivered: u32,
    /// When each owed delivery is due, spread evenly over the days the
    /// contract covers: the k-th of n by the end of the k-th n-th.
    #[serde(serialize_with = "crate::iso_date::list::serialize")]
    #[schema(value_type = Vec<String>, format = Date)]
    pub due: Vec<Date>,
    /// The next delivery owed, if any is.
    #[serde(with = "crate::iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub next_due: Option<Date>,
    /// Deliveries whose due day has passed and that were not delivered.
    pub overdue: u32,
}

/// Each item a contract owes, as of `as_of`, in the packages' order.
pub fn schedule(
    contract: &Contract,
    packages: &[Package],
    records: &[ServiceRecord],
    as_of: Date,
) -> Vec<ItemSchedule> {
    let (from, to) = coverage(contract);
    let until = owed_until(contract);
    let days = (to - from).whole_days() + 1;
    let standing = standing(records);
    let mut items = Vec::new();
    for line in &contract.lines {
        let Some(package) = packages.iter().find(|p| p.code == line.package_code) else { continue };
        for item in &package.items {
            let n = i64::from(item.times_per_year.max(1));
            let due: Vec<Date> = (1..=n)
                .map(|k| from + Duration::days((k * days + n - 1) / n - 1))
                .filter(|day| *day <= until)
                .collect();
            let delivered = standing
                .iter()
                .filter(|r| r.package_code == package.code && r.item_code == item.code)
                .filter(|r| r.delivered_on >= from && r.delivered_on <= until)
                .count();
            let delivered = u32::try_from(delivered).unwrap_or(u32::MAX);
            let past = due.iter().filter(|day| **day < as_of).count();
            let past = u32::try_from(past).unwrap_or(u32::MAX);
            items.push(ItemSchedule {
                package_code: package.code.clone(),
                item_code: item.code.clone(),
                item_name: item.name.clone(),
                owed: u32::try_from(due.len()).unwrap_or(u32::MAX),
                next_due: due.get(delivered as usize).copied(),
                overdue: past.saturating_sub(delivered),
                delivered,
                due,
            });
        }
    }
    items
}

/// A national protocol's reason to refer a resident (转诊建议), raised by a
/// delivery's measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Type-2 diabetes: two consecutive fasting glucose results of 7.0 mmol/L
    /// or more (连续两次血糖控制不满意).
    GlucoseUncontrolled,
    /// Hypertension: two consecutive readings of 140/90 mmHg or more, or one
    /// of 180/110 or more (血压控制不满意).
    BloodPressureUncontrolled,
    /// Severe mental disorder: a risk level of 3 or more (病情不稳定).
    MentalDisorderUnstable,
}

/// A referral a protocol suggests to the resident's team, open until the
/// team acts on it; it heads the team's work list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReferralSuggestion {
    pub id: String,
    /// The record whose measurements raised it.
    pub record_id: String,
    pub contract_id: String,
    pub resident_id: String,
    pub team_id: String,
    pub county_code: String,
    pub reason: Trigger,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub suggested_on: Date,
}

/// Fasting glucose from 7.0 mmol/L is unsatisfactory.
const GLUCOSE_LIMIT: u16 = 70;
const SYSTOLIC_LIMIT: u16 = 140;
const DIASTOLIC_LIMIT: u16 = 90;
const SYSTOLIC_SEVERE: u16 = 180;
const DIASTOLIC_SEVERE: u16 = 110;
/// Risk levels 3 to 5 are unstable.
const UNSTABLE_RISK: u8 = 3;

/// What `new` calls for, given the resident's other standing records: the
/// measurement before it is the latest one delivered on or before its day.
pub fn triggers(new: &ServiceRecord, others: &[&ServiceRecord]) -> Vec<Trigger> {
    let m = new.measurements;
    let previous = |has: fn(&Measurements) -> bool| {
        others
            .iter()
            .filter(|r| r.id != new.id && Some(&r.id) != new.corrects.as_ref())
            .filter(|r| r.delivered_on <= new.delivered_on && has(&r.measurements))
            .max_by(|a, b| (a.delivered_on, &a.recorded_at).cmp(&(b.delivered_on, &b.recorded_at)))
            .map(|r| r.measurements)
    };
    let high_glucose = |m: &Measurements| m.fasting_glucose.is_some_and(|g| g >= GLUCOSE_LIMIT);
    let high_pressure = |m: &Measurements| {
        m.systolic.is_some_and(|s| s >= SYSTOLIC_LIMIT) || m.diastolic.is_some_and(|d| d >= DIASTOLIC_LIMIT)
    };
    let mut raised = Vec::new();
    if high_glucose(&m) && previous(|m| m.fasting_glucose.is_some()).is_some_and(|p| high_glucose(&p)) {
        raised.push(Trigger::GlucoseUncontrolled);
    }
    let severe = m.systolic.is_some_and(|s| s >= SYSTOLIC_SEVERE) || m.diastolic.is_some_and(|d| d >= DIASTOLIC_SEVERE);
    if severe || (high_pressure(&m) && previous(|m| m.systolic.is_some()).is_some_and(|p| high_pressure(&p))) {
        raised.push(Trigger::BloodPressureUncontrolled);
    }
    if m.risk_level.is_some_and(|level| level >= UNSTABLE_RISK) {
        raised.push(Trigger::MentalDisorderUnstable);
    }
    raised
}

/// What a correction does to the open suggestions its corrected record
/// raised: those whose cause it keeps stay open and are not raised again;
/// the others are withdrawn. Returns (the triggers to raise anew, the ids
/// of the suggestions to withdraw).
pub fn reconsider(raised: Vec<Trigger>, open_of_corrected: &[ReferralSuggestion]) -> (Vec<Trigger>, Vec<String>) {
    let withdrawn = open_of_corrected.iter().filter(|s| !raised.contains(&s.reason)).map(|s| s.id.clone()).collect();
    let anew = raised.into_iter().filter(|t| !open_of_corrected.iter().any(|s| s.reason == *t)).collect();
    (anew, withdrawn)
}

/// A resident's move out of the county, as their team enters it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveOut {
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    /// Where to, as precisely as known: `"江苏省徐州市鼓楼区"`.
    pub destination: String,
}

/// A tuberculosis patient who moved out of the county, reported upward
/// (迁出报告): the protocol makes the team tell the county, so that the
/// patient's treatment is handed over and not lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MoveOutReport {
    pub id: String,
    pub resident_id: String,
    pub county_code: String,
    pub team_id: String,
    pub contract_id: String,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub moved_on: Date,
    pub destination: String,
    pub reported_by: String,
    /// RFC 3339, UTC.
    pub reported_at: String,
}

/// Why a move out cannot be recorded as entered.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MoveOutError {
    #[error("a move out needs its destination")]
    NoDestination,
    #[error("{on} is in the future: record a move once it has happened")]
    InFuture { on: Date },
    #[error("the contract began on {from}, after the move on {on}")]
    BeforeContract { on: Date, from: Date },
}

/// Checks a move out against the contract it ends, as of `today`; whether
/// it must be reported upward is [`must_report_move_out`].
pub fn check_move_out(m: &MoveOut, contract: &Contract, today: Date) -> Result<(), MoveOutError> {
    if m.destination.trim().is_empty() {
        return Err(MoveOutError::NoDestination);
    }
    if m.on > today {
        return Err(MoveOutError::InFuture { on: m.on });
    }
    let (from, _) = coverage(contract);
    if m.on < from {
        return Err(MoveOutError::BeforeContract { on: m.on, from });
    }
    Ok(())
}

/// Tuberculosis patients' moves are reported upward (患者从本辖区居住地迁出，要及时向上级专业机构报告).
pub fn must_report_move_out(tags: &Tags) -> bool {
    tags.contains(&Tag::Tuberculosis)
}

/// One line of a work list (工作清单): the next delivery of one item for one
/// resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WorkItem {
    pub resident_id: String,
    pub contract_id: String,
    pub package_code: String,
    pub item_code: String,
    pub item_name: String,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
    /// Days past due (negative: due in that many days).
    pub days_overdue: i64,
    /// Deliveries of the item already overdue.
    pub overdue: u32,
}

/// The deliveries due by `as_of` plus `horizon` days, most overdue first:
/// what a team or village doctor should do next.
pub fn work_list(
    schedules: impl IntoIterator<Item = (String, String, Vec<ItemSchedule>)>,
    as_of: Date,
    horizon: Duration,
) -> Vec<WorkItem> {
    let mut work: Vec<WorkItem> = schedules
        .into_iter()
        .flat_map(|(resident_id, contract_id, items)| {
            items.into_iter().filter_map(move |item| {
                let due_on = item.next_due?;
                (due_on <= as_of + horizon).then(|| WorkItem {
                    resident_id: resident_id.clone(),
                    contract_id: contract_id.clone(),
                    package_code: item.package_code,
                    item_code: item.item_code,
                    item_name: item.item_name,
                    due_on,
                    days_overdue: (as_of - due_on).whole_days(),
                    overdue: item.overdue,
                })
            })
        })
        .collect();
    work.sort_by(|a, b| {
        (a.due_on, &a.resident_id, &a.package_code, &a.item_code).cmp(&(
            b.due_on,
            &b.resident_id,
            &b.package_code,
            &b.item_code,
        ))
    });
    work
}

#[cfg(test)]
mod tests;
