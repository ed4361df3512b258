//! The API keeps its promises: every error the router answers is a problem
//! document, and `/openapi.json` describes what the handlers really send.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_error_the_router_answers_is_a_problem_document() {
    let database = common::databases().await.into_iter().next().unwrap();
    let data = tempfile::tempdir().unwrap();
    let k = common::kernel(&database, data.path(), &[]).await;
    let app = qianyue::api::router(k.clone());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let doctor = k.tokens.issue(&common::member("320322", "team-anguo-1"), now, 600).unwrap();

    let cases = [
        (Request::delete("/v1/contracts/x").body(Body::empty()).unwrap(), 405, "/problems/method-not-allowed"),
        (
            Request::builder().method("TRACE").uri("/healthz").body(Body::empty()).unwrap(),
            405,
            "/problems/method-not-allowed",
        ),
        (Request::get("/v1/nowhere").body(Body::empty()).unwrap(), 404, "/problems/not-found"),
        (Request::get("/v1/counties").body(Body::empty()).unwrap(), 401, "/problems/unauthenticated"),
        (
            Request::post("/v1/contracts")
                .header("authorization", format!("Bearer {doctor}"))
                .header("content-type", "text/plain")
                .body(Body::from("{}"))
                .unwrap(),
            415,
            "/problems/bad-request-body",
        ),
        (
            Request::post("/v1/contracts")
                .header("authorization", format!("Bearer {doctor}"))
                .header("content-type", "application/json")
                .body(Body::from(vec![b' '; 3 << 20]))
                .unwrap(),
            413,
            "/problems/bad-request-body",
        ),
        (
            Request::get("/v1/counties/320322/residents?limit=many")
                .header("authorization", format!("Bearer {doctor}"))
                .body(Body::empty())
                .unwrap(),
            400,
            "/problems/bad-query",
        ),
    ];
    for (request, status, kind) in cases {
        let what = format!("{} {}", request.method(), request.uri());
        let answer = common::send(&app, request).await;
        let problem = &answer.body;
        assert_eq!(answer.status, status, "{what}: {problem}");
        assert_eq!(answer.content_type, "application/problem+json", "{what}");
        assert_eq!(
            (problem["type"].as_str(), problem["status"].as_u64()),
            (Some(kind), Some(u64::from(status))),
            "{what}"
        );
    }
    // A 405 still says which methods the path has.
    let answer = common::send(&app, Request::delete("/v1/contracts/x").body(Body::empty()).unwrap()).await;
    assert!(answer.allow.unwrap().contains("GET"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_document_says_where_parameters_go_and_that_errors_are_problems() {
    let database = common::databases().await.into_iter().next().unwrap();
    let data = tempfile::tempdir().unwrap();
    let app = qianyue::api::router(common::kernel(&database, data.path(), &[]).await);
    let doc = common::send(&app, Request::get("/openapi.json").body(Body::empty()).unwrap()).await.body;

    let residents = &doc["paths"]["/v1/counties/{code}/residents"]["get"];
    let located: Vec<(&str, &str)> = residents["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["in"].as_str().unwrap()))
        .collect();
    assert_eq!(located, [("code", "path"), ("after", "query"), ("limit", "query")]);

    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let what = format!("{method} {path}");
            // Every name a parameter declares in the path is in the path.
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" {
                    assert!(
                        path.contains(&format!("{{{}}}", parameter["name"].as_str().unwrap())),
                        "{what}: {parameter}"
                    );
                }
            }
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses.iter().filter(|(status, _)| !status.starts_with('2')) {
                let types: Vec<&String> = response["content"].as_object().unwrap().keys().collect();
                assert_eq!(types, ["application/problem+json"], "{what} {status}");
            }
            let secured = operation.get("security") != Some(&json!([{}]));
            assert_eq!(responses.contains_key("401"), secured, "{what}");
            assert!(responses.contains_key("500"), "{what}");
            assert!(responses.contains_key("422"), "{what}: a NUL anywhere is refused");
        }
    }
    let signed = &doc["paths"]["/v1/contracts"]["post"]["responses"]["201"]["links"];
    assert_eq!(signed["schedule"]["operationId"], "schedule");
    assert_eq!(signed["schedule"]["parameters"]["id"], "$response.body#/id");
}
