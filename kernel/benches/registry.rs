//! The registry's bulk jobs at full size: import a 1,000,000-row poverty
//! list, import it again (nothing changes), renew 1,000,000 contracts, then
//! settle the period they were signed in, on embedded SQLite. Targets: the
//! imports and the renewal each under 60 s on the 2-core machine, the
//! settlement under 30 s.
//!
//! `cargo bench --bench registry` (QIANYUE_BENCH_ROWS changes the size;
//! QIANYUE_BENCH_DATABASE_URL runs it on PostgreSQL instead). Each job is
//! printed beside the bare driver writing or reading the same rows
//! (`bare_driver`), timed first in the same run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use qianyue::authz::{Authorizer, Policies, Principal, Role};
use qianyue::contracts::Period;
use qianyue::kernel::{Clock, NewTeam};
use qianyue::org::{MemberRole, Membership};
use qianyue::plugins::{Limits, PluginHost};
use qianyue::store::Store;
use qianyue::tokens::TokenKeys;
use qianyue::{Kernel, demo};

mod bare_driver;

// As in the `qianyue` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("QIANYUE_BENCH_ROWS").ok().and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("QIANYUE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.path().join("qianyue.db").display()));
    let store = Store::open(&url).await.unwrap();
    let today = Clock::System.today();
    demo::load(&store, today.year()).await.unwrap();
    let [bare_import, bare_renewal, bare_settlement] = baseline(&url, rows, today.year() - 1).await;
    let kernel = Kernel {
        store,
        plugins: Arc::new(PluginHost::new(Limits::default()).unwrap()),
        authz: Policies::new(Authorizer::bundled().unwrap()),
        tokens: TokenKeys::from_secret(&[7; 32]),
        clock: Clock::System,
    };
    kernel.install_bundled_plugins().await.unwrap();
    let kernel = Arc::new(kernel);
    let region = Principal {
        subject: "bench".into(),
        role: Role::RegionalAdmin,
        county: None,
        team: None,
        duty: None,
        institution: None,
    };
    let admin = Principal {
        subject: "bench".into(),
        role: Role::CountyAdmin,
        county: Some(demo::PEI.into()),
        team: None,
        duty: None,
        institution: None,
    };

    let list = dir.path().join("list.csv");
    std::fs::write(&list, qianyue::synthetic::poverty_list(demo::PEI, rows)).unwrap();
    let bytes = std::fs::metadata(&list).unwrap().len();
    for pass in ["import", "re-import (no change)"] {
        let file = std::io::BufReader::new(std::fs::File::open(&list).unwrap());
        let started = Instant::now();
        let report = kernel.import_poverty_list(&region, demo::PEI, file, today, |_| {}).await.unwrap();
        let took = started.elapsed();
        assert!(report.rejected.is_empty(), "{:?}", &report.rejected[..1]);
        println!(
            "{pass}: {rows} rows ({:.0} MB) in {:.1} s = {:.0} rows/s; created {} residents, {} unchanged",
            bytes as f64 / 1e6,
            took.as_secs_f64(),
            rows as f64 / took.as_secs_f64(),
            report.residents_created,
            report.unchanged
        );
        if pass == "import" {
            beside(took, bare_import);
        }
    }

    // One team large enough for the whole county, everyone signed last period.
    let team = NewTeam {
        institution_id: "pei-anguo".into(),
        name: "bench".into(),
        members: vec![Membership { member_id: "m-zhang".into(), role: MemberRole::GpLeader }],
        capacity_households: Some(rows as i64),
        capacity_residents: Some(2 * rows as i64),
    };
    let last = Period { year: today.year() - 1 };
    // Formed when the period it signs began, as a real team is: a team is
    // settled only for the periods it existed in.
    let founding = Kernel {
        store: kernel.store.clone(),
        plugins: kernel.plugins.clone(),
        authz: Policies::new(Authorizer::bundled().unwrap()),
        tokens: TokenKeys::from_secret(&[7; 32]),
        clock: Clock::Fixed(last.start()),
    };
    let team = founding.create_team(&admin, demo::PEI, team).await.unwrap();
    let plugin = kernel.plugins.for_county(demo::PEI, today).unwrap();
    let line = qianyue::synthetic::basic_line();
    let seeded =
        kernel.store.seed_synthetic_contracts(&team, last, &line, (&plugin.hash, &plugin.info.version)).await.unwrap();

    let started = Instant::now();
    let report = kernel.renew(&region, demo::PEI, last, 1000, |_| {}).await.unwrap();
    let took = started.elapsed();
    println!(
        "renewal: {seeded} contracts in {:.1} s = {:.0} contracts/s; renewed {}, not renewed {:?}",
        took.as_secs_f64(),
        seeded as f64 / took.as_secs_f64(),
        report.renewed,
        report.not_renewed
    );
    beside(took, bare_renewal);

    // The period just renewed, settled for every team of the county through
    // Pei's incentive plugin: assessment of each team included.
    let started = Instant::now();
    let settled = kernel.settle(&region, demo::PEI, last).await.unwrap();
    let took = started.elapsed();
    let signed: u32 = settled.teams.iter().map(|t| t.activity.residents_signed).sum();
    println!(
        "settlement: {signed} contracts of {} teams in {:.1} s = {:.0} contracts/s; total {} fen",
        settled.teams.len(),
        took.as_secs_f64(),
        f64::from(signed) / took.as_secs_f64(),
        settled.total
    );
    beside(took, bare_settlement);
}

/// The bare driver's baselines of the three jobs (`bare_driver`), timed on
/// the same database before the kernel's jobs and removed again.
async fn baseline(url: &str, rows: usize, period: i32) -> [Duration; 3] {
    if url.starts_with("sqlite:") {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        // The store's own settings (`Store::open`).
        let options = url
            .parse::<SqliteConnectOptions>()
            .unwrap()
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("cache_size", "-65536");
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        bare_driver::sqlite::run(&pool, rows, period).await
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        bare_driver::postgres::run(&pool, rows, period).await
    }
}

/// A job's time beside its bare-driver baseline.
fn beside(took: Duration, bare: Duration) {
    println!(
        "  the bare driver, the same rows: {:.1} s; the job takes {:.1}× as long",
        bare.as_secs_f64(),
        took.as_secs_f64() / bare.as_secs_f64()
    );
}
