//! Authorization: every request is decided by the Cedar policies, default deny.
//!
//! Owns loading and validating the schema and policies, and turning the
//! kernel's principals, actions and resources into Cedar requests with the
//! entities each decision needs. Evaluation does no I/O: callers load the
//! facts (a resident's county, a contract's team) before asking. Nothing here
//! knows HTTP or the database.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex, RwLock};

use cedar_policy::{
    ActionConstraint, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicyId, PolicySet,
    Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

use crate::org::MemberRole;
use crate::referrals::Direction;

mod audit;
pub mod cases;
pub use audit::{AuditFacts, AuditRecord};

/// A role a principal acts in; each is its own Cedar principal type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Role {
    /// 区域管理员: runs the kernel for the whole region.
    RegionalAdmin,
    /// 县级管理员: a county health bureau's administrator.
    CountyAdmin,
    /// 团队成员: a member of a family-doctor team.
    TeamMember,
    /// 乡村医生: a village doctor of a team, its first contact in the villages.
    VillageDoctor,
    /// 督导员: checks by phone and visit that contracts are served.
    Inspector,
    /// 医保经办: the county's insurance officer.
    InsuranceOfficer,
    /// 财务: the county's finance office.
    Finance,
    /// 居民: a resident, who sees their own record; the subject is their id.
    Resident,
    /// 医院接诊人员: staff of a receiving institution, such as the county
    /// hospital's referral office (转诊办): answers referrals up, sends them down.
    HospitalStaff,
    /// 政策管理员: edits and publishes the policies, region-wide.
    PolicyOfficer,
    /// A county's plugin, as the receiver of resident facts. The kernel acts
    /// for it; no token names one.
    Plugin,
}

impl Role {
    fn entity_type(self) -> &'static str {
        match self {
            Role::RegionalAdmin => "Qianyue::RegionalAdmin",
            Role::CountyAdmin => "Qianyue::CountyAdmin",
            Role::TeamMember => "Qianyue::TeamMember",
            Role::VillageDoctor => "Qianyue::VillageDoctor",
            Role::Inspector => "Qianyue::Inspector",
            Role::InsuranceOfficer => "Qianyue::InsuranceOfficer",
            Role::Finance => "Qianyue::Finance",
            Role::Resident => "Qianyue::Resident",
            Role::HospitalStaff => "Qianyue::HospitalStaff",
            Role::PolicyOfficer => "Qianyue::PolicyOfficer",
            Role::Plugin => "Qianyue::Plugin",
        }
    }

    /// What a principal of this role must name besides its subject.
    pub fn needs(self) -> (bool, bool) {
        let county = !matches!(self, Role::RegionalAdmin | Role::PolicyOfficer);
        let team = matches!(self, Role::TeamMember | Role::VillageDoctor);
        (county, team)
    }

    /// Whether a principal of this role names the institution it works at.
    pub fn needs_institution(self) -> bool {
        self == Role::HospitalStaff
    }
}

/// Who is asking: taken from a verified token, never from the request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    pub county: Option<String>,
    pub team: Option<String>,
    /// A team member's part in the team, when the token says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty: Option<MemberRole>,
    /// Hospital staff's institution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
}

impl Principal {
    /// A county's plugin, as the receiver of its residents' facts.
    pub fn plugin(county: &str) -> Principal {
        Principal {
            subject: county.to_owned(),
            role: Role::Plugin,
            county: Some(county.to_owned()),
            team: None,
            duty: None,
            institution: None,
        }
    }
}

/// Declares the actions: one per API operation, named as in the schema.
macro_rules! actions {
    ($($action:ident),* $(,)?) => {
        /// One action per API operation; the names are the schema's.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($action),*
        }

        impl Action {
            /// Every action, in the schema's order.
            pub const ALL: &[Action] = &[$(Action::$action),*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$action => stringify!($action)),*
                }
            }
        }
    };
}

