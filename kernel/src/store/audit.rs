//! The audit log: decisions written in batches, and the two questions an
//! auditor asks of it — who touched a resident's data, and what changed in
//! the region's rules on a given day.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::events::{Event, event};
use super::{Store, StoreError, text};
use crate::authz::AuditRecord;

const COLUMNS: usize = 11;

impl Store {
    /// Appends decisions, oldest first, in one transaction.
    pub async fn append_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for chunk in records.chunks(super::rows_per_statement(COLUMNS)) {
            let sql = format!(
                "INSERT INTO audit_log (at, principal, role, action, resource, resident, county, decision, policies, policy_version, facts) VALUES {}",
                super::placeholders(chunk.len(), COLUMNS, 1)
            );
            let mut query = sqlx::query(super::bulk_sql(self.backend, &sql));
            for r in chunk {
                let policies = serde_json::to_string(&r.policies).unwrap_or_else(|_| "[]".into());
                let facts = serde_json::to_string(&r.facts).unwrap_or_default();
                query = query
                    .bind(&r.at)
                    .bind(&r.principal)
                    .bind(&r.role)
                    .bind(&r.action)
                    .bind(&r.resource)
                    .bind(&r.resident)
                    .bind(&r.county)
                    .bind(if r.allowed { "allow" } else { "deny" })
                    .bind(policies)
                    .bind(r.policy_version)
                    .bind(facts);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every decision on a resident's data (reads, changes, refusals), oldest first.
    pub async fn audit_of_resident(&self, resident: &str) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE resident = $1 ORDER BY seq")
            .bind(resident)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    /// The latest `limit` decisions, newest first.
    pub async fn recent_audit(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq DESC LIMIT $1")
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    /// The changes to the region's rules from `from` until before `until`:
    /// policy versions published, plugin versions uploaded, activated and
    /// rolled back, limits set.
    pub async fn rule_changes_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<Event>, StoreError> {
        // Events' `at` is RFC 3339 in UTC, so text order is time order once
        // the bounds stop before the seconds' fraction and the `Z`.
        let utc = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let bound = |t: OffsetDateTime| t.to_offset(time::UtcOffset::UTC).format(utc).unwrap_or_default();
        let rows = sqlx::query(
            "SELECT seq, stream, kind, payload, actor, at, reason FROM events
             WHERE (stream = 'policies' OR stream LIKE 'plugin:%') AND at >= $1 AND at < $2 ORDER BY seq",
        )
        .bind(bound(from))
        .bind(bound(until))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event).collect()
    }
}

fn record(r: &AnyRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        at: text(r, "at")?,
        principal: text(r, "principal")?,
        role: text(r, "role")?,
        action: text(r, "action")?,
        resource: text(r, "resource")?,
        resident: r.try_get("resident")?,
        county: r.try_get("county")?,
        allowed: text(r, "decision")? == "allow",
        policies: json(r, "policies")?,
        policy_version: r.try_get("policy_version")?,
        facts: json(r, "facts")?,
    })
}

fn json<T: serde::de::DeserializeOwned>(r: &AnyRow, column: &'static str) -> Result<T, StoreError> {
    let value = text(r, column)?;
    serde_json::from_str(&value).map_err(|_| StoreError::Corrupt {
        table: "audit_log",
        column,
        value: value.chars().take(80).collect(),
    })
}
