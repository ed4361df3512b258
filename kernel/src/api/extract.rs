//! Extractors whose rejections are problem documents, and the caller's
//! identity from the bearer token.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::Kernel;
use crate::authz::Principal;
use crate::text::UnstorableText;
use crate::tokens::TokenError;
use serde::de::DeserializeOwned;

/// A JSON body; malformed input gets the same problem shape as everything
/// else, and a string holding a NUL is refused (see [`crate::text`]).
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state).await?;
        let Json(value) = Json::<T>::from_request(Request::from_parts(parts, Body::from(bytes.clone())), state).await?;
        if has_escaped_nul(&bytes) {
            return Err(UnstorableText::at("the request body").into());
        }
        Ok(AppJson(value))
    }
}

/// Whether JSON that parsed has a `\u0000` escape: in valid JSON a backslash
/// only starts an escape inside a string, and a raw NUL does not parse.
fn has_escaped_nul(json: &[u8]) -> bool {
    let mut rest = json;
    while let Some(at) = rest.iter().position(|&b| b == b'\\') {
        let escape = rest.get(at + 1..).unwrap_or_default();
        if escape.starts_with(b"u0000") {
            return true;
        }
        // Past the escaped character, so `\\u0000` (a backslash, then text) is not one.
        rest = escape.get(1..).unwrap_or_default();
    }
    false
}

/// Whether a URI part (path or query) decodes to a NUL. `%00` is the only
/// way to write one (a raw NUL is not a URI character), and no other escape
/// can swallow its `%`, which is not a hex digit.
fn has_encoded_nul(uri_part: Option<&str>) -> bool {
    uri_part.is_some_and(|part| part.contains("%00"))
}

/// A raw body (a CSV upload), rejected as a problem when too large.
pub struct AppBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for AppBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Ok(AppBytes(Bytes::from_request(request, state).await?))
    }
}

/// Path parameters, rejected as problems; a NUL in one is refused.
pub struct AppPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for AppPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if has_encoded_nul(Some(parts.uri.path())) {
            return Err(UnstorableText::at("the path").into());
        }
        Ok(AppPath(Path::<T>::from_request_parts(parts, state).await?.0))
    }
}

/// Query parameters, rejected as problems; a NUL in one is refused.
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if has_encoded_nul(parts.uri.query()) {
            return Err(UnstorableText::at("the query").into());
        }
        Ok(AppQuery(Query::<T>::from_request_parts(parts, state).await?.0))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_in_json_strings_and_uris_only_where_it_decodes_to_one() {
        assert!(has_escaped_nul(br#"{"name": "\u0000"}"#));
        assert!(has_escaped_nul(br#"{"a\"b": "x\\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"name": "\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"name": "\u0001 u0000"}"#));
        assert!(has_encoded_nul(Some("/v1/residents/a%00b")));
        assert!(!has_encoded_nul(Some("/v1/residents/a%2500b")));
        assert!(!has_encoded_nul(None));
    }
}
