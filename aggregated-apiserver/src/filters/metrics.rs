//! Every request counted and timed as kube-apiserver labels it, requests in flight gauged by
//! kind, and each watch counted as a registered watcher for as long as its stream lasts.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::Method;

use crate::authz::RequestInfo;
use crate::body::on_drop;
use crate::metrics::{Metrics, RequestLabels};
use crate::resource::ResourceInfo;

/// The metrics and the served kinds (to name a watcher's kind).
pub struct Observed {
    /// Where requests, in-flight requests and watchers are counted.
    pub metrics: Arc<Metrics>,
    /// The kinds served, to find a watched resource's kind.
    pub resources: Vec<&'static ResourceInfo>,
}

pub async fn observe(
    State(observed): State<Arc<Observed>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let Some(info) = request.extensions().get::<RequestInfo>().cloned() else {
        return next.run(request).await;
    };
    let labels = labels(&info, &request);
    let watch = info.verb == "watch";
    let in_flight = (!watch).then(|| {
        let gauge = observed
            .metrics
            .in_flight(!matches!(*request.method(), Method::GET | Method::HEAD));
        gauge.inc();
        gauge
    });
    let response = next.run(request).await;
    if let Some(gauge) = in_flight {
        gauge.dec();
    }
    observed
        .metrics
        .request(labels, response.status().as_u16(), started);
    let watched = info
        .resource
        .as_ref()
        .filter(|_| watch && response.status().is_success());
    let Some(resource) = watched else {
        return response;
    };
    let kind = observed
        .resources
        .iter()
        .find(|r| r.group == resource.group && r.plural == resource.resource)
        .map_or(resource.resource.as_str(), |r| r.kind);
    let watchers = observed
        .metrics
        .watchers(&resource.group, &resource.version, kind);
    watchers.inc();
    response.map(|body| {
        on_drop(body, move || {
            watchers.dec();
        })
    })
}

/// kube's labels: its upper-case verbs (APPLY for a server-side apply, DELETECOLLECTION),
/// dry run, the resource, and the scope.
fn labels(info: &RequestInfo, request: &Request) -> RequestLabels {
    let apply = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|c| c.as_bytes().starts_with(b"application/apply-patch+yaml"));
    let verb = match (info.verb.as_str(), &info.resource) {
        (_, None) => request.method().as_str().to_owned(),
        ("create", _) => "POST".to_owned(),
        ("update", _) => "PUT".to_owned(),
        ("patch", _) if apply => "APPLY".to_owned(),
        (verb, _) => verb.to_ascii_uppercase(),
    };
    let dry_run = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "dryRun=All"));
    let resource = info.resource.clone().unwrap_or_default();
    let scope = match (
        &info.resource,
        resource.name.is_empty(),
        resource.namespace.is_empty(),
    ) {
        (None, _, _) => "",
        (_, false, _) => "resource",
        (_, true, true) => "cluster",
        (_, true, false) => "namespace",
    };
    RequestLabels {
        verb,
        dry_run: if dry_run { "All".into() } else { String::new() },
        group: resource.group,
        version: resource.version,
        resource: resource.resource,
        subresource: resource.subresource,
        scope: scope.into(),
        component: "apiserver".into(),
    }
}
