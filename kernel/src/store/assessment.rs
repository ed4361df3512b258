//! What assessments and settlements are computed from, a county and period
//! at a time, and the settlements themselves (stored once, never changed).

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, date, date_text, enum_name, enum_named, is_unique_violation, text};
use crate::assessment::SatisfactionCheck;
use crate::contracts::{Contract, Period};
use crate::fulfilment::ServiceRecord;
use crate::plugins::{Settlement, TeamActivity};

const CHECK_COLUMNS: &str = "id, contract_id, resident_id, team_id, county_code, checked_on, method, reached, satisfied, note, recorded_by, recorded_at";

/// A team's stored settlement of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSettlement {
    pub county_code: String,
    pub period: i32,
    pub team_id: String,
    pub activity: TeamActivity,
    pub settlement: Settlement,
    pub plugin_hash: String,
    pub plugin_version: String,
    pub settled_by: String,
    pub settled_at: String,
}

impl Store {
    pub async fn insert_satisfaction_check(&self, c: &SatisfactionCheck, county: &str) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO satisfaction_checks ({CHECK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )))
        .bind(&c.id)
        .bind(&c.contract_id)
        .bind(&c.resident_id)
        .bind(&c.team_id)
        .bind(county)
        .bind(date_text(c.checked_on))
        .bind(enum_name(&c.method))
        .bind(i32::from(c.reached))
        .bind(i32::from(c.satisfied))
        .bind(&c.note)
        .bind(&c.recorded_by)
        .bind(&c.recorded_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A county's satisfaction checks within a period.
    pub async fn satisfaction_checks(
        &self,
        county: &str,
        period: Period,
    ) -> Result<Vec<SatisfactionCheck>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CHECK_COLUMNS} FROM satisfaction_checks WHERE county_code = $1 AND checked_on >= $2 AND checked_on <= $3 ORDER BY checked_on, recorded_at"
        )))
        .bind(county)
        .bind(date_text(period.start()))
        .bind(date_text(period.end()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(check).collect()
    }

    /// Every contract of a county's period, whatever its status.
    pub async fn contracts_of_county(&self, county: &str, period: Period) -> Result<Vec<Contract>, StoreError> {
        self.contracts_of_period("county_code", county, period).await
    }

    /// A county's service records delivered within a period.
    pub async fn service_records_of_county(
        &self,
        county: &str,
        period: Period,
    ) -> Result<Vec<ServiceRecord>, StoreError> {
        self.service_records_between("county_code", county, period).await
    }

    /// Each resident of a county with a household in a village: the
    /// township health centre that serves the village.
    pub async fn townships_of_residents(&self, county: &str) -> Result<HashMap<String, String>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, v.township_id FROM residents r JOIN households h ON h.id = r.household_id \
             JOIN villages v ON v.id = h.village_id WHERE r.county_code = $1",
        )
        .bind(county)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((text(r, "id")?, text(r, "township_id")?))).collect()
    }

    /// Stores a county's settlements of a period, all or none. `false` when
    /// another run stored them first.
    pub async fn insert_settlements(&self, settlements: &[StoredSettlement]) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        for s in settlements {
            let inserted = sqlx::query(
                "INSERT INTO settlements (county_code, period, team_id, total, lines, activity, plugin_hash, plugin_version, settled_by, settled_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&s.county_code)
            .bind(s.period)
            .bind(&s.team_id)
            .bind(s.settlement.total)
            .bind(serde_json::to_string(&s.settlement.lines).unwrap_or_default())
            .bind(serde_json::to_string(&s.activity).unwrap_or_default())
            .bind(&s.plugin_hash)
            .bind(&s.plugin_version)
            .bind(&s.settled_by)
            .bind(&s.settled_at)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => return Ok(false),
                other => other?,
            };
        }
        tx.commit().await?;
        Ok(true)
    }

    /// A county's stored settlements of a period, by team.
    pub async fn settlements(&self, county: &str, period: i32) -> Result<Vec<StoredSettlement>, StoreError> {
        let rows = sqlx::query(
            "SELECT county_code, period, team_id, total, lines, activity, plugin_hash, plugin_version, settled_by, settled_at \
             FROM settlements WHERE county_code = $1 AND period = $2 ORDER BY team_id",
        )
        .bind(county)
        .bind(period)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(settlement).collect()
    }
}

fn check(row: &AnyRow) -> Result<SatisfactionCheck, StoreError> {
    Ok(SatisfactionCheck {
        id: text(row, "id")?,
        contract_id: text(row, "contract_id")?,
        resident_id: text(row, "resident_id")?,
        team_id: text(row, "team_id")?,
        checked_on: date(row, "satisfaction_checks", "checked_on")?,
        method: enum_named(row, "satisfaction_checks", "method")?,
        reached: row.try_get::<i32, _>("reached")? != 0,
        satisfied: row.try_get::<i32, _>("satisfied")? != 0,
        note: text(row, "note")?,
        recorded_by: text(row, "recorded_by")?,
        recorded_at: text(row, "recorded_at")?,
    })
}

fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &'static str) -> Result<T, StoreError> {
    let value = text(row, column)?;
    serde_json::from_str(&value).map_err(|_| StoreError::Corrupt { table: "settlements", column, value })
}

fn settlement(row: &AnyRow) -> Result<StoredSettlement, StoreError> {
    Ok(StoredSettlement {
        county_code: text(row, "county_code")?,
        period: row.try_get("period")?,
        team_id: text(row, "team_id")?,
        activity: json(row, "activity")?,
        settlement: Settlement { lines: json(row, "lines")?, total: row.try_get("total")? },
        plugin_hash: text(row, "plugin_hash")?,
        plugin_version: text(row, "plugin_version")?,
        settled_by: text(row, "settled_by")?,
        settled_at: text(row, "settled_at")?,
    })
}
