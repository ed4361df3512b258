//! The HTTP API: routes, the OpenAPI document and the mapping of errors.
//!
//! Handlers are thin: parse the request, name the caller, call one `Kernel`
//! operation, shape the answer. Only this module knows HTTP; authorization
//! happens inside the kernel's operations, never here alone.

mod assessment;
mod audit;
mod claims;
mod contracts;
mod error;
mod extract;
mod fulfilment;
mod idempotency;
mod org;
mod plugins;
mod policies;
mod referrals;
mod residents;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::Kernel;
pub use error::{ApiError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Qianyue kernel API",
        description = "Residents, teams and contracts of family-doctor contract services (家庭医生签约服务). \
                       Every operation needs a bearer token and is decided by the Cedar policies; \
                       errors are application/problem+json."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(Problem))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The whole API, with `/openapi.json` describing it.
pub fn router(kernel: Arc<Kernel>) -> axum::Router {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .merge(org::routes())
        .merge(residents::routes())
        .merge(contracts::routes())
        .merge(fulfilment::routes())
        .merge(referrals::routes())
        .merge(claims::routes())
        .merge(assessment::routes())
        .merge(plugins::routes())
        .merge(policies::routes())
        .merge(audit::routes())
        .split_for_parts();
    let openapi = Arc::new(openapi);
    router
        .route("/openapi.json", axum::routing::get(move || async move { Json(openapi.as_ref().clone()) }))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not-found", "no such endpoint; see /openapi.json") })
        .layer(axum::middleware::from_fn_with_state(kernel.clone(), idempotency::layer))
        .layer(TraceLayer::new_for_http())
        .with_state(kernel)
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: &'static str,
}

/// Liveness and database reachability; needs no token.
#[utoipa::path(get, path = "/healthz", security(()), responses(
    (status = 200, description = "The kernel and its database answer", body = Health),
    (status = 503, description = "The database does not answer", body = Problem),
))]
async fn healthz(State(kernel): State<Arc<Kernel>>) -> impl IntoResponse {
    match kernel.store.ping().await {
        Ok(()) => Json(Health { status: "ok" }).into_response(),
        Err(e) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database-unavailable", e.to_string()).into_response(),
    }
}
