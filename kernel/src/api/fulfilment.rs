//! Fulfilment over HTTP: record a delivered service, read what a contract
//! owes, read a team's work list.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, AppQuery, Caller};
use crate::Kernel;
use crate::fulfilment::NewServiceRecord;
use crate::kernel::{ContractSchedule, RecordedService, WorkList};

/// How far ahead a work list looks by default, in days.
const DEFAULT_HORIZON: u16 = 14;

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new().routes(routes!(record_service)).routes(routes!(schedule)).routes(routes!(work_list))
}

/// Records a delivered item of one of the contract's packages. A correction
/// names the record it replaces in `corrects`.
#[utoipa::path(post, path = "/v1/contracts/{id}/services", tag = "fulfilment",
    params(("id" = String, Path, description = "Contract id")),
    request_body = NewServiceRecord,
    responses(
        (status = 201, description = "Stored, with the referrals its measurements suggest", body = RecordedService,
            links(
                ("schedule" = (operation_id = "schedule", parameters(("id" = "$request.path.id")))),
            )),
        (status = 403, description = "Only the contract's team records its services", body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The record was corrected by someone else first", body = Problem),
        (status = 422, description = "The delivery does not fit the contract", body = Problem),
    ))]
async fn record_service(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<NewServiceRecord>,
) -> Result<(StatusCode, Json<RecordedService>), ApiError> {
    Ok((StatusCode::CREATED, Json(k.record_service(&who, &id, body).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AsOf {
    /// The day to judge by (ISO 8601); today by default.
    #[serde(default, with = "crate::iso_date::option")]
    #[param(value_type = Option<String>, format = Date)]
    as_of: Option<Date>,
}

/// What the contract owes item by item, what was delivered and what is late.
#[utoipa::path(get, path = "/v1/contracts/{id}/schedule", tag = "fulfilment",
    params(("id" = String, Path, description = "Contract id"), AsOf),
    responses((status = 200, body = ContractSchedule), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn schedule(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppQuery(query): AppQuery<AsOf>,
) -> Result<Json<ContractSchedule>, ApiError> {
    Ok(Json(k.contract_schedule(&who, &id, query.as_of).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WorkListQuery {
    /// The day to judge by (ISO 8601); today by default.
    #[serde(default, with = "crate::iso_date::option")]
    #[param(value_type = Option<String>, format = Date)]
    as_of: Option<Date>,
    /// Also list deliveries due within this many days (default 14).
    horizon_days: Option<u16>,
}

/// The team's open referral suggestions, then its due and overdue
/// deliveries, most overdue first.
#[utoipa::path(get, path = "/v1/teams/{id}/work-list", tag = "fulfilment",
    params(("id" = String, Path, description = "Team id"), WorkListQuery),
    responses((status = 200, body = WorkList), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn work_list(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppQuery(query): AppQuery<WorkListQuery>,
) -> Result<Json<WorkList>, ApiError> {
    let horizon = query.horizon_days.unwrap_or(DEFAULT_HORIZON);
    Ok(Json(k.work_list(&who, &id, query.as_of, horizon).await?))
}
