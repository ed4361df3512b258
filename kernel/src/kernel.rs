//! The kernel's operations: each one loads the facts it needs, asks the
//! policies, runs the domain rules and plugins, and stores the result.
//!
//! This is the one place that composes store, plugins, authorization and the
//! pure domain modules; every entry point (HTTP today, jobs and CLI later)
//! goes through it, so nothing is allowed by code alone. It knows nothing of
//! HTTP: errors are typed here and mapped to status codes in `api`.

use std::sync::Arc;

use thiserror::Error;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::authz::{Action, Authorizer, Denied, Principal, Resource};
use crate::contracts::{self, Contract, ContractLine, ContractStatus, Period, SignError};
use crate::org::{County, Team};
use crate::plugins::{
    Package, PluginError, PluginHost, PluginInfo, PriceRequest, Refusal, ResidentFacts,
};
use crate::residents::{Resident, ResidentError, Tags};
use crate::store::{InsertContractError, InsertResidentError, Store, StoreError};
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
    #[error("a resident with this citizen ID is already registered")]
    DuplicateResident,
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new resident as a clerk enters it.
#[derive(Debug, Clone)]
pub struct NewResident {
    pub name: String,
    pub citizen_id: String,
    pub recorded_tags: Tags,
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
    pub plugins: PluginHost,
    pub authz: Authorizer,
    pub tokens: TokenKeys,
}

/// China has one time zone and no daylight saving: UTC+8 decides "today".
const CHINA_STANDARD_TIME: UtcOffset = time::macros::offset!(+8);

pub fn today() -> Date {
    OffsetDateTime::now_utc()
        .to_offset(CHINA_STANDARD_TIME)
        .date()
}

fn not_found(what: &'static str, id: &str) -> KernelError {
    KernelError::NotFound {
        what,
        id: id.to_owned(),
    }
}

impl Kernel {
    /// The counties the caller may read.
    pub async fn counties(&self, who: &Principal) -> Result<Vec<County>, KernelError> {
        let counties = self.store.counties().await?;
        Ok(counties
            .into_iter()
            .filter(|c| {
                self.authz
                    .decide(who, Action::ReadCounty, &Resource::County { code: &c.code })
                    .is_ok()
            })
            .collect())
    }

    /// Loads a county after checking the caller may do `action` on it.
    async fn county_for(
        &self,
        who: &Principal,
        action: Action,
        code: &str,
    ) -> Result<County, KernelError> {
        self.authz.decide(who, action, &Resource::County { code })?;
        self.store
            .county(code)
            .await?
            .ok_or_else(|| not_found("county", code))
    }

    pub async fn county(&self, who: &Principal, code: &str) -> Result<County, KernelError> {
        self.county_for(who, Action::ReadCounty, code).await
    }

    pub async fn catalogue(&self, who: &Principal, county: &str) -> Result<Catalogue, KernelError> {
        self.county_for(who, Action::ViewCatalogue, county).await?;
        let plugin = self.plugins.for_county(county)?;
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
        self.county_for(who, Action::RegisterResident, county)
            .await?;
        let id = uuid::Uuid::now_v7().to_string();
        let resident = Resident::register(
            id,
            county.to_owned(),
            &new.name,
            &new.citizen_id,
            new.recorded_tags,
        )?;
        self.store
            .insert_resident(&resident)
            .await
            .map_err(|e| match e {
                InsertResidentError::DuplicateCitizenId => KernelError::DuplicateResident,
                InsertResidentError::Store(e) => e.into(),
            })?;
        Ok(resident)
    }

    pub async fn resident(&self, who: &Principal, id: &str) -> Result<Resident, KernelError> {
        let resident = self
            .store
            .resident(id)
            .await?
            .ok_or_else(|| not_found("resident", id))?;
        self.authz.decide(
            who,
            Action::ReadResident,
            &Resource::Resident {
                id,
                county: &resident.county_code,
            },
        )?;
        Ok(resident)
    }

