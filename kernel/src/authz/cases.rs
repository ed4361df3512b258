//! Policy test cases (政策测试用例): a request and the decision a policy
//! officer expects of it, kept as JSON files (`policies/tests/*.json`, and an
//! officer's own) and run against a policy set before it is published, so
//! that a change's effect is seen as cases that now fail.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

use super::{Action, Authorizer, Principal, Resource, Role};
use crate::org::MemberRole;
use crate::referrals::Direction;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// The rule the case checks, for the person reading a failure.
    #[serde(default)]
    why: Option<String>,
    principal: CasePrincipal,
    action: String,
    resource: CaseResource,
    decision: Expected,
}

/// A principal as a case (or the audit log) states it: the facts policies
/// see, without the person's name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasePrincipal {
    pub role: Role,
    /// Whose: a resident's id (policies compare it with the resource's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty: Option<MemberRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
}

/// A resource as a case (or the audit log) states it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseResource {
    Region {},
    County(String),
    Resident {
        id: String,
        county: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        household: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<String>,
    },
    Team {
        id: String,
        county: String,
        institution: String,
    },
    Institution {
        id: String,
        county: String,
    },
    Referral {
        id: String,
        county: String,
        team: String,
        institution: String,
        resident: String,
        direction: Direction,
        sender: String,
        receiver: String,
    },
    Contract {
        id: String,
        county: String,
        team: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        institution: Option<String>,
        resident: String,
    },
    ServiceRecord {
        id: String,
        contract: String,
        county: String,
        team: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        institution: Option<String>,
        resident: String,
    },
    Claim {
        id: String,
        resident: String,
        county: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        household: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team: Option<String>,
    },
    Settlement {
        county: String,
        period: i32,
    },
    /// A county's plugin, by the county's code.
    Plugin(String),
    PolicySet {},
}

impl CasePrincipal {
    pub fn of(p: &Principal) -> Self {
        let id = matches!(p.role, Role::Resident | Role::Plugin).then(|| p.subject.clone());
        CasePrincipal {
            role: p.role,
            id,
            county: p.county.clone(),
            team: p.team.clone(),
            duty: p.duty,
            institution: p.institution.clone(),
        }
    }

    /// The principal, named `subject` unless the case says whose it is.
    pub fn principal(&self, subject: &str) -> Principal {
        Principal {
            subject: self.id.clone().unwrap_or_else(|| subject.to_owned()),
            role: self.role,
            county: self.county.clone(),
            team: self.team.clone(),
            duty: self.duty,
            institution: self.institution.clone(),
        }
    }
}

impl CaseResource {
    pub fn of(r: &Resource<'_>) -> Self {
        match *r {
            Resource::Region => CaseResource::Region {},
            Resource::County { code } => CaseResource::County(code.to_owned()),
            Resource::Resident { id, county, household, team } => CaseResource::Resident {
                id: id.to_owned(),
                county: county.to_owned(),
                household: household.map(str::to_owned),
                team: team.map(str::to_owned),
            },
            Resource::Team { id, county, institution } => {
                CaseResource::Team { id: id.to_owned(), county: county.to_owned(), institution: institution.to_owned() }
            }
            Resource::Institution { id, county } => {
                CaseResource::Institution { id: id.to_owned(), county: county.to_owned() }
            }
            Resource::Referral { id, county, team, institution, resident, direction, sender, receiver } => {
                CaseResource::Referral {
                    id: id.to_owned(),
                    county: county.to_owned(),
                    team: team.to_owned(),
                    institution: institution.to_owned(),
                    resident: resident.to_owned(),
                    direction,
                    sender: sender.to_owned(),
                    receiver: receiver.to_owned(),
                }
            }
            Resource::Contract { id, county, team, institution, resident } => CaseResource::Contract {
                id: id.to_owned(),
                county: county.to_owned(),
                team: team.to_owned(),
                institution: institution.map(str::to_owned),
                resident: resident.to_owned(),
            },
            Resource::ServiceRecord { id, contract, county, team, institution, resident } => {
                CaseResource::ServiceRecord {
                    id: id.to_owned(),
                    contract: contract.to_owned(),
                    county: county.to_owned(),
                    team: team.to_owned(),
                    institution: institution.map(str::to_owned),
                    resident: resident.to_owned(),
                }
            }
            Resource::Claim { id, resident, county, household, team } => CaseResource::Claim {
                id: id.to_owned(),
                resident: resident.to_owned(),
                county: county.to_owned(),
                household: household.map(str::to_owned),
                team: team.map(str::to_owned),
            },
            Resource::Settlement { county, period } => CaseResource::Settlement { county: county.to_owned(), period },
            Resource::Plugin { county } => CaseResource::Plugin(county.to_owned()),
            Resource::PolicySet => CaseResource::PolicySet {},
        }
    }

