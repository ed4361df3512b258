//! Fulfilment operations: recording a delivered service, what a contract
//! owes and when, and a team's work list. The rules are `fulfilment`'s; the
//! packages come from the plugin version that priced the contract, so a
//! schedule does not change when the county's catalogue does.

use std::collections::HashMap;

use serde::Serialize;
use time::{Date, Duration};
use utoipa::ToSchema;

use super::{Kernel, KernelError, looked_up};
use crate::authz::{Action, NOWHERE, Principal, Resource};
use crate::contracts::{Contract, Period};
use crate::fulfilment::{self, ItemSchedule, NewServiceRecord, ReferralSuggestion, ServiceRecord, WorkItem};
use crate::plugins::Package;
use crate::referrals::{self, FollowUpDue};
use crate::store::RecordWriteError;

/// A stored record and the referrals its measurements suggest.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedService {
    pub record: ServiceRecord,
    pub referral_suggestions: Vec<ReferralSuggestion>,
    /// The suggestions of the corrected record whose cause the correction
    /// removed: withdrawn, off the team's work list.
    pub withdrawn_suggestions: Vec<String>,
}

/// What a contract owes, item by item, as of a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractSchedule {
    pub contract_id: String,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
    pub items: Vec<ItemSchedule>,
    /// Every record, corrected ones included, in order.
    pub records: Vec<ServiceRecord>,
}

/// What a team should do next.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkList {
    pub team_id: String,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
    /// Referrals the protocols suggest, oldest first: these come first.
    pub referral_suggestions: Vec<ReferralSuggestion>,
    /// Follow-ups the team owes within two weeks of its residents'
    /// referrals, most overdue first.
    pub follow_ups: Vec<FollowUpDue>,
    /// Deliveries due by `as_of` plus the horizon, most overdue first.
    pub due: Vec<WorkItem>,
}

impl From<RecordWriteError> for KernelError {
    fn from(e: RecordWriteError) -> Self {
        match e {
            RecordWriteError::CorrectedMeanwhile(record) => KernelError::CorrectedMeanwhile(record),
            RecordWriteError::Store(e) => KernelError::Store(e),
        }
    }
}

impl Kernel {
    /// Records a delivery for a contract: only the contract's team may, by
    /// the policies. Its measurements may raise referral suggestions, stored
    /// with it.
    pub async fn record_service(
        &self,
        who: &Principal,
        contract_id: &str,
        new: NewServiceRecord,
    ) -> Result<RecordedService, KernelError> {
        let found = self.store.contract(contract_id).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let record = match &found {
            Some(contract) => Resource::ServiceRecord {
                id: &id,
                contract: &contract.id,
                county: &contract.county_code,
                team: &contract.team_id,
                institution: Some(&contract.institution_id),
                resident: &contract.resident_id,
            },
            None => Resource::ServiceRecord {
                id: &id,
                contract: contract_id,
                county: NOWHERE,
                team: NOWHERE,
                institution: None,
                resident: NOWHERE,
            },
        };
        let decision = self.authz.decide(who, Action::RecordService, &record);
        let contract = looked_up(decision, "contract", contract_id, found)?;
        let packages = self.packages_of(&contract).await?;
        let existing = self.store.service_records_of_contract(&contract.id).await?;
        let today = self.clock.today();
        fulfilment::check(&new, &contract, &packages, &existing, today)?;
        let record = ServiceRecord {
            id,
            contract_id: contract.id.clone(),
            resident_id: contract.resident_id.clone(),
            team_id: contract.team_id.clone(),
            county_code: contract.county_code.clone(),
            package_code: new.package_code,
            item_code: new.item_code,
            delivered_on: new.delivered_on,
            place: new.place.trim().to_owned(),
            mode: new.mode,
            measurements: new.measurements,
            corrects: new.corrects,
            recorded_by: who.subject.clone(),
            recorded_at: now(),
        };
        let history = self.store.service_records_of_resident(&contract.resident_id).await?;
        let raised = fulfilment::triggers(&record, &fulfilment::standing(&history));
        let open_of_corrected = match &record.corrects {
            Some(corrected) => self.store.open_suggestions_of_record(corrected).await?,
            None => Vec::new(),
        };
        let (raised, withdrawn) = fulfilment::reconsider(raised, &open_of_corrected);
        let referral_suggestions: Vec<ReferralSuggestion> = raised
            .into_iter()
            .map(|reason| ReferralSuggestion {
                id: uuid::Uuid::now_v7().to_string(),
                record_id: record.id.clone(),
                contract_id: contract.id.clone(),
                resident_id: contract.resident_id.clone(),
                team_id: contract.team_id.clone(),
                county_code: contract.county_code.clone(),
                reason,
                suggested_on: today,
            })
            .collect();
        self.store.insert_service_record(&record, &referral_suggestions, &withdrawn).await?;
        Ok(RecordedService { record, referral_suggestions, withdrawn_suggestions: withdrawn })
    }

    /// What a contract owes and what was delivered, as of `as_of` (today).
    pub async fn contract_schedule(
        &self,
        who: &Principal,
        contract_id: &str,
        as_of: Option<Date>,
    ) -> Result<ContractSchedule, KernelError> {
        let contract = self.contract_for(who, Action::ReadSchedule, contract_id).await?;
        let packages = self.packages_of(&contract).await?;
        let records = self.store.service_records_of_contract(&contract.id).await?;
        let as_of = as_of.unwrap_or_else(|| self.clock.today());
        let items = fulfilment::schedule(&contract, &packages, &records, as_of);
        Ok(ContractSchedule { contract_id: contract.id, as_of, items, records })
    }

    /// A team's open referral suggestions and the deliveries due within
    /// `horizon_days` of `as_of` (today), over its active contracts of the
    /// period containing `as_of`.
    pub async fn work_list(
        &self,
        who: &Principal,
        team_id: &str,
        as_of: Option<Date>,
        horizon_days: u16,
    ) -> Result<WorkList, KernelError> {
        let team = self.team_for(who, Action::ReadWorkList, team_id).await?;
        let as_of = as_of.unwrap_or_else(|| self.clock.today());
        let period = Period::containing(as_of);
        let contracts = self.store.active_contracts_of_team(&team.id, period).await?;
        let mut records: HashMap<String, Vec<ServiceRecord>> = HashMap::new();
        for record in self.store.service_records_of_team(&team.id, period).await? {
            records.entry(record.contract_id.clone()).or_default().push(record);
        }
        let mut schedules = Vec::with_capacity(contracts.len());
        for contract in contracts {
            let packages = self.packages_of(&contract).await?;
            let own = records.get(&contract.id).map_or(&[][..], Vec::as_slice);
            let items = fulfilment::schedule(&contract, &packages, own, as_of);
            schedules.push((contract.resident_id, contract.id, items));
        }
        Ok(WorkList {
            team_id: team.id.clone(),
            as_of,
            referral_suggestions: self.store.open_referral_suggestions(&team.id).await?,
            follow_ups: referrals::follow_ups_due(&self.store.referrals_of_team(&team.id).await?, as_of),
            due: fulfilment::work_list(schedules, as_of, Duration::days(i64::from(horizon_days))),
        })
    }

    /// The packages of the plugin version that priced the contract.
    async fn packages_of(&self, contract: &Contract) -> Result<Vec<Package>, KernelError> {
        Ok(self.stored_plugin(&contract.plugin_hash).await?.catalogue.clone())
    }
}

pub(super) fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
