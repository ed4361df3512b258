//! Policies as data (政策即数据): the policy set in force is the newest
//! version published in the database, so that a policy officer's change
//! reaches every kernel sharing it within seconds, without a restart, and
//! every earlier set stays readable and restorable.
//!
//! A set is checked before it is stored: it must parse and validate against
//! the kernel's schema in strict mode, and must leave its publisher able to
//! publish again. An invalid set is refused with Cedar's message and the set
//! in force is untouched.

use std::collections::BTreeMap;

use super::{Kernel, KernelError, not_found};
use serde::Serialize;
use utoipa::ToSchema;

use crate::authz::cases::{self, CaseOutcome};
use crate::authz::{Action, AuditRecord, Authorizer, Principal, Resource};
use crate::store::{NewPolicyVersion, PolicyVersion};

/// How many of the latest real decisions a "would flip" report takes again.
pub const FLIP_WINDOW: usize = 10_000;

/// What a proposed set would do to the latest real decisions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlipReport {
    /// Decisions taken again.
    pub checked: usize,
    /// Those the proposed set decides the other way, newest first.
    pub flips: Vec<Flip>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Flip {
    /// The decision as it was taken.
    pub decision: AuditRecord,
    /// The policies of the proposed set that would decide it.
    pub would_be_decided_by: Vec<String>,
}

impl Kernel {
    /// Reads the newest published set and puts it in force if it is newer
    /// than the one in force. On a database where none was published yet,
    /// publishes the set the kernel started with as version 1, so that
    /// there is always a history to roll back to.
    pub async fn load_policies(&self) -> Result<(), KernelError> {
        let latest = match self.store.latest_policy_version().await? {
            Some(latest) => latest,
            None => {
                let files = self.authz.current().files().clone();
                let first = NewPolicyVersion {
                    based_on: 0,
                    files: &files,
                    published_by: "kernel",
                    reason: "the policies the kernel first started with",
                    restores: None,
                };
                match self.store.publish_policy_version(&first).await? {
                    Ok(first) => first,
                    // Another kernel published first: read what it published.
                    Err(_) => return Box::pin(self.load_policies()).await,
                }
            }
        };
        if latest.version == self.authz.version() {
            return Ok(());
        }
        match self.authz.current().with_policies(latest.files) {
            Ok(set) => {
                tracing::info!(version = latest.version, policies = set.policy_count(), "policy set in force");
                self.authz.replace(latest.version, set);
            }
            // Only a hand edit of the database gets here: keep deciding by the last good set.
            Err(e) => {
                tracing::error!(version = latest.version, error = %e, "published policy set unusable; kept the one in force")
            }
        }
        Ok(())
    }

    /// Every published version, newest first.
    pub async fn policy_versions(&self, who: &Principal) -> Result<Vec<PolicyVersion>, KernelError> {
        self.authz.decide(who, Action::ReadPolicies, &Resource::PolicySet)?;
        Ok(self.store.policy_versions().await?)
    }

    pub async fn policy_version(&self, who: &Principal, version: i64) -> Result<PolicyVersion, KernelError> {
        self.authz.decide(who, Action::ReadPolicies, &Resource::PolicySet)?;
        let found = self.store.policy_version(version).await?;
        found.ok_or_else(|| not_found("policy version", &version.to_string()))
    }

    /// Checks a proposed set without publishing it: the number of policies
    /// it holds, or Cedar's message.
    pub fn validate_policies(&self, who: &Principal, files: BTreeMap<String, String>) -> Result<usize, KernelError> {
        self.authz.decide(who, Action::ValidatePolicies, &Resource::PolicySet)?;
        Ok(self.checked_policies(who, files)?.policy_count())
    }

    /// Runs the shipped policy cases (`policies/tests`) and `own_cases`
    /// (file name, JSON text) against a proposed set.
    pub fn test_policies(
        &self,
        who: &Principal,
        files: BTreeMap<String, String>,
        own_cases: &[(String, String)],
    ) -> Result<Vec<CaseOutcome>, KernelError> {
        self.authz.decide(who, Action::TestPolicies, &Resource::PolicySet)?;
        let set = self.checked_policies(who, files)?;
        let mut cases: Vec<(String, String)> =
            crate::bundled::POLICY_CASES.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
        cases.extend_from_slice(own_cases);
        cases::run(&set, &cases).map_err(|e| KernelError::Invalid(e.to_string()))
    }

