//! Referrals, the capacity hospitals reserve for teams, and tuberculosis
//! move-out reports. A referral's reservation is counted against its team's
//! capacity in the transaction that stores it, with the capacity row locked
//! on PostgreSQL (SQLite's write transaction already excludes other
//! writers), so two clerks cannot both take the last appointment.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Backend, Store, StoreError, date, date_text, enum_name, enum_named, text};
use crate::contracts::Contract;
use crate::fulfilment::MoveOutReport;
use crate::referrals::{
    self, Capacity, FollowUp, Referral, ReferralError, ReferralStatus, Reservation, ReservationKind,
};

const COLUMNS: &str = "id, direction, resident_id, contract_id, team_id, county_code, from_institution, \
     to_institution, reason, suggestion_id, green_channel, reservation_kind, reserved_on, prescription, status, \
     status_note, referred_on, follow_up_due, followed_up_on, follow_up_mode, follow_up_note, referred_by, updated_at";

/// A referral could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum ReferralWriteError {
    #[error(transparent)]
    Rule(#[from] ReferralError),
    /// Someone else answered it, or followed it up, first.
    #[error("referral `{0}` was changed by someone else just now: reload it")]
    ChangedMeanwhile(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReferralWriteError {
    fn from(e: sqlx::Error) -> Self {
        ReferralWriteError::Store(e.into())
    }
}

impl Store {
    /// Stores a referral, taking its reservation from the team's capacity
    /// and marking the suggestion it acts on, or stores nothing.
    pub async fn insert_referral(&self, r: &Referral) -> Result<(), ReferralWriteError> {
        let mut tx = self.begin_write().await?;
        if let Some(reservation) = r.reservation {
            let lock = if self.backend == Backend::Postgres { " FOR UPDATE" } else { "" };
            let per_day: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT per_day FROM referral_capacity WHERE institution_id = $1 AND team_id = $2 AND kind = $3{lock}"
            )))
            .bind(&r.to_institution)
            .bind(&r.team_id)
            .bind(enum_name(&reservation.kind))
            .fetch_optional(&mut *tx)
            .await?;
            let held: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM referrals WHERE to_institution = $1 AND team_id = $2 AND reservation_kind = $3 \
                 AND reserved_on = $4 AND status NOT IN ('declined', 'cancelled')",
            )
            .bind(&r.to_institution)
            .bind(&r.team_id)
            .bind(enum_name(&reservation.kind))
            .bind(date_text(reservation.on))
            .fetch_one(&mut *tx)
            .await?;
            let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
            referrals::check_capacity(reservation, per_day.map(count), count(held))?;
        }
        if let Some(suggestion) = &r.suggestion_id {
            let marked = sqlx::query(
                "UPDATE referral_suggestions SET status = 'referred' WHERE id = $1 AND resident_id = $2 AND status = 'open'",
            )
            .bind(suggestion)
            .bind(&r.resident_id)
            .execute(&mut *tx)
            .await?;
            if marked.rows_affected() != 1 {
                return Err(ReferralError::UnknownSuggestion(suggestion.clone()).into());
            }
        }
        let prescription = serde_json::to_string(&r.prescription).map_err(|e| StoreError::Corrupt {
            table: "referrals",
            column: "prescription",
            value: e.to_string(),
        })?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO referrals ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22, $23)"
        )))
        .bind(&r.id)
        .bind(enum_name(&r.direction))
        .bind(&r.resident_id)
        .bind(&r.contract_id)
        .bind(&r.team_id)
        .bind(&r.county_code)
        .bind(&r.from_institution)
        .bind(&r.to_institution)
        .bind(&r.reason)
        .bind(&r.suggestion_id)
        .bind(i64::from(r.green_channel))
        .bind(r.reservation.map(|x| enum_name(&x.kind)))
        .bind(r.reservation.map(|x| date_text(x.on)))
        .bind(prescription)
        .bind(enum_name(&r.status))
        .bind(&r.status_note)
        .bind(date_text(r.referred_on))
        .bind(date_text(r.follow_up.due_on))
        .bind(r.follow_up.done_on.map(date_text))
        .bind(r.follow_up.mode.map(|m| enum_name(&m)))
        .bind(&r.follow_up.note)
        .bind(&r.referred_by)
        .bind(&r.updated_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn referral(&self, id: &str) -> Result<Option<Referral>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM referrals WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(referral).transpose()
    }

    /// A team's referrals, both ways, oldest first.
    pub async fn referrals_of_team(&self, team_id: &str) -> Result<Vec<Referral>, StoreError> {
        self.referrals_where("team_id = $1", team_id).await
    }

    /// The referrals an institution sent or received, oldest first.
    pub async fn referrals_of_institution(&self, institution_id: &str) -> Result<Vec<Referral>, StoreError> {
        self.referrals_where("from_institution = $1 OR to_institution = $1", institution_id).await
    }

    /// Moves a referral from `from` to `to`, unless someone moved it first.
    pub async fn answer_referral(
        &self,
        id: &str,
        from: ReferralStatus,
        to: ReferralStatus,
        note: Option<&str>,
        at: &str,
    ) -> Result<(), ReferralWriteError> {
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE referrals SET status = $1, status_note = COALESCE($2, status_note), updated_at = $3 \
             WHERE id = $4 AND status = $5",
        )
        .bind(enum_name(&to))
        .bind(note)
        .bind(at)
        .bind(id)
        .bind(enum_name(&from))
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(ReferralWriteError::ChangedMeanwhile(id.to_owned()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a referral's follow-up, unless one was recorded first.
    pub async fn record_follow_up(&self, id: &str, done: &FollowUp, at: &str) -> Result<(), ReferralWriteError> {
        let mut tx = self.begin_write().await?;
        let recorded = sqlx::query(
            "UPDATE referrals SET followed_up_on = $1, follow_up_mode = $2, follow_up_note = $3, updated_at = $4 \
             WHERE id = $5 AND followed_up_on IS NULL",
        )
        .bind(done.done_on.map(date_text))
        .bind(done.mode.map(|m| enum_name(&m)))
        .bind(&done.note)
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if recorded.rows_affected() != 1 {
            return Err(ReferralWriteError::ChangedMeanwhile(id.to_owned()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets how many of a kind a hospital reserves for a team each day.
    pub async fn set_referral_capacity(&self, institution_id: &str, c: &Capacity) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO referral_capacity (institution_id, team_id, kind, per_day) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (institution_id, team_id, kind) DO UPDATE SET per_day = excluded.per_day",
        )
        .bind(institution_id)
        .bind(&c.team_id)
        .bind(enum_name(&c.kind))
        .bind(i64::from(c.per_day))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What a hospital reserves for each team, by team and kind.
    pub async fn referral_capacity(&self, institution_id: &str) -> Result<Vec<Capacity>, StoreError> {
        let rows = sqlx::query(
            "SELECT team_id, kind, per_day FROM referral_capacity WHERE institution_id = $1 ORDER BY team_id, kind",
        )
        .bind(institution_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let per_day: i64 = row.try_get("per_day")?;
                Ok(Capacity {
                    team_id: text(row, "team_id")?,
                    kind: enum_named::<ReservationKind>(row, "referral_capacity", "kind")?,
                    per_day: u32::try_from(per_day).map_err(|_| StoreError::Corrupt {
                        table: "referral_capacity",
                        column: "per_day",
                        value: per_day.to_string(),
                    })?,
                })
            })
            .collect()
    }

    /// Ends a contract because its resident moved out of the county and,
    /// for a tuberculosis patient, stores the report upward: both or neither.
    pub async fn move_out(
        &self,
        contract: &Contract,
        on: time::Date,
        report: Option<&MoveOutReport>,
        actor: &str,
        reason: &str,
    ) -> Result<(), super::ContractWriteError> {
        let mut tx = self.begin_write().await?;
        super::contracts::end_contract(&mut tx, contract, on, actor, reason).await?;
        if let Some(r) = report {
            sqlx::query(
                "INSERT INTO move_out_reports (id, resident_id, county_code, team_id, contract_id, moved_on, \
                 destination, reported_by, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&r.id)
            .bind(&r.resident_id)
            .bind(&r.county_code)
            .bind(&r.team_id)
            .bind(&r.contract_id)
            .bind(date_text(r.moved_on))
            .bind(&r.destination)
            .bind(&r.reported_by)
            .bind(&r.reported_at)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// A county's move-out reports, newest move first.
    pub async fn move_out_reports(&self, county_code: &str) -> Result<Vec<MoveOutReport>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, resident_id, county_code, team_id, contract_id, moved_on, destination, reported_by, reported_at \
             FROM move_out_reports WHERE county_code = $1 ORDER BY moved_on DESC, id",
        )
        .bind(county_code)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(MoveOutReport {
                    id: text(row, "id")?,
                    resident_id: text(row, "resident_id")?,
                    county_code: text(row, "county_code")?,
                    team_id: text(row, "team_id")?,
                    contract_id: text(row, "contract_id")?,
                    moved_on: date(row, "move_out_reports", "moved_on")?,
                    destination: text(row, "destination")?,
                    reported_by: text(row, "reported_by")?,
                    reported_at: text(row, "reported_at")?,
                })
            })
            .collect()
    }

    async fn referrals_where(&self, condition: &'static str, value: &str) -> Result<Vec<Referral>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM referrals WHERE {condition} ORDER BY referred_on, id"
        )))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(referral).collect()
    }
}

