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
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::Kernel;
use error::PROBLEM_JSON;
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

/// Every operation's errors as the kernel sends them: problem documents
/// (`application/problem+json`, not the `application/json` utoipa assumes),
/// and the refusals that come before the handler, which no handler lists.
struct ProblemResponses;

impl ProblemResponses {
    /// The statuses an operation can answer before or around its handler:
    /// the token, the path and query, the body, the idempotency key, the store.
    fn generic(operation: &Operation, is_post: bool) -> Vec<(&'static str, &'static str)> {
        let secured =
            operation.security.as_ref().is_none_or(|s| s.iter().any(|r| *r != SecurityRequirement::default()));
        let mut statuses = vec![
            ("500", "The kernel failed; the details are in its log"),
            // The extractors refuse it in whatever part of the request a handler reads.
            ("422", "Text with a NUL (U+0000) in the path, query or body, which no database can store"),
        ];
        if secured {
            statuses.push(("401", "No bearer token, or not one this kernel signed"));
        }
        if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
            statuses.push(("400", "A path or query parameter cannot be read"));
        }
        if let Some(body) = &operation.request_body {
            statuses.push(("400", "The body cannot be read"));
            statuses.push(("413", "The body is over the route's limit"));
            if body.content.contains_key("application/json") {
                statuses.push(("415", "The body is not declared as application/json"));
                statuses.push(("422", "The body is JSON of the wrong shape"));
            }
        }
        if is_post && secured {
            statuses.push(("400", "The Idempotency-Key has not 1 to 200 characters"));
            statuses.push(("409", "A request with this Idempotency-Key is still being answered"));
            statuses.push(("422", "The Idempotency-Key was used for a different request"));
        }
        statuses
    }
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problem = || Content::new(Some(Ref::from_schema_name("Problem")));
        for (operation, is_post) in operations(openapi) {
            for (status, description) in Self::generic(operation, is_post) {
                operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
                    RefOr::T(ResponseBuilder::new().description(description).content(PROBLEM_JSON, problem()).build())
                });
            }
            for (status, response) in operation.responses.responses.iter_mut() {
                if let (RefOr::T(response), false) = (response, status.starts_with('2'))
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response.content.insert(PROBLEM_JSON.to_owned(), content);
                }
            }
        }
    }
}

/// Links named as OpenAPI names them: utoipa 5 writes a link's fields in
/// snake case (`operation_id`), which no client reads, so the operation's id
/// moves to the link's extensions under `operationId`.
struct LinkNames;

impl Modify for LinkNames {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (operation, _) in operations(openapi) {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else { continue };
                for link in response.links.values_mut() {
                    if let RefOr::T(link) = link {
                        let id = std::mem::take(&mut link.operation_id);
                        link.extensions
                            .get_or_insert_with(Default::default)
                            .insert("operationId".to_owned(), id.into());
                    }
                }
            }
        }
    }
}

/// Every operation of the document, with whether it is a POST.
fn operations(openapi: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = (&mut Operation, bool)> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [(&mut item.get, false), (&mut item.put, false), (&mut item.post, true), (&mut item.delete, false)]
            .into_iter()
            .filter_map(|(operation, is_post)| operation.as_mut().map(|operation| (operation, is_post)))
    })
}

/// The whole API, with `/openapi.json` describing it.
pub fn router(kernel: Arc<Kernel>) -> axum::Router {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
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
    // After the merge: `#[openapi(modifiers(…))]` run before any route is in the document.
    ProblemResponses.modify(&mut openapi);
    LinkNames.modify(&mut openapi);
    let openapi = Arc::new(openapi);
    router
        .route("/openapi.json", axum::routing::get(move || async move { Json(openapi.as_ref().clone()) }))
        .layer(axum::middleware::from_fn_with_state(kernel.clone(), idempotency::layer))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(error::every_error_a_problem))
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
