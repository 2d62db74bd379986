//! The watch cache: one storage watch per kind feeds an in-memory copy of every object and a
//! bounded history of events, from which gets, lists and watches are served at a consistent
//! revision. N watchers cost one storage watch, and each object is serialized once.
//!
//! Watchers read the history itself, each at its own pace: a slow watcher holds nothing the
//! history does not, and is cut off once the history has dropped what it has not sent yet.

use std::collections::{BTreeMap, VecDeque};
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use kube::Resource;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::sync::watch;

use super::object::{Decode, ObjectId, object_at};
use crate::request::ListOptions;
use crate::status::ApiError;
use crate::storage::{EventKind, KeyValue, Notification, Revision, Storage};

/// Events a watcher takes from the history at a time, and their stored size (past which it
/// takes no more): what a watcher whose client stopped reading keeps alive.
const BATCH_EVENTS: usize = 64;
const BATCH_BYTES: usize = 1 << 20;

/// An object at a revision as the cache keeps it: its JSON, serialized once for every reader
/// (gets, lists and watchers write these bytes as they are), and what selectors look at. The
/// typed object is decoded again only where one is needed (a Table's cells): typed, an
/// object's managed fields alone take several times its JSON.
pub struct Cached<T> {
    pub revision: Revision,
    json: Bytes,
    /// Where the value of `metadata` lies in `json`.
    metadata: Range<usize>,
    namespace: Option<Box<str>>,
    name: Box<str>,
    /// In key order.
    labels: Box<[(Box<str>, Box<str>)]>,
    /// The size of the object as stored, which the history's byte bound counts.
    stored_bytes: usize,
    kind: PhantomData<fn() -> T>,
}

impl<T: Resource + Serialize + DeserializeOwned> Cached<T> {
    pub fn new(object: &T, revision: Revision, stored_bytes: usize) -> Result<Arc<Self>, ApiError> {
        // Sized to the object as stored, and cut to its length: a grown Vec's spare room
        // would stay allocated as long as the object is cached.
        let mut json = Vec::with_capacity(stored_bytes + 64);
        serde_json::to_writer(&mut json, object).map_err(ApiError::internal)?;
        let json = json.into_boxed_slice();
        let metadata = metadata_range(&json)?;
        let meta = object.meta();
        let labels = meta.labels.iter().flatten();
        Ok(Arc::new(Cached {
            revision,
            json: Bytes::from(json),
            metadata,
            namespace: meta.namespace.as_deref().map(Into::into),
            name: meta.name.as_deref().unwrap_or_default().into(),
            labels: labels
                .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
                .collect(),
            stored_bytes,
            kind: PhantomData,
        }))
    }

    /// The typed object, decoded from its JSON.
    pub fn decode(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.json).map_err(ApiError::internal)
    }
}

impl<T> Cached<T> {
    /// The object's JSON.
    pub fn json(&self) -> &Bytes {
        &self.json
    }

    /// The JSON of the object's `metadata`.
    pub fn metadata_json(&self) -> &[u8] {
        &self.json[self.metadata.clone()]
    }

