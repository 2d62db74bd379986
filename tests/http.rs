//! HTTP-level tests: raw requests through `kube::Client::send`, checked against what
//! kube-apiserver answers (status codes, Status bodies, headers, discovery, OpenAPI, Tables).

mod common;

use std::collections::BTreeSet;

use common::http::{FOOS, JSON, Reply, foo, send};
use http::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

const GROUP: &str = "demo.jeremyxu2010.me";
const GV: &str = "/apis/demo.jeremyxu2010.me/v1beta1";
/// Standard base64 of the first 8 bytes of sha256("demo.jeremyxu2010.me/v1beta1/Foo"),
/// computed with `printf %s demo.jeremyxu2010.me/v1beta1/Foo | sha256sum | head -c16 | xxd -r -p | base64`.
const STORAGE_VERSION_HASH: &str = "6NyrWUVcmyw=";
const KUBECTL_DISCOVERY_ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const DISCOVERY_V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const DISCOVERY_V2BETA1: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
const TABLE_V1: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
const TABLE_V1BETA1: &str = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A running server plus an authenticated client.
struct Env {
    server: common::Server,
    client: kube::Client,
}

impl Env {
    async fn start() -> Env {
        // No controller: these tests check exact resourceVersions and bodies.
        let server = common::Server::start_with(&["--controller=false"]);
        let client = server.client().await;
        Env { server, client }
    }

    async fn request(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        send(&self.client, method, uri, headers, body).await
    }

    async fn get(&self, uri: &str) -> Reply {
        self.request(Method::GET, uri, &[], None).await
    }

    async fn get_as(&self, uri: &str, accept: &str) -> Reply {
        self.request(Method::GET, uri, &[("accept", accept)], None)
            .await
    }

    async fn write_json(&self, method: Method, uri: &str, body: &Value) -> Reply {
        self.request(
            method,
            uri,
            &[("content-type", JSON), ("accept", JSON)],
            Some(serde_json::to_vec(body).unwrap()),
        )
        .await
    }

    async fn post(&self, uri: &str, body: &Value) -> Reply {
        self.write_json(Method::POST, uri, body).await
    }

    async fn put(&self, uri: &str, body: &Value) -> Reply {
        self.write_json(Method::PUT, uri, body).await
    }

    /// Creates a Foo and returns the stored object.
    async fn create(&self, name: &str, greeting: &str, labels: Value) -> Value {
        let mut body = foo(name, greeting);
        body["metadata"]["labels"] = labels;
        let reply = self.post(FOOS, &body).await;
        reply.expect(201);
        reply.json()
    }

    async fn get_foo(&self, name: &str) -> Value {
        let reply = self.get(&format!("{FOOS}/{name}")).await;
        reply.expect(200);
        reply.json()
    }

    /// Names of all Foos, from a plain JSON list.
    async fn names(&self) -> Vec<String> {
        self.names_with("").await
    }

    async fn names_with(&self, query: &str) -> Vec<String> {
        let uri = if query.is_empty() {
            FOOS.to_string()
        } else {
            format!("{FOOS}?{query}")
        };
        let reply = self.get(&uri).await;
        reply.expect(200);
        item_names(&reply.json())
    }
}

fn item_names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {list}"))
        .iter()
        .map(|item| item["metadata"]["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Details for an error about one Foo (kube-apiserver uses the plural resource as `kind`).
fn foo_details(name: &str) -> Value {
    json!({"name": name, "group": GROUP, "kind": "foos"})
}

/// Asserts a Status body that is exactly kube-apiserver's: every key, every value, and
/// `details` present exactly when kube-apiserver sends it (`None` → no `details` key at all).
fn assert_status(reply: &Reply, code: u16, reason: &str, message: &str, details: Option<Value>) {
    reply.expect(code);
    assert_eq!(
        reply.content_type(),
        JSON,
        "{}: Status content type",
        reply.what
    );
    let mut expected = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(details) = details {
        expected["details"] = details;
    }
    assert_eq!(reply.json(), expected, "{}: Status body", reply.what);
}

/// Asserts the fixed parts of a Status (all but message and details) and returns the body.
/// kube-apiserver's 404 for a path it does not serve.
fn path_not_found(reply: &Reply) {
    let message = "the server could not find the requested resource";
    assert_status(reply, 404, "NotFound", message, Some(json!({})));
}

fn assert_status_shape(reply: &Reply, code: u16, reason: &str, has_details: bool) -> Value {
    reply.expect(code);
    assert_eq!(
        reply.content_type(),
        JSON,
        "{}: Status content type",
        reply.what
    );
    let body = reply.json();
    let keys: BTreeSet<&str> = body
        .as_object()
        .unwrap_or_else(|| panic!("{}: Status is not an object: {body}", reply.what))
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected_keys: BTreeSet<&str> = [
        "kind",
        "apiVersion",
        "metadata",
        "status",
        "message",
        "reason",
        "code",
    ]
    .into_iter()
    .collect();
    if has_details {
        expected_keys.insert("details");
    }
    assert_eq!(keys, expected_keys, "{}: Status keys in {body}", reply.what);
    assert_eq!(body["kind"], "Status", "{body}");
    assert_eq!(body["apiVersion"], "v1", "{body}");
    assert_eq!(body["metadata"], json!({}), "{body}");
    assert_eq!(body["status"], "Failure", "{body}");
    assert_eq!(body["reason"], reason, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].is_string(), "{body}");
    body
}

/// The fields named by `details.causes`, sorted; each cause must have reason/message/field.
fn cause_fields(status: &Value) -> Vec<String> {
    let causes = status["details"]["causes"]
        .as_array()
        .unwrap_or_else(|| panic!("no causes in {status}"));
    let mut fields: Vec<String> = causes
        .iter()
        .map(|cause| {
            assert!(cause["reason"].is_string(), "cause without reason: {cause}");
            assert!(
                cause["message"].is_string(),
                "cause without message: {cause}"
            );
            cause["field"]
                .as_str()
                .unwrap_or_else(|| panic!("cause without field: {cause}"))
                .to_string()
        })
        .collect();
    fields.sort();
    fields
}

fn upper_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

// ---------------------------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn discovery_group_list_group_and_resource_list() {
    let env = Env::start().await;

    let reply = env.get_as("/apis", JSON).await;
    reply.expect(200);
    assert_eq!(reply.content_type(), JSON);
    let gv = json!({"groupVersion": "demo.jeremyxu2010.me/v1beta1", "version": "v1beta1"});
    let group = json!({
        "name": GROUP,
        "versions": [gv],
        "preferredVersion": gv,
    });
    assert_eq!(
        reply.json(),
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]})
    );

    let reply = env.get_as("/apis/demo.jeremyxu2010.me", JSON).await;
    reply.expect(200);
    assert_eq!(reply.content_type(), JSON);
    let mut api_group = group.clone();
    api_group["kind"] = json!("APIGroup");
    api_group["apiVersion"] = json!("v1");
    assert_eq!(reply.json(), api_group);

    let reply = env.get_as(GV, JSON).await;
    reply.expect(200);
    assert_eq!(reply.content_type(), JSON);
    assert_eq!(
        reply.json(),
        json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": "demo.jeremyxu2010.me/v1beta1",
            "resources": [
                {
                    "name": "foos",
                    "singularName": "foo",
                    "namespaced": false,
                    "kind": "Foo",
                    "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                    "shortNames": ["fo"],
                    "categories": ["demo"],
                    "storageVersionHash": STORAGE_VERSION_HASH,
                },
                {
                    "name": "foos/bar",
                    "singularName": "",
                    "namespaced": false,
                    "kind": "FooBar",
                    "verbs": ["create"],
                },
                {
                    "name": "foos/status",
                    "singularName": "",
                    "namespaced": false,
                    "kind": "Foo",
                    "verbs": ["get", "patch", "update"],
                },
            ],
        })
    );
}