fn optional_date(row: &AnyRow, column: &'static str) -> Result<Option<time::Date>, StoreError> {
    let value: Option<String> = row.try_get(column)?;
    value.map(|_| date(row, "referrals", column)).transpose()
}

fn referral(row: &AnyRow) -> Result<Referral, StoreError> {
    let reservation = match row.try_get::<Option<String>, _>("reservation_kind")? {
        Some(_) => Some(Reservation {
            kind: enum_named(row, "referrals", "reservation_kind")?,
            on: date(row, "referrals", "reserved_on")?,
        }),
        None => None,
    };
    let prescription = text(row, "prescription")?;
    let follow_up_mode = match row.try_get::<Option<String>, _>("follow_up_mode")? {
        Some(_) => Some(enum_named(row, "referrals", "follow_up_mode")?),
        None => None,
    };
    Ok(Referral {
        id: text(row, "id")?,
        direction: enum_named(row, "referrals", "direction")?,
        resident_id: text(row, "resident_id")?,
        contract_id: text(row, "contract_id")?,
        team_id: text(row, "team_id")?,
        county_code: text(row, "county_code")?,
        from_institution: text(row, "from_institution")?,
        to_institution: text(row, "to_institution")?,
        reason: text(row, "reason")?,
        suggestion_id: row.try_get("suggestion_id")?,
        green_channel: row.try_get::<i64, _>("green_channel")? != 0,
        reservation,
        prescription: serde_json::from_str(&prescription).map_err(|_| StoreError::Corrupt {
            table: "referrals",
            column: "prescription",
            value: prescription.clone(),
        })?,
        status: enum_named(row, "referrals", "status")?,
        status_note: row.try_get("status_note")?,
        referred_on: date(row, "referrals", "referred_on")?,
        follow_up: FollowUp {
            due_on: date(row, "referrals", "follow_up_due")?,
            done_on: optional_date(row, "followed_up_on")?,
            mode: follow_up_mode,
            note: row.try_get("follow_up_note")?,
        },
        referred_by: text(row, "referred_by")?,
        updated_at: text(row, "updated_at")?,
    })
}
