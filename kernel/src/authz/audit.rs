//! What the audit log (审计日志) keeps of a decision: who asked to do what to
//! which resident's data or to the region's rules, what was decided and by
//! which policies of which published version. Records name residents by
//! their kernel id, never by citizen ID, phone or address.

use serde::Serialize;
use utoipa::ToSchema;

use super::cases::{CasePrincipal, CaseResource};
use super::{Action, POLICY_SET, Principal, Resource};

/// One decision, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuditRecord {
    /// RFC 3339, UTC.
    pub at: String,
    /// The token's subject.
    pub principal: String,
    pub role: String,
    pub action: String,
    /// `Resident::res-pei-001`, `Contract::…`, `County::320322`, `Region::region`.
    pub resource: String,
    /// The resident whose data the decision was about, if any.
    pub resident: Option<String>,
    pub county: Option<String>,
    pub allowed: bool,
    /// Ids of the policies that decided (`file.cedar#id`); empty for a default deny.
    pub policies: Vec<String>,
    /// The published policy version in force (0: the files the kernel started with).
    pub policy_version: i64,
    /// The facts the policies saw, so that the decision can be taken again
    /// under a proposed set (the "would flip" report).
    pub facts: AuditFacts,
}

/// A decision's request as the policies saw it: ids and roles, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct AuditFacts {
    pub principal: CasePrincipal,
    pub resource: CaseResource,
}

impl Action {
    /// Decisions the audit log keeps: every one on a resident's data and
    /// every change to the region's rules. Reads of the organisation (a
    /// county, its teams, its catalogue) and of the policies are public
    /// within the region and not kept; nor are the checks of what a plugin
    /// may be told, made per operation from the policies (whose changes are
    /// kept).
    pub fn audited(self) -> bool {
        !matches!(
            self,
            Action::ReadCounty
                | Action::ViewCatalogue
                | Action::ListTeams
                | Action::ReadPolicies
                | Action::ListPlugins
                | Action::ReadPluginLimits
                | Action::DiscloseAge
                | Action::DiscloseSex
                | Action::DiscloseTags
                | Action::DiscloseName
                | Action::DiscloseCitizenId
                | Action::ReadReferralCapacity
        )
    }
}

impl AuditRecord {
    pub(super) fn new(
        at: String,
        principal: &Principal,
        action: Action,
        resource: &Resource<'_>,
        allowed: bool,
        policies: Vec<String>,
        policy_version: i64,
    ) -> Self {
        let facts = AuditFacts { principal: CasePrincipal::of(principal), resource: CaseResource::of(resource) };
        let (resource, resident, county) = match *resource {
            Resource::Region => ("Region::region".to_owned(), None, None),
            Resource::County { code } => (format!("County::{code}"), None, Some(code)),
            Resource::Resident { id, county, .. } => (format!("Resident::{id}"), Some(id), Some(county)),
            Resource::Contract { id, county, resident, .. } => {
                (format!("Contract::{id}"), Some(resident), Some(county))
            }
            Resource::Team { id, county, .. } => (format!("Team::{id}"), None, Some(county)),
            Resource::Institution { id, county } => (format!("Institution::{id}"), None, Some(county)),
            Resource::Referral { id, county, resident, .. } => {
                (format!("Referral::{id}"), Some(resident), Some(county))
            }
            Resource::ServiceRecord { id, county, resident, .. } => {
                (format!("ServiceRecord::{id}"), Some(resident), Some(county))
            }
            Resource::Claim { id, county, resident, .. } => (format!("Claim::{id}"), Some(resident), Some(county)),
            Resource::Settlement { county, period } => (format!("Settlement::{county}/{period}"), None, Some(county)),
            Resource::Plugin { county } => (format!("Plugin::{county}"), None, Some(county)),
            Resource::PolicySet => (format!("PolicySet::{POLICY_SET}"), None, None),
        };
        AuditRecord {
            facts,
            at,
            principal: principal.subject.clone(),
            role: principal.role.entity_type().trim_start_matches("Qianyue::").to_owned(),
            action: action.name().to_owned(),
            resource,
            resident: resident.map(str::to_owned),
            county: county.map(str::to_owned),
            allowed,
            policies,
            policy_version,
        }
    }
}
