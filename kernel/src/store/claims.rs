//! Claims and their shares: a claim is stored whole with its shares in one
//! transaction, or not at all, and never changed.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, date, date_text, enum_name, enum_named, is_unique_violation, text};
use crate::claims::StoredClaim;
use crate::plugins::Share;

const COLUMNS: &str = "id, resident_id, contract_id, team_id, county_code, institution_id, kind, level, referred, \
     care_on, care_year, amount, sequence, plugin_hash, plugin_version, submitted_by, submitted_at";

/// A claim could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum ClaimWriteError {
    /// Another claim of the resident's year was stored first with this
    /// sequence: adjudicate again against the new year-to-date.
    #[error("another claim of the resident's insurance year was stored first")]
    SequenceTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ClaimWriteError {
    fn from(e: sqlx::Error) -> Self {
        ClaimWriteError::Store(e.into())
    }
}

impl Store {
    pub async fn insert_claim(&self, c: &StoredClaim) -> Result<(), ClaimWriteError> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO claims ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        )))
        .bind(&c.id)
        .bind(&c.resident_id)
        .bind(&c.contract_id)
        .bind(&c.team_id)
        .bind(&c.county_code)
        .bind(&c.institution_id)
        .bind(enum_name(&c.kind))
        .bind(enum_name(&c.level))
        .bind(i32::from(c.referred))
        .bind(date_text(c.on))
        .bind(c.on.year())
        .bind(c.amount)
        .bind(i64::from(c.sequence))
        .bind(&c.plugin_hash)
        .bind(&c.plugin_version)
        .bind(&c.submitted_by)
        .bind(&c.submitted_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Err(ClaimWriteError::SequenceTaken),
            other => other?,
        };
        for (position, share) in c.shares.iter().enumerate() {
            sqlx::query(
                "INSERT INTO claim_shares (claim_id, position, kind, payer, amount, reason) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&c.id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(enum_name(&share.kind))
            .bind(enum_name(&share.payer))
            .bind(share.amount)
            .bind(&share.reason)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn claim(&self, id: &str) -> Result<Option<StoredClaim>, StoreError> {
        Ok(self.claims_where("id = $1", &[id]).await?.pop())
    }

    /// A resident's claims of an insurance (calendar) year, in sequence.
    pub async fn claims_of_resident_in_year(&self, resident: &str, year: i32) -> Result<Vec<StoredClaim>, StoreError> {
        self.claims_where("resident_id = $1 AND care_year = CAST($2 AS INTEGER)", &[resident, &year.to_string()]).await
    }

    /// A county's claims of an insurance (calendar) year.
    pub async fn claims_of_county(&self, county: &str, year: i32) -> Result<Vec<StoredClaim>, StoreError> {
        self.claims_where("county_code = $1 AND care_year = CAST($2 AS INTEGER)", &[county, &year.to_string()]).await
    }

    /// A resident's claims, newest year first, each year in sequence.
    pub async fn claims_of_resident(&self, resident: &str) -> Result<Vec<StoredClaim>, StoreError> {
        let mut claims = self.claims_where("resident_id = $1", &[resident]).await?;
        claims.sort_by(|a, b| (b.on.year(), a.sequence).cmp(&(a.on.year(), b.sequence)));
        Ok(claims)
    }

    async fn claims_where(&self, condition: &'static str, values: &[&str]) -> Result<Vec<StoredClaim>, StoreError> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM claims WHERE {condition} ORDER BY care_year, sequence"
        )));
        for value in values {
            query = query.bind(*value);
        }
        let rows = query.fetch_all(&self.pool).await?;
        // The shares of all of them in one statement, not one per claim.
        let mut shares_query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT claim_id, kind, payer, amount, reason FROM claim_shares \
             WHERE claim_id IN (SELECT id FROM claims WHERE {condition}) ORDER BY claim_id, position"
        )));
        for value in values {
            shares_query = shares_query.bind(*value);
        }
        let mut shares: HashMap<String, Vec<Share>> = HashMap::new();
        for row in shares_query.fetch_all(&self.pool).await? {
            shares.entry(text(&row, "claim_id")?).or_default().push(share(&row)?);
        }
        rows.iter()
            .map(|row| {
                let mut claim = claim(row)?;
                claim.shares = shares.remove(&claim.id).unwrap_or_default();
                Ok(claim)
            })
            .collect()
    }
}

fn claim(row: &AnyRow) -> Result<StoredClaim, StoreError> {
    let sequence: i32 = row.try_get("sequence")?;
    Ok(StoredClaim {
        id: text(row, "id")?,
        resident_id: text(row, "resident_id")?,
        contract_id: text(row, "contract_id")?,
        team_id: text(row, "team_id")?,
        county_code: text(row, "county_code")?,
        institution_id: text(row, "institution_id")?,
        kind: enum_named(row, "claims", "kind")?,
        level: enum_named(row, "claims", "level")?,
        referred: row.try_get::<i32, _>("referred")? != 0,
        on: date(row, "claims", "care_on")?,
        amount: row.try_get("amount")?,
        sequence: u32::try_from(sequence).unwrap_or_default(),
        shares: Vec::new(),
        plugin_hash: text(row, "plugin_hash")?,
        plugin_version: text(row, "plugin_version")?,
        submitted_by: text(row, "submitted_by")?,
        submitted_at: text(row, "submitted_at")?,
    })
}

fn share(row: &AnyRow) -> Result<Share, StoreError> {
    Ok(Share {
        kind: enum_named(row, "claim_shares", "kind")?,
        payer: enum_named(row, "claim_shares", "payer")?,
        amount: row.try_get("amount")?,
        reason: text(row, "reason")?,
    })
}
