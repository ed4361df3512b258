//! The auditor's questions over HTTP: who touched a resident's data, and
//! what changed in the region's rules on a day.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppPath, AppQuery, Caller};
use crate::Kernel;
use crate::authz::AuditRecord;
use crate::store::Event;

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new().routes(routes!(of_resident)).routes(routes!(changes))
}

/// Every decision on a resident's data, oldest first: who read it, who
/// changed it, who was refused, and the policies that decided.
#[utoipa::path(get, path = "/v1/audit/residents/{id}", tag = "audit", operation_id = "audit_of_resident",
    params(("id" = String, Path, description = "The resident's kernel id")),
    responses((status = 200, body = Vec<AuditRecord>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn of_resident(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Vec<AuditRecord>>, ApiError> {
    Ok(Json(k.audit_of_resident(&who, &id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Day {
    /// The region's day, 00:00 to 24:00 China time (ISO 8601).
    #[serde(with = "crate::iso_date")]
    #[param(value_type = String, format = Date)]
    on: Date,
}

/// What changed in the region's rules on a day: policy versions published,
/// plugin versions uploaded, activated and rolled back, limits set.
#[utoipa::path(get, path = "/v1/audit/changes", tag = "audit", params(Day),
    responses((status = 200, body = Vec<Event>), (status = 403, body = Problem), (status = 400, body = Problem)))]
async fn changes(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppQuery(day): AppQuery<Day>,
) -> Result<Json<Vec<Event>>, ApiError> {
    Ok(Json(k.rule_changes_on(&who, day.on).await?))
}