    /// The values of `fields` (dotted paths to scalars) as field selectors compare them:
    /// strings as they are, numbers and booleans written out, anything else "".
    pub fn field_values(&self, fields: &[&str]) -> Vec<String> {
        if fields.is_empty() {
            return Vec::new();
        }
        let Ok(object) = serde_json::from_slice::<serde_json::Value>(&self.json) else {
            return vec![String::new(); fields.len()];
        };
        fields
            .iter()
            .map(|field| {
                let value = field.split('.').try_fold(&object, |v, key| v.get(key));
                match value {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(v @ (serde_json::Value::Bool(_) | serde_json::Value::Number(_))) => {
                        v.to_string()
                    }
                    _ => String::new(),
                }
            })
            .collect()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace of an object of a namespaced kind.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Where the object is within its kind (see [`ObjectId::path`]): what the cache indexes
    /// and orders it by.
    pub fn path(&self) -> String {
        ObjectId {
            namespace: self.namespace(),
            name: &self.name,
        }
        .path()
    }

    /// Whether the object is in a list's or watch's namespace and passes its label and field
    /// selectors.
    pub fn is_selected(&self, options: &ListOptions) -> bool {
        if options
            .namespace
            .as_deref()
            .is_some_and(|namespace| self.namespace() != Some(namespace))
        {
            return false;
        }
        let labels_match = options
            .labels
            .as_ref()
            .is_none_or(|s| s.matches(|key| self.label(key)));
        let fields_match = options.fields.as_ref().is_none_or(|s| {
            let own: Vec<&str> = s
                .requirements()
                .map(|(field, _, _)| field)
                .filter(|field| !field.starts_with("metadata."))
                .collect();
            let values = self.field_values(&own);
            s.matches(|field| match field {
                "metadata.name" => Some(self.name()),
                "metadata.namespace" => Some(self.namespace().unwrap_or_default()),
                _ => own
                    .iter()
                    .position(|f| *f == field)
                    .map(|i| values[i].as_str()),
            })
        });
        labels_match && fields_match
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        let found = self.labels.binary_search_by(|(k, _)| (**k).cmp(key));
        found.ok().map(|at| &*self.labels[at].1)
    }

    /// The size of the object as stored.
    pub fn stored_bytes(&self) -> usize {
        self.stored_bytes
    }
}

/// Where the value of `metadata` lies in an object's JSON.
fn metadata_range(json: &[u8]) -> Result<Range<usize>, ApiError> {
    #[derive(Deserialize)]
    struct Parts<'a> {
        #[serde(borrow)]
        metadata: &'a RawValue,
    }
    let parts: Parts = serde_json::from_slice(json).map_err(ApiError::internal)?;
    let value = parts.metadata.get();
    let start = value.as_ptr() as usize - json.as_ptr() as usize;
    Ok(start..start + value.len())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

/// One change, as every watcher receives it.
pub struct CachedEvent<T> {
    pub change: Change,
    /// The object after the change (for a deletion: its last state, at the deleting revision).
    pub object: Arc<Cached<T>>,
    /// The object before the change.
    pub prev: Option<Arc<Cached<T>>>,
}

impl<T> CachedEvent<T> {
    pub fn revision(&self) -> Revision {
        self.object.revision
    }

    /// What keeping this event in the history costs, at most (the previous object may be
    /// shared with an older event).
    fn stored_bytes(&self) -> usize {
        self.object.stored_bytes + self.prev.as_ref().map_or(0, |prev| prev.stored_bytes)
    }
}

/// How much history the cache keeps for watches, whichever bound is reached first.
#[derive(Clone, Copy, Debug)]
pub struct HistoryLimit {
    /// The number of events.
    pub events: usize,
    /// The stored size of the events' objects.
    pub bytes: usize,
}

struct State<T> {
    /// The revision the objects are at.
    revision: Revision,
    objects: BTreeMap<String, Arc<Cached<T>>>,
    history: VecDeque<Arc<CachedEvent<T>>>,
    /// The `stored_bytes` of the events in `history`.
    history_bytes: usize,
    /// Watches may start from this revision or later.
    oldest: Revision,
    /// Counts (re)loads: a watcher subscribed before the last one may have missed changes.
    generation: u64,
}

/// Where a watch starts.
#[derive(Clone, Copy, Debug)]
pub enum Start {
    /// Every object as it is now (sent as ADDED), then the changes.
    Snapshot,
    /// The changes from now on.
    Now,
    /// The changes after a revision.
    After(Revision),
}

/// What a watch starts from: the objects at a revision (if asked) and the changes after it.
pub struct Subscription<T> {
    pub revision: Revision,
    pub initial: Vec<Arc<Cached<T>>>,
    pub changes: Changes<T>,
}

/// One watcher's place in the history.
pub struct Changes<T> {
    cache: Arc<Cache<T>>,
    generation: u64,
    /// The revision of the last change taken.
    after: Revision,
    progress: watch::Receiver<Option<Revision>>,
}

impl<T> Changes<T> {
    /// The next changes, waiting for some; `None` once this watcher must stop: the history
    /// has dropped changes it had not taken yet, or the cache relisted (it resumes, or gets
    /// 410 Gone and relists, as with kube-apiserver's watch cache).
    pub async fn next(&mut self) -> Option<Vec<Arc<CachedEvent<T>>>> {
        loop {
            self.progress.borrow_and_update();
            {
                let state = self.cache.read();
                if state.generation != self.generation || self.after < state.oldest {
                    return None;
                }
                let start = state
                    .history
                    .partition_point(|e| e.revision() <= self.after);
                let mut bytes = 0;
                let batch: Vec<_> = (state.history.range(start..))
                    .take_while(|event| {
                        let room = bytes < BATCH_BYTES;
                        bytes += event.stored_bytes();
                        room
                    })
                    .take(BATCH_EVENTS)
                    .cloned()
                    .collect();
                if let Some(last) = batch.last() {
                    self.after = last.revision();
                    return Some(batch);
                }
            }
            self.progress.changed().await.ok()?;
        }
    }
}

pub struct Cache<T> {
    state: RwLock<State<T>>,
    limit: HistoryLimit,
    /// The revision the cache has reached, once it has loaded (`None` before).
    progress: watch::Sender<Option<Revision>>,
    /// How objects are read from storage.
    decode: Decode<T>,
}

impl<T> Cache<T> {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State<T>> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State<T>> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<T> Cache<T>
where
    T: Resource + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    /// A cache of the keys under `prefix`, read with `decode`, fed by a task that lives as
    /// long as the cache.
    pub fn start(
        storage: Arc<dyn Storage>,
        prefix: String,
        limit: HistoryLimit,
        decode: Decode<T>,
    ) -> Arc<Self> {
        let cache = Arc::new(Cache {
            limit,
            decode,
            state: RwLock::new(State {
                revision: 0,
                objects: BTreeMap::new(),
                history: VecDeque::new(),
                history_bytes: 0,
                oldest: 0,
                generation: 0,
            }),
            progress: watch::channel(None).0,
        });
        tokio::spawn(feed(Arc::downgrade(&cache), storage, prefix));
        cache
    }

