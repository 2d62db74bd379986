//! What the plugin needs beyond foo-sdk's [`FooApi`](foo_sdk::FooApi) (reached as
//! `conn.foos`): the option flags as `ListParams`/`WatchParams`, a list of objects that keeps
//! its resourceVersion, create from a manifest with strict field validation, watch in Table
//! form, discovery cached on disk and refreshed by ETag, and the cluster's `/version` and
//! APIService.

use std::path::PathBuf;

use foo_sdk::discovery::{ACCEPT_AGGREGATED, APIGroupDiscoveryList, GroupDiscovery};
use foo_sdk::table::{ACCEPT_TABLE, IncludeObject, Table};
use foo_sdk::{Foo, ListParams, Status, WatchParams};
use futures::{Stream, StreamExt};
use http::{HeaderValue, Request, header};
use kube::api::WatchEvent;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::kubeconfig::Connection;

/// What `kubectl foo` prints as the resource in messages (`foo.demo.jeremyxu2010.me/x`).
pub const KIND_GROUP: &str = "foo.demo.jeremyxu2010.me";
/// The field manager of the plugin's writes but server-side apply (`--field-manager`).
pub const FIELD_MANAGER: &str = "kubectl-foo";

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
    /// The options of a list, one chunk of `limit` at a time.
    pub fn list_params(&self) -> ListParams {
        ListParams {
            label_selector: self.label_selector.clone(),
            field_selector: self.field_selector.clone(),
            limit: (self.limit > 0).then(|| u32::try_from(self.limit).unwrap_or(u32::MAX)),
            ..ListParams::default()
        }
    }

    /// The options of a watch. Bookmarks keep the resourceVersion that `-w` resumes from
    /// current while no Foo of the selection changes.
    pub fn watch_params(&self) -> WatchParams {
        WatchParams {
            label_selector: self.label_selector.clone(),
            field_selector: self.field_selector.clone(),
            ..WatchParams::default()
        }
    }

    /// What rows of a Table carry: the whole Foo, or (the server's default) its metadata.
    pub fn include(&self) -> IncludeObject {
        match self.include_object {
            true => IncludeObject::Object,
            false => IncludeObject::Metadata,
        }
    }
}

/// An event of a watch in Table form.
pub enum TableEvent {
    /// A Foo was added, changed or deleted: its (last) row, in a one-row Table, and the
    /// event's type (`ADDED`, `MODIFIED`, `DELETED`).
    Row(Table, &'static str),
    /// Nothing changed up to this resourceVersion.
    Bookmark(String),
}

/// A Foo as the printers take it (with `apiVersion` and `kind`).
pub fn to_value(foo: &Foo) -> Result<Value> {
    Ok(serde_json::to_value(foo)?)
}

impl Connection {
    /// Every Foo matching `opts` (chunk by chunk), and the resourceVersion a watch can start
    /// from (`FooApi::list_all` keeps no resourceVersion).
    pub async fn list_objects(&self, opts: &ListOptions) -> Result<(Vec<Value>, String)> {
        let mut lp = opts.list_params();
        let mut items = Vec::new();
        loop {
            let page = self.foos.list(&lp).await?;
            for foo in &page.items {
                items.push(to_value(foo)?);
            }
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(token) => lp.continue_token = Some(token),
                None => {
                    let version = page.metadata.resource_version.unwrap_or_default();
                    return Ok((items, version));
                }
            }
        }
    }

    /// The names of every Foo (for pickers and completion).
    pub async fn names(&self) -> Result<Vec<String>> {
        let foos = self.foos.list_all(&ListParams::default()).await?;
        Ok(foos.iter().map(|f| f.name().to_string()).collect())
    }

