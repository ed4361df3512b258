//! The two schemas kept equal by a test, not by a comment: a fresh SQLite
//! and a fresh PostgreSQL database, each migrated by `Store::open`, have the
//! same tables, columns (under the type mapping below), keys, indexes,
//! foreign keys, check constraints and triggers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use sqlx::{Connection, Row};

/// How a column's type reads on both sides: SQLite's declared type and the
/// PostgreSQL types that store the same values. The migrations write dates,
/// timestamps and JSON as TEXT on both (ARCHITECTURE.md, `migrations/`).
fn same_type(sqlite: &str, postgres: &str) -> bool {
    match sqlite {
        "TEXT" => postgres == "text",
        // SQLite's integers are all 64-bit; PostgreSQL's `integer` holds
        // flags and counts, `bigint` money and sequence numbers.
        "INTEGER" => ["integer", "bigint"].contains(&postgres),
        "BIGINT" => postgres == "bigint",
        "BLOB" => postgres == "bytea",
        "REAL" => postgres == "double precision",
        _ => false,
    }
}

/// A schema as both databases can describe it.
#[derive(Debug, Default)]
struct Schema {
    /// (table, column, declared type, not null): primary-key columns count
    /// as not null, as PostgreSQL makes them.
    columns: Vec<(String, String, String, bool)>,
    /// (table, primary-key columns in order).
    primary_keys: BTreeSet<(String, String)>,
    /// (table, columns, unique, predicate): every index, those behind a
    /// UNIQUE constraint included, named or not.
    indexes: BTreeSet<(String, String, bool, String)>,
    /// The indexes created by name (`CREATE INDEX`), by name.
    named_indexes: BTreeSet<String>,
    /// (table, column, referenced table, referenced column).
    foreign_keys: BTreeSet<(String, String, String, String)>,
    /// (table, how many CHECK constraints): PostgreSQL rewrites a check's
    /// expression, so the count is compared, not the text.
    checks: BTreeSet<(String, usize)>,
    /// (table, event) of every trigger: SQLite needs one trigger an event.
    triggers: BTreeSet<(String, String)>,
}