    /// A stored object as the cache keeps it.
    pub fn cached_at(&self, kv: &KeyValue) -> Result<Arc<Cached<T>>, ApiError> {
        cached_at(kv, &self.decode)
    }

    /// How many objects the cache holds.
    pub fn object_count(&self) -> usize {
        self.read().objects.len()
    }

    /// Waits up to `within` until the cache has seen `revision`; whether it has.
    pub async fn wait_for(&self, revision: Revision, within: Duration) -> bool {
        let mut progress = self.progress.subscribe();
        let reached = progress.wait_for(|seen| seen.is_some_and(|seen| seen >= revision));
        matches!(tokio::time::timeout(within, reached).await, Ok(Ok(_)))
    }

    /// One object, by its [`ObjectId::path`].
    pub fn get(&self, path: &str) -> Option<Arc<Cached<T>>> {
        self.read().objects.get(path).cloned()
    }

    /// Every object (of one namespace, when given), in key order, and the revision they are
    /// at.
    pub fn snapshot(&self, namespace: Option<&str>) -> (Vec<Arc<Cached<T>>>, Revision) {
        let state = self.read();
        let objects = match namespace {
            None => state.objects.values().cloned().collect(),
            Some(namespace) => {
                let prefix = format!("{namespace}/");
                let after = state.objects.range(prefix.clone()..);
                after
                    .take_while(|(path, _)| path.starts_with(&prefix))
                    .map(|(_, object)| object.clone())
                    .collect()
            }
        };
        (objects, state.revision)
    }

    /// Where a watch starts; `Err` with the oldest revision kept when `After` is older.
    pub fn subscribe(self: &Arc<Self>, start: Start) -> Result<Subscription<T>, Revision> {
        let state = self.read();
        let (revision, initial) = match start {
            Start::Snapshot => (state.revision, state.objects.values().cloned().collect()),
            Start::Now => (state.revision, Vec::new()),
            Start::After(after) if after < state.oldest => return Err(state.oldest),
            Start::After(after) => (after, Vec::new()),
        };
        let changes = Changes {
            cache: self.clone(),
            generation: state.generation,
            after: revision,
            progress: self.progress.subscribe(),
        };
        Ok(Subscription {
            revision,
            initial,
            changes,
        })
    }

    /// Replaces the contents with a fresh list (at start, and after losing the storage watch).
    fn load(&self, objects: BTreeMap<String, Arc<Cached<T>>>, revision: Revision) {
        let mut state = self.write();
        state.objects = objects;
        state.revision = revision;
        // History before a relist cannot be trusted to be complete, and watchers may have
        // missed changes: they stop (see `Changes::next`).
        state.history.clear();
        state.history_bytes = 0;
        state.oldest = revision;
        state.generation += 1;
        self.progress.send_replace(Some(revision));
    }

    /// Moves the cache on to `revision`, which storage reported with no change here before it.
    fn advance(&self, revision: Revision) {
        let mut state = self.write();
        if revision > state.revision {
            state.revision = revision;
            self.progress.send_replace(Some(revision));
        }
    }

