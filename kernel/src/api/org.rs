//! Counties, their package catalogues and their teams.

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
use crate::kernel::NewTeam;
use crate::org::{Community, County, Member, Membership, Team};
use crate::plugins::{Package, PluginInfo};

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new()
        .routes(routes!(list_counties))
        .routes(routes!(get_county))
        .routes(routes!(get_packages))
        .routes(routes!(list_teams, create_team))
        .routes(routes!(register_member))
        .routes(routes!(register_community))
}

/// The counties the caller may see.
#[utoipa::path(get, path = "/v1/counties", tag = "organisation", responses(
    (status = 200, body = Vec<County>),
    (status = 401, body = Problem),
))]
async fn list_counties(State(k): State<Arc<Kernel>>, Caller(who): Caller) -> Result<Json<Vec<County>>, ApiError> {
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
    responses((status = 200, body = CatalogueView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 502, description = "The county's plugin failed", body = Problem)))]
async fn get_packages(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
) -> Result<Json<CatalogueView>, ApiError> {
    let c = k.catalogue(&who, &code).await?;
    Ok(Json(CatalogueView { plugin: c.plugin, plugin_hash: c.plugin_hash, packages: c.packages }))
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

/// A team to form: exactly one member with role `gp_leader`, who must be a
/// licensed general practitioner.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTeamBody {
    institution_id: String,
    name: String,
    members: Vec<Membership>,
    /// Households the team may sign in a period (default 4,000).
    capacity_households: Option<i64>,
    /// Residents the team may sign in a period (default 12,000).
    capacity_residents: Option<i64>,
}

/// Form a family-doctor team (组建团队).
#[utoipa::path(post, path = "/v1/counties/{code}/teams", tag = "organisation",
    params(("code" = String, Path, description = "GB/T 2260 division code")),
    request_body = NewTeamBody,
    responses((status = 201, body = Team), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "The leader is not a licensed GP, or another rule of team composition", body = Problem)))]
async fn create_team(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppJson(body): AppJson<NewTeamBody>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    let new = NewTeam {
        institution_id: body.institution_id,
        name: body.name,
        members: body.members,
        capacity_households: body.capacity_households,
        capacity_residents: body.capacity_residents,
    };
    Ok((StatusCode::CREATED, Json(k.create_team(&who, &code, new).await?)))
}

/// Register a health worker of the county (the county code is the path's).
#[utoipa::path(post, path = "/v1/counties/{code}/members", tag = "organisation",
    params(("code" = String, Path, description = "GB/T 2260 division code")),
    request_body = Member,
    responses((status = 201, body = Member), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The member id is taken", body = Problem)))]
async fn register_member(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppJson(member): AppJson<Member>,
) -> Result<(StatusCode, Json<Member>), ApiError> {
    Ok((StatusCode::CREATED, Json(k.register_member(&who, &code, member).await?)))
}

/// Register a functional community (功能社区: employer, industrial park,
/// office building, school, nursing home, childcare) that signs for its members.
#[utoipa::path(post, path = "/v1/counties/{code}/communities", tag = "organisation",
    params(("code" = String, Path, description = "GB/T 2260 division code")),
    request_body = Community,
    responses((status = 201, body = Community), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn register_community(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppJson(community): AppJson<Community>,
) -> Result<(StatusCode, Json<Community>), ApiError> {
    Ok((StatusCode::CREATED, Json(k.register_community(&who, &code, community).await?)))
}
