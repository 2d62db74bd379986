//! kube-apiserver's `--request-timeout`: a request other than a watch that has not been
//! answered in time gets 504; a `timeout` query parameter may shorten it. The handler runs on
//! to its end, as Go's does, so a write is never cut in the middle.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::request_info::is_long_running;
use crate::request::Query;
use crate::status::ApiError;

pub async fn limit(State(timeout): State<Arc<Duration>>, request: Request, next: Next) -> Response {
    if is_long_running(&request) {
        return next.run(request).await;
    }
    let mut timeout = *timeout;
    if let Some(asked) = Query::parse(request.uri().query()).get("timeout") {
        match humantime::parse_duration(asked) {
            Ok(asked) => timeout = timeout.min(asked),
            Err(_) => {
                return ApiError::bad_request(format!(
                    "invalid timeout specified in the request URL: {asked:?}"
                ))
                .into_response();
            }
        }
    }
    let handler = tokio::spawn(next.run(request));
    match tokio::time::timeout(timeout, handler).await {
        Ok(Ok(response)) => response,
        // The panic goes on to the panic recovery filter.
        Ok(Err(error)) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Ok(Err(error)) => ApiError::internal(error).into_response(),
        Err(_) => ApiError::request_timeout().into_response(),
    }
}
