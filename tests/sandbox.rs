//! A county plugin that loops, hogs memory or crashes costs one error answer
//! through the HTTP API, and the next request succeeds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
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
    store
        .insert_team(
            &Team {
                id: "test-team".into(),
                county_code: "999999".into(),
                institution_id: "test-centre".into(),
                name: "测试团队".into(),
                leader_id: None,
                capacity_households: 10,
                capacity_residents: 10,
                formed_on: None,
            },
            &[],
        )
        .await
        .unwrap();
    for n in 1..=8 {
        let id = CitizenId::from_first_17(&format!("9999991980010100{n}")).unwrap();
        let resident =
            Resident::register(format!("test-{n}"), "999999".into(), "测试", id.expose(), RecordedTags::new()).unwrap();
        store.insert_resident(&resident, "test").await.unwrap();
    }
    let token = kernel.tokens.issue(&common::member("999999", "test-team"), now(), 600).unwrap();
    let app = qianyue::api::router(kernel.clone());
    let sign = |resident: &str, packages: &[&str]| {
        Request::post("/v1/contracts")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"resident_id": resident, "team_id": "test-team", "packages": packages}).to_string(),
            ))
            .unwrap()
    };

    let cases = [
        ("test-1", "UNRULY-LOOP", "ran out of fuel", "test-5"),
        ("test-2", "UNRULY-HOG", "memory limit", "test-6"),
        ("test-3", "UNRULY-TRAP", "crashed", "test-7"),
        ("test-4", "UNRULY-LIAR", "do not add up", "test-8"),
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

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}
