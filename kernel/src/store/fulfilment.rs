//! Service records and referral suggestions. Records are only inserted (the
//! tables' triggers refuse an update or delete); a record and the
//! suggestions its measurements raised are stored in one transaction.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, date, date_text, enum_name, enum_named, is_unique_violation, text};
use crate::contracts::Period;
use crate::fulfilment::{Measurements, ReferralSuggestion, ServiceRecord};

const RECORD_COLUMNS: &str = "id, contract_id, resident_id, team_id, county_code, package_code, item_code, \
     delivered_on, place, mode, systolic, diastolic, fasting_glucose, heart_rate, risk_level, corrects, \
     recorded_by, recorded_at";

const SUGGESTION_COLUMNS: &str =
    "id, record_id, contract_id, resident_id, team_id, county_code, reason, suggested_on, status";

/// A record could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum RecordWriteError {
    /// Another correction of the same record was stored first.
    #[error("record `{0}` was corrected by someone else just now: reload and correct that correction")]
    CorrectedMeanwhile(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RecordWriteError {
    fn from(e: sqlx::Error) -> Self {
        RecordWriteError::Store(e.into())
    }
}

impl Store {
    /// Stores a record and the suggestions it raised, and withdraws the
    /// suggestions a correction removed the cause of, or does nothing.
    pub async fn insert_service_record(
        &self,
        r: &ServiceRecord,
        suggestions: &[ReferralSuggestion],
        withdrawn: &[String],
    ) -> Result<(), RecordWriteError> {
        let mut tx = self.begin_write().await?;
        let m = r.measurements;
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO service_records ({RECORD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
        )))
        .bind(&r.id)
        .bind(&r.contract_id)
        .bind(&r.resident_id)
        .bind(&r.team_id)
        .bind(&r.county_code)
        .bind(&r.package_code)
        .bind(&r.item_code)
        .bind(date_text(r.delivered_on))
        .bind(&r.place)
        .bind(enum_name(&r.mode))
        .bind(m.systolic.map(i64::from))
        .bind(m.diastolic.map(i64::from))
        .bind(m.fasting_glucose.map(i64::from))
        .bind(m.heart_rate.map(i64::from))
        .bind(m.risk_level.map(i64::from))
        .bind(&r.corrects)
        .bind(&r.recorded_by)
        .bind(&r.recorded_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(RecordWriteError::CorrectedMeanwhile(r.corrects.clone().unwrap_or_default()));
            }
            other => other?,
        };
        for s in suggestions {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO referral_suggestions ({SUGGESTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            )))
            .bind(&s.id)
            .bind(&s.record_id)
            .bind(&s.contract_id)
            .bind(&s.resident_id)
            .bind(&s.team_id)
            .bind(&s.county_code)
            .bind(enum_name(&s.reason))
            .bind(date_text(s.suggested_on))
            .bind("open")
            .execute(&mut *tx)
            .await?;
        }
        for id in withdrawn {
            sqlx::query("UPDATE referral_suggestions SET status = 'withdrawn' WHERE id = $1 AND status = 'open'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A contract's records, in the order they were delivered and recorded.
    pub async fn service_records_of_contract(&self, contract_id: &str) -> Result<Vec<ServiceRecord>, StoreError> {
        self.records_where("contract_id = $1", contract_id).await
    }

    /// A resident's records across their contracts, in order.
    pub async fn service_records_of_resident(&self, resident_id: &str) -> Result<Vec<ServiceRecord>, StoreError> {
        self.records_where("resident_id = $1", resident_id).await
    }

    /// The records a team made in a period, in order.
    pub async fn service_records_of_team(
        &self,
        team_id: &str,
        period: Period,
    ) -> Result<Vec<ServiceRecord>, StoreError> {
        self.service_records_between("team_id", team_id, period).await
    }

    /// The records delivered within a period whose `column` (a team, a
    /// county) is `value`, in order.
    pub(super) async fn service_records_between(
        &self,
        column: &'static str,
        value: &str,
        period: Period,
    ) -> Result<Vec<ServiceRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM service_records WHERE {column} = $1 AND delivered_on >= $2 AND delivered_on <= $3 \
             ORDER BY delivered_on, recorded_at, id"
        )))
        .bind(value)
        .bind(date_text(period.start()))
        .bind(date_text(period.end()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    /// A team's referral suggestions not yet acted on, oldest first.
    pub async fn open_referral_suggestions(&self, team_id: &str) -> Result<Vec<ReferralSuggestion>, StoreError> {
        self.open_suggestions_where("team_id = $1", team_id).await
    }

    /// The suggestions a record raised that are still open.
    pub async fn open_suggestions_of_record(&self, record_id: &str) -> Result<Vec<ReferralSuggestion>, StoreError> {
        self.open_suggestions_where("record_id = $1", record_id).await
    }

    async fn open_suggestions_where(
        &self,
        condition: &'static str,
        value: &str,
    ) -> Result<Vec<ReferralSuggestion>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SUGGESTION_COLUMNS} FROM referral_suggestions WHERE {condition} AND status = 'open' \
             ORDER BY suggested_on, id"
        )))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(suggestion).collect()
    }

    async fn records_where(&self, condition: &'static str, value: &str) -> Result<Vec<ServiceRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RECORD_COLUMNS} FROM service_records WHERE {condition} ORDER BY delivered_on, recorded_at, id"
        )))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }
}

fn small<T: TryFrom<i64>>(row: &AnyRow, column: &'static str) -> Result<Option<T>, StoreError> {
    let value: Option<i64> = row.try_get(column)?;
    value
        .map(|v| {
            T::try_from(v).map_err(|_| StoreError::Corrupt { table: "service_records", column, value: v.to_string() })
        })
        .transpose()
}

fn record(row: &AnyRow) -> Result<ServiceRecord, StoreError> {
    Ok(ServiceRecord {
        id: text(row, "id")?,
        contract_id: text(row, "contract_id")?,
        resident_id: text(row, "resident_id")?,
        team_id: text(row, "team_id")?,
        county_code: text(row, "county_code")?,
        package_code: text(row, "package_code")?,
        item_code: text(row, "item_code")?,
        delivered_on: date(row, "service_records", "delivered_on")?,
        place: text(row, "place")?,
        mode: enum_named(row, "service_records", "mode")?,
        measurements: Measurements {
            systolic: small(row, "systolic")?,
            diastolic: small(row, "diastolic")?,
            fasting_glucose: small(row, "fasting_glucose")?,
            heart_rate: small(row, "heart_rate")?,
            risk_level: small(row, "risk_level")?,
        },
        corrects: row.try_get("corrects")?,
        recorded_by: text(row, "recorded_by")?,
        recorded_at: text(row, "recorded_at")?,
    })
}

fn suggestion(row: &AnyRow) -> Result<ReferralSuggestion, StoreError> {
    Ok(ReferralSuggestion {
        id: text(row, "id")?,
        record_id: text(row, "record_id")?,
        contract_id: text(row, "contract_id")?,
        resident_id: text(row, "resident_id")?,
        team_id: text(row, "team_id")?,
        county_code: text(row, "county_code")?,
        reason: enum_named(row, "referral_suggestions", "reason")?,
        suggested_on: date(row, "referral_suggestions", "suggested_on")?,
    })
}
