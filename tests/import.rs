//! Import of the poverty department's list: bad rows reported by line while
//! the good ones go in, idempotent on a second run, through the kernel, the
//! CLI and the HTTP API, on every database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{county_admin, databases, kernel, member, qianyue, regional_admin};
use qianyue::KernelError;
use qianyue::demo::{FENG, PEI, demo_residents};
use qianyue::residents::{CitizenId, Tag};
use time::macros::date;

fn id(first_17: &str) -> String {
    CitizenId::from_first_17(first_17).unwrap().expose().to_owned()
}

fn demo_id(resident: &str) -> String {
    // The year `kernel()` loads the demo region for: its clock is the system's.
    let year = qianyue::kernel::Clock::System.today().year();
    let r = demo_residents(year).into_iter().find(|r| r.id == resident).unwrap();
    r.citizen_id.expose().to_owned()
}

/// Nine data rows: three new people in two households, an existing resident
/// of Pei, and five rows that must be refused.
fn list() -> Vec<u8> {
    let mut mistyped = id("32032219700101003");
    let last = mistyped.pop().unwrap();
    mistyped.push(if last == '0' { '1' } else { '0' });
    let mut csv = format!(
        "household_no,name,citizen_id,poverty_status,address,phone\n\
         H-001,甲一,{},registered_poor,湖西村1组,13800000001\n\
         H-001,甲二,{},建档立卡贫困户,湖西村1组,\n\
         H-002,乙一,{},脱贫户,龙固村2组,\n\
         H-003,丙一,{mistyped},监测户,x,\n\
         H-003,丙二,{},hypertension,x,\n\
         H-004,,{},registered_poor,x,\n\
         H-002,乙二,{},脱贫户,龙固村2组,\n\
         H-005,丁一,{},special_family_planning,x,\n\
         H-006,戊一,{},registered_poor,x,\n",
        id("32032219500101001"),
        id("32032219520202002"),
        id("32032219600303011"),
        id("32032219700404021"),
        id("32032219800505031"),
        id("32032219600303011"),
        demo_id("res-pei-005"),
        demo_id("res-feng-001"),
    )
    .into_bytes();
    // A row saved as GBK, as spreadsheets in China often do.
    csv.extend_from_slice(b"H-007,\xd5\xc5\xc8\xfd,");
    csv.extend_from_slice(id("32032219900606041").as_bytes());
    csv.extend_from_slice(b",registered_poor,x,\n");
    csv
}

