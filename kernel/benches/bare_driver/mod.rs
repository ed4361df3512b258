//! The bare driver's time for the rows each bulk job writes or reads, with
//! no kernel logic (no validation, events of fixed text, no plugin): the
//! baseline `registry` prints beside each job, so that the ratio shows how
//! close the kernel is to the database (issue 16). Plain multi-row
//! `INSERT`s of the same columns into the same tables, 1,000 rows a
//! statement and 10,000 a transaction, and one plain `SELECT`, on sqlx's
//! native driver of each database.

/// A value of a row, bound as its column's type.
pub enum Value {
    Text(String),
    Int(i32),
    Big(i64),
}

use Value::{Big, Int, Text};

/// The rows of one job: per table, its columns and rows.
pub type Rows = Vec<(&'static str, &'static str, Vec<Vec<Value>>)>;

/// `rows` residents of `county` (ids `bare-{n}`), a household for every
/// three, one event each: what the import writes.
pub fn residents(county: &str, from: usize, to: usize) -> Rows {
    let households = (from..to)
        .filter(|n| n % 3 == 0)
        .map(|n| vec![Text(format!("bare-h-{n}")), Text(county.into()), Text(format!("沛县安国镇湖西村{n}号"))]);
    let residents = (from..to).map(|n| {
        vec![
            Text(format!("bare-{n}")),
            Text(county.into()),
            Text("张三".into()),
            Text(format!("B{n:017}")),
            Text(format!("bare-h-{}", n - n % 3)),
        ]
    });
    let events = (from..to).map(|n| event(&format!("resident/bare-{n}"), "resident.registered"));
    vec![
        ("households", "id, county_code, address", households.collect()),
        ("residents", "id, county_code, name, citizen_id, household_id", residents.collect()),
        ("events", "stream, kind, payload, actor, at", events.collect()),
    ]
}

/// A contract of `period` for each of those residents with one line, and
/// two events each (the new contract's and the renewed one's): what the
/// renewal writes.
pub fn contracts(county: &str, team: &str, institution: &str, period: i32, from: usize, to: usize) -> Rows {
    let contracts = (from..to).map(|n| {
        vec![
            Text(format!("bare-c-{n}")),
            Text(format!("bare-{n}")),
            Text(team.into()),
            Text(county.into()),
            Int(period),
            Text("active".into()),
            Text(format!("{period}-01-01")),
            Text("renewal".into()),
            Text("0".repeat(64)),
            Text("2024.1.1".into()),
            Text(format!("bare-h-{}", n - n % 3)),
            Text(institution.into()),
            Int(0),
        ]
    });
    let lines = (from..to).map(|n| {
        vec![
            Text(format!("bare-c-{n}")),
            Int(0),
            Text("PEI-GW".into()),
            Text("基础包".into()),
            Text("basic".into()),
            Big(0),
            Big(0),
            Big(0),
            Big(0),
            Big(0),
            Text("基础包免费".into()),
            Int(40),
            Text("[]".into()),
            Text("[]".into()),
        ]
    });
    let events = (from..to).flat_map(|n| {
        [
            event(&format!("contract/bare-c-{n}"), "contract.signed"),
            event(&format!("contract/bare-{n}"), "contract.renewed"),
        ]
    });
    vec![
        (
            "contracts",
            "id, resident_id, team_id, county_code, period, status, signed_on, signed_by, plugin_hash, \
             plugin_version, household_id, institution_id, renewal_objected",
            contracts.collect(),
        ),
        (
            "contract_lines",
            "contract_id, position, package_code, package_name, kind, list_price, discount, public_health_fund, \
             insurance_fund, self_pay, rule, priced_age, priced_tags, adjustments",
            lines.collect(),
        ),
        ("events", "stream, kind, payload, actor, at", events.collect()),
    ]
}