    /// Creates a Foo from a manifest as it was read, with `fieldValidation=Strict` so that
    /// unknown fields are refused rather than dropped (`FooApi::create` takes a typed Foo, and
    /// kube's `PostParams` has no `fieldValidation`).
    pub async fn create_manifest(&self, manifest: &Value, dry_run: bool) -> Result<Foo> {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("fieldManager", FIELD_MANAGER);
        query.append_pair("fieldValidation", "Strict");
        if dry_run {
            query.append_pair("dryRun", "All");
        }
        let uri = format!("{}?{}", self.foos.api().resource_url(), query.finish());
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(manifest)?)
            .map_err(|e| Error::msg(format!("cannot build the request: {e}")))?;
        Ok(self.foos.client().request::<Foo>(request).await?)
    }

    /// Watches from `resource_version` in Table form (each event a one-row Table, its
    /// columns sent with the first only), as `kubectl get -w` prints.
    pub async fn watch_table(
        &self,
        opts: &ListOptions,
        resource_version: &str,
    ) -> Result<impl Stream<Item = Result<TableEvent>> + use<>> {
        let mut request = kube::core::Request::new(self.foos.api().resource_url())
            .watch(&opts.watch_params(), resource_version)
            .map_err(|e| Error::msg(format!("cannot build the request: {e}")))?;
        let uri = format!(
            "{}&includeObject={}",
            request.uri(),
            opts.include().as_str()
        );
        *request.uri_mut() = uri
            .parse()
            .map_err(|e| Error::msg(format!("cannot build the request: {e}")))?;
        request
            .headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static(ACCEPT_TABLE));
        let events = self.foos.client().request_events::<Table>(request).await?;
        Ok(events.filter_map(|event| async move {
            match event {
                Ok(WatchEvent::Added(t)) => Some(Ok(TableEvent::Row(t, "ADDED"))),
                Ok(WatchEvent::Modified(t)) => Some(Ok(TableEvent::Row(t, "MODIFIED"))),
                Ok(WatchEvent::Deleted(t)) => Some(Ok(TableEvent::Row(t, "DELETED"))),
                Ok(WatchEvent::Bookmark(b)) => {
                    Some(Ok(TableEvent::Bookmark(b.metadata.resource_version)))
                }
                Ok(WatchEvent::Error(status)) => Some(Err(foo_sdk::Error::from(status).into())),
                Err(e) => Some(Err(e.into())),
            }
        }))
    }

    /// `/version`.
    pub async fn version(&self) -> Result<Value> {
        let request = get("/version", "application/json")?;
        Ok(self.foos.client().request::<Value>(request).await?)
    }

    /// A GET answering either the object or `None` on 404 (or 403).
    pub async fn get_optional(&self, path: &str) -> Result<Option<Value>> {
        let request = get(path, "application/json")?;
        match self.foos.client().request::<Value>(request).await {
            Ok(v) => Ok(Some(v)),
            Err(e) => match Error::from(e) {
                e if e.is_not_found() => Ok(None),
                Error::Api(s) if s.code == 403 => Ok(None),
                e => Err(e),
            },
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

    /// The group as aggregated discovery describes it (`None` when the server does not serve
    /// it). The document of `/apis` is kept in the cache directory and refreshed with
    /// `If-None-Match`; foo-sdk reads it.
    pub async fn discovery(&self) -> Result<Option<GroupDiscovery>> {
        let document: APIGroupDiscoveryList =
            serde_json::from_value(self.discovery_document().await?)?;
        Ok(GroupDiscovery::from_aggregated(&document))
    }

    async fn discovery_document(&self) -> Result<Value> {
        let dir = self.discovery_cache();
        let body_path = dir.join("apis.json");
        let etag_path = dir.join("apis.etag");
        let cached = std::fs::read(&body_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        let etag = std::fs::read_to_string(&etag_path).ok();
        let mut builder = Request::get("/apis").header(header::ACCEPT, ACCEPT_AGGREGATED);
        if let (Some(_), Some(etag)) = (&cached, &etag) {
            builder = builder.header(header::IF_NONE_MATCH, etag.trim());
        }
        let req = builder
            .body(Vec::new())
            .map_err(|e| Error::msg(format!("cannot build the request: {e}")))?;
        let response = self
            .foos
            .client()
            .send(req.map(kube::client::Body::from))
            .await?;
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
            return Err(foo_sdk::Error::from(status).into());
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
}

fn get(path: &str, accept: &str) -> Result<Request<Vec<u8>>> {
    Request::get(path)
        .header(header::ACCEPT, accept)
        .body(Vec::new())
        .map_err(|e| Error::msg(format!("cannot build the request: {e}")))
}
