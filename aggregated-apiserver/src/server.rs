//! The HTTP surface: routing of every path the server answers (health, version, discovery and
//! OpenAPI; resource paths go to their registry endpoint), behind the request filters.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::admission::{self, Admission};
use crate::authn::UserInfo;
use crate::authz::RequestInfo;
use crate::discovery;
use crate::docs::{Example, Reference};
use crate::filters::{self, Access, Limits, Observed};
use crate::handlers::Endpoint;
use crate::metrics::Metrics;
use crate::negotiate::{self, Output};
use crate::openapi;
use crate::registry::{HistoryLimit, ResourceRequest, Store, Strategy};
use crate::request::Query;
use crate::resource::ResourceInfo;
use crate::sites::Site;
use crate::status::ApiError;
use crate::storage::{Storage, Timed};

/// Where objects are kept: the storage, and the root of their keys
/// (`<root>/<group>/<plural>/<name>`).
pub struct Backend {
    /// The storage every kind's store reads and writes (wrapped in [`Timed`] by the server).
    pub storage: Arc<dyn Storage>,
    /// The prefix of every key, without a trailing slash: `--etcd-prefix` on etcd,
    /// `/registry` on the embedded store, as kube-apiserver uses.
    pub key_root: String,
}

/// A kind to serve: a [`Store`] for its strategy, made on the server's storage.
pub struct Kind {
    info: &'static ResourceInfo,
    schemas: serde_json::Map<String, Value>,
    make: Box<MakeStore>,
}

type MakeStore = dyn FnOnce(&StoreSettings) -> Arc<dyn Endpoint> + Send;

/// What every kind's store shares.
struct StoreSettings {
    storage: Arc<dyn Storage>,
    key_root: String,
    history: HistoryLimit,
    min_watch_seconds: u64,
    admission: Arc<admission::Chain>,
}

impl Kind {
    /// The kind that `strategy` describes, served from a generic [`Store`].
    pub fn new<S: Strategy>(strategy: S) -> Kind {
        let info = strategy.info();
        let schemas = strategy.openapi_schemas();
        let make = Box::new(move |settings: &StoreSettings| -> Arc<dyn Endpoint> {
            let store = Store::new(
                strategy,
                settings.storage.clone(),
                &settings.key_root,
                settings.history,
                settings.min_watch_seconds,
            );
            Arc::new(store.admitted_by(settings.admission.clone()))
        });
        Kind {
            info,
            schemas,
            make,
        }
    }

    /// The resource served.
    pub fn info(&self) -> &'static ResourceInfo {
        self.info
    }
}

/// The OpenAPI resources of `kinds`.
fn resources(kinds: &[Kind]) -> Vec<openapi::Resource<'_>> {
    kinds.iter().map(|k| (k.info, &k.schemas)).collect()
}

/// The OpenAPI v3 documents of the server `name` serving `kinds`, by path.
pub fn v3_documents(name: &str, kinds: &[Kind]) -> BTreeMap<String, Value> {
    openapi::v3_documents(name, &resources(kinds))
}

/// The API reference of `kinds`, rendered from their OpenAPI v3 documents (`v3`), with
/// `examples`.
pub fn reference(kinds: &[Kind], v3: &BTreeMap<String, Value>, examples: &[Example]) -> Reference {
    let infos: Vec<&'static ResourceInfo> = kinds.iter().map(|k| k.info).collect();
    Reference::render(&infos, v3, examples)
}

/// Everything the handlers share.
pub struct Api {
    storage: Arc<dyn Storage>,
    endpoints: Vec<Arc<dyn Endpoint>>,
    resources: Vec<discovery::Served>,
    openapi: openapi::Documents,
    reference: Arc<Site>,
    explorer: Arc<Site>,
    metrics: Arc<Metrics>,
    shutting_down: AtomicBool,
}

