//! The policy officers' workflow over HTTP: read the published sets and
//! their history, validate a proposed set, publish it, roll back.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, Caller};
use crate::Kernel;
use crate::authz::cases::CaseOutcome;
use crate::kernel::{FLIP_WINDOW, FlipReport};
use crate::store::PolicyVersion;

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new()
        .routes(routes!(list, publish))
        .routes(routes!(read))
        .routes(routes!(validate))
        .routes(routes!(test))
        .routes(routes!(flips))
        .routes(routes!(roll_back))
}

/// Every published policy set, newest first; the first is in force.
#[utoipa::path(get, path = "/v1/policies", tag = "policies", operation_id = "list_policies",
    responses((status = 200, body = Vec<PolicyVersion>), (status = 403, body = Problem)))]
async fn list(State(k): State<Arc<Kernel>>, Caller(who): Caller) -> Result<Json<Vec<PolicyVersion>>, ApiError> {
    Ok(Json(k.policy_versions(&who).await?))
}

#[utoipa::path(get, path = "/v1/policies/{version}", tag = "policies",
    params(("version" = i64, Path, description = "A published version")),
    responses((status = 200, body = PolicyVersion), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn read(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(version): AppPath<i64>,
) -> Result<Json<PolicyVersion>, ApiError> {
    Ok(Json(k.policy_version(&who, version).await?))
}

/// A proposed policy set: every policy file, by name (`*.cedar`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ProposedSet {
    files: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
struct Validated {
    /// Policies in the set.
    policies: usize,
}

/// Check a proposed set against the kernel's schema (strict mode) without
/// publishing it.
#[utoipa::path(post, path = "/v1/policies/validate", tag = "policies",
    request_body = ProposedSet,
    responses((status = 200, body = Validated), (status = 403, body = Problem),
        (status = 422, description = "Invalid: Cedar's message", body = Problem)))]
async fn validate(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppJson(body): AppJson<ProposedSet>,
) -> Result<Json<Validated>, ApiError> {
    Ok(Json(Validated { policies: k.validate_policies(&who, body.files)? }))
}

/// A proposed set and the officer's own cases.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TestBody {
    files: BTreeMap<String, String>,
    /// Case files (name → JSON text, format in `policies/tests/`), run after the shipped ones.
    #[serde(default)]
    cases: BTreeMap<String, String>,
}

/// Run the shipped policy cases and the officer's own against a proposed
/// set: every case with the decision expected and the one given.
#[utoipa::path(post, path = "/v1/policies/test", tag = "policies",
    request_body = TestBody,
    responses((status = 200, body = Vec<CaseOutcome>), (status = 403, body = Problem),
        (status = 422, description = "The set is invalid, or a case file is", body = Problem)))]
async fn test(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppJson(body): AppJson<TestBody>,
) -> Result<Json<Vec<CaseOutcome>>, ApiError> {
    let cases: Vec<(String, String)> = body.cases.into_iter().collect();
    Ok(Json(k.test_policies(&who, body.files, &cases)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FlipsBody {
    files: BTreeMap<String, String>,
    /// How many of the latest decisions to take again (default and most: 10,000).
    #[serde(default = "flip_window")]
    last: usize,
}

fn flip_window() -> usize {
    FLIP_WINDOW
}

/// Take the latest real decisions again under a proposed set and list
/// those it would decide the other way. Changes nothing.
#[utoipa::path(post, path = "/v1/policies/flips", tag = "policies",
    request_body = FlipsBody,
    responses((status = 200, body = FlipReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn flips(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppJson(body): AppJson<FlipsBody>,
) -> Result<Json<FlipReport>, ApiError> {
    Ok(Json(k.policy_flips(&who, body.files, body.last).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    files: BTreeMap<String, String>,
    /// The version the change was made against (from `GET /v1/policies`).
    based_on: i64,
    reason: String,
}

/// Publish a policy set: in force on every kernel of the region within
/// seconds. Refused, with nothing stored, if invalid, if it would take the
/// publisher's own right to publish, or if another version was published
/// after `based_on`.
#[utoipa::path(post, path = "/v1/policies", tag = "policies",
    request_body = PublishBody,
    responses((status = 201, body = PolicyVersion), (status = 403, body = Problem),
        (status = 409, description = "Another version was published since `based_on`", body = Problem),
        (status = 422, body = Problem)))]
async fn publish(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppJson(body): AppJson<PublishBody>,
) -> Result<(StatusCode, Json<PolicyVersion>), ApiError> {
    let published = k.publish_policies(&who, body.files, body.based_on, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(published)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RollbackBody {
    /// The earlier version whose files are published again.
    to_version: i64,
    reason: String,
}

/// Publish an earlier version's files again, as a new version.
#[utoipa::path(post, path = "/v1/policies/rollback", tag = "policies", operation_id = "roll_back_policies",
    request_body = RollbackBody,
    responses((status = 201, body = PolicyVersion), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn roll_back(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppJson(body): AppJson<RollbackBody>,
) -> Result<(StatusCode, Json<PolicyVersion>), ApiError> {
    Ok((StatusCode::CREATED, Json(k.roll_back_policies(&who, body.to_version, &body.reason).await?)))
}