/// A partial index's predicate without the casts and parentheses
/// PostgreSQL adds: `(status = 'active'::text)` is `status = 'active'`.
fn predicate(text: &str) -> String {
    text.replace("::text", "").replace(['(', ')'], "").split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn sqlite(url: &str) -> Schema {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut schema = Schema::default();
    for (table, sql) in &tables {
        let columns = sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid")
            .bind(table)
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let mut key: Vec<(i64, String)> = Vec::new();
        for column in columns {
            let (name, ty): (String, String) = (column.get(0), column.get(1));
            let (not_null, pk): (bool, i64) = (column.get(2), column.get(3));
            if pk > 0 {
                key.push((pk, name.clone()));
            }
            schema.columns.push((table.clone(), name, ty.to_uppercase(), not_null || pk > 0));
        }
        key.sort();
        if !key.is_empty() {
            let key: Vec<String> = key.into_iter().map(|(_, name)| name).collect();
            schema.primary_keys.insert((table.clone(), key.join(",")));
        }
        let indexes: Vec<(String, bool, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list(?)")
                .bind(table)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        for (index, unique, origin) in indexes {
            if origin == "pk" {
                continue; // the primary key, compared above
            }
            let columns: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                .bind(&index)
                .fetch_all(&mut conn)
                .await
                .unwrap();
            let columns: Vec<String> = columns.into_iter().map(|(c,)| c).collect();
            let definition: Option<(Option<String>,)> =
                sqlx::query_as("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
                    .bind(&index)
                    .fetch_optional(&mut conn)
                    .await
                    .unwrap();
            let sql = definition.and_then(|(sql,)| sql).unwrap_or_default();
            let condition = sql.split_once(" WHERE ").map(|(_, p)| predicate(p)).unwrap_or_default();
            if origin == "c" {
                schema.named_indexes.insert(index);
            }
            schema.indexes.insert((table.clone(), columns.join(","), unique, condition));
        }
        let keys: Vec<(String, String, String)> =
            sqlx::query_as("SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?)")
                .bind(table)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        for (from, to_table, to) in keys {
            schema.foreign_keys.insert((table.clone(), from, to_table, to));
        }
        let checks = sql.to_uppercase().matches("CHECK (").count() + sql.to_uppercase().matches("CHECK(").count();
        if checks > 0 {
            schema.checks.insert((table.clone(), checks));
        }
    }
    let triggers: Vec<(String, String)> =
        sqlx::query_as("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    for (table, sql) in triggers {
        let sql = sql.to_uppercase();
        for event in ["INSERT", "UPDATE", "DELETE"] {
            if sql.split(" ON ").next().is_some_and(|head| head.contains(event)) {
                schema.triggers.insert((table.clone(), event.to_owned()));
            }
        }
    }
    schema
}

async fn postgres(url: &str) -> Schema {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let mut schema = Schema::default();
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    schema.columns = columns.into_iter().map(|(t, c, ty, nullable)| (t, c, ty, nullable == "NO")).collect();
    let indexes: Vec<(String, String, bool, bool, Option<String>, String)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
                pg_get_expr(ix.indpred, ix.indrelid), \
                array_to_string(ARRAY(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, n) \
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n), ',') \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let constraint_indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT conindid::regclass::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE n.nspname = 'public' AND contype IN ('u', 'p')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let constraint_indexes: BTreeSet<String> = constraint_indexes.into_iter().map(|(i,)| i).collect();
    for (table, index, unique, primary, condition, columns) in indexes {
        if primary {
            schema.primary_keys.insert((table, columns));
            continue;
        }
        if !constraint_indexes.contains(&index) {
            schema.named_indexes.insert(index);
        }
        schema.indexes.insert((table, columns, unique, condition.as_deref().map(predicate).unwrap_or_default()));
    }
    let keys: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text, ft.relname::text, fa.attname::text \
         FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class ft ON ft.oid = c.confrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(attnum, fattnum) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         JOIN pg_attribute fa ON fa.attrelid = ft.oid AND fa.attnum = k.fattnum \
         WHERE c.contype = 'f' AND n.nspname = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    schema.foreign_keys = keys.into_iter().collect();
    let checks: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.relname::text, count(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE c.contype = 'c' AND n.nspname = 'public' \
         GROUP BY t.relname",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    schema.checks = checks.into_iter().map(|(t, n)| (t, usize::try_from(n).unwrap())).collect();
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_object_table::text, event_manipulation::text FROM information_schema.triggers \
         WHERE trigger_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    schema.triggers = triggers.into_iter().collect();
    schema
}

#[tokio::test]
async fn sqlite_and_postgresql_are_migrated_to_the_same_schema() {
    let databases = common::databases().await;
    let Some(pg) = databases.iter().find(|d| d.is_postgres()) else {
        eprintln!("skipped: the schemas are compared only when QIANYUE_TEST_DATABASE_URL is set");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let sqlite_url = databases[0].store_url(data.path());
    let pg_url = pg.store_url(data.path());
    // Opening a store migrates its database.
    qianyue::store::Store::open(&sqlite_url).await.unwrap();
    qianyue::store::Store::open(&pg_url).await.unwrap();
    let (lite, pg) = (sqlite(&sqlite_url).await, postgres(&pg_url).await);
    assert!(lite.columns.len() > 100, "the whole schema is read: {} columns", lite.columns.len());

    let tables = |s: &Schema| s.columns.iter().map(|(t, ..)| t.clone()).collect::<BTreeSet<_>>();
    assert_eq!(tables(&lite), tables(&pg), "tables");
    let mut differ = Vec::new();
    for (table, column, ty, not_null) in &lite.columns {
        match pg.columns.iter().find(|(t, c, ..)| t == table && c == column) {
            None => differ.push(format!("{table}.{column} is missing on PostgreSQL")),
            Some((_, _, pg_ty, pg_not_null)) => {
                if !same_type(ty, pg_ty) {
                    differ.push(format!("{table}.{column} is {ty} on SQLite, {pg_ty} on PostgreSQL"));
                }
                if not_null != pg_not_null {
                    differ.push(format!("{table}.{column} is NOT NULL on one side only"));
                }
            }
        }
    }
    for (table, column, ..) in &pg.columns {
        if !lite.columns.iter().any(|(t, c, ..)| t == table && c == column) {
            differ.push(format!("{table}.{column} is missing on SQLite"));
        }
    }
    assert!(differ.is_empty(), "columns differ:\n{}", differ.join("\n"));
    assert_eq!(lite.primary_keys, pg.primary_keys, "primary keys");
    assert_eq!(lite.indexes, pg.indexes, "indexes (table, columns, unique, predicate)");
    assert_eq!(lite.named_indexes, pg.named_indexes, "index names");
    assert_eq!(lite.foreign_keys, pg.foreign_keys, "foreign keys");
    assert_eq!(lite.checks, pg.checks, "check constraints per table");
    assert!(!lite.triggers.is_empty(), "the append-only tables have triggers");
    assert_eq!(lite.triggers, pg.triggers, "triggers (table, event)");
}
