//! Referrals over HTTP: send one, answer it, follow it up, list a team's or
//! an institution's; the capacity hospitals reserve for teams; moves out of
//! the county and their reports.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, Caller};
use crate::Kernel;
use crate::fulfilment::{MoveOut, MoveOutReport};
use crate::kernel::MovedOut;
use crate::referrals::{Answer, Capacity, NewFollowUp, NewReferral, Referral};

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new()
        .routes(routes!(refer))
        .routes(routes!(referral))
        .routes(routes!(answer))
        .routes(routes!(follow_up))
        .routes(routes!(team_referrals))
        .routes(routes!(institution_referrals))
        .routes(routes!(set_capacity, capacity))
        .routes(routes!(move_out))
        .routes(routes!(move_out_reports))
}

/// Sends a referral: `up` by the resident's team to a county hospital
/// (with a reserved appointment or bed if asked), `down` by hospital staff
/// to the resident's team with the prescription continued. Either way the
/// team owes a follow-up within two weeks.
#[utoipa::path(post, path = "/v1/referrals", tag = "referrals",
    request_body = NewReferral,
    responses(
        (status = 201, body = Referral,
            links(
                ("read" = (operation_id = "referral", parameters(("id" = "$response.body#/id")))),
                ("answer" = (operation_id = "answer", parameters(("id" = "$response.body#/id")))),
                ("follow_up" = (operation_id = "follow_up", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The team's reserved appointments or beds of that day are taken", body = Problem),
        (status = 422, description = "The referral breaks a rule", body = Problem),
    ))]
async fn refer(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppJson(body): AppJson<NewReferral>,
) -> Result<(StatusCode, Json<Referral>), ApiError> {
    Ok((StatusCode::CREATED, Json(k.refer(&who, body).await?)))
}

/// A referral's state, as both ends see it.
#[utoipa::path(get, path = "/v1/referrals/{id}", tag = "referrals",
    params(("id" = String, Path, description = "Referral id")),
    responses((status = 200, body = Referral), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn referral(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Referral>, ApiError> {
    Ok(Json(k.referral(&who, &id).await?))
}

/// An answer to a referral.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    answer: Answer,
    /// Why, for a decline or a cancellation (required there).
    #[serde(default)]
    note: Option<String>,
}

/// Moves a referral on: the receiving end `accept`s, `decline`s or
/// `complete`s it; the sending end may `cancel` it while it is open.
#[utoipa::path(post, path = "/v1/referrals/{id}/answer", tag = "referrals",
    params(("id" = String, Path, description = "Referral id")),
    request_body = AnswerBody,
    responses(
        (status = 200, body = Referral),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "Someone else answered it first", body = Problem),
        (status = 422, description = "Not an answer its state allows", body = Problem),
    ))]
async fn answer(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<AnswerBody>,
) -> Result<Json<Referral>, ApiError> {
    Ok(Json(k.answer_referral(&who, &id, body.answer, body.note.as_deref()).await?))
}

/// Records the team's follow-up of a referral (转诊后2周内随访).
#[utoipa::path(post, path = "/v1/referrals/{id}/follow-up", tag = "referrals",
    params(("id" = String, Path, description = "Referral id")),
    request_body = NewFollowUp,
    responses(
        (status = 200, body = Referral),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "Someone else recorded it first", body = Problem),
        (status = 422, body = Problem),
    ))]
async fn follow_up(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<NewFollowUp>,
) -> Result<Json<Referral>, ApiError> {
    Ok(Json(k.follow_up_referral(&who, &id, body).await?))
}

/// A team's referrals both ways, oldest first.
#[utoipa::path(get, path = "/v1/teams/{id}/referrals", tag = "referrals",
    params(("id" = String, Path, description = "Team id")),
    responses((status = 200, body = Vec<Referral>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn team_referrals(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Vec<Referral>>, ApiError> {
    Ok(Json(k.team_referrals(&who, &id).await?))
}

/// The referrals an institution sent or received, in the order it works
/// them: open first, the green channel (绿色通道) first among those.
#[utoipa::path(get, path = "/v1/institutions/{id}/referrals", tag = "referrals",
    params(("id" = String, Path, description = "Institution id")),
    responses((status = 200, body = Vec<Referral>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn institution_referrals(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Vec<Referral>>, ApiError> {
    Ok(Json(k.institution_referrals(&who, &id).await?))
}

/// Sets how many specialist appointments or bed admissions a county
/// hospital reserves for a team each day (专家号、预留床位); answers with all
/// it reserves.
#[utoipa::path(put, path = "/v1/institutions/{id}/referral-capacity", tag = "referrals",
    params(("id" = String, Path, description = "A county hospital's id")),
    request_body = Capacity,
    responses(
        (status = 200, body = Vec<Capacity>),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 422, body = Problem),
    ))]
async fn set_capacity(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<Capacity>,
) -> Result<Json<Vec<Capacity>>, ApiError> {
    Ok(Json(k.set_referral_capacity(&who, &id, body).await?))
}

/// What a county hospital reserves for each team each day.
#[utoipa::path(get, path = "/v1/institutions/{id}/referral-capacity", tag = "referrals",
    params(("id" = String, Path, description = "A county hospital's id")),
    responses((status = 200, body = Vec<Capacity>), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "Not a county hospital", body = Problem)))]
async fn capacity(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Vec<Capacity>>, ApiError> {
    Ok(Json(k.referral_capacity(&who, &id).await?))
}

/// Records that a signed resident moved out of the county: the contract
/// ends on the day; a tuberculosis patient's move is reported upward.
#[utoipa::path(post, path = "/v1/residents/{id}/move-out", tag = "referrals",
    params(("id" = String, Path, description = "Resident id")),
    request_body = MoveOut,
    responses(
        (status = 200, body = MovedOut),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The contract ended meanwhile", body = Problem),
        (status = 422, body = Problem),
    ))]
async fn move_out(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<MoveOut>,
) -> Result<Json<MovedOut>, ApiError> {
    Ok(Json(k.move_out(&who, &id, body).await?))
}

/// A county's reports of tuberculosis patients who moved out, newest first.
#[utoipa::path(get, path = "/v1/counties/{code}/move-out-reports", tag = "referrals",
    params(("code" = String, Path, description = "County division code")),
    responses((status = 200, body = Vec<MoveOutReport>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn move_out_reports(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
) -> Result<Json<Vec<MoveOutReport>>, ApiError> {
    Ok(Json(k.move_out_reports(&who, &code).await?))
}
