//! The filters every request passes before its handler, in k8s.io/apiserver's order: panic
//! recovery, authentication, impersonation, authorization.

mod authentication;
mod authorization;
mod impersonation;
mod panic_recovery;

use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};

use crate::authn::{self, RequestHeader};
use crate::authz;

pub use impersonation::impersonate;

/// Who may call the server, and what they may do.
pub struct Access {
    pub authenticator: authn::Chain,
    /// The front proxy's authenticator, whose user headers no handler may see.
    pub request_header: Option<Arc<RequestHeader>>,
    pub authorizer: authz::Chain,
}

/// Wraps `router` in the filters.
pub fn install<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    access: Arc<Access>,
) -> Router<S> {
    router
        .layer(from_fn_with_state(access.clone(), authorization::authorize))
        .layer(from_fn_with_state(access.clone(), impersonation::filter))
        .layer(from_fn_with_state(access, authentication::authenticate))
        .layer(from_fn(panic_recovery::recover))
}
