//! Plugin components, versions and activations: what the plugin lifecycle
//! stores, so that every stored price can be recomputed by the version that
//! made it and every kernel start (or replica) loads the same plugins.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::Date;

use super::events;
use super::{Store, StoreError, date, date_text, text};

/// A stored plugin version, without its component's bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StoredVersion {
    /// The version's identity: what contracts record as `plugin_hash`.
    pub hash: String,
    pub county_code: String,
    /// SHA-256 of the component's bytes.
    pub component: String,
    /// The world the component was built for.
    pub world: String,
    /// The plugin's own version label.
    pub version: String,
    /// The county's configuration document.
    pub config: String,
    pub uploaded_at: String,
    pub uploaded_by: String,
}

/// A county's use of a version from a day on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StoredActivation {
    pub id: i64,
    pub county_code: String,
    pub version_hash: String,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub effective_from: Date,
    pub activated_at: String,
    pub activated_by: String,
    pub rolled_back_at: Option<String>,
}

const VERSION_COLUMNS: &str =
    "v.hash, v.county_code, v.component, c.world, v.version, v.config, v.uploaded_at, v.uploaded_by";
const ACTIVATION_COLUMNS: &str =
    "id, county_code, version_hash, effective_from, activated_at, activated_by, rolled_back_at";

impl Store {
    /// Stores a version and its component unless they are stored already;
    /// `true` if the version is new.
    pub async fn save_plugin_version(&self, v: &StoredVersion, bytes: &[u8]) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO plugin_components (sha256, bytes, world, uploaded_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&v.component)
        .bind(bytes.to_vec())
        .bind(&v.world)
        .bind(&v.uploaded_at)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO plugin_versions (hash, county_code, component, config, version, uploaded_at, uploaded_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hash) DO NOTHING",
        )
        .bind(&v.hash)
        .bind(&v.county_code)
        .bind(&v.component)
        .bind(&v.config)
        .bind(&v.version)
        .bind(&v.uploaded_at)
        .bind(&v.uploaded_by)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            let payload = json!({ "hash": v.hash, "component": v.component, "version": v.version, "world": v.world });
            events::append(&mut tx, &stream(&v.county_code), "plugin.uploaded", &payload, &v.uploaded_by, None).await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// A version with its component's bytes.
    pub async fn plugin_version(&self, hash: &str) -> Result<Option<(StoredVersion, Vec<u8>)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS}, c.bytes FROM plugin_versions v JOIN plugin_components c ON c.sha256 = v.component
             WHERE v.hash = $1"
        )))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((version(&r)?, r.try_get("bytes")?))).transpose()
    }

    /// A county's versions, newest first.
    pub async fn plugin_versions(&self, county: &str) -> Result<Vec<StoredVersion>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions v JOIN plugin_components c ON c.sha256 = v.component
             WHERE v.county_code = $1 ORDER BY v.uploaded_at DESC, v.hash"
        )))
        .bind(county)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version).collect()
    }

    /// Records that `county` uses version `hash` from `effective_from` on.
    pub async fn activate_plugin(
        &self,
        county: &str,
        hash: &str,
        effective_from: Date,
        actor: &str,
    ) -> Result<StoredActivation, StoreError> {
        let mut tx = self.begin_write().await?;
        let at = events::now();
        let id: i64 = sqlx::query(
            "INSERT INTO plugin_activations (county_code, version_hash, effective_from, activated_at, activated_by)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(county)
        .bind(hash)
        .bind(date_text(effective_from))
        .bind(&at)
        .bind(actor)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let payload = json!({ "activation": id, "hash": hash, "effective_from": date_text(effective_from) });
        events::append(&mut tx, &stream(county), "plugin.activated", &payload, actor, None).await?;
        tx.commit().await?;
        Ok(StoredActivation {
            id,
            county_code: county.to_owned(),
            version_hash: hash.to_owned(),
            effective_from,
            activated_at: at,
            activated_by: actor.to_owned(),
            rolled_back_at: None,
        })
    }

    /// Undoes the county's latest activation still in force, with a reason;
    /// `None` if there is none.
    pub async fn roll_back_plugin(
        &self,
        county: &str,
        actor: &str,
        reason: &str,
    ) -> Result<Option<StoredActivation>, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ACTIVATION_COLUMNS} FROM plugin_activations
             WHERE county_code = $1 AND rolled_back_at IS NULL ORDER BY id DESC LIMIT 1"
        )))
        .bind(county)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut undone = activation(&row)?;
        let at = events::now();
        sqlx::query("UPDATE plugin_activations SET rolled_back_at = $1, rolled_back_by = $2 WHERE id = $3")
            .bind(&at)
            .bind(actor)
            .bind(undone.id)
            .execute(&mut *tx)
            .await?;
        let payload = json!({ "activation": undone.id, "hash": undone.version_hash });
        events::append(&mut tx, &stream(county), "plugin.rolled_back", &payload, actor, Some(reason)).await?;
        tx.commit().await?;
        undone.rolled_back_at = Some(at);
        Ok(Some(undone))
    }

    /// Every activation in force, oldest first.
    pub async fn plugin_activations(&self) -> Result<Vec<StoredActivation>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ACTIVATION_COLUMNS} FROM plugin_activations WHERE rolled_back_at IS NULL ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(activation).collect()
    }
}

