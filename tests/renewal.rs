//! The annual renewal: its rules, and a run killed with SIGKILL mid-way that
//! a second run completes with every contract renewed exactly once — on
//! every database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{county_admin, databases, kernel_on, member, qianyue, regional_admin, sign};
use qianyue::KernelError;
use qianyue::contracts::{ContractStatus, Period};
use qianyue::demo::PEI;
use qianyue::kernel::Clock;
use sqlx::Row;
use time::macros::date;

const Y2025: Period = Period { year: 2025 };
const Y2026: Period = Period { year: 2026 };

#[tokio::test]
async fn basic_packages_renew_unless_objected_and_personalised_ones_do_not() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let k25 = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2025 - 03 - 01))).await;
        let team1 = member(PEI, "team-anguo-1");
        let team2 = member(PEI, "team-anguo-2");
        let basic_only = k25.sign(&team1, sign("res-pei-001", "team-anguo-1", &["PEI-GW"])).await.unwrap();
        let with_checkup = k25.sign(&team1, sign("res-pei-004", "team-anguo-1", &["PEI-GW", "PEI-TJ"])).await.unwrap();
        let objected = k25.sign(&team2, sign("res-pei-006", "team-anguo-2", &["PEI-GW"])).await.unwrap();
        k25.object_to_renewal(&team2, &objected.id, "moving to Xuzhou").await.unwrap();
        let longgu = member(PEI, "team-longgu-1");
        let ended = k25.sign(&longgu, sign("res-pei-005", "team-longgu-1", &["PEI-GW"])).await.unwrap();
        k25.terminate(&longgu, &ended.id, "moved away").await.unwrap();
        let signed_again = k25.sign(&team2, sign("res-pei-002", "team-anguo-2", &["PEI-GW"])).await.unwrap();

        let k26 = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2026 - 01 - 05))).await;
        // This resident signed the new period already, before the renewal ran.
        k26.sign(&team2, sign("res-pei-002", "team-anguo-2", &["PEI-GW"])).await.unwrap();

        let early = k25.renew(&regional_admin(), PEI, Y2025, 1000, |_| {}).await.unwrap_err();
        assert!(early.to_string().contains("period 2025 runs until 2025-12-31"), "{early}");
        let denied = k26.renew(&team1, PEI, Y2025, 1000, |_| {}).await;
        assert!(matches!(denied, Err(KernelError::Denied(_))));

        let mut seen = Vec::new();
        // Chunks of two: the five contracts take three transactions.
        let report = k26.renew(&county_admin(PEI), PEI, Y2025, 2, |p| seen.push((p.done, p.total))).await.unwrap();
        assert_eq!(seen, [(0, 4), (2, 4), (4, 4)], "{}", db.name);
        assert_eq!(report.renewed, 2, "{}: {report:?}", db.name);
        let not_renewed: Vec<(&str, u64)> = report.not_renewed.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(not_renewed, [("already_signed", 1), ("objected", 1)], "{}", db.name);

        let admin = county_admin(PEI);
        for (old, lines) in [(&basic_only, vec!["PEI-GW"]), (&with_checkup, vec!["PEI-GW"])] {
            let contracts = k26.contracts_of_resident(&admin, &old.resident_id).await.unwrap();
            let [new, previous] = contracts.as_slice() else { panic!("{}: {contracts:?}", db.name) };
            assert_eq!((previous.id.as_str(), previous.status), (old.id.as_str(), ContractStatus::Expired));
            assert_eq!(previous.ended_on, Some(date!(2025 - 12 - 31)));
            assert_eq!((new.period, new.status, new.signed_on), (Y2026, ContractStatus::Active, date!(2026 - 01 - 01)));
            assert_eq!((new.renewed_from.as_deref(), new.team_id.as_str()), (Some(old.id.as_str()), "team-anguo-1"));
            assert_eq!(new.lines.iter().map(|l| l.package_code.as_str()).collect::<Vec<_>>(), lines);
            assert_eq!(new.plugin_hash, old.plugin_hash);
            assert!(new.lines[0].quote.rule.len() > 1, "repriced by the plugin");
        }
        // One household, two residents, one family doctor in 2026.
        assert_eq!(k26.store.team_load("team-anguo-1", Y2026).await.unwrap(), (1, 2));
        let contract = |id: String| {
            let k = k26.clone();
            let admin = admin.clone();
            async move { k.contract(&admin, &id).await.unwrap() }
        };
        assert_eq!(contract(objected.id.clone()).await.status, ContractStatus::Expired);
        assert_eq!(contract(ended.id.clone()).await.status, ContractStatus::Terminated);
        assert_eq!(contract(signed_again.id.clone()).await.status, ContractStatus::Expired);

        let history = k26.history(&admin, "res-pei-006").await.unwrap();
        let last = history[0].events.last().unwrap();
        assert_eq!(last.kind, "contract.expired");
        assert_eq!(last.reason.as_deref(), Some("not renewed: the resident objected to the renewal"));
        let history = k26.history(&admin, "res-pei-001").await.unwrap();
        let expired = history.iter().find(|h| h.contract.id == basic_only.id).unwrap().events.last().unwrap();
        assert!(expired.reason.as_deref().unwrap().starts_with("renewed as "), "{expired:?}");

        // Running it again finds nothing left to do and renews nothing twice.
        let again = k26.renew(&admin, PEI, Y2025, 1000, |_| {}).await.unwrap();
        assert_eq!((again.renewed, again.resumed_after), (2, 4), "{again:?}");
        assert_eq!(k26.contracts_of_resident(&admin, "res-pei-001").await.unwrap().len(), 2);
        assert_eq!(k26.verify_event_log().await.unwrap(), Vec::<String>::new(), "{}", db.name);
    }
}