impl Api {
    /// The server `name` (its documents' title), serving `kinds` from `backend`, each kind's
    /// watch cache keeping `watch_history`; every write passes through the `admission`
    /// plugins, in order; its reference shows `examples`.
    pub fn new(
        name: &str,
        backend: Backend,
        kinds: Vec<Kind>,
        admission: Vec<Arc<dyn Admission>>,
        examples: &[Example],
        watch_history: HistoryLimit,
        min_watch_seconds: u64,
    ) -> Self {
        let Backend { storage, key_root } = backend;
        let metrics = Arc::new(Metrics::default());
        let storage: Arc<dyn Storage> = Arc::new(Timed::new(storage, metrics.clone()));
        let settings = StoreSettings {
            storage: storage.clone(),
            key_root,
            history: watch_history,
            min_watch_seconds,
            admission: Arc::new(admission::Chain::new(admission)),
        };
        let v3 = v3_documents(name, &kinds);
        let openapi = openapi::Documents::build(&v3, &openapi::v2(name, &resources(&kinds)));
        let reference = Arc::new(Site::reference(&reference(&kinds, &v3, examples)));
        let explorer = Arc::new(Site::explorer(openapi.v3.keys().map(String::as_str)));
        let served: Vec<Arc<dyn Endpoint>> = kinds
            .into_iter()
            .map(|kind| (kind.make)(&settings))
            .collect();
        settings.admission.serve(served.clone());

        Api {
            storage,
            resources: served
                .iter()
                .map(|e| discovery::Served {
                    info: e.info(),
                    storage_version: e.storage_version(),
                })
                .collect(),
            endpoints: served,
            openapi,
            reference,
            explorer,
            metrics,
            shutting_down: AtomicBool::new(false),
        }
    }

    /// Makes `/readyz` fail while in-flight requests drain.
    pub fn start_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }
}

/// Every path the server answers, behind the authentication and authorization filters.
pub fn router(
    api: Arc<Api>,
    access: Arc<Access>,
    limits: Limits,
    audit: Option<Arc<crate::audit::Log>>,
) -> Router {
    let observed = Arc::new(Observed {
        metrics: api.metrics.clone(),
        resources: api.resources.iter().map(|served| served.info).collect(),
    });
    let routes = Router::new()
        .route("/version", get(version))
        .route("/metrics", get(metrics))
        .route("/healthz", get(health))
        .route("/livez", get(health))
        .route("/readyz", get(health))
        .route("/healthz/{check}", get(health_check))
        .route("/livez/{check}", get(health_check))
        .route("/readyz/{check}", get(health_check))
        .route("/apis", get(apis))
        .route("/apis/{group}", get(api_group))
        .route("/apis/{group}/{version}", get(api_resources))
        .route("/apis/{group}/{version}/{*resource}", any(resource))
        .route("/openapi/v2", get(openapi_v2))
        .route("/openapi/v3", get(openapi_v3_root))
        .route("/openapi/v3/apis/{group}/{version}", get(openapi_v3));
    let routes = serve_site(routes, "/docs/", api.reference.clone());
    let routes = serve_site(routes, "/swagger-ui/", api.explorer.clone())
        .fallback(|| async { ApiError::path_not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() });
    filters::install(routes, access, limits, observed, audit).with_state(api)
}

/// `/metrics` in the Prometheus text format, with the stored objects counted now.
async fn metrics(State(api): State<Arc<Api>>) -> Response {
    for endpoint in &api.endpoints {
        let info = endpoint.info();
        let resource = format!("{}.{}", info.plural, info.group);
        api.metrics.set_objects(&resource, endpoint.object_count());
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        api.metrics.render(),
    )
        .into_response()
}

async fn version() -> Response {
    json_response(&serde_json::json!({
        "major": "1",
        "minor": "33",
        "gitVersion": concat!("v", env!("CARGO_PKG_VERSION")),
        "gitCommit": "",
        "gitTreeState": "",
        "buildDate": "",
        "goVersion": "",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, go_arch()),
    }))
}

/// The architecture as Go names it (`amd64`, `arm64`).
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// How long storage may take to answer a health check (kube-apiserver's
/// `--etcd-healthcheck-timeout`).
const STORAGE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The checks behind `/healthz`, `/livez` and `/readyz`, as `(name, passed)`.
async fn checks(api: &Api, uri: &http::Uri) -> Vec<(&'static str, bool)> {
    let storage = tokio::time::timeout(STORAGE_CHECK_TIMEOUT, api.storage.current_revision());
    let mut checks = vec![
        ("ping", true),
        ("storage", matches!(storage.await, Ok(Ok(_)))),
    ];
    if uri.path().starts_with("/readyz") {
        checks.push(("shutdown", !api.shutting_down.load(Ordering::SeqCst)));
    }
    checks
}

