//! Published policy sets and their history: the set every kernel sharing the
//! database decides by is the newest row. Rows are only ever added; a
//! rollback adds the files of an earlier version again.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, events, text};

/// The event stream policy publications are recorded in.
const STREAM: &str = "policies";

/// A published policy set (政策版本).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PolicyVersion {
    /// 1 for the first set published, one more for each after it.
    pub version: i64,
    pub published_at: String,
    pub published_by: String,
    pub reason: String,
    /// For a rollback, the version whose files it published again.
    pub restores: Option<i64>,
    /// Policy file name → Cedar text.
    pub files: BTreeMap<String, String>,
}

/// A set about to be published.
#[derive(Debug, Clone)]
pub struct NewPolicyVersion<'a> {
    /// The version the change was made against: publishing succeeds only
    /// if it is still the newest (0 when none was published yet).
    pub based_on: i64,
    pub files: &'a BTreeMap<String, String>,
    pub published_by: &'a str,
    pub reason: &'a str,
    pub restores: Option<i64>,
}

impl Store {
    /// The set in force, if one was ever published.
    pub async fn latest_policy_version(&self) -> Result<Option<PolicyVersion>, StoreError> {
        let row = sqlx::query("SELECT * FROM policy_versions ORDER BY version DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(policy_version).transpose()
    }

    pub async fn policy_version(&self, version: i64) -> Result<Option<PolicyVersion>, StoreError> {
        let row = sqlx::query("SELECT * FROM policy_versions WHERE version = $1")
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(policy_version).transpose()
    }

    /// Every published version, newest first.
    pub async fn policy_versions(&self) -> Result<Vec<PolicyVersion>, StoreError> {
        let rows = sqlx::query("SELECT * FROM policy_versions ORDER BY version DESC").fetch_all(&self.pool).await?;
        rows.iter().map(policy_version).collect()
    }

    /// Publishes a set as the version after `based_on`; `Ok(Err(newest))`
    /// when another version was published first, so that two officers'
    /// changes never silently overwrite each other.
    pub async fn publish_policy_version(
        &self,
        new: &NewPolicyVersion<'_>,
    ) -> Result<Result<PolicyVersion, i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let newest: Option<i64> =
            sqlx::query("SELECT MAX(version) AS v FROM policy_versions").fetch_one(&mut *tx).await?.try_get("v")?;
        let newest = newest.unwrap_or(0);
        if newest != new.based_on {
            return Ok(Err(newest));
        }
        let files = events::json(new.files)?;
        let at = events::now();
        let inserted = sqlx::query(
            "INSERT INTO policy_versions (version, files, published_at, published_by, reason, restores)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(newest + 1)
        .bind(&files)
        .bind(&at)
        .bind(new.published_by)
        .bind(new.reason)
        .bind(new.restores)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            // PostgreSQL: a replica published the same version number first.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(Err(newest + 1)),
            Err(e) => return Err(e.into()),
        }
        let payload =
            json!({ "version": newest + 1, "restores": new.restores, "files": new.files.keys().collect::<Vec<_>>() });
        events::append(&mut tx, STREAM, "policy.published", &payload, new.published_by, Some(new.reason)).await?;
        tx.commit().await?;
        Ok(Ok(PolicyVersion {
            version: newest + 1,
            published_at: at,
            published_by: new.published_by.to_owned(),
            reason: new.reason.to_owned(),
            restores: new.restores,
            files: new.files.clone(),
        }))
    }
}

fn policy_version(r: &AnyRow) -> Result<PolicyVersion, StoreError> {
    let files = text(r, "files")?;
    Ok(PolicyVersion {
        version: r.try_get("version")?,
        published_at: text(r, "published_at")?,
        published_by: text(r, "published_by")?,
        reason: text(r, "reason")?,
        restores: r.try_get("restores")?,
        files: serde_json::from_str(&files).map_err(|_| StoreError::Corrupt {
            table: "policy_versions",
            column: "files",
            value: files.chars().take(80).collect(),
        })?,
    })
}
