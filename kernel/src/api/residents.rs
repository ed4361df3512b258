//! Residents: register, list, read.

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{AppBytes, AppJson, AppPath, AppQuery, Caller};
use crate::Kernel;
use crate::contracts::Period;
use crate::kernel::{ImportReport, NewResident, Unmasked, UnsignedPage};
use crate::residents::{RecordedTags, Resident, Sex, Tag, TagRecord, Tags, UnsignedReason};

pub(super) fn routes() -> OpenApiRouter<Arc<Kernel>> {
    OpenApiRouter::new()
        .routes(routes!(list_residents, register_resident))
        .routes(routes!(get_resident))
        .routes(routes!(list_unsigned))
        .routes(routes!(record_unsigned_reason))
        .merge(OpenApiRouter::new().routes(routes!(import_poverty_list)).layer(DefaultBodyLimit::max(MAX_LIST)))
}

/// The largest list accepted over HTTP (about 3 million rows); larger ones
/// go through `qianyue import residents`, which streams the file.
pub(super) const MAX_LIST: usize = 256 << 20;

/// A resident as the API shows them: the citizen ID, phone and address are
/// each masked unless a policy grants the caller that field of this resident.
#[derive(Serialize, ToSchema)]
pub(super) struct ResidentView {
    id: String,
    county_code: String,
    name: String,
    /// Masked (`320322********0011`) unless the caller may see it.
    citizen_id: String,
    sex: Sex,
    #[serde(with = "crate::iso_date")]
    #[schema(value_type = String, format = Date)]
    birth_date: Date,
    /// Age in whole years today.
    age: u8,
    household_id: Option<String>,
    /// Masked (`138****5678`) unless the caller may see it.
    phone: Option<String>,
    /// The household's address (住址); only its first six characters
    /// (province, city, county) unless the caller may see it.
    address: Option<String>,
    /// Which of `citizen_id`, `phone` and `address` are shown in full.
    unmasked: Vec<&'static str>,
    /// Population tags today: recorded ones plus those derived from age.
    tags: Tags,
    /// Tags recorded by the team or imported, with when and where from.
    recorded_tags: RecordedTags,
}

impl ResidentView {
    /// Every personal field masked, as of the kernel's `today`.
    fn masked(r: Resident, today: Date) -> Self {
        let nothing = Unmasked { citizen_id: false, phone: false, address: false };
        ResidentView::new(r, None, nothing, today)
    }

    fn new(r: Resident, address: Option<String>, unmasked: Unmasked, today: Date) -> Self {
        let citizen_id = if unmasked.citizen_id { r.citizen_id.expose().to_owned() } else { r.citizen_id.masked() };
        let phone = if unmasked.phone { r.phone.clone() } else { r.phone.as_deref().map(mask_phone) };
        let address = if unmasked.address { address } else { address.as_deref().map(mask_address) };
        let shown = [("citizen_id", unmasked.citizen_id), ("phone", unmasked.phone), ("address", unmasked.address)];
        ResidentView {
            citizen_id,
            phone,
            address,
            unmasked: shown.into_iter().filter(|(_, shown)| *shown).map(|(field, _)| field).collect(),
            sex: r.sex(),
            birth_date: r.birth_date(),
            age: r.age_on(today),
            tags: r.tags_on(today),
            id: r.id,
            county_code: r.county_code,
            name: r.name,
            household_id: r.household_id,
            recorded_tags: r.recorded_tags,
        }
    }
}

/// Keeps at most the first six characters, which name the province and city
/// of a full Chinese address, and never more than half of a short one; hides
/// how much follows.
fn mask_address(address: &str) -> String {
    let length = address.chars().count();
    let head: String = address.chars().take(6.min(length / 2)).collect();
    format!("{head}**")
}

/// Keeps the first three and last four characters.
fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// Continue after this resident id (from the previous page).
    after: Option<String>,
    /// At most this many (1–500, default 100).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/counties/{code}/residents", tag = "residents",
    params(("code" = String, Path, description = "GB/T 2260 division code"), Page),
    responses((status = 200, body = Vec<ResidentView>), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
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
    let residents = k.residents(&who, &code, page.after.as_deref(), limit).await?;
    let today = k.clock.today();
    Ok(Json(residents.into_iter().map(|r| ResidentView::masked(r, today)).collect()))
}

/// A resident to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewResidentBody {
    name: String,
    /// 18-character citizen ID (GB 11643); birth date and sex come from it.
    citizen_id: String,
    /// The household (户) the resident belongs to.
    household_id: Option<String>,
    phone: Option<String>,
    /// Recorded population tags (not `elderly` or `child`, which follow from
    /// age), recorded as of today.
    #[serde(default)]
    tags: Vec<Tag>,
}

