//! The plugin lifecycle over HTTP: upload, list, shadow, activate, roll back,
//! and the reproduction of a contract's prices.

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, Caller};
use crate::Kernel;
use crate::kernel::{GoldenUpload, Reproduction, ShadowReport, UploadReport};
use crate::store::{StoredActivation, StoredLimits, StoredVersion};

/// The largest upload: components of other languages carry their runtime
/// (a Python component is ~18 MB), base64 adds a third.
const MAX_UPLOAD: usize = 64 << 20;

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new()
        .merge(OpenApiRouter::new().routes(routes!(upload, list)).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
        .routes(routes!(shadow))
        .routes(routes!(activate))
        .routes(routes!(roll_back))
        .routes(routes!(get_limits, set_limits))
        .routes(routes!(reproduce))
}

/// A new plugin version.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UploadBody {
    /// The component (`.wasm`), base64.
    component_base64: String,
    /// The county's configuration document.
    config: String,
    /// The version's golden cases; all must pass.
    golden: Vec<GoldenUpload>,
}

/// Upload a plugin version: stored only if it is a component of a known
/// world, imports nothing else, accepts its configuration, declares this
/// county and passes its golden cases. Uploading a stored version again
/// changes nothing.
#[utoipa::path(post, path = "/v1/counties/{code}/plugins", tag = "plugins",
    params(("code" = String, Path, description = "GB/T 2260 division code")),
    request_body = UploadBody,
    responses(
        (status = 201, description = "Validated and stored (not yet active)", body = UploadReport),
        (status = 403, body = Problem),
        (status = 404, description = "No such county", body = Problem),
        (status = 422, description = "Not a valid version of this county's plugin; nothing stored", body = Problem),
    ))]
async fn upload(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppJson(body): AppJson<UploadBody>,
) -> Result<(StatusCode, Json<UploadReport>), ApiError> {
    let component = base64::engine::general_purpose::STANDARD.decode(body.component_base64.trim()).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("component_base64 is not base64: {e}"))
    })?;
    let report = k.upload_plugin(&who, &code, &component, &body.config, &body.golden).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// A county's plugin versions and the activations in force.
#[derive(Serialize, ToSchema)]
struct Versions {
    versions: Vec<StoredVersion>,
    activations: Vec<StoredActivation>,
}

#[utoipa::path(get, path = "/v1/counties/{code}/plugins", tag = "plugins", operation_id = "list_plugins",
    params(("code" = String, Path, description = "GB/T 2260 division code")),
    responses((status = 200, body = Versions), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
) -> Result<Json<Versions>, ApiError> {
    let (versions, activations) = k.plugin_versions(&who, &code).await?;
    Ok(Json(Versions { versions, activations }))
}

/// Shadow-run a stored version on the county's active contracts: every
/// price it would change, beside the stored one. Changes nothing.
#[utoipa::path(post, path = "/v1/counties/{code}/plugins/{hash}/shadow", tag = "plugins",
    params(("code" = String, Path), ("hash" = String, Path, description = "The version's hash")),
    responses((status = 200, body = ShadowReport), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 502, description = "The candidate failed", body = Problem)))]
async fn shadow(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath((code, hash)): AppPath<(String, String)>,
) -> Result<Json<ShadowReport>, ApiError> {
    Ok(Json(k.shadow_plugin(&who, &code, &hash).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ActivateBody {
    /// The first day the version prices (ISO 8601).
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    effective_from: Date,
}

/// Make a stored version the county's plugin from a day on, without a restart.
#[utoipa::path(post, path = "/v1/counties/{code}/plugins/{hash}/activate", tag = "plugins",
    params(("code" = String, Path), ("hash" = String, Path, description = "The version's hash")),
    request_body = ActivateBody,
    responses((status = 201, body = StoredActivation), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn activate(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath((code, hash)): AppPath<(String, String)>,
    AppJson(body): AppJson<ActivateBody>,
) -> Result<(StatusCode, Json<StoredActivation>), ApiError> {
    Ok((StatusCode::CREATED, Json(k.activate_plugin(&who, &code, &hash, body.effective_from).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RollBackBody {
    reason: String,
}

/// Undo the county's latest activation in force; the one before applies again.
#[utoipa::path(post, path = "/v1/counties/{code}/plugins/rollback", tag = "plugins", operation_id = "roll_back_plugin",
    params(("code" = String, Path)),
    request_body = RollBackBody,
    responses((status = 200, description = "The activation undone", body = StoredActivation),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn roll_back(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppJson(body): AppJson<RollBackBody>,
) -> Result<Json<StoredActivation>, ApiError> {
    Ok(Json(k.roll_back_plugin(&who, &code, &body.reason).await?))
}

/// Recompute a contract's prices by the plugin version that made them, from
/// the inputs it stored: the answer must be identical.
#[utoipa::path(post, path = "/v1/contracts/{id}/reproduce", tag = "plugins",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, body = Reproduction), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 502, description = "The plugin version failed", body = Problem)))]
async fn reproduce(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Reproduction>, ApiError> {
    Ok(Json(k.reproduce_contract(&who, &id, None).await?))
}

/// The fuel, memory and time each call of the county's plugin may use.
#[utoipa::path(get, path = "/v1/counties/{code}/plugins/limits", tag = "plugins",
    params(("code" = String, Path)),
    responses((status = 200, body = StoredLimits), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_limits(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
) -> Result<Json<StoredLimits>, ApiError> {
    Ok(Json(k.plugin_limits(&who, &code).await?))
}

/// Set the county's limits (the region's decision); the next call runs under them.
#[utoipa::path(put, path = "/v1/counties/{code}/plugins/limits", tag = "plugins",
    params(("code" = String, Path)),
    request_body = StoredLimits,
    responses((status = 200, body = StoredLimits), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "Zero, over 9223372036854775807, or more memory than the host's ceiling", body = Problem)))]
async fn set_limits(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppJson(body): AppJson<StoredLimits>,
) -> Result<Json<StoredLimits>, ApiError> {
    Ok(Json(k.set_plugin_limits(&who, &code, body).await?))
}
