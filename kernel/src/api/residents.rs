//! Residents: register, list, read.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppJson, AppPath, AppQuery, Caller};
use crate::Kernel;
use crate::kernel::{NewResident, today};
use crate::residents::{Resident, Sex, Tag, Tags};

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new()
        .routes(routes!(list_residents, register_resident))
        .routes(routes!(get_resident))
}

/// A resident as the API shows them: the citizen ID is always masked.
#[derive(Serialize, ToSchema)]
pub(super) struct ResidentView {
    id: String,
    county_code: String,
    name: String,
    /// Masked: `320322********0011`.
    citizen_id: String,
    sex: Sex,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    birth_date: Date,
    /// Age in whole years today.
    age: u8,
    /// Population tags today: recorded ones plus those derived from age.
    tags: Tags,
    /// Tags recorded by the team or imported.
    recorded_tags: Tags,
}

impl From<Resident> for ResidentView {
    fn from(r: Resident) -> Self {
        let today = today();
        ResidentView {
            citizen_id: r.citizen_id.masked(),
            sex: r.sex(),
            birth_date: r.birth_date(),
            age: r.age_on(today),
            tags: r.tags_on(today),
            id: r.id,
            county_code: r.county_code,
            name: r.name,
            recorded_tags: r.recorded_tags,
        }
    }
}

#[derive(Deserialize, IntoParams)]
struct Page {
    /// Continue after this resident id (from the previous page).
    after: Option<String>,
    /// At most this many (1–500, default 100).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/counties/{code}/residents", tag = "residents",
    params(("code" = String, Path, description = "GB/T 2260 division code"), Page),
    responses((status = 200, body = Vec<ResidentView>), (status = 400, body = Problem), (status = 403, body = Problem)))]
async fn list_residents(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppQuery(page): AppQuery<Page>,
) -> Result<Json<Vec<ResidentView>>, ApiError> {
    let limit = page.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-query",
            format!("limit must be 1 to 500, not {limit}"),
        ));
    }
    let residents = k
        .residents(&who, &code, page.after.as_deref(), limit)
        .await?;
    Ok(Json(residents.into_iter().map(Into::into).collect()))
}

/// A resident to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewResidentBody {
    name: String,
    /// 18-character citizen ID (GB 11643); birth date and sex come from it.
    citizen_id: String,
    /// Recorded population tags (not `elderly` or `child`, which follow from age).
    #[serde(default)]
    tags: Vec<Tag>,
}

#[utoipa::path(post, path = "/v1/counties/{code}/residents", tag = "residents",
    params(("code" = String, Path, description = "GB/T 2260 division code")),
    request_body = NewResidentBody,
    responses(
        (status = 201, body = ResidentView),
        (status = 403, body = Problem),
        (status = 409, description = "The citizen ID is already registered", body = Problem),
        (status = 422, description = "Invalid citizen ID, name or tags", body = Problem),
    ))]
async fn register_resident(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppJson(body): AppJson<NewResidentBody>,
) -> Result<(StatusCode, Json<ResidentView>), ApiError> {
    let new = NewResident {
        name: body.name,
        citizen_id: body.citizen_id,
        recorded_tags: body.tags.into_iter().collect(),
    };
    let resident = k.register_resident(&who, &code, new).await?;
    Ok((StatusCode::CREATED, Json(resident.into())))
}

#[utoipa::path(get, path = "/v1/residents/{id}", tag = "residents",
    params(("id" = String, Path, description = "Resident id")),
    responses((status = 200, body = ResidentView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_resident(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<ResidentView>, ApiError> {
    Ok(Json(k.resident(&who, &id).await?.into()))
}
