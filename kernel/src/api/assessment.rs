//! Assessment and settlement over HTTP: satisfaction checks, a scope's
//! figures, a county's settlement of a period and its exports.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, AppQuery, Caller};
use crate::Kernel;
use crate::assessment::{Assessment, NewSatisfactionCheck, SatisfactionCheck, Scope};
use crate::contracts::Period;
use crate::settlement::{self, SettlementReport};

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new()
        .routes(routes!(record_satisfaction))
        .routes(routes!(assessment))
        .routes(routes!(settle, read_settlement))
}

/// Records a resident's survey answer or an inspector's phone spot check.
#[utoipa::path(post, path = "/v1/contracts/{id}/satisfaction", tag = "assessment",
    params(("id" = String, Path, description = "Contract id")),
    request_body = NewSatisfactionCheck,
    responses((status = 201, body = SatisfactionCheck), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn record_satisfaction(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<NewSatisfactionCheck>,
) -> Result<(StatusCode, Json<SatisfactionCheck>), ApiError> {
    Ok((StatusCode::CREATED, Json(k.record_satisfaction(&who, &id, body).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AssessmentQuery {
    /// A county's code; or give `township` or `team`.
    county: Option<String>,
    /// A township health centre's institution id.
    township: Option<String>,
    team: Option<String>,
    /// The day to assess as of (ISO 8601); today by default.
    #[serde(default, with = "crate::iso_date::option")]
    #[param(value_type = Option<String>, format = Date)]
    as_of: Option<Date>,
    /// List the residents behind each figure.
    #[serde(default)]
    residents: bool,
}

/// The figures of one county, township or team, as of a day.
#[utoipa::path(get, path = "/v1/assessment", tag = "assessment", params(AssessmentQuery),
    responses((status = 200, body = Assessment), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn assessment(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppQuery(q): AppQuery<AssessmentQuery>,
) -> Result<Json<Assessment>, ApiError> {
    let scope = match (q.county, q.township, q.team) {
        (Some(county), None, None) => Scope::County(county),
        (None, Some(township), None) => Scope::Township(township),
        (None, None, Some(team)) => Scope::Team(team),
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-query",
                "give exactly one of county, township, team",
            ));
        }
    };
    Ok(Json(k.assessment(&who, scope, q.as_of, q.residents).await?))
}

/// Settles every team of the county for an ended period through the
/// county's incentive plugin. The first run stores it (201); a later run
/// recomputes it and answers the stored one if nothing changed (200).
#[utoipa::path(post, path = "/v1/counties/{code}/settlements/{period}", tag = "assessment",
    params(("code" = String, Path, description = "County code"), ("period" = i32, Path, description = "Service year")),
    responses((status = 201, body = SettlementReport), (status = 200, body = SettlementReport), (status = 403, body = Problem),
        (status = 404, description = "No such county, or no plugin loaded for it", body = Problem),
        (status = 409, description = "Stored, and its inputs have changed since", body = Problem),
        (status = 422, body = Problem),
        (status = 501, description = "The county's plugin has no incentive rules", body = Problem),
        (status = 502, description = "The county's plugin failed", body = Problem)))]
async fn settle(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath((code, period)): AppPath<(String, i32)>,
) -> Result<(StatusCode, Json<SettlementReport>), ApiError> {
    let report = k.settle(&who, &code, Period { year: period }).await?;
    let status = if report.stored_before { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(report)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (default), `csv` or `xlsx`.
    format: Option<String>,
}

/// The stored settlement, as JSON or as the finance office's CSV or XLSX.
#[utoipa::path(get, path = "/v1/counties/{code}/settlements/{period}", tag = "assessment",
    params(("code" = String, Path, description = "County code"), ("period" = i32, Path, description = "Service year"), ExportQuery),
    responses((status = 200, body = SettlementReport), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn read_settlement(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath((code, period)): AppPath<(String, i32)>,
    AppQuery(q): AppQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let report = k.settlement(&who, &code, Period { year: period }).await?;
    let file = format!("settlement-{code}-{period}");
    Ok(match q.format.as_deref().unwrap_or("json") {
        "json" => Json(report).into_response(),
        "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), disposition(&file, "csv")],
            settlement::csv(&report),
        )
            .into_response(),
        "xlsx" => {
            let bytes = settlement::xlsx(&report).map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("the workbook failed: {e}"))
            })?;
            let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            ([(header::CONTENT_TYPE, xlsx.to_owned()), disposition(&file, "xlsx")], bytes).into_response()
        }
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-query",
                format!("format `{other}` is not one of json, csv, xlsx"),
            ));
        }
    })
}

fn disposition(file: &str, extension: &str) -> (header::HeaderName, String) {
    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.{extension}\""))
}
