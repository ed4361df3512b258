//! Claims over HTTP: submit a signed resident's episode of care for
//! adjudication, and read a resident's claims.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, Caller};
use crate::Kernel;
use crate::claims::{NewClaim, StoredClaim};

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new().routes(routes!(submit)).routes(routes!(of_resident))
}

/// Adjudicated by the county's insurance plugin in force on the day of care;
/// the shares are stored with their reasons and the plugin's hash.
#[utoipa::path(post, path = "/v1/claims", tag = "claims",
    request_body = NewClaim,
    responses(
        (status = 201, description = "Adjudicated and stored", body = StoredClaim,
            links(
                ("resident_claims" = (operation_id = "resident_claims", parameters(("id" = "$response.body#/resident_id")))),
                ("contract" = (operation_id = "get_contract", parameters(("id" = "$response.body#/contract_id")))),
            )),
        (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 422, description = "Not a claim of a signed resident, or refused by the county's rules", body = Problem),
        (status = 501, description = "The county's plugin has no insurance rules", body = Problem),
        (status = 502, description = "The county's plugin failed", body = Problem),
        (status = 503, description = "Claims of the resident kept arriving at once; submit again", body = Problem),
    ))]
async fn submit(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppJson(body): AppJson<NewClaim>,
) -> Result<(StatusCode, Json<StoredClaim>), ApiError> {
    Ok((StatusCode::CREATED, Json(k.submit_claim(&who, body).await?)))
}

/// A resident's claims, newest year first.
#[utoipa::path(get, path = "/v1/residents/{id}/claims", tag = "claims", operation_id = "resident_claims",
    params(("id" = String, Path, description = "Resident id")),
    responses((status = 200, body = Vec<StoredClaim>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn of_resident(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Vec<StoredClaim>>, ApiError> {
    Ok(Json(k.claims_of_resident(&who, &id).await?))
}