    /// Records one storage change; the event's `prev` is the object the cache held.
    fn apply(&self, kind: &EventKind, object: Arc<Cached<T>>) {
        let mut state = self.write();
        let path = object.path();
        let prev = match kind {
            EventKind::Delete => state.objects.remove(&path),
            EventKind::Put => state.objects.insert(path, object.clone()),
        };
        let change = match (kind, &prev) {
            (EventKind::Delete, _) => Change::Deleted,
            (EventKind::Put, None) => Change::Added,
            (EventKind::Put, Some(_)) => Change::Modified,
        };
        let event = Arc::new(CachedEvent {
            change,
            object,
            prev,
        });
        state.revision = event.revision();
        state.history_bytes += event.stored_bytes();
        state.history.push_back(event);
        while state.history.len() > self.limit.events
            || (state.history_bytes > self.limit.bytes && state.history.len() > 1)
        {
            let Some(dropped) = state.history.pop_front() else {
                break;
            };
            state.history_bytes -= dropped.stored_bytes();
            state.oldest = dropped.revision();
        }
        self.progress.send_replace(Some(state.revision));
    }
}

/// Keeps the cache in step with storage: list, then watch from the list's revision; on any
/// failure, list again.
async fn feed<T>(cache: std::sync::Weak<Cache<T>>, storage: Arc<dyn Storage>, prefix: String)
where
    T: Resource + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let mut backoff = Duration::from_millis(100);
    loop {
        if let Err(e) = follow(&cache, storage.as_ref(), &prefix).await {
            tracing::warn!("watch cache for {prefix} lost its storage watch: {e}; relisting");
        }
        if cache.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

async fn follow<T>(
    cache: &std::sync::Weak<Cache<T>>,
    storage: &dyn Storage,
    prefix: &str,
) -> Result<(), String>
where
    T: Resource + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let Some(decode) = cache.upgrade().map(|cache| cache.decode.clone()) else {
        return Ok(());
    };
    let page = storage
        .list(prefix, None, None, None)
        .await
        .map_err(|e| e.to_string())?;
    let revision = page.revision;
    let mut objects = BTreeMap::new();
    // Each stored value is freed once its object is cached, so that the cache grows into the
    // memory the list gives back rather than beside all of it.
    for kv in page.items {
        let cached = cached_at(&kv, &decode).map_err(|e| e.message)?;
        objects.insert(cached.path(), cached);
    }
    let mut events = storage
        .watch(prefix, revision)
        .await
        .map_err(|e| e.to_string())?;
    match cache.upgrade() {
        Some(cache) => {
            cache.load(objects, revision);
            // The list was a transient as large as the cache.
            crate::memory::release_free_memory();
        }
        None => return Ok(()),
    }
    while let Some(notification) = events.next().await {
        let notification = notification.map_err(|e| e.to_string())?;
        let Some(cache) = cache.upgrade() else {
            return Ok(());
        };
        match notification {
            Notification::Event(event) => {
                let cached = cached_at(&event.kv, &decode).map_err(|e| e.message)?;
                cache.apply(&event.kind, cached);
            }
            Notification::Progress(revision) => cache.advance(revision),
        }
    }
    Err("the storage watch ended".into())
}

/// A stored object as the cache keeps it.
fn cached_at<T>(kv: &KeyValue, decode: &Decode<T>) -> Result<Arc<Cached<T>>, ApiError>
where
    T: Resource + Serialize + DeserializeOwned,
{
    Cached::new(&object_at(kv, &**decode)?, kv.mod_revision, kv.value.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use foo_sdk::Foo;

    #[test]
    fn a_cached_object_keeps_its_json_its_metadata_and_its_labels() {
        let foo: Foo = serde_json::from_value(serde_json::json!({
            "apiVersion": "demo.jeremyxu2010.me/v1beta1",
            "kind": "Foo",
            "metadata": {"name": "a", "resourceVersion": "7", "labels": {"b": "2", "a": "1"}},
            "spec": {"greeting": "hi {\"metadata\": 1}"},
        }))
        .unwrap();
        let cached = Cached::new(&foo, 7, 100).unwrap();
        assert_eq!(**cached.json(), serde_json::to_vec(&foo).unwrap());
        let metadata = &serde_json::to_value(&foo).unwrap()["metadata"];
        assert_eq!(
            cached.metadata_json(),
            serde_json::to_vec(metadata).unwrap()
        );
        assert_eq!(cached.name(), "a");
        assert_eq!(
            ["a", "b", "c"].map(|key| cached.label(key)),
            [Some("1"), Some("2"), None]
        );
        assert_eq!(cached.decode().unwrap(), foo);
        assert_eq!((cached.revision, cached.stored_bytes()), (7, 100));
    }
}
