//! `Idempotency-Key` on commands: a retried POST gets the first answer.
//!
//! Keys belong to the caller (the token's subject) and to one request: the
//! same key with a different method, path or body is refused. A command that
//! failed inside the kernel (5xx) releases its key, so the retry runs it.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::{ApiError, PROBLEM_JSON};
use crate::Kernel;
use crate::store::Claim;

pub const HEADER: &str = "idempotency-key";
/// Commands are small JSON documents or CSV uploads; larger bodies are refused.
const MAX_BODY: usize = super::residents::MAX_LIST;

pub async fn layer(State(kernel): State<Arc<Kernel>>, request: Request, next: Next) -> Response {
    match run(kernel, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn run(kernel: Arc<Kernel>, request: Request, next: Next) -> Result<Response, Response> {
    let key = request.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (Some(key), true) = (key, request.method() == Method::POST) else {
        return Ok(next.run(request).await);
    };
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-idempotency-key",
            "an idempotency key has 1 to 200 characters",
        )
        .into_response());
    }
    // Unauthenticated requests go on to be refused as usual; they store nothing.
    let subject = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .and_then(|token| kernel.tokens.verify(token.trim()).ok())
        .map(|p| p.subject);
    let Some(subject) = subject else {
        return Ok(next.run(request).await);
    };

    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large", "the request body is too large").into_response()
    })?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    hasher.update(parts.uri.path());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let fingerprint = hex::encode(hasher.finalize());

    let internal = |e: crate::store::StoreError| ApiError::from(crate::KernelError::Store(e)).into_response();
    match kernel.store.claim_idempotency_key(&subject, &key, &fingerprint).await.map_err(internal)? {
        Claim::New => {}
        Claim::Answered { status, body } => return Ok(replay(status, body)),
        Claim::InProgress => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency-key-in-progress",
                "a request with this idempotency key is still being answered; retry later",
            )
            .into_response());
        }
        Claim::Mismatch => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "this idempotency key was used for a different request",
            )
            .into_response());
        }
    }

    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    if parts.status.is_server_error() {
        kernel.store.release_idempotency_key(&subject, &key).await.map_err(internal)?;
    } else {
        let text = String::from_utf8_lossy(&bytes);
        kernel.store.complete_idempotency_key(&subject, &key, parts.status.as_u16(), &text).await.map_err(internal)?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// The stored answer, marked as a replay.
fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { PROBLEM_JSON };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert("idempotent-replay", HeaderValue::from_static("true"));
    response
}
