//! The requests the plugin makes, on `kube::Client`: Tables, objects, watch, writes, bar,
//! discovery (cached by ETag) and `/version`.

use std::path::PathBuf;

use foo_sdk::table::Table;
use foo_sdk::{API_VERSION, GROUP, VERSION};
use futures::{AsyncBufReadExt, Stream, TryStreamExt};
use http::{Method, Request, header};
use kube::core::Status;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::kubeconfig::Connection;

/// The collection path of Foos.
pub const FOOS: &str = "/apis/demo.jeremyxu2010.me/v1beta1/foos";
/// The `Accept` header for server-side printing.
pub const ACCEPT_TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
/// The `Accept` header for aggregated discovery.
pub const ACCEPT_DISCOVERY: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
/// What `kubectl foo` prints as the resource in messages (`foo.demo.jeremyxu2010.me/x`).
pub const KIND_GROUP: &str = "foo.demo.jeremyxu2010.me";

/// List and watch options.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// `labelSelector`
    pub label_selector: Option<String>,
    /// `fieldSelector`
    pub field_selector: Option<String>,
    /// `limit` (0 = none)
    pub limit: i64,
    /// `includeObject=Object` in Tables
    pub include_object: bool,
}

impl ListOptions {
    fn query(&self, extra: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(s) = &self.label_selector {
            q.append_pair("labelSelector", s);
        }
        if let Some(s) = &self.field_selector {
            q.append_pair("fieldSelector", s);
        }
        if self.include_object {
            q.append_pair("includeObject", "Object");
        }
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        q.finish()
    }
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn path_of(name: &str) -> String {
    format!("{FOOS}/{}", encode(name))
}

fn request(method: Method, uri: &str, accept: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::ACCEPT, accept)
}

fn build(builder: http::request::Builder, body: Vec<u8>) -> Result<Request<Vec<u8>>> {
    builder
        .body(body)
        .map_err(|e| Error::msg(format!("cannot build the request: {e}")))
}

