//! Counties, their package catalogues and their teams.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppPath, Caller};
use crate::Kernel;
use crate::org::{County, Team};
use crate::plugins::{Package, PluginInfo};

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new()
        .routes(routes!(list_counties))
        .routes(routes!(get_county))
        .routes(routes!(get_packages))
        .routes(routes!(list_teams))
}

/// The counties the caller may see.
#[utoipa::path(get, path = "/v1/counties", tag = "organisation", responses(
    (status = 200, body = Vec<County>),
    (status = 401, body = Problem),
))]
async fn list_counties(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
) -> Result<Json<Vec<County>>, ApiError> {
    Ok(Json(k.counties(&who).await?))
}

#[utoipa::path(get, path = "/v1/counties/{code}", tag = "organisation",
    params(("code" = String, Path, description = "GB/T 2260 division code, e.g. 320322")),
    responses((status = 200, body = County), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_county(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
) -> Result<Json<County>, ApiError> {
    Ok(Json(k.county(&who, &code).await?))
}

/// A county's catalogue with the plugin version that defines it.
#[derive(Serialize, ToSchema)]
struct CatalogueView {
    plugin: PluginInfo,
    /// SHA-256 of the plugin component.
    plugin_hash: String,
    packages: Vec<Package>,
}

/// The service packages (服务包) the county's plugin offers.
#[utoipa::path(get, path = "/v1/counties/{code}/packages", tag = "organisation",
    params(("code" = String, Path, description = "GB/T 2260 division code")),
    responses((status = 200, body = CatalogueView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_packages(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
) -> Result<Json<CatalogueView>, ApiError> {
    let c = k.catalogue(&who, &code).await?;
    Ok(Json(CatalogueView {
        plugin: c.plugin,
        plugin_hash: c.plugin_hash,
        packages: c.packages,
    }))
}

#[utoipa::path(get, path = "/v1/counties/{code}/teams", tag = "organisation",
    params(("code" = String, Path, description = "GB/T 2260 division code")),
    responses((status = 200, body = Vec<Team>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_teams(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
) -> Result<Json<Vec<Team>>, ApiError> {
    Ok(Json(k.teams(&who, &code).await?))
}
