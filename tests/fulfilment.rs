//! Fulfilment on every database: only the contract's team records what it
//! delivered, records are append-only and corrected once, the schedule
//! counts deliveries against what the packages owe, two unsatisfactory
//! glucose results raise a referral suggestion, and the work list puts it
//! and the most overdue deliveries first — through the kernel, HTTP and CLI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Server, databases, glucose_test, kernel_on, member, person, qianyue, request, sign};
use qianyue::KernelError;
use qianyue::authz::Role;
use qianyue::claims::{NewClaim, StoredClaim};
use qianyue::demo::PEI;
use qianyue::fulfilment::{NewServiceRecord, Trigger};
use qianyue::kernel::Clock;
use qianyue::plugins::{CareKind, CareLevel, ShareKind};
use serde_json::json;
use time::macros::date;

#[tokio::test]
async fn the_team_records_what_it_delivered_and_the_protocols_and_work_list_follow() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let january = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2026 - 01 - 05))).await;
        let doctor = member(PEI, "team-anguo-1");
        let contract = january.sign(&doctor, sign("res-pei-004", "team-anguo-1", &["PEI-GW", "PEI-MB"])).await.unwrap();

        // 5 January to 31 December is 361 days: four glucose tests, the first due by day 91.
        let schedule = january.contract_schedule(&doctor, &contract.id, None).await.unwrap();
        let item = |s: &qianyue::kernel::ContractSchedule, code: &str| {
            s.items.iter().find(|i| i.item_code == code).cloned().unwrap()
        };
        let glucose = item(&schedule, "fasting-glucose");
        assert_eq!((glucose.owed, glucose.delivered, glucose.next_due), (4, 0, Some(date!(2026 - 04 - 05))));

        // Only the resident's own team records: another team, an inspector and the region may not.
        let first = glucose_test(date!(2026 - 01 - 05), 75);
        for outsider in [member(PEI, "team-anguo-2"), person(PEI, Role::Inspector, None), common::regional_admin()] {
            let refused = january.record_service(&outsider, &contract.id, first.clone()).await;
            assert!(matches!(refused, Err(KernelError::Denied(_))), "{outsider:?}: {refused:?}");
        }
        let village_doctor = person(PEI, Role::VillageDoctor, Some("team-anguo-1"));
        let recorded = january.record_service(&village_doctor, &contract.id, first).await.unwrap();
        assert_eq!(recorded.record.recorded_by, "VillageDoctor-of-320322");
        assert!(recorded.referral_suggestions.is_empty(), "one unsatisfactory result is not enough");
        let tomorrow = glucose_test(date!(2026 - 01 - 06), 70);
        let early = january.record_service(&doctor, &contract.id, tomorrow).await;
        assert!(matches!(early, Err(KernelError::Fulfilment(_))), "a delivery cannot be in the future: {early:?}");

        // April: the follow-ups and health education are five days late, and a
        // second unsatisfactory glucose result raises a referral suggestion.
        let april = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2026 - 04 - 10))).await;
        let work = april.work_list(&doctor, "team-anguo-1", None, 14).await.unwrap();
        assert!(work.referral_suggestions.is_empty());
        let late: Vec<_> = work.due.iter().filter(|w| w.resident_id == "res-pei-004").collect();
        assert!(late.iter().all(|w| w.days_overdue == 5 && w.due_on == date!(2026 - 04 - 05)), "{late:#?}");
        let late_items: Vec<&str> = late.iter().map(|w| w.item_code.as_str()).collect();
        assert_eq!(late_items, ["health-education", "blood-pressure", "follow-up"], "by package, then item");

        let second =
            april.record_service(&doctor, &contract.id, glucose_test(date!(2026 - 04 - 10), 78)).await.unwrap();
        let reasons: Vec<Trigger> = second.referral_suggestions.iter().map(|s| s.reason).collect();
        assert_eq!(reasons, [Trigger::GlucoseUncontrolled]);
        let work = april.work_list(&doctor, "team-anguo-1", None, 14).await.unwrap();
        assert_eq!(work.referral_suggestions.len(), 1);
        assert_eq!(work.referral_suggestions[0].record_id, second.record.id);
        let village_view = april.work_list(&village_doctor, "team-anguo-1", None, 14).await.unwrap();
        assert_eq!(village_view.due, work.due, "the team's village doctor sees the same list");
        let other_team = april.work_list(&member(PEI, "team-anguo-2"), "team-anguo-1", None, 14).await;
        assert!(matches!(other_team, Err(KernelError::Denied(_))));

        // A correction is a new record naming the one it replaces; a record is corrected once.
        let fix =
            NewServiceRecord { corrects: Some(second.record.id.clone()), ..glucose_test(date!(2026 - 04 - 10), 61) };
        let fixed = april.record_service(&doctor, &contract.id, fix.clone()).await.unwrap();
        assert!(fixed.referral_suggestions.is_empty());
        let again = april.record_service(&doctor, &contract.id, fix).await;
        assert!(matches!(again, Err(KernelError::Fulfilment(_))), "{again:?}");
        let schedule = april.contract_schedule(&doctor, &contract.id, None).await.unwrap();
        assert_eq!(item(&schedule, "fasting-glucose").delivered, 2, "the correction replaces, it does not add");
        assert_eq!(schedule.records.len(), 3, "every record is kept, the corrected one too");

        // Two clerks correcting the same record at once: one wins.
        let target =
            april.record_service(&doctor, &contract.id, glucose_test(date!(2026 - 04 - 09), 60)).await.unwrap();
        let racing =
            NewServiceRecord { corrects: Some(target.record.id.clone()), ..glucose_test(date!(2026 - 04 - 09), 66) };
        let (a, b) = tokio::join!(
            april.record_service(&doctor, &contract.id, racing.clone()),
            april.record_service(&village_doctor, &contract.id, racing)
        );
        assert_eq!(usize::from(a.is_ok()) + usize::from(b.is_ok()), 1, "{a:?} {b:?}");
        let loser = if a.is_ok() { b } else { a };
        assert!(matches!(loser, Err(KernelError::CorrectedMeanwhile(_) | KernelError::Fulfilment(_))), "{loser:?}");

        // The table itself refuses to change a record.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.store_url(dir.path())).await.unwrap();
        let update = sqlx::query("UPDATE service_records SET place = 'elsewhere'").execute(&pool).await;
        assert!(update.unwrap_err().to_string().contains("append-only"), "{}", db.name);
        let delete = sqlx::query("DELETE FROM service_records").execute(&pool).await;
        assert!(delete.is_err(), "{}", db.name);
    }
}

