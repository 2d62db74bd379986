//! Reads: get, list and watch, served from the watch cache at a consistent revision, and
//! from storage for an exact past revision or the next page of a paginated list.

use std::time::Duration;

use axum::response::Response;
use kube::Resource;

use super::Strategy;
use super::cache::Start;
use super::render::Renderer;
use super::store::{CONTINUE_EXPIRED, ListResult, SELECTABLE_FIELDS, Store, selected};
use super::watch;
use crate::request::{ListOptions, Query, ReadAt, parse_revision};
use crate::status::ApiError;
use crate::storage::{Revision, StorageError};

/// How long a watch lasts when the client names no timeout (kube-apiserver's
/// `--min-request-timeout`).
const DEFAULT_WATCH_SECONDS: u64 = 1800;

impl<S: Strategy> Store<S> {
    /// Waits until the cache shows what `read_at` asks for (not for `Exact`, served elsewhere).
    async fn catch_up(&self, read_at: ReadAt) -> Result<(), ApiError> {
        let revision = match read_at {
            ReadAt::Latest => self
                .storage
                .current_revision()
                .await
                .map_err(|e| self.storage_error("", e))?,
            ReadAt::Any => 0,
            ReadAt::NotOlderThan(revision) | ReadAt::Exact(revision) => revision,
        };
        self.cache.wait_for(revision).await
    }

    pub(super) async fn get(&self, name: &str, query: &Query) -> Result<S::Object, ApiError> {
        let read_at = match query.get("resourceVersion").filter(|rv| !rv.is_empty()) {
            None => ReadAt::Latest,
            Some("0") => ReadAt::Any,
            Some(rv) => ReadAt::NotOlderThan(parse_revision(rv)?),
        };
        self.catch_up(read_at).await?;
        self.cache
            .get(name)
            .map(|cached| cached.object.clone())
            .ok_or_else(|| crate::status::ApiError::not_found(self.strategy.info(), name))
    }

    pub(super) async fn list(
        &self,
        options: &ListOptions,
    ) -> Result<ListResult<S::Object>, ApiError> {
        if let Some(fields) = &options.fields {
            fields
                .check_fields(SELECTABLE_FIELDS)
                .map_err(ApiError::bad_request)?;
        }
        if let Some(from) = &options.continue_from {
            return self
                .list_from_storage(options, from.revision, Some(from.after.clone()))
                .await;
        }
        if let ReadAt::Exact(revision) = options.read_at {
            return self.list_from_storage(options, revision, None).await;
        }
        self.catch_up(options.read_at).await?;
        let (objects, revision) = self.cache.snapshot();
        let filtered = options.labels.is_some() || options.fields.is_some();
        let mut items = Vec::new();
        for (i, cached) in objects.iter().enumerate() {
            if selected(&cached.object, options) {
                items.push(cached.object.clone());
            }
            if options.limit.is_some_and(|limit| items.len() >= limit) {
                let last = cached.object.meta().name.clone().unwrap_or_default();
                let remaining = (objects.len() - i - 1) as u64;
                return Ok(ListResult::limited(
                    items, revision, last, remaining, filtered,
                ));
            }
        }
        Ok(ListResult {
            items,
            revision,
            continue_from: None,
            remaining: None,
        })
    }

    /// A list at a past revision, read page by page from storage.
    async fn list_from_storage(
        &self,
        options: &ListOptions,
        revision: Revision,
        mut after: Option<String>,
    ) -> Result<ListResult<S::Object>, ApiError> {
        let filtered = options.labels.is_some() || options.fields.is_some();
        let mut items = Vec::new();
        loop {
            let page = self
                .storage
                .list(
                    &self.prefix(),
                    Some(revision),
                    after.as_deref().map(|name| self.key(name)).as_deref(),
                    options.limit,
                )
                .await
                .map_err(|e| match (e, &options.continue_from) {
                    (StorageError::Compacted { .. }, Some(_)) => {
                        ApiError::expired(CONTINUE_EXPIRED)
                    }
                    (e, _) => self.storage_error("", e),
                })?;
            let page_len = page.items.len();
            for (i, kv) in page.items.iter().enumerate() {
                let object = self.decode_stored(kv)?.object;
                after = object.meta().name.clone();
                if selected(&object, options) {
                    items.push(object);
                }
                if options.limit.is_some_and(|limit| items.len() >= limit) {
                    let last = after.unwrap_or_default();
                    let remaining = page.remaining + (page_len - i - 1) as u64;
                    return Ok(ListResult::limited(
                        items, revision, last, remaining, filtered,
                    ));
                }
            }
            if page.remaining == 0 || page_len == 0 {
                return Ok(ListResult {
                    items,
                    revision,
                    continue_from: None,
                    remaining: None,
                });
            }
        }
    }

    /// `watch=true`: the objects first when the request asks for them (no resourceVersion,
    /// `0`, or `sendInitialEvents=true`), then every change, as newline-delimited events.
    pub(super) async fn watch(
        &self,
        options: ListOptions,
        renderer: Renderer<S>,
    ) -> Result<Response, ApiError> {
        if let Some(fields) = &options.fields {
            fields
                .check_fields(SELECTABLE_FIELDS)
                .map_err(ApiError::bad_request)?;
        }
        let watch_options = options
            .watch
            .as_ref()
            .ok_or_else(ApiError::path_not_found)?;
        let initial_events = watch_options
            .send_initial_events
            .unwrap_or(matches!(options.read_at, ReadAt::Latest | ReadAt::Any));
        let start = match (initial_events, options.read_at) {
            (true, read_at) => {
                self.catch_up(read_at).await?;
                Start::Snapshot
            }
            (false, read_at @ (ReadAt::Latest | ReadAt::Any)) => {
                self.catch_up(read_at).await?;
                Start::Now
            }
            (false, ReadAt::NotOlderThan(rv) | ReadAt::Exact(rv)) => Start::After(rv),
        };
        // A revision older than the cache's history still answers 200, then one ERROR (410).
        let subscription = self.cache.subscribe(start).map_err(|oldest| {
            let requested = match start {
                Start::After(rv) => rv,
                _ => oldest,
            };
            ApiError::expired(format!("too old resource version: {requested} ({oldest})"))
        });
        let timeout = watch_options
            .timeout_seconds
            .unwrap_or(DEFAULT_WATCH_SECONDS);
        let bookmarks = watch_options.bookmarks;
        let end_of_initial_events = bookmarks && watch_options.send_initial_events == Some(true);
        Ok(watch::respond(watch::Watch {
            renderer,
            options,
            subscription,
            timeout: Duration::from_secs(timeout),
            bookmarks,
            end_of_initial_events,
        }))
    }
}