#[utoipa::path(post, path = "/v1/counties/{code}/residents", tag = "residents",
    params(("code" = String, Path, description = "GB/T 2260 division code")),
    request_body = NewResidentBody,
    responses(
        (status = 201, body = ResidentView,
            links(
                ("read" = (operation_id = "get_resident", parameters(("id" = "$response.body#/id")))),
                ("contracts" = (operation_id = "resident_contracts", parameters(("id" = "$response.body#/id")))),
                ("history" = (operation_id = "resident_history", parameters(("id" = "$response.body#/id")))),
                ("claims" = (operation_id = "resident_claims", parameters(("id" = "$response.body#/id")))),
                ("unsigned_reason" = (operation_id = "record_unsigned_reason", parameters(("id" = "$response.body#/id")))),
                ("move_out" = (operation_id = "move_out", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 403, body = Problem),
        (status = 404, description = "No such household", body = Problem),
        (status = 409, description = "The citizen ID is already registered, in this county or another", body = Problem),
        (status = 422, description = "Invalid citizen ID (or a birth date after today), name, tags, or text with a NUL", body = Problem),
    ))]
async fn register_resident(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppJson(body): AppJson<NewResidentBody>,
) -> Result<(StatusCode, Json<ResidentView>), ApiError> {
    let recorded_on = k.clock.today();
    let tags = body
        .tags
        .into_iter()
        .map(|t| (t, TagRecord { recorded_on, source: format!("registration by {}", who.subject) }));
    let new = NewResident {
        name: body.name,
        citizen_id: body.citizen_id,
        household_id: body.household_id,
        phone: body.phone,
        recorded_tags: tags.collect(),
    };
    let resident = k.register_resident(&who, &code, new).await?;
    Ok((StatusCode::CREATED, Json(ResidentView::masked(resident, recorded_on))))
}

#[utoipa::path(get, path = "/v1/residents/{id}", tag = "residents",
    params(("id" = String, Path, description = "Resident id")),
    responses((status = 200, body = ResidentView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_resident(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<ResidentView>, ApiError> {
    let resident = k.resident(&who, &id).await?;
    let unmasked = k.unmasked_fields(&who, &resident).await?;
    let address = k.household_of(&resident).await?.map(|h| h.address);
    Ok(Json(ResidentView::new(resident, address, unmasked, k.clock.today())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UnsignedQuery {
    /// The service period (year); the current one by default.
    period: Option<i32>,
    /// Continue after this resident id (the previous page's `next_after`).
    after: Option<String>,
    /// Residents scanned per page (1–500, default 100); a page lists the unsigned among them.
    limit: Option<u32>,
}

/// Must-sign residents (应签尽签: key populations and poverty groups) with no
/// active contract in the period, each with the recorded reason if any.
#[utoipa::path(get, path = "/v1/counties/{code}/unsigned", tag = "residents",
    params(("code" = String, Path, description = "GB/T 2260 division code"), UnsignedQuery),
    responses((status = 200, body = UnsignedPage), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn list_unsigned(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppQuery(query): AppQuery<UnsignedQuery>,
) -> Result<Json<UnsignedPage>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-query",
            format!("limit must be 1 to 500, not {limit}"),
        ));
    }
    let period = query.period.map_or_else(|| Period::containing(k.clock.today()), |year| Period { year });
    Ok(Json(k.unsigned(&who, &code, period, query.after.as_deref(), limit).await?))
}

/// Why the resident is not signed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

/// Record (or replace) why a must-sign resident is not signed in a period (未签约情况说明).
#[utoipa::path(put, path = "/v1/residents/{id}/unsigned-reasons/{period}", tag = "residents",
    params(("id" = String, Path, description = "Resident id"), ("period" = i32, Path, description = "Service period (year)")),
    request_body = ReasonBody,
    responses((status = 200, body = UnsignedReason), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "No reason given", body = Problem)))]
async fn record_unsigned_reason(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath((id, period)): AppPath<(String, i32)>,
    AppJson(body): AppJson<ReasonBody>,
) -> Result<Json<UnsignedReason>, ApiError> {
    Ok(Json(k.record_unsigned_reason(&who, &id, Period { year: period }, &body.reason).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// The date the list states the poverty statuses as of (ISO 8601); today by default.
    #[serde(default, with = "crate::iso_date::option")]
    #[param(value_type = Option<String>, format = Date)]
    recorded_on: Option<Date>,
}

/// Import the poverty-alleviation department's list (CSV, UTF-8, header line:
/// household_no, name, citizen_id, poverty_status, address[, phone]).
/// Idempotent: importing the same list again changes nothing. Bad rows are
/// reported by line while the good rows go in.
#[utoipa::path(post, path = "/v1/counties/{code}/imports/poverty-list", tag = "residents",
    params(("code" = String, Path, description = "GB/T 2260 division code"), ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, description = "What the import did, with every rejected row", body = ImportReport),
        (status = 403, body = Problem),
        (status = 404, description = "No such county", body = Problem),
        (status = 413, description = "Over 256 MiB: use `qianyue import residents`", body = Problem),
        (status = 422, description = "The header lacks a column", body = Problem),
    ))]
async fn import_poverty_list(
    State(k): State<Arc<Kernel>>,
    Caller(who): Caller,
    AppPath(code): AppPath<String>,
    AppQuery(query): AppQuery<ImportQuery>,
    AppBytes(body): AppBytes,
) -> Result<Json<ImportReport>, ApiError> {
    let recorded_on = query.recorded_on.unwrap_or_else(|| k.clock.today());
    Ok(Json(k.import_poverty_list(&who, &code, body.as_ref(), recorded_on, |_| {}).await?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_keep_only_their_county() {
        assert_eq!(super::mask_address("江苏省徐州市沛县安国镇1号"), "江苏省徐州市**");
        assert_eq!(super::mask_address("沛县安国镇"), "沛县**");
    }

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(super::mask_phone("13812345678"), "138****5678");
        assert_eq!(super::mask_phone("12345"), "*****");
    }
}
