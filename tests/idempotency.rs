//! Commands sent with an `Idempotency-Key` answer a retry with the first
//! answer and run once, on SQLite and (when configured) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn post(app: &axum::Router, token: &str, key: &str, body: Value) -> (StatusCode, Option<String>, Value) {
    let request = Request::post("/v1/contracts")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let replay = response.headers().get("idempotent-replay").map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, replay, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_command_gets_the_first_answer_and_runs_once() {
    for database in common::databases().await {
        let data = tempfile::tempdir().unwrap();
        let k = common::kernel(&database, data.path(), &[]).await;
        let app = qianyue::api::router(k.clone());
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let doctor = k.tokens.issue(&common::member("320322", "team-anguo-1"), now, 600).unwrap();
        let sign = json!({"resident_id": "res-pei-005", "team_id": "team-anguo-1", "packages": ["PEI-GW"]});

        let (status, replay, first) = post(&app, &doctor, "sign-005", sign.clone()).await;
        assert_eq!((status, replay), (StatusCode::CREATED, None), "{}: {first}", database.name);
        let (status, replay, again) = post(&app, &doctor, "sign-005", sign.clone()).await;
        assert_eq!((status, replay.as_deref()), (StatusCode::CREATED, Some("true")));
        assert_eq!(again, first, "the retry gets the first answer, contract id included");
        assert_eq!(k.store.contracts_of_resident("res-pei-005").await.unwrap().len(), 1, "{}", database.name);

        // The same key for another request is refused; a new key runs the command (and is refused by the rules).
        let other = json!({"resident_id": "res-pei-006", "team_id": "team-anguo-1", "packages": ["PEI-GW"]});
        let (status, _, problem) = post(&app, &doctor, "sign-005", other).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let (status, _, refused) = post(&app, &doctor, "sign-005-again", sign.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{refused}");
        // A refusal is an answer too: its retry gets the same refusal.
        let (status, replay, refused_again) = post(&app, &doctor, "sign-005-again", sign.clone()).await;
        assert_eq!((status, replay.as_deref(), &refused_again), (StatusCode::CONFLICT, Some("true"), &refused));

        // Two retries racing each other still sign once.
        let race = json!({"resident_id": "res-pei-006", "team_id": "team-anguo-1", "packages": ["PEI-GW"]});
        let attempts = [0, 1].map(|_| {
            let (app, doctor, race) = (app.clone(), doctor.clone(), race.clone());
            tokio::spawn(async move { post(&app, &doctor, "sign-006", race).await })
        });
        let mut statuses = Vec::new();
        for attempt in attempts {
            statuses.push(attempt.await.unwrap().0);
        }
        assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{statuses:?}");
        assert_eq!(k.store.contracts_of_resident("res-pei-006").await.unwrap().len(), 1, "{}", database.name);
    }
}