actions! {
    ReadCounty,
    ViewCatalogue,
    ListTeams,
    ListResidents,
    ListUnsigned,
    ReadResident,
    ReadContract,
    ReadCitizenId,
    ReadPhone,
    ReadAddress,
    RegisterResident,
    RecordUnsignedReason,
    ImportResidents,
    RenewContracts,
    RegisterMember,
    CreateTeam,
    RegisterCommunity,
    SignContract,
    SignGroup,
    SwitchTeam,
    TerminateContract,
    ObjectToRenewal,
    RecordMoveOut,
    ReadMoveOutReports,
    RecordService,
    ReadSchedule,
    ReadWorkList,
    Refer,
    AnswerReferral,
    CancelReferral,
    FollowUpReferral,
    ReadReferral,
    ListReferrals,
    SetReferralCapacity,
    ReadReferralCapacity,
    SubmitClaim,
    ReadClaims,
    RecordSatisfaction,
    ReadAssessment,
    SettleTeams,
    ReadSettlements,
    ListPlugins,
    ReadPluginLimits,
    ReproducePrice,
    UploadPlugin,
    ShadowPlugin,
    ActivatePlugin,
    RollBackPlugin,
    SetPluginLimits,
    DiscloseAge,
    DiscloseSex,
    DiscloseTags,
    DiscloseName,
    DiscloseCitizenId,
    ReadPolicies,
    ValidatePolicies,
    TestPolicies,
    ReviewPolicyFlips,
    PublishPolicies,
    RollBackPolicies,
    AuditResident,
    AuditChanges,
}

impl Action {
    /// The action a schema name names.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

/// What an action is done to, with the facts policies look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource<'a> {
    /// The whole region: what region-wide questions (what changed) are about.
    Region,
    County {
        code: &'a str,
    },
    /// `team`: the team of the resident's active contract this period, if any.
    Resident {
        id: &'a str,
        county: &'a str,
        household: Option<&'a str>,
        team: Option<&'a str>,
    },
    Team {
        id: &'a str,
        county: &'a str,
        institution: &'a str,
    },
    /// A medical institution: a hospital's reserved capacity.
    Institution {
        id: &'a str,
        county: &'a str,
    },
    /// `institution`: the team's, when the kernel loaded it.
    Contract {
        id: &'a str,
        county: &'a str,
        team: &'a str,
        institution: Option<&'a str>,
        resident: &'a str,
    },
    /// A service record about to be made under a contract.
    ServiceRecord {
        id: &'a str,
        contract: &'a str,
        county: &'a str,
        team: &'a str,
        institution: Option<&'a str>,
        resident: &'a str,
    },
    /// A referral (about to be made) of a resident in `team`, which sends it
    /// up or receives it down; `institution`: the team's.
    Referral {
        id: &'a str,
        county: &'a str,
        team: &'a str,
        institution: &'a str,
        resident: &'a str,
        direction: Direction,
        sender: &'a str,
        receiver: &'a str,
    },
    /// A claim about to be adjudicated; `team`: the resident's on the day.
    Claim {
        id: &'a str,
        resident: &'a str,
        county: &'a str,
        household: Option<&'a str>,
        team: Option<&'a str>,
    },
    /// A county's settlement of a period.
    Settlement {
        county: &'a str,
        period: i32,
    },
    /// A county's plugin: its versions, limits and stored prices.
    Plugin {
        county: &'a str,
    },
    /// The region's policy set and its published versions.
    PolicySet,
}

impl Resource<'_> {
    fn entity_type(&self) -> &'static str {
        match self {
            Resource::Region => "Qianyue::Region",
            Resource::County { .. } => "Qianyue::County",
            Resource::Resident { .. } => "Qianyue::Resident",
            Resource::Team { .. } => "Qianyue::Team",
            Resource::Institution { .. } => "Qianyue::Institution",
            Resource::Referral { .. } => "Qianyue::Referral",
            Resource::Contract { .. } => "Qianyue::Contract",
            Resource::ServiceRecord { .. } => "Qianyue::ServiceRecord",
            Resource::Claim { .. } => "Qianyue::Claim",
            Resource::Settlement { .. } => "Qianyue::Settlement",
            Resource::Plugin { .. } => "Qianyue::Plugin",
            Resource::PolicySet => "Qianyue::PolicySet",
        }
    }
}

/// The county, team or institution of a thing that does not exist, when the
/// policies are asked about it: no county, team or institution has this id,
/// so a missing thing is refused to whoever would be refused a thing of
/// another county, and only a caller the policies allow it region-wide
/// learns that it is missing.
pub const NOWHERE: &str = "";

/// The policies refused; says what was asked, for the person refused.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("not allowed to {action} {resource}")]
pub struct Denied {
    pub action: &'static str,
    pub resource: String,
}