#[tokio::test]
async fn bad_rows_are_reported_by_line_good_rows_go_in_and_a_second_import_changes_nothing() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel(&db, dir.path(), &[]).await;
        let admin = county_admin(PEI);
        let on = date!(2026 - 03 - 01);

        let report = k.import_poverty_list(&admin, PEI, list().as_slice(), on, |_| {}).await.unwrap();
        assert_eq!(report.rows, 10, "{}", db.name);
        assert_eq!(
            (report.residents_created, report.households_created, report.tags_added, report.unchanged),
            (3, 2, 4, 0),
            "{}: {report:?}",
            db.name
        );
        let lines: Vec<(u64, &str)> = report.rejected.iter().map(|r| (r.line, r.reason.as_str())).collect();
        let expected = [
            (5, "check character"),
            (6, "not a poverty status"),
            (7, "name is empty"),
            (8, "already on line 4"),
            (10, "registered in another county"),
            (11, "not UTF-8"),
        ];
        assert_eq!(lines.len(), expected.len(), "{}: {lines:?}", db.name);
        assert!(lines.iter().all(|(_, reason)| !reason.contains(FENG) && !reason.contains("res-feng")), "{lines:?}");
        for ((line, reason), (want_line, want)) in lines.iter().zip(expected) {
            assert_eq!(*line, want_line, "{}: {lines:?}", db.name);
            assert!(reason.contains(want), "{}: line {line}: {reason}", db.name);
        }

        // Who tried Feng's resident's number is kept for the region, by kernel id.
        k.flush_audit().await.unwrap();
        let audit = k.store.audit_of_resident("res-feng-001").await.unwrap();
        assert!(
            audit.iter().any(|r| r.principal == admin.subject && r.action == "ReadResident" && !r.allowed),
            "{}: {audit:?}",
            db.name
        );

        // The two members of H-001 share one new household, with the list's number.
        let residents = k.residents(&admin, PEI, None, 500).await.unwrap();
        let named = |name: &str| residents.iter().find(|r| r.name == name).unwrap().clone();
        let (a, b, c) = (named("甲一"), named("甲二"), named("乙一"));
        assert_eq!(a.household_id, b.household_id);
        assert_ne!(a.household_id, c.household_id);
        let household = k.store.household(a.household_id.as_deref().unwrap()).await.unwrap().unwrap();
        assert_eq!((household.external_no.as_deref(), household.address.as_str()), (Some("H-001"), "湖西村1组"));
        let record = &a.recorded_tags[&Tag::RegisteredPoor];
        assert_eq!((record.recorded_on, record.source.as_str()), (on, "poverty-list"));
        assert_eq!(a.phone.as_deref(), Some("13800000001"));
        assert!(c.recorded_tags.contains_key(&Tag::LiftedOutOfPoverty));
        // An existing resident gains the status and keeps their household.
        let existing = k.resident(&admin, "res-pei-005").await.unwrap();
        assert!(existing.recorded_tags.contains_key(&Tag::SpecialFamilyPlanning));
        assert_eq!(existing.household_id.as_deref(), Some("hh-pei-003"));
        // The imported poor are must-sign residents, unsigned so far.
        let period = qianyue::contracts::Period::containing(k.clock.today());
        let unsigned = k.unsigned(&admin, PEI, period, None, 500).await.unwrap();
        assert!(unsigned.residents.iter().any(|u| u.resident_id == a.id), "{}", db.name);

        let events_before = k.store.events_with_prefix("resident:").await.unwrap().len();
        let again = k.import_poverty_list(&admin, PEI, list().as_slice(), on, |_| {}).await.unwrap();
        assert_eq!(
            (again.rows, again.residents_created, again.households_created, again.tags_added, again.unchanged),
            (10, 0, 0, 0, 4),
            "{}: {again:?}",
            db.name
        );
        assert_eq!(again.rejected, report.rejected);
        assert_eq!(k.store.events_with_prefix("resident:").await.unwrap().len(), events_before, "{}", db.name);
        assert_eq!(k.residents(&admin, PEI, None, 500).await.unwrap().len(), residents.len());
    }
}

#[tokio::test]
async fn the_list_needs_its_columns_and_the_right_to_import() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel(&db, dir.path(), &[]).await;
        let today = k.clock.today();
        let no_household = b"name,citizen_id,poverty_status,address\n".as_slice();
        let refused = k.import_poverty_list(&county_admin(PEI), PEI, no_household, today, |_| {}).await.unwrap_err();
        assert!(matches!(refused, KernelError::List(_)), "{refused}");
        assert!(refused.to_string().contains("no `household_no` column"), "{refused}");

        let list = list();
        for who in [member(PEI, "team-anguo-1"), county_admin(FENG)] {
            let refused = k.import_poverty_list(&who, PEI, list.as_slice(), today, |_| {}).await;
            assert!(matches!(refused, Err(KernelError::Denied(_))), "{:?}", who.role);
        }
        // Nothing was written by the refusals.
        let residents = k.residents(&regional_admin(), PEI, None, 500).await.unwrap();
        assert!(residents.iter().all(|r| r.name != "甲一"), "{}", db.name);
    }
}

#[tokio::test]
async fn the_cli_lists_bad_rows_fails_and_imports_the_rest_once() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        // The county must exist: the demo region provides it.
        drop(kernel(&db, dir.path(), &[]).await);
        let file = dir.path().join("list.csv");
        std::fs::write(
            &file,
            format!(
                "户编号,姓名,身份证号,人员类别,住址\nH-1,甲一,{},监测户,x\nH-1,甲二,{},监测户,x\nH-2,乙一,123,监测户,x\n",
                id("32032219500101001"),
                id("32032219520202002")
            ),
        )
        .unwrap();
        let run = || {
            let mut command = qianyue();
            command.args(["import", "residents"]).arg(&file).args(["--county", PEI, "--data-dir"]).arg(dir.path());
            if let Some(url) = &db.url {
                command.args(["--database-url", url]);
            }
            command.env_remove("QIANYUE_DATABASE_URL").output().unwrap()
        };
        let first = run();
        let (stdout, stderr) = (String::from_utf8_lossy(&first.stdout), String::from_utf8_lossy(&first.stderr));
        assert!(!first.status.success(), "{}: one row is bad", db.name);
        assert!(stderr.contains("line 4: a citizen ID has 18 characters"), "{stderr}");
        assert!(stderr.contains("1 rows were rejected"), "{stderr}");
        assert!(
            stdout.contains("3 rows: 2 residents and 1 households created, 2 statuses recorded, 0 unchanged"),
            "{stdout}"
        );

        let second = run();
        let stdout = String::from_utf8_lossy(&second.stdout);
        assert!(
            stdout.contains("3 rows: 0 residents and 0 households created, 0 statuses recorded, 2 unchanged"),
            "{stdout}"
        );
    }
}