    /// Signs a contract for the current period, priced by the county's plugin.
    pub async fn sign(
        &self,
        who: &Principal,
        request: SignRequest,
    ) -> Result<Contract, KernelError> {
        let resident = self.store.resident(&request.resident_id).await?;
        let resident = resident.ok_or_else(|| not_found("resident", &request.resident_id))?;
        let team = self.store.team(&request.team_id).await?;
        let team = team.ok_or_else(|| not_found("team", &request.team_id))?;
        let id = uuid::Uuid::now_v7().to_string();
        self.authz.decide(
            who,
            Action::SignContract,
            &Resource::Contract {
                id: &id,
                county: &resident.county_code,
                team: &team.id,
                resident: &resident.id,
            },
        )?;
        if team.county_code != resident.county_code {
            return Err(SignError::TeamInOtherCounty {
                team: team.id,
                team_county: team.county_code,
                resident_county: resident.county_code,
            }
            .into());
        }

        let plugin = self.plugins.for_county(&resident.county_code)?;
        let chosen = contracts::choose_packages(
            &plugin.catalogue,
            &resident.county_code,
            &request.packages,
        )?;
        let signed_on = today();
        let facts = ResidentFacts {
            age: resident.age_on(signed_on),
            sex: resident.sex(),
            tags: resident.tags_on(signed_on),
        };
        let requests: Vec<PriceRequest> = chosen
            .iter()
            .map(|p| PriceRequest {
                package_code: p.code.clone(),
                resident: facts.clone(),
                list_price: p.list_price,
            })
            .collect();
        let priced = {
            let plugin = Arc::clone(&plugin);
            let requests = requests.clone();
            tokio::task::spawn_blocking(move || plugin.price_batch(&requests))
                .await
                .map_err(|e| PluginError::Host(e.to_string()))??
        };

        let mut lines = Vec::with_capacity(chosen.len());
        for (package, answer) in chosen.iter().zip(priced) {
            let quote =
                answer.map_err(|refusal| refused(&plugin.info.county_code, package, refusal))?;
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
            team_id: team.id,
            county_code: resident.county_code,
            period: Period::containing(signed_on),
            status: ContractStatus::Active,
            signed_on,
            signed_by: who.subject.clone(),
            plugin_hash: plugin.hash.clone(),
            plugin_version: plugin.info.version.clone(),
            lines,
        };
        self.store
            .insert_contract(&contract)
            .await
            .map_err(|e| match e {
                InsertContractError::Sign(e) => KernelError::Sign(e),
                InsertContractError::Store(e) => KernelError::Store(e),
            })?;
        Ok(contract)
    }

    pub async fn contract(&self, who: &Principal, id: &str) -> Result<Contract, KernelError> {
        let contract = self
            .store
            .contract(id)
            .await?
            .ok_or_else(|| not_found("contract", id))?;
        self.authz
            .decide(who, Action::ReadContract, &contract_resource(&contract))?;
        Ok(contract)
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
            .filter(|c| {
                self.authz
                    .decide(who, Action::ReadContract, &contract_resource(c))
                    .is_ok()
            })
            .collect())
    }
}

fn contract_resource(c: &Contract) -> Resource<'_> {
    Resource::Contract {
        id: &c.id,
        county: &c.county_code,
        team: &c.team_id,
        resident: &c.resident_id,
    }
}

/// A plugin's refusal in the words of the signing rules.
fn refused(county: &str, package: &Package, refusal: Refusal) -> KernelError {
    match refusal {
        Refusal::NotEligible(reason) => SignError::NotEligible {
            package: package.code.clone(),
            reason,
        }
        .into(),
        Refusal::UnknownPackage(code) => SignError::UnknownPackage {
            code,
            county: county.to_owned(),
        }
        .into(),
        // The kernel built the request from the plugin's own catalogue.
        Refusal::InvalidRequest(reason) => PluginError::WrongAnswer {
            county: county.to_owned(),
            call: "price",
            reason: format!("it refused a request built from its own catalogue: {reason}"),
        }
        .into(),
    }
}
