//! kube-apiserver's `--max-requests-inflight` and `--max-mutating-requests-inflight`: beyond
//! them a request is refused with 429 and `Retry-After`, except watches and `system:masters`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use tokio::sync::Semaphore;

use super::request_info::is_long_running;
use crate::authn::UserInfo;

/// The group kube exempts from the limits, so that an administrator can always get in.
const MASTERS: &str = "system:masters";

/// Permits for read-only requests and for writes; `None` is no limit.
pub struct InFlight {
    read_only: Option<Semaphore>,
    mutating: Option<Semaphore>,
}

impl InFlight {
    /// At most `read_only` GET/HEAD requests and `mutating` others at once; 0 is no limit.
    pub fn new(read_only: usize, mutating: usize) -> Self {
        let permits = |n: usize| (n > 0).then(|| Semaphore::new(n));
        InFlight {
            read_only: permits(read_only),
            mutating: permits(mutating),
        }
    }
}

pub async fn limit(
    State(in_flight): State<Arc<InFlight>>,
    request: Request,
    next: Next,
) -> Response {
    let exempt = is_long_running(&request)
        || request
            .extensions()
            .get::<UserInfo>()
            .is_some_and(|user| user.in_group(MASTERS));
    let read_only = matches!(*request.method(), Method::GET | Method::HEAD);
    let semaphore = if read_only {
        &in_flight.read_only
    } else {
        &in_flight.mutating
    };
    let Some(semaphore) = semaphore.as_ref().filter(|_| !exempt) else {
        return next.run(request).await;
    };
    match semaphore.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (header::RETRY_AFTER, "1"),
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            "Too many requests, please try again later.\n",
        )
            .into_response(),
    }
}
