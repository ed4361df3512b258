//! The kernel's operations: each one loads the facts it needs, asks the
//! policies, runs the domain rules and plugins, and stores the result.
//!
//! This is the one place that composes store, plugins, authorization and the
//! pure domain modules; every entry point (HTTP today, jobs and CLI later)
//! goes through it, so nothing is allowed by code alone. It knows nothing of
//! HTTP: errors are typed here and mapped to status codes in `api`.

mod assessment;
mod audit;
mod claims;
mod fulfilment;
mod import;
mod plugins;
mod policies;
mod referrals;
pub use policies::{FLIP_WINDOW, Flip, FlipReport};
pub use referrals::MovedOut;
mod renewal;

pub use fulfilment::{ContractSchedule, RecordedService, WorkList};
pub use import::ImportReport;
pub use plugins::{GoldenUpload, LinePrice, Repriced, Reproduction, SHADOW_LISTED, ShadowReport, UploadReport};
pub use renewal::{RenewalProgress, RenewalReport};

use std::sync::Arc;

use thiserror::Error;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::authz::{Action, Denied, NOWHERE, Policies, Principal, Resource};
use crate::claims::ClaimError;
use crate::contracts::{
    self, Contract, ContractEvent, ContractLine, ContractStatus, GroupContract, LifecycleError, Period, SignError,
};
use crate::fulfilment::FulfilmentError;
use crate::org::{self, Community, County, Institution, Member, Membership, Team, TeamError};
use crate::plugins::{Package, PackageKind, PluginError, PluginHost, PluginInfo, PriceRequest, Refusal, ResidentFacts};
use crate::residents::{Household, RecordedTags, Resident, ResidentError, UnsignedReason};
use crate::store::{ContractWriteError, Event, Holder, InsertResidentError, Store, StoreError};
use crate::tokens::TokenKeys;

/// Everything an operation can fail with.
#[derive(Debug, Error)]
pub enum KernelError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{what} `{id}` does not exist")]
    NotFound { what: &'static str, id: String },
    #[error(transparent)]
    Resident(#[from] ResidentError),
    #[error(transparent)]
    List(#[from] crate::residents::poverty_list::ListError),
    #[error("a resident with this citizen ID is already registered")]
    DuplicateResident,
    /// `shown`: the county and resident, only to a caller who may read them.
    #[error("a resident with this citizen ID is registered in another county{}", shown.as_deref().unwrap_or_default())]
    RegisteredElsewhere { shown: Option<String> },
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error(transparent)]
    Team(#[from] TeamError),
    #[error("`{0}` is already taken")]
    DuplicateId(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// An uploaded plugin version is not one: nothing was stored.
    #[error("the plugin version was refused: {0}")]
    PluginRejected(String),
    /// A proposed policy set is invalid: nothing was stored.
    #[error("the policy set was refused: {0}")]
    PoliciesRejected(String),
    #[error(
        "policy version {newest} was published after version {based_on}, which this change was made against: start again from version {newest}"
    )]
    PoliciesSuperseded { based_on: i64, newest: i64 },
    /// The policies do not let a county's plugin be told a fact that every
    /// call to it carries, so it is not called.
    #[error(
        "the policies do not let the plugin of county `{county}` be told residents' {fact}, which its interface needs: a policy officer can grant it"
    )]
    Withheld { county: String, fact: &'static str },
    #[error(transparent)]
    Fulfilment(#[from] FulfilmentError),
    #[error(transparent)]
    Claim(#[from] ClaimError),
    #[error(transparent)]
    Check(#[from] crate::assessment::CheckError),
    #[error(
        "the settlement of {county} for {period} is stored and what it was computed from has changed since: settlements are immutable"
    )]
    SettlementChanged { county: String, period: i32 },
    /// The same thing was tried at once too often; trying again will do.
    #[error("{0}")]
    Busy(String),
    #[error("record `{0}` was corrected by someone else just now: reload and correct that correction")]
    CorrectedMeanwhile(String),
    #[error(transparent)]
    Referral(#[from] crate::referrals::ReferralError),
    #[error("referral `{0}` was changed by someone else just now: reload it")]
    ReferralChanged(String),
    #[error(transparent)]
    MoveOut(#[from] crate::fulfilment::MoveOutError),
    #[error(transparent)]
    Text(#[from] crate::text::UnstorableText),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which personal data of a resident a caller sees unmasked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unmasked {
    pub citizen_id: bool,
    pub phone: bool,
    pub address: bool,
}

impl From<ContractWriteError> for KernelError {
    fn from(e: ContractWriteError) -> Self {
        match e {
            ContractWriteError::Sign(e) => KernelError::Sign(e),
            ContractWriteError::Lifecycle(e) => KernelError::Lifecycle(e),
            ContractWriteError::Store(e) => KernelError::Store(e),
        }
    }
}

/// A new resident as a clerk enters it.
#[derive(Debug, Clone)]
pub struct NewResident {
    pub name: String,
    pub citizen_id: String,
    pub household_id: Option<String>,
    pub phone: Option<String>,
    pub recorded_tags: RecordedTags,
}

/// A new team: its leader and members are given by member id and role.
#[derive(Debug, Clone)]
pub struct NewTeam {
    pub institution_id: String,
    pub name: String,
    pub members: Vec<Membership>,
    pub capacity_households: Option<i64>,
    pub capacity_residents: Option<i64>,
}

/// A must-sign resident with no active contract, and the recorded reason if any.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Unsigned {
    pub resident_id: String,
    pub name: String,
    pub household_id: Option<String>,
    /// The must-sign groups the resident is in.
    #[schema(value_type = Vec<crate::residents::Tag>)]
    pub groups: crate::residents::Tags,
    pub reason: Option<UnsignedReason>,
}

/// A page of the must-sign list; `next_after` continues it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UnsignedPage {
    pub period: Period,
    pub residents: Vec<Unsigned>,
    pub next_after: Option<String>,
}

/// A member a group contract could not sign, and why.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GroupRefusal {
    pub resident_id: String,
    pub reason: String,
}

/// What a group signing did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GroupSigning {
    pub group: GroupContract,
    pub signed: Vec<Contract>,
    pub refused: Vec<GroupRefusal>,
}

