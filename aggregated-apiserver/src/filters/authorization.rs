//! Whether the user may do what the request asks: 403 in kube-apiserver's words, or 500 when
//! no authorizer could decide.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use super::Access;
use crate::authz::{self, Attributes, Judgement, RequestInfo};
use crate::status::ApiError;

pub async fn authorize(
    State(access): State<Arc<Access>>,
    request: Request,
    next: Next,
) -> Response {
    let user = super::user(&request);
    let Some(info) = request.extensions().get::<RequestInfo>().cloned() else {
        return ApiError::internal("no request info").into_response();
    };
    let attributes = Attributes {
        user,
        request: info,
    };
    match access.authorizer.judge(&attributes).await {
        Judgement::Allowed => next.run(request).await,
        Judgement::Forbidden(reason) => authz::forbidden(&attributes, &reason).into_response(),
        Judgement::Failed(error) => {
            tracing::warn!(path = %attributes.request.path, "authorization failed: {error}");
            let uri = request.uri().to_string();
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [
                    (http::header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                    (http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                format!("Internal Server Error: {uri:?}: {error}\n"),
            )
                .into_response()
        }
    }
}