#[tokio::test]
async fn discovery_not_found_paths_are_404_status() {
    let env = Env::start().await;
    for path in [
        "/api",
        "/apis/nope.example.com/v1",
        "/apis/demo.jeremyxu2010.me/v1",
        "/apis/nope.example.com",
    ] {
        path_not_found(&env.get_as(path, JSON).await);
    }
    // kubectl asks /api with the aggregated Accept too; it tolerates only a 404 there.
    let reply = env.get_as("/api", KUBECTL_DISCOVERY_ACCEPT).await;
    reply.expect(404);
}

#[tokio::test]
async fn aggregated_discovery_v2_v2beta1_and_etag() {
    let env = Env::start().await;

    let reply = env.get_as("/apis", KUBECTL_DISCOVERY_ACCEPT).await;
    reply.expect(200);
    assert_eq!(reply.content_type(), DISCOVERY_V2);
    assert_eq!(reply.header("vary").as_deref(), Some("Accept"));
    let etag = reply.header("etag").expect("ETag header");
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "ETag must be quoted: {etag}"
    );
    let body = reply.json();
    assert_eq!(body["kind"], "APIGroupDiscoveryList");
    assert_eq!(body["apiVersion"], "apidiscovery.k8s.io/v2");
    check_aggregated(&body);

    // If-None-Match with the ETag → 304, no body.
    let reply = env
        .request(
            Method::GET,
            "/apis",
            &[
                ("accept", KUBECTL_DISCOVERY_ACCEPT),
                ("if-none-match", &etag),
            ],
            None,
        )
        .await;
    reply.expect(304);
    assert!(reply.body.is_empty(), "304 with a body: {:?}", reply.text());

    // A stale ETag → the full document again.
    let reply = env
        .request(
            Method::GET,
            "/apis",
            &[
                ("accept", KUBECTL_DISCOVERY_ACCEPT),
                ("if-none-match", "\"stale\""),
            ],
            None,
        )
        .await;
    reply.expect(200);
    assert_eq!(reply.content_type(), DISCOVERY_V2);

    // Only v2beta1 (as older kubectl and kube-aggregator may ask).
    let reply = env.get_as("/apis", DISCOVERY_V2BETA1).await;
    reply.expect(200);
    assert_eq!(reply.content_type(), DISCOVERY_V2BETA1);
    assert_eq!(reply.header("vary").as_deref(), Some("Accept"));
    let etag = reply.header("etag").expect("ETag header");
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let body = reply.json();
    assert_eq!(body["kind"], "APIGroupDiscoveryList");
    assert_eq!(body["apiVersion"], "apidiscovery.k8s.io/v2beta1");
    check_aggregated(&body);

    // Only v2 (what kube-aggregator sends first).
    let reply = env.get_as("/apis", DISCOVERY_V2).await;
    reply.expect(200);
    assert_eq!(reply.content_type(), DISCOVERY_V2);
}