/// The event stream of a county's plugin lifecycle.
fn stream(county: &str) -> String {
    format!("plugin:{county}")
}

fn version(r: &AnyRow) -> Result<StoredVersion, StoreError> {
    Ok(StoredVersion {
        hash: text(r, "hash")?,
        county_code: text(r, "county_code")?,
        component: text(r, "component")?,
        world: text(r, "world")?,
        version: text(r, "version")?,
        config: text(r, "config")?,
        uploaded_at: text(r, "uploaded_at")?,
        uploaded_by: text(r, "uploaded_by")?,
    })
}

fn activation(r: &AnyRow) -> Result<StoredActivation, StoreError> {
    Ok(StoredActivation {
        id: r.try_get("id")?,
        county_code: text(r, "county_code")?,
        version_hash: text(r, "version_hash")?,
        effective_from: date(r, "plugin_activations", "effective_from")?,
        activated_at: text(r, "activated_at")?,
        activated_by: text(r, "activated_by")?,
        rolled_back_at: r.try_get("rolled_back_at")?,
    })
}

/// A county's plugin limits as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StoredLimits {
    pub fuel: u64,
    pub memory_bytes: u64,
    pub component_bytes: u64,
    pub deadline_ms: u64,
}

impl Store {
    /// Sets a county's plugin limits, with an event.
    pub async fn set_plugin_limits(&self, county: &str, limits: &StoredLimits, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO plugin_limits (county_code, fuel, memory_bytes, deadline_ms, component_bytes, set_at, set_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (county_code) DO UPDATE SET fuel = excluded.fuel, memory_bytes = excluded.memory_bytes,
                 deadline_ms = excluded.deadline_ms, component_bytes = excluded.component_bytes,
                 set_at = excluded.set_at, set_by = excluded.set_by",
        )
        .bind(county)
        .bind(as_i64(limits.fuel))
        .bind(as_i64(limits.memory_bytes))
        .bind(as_i64(limits.deadline_ms))
        .bind(as_i64(limits.component_bytes))
        .bind(events::now())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        events::append(&mut tx, &stream(county), "plugin.limits_set", limits, actor, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every county's own plugin limits.
    pub async fn plugin_limits(&self) -> Result<Vec<(String, StoredLimits)>, StoreError> {
        let rows =
            sqlx::query("SELECT county_code, fuel, memory_bytes, deadline_ms, component_bytes FROM plugin_limits")
                .fetch_all(&self.pool)
                .await?;
        let count = |r: &AnyRow, c: &str| r.try_get::<i64, _>(c).map(|n| u64::try_from(n).unwrap_or(0));
        rows.iter()
            .map(|r| {
                let limits = StoredLimits {
                    fuel: count(r, "fuel")?,
                    memory_bytes: count(r, "memory_bytes")?,
                    deadline_ms: count(r, "deadline_ms")?,
                    component_bytes: count(r, "component_bytes")?,
                };
                Ok((text(r, "county_code")?, limits))
            })
            .collect()
    }
}
