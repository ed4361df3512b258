//! Idempotency keys: the first answer to a command is kept, so that a client
//! that retries (after a timeout, a dropped connection) gets that answer
//! again instead of running the command twice.

use sqlx::Row;

use super::{Store, StoreError, events, is_unique_violation, text};

/// What a key means when a command arrives with it.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// First time: run the command, then `complete` the key.
    New,
    /// Answered before: return this status and body.
    Answered { status: u16, body: String },
    /// The first request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

impl Store {
    /// Claims `key` for `subject`'s request with fingerprint `request_hash`.
    pub async fn claim_idempotency_key(
        &self,
        subject: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<Claim, StoreError> {
        let inserted =
            sqlx::query("INSERT INTO idempotency (subject, key, request_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(subject)
                .bind(key)
                .bind(request_hash)
                .bind(events::now())
                .execute(&self.pool)
                .await;
        match inserted {
            Ok(_) => return Ok(Claim::New),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let row = sqlx::query("SELECT request_hash, status, body FROM idempotency WHERE subject = $1 AND key = $2")
            .bind(subject)
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        if text(&row, "request_hash")? != request_hash {
            return Ok(Claim::Mismatch);
        }
        let status: Option<i32> = row.try_get("status")?;
        let body: Option<String> = row.try_get("body")?;
        Ok(match (status, body) {
            (Some(status), Some(body)) => Claim::Answered { status: u16::try_from(status).unwrap_or(500), body },
            _ => Claim::InProgress,
        })
    }

    /// Keeps the first answer to a claimed key.
    pub async fn complete_idempotency_key(
        &self,
        subject: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE idempotency SET status = $1, body = $2 WHERE subject = $3 AND key = $4")
            .bind(i32::from(status))
            .bind(body)
            .bind(subject)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets a claim whose command failed inside the kernel, so a retry runs it.
    pub async fn release_idempotency_key(&self, subject: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency WHERE subject = $1 AND key = $2 AND status IS NULL")
            .bind(subject)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
