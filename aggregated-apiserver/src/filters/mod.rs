//! The filters every request passes before its handler, in k8s.io/apiserver's order: panic
//! recovery, request info, metrics, timeout, authentication, audit, impersonation, in-flight
//! limit, authorization.

mod audit;
mod authentication;
mod authorization;
mod impersonation;
mod max_in_flight;
mod metrics;
mod panic_recovery;
mod request_info;
mod timeout;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};

use crate::authn::{self, RequestHeader};
use crate::authz;

pub use audit::Impersonated;
pub use max_in_flight::InFlight;
pub use metrics::Observed;

/// Who may call the server, and what they may do.
pub struct Access {
    /// Finds who sent each request.
    pub authenticator: authn::Chain,
    /// The front proxy's authenticator, whose user headers no handler may see.
    pub request_header: Option<Arc<RequestHeader>>,
    /// Judges whether the user may do what the request asks.
    pub authorizer: authz::Chain,
}

/// The user authentication found (anonymous before it has run).
fn user(request: &axum::extract::Request) -> crate::authn::UserInfo {
    request
        .extensions()
        .get::<crate::authn::UserInfo>()
        .cloned()
        .unwrap_or_else(crate::authn::UserInfo::anonymous)
}

/// What one request may take: a slot among those in flight, and time.
pub struct Limits {
    /// The in-flight request limits (`--max-requests-inflight` and the mutating one).
    pub in_flight: Arc<InFlight>,
    /// How long a request other than a watch may take (`--request-timeout`).
    pub request_timeout: Duration,
}

/// Wraps `router` in the filters.
pub fn install<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    access: Arc<Access>,
    limits: Limits,
    observed: Arc<Observed>,
    audit: Option<Arc<crate::audit::Log>>,
) -> Router<S> {
    let router = router
        .layer(from_fn_with_state(access.clone(), authorization::authorize))
        .layer(from_fn_with_state(limits.in_flight, max_in_flight::limit))
        .layer(from_fn_with_state(access.clone(), impersonation::filter));
    let router = match audit {
        Some(log) => router.layer(from_fn_with_state(log, audit::audit)),
        None => router,
    };
    router
        .layer(from_fn_with_state(access, authentication::authenticate))
        .layer(from_fn_with_state(
            Arc::new(limits.request_timeout),
            timeout::limit,
        ))
        .layer(from_fn_with_state(observed, metrics::observe))
        .layer(from_fn(request_info::parse))
        .layer(from_fn(panic_recovery::recover))
}