/// A contract with everything that happened to it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ContractHistory {
    pub contract: Contract,
    pub events: Vec<Event>,
}

/// A request to sign a contract for the current period.
#[derive(Debug, Clone)]
pub struct SignRequest {
    pub resident_id: String,
    pub team_id: String,
    pub packages: Vec<String>,
}

/// A county's catalogue and the plugin version it came from.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub plugin: PluginInfo,
    pub plugin_hash: String,
    pub packages: Vec<Package>,
}

/// The running kernel's shared parts.
pub struct Kernel {
    pub store: Store,
    pub plugins: Arc<PluginHost>,
    /// The policy set in force: the newest published (see `policies.rs`).
    pub authz: Policies,
    pub tokens: TokenKeys,
    pub clock: Clock,
}

/// Which day it is for the kernel's rules (the period a signing falls in,
/// whether a period has ended, a birth date that cannot be yet): the only
/// place the kernel learns the day. The region's day is China's (UTC+8), so
/// at 16:00 UTC it is already tomorrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The machine's clock.
    System,
    /// A fixed day: for tests, and for replaying what happened on a day.
    Fixed(Date),
    /// A fixed instant, its day China's: for tests of the hours around midnight.
    At(OffsetDateTime),
}

impl Clock {
    pub fn today(self) -> Date {
        match self {
            Clock::System => day_in_china(OffsetDateTime::now_utc()),
            Clock::Fixed(date) => date,
            Clock::At(instant) => day_in_china(instant),
        }
    }
}

/// China has one time zone and no daylight saving: UTC+8 decides the day.
const CHINA_STANDARD_TIME: UtcOffset = time::macros::offset!(+8);

fn day_in_china(instant: OffsetDateTime) -> Date {
    instant.to_offset(CHINA_STANDARD_TIME).date()
}

fn not_found(what: &'static str, id: &str) -> KernelError {
    KernelError::NotFound { what, id: id.to_owned() }
}