#[tokio::test]
async fn records_and_work_lists_over_http_and_the_cli() {
    let database = databases().await.remove(0);
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &database, &["--demo"]);
    let doctor = server.token(&["--role", "team_member", "--county", "320322", "--team", "team-anguo-1"]);
    let other = server.token(&["--role", "team_member", "--county", "320322", "--team", "team-anguo-2"]);
    let url = |path: &str| format!("{}{path}", server.base);
    let signing = json!({ "resident_id": "res-pei-006", "team_id": "team-anguo-1", "packages": ["PEI-GW", "PEI-NZ"] });
    let contract = request("POST", &url("/v1/contracts"), Some(&doctor), Some(signing)).await;
    let id = contract.ok(201)["id"].as_str().unwrap().to_owned();
    // The server's day, which is China's, not the machine's UTC date.
    let today = qianyue::kernel::Clock::System.today().to_string();

    let visit = json!({
        "package_code": "PEI-NZ", "item_code": "home-follow-up", "delivered_on": today,
        "place": "居民家中", "mode": "home_visit",
        "measurements": { "systolic": 185, "diastolic": 100, "heart_rate": 80 }
    });
    let services = url(&format!("/v1/contracts/{id}/services"));
    request("POST", &services, Some(&other), Some(visit.clone())).await.problem(403, "forbidden");
    let recorded = request("POST", &services, Some(&doctor), Some(visit.clone())).await;
    let recorded = recorded.ok(201);
    assert_eq!(recorded["record"]["mode"], "home_visit");
    assert_eq!(recorded["referral_suggestions"][0]["reason"], "blood_pressure_uncontrolled");
    let mut wrong = visit.clone();
    wrong["item_code"] = json!("dancing");
    assert!(
        request("POST", &services, Some(&doctor), Some(wrong))
            .await
            .problem(422, "fulfilment-rule")
            .contains("dancing")
    );
    wrong = visit;
    wrong["measurements"]["systolic"] = json!(999);
    assert!(
        request("POST", &services, Some(&doctor), Some(wrong)).await.problem(422, "fulfilment-rule").contains("999")
    );

    let schedule = request("GET", &url(&format!("/v1/contracts/{id}/schedule")), Some(&doctor), None).await;
    let items = schedule.ok(200)["items"].as_array().unwrap().clone();
    let visits = items.iter().find(|i| i["item_code"] == "home-follow-up").unwrap();
    assert_eq!(visits["delivered"], 1);

    let list = request("GET", &url("/v1/teams/team-anguo-1/work-list?horizon_days=400"), Some(&doctor), None).await;
    let list = list.ok(200);
    assert_eq!(list["referral_suggestions"].as_array().unwrap().len(), 1);
    assert!(!list["due"].as_array().unwrap().is_empty(), "{list:#}");
    request("GET", &url("/v1/teams/team-anguo-1/work-list"), Some(&other), None).await.problem(403, "forbidden");

    let report = qianyue()
        .args(["worklist", "--team", "team-anguo-1", "--horizon-days", "400", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let report = String::from_utf8(report.stdout).unwrap();
    assert!(report.starts_with("Work list of team-anguo-1"), "{report}");
    assert!(report.contains("Referral suggestions: 1") && report.contains("res-pei-006"), "{report}");

    // Satisfaction, assessment and settlement over HTTP.
    let inspector = server.token(&["--role", "inspector", "--county", "320322"]);
    let call = json!({ "checked_on": today, "method": "phone_spot_check", "reached": true, "satisfied": true });
    let satisfaction = url(&format!("/v1/contracts/{id}/satisfaction"));
    request("POST", &satisfaction, Some(&inspector), Some(call.clone())).await.ok(201);
    request("POST", &satisfaction, Some(&doctor), Some(call)).await.problem(403, "forbidden");
    let assessed = request("GET", &url("/v1/assessment?team=team-anguo-1&residents=true"), Some(&doctor), None).await;
    let assessed = assessed.ok(200);
    assert_eq!(assessed["satisfaction"]["permille"], 1000);
    assert_eq!(assessed["satisfaction"]["residents"]["counted"], json!(["res-pei-006"]));
    request("GET", &url("/v1/assessment?team=team-anguo-1&county=320322"), Some(&doctor), None)
        .await
        .problem(400, "bad-query");

    let finance = server.token(&["--role", "finance", "--county", "320322"]);
    let settlements = url("/v1/counties/320322/settlements/2025");
    let first = request("POST", &settlements, Some(&finance), None).await;
    assert_eq!(first.ok(201)["stored_before"], false);
    assert_eq!(request("POST", &settlements, Some(&finance), None).await.ok(200)["stored_before"], true);
    request("POST", &settlements, Some(&doctor), None).await.problem(403, "forbidden");
    let xlsx =
        reqwest::Client::new().get(format!("{settlements}?format=xlsx")).bearer_auth(&finance).send().await.unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let bytes = xlsx.bytes().await.unwrap().to_vec();
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    assert!(workbook.worksheet_range("320322 2025").is_ok());
    request("GET", &format!("{settlements}?format=pdf"), Some(&finance), None).await.problem(400, "bad-query");
}

fn episode(resident: &str, kind: CareKind, amount: i64) -> NewClaim {
    NewClaim {
        resident_id: resident.into(),
        institution_id: "pei-anguo".into(),
        kind,
        level: CareLevel::TownshipCentre,
        referred: false,
        on: date!(2026 - 03 - 01),
        amount,
    }
}

fn paid(claim: &StoredClaim, kind: ShareKind) -> i64 {
    claim.shares.iter().filter(|s| s.kind == kind).map(|s| s.amount).sum()
}

/// Pei's insurance rules (plugins/pei-county/config.json) at a township
/// centre: inpatient deductible 200 yuan, 85% reimbursed; outpatient and
/// rehabilitation no deductible, 50%; a stroke-rehab signer gets 10% of the
/// balance from the health centre.
#[tokio::test]
async fn claims_are_adjudicated_by_the_countys_plugin_across_the_insurance_year() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let k = kernel_on(&db, dir.path(), &[], Clock::Fixed(date!(2026 - 03 - 01))).await;
        let doctor = member(PEI, "team-anguo-1");
        let contract = k.sign(&doctor, sign("res-pei-006", "team-anguo-1", &["PEI-GW", "PEI-NZ"])).await.unwrap();
        let officer = person(PEI, Role::InsuranceOfficer, None);

        // 1,000 yuan inpatient: deductible 20,000 fen; (100,000 − 20,000) × 85% = 68,000; the rest 12,000.
        let stay = k.submit_claim(&officer, episode("res-pei-006", CareKind::Inpatient, 100_000)).await.unwrap();
        assert_eq!((stay.contract_id.as_str(), stay.sequence), (contract.id.as_str(), 1));
        assert_eq!(paid(&stay, ShareKind::Deductible), 20_000);
        assert_eq!(paid(&stay, ShareKind::Reimbursement), 68_000);
        assert_eq!(paid(&stay, ShareKind::CoPayment), 12_000);
        assert_eq!(stay.shares.iter().map(|s| s.amount).sum::<i64>(), 100_000);
        assert!(stay.shares.iter().all(|s| !s.reason.is_empty()), "every share says why");
        assert_eq!(stay.plugin_hash, contract.plugin_hash, "the hash of the version that adjudicated");

        // The second stay of the year: the deductible is paid already; 50,000 × 85% = 42,500.
        let again = k.submit_claim(&doctor, episode("res-pei-006", CareKind::Inpatient, 50_000)).await.unwrap();
        assert_eq!((again.sequence, paid(&again, ShareKind::Deductible)), (2, 0));
        assert_eq!(paid(&again, ShareKind::Reimbursement), 42_500);

        // Rehabilitation: 10,000 × 50% = 5,000 reimbursed; the health centre
        // tops up 10% of the 5,000 balance; the resident pays 4,500.
        let rehab = k.submit_claim(&doctor, episode("res-pei-006", CareKind::Rehabilitation, 10_000)).await.unwrap();
        assert_eq!(paid(&rehab, ShareKind::Reimbursement), 5_000);
        assert_eq!(paid(&rehab, ShareKind::TopUp), 500);
        assert_eq!(paid(&rehab, ShareKind::CoPayment), 4_500);

        let stored = k.claims_of_resident(&officer, "res-pei-006").await.unwrap();
        assert_eq!(stored, [stay, again, rehab], "stored exactly as adjudicated, in sequence");

        // Only signed residents, and only by their team or the insurance office.
        let unsigned = k.submit_claim(&officer, episode("res-pei-005", CareKind::Outpatient, 1_000)).await;
        assert!(matches!(unsigned, Err(KernelError::Claim(_))), "{unsigned:?}");
        let other_team =
            k.submit_claim(&member(PEI, "team-anguo-2"), episode("res-pei-006", CareKind::Outpatient, 1_000)).await;
        assert!(matches!(other_team, Err(KernelError::Denied(_))), "{other_team:?}");

        // Two stays submitted at once: each is adjudicated against the other's
        // year-to-date, so the deductible is paid once.
        k.sign(&doctor, sign("res-pei-001", "team-anguo-1", &["PEI-GW"])).await.unwrap();
        let (a, b) = tokio::join!(
            k.submit_claim(&officer, episode("res-pei-001", CareKind::Inpatient, 100_000)),
            k.submit_claim(&doctor, episode("res-pei-001", CareKind::Inpatient, 100_000))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut sequences = [a.sequence, b.sequence];
        sequences.sort_unstable();
        assert_eq!(sequences, [1, 2]);
        assert_eq!(paid(&a, ShareKind::Deductible) + paid(&b, ShareKind::Deductible), 20_000, "{}", db.name);
    }
}
