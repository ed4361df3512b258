//! The one mapping from the kernel's errors to HTTP: every failure leaves as
//! `application/problem+json` (RFC 9457). A client's mistake is a 4xx with a
//! message it can act on; an internal failure is a 500 whose detail stays in
//! the kernel's log.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::contracts::{LifecycleError, SignError};
use crate::kernel::KernelError;
use crate::plugins::PluginError;
use crate::referrals::ReferralError;
use crate::text::UnstorableText;
use crate::tokens::TokenError;

/// The content type of every error the kernel answers.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Identifies the kind of problem, e.g. `/problems/forbidden`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong in this request, for a person.
    pub detail: String,
}

/// An error on its way out.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    slug: &'static str,
    detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, slug: &'static str, detail: impl Into<String>) -> Self {
        ApiError { status, slug, detail: detail.into() }
    }

    fn internal(error: &dyn std::error::Error) -> Self {
        tracing::error!(error = %error, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the kernel failed; the details are in its log")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("/problems/{}", self.slug),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
        };
        let mut response = (self.status, axum::Json(problem)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The outermost layer: an error that left the router as anything but a
/// problem document (axum's 405 with an empty body, a rejection of a layer,
/// a body over the limit) becomes one, with its status and its other
/// headers (`Allow`) kept.
pub async fn every_error_a_problem(request: Request, next: Next) -> Response {
    // Kept for the message (cheap clones: no copy of the path unless one is needed).
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let response = next.run(request).await;
    let status = response.status();
    let is_problem =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The texts axum and tower-http give are short; a longer one is not worth showing.
    let text = to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).trim().to_owned()).unwrap_or_default();
    let path = uri.path();
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method-not-allowed",
            format!("`{method}` is not allowed on `{path}`; the Allow header lists the methods that are"),
        ),
        StatusCode::NOT_FOUND => {
            ApiError::new(status, "not-found", format!("no such endpoint `{path}`; see /openapi.json"))
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(status, "body-too-large", "the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(status, "unsupported-media-type", text),
        _ if status.is_server_error() => {
            tracing::error!(%status, body = %text, "an error without a problem document");
            ApiError::new(status, "internal", "the kernel failed; the details are in its log")
        }
        _ => ApiError::new(status, "bad-request", text),
    };
    let (problem, body) = error.into_response().into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(problem.headers);
    Response::from_parts(parts, body)
}

impl From<KernelError> for ApiError {
    fn from(error: KernelError) -> Self {
        let detail = error.to_string();
        match error {
            // 403: the policies said no.
            KernelError::Denied(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail),
            KernelError::Check(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "check-rule", detail),
            KernelError::SettlementChanged { .. } => ApiError::new(StatusCode::CONFLICT, "settlement-changed", detail),
            KernelError::Claim(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "claim-rule", detail),
            KernelError::Busy(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", detail),
            KernelError::Fulfilment(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "fulfilment-rule", detail),
            KernelError::CorrectedMeanwhile(_) => ApiError::new(StatusCode::CONFLICT, "corrected-meanwhile", detail),
            KernelError::Referral(ReferralError::ReservationFull { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "reservation-full", detail)
            }
            KernelError::Referral(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "referral-rule", detail),
            KernelError::ReferralChanged(_) => ApiError::new(StatusCode::CONFLICT, "changed-meanwhile", detail),
            KernelError::MoveOut(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "move-out-rule", detail),
            KernelError::Withheld { .. } => ApiError::new(StatusCode::FORBIDDEN, "withheld-from-plugin", detail),
            // 404: the id names nothing.
            KernelError::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, "not-found", detail),
            // 422: the resident's data breaks a rule.
            KernelError::Resident(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-resident", detail),
            KernelError::List(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-list", detail),
            KernelError::Text(e) => e.into(),
            // 409: the same person again.
            KernelError::DuplicateResident => ApiError::new(StatusCode::CONFLICT, "duplicate-resident", detail),
            KernelError::RegisteredElsewhere { .. } => {
                ApiError::new(StatusCode::CONFLICT, "registered-elsewhere", detail)
            }
            // 409: another contract holds the place; 422: the choice breaks a signing rule.
            KernelError::Sign(SignError::AlreadySigned { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "already-signed", detail)
            }
            KernelError::Sign(SignError::HouseholdHasOtherDoctor { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "household-has-doctor", detail)
            }
            KernelError::Sign(SignError::TeamFull { .. }) => ApiError::new(StatusCode::CONFLICT, "team-full", detail),
            KernelError::Sign(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "signing-rule", detail),
            // 409: the contract is no longer active; 422: the change breaks a rule.
            KernelError::Lifecycle(LifecycleError::NotActive { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "not-active", detail)
            }
            KernelError::Lifecycle(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "lifecycle-rule", detail),
            // 422: the team's composition breaks a rule; 409: the id is taken.
            KernelError::Team(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "team-rule", detail),
            KernelError::DuplicateId(_) => ApiError::new(StatusCode::CONFLICT, "duplicate-id", detail),
            KernelError::Invalid(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail),
            KernelError::PluginRejected(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "plugin-rejected", detail)
            }
            KernelError::PoliciesRejected(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "policies-rejected", detail)
            }
            KernelError::PoliciesSuperseded { .. } => {
                ApiError::new(StatusCode::CONFLICT, "policies-superseded", detail)
            }
            KernelError::Plugin(e) => e.into(),
            KernelError::Store(e) => ApiError::internal(&e),
        }
    }
}

impl From<PluginError> for ApiError {
    fn from(error: PluginError) -> Self {
        let detail = error.to_string();
        match error {
            // 404: this county has no rules loaded.
            PluginError::NoPlugin(_) => ApiError::new(StatusCode::NOT_FOUND, "no-plugin", detail),
            // 502: the county's plugin, not the client, failed; the kernel goes on.
            PluginError::OutOfFuel { .. }
            | PluginError::Deadline { .. }
            | PluginError::Memory { .. }
            | PluginError::Trap { .. }
            | PluginError::WrongAnswer { .. } => {
                tracing::warn!(error = %detail, "plugin failure");
                ApiError::new(StatusCode::BAD_GATEWAY, "plugin-failed", detail)
            }
            // 501: the county's plugin is built for a world without this call.
            PluginError::Unsupported { .. } => ApiError::new(StatusCode::NOT_IMPLEMENTED, "plugin-unsupported", detail),
            PluginError::Invalid { .. } | PluginError::Host(_) => ApiError::internal(&error),
        }
    }
}

impl From<UnstorableText> for ApiError {
    fn from(error: UnstorableText) -> Self {
        // 422: text a database cannot hold, refused before anything is written.
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-text", error.to_string())
    }
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        // 401: no token, or not one this kernel signed.
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", error.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        // 400 for unreadable JSON, 415 for the wrong content type, 422 for JSON of the wrong shape.
        ApiError::new(rejection.status(), "bad-request-body", rejection.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        // 413 when the body is over the route's limit.
        ApiError::new(rejection.status(), "bad-request-body", rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::new(rejection.status(), "bad-path", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::new(rejection.status(), "bad-query", rejection.body_text())
    }
}
