//! Raw HTTP requests through an authenticated `kube::Client`: status, headers and body as
//! the server sent them.

use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use kube::client::Body;
use serde_json::{Value, json};

pub const FOOS: &str = "/apis/demo.jeremyxu2010.me/v1beta1/foos";
pub const JSON: &str = "application/json";
/// What to accept for a Table (meta.k8s.io/v1) of the objects.
pub const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
/// What to accept for aggregated discovery (apidiscovery.k8s.io/v2).
pub const AGGREGATED_DISCOVERY: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
/// The content types of the patches: JSON merge, JSON, strategic merge, server-side apply.
pub const MERGE_PATCH: &str = "application/merge-patch+json";
pub const JSON_PATCH: &str = "application/json-patch+json";
pub const STRATEGIC_MERGE_PATCH: &str = "application/strategic-merge-patch+json";
pub const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// A complete answer: status, headers and the collected body.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The request, for assertion messages.
    pub what: String,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e}): {}", self.what, self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_string())
    }

    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("ASCII header").to_string())
            .collect()
    }

    pub fn content_type(&self) -> String {
        self.header("content-type").unwrap_or_default()
    }

    /// Asserts the status code, printing the body on mismatch; returns the body as JSON
    /// (`null` when it is not JSON).
    pub fn expect(&self, code: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            code,
            "{}: unexpected status; body: {}",
            self.what,
            self.text()
        );
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

pub async fn send(
    client: &kube::Client,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Reply {
    let mut builder = Request::builder().method(method.clone()).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .expect("request");
    let response = client
        .send(request)
        .await
        .unwrap_or_else(|e| panic!("{method} {uri}: transport error: {e}"));
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{method} {uri}: reading body: {e}"))
        .to_bytes()
        .to_vec();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
        what: format!("{method} {uri}"),
    }
}

/// A Foo to create.
pub fn foo(name: &str, greeting: &str) -> Value {
    json!({
        "apiVersion": "demo.jeremyxu2010.me/v1beta1",
        "kind": "Foo",
        "metadata": {"name": name},
        "spec": {"greeting": greeting},
    })
}
