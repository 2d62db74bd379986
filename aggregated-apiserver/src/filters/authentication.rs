//! Who sent the request: the chain of authenticators over the TLS peer's certificates and the
//! headers; the user rides on the request from here on, 401 if nobody could be told.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Access;
use crate::authn::{Credentials, PeerCertificates};
use crate::status::ApiError;

pub async fn authenticate(
    State(access): State<Arc<Access>>,
    mut request: Request,
    next: Next,
) -> Response {
    let certificates = request
        .extensions()
        .get::<PeerCertificates>()
        .cloned()
        .unwrap_or_default();
    let credentials = Credentials {
        certificates: &certificates.0,
        headers: request.headers(),
    };
    let user = match access.authenticator.authenticate(&credentials).await {
        Ok(user) => user,
        Err(error) => {
            tracing::debug!(path = %request.uri().path(), "unable to authenticate the request: {error}");
            return ApiError::unauthorized().into_response();
        }
    };
    let headers = request.headers_mut();
    headers.remove(http::header::AUTHORIZATION);
    if let Some(request_header) = &access.request_header {
        request_header.strip_headers(headers);
    }
    request.extensions_mut().insert(user);
    next.run(request).await
}
