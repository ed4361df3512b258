//! A county plugin that loops, hogs memory, crashes or sleeps costs one error
//! answer through the HTTP API, and the next request succeeds; a sleeping
//! plugin holds up no other county, at signing or at upload.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use qianyue::KernelError;
use qianyue::kernel::GoldenUpload;
use qianyue::org::{County, Institution, InstitutionLevel, Team};
use qianyue::residents::{CitizenId, RecordedTags, Resident};
use serde_json::{Value, json};
use tower::ServiceExt;

const UNRULY: &str = env!("QIANYUE_FIXTURE_UNRULY");

#[tokio::test]
async fn a_misbehaving_plugin_costs_one_answer_and_the_kernel_keeps_serving() {
    let database = common::databases().await.remove(0);
    let data = tempfile::tempdir().unwrap();
    let kernel = common::kernel(&database, data.path(), &[Path::new(UNRULY)]).await;
    test_county(&kernel, 10).await;
    let token = common::token_of(&kernel, &common::member("999999", "test-team"));
    let app = qianyue::api::router(kernel.clone());
    let sign = |resident: &str, packages: &[&str]| signing(&token, resident, "test-team", packages);

    let cases = [
        ("test-1", "UNRULY-LOOP", "ran out of fuel", "test-5"),
        ("test-2", "UNRULY-HOG", "memory limit", "test-6"),
        ("test-3", "UNRULY-TRAP", "crashed", "test-7"),
        ("test-4", "UNRULY-LIAR", "do not add up", "test-8"),
        ("test-9", "UNRULY-SLEEP", "may not wait", "test-10"),
    ];
    for (resident, package, expected, next) in cases {
        let response = app.clone().oneshot(sign(resident, &["UNRULY-OK", package])).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{package}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(expected), "{package}: {detail}");
        assert!(kernel.store.contracts_of_resident(resident).await.unwrap().is_empty(), "nothing stored for {package}");

        // The very next request, through the same plugin, is served normally.
        let healthy = app.clone().oneshot(sign(next, &["UNRULY-OK"])).await.unwrap();
        assert_eq!(healthy.status(), StatusCode::CREATED, "after {package}");
        assert_eq!(kernel.store.contracts_of_resident(next).await.unwrap().len(), 1);
    }
}

/// A plugin that sleeps, when signing or in its golden cases at upload, is
/// refused its timer at once, while the kernel goes on signing in another
/// county on the same two worker threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sleeping_plugin_holds_up_no_other_county() {
    let database = common::databases().await.remove(0);
    let data = tempfile::tempdir().unwrap();
    let kernel = common::kernel(&database, data.path(), &[Path::new(UNRULY)]).await;
    test_county(&kernel, 4).await;
    let app = qianyue::api::router(kernel.clone());
    let sleeper = common::token_of(&kernel, &common::member("999999", "test-team"));
    let pei = common::token_of(&kernel, &common::member("320322", "team-anguo-1"));

    let mut sleeping = tokio::task::JoinSet::new();
    for n in 1..=4 {
        let request = signing(&sleeper, &format!("test-{n}"), "test-team", &["UNRULY-OK", "UNRULY-SLEEP"]);
        let app = app.clone();
        sleeping.spawn(async move { app.oneshot(request).await.unwrap() });
    }
    let upload = {
        let kernel = kernel.clone();
        let golden = GoldenUpload { name: "sleep.json".into(), text: SLEEPING_CASE.into() };
        tokio::spawn(async move {
            let component = std::fs::read(UNRULY).unwrap();
            kernel.upload_plugin(&common::county_admin("999999"), "999999", &component, "", &[golden]).await
        })
    };
    for resident in ["res-pei-005", "res-pei-006"] {
        let answer = app.clone().oneshot(signing(&pei, resident, "team-anguo-1", &["PEI-GW"])).await.unwrap();
        assert_eq!(answer.status(), StatusCode::CREATED, "Pei signs {resident} meanwhile");
    }

    // Bounded only so that a sandbox letting the plugin sleep fails here
    // instead of holding the suite for an hour.
    let bound = Duration::from_secs(120);
    let answers = tokio::time::timeout(bound, sleeping.join_all()).await.expect("every sleeping signing ended");
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
        let body: Value = serde_json::from_slice(&answer.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(body["type"], "/problems/plugin-failed");
        assert!(body["detail"].as_str().unwrap().contains("may not wait"), "{body}");
    }
    let refused = tokio::time::timeout(bound, upload).await.expect("the upload ended").unwrap();
    match refused {
        Err(KernelError::PluginRejected(why)) => {
            assert!(why.contains("may not wait"), "{why}");
            assert!(why.contains("(a `price` case calls `price-batch` with one request)"), "{why}");
        }
        other => panic!("the upload should be refused for its sleeping golden case: {other:?}"),
    }
}

/// A golden case that prices the fixture's sleeping package.
const SLEEPING_CASE: &str = r#"{"cases": [{
    "name": "prices after an hour's sleep",
    "call": "price",
    "input": {"package_code": "UNRULY-SLEEP", "resident": {"age": 30, "sex": "male", "tags": []}, "starts_on": "2026-01-01"},
    "expect": {"ok": {"list_price": 100, "adjustments": [], "public_health_fund": 100, "insurance_fund": 0,
                      "self_pay": 0, "rule": "睡醒了 (list 100)"}}
}]}"#;

/// `POST /v1/contracts` signing `resident` to `team` with `packages`.
fn signing(token: &str, resident: &str, team: &str, packages: &[&str]) -> Request<Body> {
    Request::post("/v1/contracts")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(json!({"resident_id": resident, "team_id": team, "packages": packages}).to_string()))
        .unwrap()
}

/// The fixture's county 999999: a centre, team `test-team` and residents
/// `test-1` … `test-{residents}`.
async fn test_county(kernel: &qianyue::Kernel, residents: u32) {
    let store = &kernel.store;
    store.insert_county(&County { code: "999999".into(), name: "测试县".into() }).await.unwrap();
    store
        .insert_institution(&Institution {
            id: "test-centre".into(),
            county_code: "999999".into(),
            name: "测试卫生院".into(),
            level: InstitutionLevel::TownshipCentre,
            parent_id: None,
            backed_by: None,
        })
        .await
        .unwrap();
    let team = Team {
        id: "test-team".into(),
        county_code: "999999".into(),
        institution_id: "test-centre".into(),
        name: "测试团队".into(),
        leader_id: None,
        capacity_households: 100,
        capacity_residents: 100,
        formed_on: None,
    };
    store.insert_team(&team, &[]).await.unwrap();
    for n in 1..=residents {
        let id = CitizenId::from_first_17(&format!("99999919800101{n:03}")).unwrap();
        let resident =
            Resident::register(format!("test-{n}"), "999999".into(), "测试", id.expose(), RecordedTags::new()).unwrap();
        store.insert_resident(&resident, "test").await.unwrap();
    }
}