fn check_aggregated(body: &Value) {
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{body}");
    let group = &items[0];
    assert_eq!(group["metadata"]["name"], GROUP, "{body}");
    let versions = group["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 1, "{body}");
    let version = &versions[0];
    assert_eq!(version["version"], "v1beta1");
    assert_eq!(version["freshness"], "Current");
    let resources = version["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), 1, "{body}");
    let foos = &resources[0];
    assert_eq!(foos["resource"], "foos");
    // As a Go aggregated server answers: group and version are the entry's own.
    assert_eq!(
        foos["responseKind"],
        json!({"group": "", "version": "", "kind": "Foo"})
    );
    assert_eq!(foos["scope"], "Cluster");
    assert_eq!(foos["singularResource"], "foo");
    assert_eq!(
        foos["verbs"],
        json!([
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch"
        ])
    );
    assert_eq!(foos["shortNames"], json!(["fo"]));
    assert_eq!(foos["categories"], json!(["demo"]));
    let mut subresources: Vec<(String, Value, Value)> = foos["subresources"]
        .as_array()
        .expect("subresources")
        .iter()
        .map(|s| {
            (
                s["subresource"].as_str().expect("subresource").to_string(),
                s["responseKind"].clone(),
                s["verbs"].clone(),
            )
        })
        .collect();
    subresources.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        subresources,
        vec![
            (
                "bar".to_string(),
                json!({"group": "", "version": "", "kind": "FooBar"}),
                json!(["create"])
            ),
            (
                "status".to_string(),
                json!({"group": "", "version": "", "kind": "Foo"}),
                json!(["get", "patch", "update"])
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn openapi_v2_has_foo_definitions() {
    let env = Env::start().await;
    let reply = env.get_as("/openapi/v2", JSON).await;
    reply.expect(200);
    assert!(
        reply.content_type().starts_with(JSON),
        "{}",
        reply.content_type()
    );
    let doc = reply.json();
    let definitions = doc["definitions"].as_object().expect("definitions");
    let foo = definitions
        .iter()
        .find(|(name, _)| name.ends_with(".Foo"))
        .unwrap_or_else(|| panic!("no Foo definition in {:?}", definitions.keys()))
        .1;
    assert!(
        foo["x-kubernetes-group-version-kind"]
            .as_array()
            .expect("x-kubernetes-group-version-kind on Foo")
            .contains(&json!({"group": GROUP, "version": "v1beta1", "kind": "Foo"})),
        "{foo}"
    );
    for part in ["FooSpec", "FooStatus", "FooList"] {
        assert!(
            definitions
                .keys()
                .any(|name| name.ends_with(&format!(".{part}"))),
            "no {part} definition"
        );
    }
}

#[tokio::test]
async fn openapi_v3_root_hash_and_patch_operation() {
    let env = Env::start().await;
    let reply = env.get_as("/openapi/v3", JSON).await;
    reply.expect(200);
    let root = reply.json();
    let url = root["paths"]["apis/demo.jeremyxu2010.me/v1beta1"]["serverRelativeURL"]
        .as_str()
        .unwrap_or_else(|| panic!("no apis/demo.jeremyxu2010.me/v1beta1 in {root}"))
        .to_string();
    let (path, hash) = url
        .split_once("?hash=")
        .unwrap_or_else(|| panic!("no hash in {url}"));
    assert_eq!(path, "/openapi/v3/apis/demo.jeremyxu2010.me/v1beta1");

    let reply = env.get_as(&url, JSON).await;
    reply.expect(200);
    assert_eq!(
        hash,
        upper_hex(&Sha512::digest(&reply.body)),
        "hash in serverRelativeURL is not the uppercase hex sha512 of the document"
    );
    let doc = reply.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));

    let item = &doc["paths"]["/apis/demo.jeremyxu2010.me/v1beta1/foos/{name}"];
    let patch = &item["patch"];
    assert!(patch.is_object(), "no PATCH on foos/{{name}}: {item}");
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": GROUP, "version": "v1beta1", "kind": "Foo"})
    );
    let resolve = |p: &Value| -> Value {
        match p["$ref"].as_str() {
            Some(reference) => {
                let key = reference
                    .strip_prefix("#/components/parameters/")
                    .unwrap_or_else(|| panic!("odd parameter reference {reference}"));
                doc["components"]["parameters"][key].clone()
            }
            None => p.clone(),
        }
    };
    let params: Vec<Value> = patch["parameters"]
        .as_array()
        .into_iter()
        .chain(item["parameters"].as_array())
        .flatten()
        .map(resolve)
        .collect();
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"),
        "PATCH does not declare fieldValidation: {params:?}"
    );
    // The same document also describes the other operations kubectl uses.
    assert!(item["get"].is_object() && item["put"].is_object() && item["delete"].is_object());
    assert!(doc["paths"]["/apis/demo.jeremyxu2010.me/v1beta1/foos"]["post"].is_object());
}

// ---------------------------------------------------------------------------------------------
// version and health
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn version_and_health_endpoints() {
    let env = Env::start().await;
    let reply = env.get("/version").await;
    reply.expect(200);
    assert_eq!(reply.content_type(), JSON);
    let version = reply.json();
    for key in ["major", "minor", "gitVersion"] {
        assert!(
            version[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} in {version}"
        );
    }

    for path in ["/healthz", "/livez", "/readyz"] {
        let reply = env.get(path).await;
        reply.expect(200);
        assert_eq!(reply.text(), "ok", "{path}");
        assert!(reply.content_type().starts_with("text/plain"), "{path}");
    }

    let reply = env.get("/readyz?verbose").await;
    reply.expect(200);
    let text = reply.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 2, "{text}");
    let (last, checks) = lines.split_last().unwrap();
    assert_eq!(*last, "readyz check passed", "{text}");
    for line in checks {
        assert!(
            line.starts_with("[+]") && line.ends_with(" ok"),
            "bad check line {line:?} in {text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Status bodies of failing requests
// ---------------------------------------------------------------------------------------------

/// `/docs/` serves the API reference as `foo-apiserver docs` writes it into `docs/api/`.
#[tokio::test]
async fn api_reference_is_served_as_committed() {
    let env = Env::start().await;
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api");
    for (path, file) in [
        ("/docs/", "index.html"),
        ("/docs/index.html", "index.html"),
        (
            "/docs/demo.jeremyxu2010.me-v1beta1.html",
            "demo.jeremyxu2010.me-v1beta1.html",
        ),
    ] {
        let reply = env.get(path).await;
        reply.expect(200);
        assert_eq!(reply.content_type(), "text/html; charset=utf-8", "{path}");
        let page = std::fs::read_to_string(committed.join(file)).unwrap();
        assert!(reply.text() == page, "{path} differs from docs/api/{file}");
    }
    path_not_found(&env.get("/docs/missing.html").await);
}

#[tokio::test]
async fn not_found_and_already_exists() {
    let env = Env::start().await;
    // GET and DELETE of a missing object; the path is read decoded, as Go reads
    // `URL.Path`: an escaped `/` separates segments.
    for (method, path) in [
        (Method::GET, "missing"),
        (Method::DELETE, "missing"),
        (Method::GET, "missing/status"),
        (Method::GET, "mi%73sing"),
        (Method::GET, "missing%2Fstatus"),
    ] {
        let reply = env
            .request(method, &format!("{FOOS}/{path}"), &[], None)
            .await;
        assert_status(
            &reply,
            404,
            "NotFound",
            r#"foos.demo.jeremyxu2010.me "missing" not found"#,
            Some(foo_details("missing")),
        );
    }
    for path in [
        "missing/status/more",
        "missing%2Fnothing",
        "missing/",
        "/missing",
    ] {
        path_not_found(&env.get(&format!("{FOOS}/{path}")).await);
    }

    let created = env.create("one", "Hi", json!({"a": "b"})).await;
    let reply = env.post(FOOS, &foo("one", "Other")).await;
    assert_status(
        &reply,
        409,
        "AlreadyExists",
        r#"foos.demo.jeremyxu2010.me "one" already exists"#,
        Some(foo_details("one")),
    );
    // Nothing changed.
    let now = env.get_foo("one").await;
    assert_eq!(now, created);
    assert_eq!(env.names().await, strings(&["one"]));
}

#[tokio::test]
async fn update_conflict_and_missing_resource_version() {
    let env = Env::start().await;
    let first = env.create("c", "Hi", json!({})).await;

    let mut update = first.clone();
    update["spec"]["greeting"] = json!("Second");
    let reply = env.put(&format!("{FOOS}/c"), &update).await;
    reply.expect(200);
    let second = reply.json();
    assert_ne!(
        second["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );

    // Stale resourceVersion → 409 Conflict.
    let mut stale = first.clone();
    stale["spec"]["greeting"] = json!("Third");
    let reply = env.put(&format!("{FOOS}/c"), &stale).await;
    assert_status(
        &reply,
        409,
        "Conflict",
        r#"Operation cannot be fulfilled on foos.demo.jeremyxu2010.me "c": the object has been modified; please apply your changes to the latest version and try again"#,
        Some(foo_details("c")),
    );
    assert_eq!(env.get_foo("c").await, second);

    // No resourceVersion → 422 Invalid.
    let mut unconditional = second.clone();
    unconditional["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    unconditional["spec"]["greeting"] = json!("Fourth");
    let reply = env.put(&format!("{FOOS}/c"), &unconditional).await;
    assert_status(
        &reply,
        422,
        "Invalid",
        r#"Foo.demo.jeremyxu2010.me "c" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"#,
        Some(json!({
            "name": "c",
            "group": GROUP,
            "kind": "Foo",
            "causes": [{
                "reason": "FieldValueInvalid",
                "message": "Invalid value: 0x0: must be specified for an update",
                "field": "metadata.resourceVersion",
            }],
        })),
    );
    assert_eq!(env.get_foo("c").await, second);
}

#[tokio::test]
async fn invalid_has_one_cause_per_bad_field() {
    let env = Env::start().await;

    // One bad field.
    let reply = env.post(FOOS, &foo("inv", &"x".repeat(257))).await;
    let status = assert_status_shape(&reply, 422, "Invalid", true);
    let message = status["message"].as_str().unwrap();
    assert!(
        message.starts_with(r#"Foo.demo.jeremyxu2010.me "inv" is invalid: spec.greeting: "#),
        "{message}"
    );
    assert_eq!(status["details"]["name"], "inv");
    assert_eq!(status["details"]["group"], GROUP);
    assert_eq!(status["details"]["kind"], "Foo");
    assert_eq!(cause_fields(&status), strings(&["spec.greeting"]));

    // Two bad fields in one request → two causes, one aggregated message.
    let mut body = foo("inv", &"x".repeat(257));
    body["metadata"]["labels"] = json!({"ok": "bad value!"});
    let reply = env.post(FOOS, &body).await;
    let status = assert_status_shape(&reply, 422, "Invalid", true);
    let message = status["message"].as_str().unwrap();
    assert!(
        message.starts_with(r#"Foo.demo.jeremyxu2010.me "inv" is invalid: ["#)
            && message.ends_with(']'),
        "{message}"
    );
    assert!(
        message.contains("spec.greeting: ") && message.contains("metadata.labels: "),
        "{message}"
    );
    assert_eq!(status["details"]["kind"], "Foo");
    assert_eq!(status["details"]["name"], "inv");
    assert_eq!(status["details"]["group"], GROUP);
    assert_eq!(
        cause_fields(&status),
        strings(&["metadata.labels", "spec.greeting"])
    );

    // Control characters in the greeting; a bad name.
    let reply = env.post(FOOS, &foo("inv", "bad\u{7}bell")).await;
    let status = assert_status_shape(&reply, 422, "Invalid", true);
    assert_eq!(cause_fields(&status), strings(&["spec.greeting"]));
    let reply = env.post(FOOS, &foo("Not_A_Name", "Hi")).await;
    let status = assert_status_shape(&reply, 422, "Invalid", true);
    assert_eq!(cause_fields(&status), strings(&["metadata.name"]));

    // Invalid update: nothing changes.
    let created = env.create("inv", "Hi", json!({})).await;
    let mut update = created.clone();
    update["spec"]["greeting"] = json!("y".repeat(300));
    let reply = env.put(&format!("{FOOS}/inv"), &update).await;
    let status = assert_status_shape(&reply, 422, "Invalid", true);
    assert_eq!(cause_fields(&status), strings(&["spec.greeting"]));
    assert_eq!(env.get_foo("inv").await, created);
    assert_eq!(env.names().await, strings(&["inv"]));
}

#[tokio::test]
async fn bad_requests() {
    let env = Env::start().await;
    let created = env.create("b", "Hi", json!({"env": "prod"})).await;

    // Malformed JSON.
    let reply = env
        .request(
            Method::POST,
            FOOS,
            &[("content-type", JSON)],
            Some(b"{\"apiVersion\": \"demo.jeremyxu2010.me/v1beta1\", ".to_vec()),
        )
        .await;
    assert_status_shape(&reply, 400, "BadRequest", false);
    let reply = env
        .request(
            Method::PUT,
            &format!("{FOOS}/b"),
            &[("content-type", JSON)],
            Some(b"{not json".to_vec()),
        )
        .await;
    assert_status_shape(&reply, 400, "BadRequest", false);

    // Wrong apiVersion in the body.
    let mut body = foo("wrong", "Hi");
    body["apiVersion"] = json!("demo.jeremyxu2010.me/v1");
    let reply = env.post(FOOS, &body).await;
    assert_status(
        &reply,
        400,
        "BadRequest",
        "the API version in the data (demo.jeremyxu2010.me/v1) does not match the expected API version (demo.jeremyxu2010.me/v1beta1)",
        None,
    );

    // Name in the body differs from the URL.
    let mut other = created.clone();
    other["metadata"]["name"] = json!("other");
    let reply = env.put(&format!("{FOOS}/b"), &other).await;
    assert_status(
        &reply,
        400,
        "BadRequest",
        "the name of the object (other) does not match the name on the URL (b)",
        None,
    );

    // Malformed label selector.
    let reply = env.get(&format!("{FOOS}?labelSelector=a%20in%20(")).await;
    assert_status_shape(&reply, 400, "BadRequest", false);

    // Unsupported field selector.
    let reply = env
        .get(&format!("{FOOS}?fieldSelector=spec.greeting%3Dx"))
        .await;
    assert_status(
        &reply,
        400,
        "BadRequest",
        "field label not supported: spec.greeting",
        None,
    );

    // A garbage continue token.
    let reply = env.get(&format!("{FOOS}?limit=1&continue=garbage!!")).await;
    let status = assert_status_shape(&reply, 400, "BadRequest", false);
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid continue token"),
        "{status}"
    );

    // Nothing changed.
    assert_eq!(env.get_foo("b").await, created);
    assert_eq!(env.names().await, strings(&["b"]));
}

#[tokio::test]
async fn field_validation_strict_warn_ignore() {
    let env = Env::start().await;
    let mut body = foo("fv", "Hi");
    body["spec"]["x"] = json!(1);

    // Strict → 400.
    let reply = env
        .post(&format!("{FOOS}?fieldValidation=Strict"), &body)
        .await;
    assert_status(
        &reply,
        400,
        "BadRequest",
        r#"Foo in version "v1beta1" cannot be handled as a Foo: strict decoding error: unknown field "spec.x""#,
        None,
    );
    assert!(env.names().await.is_empty());

    // Default (Warn) → 201 with one Warning header.
    let reply = env.post(FOOS, &body).await;
    reply.expect(201);
    assert_eq!(
        reply.header_all("warning"),
        vec![r#"299 - "unknown field \"spec.x\"""#.to_string()]
    );
    let created = reply.json();
    assert!(created["spec"].get("x").is_none(), "{created}");
    assert_eq!(created["spec"]["greeting"], "Hi");

    // Explicit Warn on PUT.
    let mut update = created.clone();
    update["spec"]["x"] = json!(2);
    let reply = env
        .put(&format!("{FOOS}/fv?fieldValidation=Warn"), &update)
        .await;
    reply.expect(200);
    assert_eq!(
        reply.header_all("warning"),
        vec![r#"299 - "unknown field \"spec.x\"""#.to_string()]
    );

    // Ignore → no warning.
    body["metadata"]["name"] = json!("fv2");
    let reply = env
        .post(&format!("{FOOS}?fieldValidation=Ignore"), &body)
        .await;
    reply.expect(201);
    assert!(reply.header("warning").is_none(), "{:?}", reply.headers);
    assert!(reply.json()["spec"].get("x").is_none());

    // Bogus value → 400 is kube's answer for an unknown fieldValidation directive.
    body["metadata"]["name"] = json!("fv3");
    let reply = env
        .post(&format!("{FOOS}?fieldValidation=Bogus"), &body)
        .await;
    assert_status_shape(&reply, 400, "BadRequest", false);
    assert_eq!(env.names().await, strings(&["fv", "fv2"]));
}

#[tokio::test]
async fn dry_run() {
    let env = Env::start().await;
    let reply = env
        .post(&format!("{FOOS}?dryRun=All"), &foo("dry", "Hi"))
        .await;
    reply.expect(201);
    let object = reply.json();
    assert_eq!(object["kind"], "Foo");
    assert_eq!(object["metadata"]["name"], "dry");
    assert_eq!(object["spec"]["greeting"], "Hi");
    let reply = env.get(&format!("{FOOS}/dry")).await;
    reply.expect(404);
    assert!(env.names().await.is_empty());

    let reply = env
        .post(&format!("{FOOS}?dryRun=Bogus"), &foo("dry", "Hi"))
        .await;
    let status = assert_status_shape(&reply, 422, "Invalid", true);
    assert_eq!(status["details"]["group"], "meta.k8s.io", "{status}");
    assert_eq!(status["details"]["kind"], "CreateOptions", "{status}");
    assert_eq!(cause_fields(&status), strings(&["dryRun"]));
    assert!(env.names().await.is_empty());

    // dryRun on update leaves the stored object alone.
    let created = env.create("dry", "Hi", json!({})).await;
    let mut update = created.clone();
    update["spec"]["greeting"] = json!("Changed");
    let reply = env.put(&format!("{FOOS}/dry?dryRun=All"), &update).await;
    reply.expect(200);
    assert_eq!(reply.json()["spec"]["greeting"], "Changed");
    assert_eq!(env.get_foo("dry").await, created);
}

#[tokio::test]
async fn not_acceptable_unsupported_media_type_and_too_large() {
    let env = Env::start().await;
    env.create("m", "Hi", json!({})).await;

    // Protobuf only → 406.
    for path in [FOOS.to_string(), format!("{FOOS}/m")] {
        let reply = env
            .get_as(&path, "application/vnd.kubernetes.protobuf")
            .await;
        assert_status_shape(&reply, 406, "NotAcceptable", false);
    }
    // A Table of a version that does not exist → 406.
    let reply = env
        .get_as(FOOS, "application/json;as=Table;v=v2;g=meta.k8s.io")
        .await;
    assert_status_shape(&reply, 406, "NotAcceptable", false);

    // text/plain body → 415.
    let reply = env
        .request(
            Method::POST,
            FOOS,
            &[("content-type", "text/plain")],
            Some(serde_json::to_vec(&foo("m2", "Hi")).unwrap()),
        )
        .await;
    let status = assert_status_shape(&reply, 415, "UnsupportedMediaType", false);
    let message = status["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "the body of the request was in an unknown format - accepted media types include: "
        ) && message.contains("application/json"),
        "{message}"
    );

    // Over 3 MiB → 413.
    let big = foo("big", &"x".repeat(3 * 1024 * 1024 + 10));
    let reply = env.post(FOOS, &big).await;
    assert_status(
        &reply,
        413,
        "RequestEntityTooLarge",
        "Request entity too large: limit is 3145728",
        None,
    );

    assert_eq!(env.names().await, strings(&["m"]));
}

#[tokio::test]
async fn unauthenticated_request_is_401() {
    let env = Env::start().await;
    let kubeconfig =
        kube::config::Kubeconfig::read_from(env.server.kubeconfig()).expect("kubeconfig");
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    config.auth_info = Default::default();
    let anonymous = kube::Client::try_from(config).expect("client");

    let unauthorized =
        |reply: &Reply| assert_status(reply, 401, "Unauthorized", "Unauthorized", None);
    let reply = send(&anonymous, Method::GET, FOOS, &[], None).await;
    unauthorized(&reply);
    let reply = send(
        &anonymous,
        Method::POST,
        FOOS,
        &[("content-type", JSON)],
        Some(serde_json::to_vec(&foo("anon", "Hi")).unwrap()),
    )
    .await;
    unauthorized(&reply);
    for path in ["/apis", "/docs/", "/swagger-ui/"] {
        let reply = send(&anonymous, Method::GET, path, &[], None).await;
        unauthorized(&reply);
    }
    assert!(env.names().await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_pagination_with_continue() {
    let env = Env::start().await;
    let all = ["p1", "p2", "p3", "p4", "p5"];
    for name in all {
        env.create(name, "Hi", json!({})).await;
    }

    let reply = env.get(&format!("{FOOS}?limit=2")).await;
    reply.expect(200);
    let page = reply.json();
    assert_eq!(page["kind"], "FooList");
    assert_eq!(page["apiVersion"], "demo.jeremyxu2010.me/v1beta1");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["metadata"]["remainingItemCount"], 3,
        "{}",
        page["metadata"]
    );
    assert!(
        page["metadata"]["continue"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "{}",
        page["metadata"]
    );

    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let uri = if token.is_empty() {
            format!("{FOOS}?limit=2")
        } else {
            format!("{FOOS}?limit=2&continue={token}")
        };
        let reply = env.get(&uri).await;
        reply.expect(200);
        let page = reply.json();
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["metadata"]["name"].as_str().unwrap().to_string());
        }
        match page["metadata"]["continue"].as_str() {
            Some(next) if !next.is_empty() => token = next.to_string(),
            _ => {
                assert!(
                    page["metadata"].get("remainingItemCount").is_none(),
                    "last page has remainingItemCount: {}",
                    page["metadata"]
                );
                break;
            }
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    seen.sort();
    assert_eq!(seen, strings(&all));

    // A continue token is a snapshot: objects created afterwards are not in later pages.
    let reply = env.get(&format!("{FOOS}?limit=2")).await;
    let first = reply.json();
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    env.create("p6", "Hi", json!({})).await;
    let mut rest = Vec::new();
    let mut token = token;
    loop {
        let reply = env.get(&format!("{FOOS}?limit=2&continue={token}")).await;
        reply.expect(200);
        let page = reply.json();
        rest.extend(item_names(&page));
        match page["metadata"]["continue"].as_str() {
            Some(next) if !next.is_empty() => token = next.to_string(),
            _ => break,
        }
    }
    assert!(!rest.contains(&"p6".to_string()), "{rest:?}");
    assert_eq!(rest.len() + 2, 5, "{rest:?}");
}

#[tokio::test]
async fn list_resource_version_match() {
    let env = Env::start().await;
    env.create("r1", "Hi", json!({})).await;
    env.create("r2", "Hi", json!({})).await;
    let reply = env.get(FOOS).await;
    reply.expect(200);
    let rv = reply.json()["metadata"]["resourceVersion"]
        .as_str()
        .expect("list resourceVersion")
        .to_string();
    env.create("r3", "Hi", json!({})).await;

    let old = env
        .names_with(&format!("resourceVersion={rv}&resourceVersionMatch=Exact"))
        .await;
    assert_eq!(old, strings(&["r1", "r2"]));
    let newer = env
        .names_with(&format!(
            "resourceVersion={rv}&resourceVersionMatch=NotOlderThan"
        ))
        .await;
    assert_eq!(newer, strings(&["r1", "r2", "r3"]));
    assert_eq!(
        env.names_with("resourceVersion=0").await,
        strings(&["r1", "r2", "r3"])
    );

    // resourceVersionMatch without resourceVersion → 422.
    let reply = env.get(&format!("{FOOS}?resourceVersionMatch=Exact")).await;
    let status = assert_status_shape(&reply, 422, "Invalid", true);
    assert_eq!(status["details"]["group"], "meta.k8s.io", "{status}");
    assert_eq!(status["details"]["kind"], "ListOptions", "{status}");
    assert_eq!(cause_fields(&status), strings(&["resourceVersionMatch"]));
}

#[tokio::test]
async fn list_label_and_field_selectors() {
    let env = Env::start().await;
    env.create("a", "Hi", json!({"env": "prod", "tier": "web"}))
        .await;
    env.create("b", "Hi", json!({"env": "dev"})).await;
    env.create("c", "Hi", json!({"env": "prod"})).await;
    env.create("d", "Hi", json!({})).await;
    env.create("e", "Hi", json!({"tier": "db"})).await;

    let cases: &[(&str, &[&str])] = &[
        ("env=prod", &["a", "c"]),
        ("env==prod", &["a", "c"]),
        ("env!=prod", &["b", "d", "e"]),
        ("env in (prod,dev)", &["a", "b", "c"]),
        ("env notin (prod)", &["b", "d", "e"]),
        ("tier", &["a", "e"]),
        ("!tier", &["b", "c", "d"]),
        ("env=prod,tier=web", &["a"]),
        ("env=prod,!tier", &["c"]),
        ("env=none", &[]),
    ];
    for (selector, expected) in cases {
        let encoded: String = form_urlencoded::byte_serialize(selector.as_bytes()).collect();
        let names = env.names_with(&format!("labelSelector={encoded}")).await;
        assert_eq!(names, strings(expected), "labelSelector={selector}");
    }

    let field_cases: &[(&str, &[&str])] = &[
        ("metadata.name=a", &["a"]),
        ("metadata.name==b", &["b"]),
        ("metadata.name!=a", &["b", "c", "d", "e"]),
    ];
    for (selector, expected) in field_cases {
        let encoded: String = form_urlencoded::byte_serialize(selector.as_bytes()).collect();
        let names = env.names_with(&format!("fieldSelector={encoded}")).await;
        assert_eq!(names, strings(expected), "fieldSelector={selector}");
    }
}

// ---------------------------------------------------------------------------------------------
// Tables, partial metadata, YAML
// ---------------------------------------------------------------------------------------------

fn check_columns(table: &Value) {
    let expected = [
        ("Name", "string", "name", 0),
        ("Greeting", "string", "", 0),
        ("Bars", "integer", "", 0),
        ("Ready", "string", "", 0),
        ("Age", "date", "", 0),
        ("Suspended", "boolean", "", 1),
        ("Last Bar", "date", "", 1),
        ("Message", "string", "", 1),
    ];
    let columns = table["columnDefinitions"]
        .as_array()
        .unwrap_or_else(|| panic!("no columnDefinitions in {table}"));
    assert_eq!(columns.len(), expected.len(), "{table}");
    for (column, (name, kind, format, priority)) in columns.iter().zip(expected) {
        let keys: BTreeSet<&str> = column
            .as_object()
            .expect("column object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["description", "format", "name", "priority", "type"]
                .into_iter()
                .collect::<BTreeSet<_>>(),
            "column fields are not omitempty: {column}"
        );
        assert_eq!(column["name"], name, "{column}");
        assert_eq!(column["type"], kind, "{column}");
        assert_eq!(column["format"], format, "{column}");
        assert_eq!(column["priority"], priority, "{column}");
        assert!(column["description"].is_string(), "{column}");
    }
}

fn check_row(row: &Value, name: &str, greeting: &str) {
    let cells = row["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 8, "{row}");
    assert_eq!(cells[0], name, "{row}");
    assert_eq!(cells[1], greeting, "{row}");
    assert_eq!(cells[2], 0, "{row}");
    assert!(cells[3].is_string(), "{row}");
    assert!(cells[4].is_string(), "{row}");
    assert_eq!(cells[5], false, "{row}");
    assert!(cells[6].is_string(), "{row}");
}

#[tokio::test]
async fn table_output() {
    let env = Env::start().await;
    env.create("t1", "Hello", json!({})).await;
    env.create("t2", "Howdy", json!({})).await;

    // List as a Table (default includeObject=Metadata).
    let reply = env.get_as(FOOS, TABLE_V1).await;
    reply.expect(200);
    assert_eq!(reply.content_type(), JSON);
    let table = reply.json();
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert!(table["metadata"]["resourceVersion"].is_string(), "{table}");
    check_columns(&table);
    let rows = table["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    check_row(&rows[0], "t1", "Hello");
    check_row(&rows[1], "t2", "Howdy");
    for (row, name) in rows.iter().zip(["t1", "t2"]) {
        let object = &row["object"];
        assert_eq!(object["kind"], "PartialObjectMetadata", "{row}");
        assert_eq!(object["apiVersion"], "meta.k8s.io/v1", "{row}");
        assert_eq!(object["metadata"]["name"], name, "{row}");
        assert!(object.get("spec").is_none(), "{row}");
    }

    // kubectl get's full Accept.
    let kubectl = format!("{TABLE_V1},{TABLE_V1BETA1},{JSON}");
    let reply = env.get_as(&format!("{FOOS}?limit=500"), &kubectl).await;
    reply.expect(200);
    assert_eq!(reply.json()["kind"], "Table");

    // Get as a Table.
    let reply = env.get_as(&format!("{FOOS}/t1"), TABLE_V1).await;
    reply.expect(200);
    assert_eq!(reply.content_type(), JSON);
    let table = reply.json();
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    check_columns(&table);
    let rows = table["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    check_row(&rows[0], "t1", "Hello");
    assert_eq!(rows[0]["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(rows[0]["object"]["apiVersion"], "meta.k8s.io/v1");

    // includeObject=None → a null object, as Go writes an empty RawExtension.
    let reply = env
        .get_as(&format!("{FOOS}?includeObject=None"), TABLE_V1)
        .await;
    reply.expect(200);
    let table = reply.json();
    for row in table["rows"].as_array().unwrap() {
        assert_eq!(
            row.get("object"),
            Some(&Value::Null),
            "object with includeObject=None: {row}"
        );
        assert_eq!(row["cells"].as_array().unwrap().len(), 8);
    }

    // includeObject=Object → the full Foo.
    let reply = env
        .get_as(&format!("{FOOS}?includeObject=Object"), TABLE_V1)
        .await;
    reply.expect(200);
    let table = reply.json();
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(row["object"]["kind"], "Foo", "{row}");
        assert_eq!(
            row["object"]["apiVersion"], "demo.jeremyxu2010.me/v1beta1",
            "{row}"
        );
        assert!(row["object"]["spec"]["greeting"].is_string(), "{row}");
    }

    // meta.k8s.io/v1beta1 Table.
    let reply = env.get_as(FOOS, TABLE_V1BETA1).await;
    reply.expect(200);
    let table = reply.json();
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1beta1");
    check_columns(&table);
    assert_eq!(table["rows"].as_array().unwrap().len(), 2);

    // A paginated Table carries the continue token.
    let reply = env.get_as(&format!("{FOOS}?limit=1"), TABLE_V1).await;
    reply.expect(200);
    let table = reply.json();
    assert_eq!(table["rows"].as_array().unwrap().len(), 1);
    assert!(
        table["metadata"]["continue"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "{}",
        table["metadata"]
    );

    // Missing object as a Table → the usual NotFound Status.
    let reply = env.get_as(&format!("{FOOS}/missing"), TABLE_V1).await;
    assert_status(
        &reply,
        404,
        "NotFound",
        r#"foos.demo.jeremyxu2010.me "missing" not found"#,
        Some(foo_details("missing")),
    );
}

#[tokio::test]
async fn partial_object_metadata_and_yaml() {
    let env = Env::start().await;
    env.create("pm1", "Hello", json!({"k": "v"})).await;
    env.create("pm2", "Hello", json!({})).await;

    let reply = env
        .get_as(
            FOOS,
            "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
        )
        .await;
    reply.expect(200);
    let list = reply.json();
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(list["apiVersion"], "meta.k8s.io/v1");
    assert!(list["metadata"]["resourceVersion"].is_string(), "{list}");
    assert_eq!(item_names(&list), strings(&["pm1", "pm2"]));
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["kind"], "PartialObjectMetadata", "{item}");
        assert_eq!(item["apiVersion"], "meta.k8s.io/v1", "{item}");
        assert!(item.get("spec").is_none(), "{item}");
    }

    let reply = env
        .get_as(
            &format!("{FOOS}/pm1"),
            "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
        )
        .await;
    reply.expect(200);
    let object = reply.json();
    assert_eq!(object["kind"], "PartialObjectMetadata");
    assert_eq!(object["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(object["metadata"]["name"], "pm1");
    assert_eq!(object["metadata"]["labels"], json!({"k": "v"}));
    assert!(object.get("spec").is_none() && object.get("status").is_none());

    // YAML.
    let reply = env.get_as(&format!("{FOOS}/pm1"), "application/yaml").await;
    reply.expect(200);
    assert_eq!(reply.content_type(), "application/yaml");
    let text = reply.text();
    for line in [
        "apiVersion: demo.jeremyxu2010.me/v1beta1",
        "kind: Foo",
        "  name: pm1",
        "  greeting: Hello",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in YAML:\n{text}"
        );
    }
    assert!(
        !text.trim_start().starts_with('{'),
        "JSON, not YAML: {text}"
    );

    let reply = env.get_as(FOOS, "application/yaml").await;
    reply.expect(200);
    assert_eq!(reply.content_type(), "application/yaml");
    let text = reply.text();
    assert!(text.lines().any(|l| l == "kind: FooList"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Status subresource and generation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn status_subresource_and_generation() {
    let env = Env::start().await;
    let created = env.create("s", "Hi", json!({})).await;
    assert_eq!(created["metadata"]["generation"], 1);
    assert_eq!(created["spec"]["suspend"], false, "defaulting: {created}");

    // GET foos/s/status returns the whole Foo.
    let reply = env.get(&format!("{FOOS}/s/status")).await;
    reply.expect(200);
    assert_eq!(reply.json()["kind"], "Foo");

    // PUT status: status changes, spec does not, generation stays.
    let mut current = env.get_foo("s").await;
    let mut body = current.clone();
    body["status"] = json!({"lastMessage": "from status", "barCount": 7});
    body["spec"]["greeting"] = json!("Ignored");
    let reply = env.put(&format!("{FOOS}/s/status"), &body).await;
    reply.expect(200);
    let after = reply.json();
    assert_eq!(after["status"]["lastMessage"], "from status", "{after}");
    assert_eq!(after["status"]["barCount"], 7, "{after}");
    assert_eq!(after["spec"]["greeting"], "Hi", "{after}");
    assert_eq!(after["metadata"]["generation"], 1, "{after}");
    assert_ne!(
        after["metadata"]["resourceVersion"],
        current["metadata"]["resourceVersion"]
    );
    let stored = env.get_foo("s").await;
    assert_eq!(stored["spec"]["greeting"], "Hi");
    assert_eq!(stored["status"]["lastMessage"], "from status");

    // PUT main resource: status changes ignored, spec change bumps generation.
    current = stored;
    let mut body = current.clone();
    body["spec"]["greeting"] = json!("Changed");
    body["status"]["lastMessage"] = json!("ignored");
    body["status"]["barCount"] = json!(99);
    let reply = env.put(&format!("{FOOS}/s"), &body).await;
    reply.expect(200);
    let after = reply.json();
    assert_eq!(after["spec"]["greeting"], "Changed");
    assert_eq!(after["status"]["lastMessage"], "from status", "{after}");
    assert_eq!(after["status"]["barCount"], 7, "{after}");
    assert_eq!(after["metadata"]["generation"], 2, "{after}");

    // Metadata-only change: generation stays.
    let mut body = after.clone();
    body["metadata"]["labels"] = json!({"x": "y"});
    let reply = env.put(&format!("{FOOS}/s"), &body).await;
    reply.expect(200);
    let after = reply.json();
    assert_eq!(after["metadata"]["labels"], json!({"x": "y"}));
    assert_eq!(after["metadata"]["generation"], 2, "{after}");

    // Same spec again: generation stays.
    let reply = env.put(&format!("{FOOS}/s"), &after).await;
    reply.expect(200);
    let after = reply.json();
    assert_eq!(after["metadata"]["generation"], 2, "{after}");

    // Status-only write again: generation stays.
    let mut body = after.clone();
    body["status"]["lastMessage"] = json!("again");
    let reply = env.put(&format!("{FOOS}/s/status"), &body).await;
    reply.expect(200);
    let after = reply.json();
    assert_eq!(after["metadata"]["generation"], 2, "{after}");
    assert_eq!(after["status"]["lastMessage"], "again");

    // Another spec change: 3.
    let mut body = after.clone();
    body["spec"]["suspend"] = json!(true);
    let reply = env.put(&format!("{FOOS}/s"), &body).await;
    reply.expect(200);
    let after = reply.json();
    assert_eq!(after["metadata"]["generation"], 3, "{after}");
    assert_eq!(env.get_foo("s").await, after);

    // Stale status write → Conflict.
    let reply = env.put(&format!("{FOOS}/s/status"), &current).await;
    assert_status(
        &reply,
        409,
        "Conflict",
        r#"Operation cannot be fulfilled on foos.demo.jeremyxu2010.me "s": the object has been modified; please apply your changes to the latest version and try again"#,
        Some(foo_details("s")),
    );
    assert_eq!(env.get_foo("s").await, after);
}

// ---------------------------------------------------------------------------------------------
// Byte-level Status layout
// ---------------------------------------------------------------------------------------------

/// kube-apiserver encodes `metav1.Status` in struct field order (kind, apiVersion, metadata,
/// status, message, reason, details{name, group, kind, causes}, code). JSON clients do not
/// care, but byte-level comparisons with kube-apiserver do.
#[tokio::test]
async fn status_bodies_in_kube_apiserver_field_order() {
    let env = Env::start().await;
    let reply = env.get_as("/apis/nope.example.com/v1", JSON).await;
    reply.expect(404);
    assert_eq!(
        reply.text().trim_end(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}"#
    );
    let reply = env.get(&format!("{FOOS}/missing")).await;
    reply.expect(404);
    assert_eq!(
        reply.text().trim_end(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"foos.demo.jeremyxu2010.me \"missing\" not found","reason":"NotFound","details":{"name":"missing","group":"demo.jeremyxu2010.me","kind":"foos"},"code":404}"#
    );
}
