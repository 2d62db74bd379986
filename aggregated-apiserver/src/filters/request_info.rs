//! What the request asks to do, read once from its method, path and query for every filter
//! after this one (timeout, in-flight limit, authorization) and for the route that serves it:
//! the request carries its `RequestInfo` and its decoded `Query`.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::authz::RequestInfo;
use crate::request::Query;

pub async fn parse(mut request: Request, next: Next) -> Response {
    let query = Query::parse(request.uri().query());
    let info = RequestInfo::parse(request.method(), request.uri().path(), &query);
    request.extensions_mut().insert(info);
    request.extensions_mut().insert(query);
    next.run(request).await
}

/// Whether the request may last as long as its client wants (a watch), beyond the request
/// timeout and the in-flight limits.
pub fn is_long_running(request: &Request) -> bool {
    request
        .extensions()
        .get::<RequestInfo>()
        .is_some_and(|info| info.verb == "watch")
}
