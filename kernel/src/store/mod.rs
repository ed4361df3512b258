//! Storage: SQLite embedded by default, PostgreSQL for regions that run
//! several kernel replicas, behind one set of queries.
//!
//! Owns connections, migrations and the mapping between rows and domain
//! values. Queries are written once in SQL both databases accept (`$1`
//! placeholders, ISO 8601 dates as text, fen as BIGINT) and run through
//! sqlx's `Any` driver; each database has its own migration folder because
//! DDL is where they differ. Invariants that must hold under concurrency
//! (one active contract per resident and period) are database constraints,
//! not checks in code. Nothing here decides who may do what.

mod assessment;
mod audit;
mod claims;
mod contracts;
mod events;
mod fulfilment;
mod idempotency;
mod import;
mod org;
mod plugins;
mod policies;
mod referrals;
mod renewal;
mod residents;
mod synthetic;

pub use assessment::StoredSettlement;
pub use claims::ClaimWriteError;
pub use contracts::ContractWriteError;
pub use events::Event;
pub use fulfilment::RecordWriteError;
pub use idempotency::Claim;
pub use import::ImportedChunk;
pub use plugins::{StoredActivation, StoredLimits, StoredVersion};
pub use policies::{NewPolicyVersion, PolicyVersion};
pub use referrals::ReferralWriteError;
pub use renewal::{RenewalRun, RenewalWriteError};
pub use residents::{Holder, InsertResidentError};

use std::path::Path;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Executor, Row};
use thiserror::Error;
use time::Date;

// The newer tables store their enums by their serde names, so that the API
// and the database agree.
use crate::serde_name as enum_name;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value the kernel cannot read back: a bug or a hand edit.
    #[error("the database holds an unreadable value in {table}.{column}: `{value}`")]
    Corrupt { table: &'static str, column: &'static str, value: String },
}

/// The database, migrated and ready.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// The embedded default: `qianyue.db` in `data_dir`, created if missing.
    pub async fn open_data_dir(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Open(format!("cannot create `{}`: {e}", data_dir.display())))?;
        let file = data_dir.join("qianyue.db");
        Self::open(&format!("sqlite://{}?mode=rwc", file.display())).await
    }

    /// Opens `sqlite://…` or `postgres://…` and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Open("the database URL must start with `sqlite:` or `postgres:`".into()));
        };
        let pool = AnyPoolOptions::new()
            // SQLite has one writer at a time; more connections only queue.
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // A 64 MiB page cache: bulk imports touch the whole citizen-ID index.
                        // Checkpoints every 64 MiB of log rather than 4: each one syncs the disk.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.map_err(|e| StoreError::Migrate(e.to_string()))?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a write transaction. SQLite's takes the write lock at once, so
    /// two writers queue instead of failing on a lock upgrade.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'_, sqlx::Any>, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }
}

/// Bound parameters per multi-row statement: far fewer statements than rows,
/// well under SQLite's limit of 32,766 (PostgreSQL's is 65,535).
const PARAMS_PER_STATEMENT: usize = 8000;

/// How many rows of `columns` parameters one statement takes.
fn rows_per_statement(columns: usize) -> usize {
    (PARAMS_PER_STATEMENT / columns.max(1)).max(1)
}

/// `rows` parenthesised groups of `columns` numbered placeholders from
/// `$first`: `($1, $2), ($3, $4)` for multi-row inserts, `($1, $2, $3)` for
/// an `IN` list.
fn placeholders(rows: usize, columns: usize, first: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(first + row * columns + column).to_string());
        }
        sql.push(')');
    }
    sql
}

/// A statement built with `placeholders`, as the database binds it fastest.
/// sqlx's SQLite driver looks each `$N` up by name, a scan over all of the
/// statement's parameters, which makes binding quadratic in their number; an
/// anonymous `?` is bound by position. Every `$N` must appear once, in order.
fn bulk_sql(backend: Backend, sql: &str) -> sqlx::AssertSqlSafe<String> {
    if backend == Backend::Postgres {
        return sqlx::AssertSqlSafe(sql.to_owned());
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    sqlx::AssertSqlSafe(out)
}

/// Which database a connection talks to.
fn backend_of(conn: &AnyConnection) -> Backend {
    if conn.backend_name() == "PostgreSQL" { Backend::Postgres } else { Backend::Sqlite }
}

/// True when `error` is a unique-constraint violation.
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

fn text(row: &AnyRow, column: &'static str) -> Result<String, StoreError> {
    Ok(row.try_get::<String, _>(column)?)
}

fn date(row: &AnyRow, table: &'static str, column: &'static str) -> Result<Date, StoreError> {
    let value = text(row, column)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(&value, format).map_err(|_| StoreError::Corrupt { table, column, value })
}

/// A nullable date column.
fn optional_date(row: &AnyRow, table: &'static str, column: &'static str) -> Result<Option<Date>, StoreError> {
    match row.try_get::<Option<String>, _>(column)? {
        Some(_) => date(row, table, column).map(Some),
        None => Ok(None),
    }
}

fn date_text(date: Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    date.format(format).unwrap_or_default()
}

/// Reads a column through the domain's own parser.
fn parsed<T>(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let value = text(row, column)?;
    parse(&value).ok_or(StoreError::Corrupt { table, column, value })
}

/// Reads a column [`enum_name`] wrote.
fn enum_named<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
) -> Result<T, StoreError> {
    parsed(row, table, column, |name| serde_json::from_value(serde_json::Value::String(name.to_owned())).ok())
}
