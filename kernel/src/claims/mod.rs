//! Claims (医保报销): the care an institution gave a signed resident, with
//! its cost, divided among its payers by the county's insurance plugin.
//!
//! Owns what a claim is, which contract covers it, and the resident's
//! insurance year before it (deductible paid, reimbursements), which the
//! plugin needs to apply deductibles and caps across claims. Pure: the kernel
//! loads the contracts and earlier claims and calls the plugin.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;
use utoipa::ToSchema;

use crate::contracts::{Contract, ContractStatus, Period};
use crate::plugins::{CareKind, CareLevel, Fen, Payer, Share, ShareKind, YearToDate};

/// A service episode as an institution submits it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClaim {
    pub resident_id: String,
    /// The institution that gave the care.
    pub institution_id: String,
    pub kind: CareKind,
    pub level: CareLevel,
    /// Referred upward from primary care (基层转诊).
    #[serde(default)]
    pub referred: bool,
    /// The day of care (the first day, for a stay).
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    /// Costs within the insurance policy's scope (政策范围内费用), in fen.
    pub amount: Fen,
}

/// An adjudicated claim, as stored: never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StoredClaim {
    pub id: String,
    pub resident_id: String,
    /// The contract that covered the day of care.
    pub contract_id: String,
    pub team_id: String,
    pub county_code: String,
    pub institution_id: String,
    pub kind: CareKind,
    pub level: CareLevel,
    pub referred: bool,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    pub amount: Fen,
    /// The claim's place in the resident's insurance year (1, 2, …): the
    /// year-to-date it was adjudicated with is that of the ones before.
    pub sequence: u32,
    /// Who pays what, and why, in the plugin's order.
    pub shares: Vec<Share>,
    /// SHA-256 of the plugin version that adjudicated it.
    pub plugin_hash: String,
    pub plugin_version: String,
    pub submitted_by: String,
    pub submitted_at: String,
}

/// Why a claim cannot be adjudicated as submitted.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ClaimError {
    #[error("a claim's amount is at least 1 fen")]
    NoAmount,
    #[error("{on} is in the future: submit a claim once the care was given")]
    InFuture { on: Date },
    #[error("resident `{resident}` had no active contract on {on}: claims are for signed residents")]
    NotSigned { resident: String, on: Date },
    #[error("the institution is missing")]
    NoInstitution,
}

/// Checks a submission as of `today`.
pub fn check(new: &NewClaim, today: Date) -> Result<(), ClaimError> {
    if new.amount <= 0 {
        return Err(ClaimError::NoAmount);
    }
    if new.on > today {
        return Err(ClaimError::InFuture { on: new.on });
    }
    if new.institution_id.trim().is_empty() {
        return Err(ClaimError::NoInstitution);
    }
    Ok(())
}

/// The resident's contract that covered `on`: of its period, signed by
/// then, and active or ended after it.
pub fn covering<'a>(contracts: &'a [Contract], resident: &str, on: Date) -> Result<&'a Contract, ClaimError> {
    contracts
        .iter()
        .filter(|c| c.period == Period::containing(on) && c.signed_on <= on)
        .find(|c| match c.status {
            ContractStatus::Active => true,
            _ => c.ended_on.is_some_and(|ended| ended >= on),
        })
        .ok_or_else(|| ClaimError::NotSigned { resident: resident.to_owned(), on })
}

/// The insurance year (the calendar year) before a claim, from the
/// resident's earlier claims of that year.
pub fn year_to_date(earlier: &[StoredClaim]) -> YearToDate {
    let mut ytd = YearToDate { deductible_paid: 0, outpatient_reimbursed: 0, inpatient_reimbursed: 0 };
    for claim in earlier {
        for share in &claim.shares {
            match (share.kind, share.payer, claim.kind) {
                (ShareKind::Deductible, _, _) => ytd.deductible_paid += share.amount,
                (ShareKind::Reimbursement, Payer::InsuranceFund, CareKind::Inpatient) => {
                    ytd.inpatient_reimbursed += share.amount;
                }
                (ShareKind::Reimbursement, Payer::InsuranceFund, _) => ytd.outpatient_reimbursed += share.amount,
                _ => {}
            }
        }
    }
    ytd
}

#[cfg(test)]
mod tests;
