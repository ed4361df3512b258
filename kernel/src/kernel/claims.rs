//! Claims: an institution submits a signed resident's episode of care, the
//! county's insurance plugin (the version in force on the day of care)
//! divides it among its payers, and the kernel stores every share with its
//! reason and the plugin's hash.

use std::sync::Arc;

use super::{Kernel, KernelError, looked_up};
use crate::authz::{Action, NOWHERE, Principal, Resource};
use crate::claims::{self, NewClaim, StoredClaim};
use crate::plugins::{Claim, PluginError, Refusal, ResidentFacts, off_runtime};
use crate::store::ClaimWriteError;

/// How often a claim is adjudicated again after another claim of the same
/// resident's year was stored first.
const RETRIES: usize = 3;

impl Kernel {
    /// Adjudicates and stores a claim. The resident's year-to-date is that of
    /// their claims stored before it; if another claim of theirs is stored
    /// meanwhile, this one is adjudicated again against the new total.
    pub async fn submit_claim(&self, who: &Principal, new: NewClaim) -> Result<StoredClaim, KernelError> {
        let found = self.store.resident(&new.resident_id).await?;
        let period = crate::contracts::Period::containing(new.on);
        let team = match &found {
            Some(resident) => self.store.active_team_of(&resident.id, period).await?,
            None => None,
        };
        let id = uuid::Uuid::now_v7().to_string();
        let claim = match &found {
            Some(resident) => Resource::Claim {
                id: &id,
                resident: &resident.id,
                county: &resident.county_code,
                household: resident.household_id.as_deref(),
                team: team.as_deref(),
            },
            None => {
                Resource::Claim { id: &id, resident: &new.resident_id, county: NOWHERE, household: None, team: None }
            }
        };
        let decision = self.authz.decide(who, Action::SubmitClaim, &claim);
        let resident = looked_up(decision, "resident", &new.resident_id, found)?;
        claims::check(&new, self.clock.today())?;
        let contracts = self.store.contracts_of_resident(&resident.id).await?;
        let contract = claims::covering(&contracts, &resident.id, new.on)?;
        let plugin = self.plugins.for_county(&resident.county_code, new.on)?;
        self.check_disclosure(&resident.county_code)?;
        for _ in 0..RETRIES {
            let earlier = self.store.claims_of_resident_in_year(&resident.id, new.on.year()).await?;
            let request = Claim {
                resident: ResidentFacts {
                    age: resident.age_on(new.on),
                    sex: resident.sex(),
                    tags: resident.tags_on(new.on),
                },
                signed_packages: contract.lines.iter().map(|l| l.package_code.clone()).collect(),
                kind: new.kind,
                level: new.level,
                referred: new.referred,
                on: new.on,
                amount: new.amount,
                year_to_date: claims::year_to_date(&earlier),
            };
            let asked = Arc::clone(&plugin);
            let answer = off_runtime(move || asked.adjudicate_batch(std::slice::from_ref(&request))).await?.pop();
            let adjudication = match answer {
                Some(Ok(adjudication)) => adjudication,
                Some(Err(refusal)) => return Err(refused(&resident.county_code, refusal)),
                None => return Err(KernelError::Invalid("the plugin gave no adjudication".into())),
            };
            let stored = StoredClaim {
                id: id.clone(),
                resident_id: resident.id.clone(),
                contract_id: contract.id.clone(),
                team_id: contract.team_id.clone(),
                county_code: resident.county_code.clone(),
                institution_id: new.institution_id.trim().to_owned(),
                kind: new.kind,
                level: new.level,
                referred: new.referred,
                on: new.on,
                amount: new.amount,
                sequence: u32::try_from(earlier.len() + 1).unwrap_or(u32::MAX),
                shares: adjudication.shares,
                plugin_hash: plugin.hash.clone(),
                plugin_version: plugin.info.version.clone(),
                submitted_by: who.subject.clone(),
                submitted_at: super::fulfilment::now(),
            };
            match self.store.insert_claim(&stored).await {
                Ok(()) => return Ok(stored),
                Err(ClaimWriteError::SequenceTaken) => continue,
                Err(ClaimWriteError::Store(e)) => return Err(e.into()),
            }
        }
        Err(KernelError::Busy(format!("claims of resident `{}` kept arriving at once; submit again", resident.id)))
    }

    /// A resident's adjudicated claims, newest year first.
    pub async fn claims_of_resident(
        &self,
        who: &Principal,
        resident_id: &str,
    ) -> Result<Vec<StoredClaim>, KernelError> {
        self.resident_for(who, Action::ReadClaims, resident_id).await?;
        Ok(self.store.claims_of_resident(resident_id).await?)
    }
}

/// A plugin's refusal of a claim: the claim does not fit its rules (a
/// business answer), unless the kernel built it wrong.
fn refused(county: &str, refusal: Refusal) -> KernelError {
    match refusal {
        Refusal::NotEligible(reason) | Refusal::InvalidRequest(reason) => {
            KernelError::Invalid(format!("the county's insurance rules refuse the claim: {reason}"))
        }
        Refusal::UnknownPackage(code) => PluginError::WrongAnswer {
            county: county.to_owned(),
            call: "adjudicate",
            reason: format!("it does not know package `{code}`, which the resident signed"),
        }
        .into(),
    }
}