/// A county-scoped thing looked up by the id a caller gave, once the policies
/// decided on it — on the thing `found`, or, when it is missing, on one placed
/// in [`NOWHERE`]. A refusal names only the id asked for, so another county's
/// thing and a missing one get the same 403, and only a caller allowed the
/// action region-wide learns that an id names nothing.
fn looked_up<T>(
    decision: Result<(), Denied>,
    what: &'static str,
    id: &str,
    found: Option<T>,
) -> Result<T, KernelError> {
    match (decision, found) {
        (Err(denied), _) => Err(Denied { action: denied.action, resource: format!("{what} `{id}`") }.into()),
        (Ok(()), Some(thing)) => Ok(thing),
        (Ok(()), None) => Err(not_found(what, id)),
    }
}

impl Kernel {
    /// A resident, if the policies let `who` do `action` on them.
    async fn resident_for(&self, who: &Principal, action: Action, id: &str) -> Result<Resident, KernelError> {
        let found = self.store.resident(id).await?;
        let resource = match &found {
            Some(r) => resident_resource(r, None),
            None => Resource::Resident { id, county: NOWHERE, household: None, team: None },
        };
        looked_up(self.authz.decide(who, action, &resource), "resident", id, found)
    }

    /// A team, if the policies let `who` do `action` on it.
    async fn team_for(&self, who: &Principal, action: Action, id: &str) -> Result<Team, KernelError> {
        let found = self.store.team(id).await?;
        let resource = match &found {
            Some(t) => Resource::Team { id: &t.id, county: &t.county_code, institution: &t.institution_id },
            None => Resource::Team { id, county: NOWHERE, institution: NOWHERE },
        };
        looked_up(self.authz.decide(who, action, &resource), "team", id, found)
    }

    /// An institution, if the policies let `who` do `action` on it.
    async fn institution_for(&self, who: &Principal, action: Action, id: &str) -> Result<Institution, KernelError> {
        let found = self.store.institution(id).await?;
        let resource = match &found {
            Some(i) => Resource::Institution { id: &i.id, county: &i.county_code },
            None => Resource::Institution { id, county: NOWHERE },
        };
        looked_up(self.authz.decide(who, action, &resource), "institution", id, found)
    }
}

impl Kernel {
    /// The counties the caller may read.
    pub async fn counties(&self, who: &Principal) -> Result<Vec<County>, KernelError> {
        let counties = self.store.counties().await?;
        Ok(counties
            .into_iter()
            .filter(|c| self.authz.decide(who, Action::ReadCounty, &Resource::County { code: &c.code }).is_ok())
            .collect())
    }

    /// Loads a county after checking the caller may do `action` on it.
    async fn county_for(&self, who: &Principal, action: Action, code: &str) -> Result<County, KernelError> {
        self.authz.decide(who, action, &Resource::County { code })?;
        self.store.county(code).await?.ok_or_else(|| not_found("county", code))
    }

    pub async fn county(&self, who: &Principal, code: &str) -> Result<County, KernelError> {
        self.county_for(who, Action::ReadCounty, code).await
    }

    pub async fn catalogue(&self, who: &Principal, county: &str) -> Result<Catalogue, KernelError> {
        self.county_for(who, Action::ViewCatalogue, county).await?;
        let plugin = self.plugins.for_county(county, self.clock.today())?;
        Ok(Catalogue {
            plugin: plugin.info.clone(),
            plugin_hash: plugin.hash.clone(),
            packages: plugin.catalogue.clone(),
        })
    }

    pub async fn teams(&self, who: &Principal, county: &str) -> Result<Vec<Team>, KernelError> {
        self.county_for(who, Action::ListTeams, county).await?;
        Ok(self.store.teams(county).await?)
    }

