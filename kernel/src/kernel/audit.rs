//! The audit log's two sides: the decisions `authz` keeps are written to the
//! store in batches, and an auditor asks who touched a resident's data and
//! what changed in the region's rules on a day.

use time::Date;

use super::{Kernel, KernelError};
use crate::authz::{Action, AuditRecord, Principal, Resource};
use crate::store::Event;

impl Kernel {
    /// Writes the decisions kept since the last call. If the database
    /// refuses them they are kept for the next call: none is dropped.
    pub async fn flush_audit(&self) -> Result<(), KernelError> {
        let records = self.authz.take_audit();
        if let Err(e) = self.store.append_audit(&records).await {
            self.authz.keep_audit(records);
            return Err(e.into());
        }
        Ok(())
    }

    /// Every decision on a resident's data, oldest first: who read it, who
    /// changed it, who was refused.
    pub async fn audit_of_resident(&self, who: &Principal, resident: &str) -> Result<Vec<AuditRecord>, KernelError> {
        self.resident_for(who, Action::AuditResident, resident).await?;
        self.flush_audit().await?;
        Ok(self.store.audit_of_resident(resident).await?)
    }

    /// What changed in the region's rules on `day`, the region's day (from
    /// 00:00 to 24:00 China time): policy versions, plugin versions,
    /// activations, rollbacks and limits.
    pub async fn rule_changes_on(&self, who: &Principal, day: Date) -> Result<Vec<Event>, KernelError> {
        self.authz.decide(who, Action::AuditChanges, &Resource::Region)?;
        let from = day.midnight().assume_offset(super::CHINA_STANDARD_TIME);
        Ok(self.store.rule_changes_between(from, from + time::Duration::DAY).await?)
    }
}