async fn health(State(api): State<Arc<Api>>, uri: http::Uri) -> Response {
    let query = Query::parse(uri.query());
    let results = checks(&api, &uri).await;
    let ok = results.iter().all(|(_, passed)| *passed);
    let name = uri.path().trim_start_matches('/');
    let mut body = String::new();
    if query.get("verbose").is_some() || !ok {
        for (check, passed) in &results {
            if *passed {
                body.push_str(&format!("[+]{check} ok\n"));
            } else {
                body.push_str(&format!("[-]{check} failed: reason withheld\n"));
            }
        }
        body.push_str(&format!(
            "{name} check {}\n",
            if ok { "passed" } else { "failed" }
        ));
    } else {
        body.push_str("ok");
    }
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    text_response(code, body)
}

async fn health_check(
    State(api): State<Arc<Api>>,
    Path(check): Path<String>,
    uri: http::Uri,
) -> Response {
    match checks(&api, &uri)
        .await
        .into_iter()
        .find(|(name, _)| *name == check)
    {
        Some((_, true)) => text_response(StatusCode::OK, "ok".into()),
        Some((name, false)) => text_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal server error: {name} check failed\n"),
        ),
        None => ApiError::path_not_found().into_response(),
    }
}

fn text_response(code: StatusCode, body: String) -> Response {
    (
        code,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

fn json_response(body: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, negotiate::JSON)],
        serde_json::to_vec(body).unwrap_or_default(),
    )
        .into_response()
}

/// A discovery document in JSON or YAML as asked (protobuf is not offered).
fn discovery_response(headers: &HeaderMap, body: &Value) -> Response {
    match negotiate::output(headers, false) {
        Ok(output @ (Output::Json | Output::Yaml)) => {
            crate::handlers::respond(output, StatusCode::OK, &[], body)
                .unwrap_or_else(IntoResponse::into_response)
        }
        _ => ApiError::not_acceptable(&[negotiate::JSON, negotiate::YAML]).into_response(),
    }
}

