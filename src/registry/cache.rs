//! The watch cache: one storage watch per kind feeds an in-memory copy of every object and a
//! bounded history of events, from which gets, lists and watches are served at a consistent
//! revision. N watchers cost one storage watch, and each object is serialized once.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use super::store::object_at;
use crate::storage::{EventKind, Notification, Revision, Storage};

/// Events a watcher may fall behind the others before it is closed (and resumes).
const WATCHER_BACKLOG: usize = 1_000;

/// An object at a revision, serialized at most once however many watchers send it.
pub struct Cached<T> {
    pub object: T,
    pub revision: Revision,
    json: OnceLock<Bytes>,
}

impl<T: Serialize> Cached<T> {
    pub(super) fn new(object: T, revision: Revision) -> Arc<Self> {
        Arc::new(Cached {
            object,
            revision,
            json: OnceLock::new(),
        })
    }

    /// The object's JSON.
    pub fn json(&self) -> Bytes {
        self.json
            .get_or_init(|| serde_json::to_vec(&self.object).unwrap_or_default().into())
            .clone()
    }
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
}

struct State<T> {
    /// The revision the objects are at.
    revision: Revision,
    objects: BTreeMap<String, Arc<Cached<T>>>,
    history: VecDeque<Arc<CachedEvent<T>>>,
    /// Watches may start from this revision or later.
    oldest: Revision,
    /// Live events for the watchers subscribed since the last (re)load.
    events: broadcast::Sender<Arc<CachedEvent<T>>>,
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
    pub replay: Vec<Arc<CachedEvent<T>>>,
    pub live: broadcast::Receiver<Arc<CachedEvent<T>>>,
}

pub struct Cache<T> {
    state: RwLock<State<T>>,
    /// How many events are kept for watches that resume from a past resourceVersion.
    history: usize,
    /// The revision the cache has reached, once it has loaded (`None` before).
    progress: watch::Sender<Option<Revision>>,
}

impl<T> Cache<T>
where
    T: kube::Resource + Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    /// A cache of the keys under `prefix`, fed by a task that lives as long as the cache.
    pub fn start(storage: Arc<dyn Storage>, prefix: String, history: usize) -> Arc<Self> {
        let cache = Arc::new(Cache {
            history,
            state: RwLock::new(State {
                revision: 0,
                objects: BTreeMap::new(),
                history: VecDeque::new(),
                oldest: 0,
                events: broadcast::channel(WATCHER_BACKLOG).0,
            }),
            progress: watch::channel(None).0,
        });
        tokio::spawn(feed(Arc::downgrade(&cache), storage, prefix));
        cache
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

    /// One object.
    pub fn get(&self, name: &str) -> Option<Arc<Cached<T>>> {
        self.read().objects.get(name).cloned()
    }

    /// Every object, in name order, and the revision they are at.
    pub fn snapshot(&self) -> (Vec<Arc<Cached<T>>>, Revision) {
        let state = self.read();
        (state.objects.values().cloned().collect(), state.revision)
    }

    /// Where a watch starts; `Err` with the oldest revision kept when `After` is older.
    pub fn subscribe(&self, start: Start) -> Result<Subscription<T>, Revision> {
        let state = self.read();
        // Subscribing under the lock: no event is both replayed and received live.
        let live = state.events.subscribe();
        let (revision, initial, replay) = match start {
            Start::Snapshot => (
                state.revision,
                state.objects.values().cloned().collect(),
                Vec::new(),
            ),
            Start::Now => (state.revision, Vec::new(), Vec::new()),
            Start::After(after) if after < state.oldest => return Err(state.oldest),
            Start::After(after) => (
                after,
                Vec::new(),
                state
                    .history
                    .iter()
                    .filter(|e| e.revision() > after)
                    .cloned()
                    .collect(),
            ),
        };
        Ok(Subscription {
            revision,
            initial,
            replay,
            live,
        })
    }

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

    /// Replaces the contents with a fresh list (at start, and after losing the storage watch).
    fn load(&self, objects: BTreeMap<String, Arc<Cached<T>>>, revision: Revision) {
        let mut state = self.write();
        state.objects = objects;
        state.revision = revision;
        // History before a relist cannot be trusted to be complete, and watchers may have
        // missed changes: they are closed (a new sender drops the old one), and resume or
        // get 410 Gone and relist, as kube-apiserver's watch cache does.
        state.history.clear();
        state.oldest = revision;
        state.events = broadcast::channel(WATCHER_BACKLOG).0;
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
        let name = object.object.meta().name.clone().unwrap_or_default();
        let prev = match kind {
            EventKind::Delete => state.objects.remove(&name),
            EventKind::Put => state.objects.insert(name, object.clone()),
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
        state.history.push_back(event.clone());
        if state.history.len() > self.history
            && let Some(dropped) = state.history.pop_front()
        {
            state.oldest = dropped.revision();
        }
        // Sent under the lock, so that live events follow a subscription's snapshot in order.
        let _ = state.events.send(event);
        self.progress.send_replace(Some(state.revision));
    }
}

/// Keeps the cache in step with storage: list, then watch from the list's revision; on any
/// failure, list again.
async fn feed<T>(cache: std::sync::Weak<Cache<T>>, storage: Arc<dyn Storage>, prefix: String)
where
    T: kube::Resource + Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
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
    T: kube::Resource + Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let page = storage
        .list(prefix, None, None, None)
        .await
        .map_err(|e| e.to_string())?;
    let mut objects = BTreeMap::new();
    for kv in &page.items {
        let object: T = object_at(kv).map_err(|e| e.message)?;
        let name = object.meta().name.clone().unwrap_or_default();
        objects.insert(name, Cached::new(object, kv.mod_revision));
    }
    let mut events = storage
        .watch(prefix, page.revision)
        .await
        .map_err(|e| e.to_string())?;
    match cache.upgrade() {
        Some(cache) => cache.load(objects, page.revision),
        None => return Ok(()),
    }
    while let Some(notification) = events.next().await {
        let notification = notification.map_err(|e| e.to_string())?;
        let Some(cache) = cache.upgrade() else {
            return Ok(());
        };
        match notification {
            Notification::Event(event) => {
                let object: T = object_at(&event.kv).map_err(|e| e.message)?;
                cache.apply(&event.kind, Cached::new(object, event.kv.mod_revision));
            }
            Notification::Progress(revision) => cache.advance(revision),
        }
    }
    Err("the storage watch ended".into())
}