    /// Takes the latest `last` real decisions (at most [`FLIP_WINDOW`])
    /// again under a proposed set and lists those it would decide the
    /// other way: what a change does before it takes effect.
    pub async fn policy_flips(
        &self,
        who: &Principal,
        files: BTreeMap<String, String>,
        last: usize,
    ) -> Result<FlipReport, KernelError> {
        // The report shows who did what to whom: an audit question.
        self.authz.decide(who, Action::ReviewPolicyFlips, &Resource::PolicySet)?;
        let set = self.checked_policies(who, files)?;
        self.flush_audit().await?;
        let decisions = self.store.recent_audit(last.min(FLIP_WINDOW)).await?;
        let checked = decisions.len();
        let flips = decisions
            .into_iter()
            .filter_map(|decision| {
                let action = Action::from_name(&decision.action)?;
                let principal = decision.facts.principal.principal(&decision.principal);
                let (now, why) = set.decide_why(&principal, action, &decision.facts.resource.resource());
                (now.is_ok() != decision.allowed).then_some(Flip { decision, would_be_decided_by: why })
            })
            .collect();
        Ok(FlipReport { checked, flips })
    }

    /// Publishes a set as the version after `based_on`, the version the
    /// officer edited: if another was published since, nothing is stored
    /// and the officer is told to start from the newer one.
    pub async fn publish_policies(
        &self,
        who: &Principal,
        files: BTreeMap<String, String>,
        based_on: i64,
        reason: &str,
    ) -> Result<PolicyVersion, KernelError> {
        self.authz.decide(who, Action::PublishPolicies, &Resource::PolicySet)?;
        self.publish(who, files, based_on, reason, None).await
    }

    /// Publishes the files of an earlier version again, as a new version.
    pub async fn roll_back_policies(
        &self,
        who: &Principal,
        to_version: i64,
        reason: &str,
    ) -> Result<PolicyVersion, KernelError> {
        self.authz.decide(who, Action::RollBackPolicies, &Resource::PolicySet)?;
        let earlier = self.policy_version(who, to_version).await?;
        let newest = self.store.latest_policy_version().await?.map_or(0, |v| v.version);
        self.publish(who, earlier.files, newest, reason, Some(to_version)).await
    }

    async fn publish(
        &self,
        who: &Principal,
        files: BTreeMap<String, String>,
        based_on: i64,
        reason: &str,
        restores: Option<i64>,
    ) -> Result<PolicyVersion, KernelError> {
        if reason.trim().is_empty() {
            return Err(KernelError::Invalid("publishing policies needs a reason".into()));
        }
        self.checked_policies(who, files.clone())?;
        let new = NewPolicyVersion { based_on, files: &files, published_by: &who.subject, reason, restores };
        let published = self
            .store
            .publish_policy_version(&new)
            .await?
            .map_err(|newest| KernelError::PoliciesSuperseded { based_on, newest })?;
        self.load_policies().await?;
        Ok(published)
    }

    /// The set `files` would make, refused if it is invalid or would stop
    /// `who` from publishing again.
    fn checked_policies(&self, who: &Principal, files: BTreeMap<String, String>) -> Result<Authorizer, KernelError> {
        let set =
            self.authz.current().with_policies(files).map_err(|e| KernelError::PoliciesRejected(e.to_string()))?;
        if set.decide(who, Action::PublishPolicies, &Resource::PolicySet).is_err() && self.may_publish(who) {
            return Err(KernelError::PoliciesRejected(format!(
                "this set would deny `{}` the right to publish policies, and nobody could undo it",
                who.subject
            )));
        }
        Ok(set)
    }

    fn may_publish(&self, who: &Principal) -> bool {
        self.authz.decide(who, Action::PublishPolicies, &Resource::PolicySet).is_ok()
    }
}