async fn apis(State(api): State<Arc<Api>>, headers: HeaderMap) -> Response {
    let Some(version) = discovery::aggregated_version(&headers) else {
        return discovery_response(&headers, &discovery::group_list(&api.resources));
    };
    let body =
        serde_json::to_vec(&discovery::aggregated(&api.resources, version)).unwrap_or_default();
    let etag = discovery::etag(&body);
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let h = response.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(&discovery::aggregated_content_type(version)) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

async fn api_group(
    State(api): State<Arc<Api>>,
    Path(group): Path<String>,
    headers: HeaderMap,
) -> Response {
    match discovery::group(&api.resources, &group) {
        Some(body) => discovery_response(&headers, &body),
        None => ApiError::path_not_found().into_response(),
    }
}

async fn api_resources(
    State(api): State<Arc<Api>>,
    Path((group, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match discovery::resource_list(&api.resources, &group, &version) {
        Some(body) => discovery_response(&headers, &body),
        None => ApiError::path_not_found().into_response(),
    }
}

fn bytes_response(bytes: &[u8]) -> Response {
    ([(header::CONTENT_TYPE, negotiate::JSON)], bytes.to_vec()).into_response()
}

/// The media type kube-openapi answers the protobuf `/openapi/v2` with, also accepted in
/// `Accept` along with the older [`OPENAPI_V2_PROTOBUF_DEPRECATED`] that kubectl sends.
const OPENAPI_V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
const OPENAPI_V2_PROTOBUF_DEPRECATED: &str =
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// `/openapi/v2` as kube-openapi's handler serves it: JSON or gnostic's protobuf message, the
/// first the `Accept` ranges (most preferred first) allow, JSON first within a range; both with
/// `Vary: Accept` and the same `ETag` (the hash of the JSON bytes), honouring `If-None-Match`.
async fn openapi_v2(State(api): State<Arc<Api>>, headers: HeaderMap) -> Response {
    // (accepted media type, answered Content-Type, bytes)
    let offered = [
        (negotiate::JSON, negotiate::JSON, &api.openapi.v2),
        (
            OPENAPI_V2_PROTOBUF_DEPRECATED,
            OPENAPI_V2_PROTOBUF,
            &api.openapi.v2_protobuf,
        ),
        (
            OPENAPI_V2_PROTOBUF,
            OPENAPI_V2_PROTOBUF,
            &api.openapi.v2_protobuf,
        ),
    ];
    let chosen = negotiate::accept_ranges(&headers).iter().find_map(|range| {
        offered.iter().find(|(accepted, _, _)| {
            range.essence == "*/*" || range.essence == "application/*" || range.essence == *accepted
        })
    });
    let Some(&(_, content_type, bytes)) = chosen else {
        return ApiError::not_acceptable(&[negotiate::JSON, OPENAPI_V2_PROTOBUF]).into_response();
    };
    let etag = format!("\"{}\"", openapi::document_hash(&api.openapi.v2));
    let not_modified = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag
        });
    let cache_headers = [(header::ETAG, etag), (header::VARY, "Accept".to_owned())];
    if not_modified {
        return (StatusCode::NOT_MODIFIED, cache_headers).into_response();
    }
    (
        cache_headers,
        [(header::CONTENT_TYPE, content_type)],
        bytes.clone(),
    )
        .into_response()
}

async fn openapi_v3_root(State(api): State<Arc<Api>>) -> Response {
    bytes_response(&api.openapi.v3_root)
}

async fn openapi_v3(
    State(api): State<Arc<Api>>,
    Path((group, version)): Path<(String, String)>,
) -> Response {
    match api.openapi.v3.get(&format!("apis/{group}/{version}")) {
        Some(bytes) => bytes_response(bytes),
        None => ApiError::path_not_found().into_response(),
    }
}

/// Serves `site` at `prefix` (`/docs/`): a file at `<prefix><name>`, the index at the prefix.
fn serve_site(router: Router<Arc<Api>>, prefix: &str, site: Arc<Site>) -> Router<Arc<Api>> {
    let served = |site: &Site, name: &str| match site.file(name) {
        Some(file) => {
            let content = file.content.clone();
            ([(header::CONTENT_TYPE, file.content_type)], content).into_response()
        }
        None => ApiError::path_not_found().into_response(),
    };
    let index = site.clone();
    router
        .route(prefix, get(move || std::future::ready(served(&index, ""))))
        .route(
            &format!("{prefix}{{name}}"),
            get(move |Path(name): Path<String>| std::future::ready(served(&site, &name))),
        )
}

/// `/apis/<group>/<version>[/namespaces/<namespace>]/<plural>[/<name>[/<subresource>]]`,
/// routed by what the request-info filter read from the path: the cluster-wide path of a
/// namespaced kind only lists and watches, and a cluster-scoped kind has no namespaced path.
async fn resource(State(api): State<Arc<Api>>, request: Request) -> Response {
    serve_resource(&api, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn serve_resource(api: &Api, request: Request) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let info = parts
        .extensions
        .remove::<RequestInfo>()
        .and_then(|info| info.resource)
        .ok_or_else(ApiError::path_not_found)?;
    let query = parts.extensions.remove::<Query>().unwrap_or_default();
    let (plural, name, subresource) = match info.parts.as_slice() {
        parts if parts.iter().any(String::is_empty) => return Err(ApiError::path_not_found()),
        [plural] => (plural, None, None),
        [plural, name] => (plural, Some(name), None),
        [plural, name, subresource] => (plural, Some(name), Some(subresource)),
        _ => return Err(ApiError::path_not_found()),
    };
    let endpoint = api
        .endpoints
        .iter()
        .find(|e| {
            let served = e.info();
            served.group == info.group && served.version == info.version && served.plural == plural
        })
        .ok_or_else(ApiError::path_not_found)?;
    let namespace = Some(&info.namespace).filter(|namespace| !namespace.is_empty());
    match (endpoint.info().namespaced, namespace) {
        (false, Some(_)) => return Err(ApiError::path_not_found()),
        (true, None) if name.is_some() => return Err(ApiError::path_not_found()),
        (true, None) if parts.method != http::Method::GET => {
            return Err(ApiError::method_not_allowed());
        }
        _ => {}
    }
    let served = async {
        let body = read_body(body).await?;
        let user = parts.extensions.remove::<UserInfo>();
        endpoint
            .handle(ResourceRequest {
                method: parts.method,
                user: user.unwrap_or_else(UserInfo::anonymous),
                namespace: namespace.cloned(),
                name: name.cloned(),
                subresource: subresource.cloned(),
                query,
                headers: parts.headers,
                body,
            })
            .await
    };
    let response = served.await.unwrap_or_else(IntoResponse::into_response);
    Ok(match endpoint.deprecation() {
        Some(deprecation) => crate::handlers::warned_first(response, deprecation),
        None => response,
    })
}

/// The request body, at most `MAX_BODY_BYTES`. One that is too long is dropped unread, and
/// drained (see `body.rs`) while the 413 goes out.
async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    let limit = crate::registry::MAX_BODY_BYTES;
    to_bytes(body, limit).await.map_err(|e| {
        if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
        {
            ApiError::too_large(limit)
        } else {
            ApiError::bad_request(format!("unable to read the request body: {e}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::{Attributes, Operation};
    use crate::resource::ResourceInfo;
    use crate::storage::EmbeddedStorage;
    use crate::testing::{NAMESPACED_FOO, PLAIN_FOO, Plain};

    fn api_of(info: &'static ResourceInfo) -> (Api, tempfile::TempDir) {
        api_admitting(info, Vec::new())
    }

    fn api_admitting(
        info: &'static ResourceInfo,
        admission: Vec<Arc<dyn Admission>>,
    ) -> (Api, tempfile::TempDir) {
        api_serving(vec![Kind::new(Plain(info))], admission)
    }

    /// An API of `kinds` on an embedded database in its own directory.
    fn api_serving(
        kinds: Vec<Kind>,
        admission: Vec<Arc<dyn Admission>>,
    ) -> (Api, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(EmbeddedStorage::open(&dir.path().join("db.redb")).unwrap());
        let backend = Backend {
            storage,
            key_root: "/registry".into(),
        };
        let history = HistoryLimit {
            events: 10,
            bytes: 1 << 20,
        };
        let api = Api::new("test", backend, kinds, admission, &[], history, 60);
        (api, dir)
    }

    /// The status code and body of `method path` (after `/apis/demo.jeremyxu2010.me/v1beta1/`)
    /// with a JSON `body`, from an anonymous user.
    async fn call(api: &Api, method: http::Method, path: &str, body: Value) -> (u16, Value) {
        let response = respond(api, method, &format!("v1beta1/{path}"), body).await;
        let code = response.status().as_u16();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// The response to `method /apis/demo.jeremyxu2010.me/<path>` with a JSON `body`, read
    /// as the request-info filter reads it.
    async fn respond(api: &Api, method: http::Method, path: &str, body: Value) -> Response {
        let path = format!("/apis/demo.jeremyxu2010.me/{path}");
        let info = RequestInfo::parse(&method, &path, &Query::default());
        let body = match body {
            Value::Null => Body::empty(),
            body => Body::from(body.to_string()),
        };
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, negotiate::JSON)
            .extension(info)
            .body(body)
            .unwrap();
        serve_resource(api, request)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    }

    async fn code(api: &Api, method: http::Method, path: &str) -> u16 {
        call(api, method, path, Value::Null).await.0
    }

    /// Annotates every new Foo; refuses a Foo named after another one's greeting (which it
    /// reads from the server) and deletes by anonymous users.
    struct Guard;

    #[async_trait::async_trait]
    impl Admission for Guard {
        async fn admit(&self, at: &Attributes<'_>, object: &mut Value) -> Result<(), ApiError> {
            if at.operation == Operation::Create {
                object["metadata"]["annotations"] =
                    serde_json::json!({"admitted-by": at.user.name});
            }
            Ok(())
        }

        async fn validate(&self, at: &Attributes<'_>, _: Option<&Value>) -> Result<(), ApiError> {
            let foos = at
                .objects
                .list(at.resource.group, at.resource.plural, at.namespace);
            let taken = foos.iter().any(|foo| foo["spec"]["greeting"] == at.name);
            let refused = match at.operation {
                Operation::Create if taken => "the name is another Foo's greeting",
                Operation::Delete if at.user.name == "system:anonymous" => "anonymous deletes",
                _ => return Ok(()),
            };
            Err(ApiError::forbidden_object(at.resource, at.name, refused))
        }
    }

    /// Admission plugins change new objects before they are validated and stored, and refuse
    /// writes with what they read from the server; a refused write changes nothing.
    #[tokio::test]
    async fn admission_plugins_change_and_refuse_writes() {
        use http::Method;
        let (api, _dir) = api_admitting(&NAMESPACED_FOO, vec![Arc::new(Guard)]);
        let foo = |name: &str, greeting: &str| {
            serde_json::json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
                "metadata": {"name": name}, "spec": {"greeting": greeting}})
        };
        let (code, created) = call(&api, Method::POST, "namespaces/n/foos", foo("a", "b")).await;
        assert_eq!(code, 201, "{created}");
        assert_eq!(
            created["metadata"]["annotations"]["admitted-by"],
            "system:anonymous"
        );
        let (code, _) = call(&api, Method::GET, "namespaces/n/foos/a", Value::Null).await;
        assert_eq!(code, 200);

        let (code, refused) = call(&api, Method::POST, "namespaces/n/foos", foo("b", "c")).await;
        assert_eq!(code, 403);
        assert_eq!(refused["reason"], "Forbidden");
        assert_eq!(
            refused["message"],
            r#"foos.demo.jeremyxu2010.me "b" is forbidden: the name is another Foo's greeting"#
        );
        assert_eq!(code_of(&api, "namespaces/n/foos/b").await, 404);
        // Only the namespace's Foos count.
        let (code, _) = call(&api, Method::POST, "namespaces/m/foos", foo("b", "c")).await;
        assert_eq!(code, 201);

        let (code, refused) = call(&api, Method::DELETE, "namespaces/n/foos/a", Value::Null).await;
        assert_eq!(
            (code, refused["message"].as_str()),
            (
                403,
                Some(r#"foos.demo.jeremyxu2010.me "a" is forbidden: anonymous deletes"#)
            )
        );
        assert_eq!(code_of(&api, "namespaces/n/foos/a").await, 200);
    }

    /// Every response of a deprecated version, errors included, warns of it first.
    #[tokio::test]
    async fn a_deprecated_version_warns_on_every_response() {
        use crate::registry::Converted;
        use crate::testing::FooV2;
        use http::Method;
        let kinds = vec![
            Kind::new(Plain(&PLAIN_FOO)),
            Kind::new(Converted::<Plain, FooV2>::new(Plain(&PLAIN_FOO))),
        ];
        let (api, _dir) = api_serving(kinds, Vec::new());
        let warnings = async |path: &str| {
            let response = respond(&api, Method::GET, path, Value::Null).await;
            let warnings = response.headers().get_all(header::WARNING).iter();
            let warnings = warnings.map(|w| w.to_str().unwrap().to_owned());
            (response.status().as_u16(), warnings.collect::<Vec<_>>())
        };
        let deprecated =
            r#"299 - "demo.jeremyxu2010.me/v2 Foo is deprecated in v1.3+, unavailable in v1.10+""#;
        assert_eq!(
            warnings("v2/foos").await,
            (200, vec![deprecated.to_owned()])
        );
        assert_eq!(
            warnings("v2/foos/none").await,
            (404, vec![deprecated.to_owned()])
        );
        assert_eq!(warnings("v1beta1/foos").await, (200, vec![]));
    }

    async fn code_of(api: &Api, path: &str) -> u16 {
        code(api, http::Method::GET, path).await
    }

    /// A namespaced kind is served in `/namespaces/<ns>/`, and only listed and watched
    /// across namespaces; a cluster-scoped kind has no namespaced paths.
    #[tokio::test]
    async fn kinds_are_served_in_their_scope() {
        use http::Method;
        let (namespaced, _dir) = api_of(&NAMESPACED_FOO);
        assert_eq!(
            code(&namespaced, Method::GET, "namespaces/a/foos").await,
            200
        );
        assert_eq!(code(&namespaced, Method::GET, "foos").await, 200);
        assert_eq!(
            code(&namespaced, Method::GET, "namespaces/a/foos/x").await,
            404
        );
        assert_eq!(code(&namespaced, Method::GET, "foos/x").await, 404);
        assert_eq!(code(&namespaced, Method::POST, "foos").await, 405);
        assert_eq!(code(&namespaced, Method::DELETE, "foos").await, 405);

        let (cluster, _dir) = api_of(&PLAIN_FOO);
        assert_eq!(code(&cluster, Method::GET, "foos").await, 200);
        assert_eq!(code(&cluster, Method::GET, "namespaces/a/foos").await, 404);
    }
}