/// The schema or a policy is unusable; the message names the file and policy.
#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("cannot read the policy folder `{path}`: {message}")]
    Read { path: String, message: String },
    #[error("no schema: the policy folder needs one `.cedarschema` file")]
    NoSchema,
    #[error("the schema `{file}` is invalid: {message}")]
    Schema { file: String, message: String },
    #[error("`{file}` cannot be parsed: {message}")]
    Parse { file: String, message: String },
    #[error("policy `{policy}` is invalid: {message}")]
    Invalid { policy: String, message: String },
    #[error("two policies are both named `{0}`")]
    DuplicateId(String),
}

/// The validated policy set and its schema.
pub struct Authorizer {
    schema: Schema,
    /// The text of the schema, kept to build the next set against it.
    schema_file: (String, String),
    /// Policy file name → Cedar text: what a policy officer reads and edits.
    files: BTreeMap<String, String>,
    policies: PolicySet,
    /// Each action's policies, entity and types: see [`ActionPlan`].
    by_action: HashMap<Action, ActionPlan>,
    cedar: cedar_policy::Authorizer,
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Authorizer({} policies)", self.policies.policies().count())
    }
}

impl Authorizer {
    /// The schema and policies compiled into the kernel from `policies/`.
    pub fn bundled() -> Result<Self, PolicyError> {
        Self::from_files(crate::bundled::POLICY_FILES.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())))
    }

    /// Every `.cedarschema` and `.cedar` file of a folder.
    pub fn from_dir(dir: &Path) -> Result<Self, PolicyError> {
        let read_error =
            |e: std::io::Error| PolicyError::Read { path: dir.display().to_string(), message: e.to_string() };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            let is_cedar = matches!(path.extension().and_then(|e| e.to_str()), Some("cedar" | "cedarschema"));
            if is_cedar {
                let text = std::fs::read_to_string(&path).map_err(read_error)?;
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                files.push((name, text));
            }
        }
        files.sort();
        Self::from_files(files)
    }

    /// Parses and validates (strict mode). Policies are named
    /// `file.cedar#id`, where `id` is the `@id` annotation or the position.
    pub fn from_files(files: impl IntoIterator<Item = (String, String)>) -> Result<Self, PolicyError> {
        let (schemas, policy_files): (Vec<_>, Vec<_>) =
            files.into_iter().partition(|(n, _)| n.ends_with(".cedarschema"));
        let [schema_file] = schemas.as_slice() else {
            return Err(PolicyError::NoSchema);
        };
        let schema = Schema::from_cedarschema_str(&schema_file.1)
            .map(|(schema, _warnings)| schema)
            .map_err(|e| PolicyError::Schema { file: schema_file.0.clone(), message: cedar_message(&e) })?;
        Self::build(schema, schema_file.clone(), policy_files.into_iter().collect())
    }

    /// The same schema with other policy files: how a proposed set is
    /// validated (strict mode) before it may be published.
    pub fn with_policies(&self, files: BTreeMap<String, String>) -> Result<Self, PolicyError> {
        if let Some(name) = files.keys().find(|n| !n.ends_with(".cedar")) {
            return Err(PolicyError::Parse {
                file: name.clone(),
                message: "policy files are named `*.cedar`; the schema is the kernel's and is not edited here".into(),
            });
        }
        Self::build(self.schema.clone(), self.schema_file.clone(), files)
    }

    fn build(
        schema: Schema,
        schema_file: (String, String),
        files: BTreeMap<String, String>,
    ) -> Result<Self, PolicyError> {
        let mut policies = PolicySet::new();
        for (file, text) in &files {
            let parsed = PolicySet::from_str(text)
                .map_err(|e| PolicyError::Parse { file: file.clone(), message: cedar_message(&e) })?;
            for (position, policy) in parsed.policies().enumerate() {
                let local = policy.annotation("id").map_or_else(|| position.to_string(), str::to_owned);
                let id = format!("{file}#{local}");
                policies.add(policy.new_id(PolicyId::new(&id))).map_err(|_| PolicyError::DuplicateId(id.clone()))?;
            }
        }

        let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if let Some(error) = result.validation_errors().next() {
            return Err(PolicyError::Invalid { policy: error.policy_id().to_string(), message: cedar_message(error) });
        }
        let by_action = plan(&schema, &policies);
        Ok(Authorizer { schema, schema_file, files, policies, by_action, cedar: cedar_policy::Authorizer::new() })
    }

    pub fn policy_count(&self) -> usize {
        self.policies.policies().count()
    }

    /// The policy files, by name.
    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// Allowed, or denied with what was asked. Errors building the request
    /// (a fact that does not fit the schema) deny too: default deny.
    pub fn decide(&self, principal: &Principal, action: Action, resource: &Resource<'_>) -> Result<(), Denied> {
        self.decide_why(principal, action, resource).0
    }

    /// [`Authorizer::decide`], with the ids of the policies that decided
    /// (those that permitted, or a forbid that denied; none for a default deny).
    pub fn decide_why(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource<'_>,
    ) -> (Result<(), Denied>, Vec<String>) {
        let (decision, why) = self.evaluate(principal, action, resource).unwrap_or((Decision::Deny, Vec::new()));
        match decision {
            Decision::Allow => (Ok(()), why),
            Decision::Deny => (Err(Denied { action: action.name(), resource: describe(resource) }), why),
        }
    }

    /// The first of `facts` (`Disclose…` actions) the policies do not let
    /// `county`'s plugin be told about the county's residents.
    pub fn withheld_from_plugin(&self, county: &str, facts: &[Action]) -> Option<Action> {
        let plugin = Principal::plugin(county);
        facts.iter().copied().find(|&fact| self.decide(&plugin, fact, &Resource::County { code: county }).is_err())
    }

    /// Cedar's decision and reasons; `None` when the request cannot be
    /// built (a fact that does not fit the schema).
    fn evaluate(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource<'_>,
    ) -> Option<(Decision, Vec<String>)> {
        let plan = self.by_action.get(&action)?;
        let principal_type = principal.role.entity_type();
        if !plan.principals.contains(principal_type) || !plan.resources.contains(resource.entity_type()) {
            return None;
        }
        // The entities are built here to the schema's shape (the tests check
        // every role and resource against the schema-checked path), so they
        // are not checked again on every decision.
        let mut entities = Vec::with_capacity(4);
        let (principal_uid, resource_uid) = request_entities(principal, resource, &mut entities)?;
        entities.push(plan.entity.clone());
        let entities = Entities::from_entities(entities, None).ok()?;
        let request = Request::new(principal_uid, plan.uid.clone(), resource_uid, Context::empty(), None).ok()?;
        let response = self.cedar.is_authorized(&request, &plan.policies, &entities);
        let why = response.diagnostics().reason().map(ToString::to_string).collect();
        Some((response.decision(), why))
    }
}

