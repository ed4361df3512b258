//! Contracts: sign one, read one, list a resident's.

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
use crate::contracts::Contract;
use crate::kernel::{ContractHistory, GroupSigning, SignRequest};

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new()
        .routes(routes!(sign_contract))
        .routes(routes!(get_contract))
        .routes(routes!(resident_contracts))
        .routes(routes!(resident_history))
        .routes(routes!(switch_team))
        .routes(routes!(terminate_contract))
        .routes(routes!(object_to_renewal))
        .routes(routes!(sign_group))
}

/// Sign a resident with a team for the current year.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SignBody {
    resident_id: String,
    team_id: String,
    /// Package codes from the county's catalogue: exactly one basic package,
    /// plus personalised packages bundled with it.
    packages: Vec<String>,
}

#[utoipa::path(post, path = "/v1/contracts", tag = "contracts",
    request_body = SignBody,
    responses(
        (status = 201, description = "Signed and priced by the county's plugin", body = Contract,
            links(
                ("read" = (operation_id = "get_contract", parameters(("id" = "$response.body#/id")))),
                ("schedule" = (operation_id = "schedule", parameters(("id" = "$response.body#/id")))),
                ("record_service" = (operation_id = "record_service", parameters(("id" = "$response.body#/id")))),
                ("satisfaction" = (operation_id = "record_satisfaction", parameters(("id" = "$response.body#/id")))),
                ("reproduce" = (operation_id = "reproduce", parameters(("id" = "$response.body#/id")))),
                ("switch_team" = (operation_id = "switch_team", parameters(("id" = "$response.body#/id")))),
                ("terminate" = (operation_id = "terminate_contract", parameters(("id" = "$response.body#/id")))),
                ("object_to_renewal" = (operation_id = "object_to_renewal", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The resident already has a contract for this period", body = Problem),
        (status = 422, description = "The packages chosen break a signing rule", body = Problem),
        (status = 502, description = "The county's plugin failed", body = Problem),
    ))]
async fn sign_contract(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppJson(body): AppJson<SignBody>,
) -> Result<(StatusCode, Json<Contract>), ApiError> {
    let request = SignRequest { resident_id: body.resident_id, team_id: body.team_id, packages: body.packages };
    Ok((StatusCode::CREATED, Json(k.sign(&who, request).await?)))
}

#[utoipa::path(get, path = "/v1/contracts/{id}", tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, body = Contract), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_contract(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Contract>, ApiError> {
    Ok(Json(k.contract(&who, &id).await?))
}

/// The resident's contracts the caller may read, newest first.
#[utoipa::path(get, path = "/v1/residents/{id}/contracts", tag = "contracts",
    params(("id" = String, Path, description = "Resident id")),
    responses((status = 200, body = Vec<Contract>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn resident_contracts(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Vec<Contract>>, ApiError> {
    Ok(Json(k.contracts_of_resident(&who, &id).await?))
}

/// The resident's contracts the caller may read, each with its events (who,
/// when, what, why), newest first.
#[utoipa::path(get, path = "/v1/residents/{id}/history", tag = "contracts",
    params(("id" = String, Path, description = "Resident id")),
    responses((status = 200, body = Vec<ContractHistory>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn resident_history(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Vec<ContractHistory>>, ApiError> {
    Ok(Json(k.history(&who, &id).await?))
}

/// Move to another team of the same institution mid-period.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SwitchBody {
    team_id: String,
    /// Why the resident wants another doctor.
    reason: String,
}

/// Switch doctor (更换家庭医生) within the contract's institution. The whole
/// household moves: it has one family doctor at a time.
#[utoipa::path(post, path = "/v1/contracts/{id}/switch", tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    request_body = SwitchBody,
    responses(
        (status = 200, body = Contract),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "Not active, or the new team is full", body = Problem),
        (status = 422, description = "Another institution, the same team, or no reason", body = Problem),
    ))]
async fn switch_team(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<SwitchBody>,
) -> Result<Json<Contract>, ApiError> {
    Ok(Json(k.switch_team(&who, &id, &body.team_id, &body.reason).await?))
}

/// A reason, required by the command.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

/// Terminate (解约) an active contract, with the reason.
#[utoipa::path(post, path = "/v1/contracts/{id}/terminate", tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    request_body = ReasonBody,
    responses((status = 200, body = Contract), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Not active", body = Problem), (status = 422, description = "No reason", body = Problem)))]
async fn terminate_contract(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<ReasonBody>,
) -> Result<Json<Contract>, ApiError> {
    Ok(Json(k.terminate(&who, &id, &body.reason).await?))
}

/// Record the resident's objection to the automatic renewal of the basic
/// package at the end of the period (不续约).
#[utoipa::path(post, path = "/v1/contracts/{id}/renewal-objection", tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    request_body = ReasonBody,
    responses((status = 200, body = Contract), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Not active", body = Problem), (status = 422, description = "No reason", body = Problem)))]
async fn object_to_renewal(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<ReasonBody>,
) -> Result<Json<Contract>, ApiError> {
    Ok(Json(k.object_to_renewal(&who, &id, &body.reason).await?))
}

/// A community signs its members with one team.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    team_id: String,
    /// The packages every member signs (one basic package, plus its bundle).
    packages: Vec<String>,
    /// The members' resident ids.
    resident_ids: Vec<String>,
}

/// Group signing (团体签约) for a functional community: each member gets a
/// contract of their own under the group, by the usual rules; members who
/// cannot sign are listed with the reason and the others are signed.
#[utoipa::path(post, path = "/v1/communities/{id}/contracts", tag = "contracts",
    params(("id" = String, Path, description = "Community id")),
    request_body = GroupBody,
    responses((status = 201, body = GroupSigning), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn sign_group(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<GroupBody>,
) -> Result<(StatusCode, Json<GroupSigning>), ApiError> {
    let signing = k.sign_group(&who, &id, &body.team_id, &body.packages, &body.resident_ids).await?;
    Ok((StatusCode::CREATED, Json(signing)))
}