    pub async fn residents(
        &self,
        who: &Principal,
        county: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Resident>, KernelError> {
        self.county_for(who, Action::ListResidents, county).await?;
        Ok(self.store.residents(county, after, limit).await?)
    }

    pub async fn register_resident(
        &self,
        who: &Principal,
        county: &str,
        new: NewResident,
    ) -> Result<Resident, KernelError> {
        self.county_for(who, Action::RegisterResident, county).await?;
        if let Some(household) = &new.household_id {
            let found = self.store.household(household).await?;
            if found.is_none_or(|h| h.county_code != county) {
                return Err(not_found("household", household));
            }
        }
        let id = uuid::Uuid::now_v7().to_string();
        let mut resident = Resident::register(id, county.to_owned(), &new.name, &new.citizen_id, new.recorded_tags)?;
        resident.citizen_id.check_born_by(self.clock.today()).map_err(ResidentError::from)?;
        resident.household_id = new.household_id;
        resident.phone = new.phone;
        self.store.insert_resident(&resident, &who.subject).await.map_err(|e| match e {
            InsertResidentError::DuplicateCitizenId(holder) if holder.county_code == county => {
                KernelError::DuplicateResident
            }
            InsertResidentError::DuplicateCitizenId(holder) => self.registered_elsewhere(who, &holder),
            InsertResidentError::Store(e) => e.into(),
        })?;
        Ok(resident)
    }

    /// A citizen ID that another county's resident holds, tried again. The
    /// answer names that county and resident only to a caller the policies
    /// let read them; the decision is audited, so the region sees who tried
    /// which resident's number (by the resident's kernel id, never the number).
    fn registered_elsewhere(&self, who: &Principal, holder: &Holder) -> KernelError {
        let resource = Resource::Resident {
            id: &holder.id,
            county: &holder.county_code,
            household: holder.household_id.as_deref(),
            team: None,
        };
        let readable = self.authz.decide(who, Action::ReadResident, &resource).is_ok();
        let shown = readable.then(|| format!(" (county {}, resident `{}`)", holder.county_code, holder.id));
        KernelError::RegisteredElsewhere { shown }
    }

    pub async fn resident(&self, who: &Principal, id: &str) -> Result<Resident, KernelError> {
        self.resident_for(who, Action::ReadResident, id).await
    }

    /// Which of the resident's citizen ID, phone and address the caller may
    /// see unmasked: each only if a policy grants it, e.g. to the resident's
    /// own team this period.
    pub async fn unmasked_fields(&self, who: &Principal, resident: &Resident) -> Result<Unmasked, KernelError> {
        let period = Period::containing(self.clock.today());
        let team = self.store.active_team_of(&resident.id, period).await?;
        let resource = resident_resource(resident, team.as_deref());
        let granted = |action| self.authz.decide(who, action, &resource).is_ok();
        Ok(Unmasked {
            citizen_id: granted(Action::ReadCitizenId),
            phone: granted(Action::ReadPhone),
            address: granted(Action::ReadAddress),
        })
    }

    /// A resident's household (with its address), if they have one.
    pub async fn household_of(&self, resident: &Resident) -> Result<Option<Household>, KernelError> {
        match &resident.household_id {
            Some(id) => Ok(self.store.household(id).await?),
            None => Ok(None),
        }
    }

    /// Signs a contract for the current period, priced by the county's plugin.
    pub async fn sign(&self, who: &Principal, request: SignRequest) -> Result<Contract, KernelError> {
        self.sign_under(who, request, None).await
    }

    /// Signs, under a group contract when `group` names one.
    async fn sign_under(
        &self,
        who: &Principal,
        request: SignRequest,
        group: Option<&str>,
    ) -> Result<Contract, KernelError> {
        let resident = self.store.resident(&request.resident_id).await?;
        let team = self.store.team(&request.team_id).await?;
        let id = uuid::Uuid::now_v7().to_string();
        // A resident or team that is missing, or a team of another county than
        // the resident's, is decided on a contract placed nowhere: a clerk
        // learns nothing of another county's teams and residents.
        let team = team.filter(|t| resident.as_ref().is_some_and(|r| r.county_code == t.county_code));
        let resident_missing = resident.is_none();
        let (Some(resident), Some(team)) = (resident, team) else {
            let nowhere = Resource::Contract {
                id: &id,
                county: NOWHERE,
                team: &request.team_id,
                institution: None,
                resident: &request.resident_id,
            };
            self.authz.decide(who, Action::SignContract, &nowhere)?;
            return Err(if resident_missing {
                not_found("resident", &request.resident_id)
            } else {
                not_found("team in the resident's county", &request.team_id)
            });
        };
        self.authz.decide(
            who,
            Action::SignContract,
            &Resource::Contract {
                id: &id,
                county: &resident.county_code,
                team: &team.id,
                institution: Some(&team.institution_id),
                resident: &resident.id,
            },
        )?;

        let signed_on = self.clock.today();
        let plugin = self.plugins.for_county(&resident.county_code, signed_on)?;
        self.check_disclosure(&resident.county_code)?;
        let chosen = contracts::choose_packages(&plugin.catalogue, &resident.county_code, &request.packages)?;
        let facts =
            ResidentFacts { age: resident.age_on(signed_on), sex: resident.sex(), tags: resident.tags_on(signed_on) };
        let requests: Vec<PriceRequest> = chosen
            .iter()
            .map(|p| PriceRequest {
                package_code: p.code.clone(),
                resident: facts.clone(),
                starts_on: signed_on,
                list_price: p.list_price,
            })
            .collect();
        let (assigned, priced) = {
            let plugin = Arc::clone(&plugin);
            let facts = facts.clone();
            crate::plugins::off_runtime(move || {
                // One instance answers both: the second call finds it warm.
                let mut session = plugin.session()?;
                Ok((session.basic_package(&facts)?, session.price_batch(&requests)?))
            })
            .await?
        };
        if let Some(assigned) = assigned {
            let basic = chosen.iter().find(|p| p.kind == PackageKind::Basic).copied();
            match (assigned, basic) {
                (Err(refusal), Some(basic)) => return Err(refused(&plugin.info.county_code, basic, refusal)),
                (Ok(expected), _) => contracts::check_basic_package(&chosen, &expected)?,
                (Err(_), None) => {}
            }
        }

        let mut lines = Vec::with_capacity(chosen.len());
        for (package, answer) in chosen.iter().zip(priced) {
            let quote = answer.map_err(|refusal| refused(&plugin.info.county_code, package, refusal))?;
            lines.push(ContractLine {
                package_code: package.code.clone(),
                package_name: package.name.clone(),
                kind: package.kind,
                list_price: package.list_price,
                quote,
                priced_age: facts.age,
                priced_tags: facts.tags.clone(),
            });
        }
        let contract = Contract {
            id,
            resident_id: resident.id,
            household_id: resident.household_id,
            team_id: team.id,
            institution_id: team.institution_id,
            county_code: resident.county_code,
            period: Period::containing(signed_on),
            status: ContractStatus::Active,
            signed_on,
            signed_by: who.subject.clone(),
            plugin_hash: plugin.hash.clone(),
            plugin_version: plugin.info.version.clone(),
            ended_on: None,
            end_reason: None,
            renewal_objected: false,
            renewed_from: None,
            group_id: group.map(str::to_owned),
            lines,
        };
        self.store.insert_contract(&contract, &who.subject).await?;
        Ok(contract)
    }

    /// Loads a contract after checking the caller may do `action` on it.
    async fn contract_for(&self, who: &Principal, action: Action, id: &str) -> Result<Contract, KernelError> {
        let found = self.store.contract(id).await?;
        let resource = match &found {
            Some(c) => contract_resource(c),
            None => Resource::Contract { id, county: NOWHERE, team: NOWHERE, institution: None, resident: NOWHERE },
        };
        looked_up(self.authz.decide(who, action, &resource), "contract", id, found)
    }

    /// Moves a contract to another team of the same institution mid-period.
    /// The household has one family doctor, so its other active members move too.
    pub async fn switch_team(
        &self,
        who: &Principal,
        id: &str,
        to_team: &str,
        reason: &str,
    ) -> Result<Contract, KernelError> {
        let contract = self.contract_for(who, Action::SwitchTeam, id).await?;
        let reason = required(reason)?;
        // A team of another county is answered as a missing one.
        let team = self.store.team(to_team).await?.filter(|t| t.county_code == contract.county_code);
        let team = team.ok_or_else(|| not_found("team", to_team))?;
        contract.check_switch(&team.id, &team.institution_id)?;
        let moving = match &contract.household_id {
            Some(household) => self.store.active_contracts_of_household(household, contract.period).await?,
            None => vec![contract.clone()],
        };
        self.store.switch_team(&moving, &team.id, &who.subject, reason).await?;
        self.store.contract(id).await?.ok_or_else(|| not_found("contract", id))
    }

    /// Ends a contract early, with the reason.
    pub async fn terminate(&self, who: &Principal, id: &str, reason: &str) -> Result<Contract, KernelError> {
        let contract = self.contract_for(who, Action::TerminateContract, id).await?;
        let reason = required(reason)?;
        contract.ensure_active()?;
        self.store.terminate_contract(&contract, self.clock.today(), &who.subject, reason).await?;
        self.store.contract(id).await?.ok_or_else(|| not_found("contract", id))
    }

    /// Records that the resident does not want the basic package renewed.
    pub async fn object_to_renewal(&self, who: &Principal, id: &str, reason: &str) -> Result<Contract, KernelError> {
        let contract = self.contract_for(who, Action::ObjectToRenewal, id).await?;
        let reason = required(reason)?;
        contract.ensure_active()?;
        self.store.object_to_renewal(&contract, &who.subject, reason).await?;
        self.store.contract(id).await?.ok_or_else(|| not_found("contract", id))
    }

    /// A resident's contracts the caller may read, each with its events.
    pub async fn history(&self, who: &Principal, resident_id: &str) -> Result<Vec<ContractHistory>, KernelError> {
        let mut history = Vec::new();
        for contract in self.contracts_of_resident(who, resident_id).await? {
            let events = self.store.events(&format!("contract:{}", contract.id)).await?;
            history.push(ContractHistory { contract, events });
        }
        Ok(history)
    }

    /// Registers a health worker of the county.
    pub async fn register_member(&self, who: &Principal, county: &str, member: Member) -> Result<Member, KernelError> {
        self.county_for(who, Action::RegisterMember, county).await?;
        let institution = self.store.institution(&member.institution_id).await?;
        if institution.is_none_or(|i| i.county_code != county) {
            return Err(not_found("institution", &member.institution_id));
        }
        let member = Member { county_code: county.to_owned(), ..member };
        if self.store.member(&member.id).await?.is_some() {
            return Err(KernelError::DuplicateId(member.id));
        }
        self.store.insert_member(&member).await?;
        Ok(member)
    }

    /// Forms a team: led by a licensed GP, members of the county.
    pub async fn create_team(&self, who: &Principal, county: &str, new: NewTeam) -> Result<Team, KernelError> {
        self.county_for(who, Action::CreateTeam, county).await?;
        let institution = self.store.institution(&new.institution_id).await?;
        let institution = institution
            .filter(|i| i.county_code == county)
            .ok_or_else(|| not_found("institution", &new.institution_id))?;
        let mut members = Vec::with_capacity(new.members.len());
        for membership in &new.members {
            let member = self.store.member(&membership.member_id).await?;
            // A member of another county is answered as a missing one.
            let member = member.filter(|m| m.county_code == county);
            let member = member.ok_or_else(|| not_found("member", &membership.member_id))?;
            let level = self.store.institution(&member.institution_id).await?.map(|i| i.level);
            let level = level.ok_or_else(|| not_found("institution", &member.institution_id))?;
            members.push((membership.clone(), member, level));
        }
        let capacity = (
            new.capacity_households.unwrap_or(org::DEFAULT_CAPACITY_HOUSEHOLDS),
            new.capacity_residents.unwrap_or(org::DEFAULT_CAPACITY_RESIDENTS),
        );
        let checked: Vec<_> = members.iter().map(|(m, member, level)| (m.clone(), member, *level)).collect();
        org::check_team(county, &new.name, &checked, capacity)?;
        let leader = new.members.iter().find(|m| m.role == org::MemberRole::GpLeader).map(|m| m.member_id.clone());
        let team = Team {
            id: uuid::Uuid::now_v7().to_string(),
            county_code: county.to_owned(),
            institution_id: institution.id,
            name: new.name.trim().to_owned(),
            leader_id: leader,
            capacity_households: capacity.0,
            capacity_residents: capacity.1,
            formed_on: Some(self.clock.today()),
        };
        self.store.insert_team(&team, &new.members).await?;
        Ok(team)
    }

    /// Registers a functional community (功能社区) of the county.
    pub async fn register_community(
        &self,
        who: &Principal,
        county: &str,
        community: Community,
    ) -> Result<Community, KernelError> {
        self.county_for(who, Action::RegisterCommunity, county).await?;
        if community.name.trim().is_empty() {
            return Err(KernelError::Invalid("a community needs a name".into()));
        }
        let community = Community { id: uuid::Uuid::now_v7().to_string(), county_code: county.to_owned(), ..community };
        self.store.insert_community(&community).await?;
        Ok(community)
    }

    /// A community signs its members with one team (团体签约): each member
    /// gets their own contract under the group, by the same rules as any
    /// signing; a member who cannot sign is reported, and the others go on.
    pub async fn sign_group(
        &self,
        who: &Principal,
        community_id: &str,
        team_id: &str,
        packages: &[String],
        residents: &[String],
    ) -> Result<GroupSigning, KernelError> {
        let community = self.store.community(community_id).await?;
        let team = self.store.team(team_id).await?;
        let id = uuid::Uuid::now_v7().to_string();
        // As in `sign_under`: a missing community or team, or a team of another
        // county than the community's, is decided on a contract placed nowhere.
        let team = team.filter(|t| community.as_ref().is_some_and(|c| c.county_code == t.county_code));
        let (Some(community), Some(team)) = (community, team) else {
            let nowhere =
                Resource::Contract { id: &id, county: NOWHERE, team: team_id, institution: None, resident: NOWHERE };
            self.authz.decide(who, Action::SignGroup, &nowhere)?;
            return Err(not_found(
                "community, or team in the community's county",
                &format!("{community_id}, {team_id}"),
            ));
        };
        // May the caller sign for this team in this county at all? (Each member is asked again.)
        let any_member = Resource::Contract {
            id: &id,
            county: &community.county_code,
            team: &team.id,
            institution: Some(&team.institution_id),
            resident: "",
        };
        self.authz.decide(who, Action::SignGroup, &any_member)?;
        if residents.is_empty() {
            return Err(KernelError::Invalid("a group contract needs at least one member".into()));
        }
        let signed_on = self.clock.today();
        let group = GroupContract {
            id,
            community_id: community.id,
            team_id: team_id.to_owned(),
            county_code: community.county_code.clone(),
            period: Period::containing(signed_on),
            packages: packages.to_vec(),
            signed_on,
            signed_by: who.subject.clone(),
        };
        self.store.insert_group_contract(&group).await?;
        let mut signed = Vec::new();
        let mut refused = Vec::new();
        for resident_id in residents {
            let request = SignRequest {
                resident_id: resident_id.clone(),
                team_id: team_id.to_owned(),
                packages: packages.to_vec(),
            };
            match self.sign_under(who, request, Some(&group.id)).await {
                Ok(contract) => signed.push(contract),
                Err(KernelError::Store(e)) => return Err(e.into()),
                Err(e) => refused.push(GroupRefusal { resident_id: resident_id.clone(), reason: e.to_string() }),
            }
        }
        Ok(GroupSigning { group, signed, refused })
    }

    /// Must-sign residents (应签尽签) of a county with no active contract in
    /// `period`, each with the recorded reason if there is one.
    pub async fn unsigned(
        &self,
        who: &Principal,
        county: &str,
        period: Period,
        after: Option<&str>,
        limit: u32,
    ) -> Result<UnsignedPage, KernelError> {
        self.county_for(who, Action::ListUnsigned, county).await?;
        let (residents, next_after) =
            self.store.residents_without_contract(county, period, after.unwrap_or(""), limit).await?;
        // Groups as of the period's end: a resident who turns 65 during it counts.
        let as_of = period.end();
        let must_sign: Vec<(Resident, crate::residents::Tags)> = residents
            .into_iter()
            .map(|r| {
                let groups = r.tags_on(as_of).into_iter().filter(|t| t.is_must_sign()).collect();
                (r, groups)
            })
            .filter(|(_, groups): &(Resident, crate::residents::Tags)| !groups.is_empty())
            .collect();
        let ids: Vec<String> = must_sign.iter().map(|(r, _)| r.id.clone()).collect();
        let mut reasons = self.store.unsigned_reasons(&ids, period).await?;
        let residents = must_sign
            .into_iter()
            .map(|(r, groups)| Unsigned {
                reason: reasons.remove(&r.id),
                resident_id: r.id,
                name: r.name,
                household_id: r.household_id,
                groups,
            })
            .collect();
        Ok(UnsignedPage { period, residents, next_after })
    }

    /// Records why a resident is not signed in `period` (未签约情况说明).
    pub async fn record_unsigned_reason(
        &self,
        who: &Principal,
        resident_id: &str,
        period: Period,
        reason: &str,
    ) -> Result<UnsignedReason, KernelError> {
        self.resident_for(who, Action::RecordUnsignedReason, resident_id).await?;
        let reason = UnsignedReason {
            reason: required(reason)?.to_owned(),
            recorded_by: who.subject.clone(),
            recorded_on: self.clock.today(),
        };
        self.store.record_unsigned_reason(resident_id, period, &reason).await?;
        Ok(reason)
    }

    /// Rebuilds every contract from the event log and lists those whose
    /// stored state differs (empty when the log and the tables agree).
    pub async fn verify_event_log(&self) -> Result<Vec<String>, KernelError> {
        let mut streams: std::collections::BTreeMap<String, Vec<ContractEvent>> = Default::default();
        for event in self.store.events_with_prefix("contract:").await? {
            streams.entry(event.stream.clone()).or_default().push(event.decode()?);
        }
        let mut differing = Vec::new();
        for contract in self.store.all_contracts().await? {
            let rebuilt = streams.remove(&format!("contract:{}", contract.id)).and_then(|e| contracts::replay(&e));
            if rebuilt.as_ref() != Some(&contract) {
                differing.push(contract.id.clone());
            }
        }
        differing.extend(streams.into_keys());
        Ok(differing)
    }

    pub async fn contract(&self, who: &Principal, id: &str) -> Result<Contract, KernelError> {
        self.contract_for(who, Action::ReadContract, id).await
    }

    /// A resident's contracts that the caller may read.
    pub async fn contracts_of_resident(
        &self,
        who: &Principal,
        resident_id: &str,
    ) -> Result<Vec<Contract>, KernelError> {
        self.resident(who, resident_id).await?;
        let contracts = self.store.contracts_of_resident(resident_id).await?;
        Ok(contracts
            .into_iter()
            .filter(|c| self.authz.decide(who, Action::ReadContract, &contract_resource(c)).is_ok())
            .collect())
    }
}

fn required(reason: &str) -> Result<&str, KernelError> {
    let reason = reason.trim();
    if reason.is_empty() { Err(LifecycleError::ReasonRequired.into()) } else { Ok(reason) }
}

/// A resident as policies see them; `team`: their team this period.
fn resident_resource<'a>(r: &'a Resident, team: Option<&'a str>) -> Resource<'a> {
    Resource::Resident { id: &r.id, county: &r.county_code, household: r.household_id.as_deref(), team }
}

/// A contract as policies see them.
fn contract_resource(c: &Contract) -> Resource<'_> {
    Resource::Contract {
        id: &c.id,
        county: &c.county_code,
        team: &c.team_id,
        institution: Some(&c.institution_id),
        resident: &c.resident_id,
    }
}

/// A plugin's refusal in the words of the signing rules.
fn refused(county: &str, package: &Package, refusal: Refusal) -> KernelError {
    match refusal {
        Refusal::NotEligible(reason) => SignError::NotEligible { package: package.code.clone(), reason }.into(),
        Refusal::UnknownPackage(code) => SignError::UnknownPackage { code, county: county.to_owned() }.into(),
        // The kernel built the request from the plugin's own catalogue.
        Refusal::InvalidRequest(reason) => PluginError::WrongAnswer {
            county: county.to_owned(),
            call: "price",
            reason: format!("it refused a request built from its own catalogue: {reason}"),
        }
        .into(),
    }
}