#[tokio::test]
async fn the_http_endpoint_imports_for_the_county_admin_only() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let server = common::Server::start(dir.path(), &db, &["--demo"]);
        let post = |token: String, body: Vec<u8>| post_list(&server, token, body);
        let pei = server.token(&["--role", "county_admin", "--county", PEI]);
        let (status, _, report) = post(pei.clone(), list()).await;
        assert_eq!(status, 200, "{report:#}");
        assert_eq!(report["residents_created"], 3);
        assert_eq!(report["rejected"].as_array().unwrap().len(), 6);
        assert_eq!(report["rejected"][0]["line"], 5);

        let feng = server.token(&["--role", "county_admin", "--county", FENG]);
        let (status, content_type, _) = post(feng, list()).await;
        assert_eq!((status, content_type.as_str()), (403, "application/problem+json"));
        let (status, content_type, problem) = post(pei, b"name\n".to_vec()).await;
        assert_eq!((status, content_type.as_str()), (422, "application/problem+json"), "{problem:#}");
        assert!(problem["detail"].as_str().unwrap().contains("household_no"), "{problem:#}");
    }
}

/// Posts a poverty list to Pei's import endpoint as `token`: status, content type and answer.
async fn post_list(server: &common::Server, token: String, body: Vec<u8>) -> (u16, String, serde_json::Value) {
    let url = format!("{}/v1/counties/{PEI}/imports/poverty-list?recorded_on=2026-02-01", server.base);
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (status, content_type, response.json::<serde_json::Value>().await.unwrap())
}

/// Posts a resident to Pei as `token`.
async fn register(server: &common::Server, token: &str, body: serde_json::Value) -> common::Answer {
    common::request("POST", &format!("{}/v1/counties/{PEI}/residents", server.base), Some(token), Some(body)).await
}

/// Pei's residents as its county admin sees them.
async fn pei_residents(server: &common::Server, token: &str) -> Vec<serde_json::Value> {
    let url = format!("{}/v1/counties/{PEI}/residents?limit=500", server.base);
    common::request("GET", &url, Some(token), None).await.ok(200).as_array().unwrap().clone()
}

#[tokio::test]
async fn text_a_database_cannot_hold_and_births_after_today_are_refused_before_anything_is_written() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let server = common::Server::start(dir.path(), &db, &["--demo"]);
        let pei = server.token(&["--role", "county_admin", "--county", PEI]);
        let before = pei_residents(&server, &pei).await;
        let new_id = id("32032219800808001");

        let nul = register(&server, &pei, serde_json::json!({"name": "张\u{0}三", "citizen_id": new_id})).await;
        assert!(nul.problem(422, "invalid-text").contains("NUL"), "{}: {:?}", db.name, nul.body);
        let in_phone =
            register(&server, &pei, serde_json::json!({"name": "张三", "citizen_id": new_id, "phone": "1\u{0}"})).await;
        assert_eq!((in_phone.status, &in_phone.body["type"]), (422, &serde_json::json!("/problems/invalid-text")));
        for url in [
            format!("{}/v1/residents/res-pei-001%00", server.base),
            format!("{}/v1/counties/{PEI}/residents?after=%00", server.base),
            format!("{}/v1/teams/team-anguo-1%00/referrals", server.base),
        ] {
            let answer = common::request("GET", &url, Some(&pei), None).await;
            answer.problem(422, "invalid-text");
        }

        // Check character 0, computed by hand: a valid number of someone born in 2099.
        let future =
            register(&server, &pei, serde_json::json!({"name": "未来", "citizen_id": "320322209901011230"})).await;
        assert!(future.problem(422, "invalid-resident").contains("after today"), "{}: {:?}", db.name, future.body);
        assert_eq!(pei_residents(&server, &pei).await, before, "{}: nothing was written", db.name);

        // The import reports such rows by line and takes the rest.
        let list = format!(
            "household_no,name,citizen_id,poverty_status,address\n\
             H-1,甲\u{0}一,{},registered_poor,x\n\
             H-1,未来,320322209901011230,registered_poor,x\n\
             H-1,甲二,{},registered_poor,x\n",
            id("32032219500101001"),
            id("32032219520202002"),
        );
        let (_, _, report) = post_list(&server, pei.clone(), list.into_bytes()).await;
        assert_eq!(report["residents_created"], 1, "{}: {report:#}", db.name);
        assert_eq!(report["rejected"][0]["line"], 2);
        assert!(report["rejected"][0]["reason"].as_str().unwrap().contains("`name` field contains a NUL"));
        assert_eq!(report["rejected"][1]["line"], 3);
        assert!(report["rejected"][1]["reason"].as_str().unwrap().contains("after today"), "{report:#}");
    }
}