fn event(stream: &str, kind: &str) -> Vec<Value> {
    vec![
        Text(stream.into()),
        Text(kind.into()),
        Text(format!(r#"{{"stream":"{stream}","by":"bench","note":"a payload of an event's usual size"}}"#)),
        Text("bench".into()),
        Text("2026-01-01T00:00:00Z".into()),
    ]
}

/// What a settlement reads: the period's contracts of a county with their lines.
pub const SETTLEMENT_READ: &str = "SELECT c.id, c.resident_id, c.team_id, c.status, c.period, c.signed_on, \
     l.package_code, l.kind, l.list_price, l.public_health_fund, l.insurance_fund, l.self_pay, l.rule \
     FROM contracts c JOIN contract_lines l ON l.contract_id = c.id \
     WHERE c.county_code = '320322' AND c.id LIKE 'bare-c-%'";

/// The same functions for each native driver.
macro_rules! driver {
    ($module:ident, $db:ty, $unchecked:literal) => {
        pub mod $module {
            use futures_util::TryStreamExt;
            use sqlx::{Pool, QueryBuilder, Row};

            use super::Value;

            /// Writes `rows` in one transaction, 1,000 rows a statement.
            async fn write(pool: &Pool<$db>, rows: super::Rows) {
                let mut tx = pool.begin().await.unwrap();
                for (table, columns, rows) in rows {
                    let mut rows = rows.into_iter().peekable();
                    while rows.peek().is_some() {
                        let mut insert = QueryBuilder::<$db>::new(format!("INSERT INTO {table} ({columns}) "));
                        insert.push_values(rows.by_ref().take(1_000), |mut b, row| {
                            for value in row {
                                match value {
                                    Value::Text(v) => b.push_bind(v),
                                    Value::Int(v) => b.push_bind(v),
                                    Value::Big(v) => b.push_bind(v),
                                };
                            }
                        });
                        insert.build().execute(&mut *tx).await.unwrap();
                    }
                }
                tx.commit().await.unwrap();
            }

            /// Reads the settlement's rows, decoding every column; returns how many.
            async fn read(pool: &Pool<$db>) -> usize {
                let mut rows = sqlx::query(super::SETTLEMENT_READ).fetch(pool);
                let mut count = 0;
                while let Some(row) = rows.try_next().await.unwrap() {
                    let text: Vec<String> = [0, 1, 2, 3, 5, 6, 7, 12].iter().map(|&i| row.get(i)).collect();
                    let period: i32 = row.get(4);
                    let fen: i64 = (8..12).map(|i| row.get::<i64, _>(i)).sum();
                    std::hint::black_box((text, period, fen));
                    count += 1;
                }
                count
            }

            /// The three baselines of `rows` residents in the demo's Pei
            /// (import's writes, renewal's writes, settlement's read), then
            /// the rows removed again.
            pub async fn run(pool: &Pool<$db>, rows: usize, period: i32) -> [std::time::Duration; 3] {
                let chunks = || (0..rows).step_by(10_000).map(move |from| (from, (from + 10_000).min(rows)));
                let started = std::time::Instant::now();
                for (from, to) in chunks() {
                    write(pool, super::residents("320322", from, to)).await;
                }
                let import = started.elapsed();
                let started = std::time::Instant::now();
                for (from, to) in chunks() {
                    write(pool, super::contracts("320322", "team-anguo-1", "pei-anguo", period, from, to)).await;
                }
                let renewal = started.elapsed();
                let started = std::time::Instant::now();
                assert_eq!(read(pool).await, rows);
                let settlement = started.elapsed();
                clean(pool).await;
                [import, renewal, settlement]
            }

            /// Removes what the baseline wrote, so the kernel's jobs start as without it.
            async fn clean(pool: &Pool<$db>) {
                // One batch on one connection, after `$unchecked`: the rows
                // that refer to each deleted one go first.
                let deletes = concat!(
                    $unchecked,
                    "DELETE FROM events WHERE stream LIKE 'resident/bare-%' OR stream LIKE 'contract/bare-%';
                     DELETE FROM contract_lines WHERE contract_id LIKE 'bare-c-%';
                     DELETE FROM contracts WHERE id LIKE 'bare-c-%';
                     DELETE FROM residents WHERE id LIKE 'bare-%';
                     DELETE FROM households WHERE id LIKE 'bare-h-%';"
                );
                sqlx::raw_sql(deletes).execute(pool).await.unwrap();
                sqlx::raw_sql("VACUUM").execute(pool).await.unwrap();
            }
        }
    };
}

driver!(sqlite, sqlx::Sqlite, "");
// PostgreSQL checks every deleted resident against each table that refers to
// residents, a scan where the column has no index: a million of them took
// longer than the whole bench. The rows referring to them are deleted first,
// so the checks are skipped (the bench's user must be a superuser).
driver!(postgres, sqlx::Postgres, "SET LOCAL session_replication_role = replica;");
