//! The append-only event log: every change, in order, with who, when and
//! why. Events are written in the same transaction as the change they
//! describe, so the log and the tables never disagree; nothing here updates
//! or deletes an event.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Store, StoreError, text};

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Event {
    /// Position in the whole log; later changes have larger numbers.
    pub seq: i64,
    /// What changed: `contract:<id>`, `resident:<id>`, `household:<id>`.
    pub stream: String,
    /// The kind of change, e.g. `contract.signed`.
    pub kind: String,
    /// The change itself, as the domain describes it.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// The subject of the token that made the change (or `system`).
    pub actor: String,
    /// When, RFC 3339 in UTC.
    pub at: String,
    /// Why, when the command asks for a reason.
    pub reason: Option<String>,
}

impl Event {
    /// The payload as the domain type it was written from.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, StoreError> {
        serde_json::from_value(self.payload.clone()).map_err(|e| StoreError::Corrupt {
            table: "events",
            column: "payload",
            value: format!("event {}: {e}", self.seq),
        })
    }
}

/// Appends one event inside the caller's transaction.
pub(super) async fn append(
    conn: &mut AnyConnection,
    stream: &str,
    kind: &str,
    payload: &impl Serialize,
    actor: &str,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let payload = json(payload)?;
    sqlx::query("INSERT INTO events (stream, kind, payload, actor, at, reason) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(stream)
        .bind(kind)
        .bind(payload)
        .bind(actor)
        .bind(now())
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

/// An event about to be appended with others in one statement.
pub(super) struct NewEvent {
    stream: String,
    kind: &'static str,
    payload: String,
    reason: Option<String>,
}

impl NewEvent {
    /// `payload` is JSON text (see `json`).
    pub(super) fn new(stream: String, kind: &'static str, payload: String, reason: Option<String>) -> Self {
        NewEvent { stream, kind, payload, reason }
    }
}

/// A payload as the JSON text the log stores.
pub(super) fn json(payload: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(payload).map_err(|e| StoreError::Corrupt {
        table: "events",
        column: "payload",
        value: e.to_string(),
    })
}

/// Appends many events by one actor inside the caller's transaction, in order.
pub(super) async fn append_many(conn: &mut AnyConnection, events: &[NewEvent], actor: &str) -> Result<(), StoreError> {
    let at = now();
    for chunk in events.chunks(super::rows_per_statement(6)) {
        let sql = format!(
            "INSERT INTO events (stream, kind, payload, actor, at, reason) VALUES {}",
            super::placeholders(chunk.len(), 6, 1)
        );
        let mut query = sqlx::query(super::bulk_sql(super::backend_of(conn), &sql));
        for e in chunk {
            query = query.bind(&e.stream).bind(e.kind).bind(&e.payload).bind(actor).bind(&at).bind(&e.reason);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

impl Store {
    /// A stream's events, oldest first.
    pub async fn events(&self, stream: &str) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, stream, kind, payload, actor, at, reason FROM events WHERE stream = $1 ORDER BY seq",
        )
        .bind(stream)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event).collect()
    }

    /// Every event whose stream starts with `prefix` (e.g. `contract:`), oldest first.
    pub async fn events_with_prefix(&self, prefix: &str) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, stream, kind, payload, actor, at, reason FROM events WHERE stream >= $1 AND stream < $2 ORDER BY seq",
        )
        .bind(prefix)
        .bind(format!("{prefix}\u{10FFFF}"))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event).collect()
    }
}

pub(super) fn event(r: &AnyRow) -> Result<Event, StoreError> {
    let payload = text(r, "payload")?;
    Ok(Event {
        seq: r.try_get("seq")?,
        stream: text(r, "stream")?,
        kind: text(r, "kind")?,
        payload: serde_json::from_str(&payload).map_err(|_| StoreError::Corrupt {
            table: "events",
            column: "payload",
            value: payload.chars().take(80).collect(),
        })?,
        actor: text(r, "actor")?,
        at: text(r, "at")?,
        reason: r.try_get("reason")?,
    })
}
