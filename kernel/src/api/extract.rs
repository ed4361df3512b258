//! Extractors whose rejections are problem documents, and the caller's
//! identity from the bearer token.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Path, Query};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::Kernel;
use crate::authz::Principal;
use crate::tokens::TokenError;

/// A JSON body; malformed input gets the same problem shape as everything else.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

/// A raw body (a CSV upload), rejected as a problem when too large.
pub struct AppBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for AppBytes {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Ok(AppBytes(axum::body::Bytes::from_request(request, state).await?))
    }
}

/// Path parameters, rejected as problems.
#[derive(FromRequestParts)]
#[from_request(via(Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

/// Query parameters, rejected as problems.
#[derive(FromRequestParts)]
#[from_request(via(Query), rejection(ApiError))]
pub struct AppQuery<T>(pub T);

/// Who is calling, from a verified `Authorization: Bearer …` header.
pub struct Caller(pub Principal);

impl FromRequestParts<Arc<Kernel>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, kernel: &Arc<Kernel>) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).ok_or(TokenError::Missing)?;
        let token = header.to_str().ok().and_then(|h| h.strip_prefix("Bearer ")).ok_or(TokenError::Missing)?;
        Ok(Caller(kernel.tokens.verify(token.trim())?))
    }
}
