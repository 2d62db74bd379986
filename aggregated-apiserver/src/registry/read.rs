//! Reads: get, list and watch, served from the watch cache at a consistent revision, and
//! from storage for an exact past revision, the next page of a paginated list, or a revision
//! the cache has not reached yet.

use std::sync::Arc;
use std::time::Duration;

use super::cache::{Cached, Start};
use super::object::ObjectId;
use super::store::{CONTINUE_EXPIRED, ListResult, Store};
use super::watch::Watch;
use super::{Strategy, Style};
use crate::request::{ListOptions, Query, ReadAt, parse_revision};
use crate::status::ApiError;
use crate::storage::{KeyValue, Revision, StorageError};

/// How long a read waits for the cache to show a revision storage already has before it
/// reads storage instead.
const CACHE_GRACE: Duration = Duration::from_millis(100);
/// How long a consistent read waits for the cache to catch up with storage, once storage was
/// asked to report progress, before it reads storage instead (as kube-apiserver's).
const CONSISTENT_READ_WAIT: Duration = Duration::from_secs(3);
/// How long a read waits for a revision not written yet before a 504, as kube-apiserver's
/// watch cache answers "Too large resource version".
const FUTURE_REVISION_WAIT: Duration = Duration::from_secs(3);

/// Where a read is served from.
#[derive(Clone, Copy)]
enum Source {
    /// The watch cache, which has reached the revision the read asks for.
    Cache,
    /// Storage, at this revision (`None`: its latest, read with the data). The cache follows
    /// storage through one watch of this kind's keys, so it can lag: a write just
    /// acknowledged by another replica, or a revision moved on by writes elsewhere in a
    /// shared etcd, is not in it yet.
    Storage(Option<Revision>),
}

impl<S: Strategy> Store<S> {
    /// Where to serve what `read_at` asks for (not for `Exact` lists, served from storage).
    async fn source(&self, read_at: ReadAt) -> Result<Source, ApiError> {
        let wanted = match read_at {
            // The cache, once it holds what this process has written (its watch trails the
            // writes by moments), so that a client reads its acknowledged writes.
            ReadAt::Any => {
                let written = self.storage.written_revision();
                self.cache.wait_for(written, CACHE_GRACE).await;
                return Ok(Source::Cache);
            }
            // A consistent read: from the cache once it has caught up with the revision
            // storage has now, which it can tell only from storage that reports progress
            // when asked; from storage otherwise (one read, not a wait on the cache).
            ReadAt::Latest if !self.storage.request_progress() => {
                return Ok(Source::Storage(None));
            }
            ReadAt::Latest => {
                let current = self.current_revision().await?;
                return Ok(
                    match self.cache.wait_for(current, CONSISTENT_READ_WAIT).await {
                        true => Source::Cache,
                        false => Source::Storage(Some(current)),
                    },
                );
            }
            ReadAt::NotOlderThan(revision) | ReadAt::Exact(revision) => revision,
        };
        if self.cache.wait_for(wanted, CACHE_GRACE).await {
            return Ok(Source::Cache);
        }
        let current = self.current_revision().await?;
        if wanted <= current {
            return Ok(Source::Storage(Some(current)));
        }
        if self.cache.wait_for(wanted, FUTURE_REVISION_WAIT).await {
            return Ok(Source::Cache);
        }
        Err(ApiError::too_large_resource_version(wanted, current))
    }

    async fn current_revision(&self) -> Result<Revision, ApiError> {
        self.storage
            .current_revision()
            .await
            .map_err(|e| self.storage_error("", e))
    }

    pub(crate) async fn get(
        &self,
        id: ObjectId<'_>,
        query: &Query,
    ) -> Result<Arc<Cached<S::Object>>, ApiError> {
        let read_at = match query.get("resourceVersion").filter(|rv| !rv.is_empty()) {
            None => ReadAt::Latest,
            Some("0") => ReadAt::Any,
            Some(rv) => ReadAt::NotOlderThan(parse_revision(rv)?),
        };
        match self.source(read_at).await? {
            Source::Cache => self
                .cache
                .get(&id.path())
                .ok_or_else(|| ApiError::not_found(self.strategy.info(), id.name)),
            Source::Storage(_) => {
                let stored = self.storage.get(&self.key(id)).await;
                match stored.map_err(|e| self.storage_error(id.name, e))? {
                    Some(kv) => self.read_stored(&kv),
                    None => Err(ApiError::not_found(self.strategy.info(), id.name)),
                }
            }
        }
    }

