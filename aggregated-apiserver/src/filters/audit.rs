//! Each request the audit policy selects is logged at its stages, as kube-apiserver's audit
//! filter logs it: who (and whom they impersonate), what, and how it ended, with the request
//! and response bodies when the level asks for them.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use http_body::Body as _;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use crate::audit::{Event, Level, Log, Stage};
use crate::authn::UserInfo;
use crate::authz::RequestInfo;
use crate::body::on_drop;
use crate::registry::MAX_BODY_BYTES;
use crate::status::ApiError;

/// Responses larger than this, or of unknown length, are logged without their body.
const MAX_LOGGED_RESPONSE_BYTES: usize = 16 << 20;

/// Where the impersonation filter, which runs after this one, leaves whom the requester acts as.
#[derive(Clone, Default)]
pub struct Impersonated(pub Arc<Mutex<Option<UserInfo>>>);

/// The peer's address, as the TLS server accepted it.
pub type Peer = ConnectInfo<std::net::SocketAddr>;

fn now() -> String {
    Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

pub async fn audit(State(log): State<Arc<Log>>, mut request: Request, next: Next) -> Response {
    let user = super::user(&request);
    let Some(info) = request.extensions().get::<RequestInfo>().cloned() else {
        return next.run(request).await;
    };
    let (level, omitted) = log.policy.decide(&user, &info);
    if level == Level::None {
        return next.run(request).await;
    }
    let watch = info.verb == "watch";
    let mut request_object = None;
    if level >= Level::Request && !watch {
        let (parts, body) = request.into_parts();
        let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
            Ok(bytes) => bytes,
            Err(_) => return ApiError::too_large(MAX_BODY_BYTES).into_response(),
        };
        request_object = serde_json::from_slice::<Value>(&bytes).ok();
        request = Request::from_parts(parts, Body::from(bytes));
    }
    let impersonated = Impersonated::default();
    request.extensions_mut().insert(impersonated.clone());
    let user_agent = request
        .headers()
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let event = Event {
        level,
        audit_id: uuid::Uuid::new_v4().to_string(),
        request_uri: request.uri().to_string(),
        verb: info.verb.clone(),
        user,
        impersonated: None,
        source_ip: request
            .extensions()
            .get::<Peer>()
            .map(|p| p.0.ip().to_string()),
        user_agent,
        request: info,
        received: now(),
    };
    let emit = move |log: &Log, event: &Event, stage, response, object: Option<&Value>| {
        if !omitted.contains(&stage) {
            log.write(&event.at(stage, response, object, now()));
        }
    };
    emit(
        &log,
        &event,
        Stage::RequestReceived,
        None,
        request_object.as_ref(),
    );

    // A panic is logged at its own stage on its way to the panic recovery filter.
    let response = match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = super::panic_recovery::panic_message(panic.as_ref());
            let status = json!({
                "kind": "Status",
                "status": "Failure",
                "reason": "InternalError",
                "message": format!("APIServer panic'd: {message}"),
            });
            emit(&log, &event, Stage::Panic, Some((500, Some(&status))), None);
            std::panic::resume_unwind(panic)
        }
    };
    let mut event = event;
    event.impersonated = impersonated
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let code = response.status().as_u16();
    if watch && response.status().is_success() {
        emit(
            &log,
            &event,
            Stage::ResponseStarted,
            Some((code, None)),
            None,
        );
        let complete = move || {
            emit(
                &log,
                &event,
                Stage::ResponseComplete,
                Some((code, None)),
                None,
            )
        };
        return response.map(|body| on_drop(body, complete));
    }
    // The body is read only when the event shows it (a failure's Status, or RequestResponse),
    // and only when its whole length is known and small: auditing never changes an answer.
    let readable = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|length| length <= MAX_LOGGED_RESPONSE_BYTES as u64);
    if (level < Level::RequestResponse && code < 400) || !readable {
        emit(
            &log,
            &event,
            Stage::ResponseComplete,
            Some((code, None)),
            request_object.as_ref(),
        );
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_LOGGED_RESPONSE_BYTES)
        .await
        .unwrap_or_default();
    let response_object = serde_json::from_slice::<Value>(&bytes).ok();
    emit(
        &log,
        &event,
        Stage::ResponseComplete,
        Some((code, response_object.as_ref())),
        request_object.as_ref(),
    );
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::middleware::{from_fn, from_fn_with_state};
    use axum::routing::get;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn a_panic_is_logged_at_its_stage() {
        let dir = tempfile::tempdir().unwrap();
        let (policy, path) = (dir.path().join("policy.yaml"), dir.path().join("audit.log"));
        std::fs::write(
            &policy,
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n",
        )
        .unwrap();
        let log = Arc::new(Log::open(&path, crate::audit::Policy::read(&policy).unwrap()).unwrap());
        let app = Router::new()
            .route("/apis/demo.jeremyxu2010.me/v1beta1/foos", get(boom))
            .layer(from_fn_with_state(log, audit))
            .layer(from_fn(super::super::request_info::parse))
            .layer(from_fn(super::super::panic_recovery::recover));
        let request = http::Request::get("/apis/demo.jeremyxu2010.me/v1beta1/foos")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);

        let text = std::fs::read_to_string(&path).unwrap();
        let events: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let stages: Vec<&str> = events
            .iter()
            .map(|e| e["stage"].as_str().unwrap())
            .collect();
        assert_eq!(stages, ["RequestReceived", "Panic"]);
        assert_eq!(
            events[1]["responseStatus"],
            json!({"metadata": {}, "code": 500, "status": "Failure", "reason": "InternalError",
                   "message": "APIServer panic'd: boom"})
        );
        assert!(events[1].get("responseObject").is_none(), "{}", events[1]);
    }
}