/// The id of the one `Region` entity: the kernel serves one region.
const REGION: &str = "region";
/// The id of the one `PolicySet` entity: the region has one set in force.
const POLICY_SET: &str = "policies";

/// The policy set in force and the published version it is, replaced whole
/// when a newer version is published (by this kernel or another sharing the
/// database); each decision uses one set from start to end.
pub struct Policies {
    current: RwLock<(i64, Arc<Authorizer>)>,
    /// Audited decisions not yet written: the kernel writes them in batches
    /// (`Kernel::flush_audit`), so that deciding never waits on the disk.
    unwritten: Mutex<Vec<AuditRecord>>,
}

impl Policies {
    /// The set the kernel started with, as version 0 until it reads the
    /// published versions.
    pub fn new(authorizer: Authorizer) -> Self {
        Policies { current: RwLock::new((0, Arc::new(authorizer))), unwritten: Mutex::default() }
    }

    pub fn current(&self) -> Arc<Authorizer> {
        match self.current.read() {
            Ok(current) => current.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// The published version in force (0: none read yet).
    pub fn version(&self) -> i64 {
        match self.current.read() {
            Ok(current) => current.0,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    pub fn replace(&self, version: i64, authorizer: Authorizer) {
        let next = (version, Arc::new(authorizer));
        match self.current.write() {
            Ok(mut current) => *current = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }

    /// See [`Authorizer::decide`]; an audited action's decision is kept
    /// for the audit log.
    pub fn decide(&self, principal: &Principal, action: Action, resource: &Resource<'_>) -> Result<(), Denied> {
        let (version, set) = match self.current.read() {
            Ok(current) => (current.0, current.1.clone()),
            Err(poisoned) => (poisoned.get_ref().0, poisoned.get_ref().1.clone()),
        };
        if !action.audited() {
            return set.decide(principal, action, resource);
        }
        let (decision, why) = set.decide_why(principal, action, resource);
        let at =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let record = AuditRecord::new(at, principal, action, resource, decision.is_ok(), why, version);
        match self.unwritten.lock() {
            Ok(mut unwritten) => unwritten.push(record),
            Err(poisoned) => poisoned.into_inner().push(record),
        }
        decision
    }

    /// Puts back decisions that could not be written, before any newer ones.
    pub fn keep_audit(&self, mut records: Vec<AuditRecord>) {
        let mut unwritten = match self.unwritten.lock() {
            Ok(unwritten) => unwritten,
            Err(poisoned) => poisoned.into_inner(),
        };
        records.append(&mut unwritten);
        *unwritten = records;
    }

    /// The audited decisions made since the last call, oldest first.
    pub fn take_audit(&self) -> Vec<AuditRecord> {
        match self.unwritten.lock() {
            Ok(mut unwritten) => std::mem::take(&mut *unwritten),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

/// Cedar's own message with its help line, which policy officers can act on.
fn cedar_message(error: &dyn miette::Diagnostic) -> String {
    let mut message = error.to_string();
    if let Some(help) = error.help() {
        message.push_str(&format!(" (help: {help})"));
    }
    message
}

fn describe(resource: &Resource<'_>) -> String {
    match resource {
        Resource::Region => "the region".into(),
        Resource::County { code } => format!("county `{code}`"),
        Resource::Resident { id, .. } => format!("resident `{id}`"),
        Resource::Team { id, .. } => format!("team `{id}`"),
        Resource::Institution { id, .. } => format!("institution `{id}`"),
        Resource::Referral { resident, direction, .. } => {
            format!("a referral {} of resident `{resident}`", crate::serde_name(direction))
        }
        Resource::Contract { team, resident, .. } => {
            format!("a contract of team `{team}` for resident `{resident}`")
        }
        Resource::ServiceRecord { contract, .. } => format!("a service record of contract `{contract}`"),
        Resource::Claim { resident, .. } => format!("a claim of resident `{resident}`"),
        Resource::Settlement { county, period } => format!("the settlement of county `{county}` for {period}"),
        Resource::Plugin { county } => format!("the plugin of county `{county}`"),
        Resource::PolicySet => "the policies".into(),
    }
}

/// What deciding one action needs, worked out once when a set is built so
/// that a decision builds only the request's own entities.
struct ActionPlan {
    /// The policies whose scope can match the action, directly or through
    /// an action group: Cedar evaluates every policy it is given.
    policies: PolicySet,
    uid: EntityUid,
    /// The action's entity, its groups as ancestors, for `action in …`.
    entity: Entity,
    /// The principal and resource types the schema applies the action to.
    /// Checking them here is the schema's request check, without its cost;
    /// a request outside them is denied.
    principals: HashSet<String>,
    resources: HashSet<String>,
}

fn plan(schema: &Schema, policies: &PolicySet) -> HashMap<Action, ActionPlan> {
    let Ok(actions) = schema.action_entities() else { return HashMap::new() };
    let mut plans = HashMap::new();
    for &action in Action::ALL {
        let Some(this) = uid("Qianyue::Action", action.name()) else { continue };
        let Some(entity) = actions.get(&this).cloned() else { continue };
        let mut matching: Vec<EntityUid> = vec![this.clone()];
        matching.extend(actions.ancestors(&this).into_iter().flatten().cloned());
        let mut set = PolicySet::new();
        for policy in policies.policies() {
            let applies = match policy.action_constraint() {
                ActionConstraint::Any => true,
                ActionConstraint::Eq(named) => matching.contains(&named),
                ActionConstraint::In(named) => named.iter().any(|n| matching.contains(n)),
            };
            if applies {
                // The ids are unique in `policies`, so adding cannot fail.
                let _ = set.add(policy.clone());
            }
        }
        let principals = schema.principals_for_action(&this).into_iter().flatten().map(ToString::to_string).collect();
        let resources = schema.resources_for_action(&this).into_iter().flatten().map(ToString::to_string).collect();
        plans.insert(action, ActionPlan { policies: set, uid: this, entity, principals, resources });
    }
    plans
}

fn uid(type_name: &str, id: &str) -> Option<EntityUid> {
    Some(EntityUid::from_type_name_and_id(parsed_type(type_name)?, EntityId::new(id)))
}

/// The type names requests use, parsed once: parsing one costs about as
/// much as evaluating a policy.
fn parsed_type(name: &str) -> Option<EntityTypeName> {
    const TYPES: [&str; 21] = [
        "Qianyue::Region",
        "Qianyue::County",
        "Qianyue::Institution",
        "Qianyue::Team",
        "Qianyue::Household",
        "Qianyue::Resident",
        "Qianyue::Contract",
        "Qianyue::ServiceRecord",
        "Qianyue::Claim",
        "Qianyue::Settlement",
        "Qianyue::Plugin",
        "Qianyue::PolicySet",
        "Qianyue::RegionalAdmin",
        "Qianyue::CountyAdmin",
        "Qianyue::TeamMember",
        "Qianyue::VillageDoctor",
        "Qianyue::Inspector",
        "Qianyue::InsuranceOfficer",
        "Qianyue::Finance",
        "Qianyue::PolicyOfficer",
        "Qianyue::Action",
    ];
    static PARSED: LazyLock<HashMap<&str, EntityTypeName>> =
        LazyLock::new(|| TYPES.iter().filter_map(|name| Some((*name, EntityTypeName::from_str(name).ok()?))).collect());
    PARSED.get(name).cloned().or_else(|| EntityTypeName::from_str(name).ok())
}

fn entity_ref(type_name: &str, id: &str) -> Option<RestrictedExpression> {
    uid(type_name, id).map(RestrictedExpression::new_entity_uid)
}

fn principal_uid(p: &Principal) -> Option<EntityUid> {
    uid(p.role.entity_type(), &p.subject)
}

fn principal_entity(p: &Principal) -> Option<Entity> {
    let mut attrs = HashMap::new();
    let mut parents = HashSet::new();
    let (needs_county, needs_team) = p.role.needs();
    if needs_county {
        let county = p.county.as_deref()?;
        attrs.insert("county".into(), entity_ref("Qianyue::County", county)?);
        if matches!(p.role, Role::Resident | Role::Plugin) {
            parents.insert(uid("Qianyue::County", county)?);
        }
    }
    if needs_team {
        attrs.insert("team".into(), entity_ref("Qianyue::Team", p.team.as_deref()?)?);
    }
    if p.role.needs_institution() {
        attrs.insert("institution".into(), entity_ref("Qianyue::Institution", p.institution.as_deref()?)?);
    }
    if let (Role::TeamMember, Some(duty)) = (p.role, p.duty) {
        attrs.insert("duty".into(), RestrictedExpression::new_string(duty.name().to_owned()));
    }
    Entity::new(principal_uid(p)?, attrs, parents).ok()
}

/// Adds the principal's and the resource's entities (with the resource's
/// parents that policies may name) and returns their UIDs.
fn request_entities(
    principal: &Principal,
    resource: &Resource<'_>,
    entities: &mut Vec<Entity>,
) -> Option<(EntityUid, EntityUid)> {
    let resource_uid = resource_entity(resource, entities)?;
    let principal_uid = principal_uid(principal)?;
    // A resident asking about themself is one entity, the resource's.
    if principal_uid != resource_uid {
        entities.push(principal_entity(principal)?);
    }
    Some((principal_uid, resource_uid))
}

/// Adds the resource's entity (with its parents) and returns its UID.
fn resource_entity(resource: &Resource<'_>, entities: &mut Vec<Entity>) -> Option<EntityUid> {
    let county_ref = |county| entity_ref("Qianyue::County", county);
    let (uid, attrs, parents) = match *resource {
        Resource::Region => (uid("Qianyue::Region", REGION)?, HashMap::new(), HashSet::new()),
        Resource::County { code } => (uid("Qianyue::County", code)?, HashMap::new(), HashSet::new()),
        Resource::Resident { id, county, household, team } => {
            let mut attrs = HashMap::from([("county".into(), county_ref(county)?)]);
            if let Some(team) = team {
                attrs.insert("team".into(), entity_ref("Qianyue::Team", team)?);
            }
            let mut parents = HashSet::from([uid("Qianyue::County", county)?]);
            if let Some(household) = household {
                parents.insert(uid("Qianyue::Household", household)?);
                entities.push(
                    Entity::new(
                        uid("Qianyue::Household", household)?,
                        HashMap::new(),
                        HashSet::from([uid("Qianyue::County", county)?]),
                    )
                    .ok()?,
                );
            }
            (uid("Qianyue::Resident", id)?, attrs, parents)
        }
        Resource::Contract { id, county, team, institution, resident } => {
            // The team's place in its institution, so a policy can say
            // `resource in Qianyue::Institution::"…"`.
            if let Some(institution) = institution {
                let in_county = HashSet::from([uid("Qianyue::County", county)?]);
                let institution = uid("Qianyue::Institution", institution)?;
                entities.push(Entity::new(institution.clone(), HashMap::new(), in_county.clone()).ok()?);
                let mut parents = in_county;
                parents.insert(institution);
                entities.push(Entity::new(uid("Qianyue::Team", team)?, HashMap::new(), parents).ok()?);
            }
            (
                uid("Qianyue::Contract", id)?,
                HashMap::from([
                    ("county".into(), county_ref(county)?),
                    ("team".into(), entity_ref("Qianyue::Team", team)?),
                    ("resident".into(), entity_ref("Qianyue::Resident", resident)?),
                ]),
                HashSet::from([uid("Qianyue::Team", team)?, uid("Qianyue::County", county)?]),
            )
        }
        Resource::Team { id, county, institution } => {
            let in_county = HashSet::from([uid("Qianyue::County", county)?]);
            let institution = uid("Qianyue::Institution", institution)?;
            entities.push(Entity::new(institution.clone(), HashMap::new(), in_county.clone()).ok()?);
            let mut parents = in_county;
            parents.insert(institution);
            (uid("Qianyue::Team", id)?, HashMap::new(), parents)
        }
        Resource::Institution { id, county } => {
            (uid("Qianyue::Institution", id)?, HashMap::new(), HashSet::from([uid("Qianyue::County", county)?]))
        }
        Resource::Referral { id, county, team, institution, resident, direction, sender, receiver } => {
            let team = resource_entity(&Resource::Team { id: team, county, institution }, entities)?;
            (
                uid("Qianyue::Referral", id)?,
                HashMap::from([
                    ("direction".into(), RestrictedExpression::new_string(crate::serde_name(&direction))),
                    ("team".into(), RestrictedExpression::new_entity_uid(team.clone())),
                    ("resident".into(), entity_ref("Qianyue::Resident", resident)?),
                    ("sender".into(), entity_ref("Qianyue::Institution", sender)?),
                    ("receiver".into(), entity_ref("Qianyue::Institution", receiver)?),
                ]),
                HashSet::from([team, uid("Qianyue::County", county)?]),
            )
        }
        Resource::ServiceRecord { id, contract, county, team, institution, resident } => {
            let contract =
                resource_entity(&Resource::Contract { id: contract, county, team, institution, resident }, entities)?;
            (uid("Qianyue::ServiceRecord", id)?, HashMap::new(), HashSet::from([contract]))
        }
        Resource::Claim { id, resident, county, household, team } => {
            let resident = resource_entity(&Resource::Resident { id: resident, county, household, team }, entities)?;
            let mut attrs =
                HashMap::from([("resident".into(), RestrictedExpression::new_entity_uid(resident.clone()))]);
            if let Some(team) = team {
                attrs.insert("team".into(), entity_ref("Qianyue::Team", team)?);
            }
            (uid("Qianyue::Claim", id)?, attrs, HashSet::from([resident, uid("Qianyue::County", county)?]))
        }
        Resource::Settlement { county, period } => (
            uid("Qianyue::Settlement", &format!("{county}/{period}"))?,
            HashMap::new(),
            HashSet::from([uid("Qianyue::County", county)?]),
        ),
        Resource::Plugin { county } => (
            uid("Qianyue::Plugin", county)?,
            HashMap::from([("county".into(), county_ref(county)?)]),
            HashSet::from([uid("Qianyue::County", county)?]),
        ),
        Resource::PolicySet => {
            (uid("Qianyue::PolicySet", POLICY_SET)?, HashMap::new(), HashSet::from([uid("Qianyue::Region", REGION)?]))
        }
    };
    entities.push(Entity::new(uid.clone(), attrs, parents).ok()?);
    Some(uid)
}

#[cfg(test)]
mod tests;