/// A counter over the test's own connection.
async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap().try_get::<i64, _>(0).unwrap()
}

#[tokio::test]
async fn a_run_killed_mid_way_resumes_and_renews_every_contract_exactly_once() {
    const RESIDENTS: usize = 6000;
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel_on(&db, dir.path(), &[], Clock::System).await;
        let list = qianyue::synthetic::poverty_list(PEI, RESIDENTS);
        let today = k.clock.today();
        let imported = k.import_poverty_list(&regional_admin(), PEI, list.as_bytes(), today, |_| {}).await.unwrap();
        assert_eq!(imported.residents_created, RESIDENTS as u64);
        let team = k.store.team("team-anguo-1").await.unwrap().unwrap();
        let plugin = k.plugins.for_county(PEI, Y2025.start()).unwrap();
        let line = qianyue::synthetic::basic_line();
        let seeded = k.store.seed_synthetic_contracts(&team, Y2025, &line, (&plugin.hash, &plugin.info.version));
        let seeded = seeded.await.unwrap();
        assert!(seeded >= RESIDENTS as u64);

        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.store_url(dir.path())).await.unwrap();
        let renewable =
            count(&pool, "SELECT COUNT(*) FROM contracts WHERE period = 2025 AND renewal_objected = 0").await;
        let renewed_so_far =
            || count(&pool, "SELECT COUNT(*) FROM contracts WHERE period = 2026 AND renewed_from IS NOT NULL");

        let renew = || {
            let mut command = qianyue();
            command
                .args(["renew", "--period", "2025", "--county", PEI, "--chunk-size", "20", "--data-dir"])
                .arg(dir.path());
            if let Some(url) = &db.url {
                command.args(["--database-url", url]);
            }
            command.env_remove("QIANYUE_DATABASE_URL").stdout(Stdio::piped()).stderr(Stdio::piped());
            command
        };
        let mut child = renew().spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line_text = String::new();
        loop {
            line_text.clear();
            assert!(stdout.read_line(&mut line_text).unwrap() > 0, "{}: the run ended before any progress", db.name);
            let done: u64 =
                line_text.split_whitespace().nth(2).and_then(|p| p.split('/').next()?.parse().ok()).unwrap_or(0);
            if line_text.starts_with("progress") && done >= 40 {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL: no chance to clean up.
        child.wait().unwrap();
        let after_kill = renewed_so_far().await;
        assert!(after_kill > 0 && after_kill < renewable, "{}: killed at {after_kill} of {renewable}", db.name);

        let output = renew().output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        assert!(report["resumed_after"].as_u64().unwrap() > 0, "{report}");

        assert_eq!(renewed_so_far().await, renewable, "{}", db.name);
        assert_eq!(
            count(&pool, "SELECT COUNT(DISTINCT renewed_from) FROM contracts WHERE period = 2026").await,
            renewable
        );
        assert_eq!(count(&pool, "SELECT COUNT(*) FROM contracts WHERE period = 2025 AND status = 'active'").await, 0);
        // One expiry per old contract and one signing per renewal: no event was written twice.
        assert_eq!(count(&pool, "SELECT COUNT(*) FROM events WHERE kind = 'contract.expired'").await, seeded as i64);
        assert_eq!(
            count(
                &pool,
                "SELECT COUNT(*) FROM events WHERE kind = 'contract.signed' AND reason LIKE 'automatic renewal%'"
            )
            .await,
            renewable
        );
        let load = k.store.team_load("team-anguo-1", Y2026).await.unwrap();
        assert_eq!(load.1, renewable, "{}", db.name);
        pool.close().await;
    }
}