fn dry(dry_run: bool, pairs: &mut Vec<(&'static str, String)>) {
    if dry_run {
        pairs.push(("dryRun", "All".to_string()));
    }
}

fn with_query(path: String, pairs: &[(&'static str, String)]) -> String {
    if pairs.is_empty() {
        return path;
    }
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    format!("{path}?{}", q.finish())
}

impl Connection {
    async fn json(&self, req: Request<Vec<u8>>) -> Result<Value> {
        Ok(self.client.request::<Value>(req).await?)
    }

    /// Lists Foos as a server-printed Table, following continue tokens in chunks.
    pub async fn list_table(&self, opts: &ListOptions) -> Result<Table> {
        let mut table: Option<Table> = None;
        let mut cont = String::new();
        loop {
            let limit = opts.limit.to_string();
            let mut extra: Vec<(&str, &str)> = Vec::new();
            if opts.limit > 0 {
                extra.push(("limit", &limit));
            }
            if !cont.is_empty() {
                extra.push(("continue", &cont));
            }
            let uri = format!("{FOOS}?{}", opts.query(&extra));
            let req = build(request(Method::GET, &uri, ACCEPT_TABLE), vec![])?;
            let page: Table = self.client.request(req).await?;
            cont = page.metadata.continue_.clone().unwrap_or_default();
            table = Some(match table {
                None => page,
                Some(mut t) => {
                    t.rows.extend(page.rows);
                    t.metadata = page.metadata;
                    t
                }
            });
            if cont.is_empty() {
                break;
            }
        }
        Ok(table.unwrap_or_default())
    }

    /// One Foo as a one-row Table.
    pub async fn get_table(&self, name: &str, include_object: bool) -> Result<Table> {
        let mut uri = path_of(name);
        if include_object {
            uri.push_str("?includeObject=Object");
        }
        let req = build(request(Method::GET, &uri, ACCEPT_TABLE), vec![])?;
        Ok(self.client.request(req).await?)
    }

    /// Lists Foos as objects (a `FooList`), following continue tokens.
    pub async fn list(&self, opts: &ListOptions) -> Result<Value> {
        let mut items = Vec::new();
        let mut cont = String::new();
        let mut rv;
        loop {
            let limit = opts.limit.to_string();
            let mut extra: Vec<(&str, &str)> = Vec::new();
            if opts.limit > 0 {
                extra.push(("limit", &limit));
            }
            if !cont.is_empty() {
                extra.push(("continue", &cont));
            }
            let uri = format!("{FOOS}?{}", opts.query(&extra));
            let page = self
                .json(build(
                    request(Method::GET, &uri, "application/json"),
                    vec![],
                )?)
                .await?;
            if let Some(list) = page["items"].as_array() {
                items.extend(list.iter().cloned().map(with_kind));
            }
            rv = page["metadata"]["resourceVersion"].clone();
            cont = page["metadata"]["continue"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if cont.is_empty() {
                break;
            }
        }
        Ok(serde_json::json!({
            "apiVersion": API_VERSION,
            "kind": "FooList",
            "metadata": {"resourceVersion": rv},
            "items": items,
        }))
    }

    /// One Foo.
    pub async fn get(&self, name: &str) -> Result<Value> {
        let req = build(
            request(Method::GET, &path_of(name), "application/json"),
            vec![],
        )?;
        self.json(req).await.map(with_kind)
    }

    /// Creates a Foo.
    pub async fn create(&self, object: &Value, dry_run: bool) -> Result<Value> {
        let mut q = vec![("fieldManager", "kubectl-foo".to_string())];
        q.push(("fieldValidation", "Strict".to_string()));
        dry(dry_run, &mut q);
        let req = build(
            request(
                Method::POST,
                &with_query(FOOS.to_string(), &q),
                "application/json",
            )
            .header(header::CONTENT_TYPE, "application/json"),
            serde_json::to_vec(object)?,
        )?;
        self.json(req).await.map(with_kind)
    }

    /// Patches a Foo (`application/merge-patch+json`).
    pub async fn merge_patch(&self, name: &str, patch: &Value, dry_run: bool) -> Result<Value> {
        let mut q = vec![
            ("fieldManager", "kubectl-foo".to_string()),
            ("fieldValidation", "Strict".to_string()),
        ];
        dry(dry_run, &mut q);
        let req = build(
            request(
                Method::PATCH,
                &with_query(path_of(name), &q),
                "application/json",
            )
            .header(header::CONTENT_TYPE, "application/merge-patch+json"),
            serde_json::to_vec(patch)?,
        )?;
        self.json(req).await.map(with_kind)
    }

    /// Server-side apply (`application/apply-patch+yaml`, with a JSON body as kubectl sends).
    pub async fn apply(
        &self,
        name: &str,
        object: &Value,
        manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<Value> {
        let mut q = vec![
            ("fieldManager", manager.to_string()),
            ("fieldValidation", "Strict".to_string()),
        ];
        if force {
            q.push(("force", "true".to_string()));
        }
        dry(dry_run, &mut q);
        let req = build(
            request(
                Method::PATCH,
                &with_query(path_of(name), &q),
                "application/json",
            )
            .header(header::CONTENT_TYPE, "application/apply-patch+yaml"),
            serde_json::to_vec(object)?,
        )?;
        self.json(req).await.map(with_kind)
    }

    /// Deletes a Foo.
    pub async fn delete(&self, name: &str, dry_run: bool) -> Result<Value> {
        let mut q = Vec::new();
        dry(dry_run, &mut q);
        let req = build(
            request(
                Method::DELETE,
                &with_query(path_of(name), &q),
                "application/json",
            ),
            vec![],
        )?;
        self.json(req).await
    }

    /// Invokes `bar`.
    pub async fn bar(&self, name: &str, arg1: Option<&str>, dry_run: bool) -> Result<Value> {
        let mut q = Vec::new();
        if let Some(arg1) = arg1 {
            q.push(("arg1", arg1.to_string()));
        }
        dry(dry_run, &mut q);
        let uri = with_query(format!("{}/bar", path_of(name)), &q);
        let req = build(request(Method::POST, &uri, "application/json"), vec![])?;
        self.json(req).await
    }

    /// Watches from `resource_version` as Table events (`{"type", "object"}` values, the
    /// object a one-row Table), or as objects when `table` is false.
    pub async fn watch(
        &self,
        opts: &ListOptions,
        resource_version: &str,
        table: bool,
    ) -> Result<impl Stream<Item = Result<(String, Value)>> + use<>> {
        let uri = format!(
            "{FOOS}?{}",
            opts.query(&[("watch", "true"), ("resourceVersion", resource_version)])
        );
        let accept = if table {
            ACCEPT_TABLE
        } else {
            "application/json"
        };
        let req = build(
            request(Method::GET, &uri, accept).header(header::ACCEPT_ENCODING, "identity"),
            vec![],
        )?;
        let reader = self.client.request_stream(req).await?;
        Ok(reader
            .lines()
            .map_err(Error::from)
            .and_then(|line| async move {
                let event: Value = serde_json::from_str(&line)?;
                let kind = event["type"].as_str().unwrap_or_default().to_string();
                if kind == "ERROR" {
                    let status: Status = serde_json::from_value(event["object"].clone())?;
                    return Err(Error::Api(Box::new(status)));
                }
                Ok((kind, event["object"].clone()))
            }))
    }

    /// `/version`.
    pub async fn version(&self) -> Result<Value> {
        self.json(build(
            request(Method::GET, "/version", "application/json"),
            vec![],
        )?)
        .await
    }

    /// A GET answering either the object or `None` on 404.
    pub async fn get_optional(&self, path: &str) -> Result<Option<Value>> {
        match self
            .json(build(
                request(Method::GET, path, "application/json"),
                vec![],
            )?)
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(Error::Api(s)) if s.code == 403 => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn discovery_cache(&self) -> PathBuf {
        let host: String = self
            .server
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.cache_dir.join("discovery").join(host)
    }

    /// The aggregated discovery document of `/apis`, kept in the cache directory and
    /// refreshed with `If-None-Match`.
    pub async fn discovery(&self) -> Result<Value> {
        let dir = self.discovery_cache();
        let body_path = dir.join("apis.json");
        let etag_path = dir.join("apis.etag");
        let cached = std::fs::read(&body_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        let etag = std::fs::read_to_string(&etag_path).ok();
        let mut builder = request(Method::GET, "/apis", ACCEPT_DISCOVERY);
        if let (Some(_), Some(etag)) = (&cached, &etag) {
            builder = builder.header(header::IF_NONE_MATCH, etag.trim());
        }
        let req = build(builder, vec![])?;
        let response = self.client.send(req.map(kube::client::Body::from)).await?;
        let status = response.status();
        if status == http::StatusCode::NOT_MODIFIED
            && let Some(cached) = cached
        {
            return Ok(cached);
        }
        let new_etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = response.into_body().collect_bytes().await?;
        if !status.is_success() {
            let status: Status = serde_json::from_slice(&bytes).unwrap_or_else(|_| Status {
                code: status.as_u16(),
                message: String::from_utf8_lossy(&bytes).trim().to_string(),
                ..Status::default()
            });
            return Err(kube::Error::Api(Box::new(status)).into());
        }
        if !content_type.contains("APIGroupDiscoveryList") {
            return Err(Error::msg(
                "the server does not serve aggregated discovery (apidiscovery.k8s.io/v2)",
            ));
        }
        let document: Value = serde_json::from_slice(&bytes)?;
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(&body_path, &bytes);
            match new_etag {
                Some(etag) => {
                    let _ = std::fs::write(&etag_path, etag);
                }
                None => {
                    let _ = std::fs::remove_file(&etag_path);
                }
            }
        }
        Ok(document)
    }

    /// The names of every Foo (for pickers and completion).
    pub async fn names(&self) -> Result<Vec<String>> {
        let list = self.list(&ListOptions::default()).await?;
        Ok(list["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i["metadata"]["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// The group's entry in an aggregated discovery document.
pub fn group_in(discovery: &Value) -> Option<&Value> {
    discovery["items"]
        .as_array()?
        .iter()
        .find(|g| g["metadata"]["name"] == GROUP)
}

/// Puts `apiVersion` and `kind` on an object whose list item lacked them.
fn with_kind(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        if !map.contains_key("apiVersion") {
            map.insert("apiVersion".into(), Value::String(API_VERSION.into()));
        }
        if !map.contains_key("kind") {
            map.insert("kind".into(), Value::String("Foo".into()));
        }
    }
    object
}

/// `group/version` of the API, for messages.
pub fn group_version() -> String {
    format!("{GROUP}/{VERSION}")
}