    pub fn resource(&self) -> Resource<'_> {
        match self {
            CaseResource::Region {} => Resource::Region,
            CaseResource::County(code) => Resource::County { code },
            CaseResource::Resident { id, county, household, team } => {
                Resource::Resident { id, county, household: household.as_deref(), team: team.as_deref() }
            }
            CaseResource::Team { id, county, institution } => Resource::Team { id, county, institution },
            CaseResource::Institution { id, county } => Resource::Institution { id, county },
            CaseResource::Referral { id, county, team, institution, resident, direction, sender, receiver } => {
                Resource::Referral { id, county, team, institution, resident, direction: *direction, sender, receiver }
            }
            CaseResource::Contract { id, county, team, institution, resident } => {
                Resource::Contract { id, county, team, institution: institution.as_deref(), resident }
            }
            CaseResource::ServiceRecord { id, contract, county, team, institution, resident } => {
                Resource::ServiceRecord { id, contract, county, team, institution: institution.as_deref(), resident }
            }
            CaseResource::Claim { id, resident, county, household, team } => {
                Resource::Claim { id, resident, county, household: household.as_deref(), team: team.as_deref() }
            }
            CaseResource::Settlement { county, period } => Resource::Settlement { county, period: *period },
            CaseResource::Plugin(county) => Resource::Plugin { county },
            CaseResource::PolicySet {} => Resource::PolicySet,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    Allow,
    Deny,
}

/// What one case gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CaseOutcome {
    pub file: String,
    pub name: String,
    pub why: Option<String>,
    pub expected: Expected,
    pub actual: Expected,
    /// The policies that decided.
    pub policies: Vec<String>,
}

impl CaseOutcome {
    pub fn passed(&self) -> bool {
        self.expected == self.actual
    }
}

/// A case file that cannot be read as cases.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CaseError {
    #[error("`{file}` is not a policy case file: {message}")]
    Format { file: String, message: String },
    #[error("`{file}`, case `{case}`: there is no action `{action}`")]
    UnknownAction { file: String, case: String, action: String },
}

/// Runs every case of `files` (name, JSON text) against `set`, in order.
pub fn run(set: &Authorizer, files: &[(String, String)]) -> Result<Vec<CaseOutcome>, CaseError> {
    let mut outcomes = Vec::new();
    for (file, text) in files {
        let parsed: CaseFile =
            serde_json::from_str(text).map_err(|e| CaseError::Format { file: file.clone(), message: e.to_string() })?;
        for case in parsed.cases {
            let action = Action::from_name(&case.action).ok_or_else(|| CaseError::UnknownAction {
                file: file.clone(),
                case: case.name.clone(),
                action: case.action.clone(),
            })?;
            let principal = case.principal.principal("policy-case");
            let (decision, policies) = set.decide_why(&principal, action, &case.resource.resource());
            outcomes.push(CaseOutcome {
                file: file.clone(),
                name: case.name,
                why: case.why,
                expected: case.decision,
                actual: if decision.is_ok() { Expected::Allow } else { Expected::Deny },
                policies,
            });
        }
    }
    Ok(outcomes)
}