#[tokio::test]
async fn another_countys_ids_and_citizen_ids_answer_only_refused() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let server = common::Server::start(dir.path(), &db, &["--demo"]);
        let pei = server.token(&["--role", "county_admin", "--county", PEI, "--subject", "prober"]);
        let doctor = server.token(&["--role", "team_member", "--county", PEI, "--team", "team-anguo-1"]);
        let regional = server.token(&["--role", "regional_admin"]);
        let get = |path: String, token: String| {
            let url = format!("{}{path}", server.base);
            async move { common::request("GET", &url, Some(&token), None).await }
        };

        // Another county's team, institution, resident: refused as a missing one is.
        for (theirs, missing) in [
            ("/v1/teams/team-huankou-1/referrals", "/v1/teams/team-nowhere/referrals"),
            ("/v1/institutions/feng-huankou/referrals", "/v1/institutions/nowhere/referrals"),
            ("/v1/residents/res-feng-001", "/v1/residents/nobody"),
            ("/v1/audit/residents/res-feng-001", "/v1/audit/residents/nobody"),
        ] {
            for token in [&pei, &doctor] {
                for path in [theirs, missing] {
                    let answer = get(path.to_owned(), token.clone()).await;
                    let detail = answer.problem(403, "forbidden").to_owned();
                    assert!(!detail.contains(FENG), "{path}: {detail}");
                }
            }
            // Only a caller allowed everywhere learns what is missing.
            get(theirs.to_owned(), regional.clone()).await.ok(200);
            let answer = get(missing.to_owned(), regional.clone()).await;
            answer.problem(404, "not-found");
        }
        get("/v1/teams/team-anguo-1/referrals".into(), doctor.clone()).await.ok(200);
        // A referral up of another county's resident, or of no one: the same refusal.
        let mut details = Vec::new();
        for resident in ["res-feng-001", "nobody"] {
            let body = serde_json::json!({"direction": "up", "resident_id": resident, "to_institution": "pei-hospital", "reason": "x"});
            let answer =
                common::request("POST", &format!("{}/v1/referrals", server.base), Some(&doctor), Some(body)).await;
            details.push(answer.problem(403, "forbidden").replace(resident, "…"));
        }
        assert_eq!(details[0], details[1], "{}", db.name);

        // A citizen ID of Feng's: refused, without Feng's code or the resident's id.
        let before = pei_residents(&server, &pei).await;
        let feng_id = demo_id("res-feng-001");
        let taken = register(&server, &pei, serde_json::json!({"name": "冯一", "citizen_id": feng_id})).await;
        let detail = taken.problem(409, "registered-elsewhere").to_owned();
        assert!(!detail.contains(FENG) && !detail.contains("res-feng-001"), "{detail}");
        assert_eq!(pei_residents(&server, &pei).await, before, "{}", db.name);
        // The same county's again keeps its answer.
        let again =
            register(&server, &pei, serde_json::json!({"name": "再一", "citizen_id": demo_id("res-pei-005")})).await;
        again.problem(409, "duplicate-resident");
        // The region sees who probed.
        let audit = get("/v1/audit/residents/res-feng-001".into(), regional.clone()).await;
        let records = audit.ok(200).as_array().unwrap().clone();
        assert!(
            records
                .iter()
                .any(|r| r["principal"] == "prober" && r["action"] == "ReadResident" && r["allowed"] == false),
            "{}: {records:#?}",
            db.name
        );
        assert!(records.iter().all(|r| !r.to_string().contains(&feng_id)), "no citizen ID in the audit log");
    }
}