    /// Refuses a field selector that names a field the kind cannot select on, in the words of
    /// the Go conversion that would: a typed kind with no fields of its own has
    /// apimachinery's default one (`DefaultMetaV1FieldSelectorConversion`).
    fn check_field_selector(&self, options: &ListOptions) -> Result<(), ApiError> {
        const META_FIELDS: [&str; 2] = ["metadata.name", "metadata.namespace"];
        let Some(fields) = &options.fields else {
            return Ok(());
        };
        let info = self.info();
        let message = if self.strategy.style() == Style::Typed && info.selectable_fields.is_empty()
        {
            fields.unsupported_field(&META_FIELDS).map(|field| {
                format!("\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
            })
        } else {
            let supported = info.field_selector_fields();
            (fields.unsupported_field(&supported))
                .map(|field| format!("field label not supported: {field}"))
        };
        message.map_or(Ok(()), |m| Err(ApiError::bad_request(m)))
    }

    pub(crate) async fn list(
        &self,
        options: &ListOptions,
    ) -> Result<ListResult<S::Object>, ApiError> {
        self.check_field_selector(options)?;
        if let Some(from) = &options.continue_from {
            return self
                .list_from_storage(options, Some(from.revision), Some(from.after.clone()))
                .await;
        }
        if let ReadAt::Exact(revision) = options.read_at {
            return self.list_from_storage(options, Some(revision), None).await;
        }
        if let Source::Storage(revision) = self.source(options.read_at).await? {
            return self.list_from_storage(options, revision, None).await;
        }
        let (objects, revision) = self.cache.snapshot(options.namespace.as_deref());
        let filtered = options.labels.is_some() || options.fields.is_some();
        let mut items = Vec::new();
        for (i, cached) in objects.iter().enumerate() {
            if cached.is_selected(options) {
                items.push(cached.clone());
            }
            if options.limit.is_some_and(|limit| items.len() >= limit) {
                let last = cached.path();
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

    /// A list read page by page from storage, at `revision` (`None`: the latest, which the
    /// first page fixes for the others).
    async fn list_from_storage(
        &self,
        options: &ListOptions,
        mut revision: Option<Revision>,
        mut after: Option<String>,
    ) -> Result<ListResult<S::Object>, ApiError> {
        let filtered = options.labels.is_some() || options.fields.is_some();
        let mut items = Vec::new();
        loop {
            let after_key = after
                .as_deref()
                .map(|path| format!("{}{path}", self.prefix));
            let storage_error = |e| match (e, &options.continue_from) {
                (StorageError::Compacted { .. }, Some(_)) => ApiError::expired(CONTINUE_EXPIRED),
                (e, _) => self.storage_error("", e),
            };
            let prefix = self.list_prefix(options.namespace.as_deref());
            let page = self
                .page(
                    &prefix,
                    revision,
                    after_key.as_deref(),
                    options.limit,
                    storage_error,
                )
                .await?;
            revision = Some(page.revision);
            let page_len = page.objects.len();
            for (i, object) in page.objects.into_iter().enumerate() {
                after = Some(object.path());
                if object.is_selected(options) {
                    items.push(object);
                }
                if options.limit.is_some_and(|limit| items.len() >= limit) {
                    let last = after.unwrap_or_default();
                    let remaining = page.remaining + (page_len - i - 1) as u64;
                    return Ok(ListResult::limited(
                        items,
                        page.revision,
                        last,
                        remaining,
                        filtered,
                    ));
                }
            }
            if page.remaining == 0 || page_len == 0 {
                return Ok(ListResult {
                    items,
                    revision: page.revision,
                    continue_from: None,
                    remaining: None,
                });
            }
        }
    }

    /// A page of objects read from storage at `revision` (`None`: its latest). Storage is
    /// asked first for the keys and their revisions alone: the cache holds most objects at
    /// those revisions already, and their values are read only when it does not.
    async fn page(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
        storage_error: impl Fn(StorageError) -> ApiError,
    ) -> Result<Page<S::Object>, ApiError> {
        let keys = (self.storage)
            .list_keys(prefix, revision, start_after, limit)
            .await
            .map_err(&storage_error)?;
        let cached: Option<Vec<_>> = keys.items.iter().map(|kv| self.cached_at(kv)).collect();
        // A stored object is never empty: an empty value is one storage left out.
        let with_values = keys.items.iter().all(|kv| !kv.value.is_empty());
        let objects = match cached {
            Some(objects) => objects,
            None if with_values => self.read_all(&keys.items)?,
            None => {
                let at = Some(keys.revision);
                let stored = (self.storage)
                    .list(prefix, at, start_after, limit)
                    .await
                    .map_err(storage_error)?;
                self.read_all(&stored.items)?
            }
        };
        Ok(Page {
            objects,
            revision: keys.revision,
            remaining: keys.remaining,
        })
    }

    /// `watch=true`: the objects first when the request asks for them (no resourceVersion,
    /// `0`, or `sendInitialEvents=true`), then every change, as newline-delimited events.
    pub(crate) async fn watch(&self, options: ListOptions) -> Result<Watch<S::Object>, ApiError> {
        self.check_field_selector(&options)?;
        let watch_options = options
            .watch
            .as_ref()
            .ok_or_else(ApiError::path_not_found)?;
        let initial_events = watch_options
            .send_initial_events
            .unwrap_or(matches!(options.read_at, ReadAt::Latest | ReadAt::Any));
        let (start, initial) = match (initial_events, options.read_at) {
            (_, read_at @ (ReadAt::Latest | ReadAt::Any)) | (true, read_at) => {
                match self.source(read_at).await? {
                    Source::Cache if initial_events => (Start::Snapshot, None),
                    Source::Cache => (Start::Now, None),
                    Source::Storage(revision) if initial_events => {
                        let (objects, revision) = self.objects_at(revision).await?;
                        (Start::After(revision), Some(objects))
                    }
                    Source::Storage(Some(revision)) => (Start::After(revision), None),
                    Source::Storage(None) => (Start::After(self.current_revision().await?), None),
                }
            }
            // A revision not written yet is waited for briefly, then answered 504.
            (false, ReadAt::NotOlderThan(rv) | ReadAt::Exact(rv)) => {
                self.source(ReadAt::NotOlderThan(rv)).await?;
                (Start::After(rv), None)
            }
        };
        // A subscription made before the cache's first load would end at that load.
        if !self.cache.wait_for(0, FUTURE_REVISION_WAIT).await {
            return Err(ApiError::initializing());
        }
        // A revision older than the cache's history still answers 200, then one ERROR (410).
        let subscription = self
            .cache
            .subscribe(start)
            .map(|mut subscription| {
                if let Some(initial) = initial {
                    subscription.initial = initial;
                }
                subscription
            })
            .map_err(|oldest| {
                let requested = match start {
                    Start::After(rv) => rv,
                    _ => oldest,
                };
                ApiError::expired(format!("too old resource version: {requested} ({oldest})"))
            });
        // Without timeoutSeconds (or with 0), a random time in [min, 2×min) as kube, so that
        // watchers do not all come back at once.
        let timeout = match watch_options.timeout_seconds {
            Some(seconds) if seconds > 0 => Duration::from_secs(seconds),
            _ => Duration::from_secs(self.min_watch_seconds).mul_f64(1.0 + fastrand::f64()),
        };
        let bookmarks = watch_options.bookmarks;
        let end_of_initial_events = bookmarks && watch_options.send_initial_events == Some(true);
        Ok(Watch::new(
            options,
            subscription,
            timeout,
            bookmarks,
            end_of_initial_events,
        ))
    }

    /// An object read from storage, decoded once: the cache's copy when it holds this very
    /// revision (as it does unless the object changed a moment ago).
    fn read_stored(&self, kv: &KeyValue) -> Result<Arc<Cached<S::Object>>, ApiError> {
        self.cached_at(kv)
            .map_or_else(|| self.cache.cached_at(kv), Ok)
    }

    fn read_all(&self, kvs: &[KeyValue]) -> Result<Vec<Arc<Cached<S::Object>>>, ApiError> {
        kvs.iter().map(|kv| self.read_stored(kv)).collect()
    }

    /// The cache's copy of the object at `kv`'s key and revision, if it holds that one.
    fn cached_at(&self, kv: &KeyValue) -> Option<Arc<Cached<S::Object>>> {
        let path = kv.key.strip_prefix(&self.prefix).unwrap_or_default();
        let cached = self.cache.get(path)?;
        (cached.revision == kv.mod_revision).then_some(cached)
    }

    /// Every object at `revision` (`None`: the latest), read from storage, and the revision.
    async fn objects_at(
        &self,
        revision: Option<Revision>,
    ) -> Result<(Vec<Arc<Cached<S::Object>>>, Revision), ApiError> {
        let page = self
            .page(&self.prefix, revision, None, None, |e| {
                self.storage_error("", e)
            })
            .await?;
        Ok((page.objects, page.revision))
    }
}

/// A page of objects read from storage.
struct Page<T> {
    objects: Vec<Arc<Cached<T>>>,
    revision: Revision,
    /// How many keys come after the page.
    remaining: u64,
}
