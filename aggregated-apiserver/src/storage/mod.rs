//! Revisioned key-value storage, the shape etcd gives: every write gets the next revision of
//! one global counter, updates are compare-and-swap on the key's last revision, lists can be
//! read at a past revision, and watches replay history from a revision until it is compacted.
//! Keys and values are opaque here; the registry above stores serialized objects.

#[cfg(test)]
mod conformance;
mod embedded;
mod etcd;
mod timed;

pub use embedded::EmbeddedStorage;
pub use etcd::{EtcdConfig, EtcdStorage};
pub(crate) use timed::Timed;

use async_trait::async_trait;
use futures::stream::BoxStream;

/// A global, strictly increasing write counter; an object's `resourceVersion`.
pub type Revision = u64;

/// One key with its value as of some revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    /// The full storage key, e.g. `/registry/<group>/<plural>/<name>`.
    pub key: String,
    /// The stored bytes (a serialized object); empty when a keys-only list left it out.
    pub value: Vec<u8>,
    /// The revision that created the key.
    pub create_revision: Revision,
    /// The revision that last wrote the key.
    pub mod_revision: Revision,
}

/// A page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPage {
    /// Keys in byte order.
    pub items: Vec<KeyValue>,
    /// The revision the page was read at.
    pub revision: Revision,
    /// How many keys under the prefix come after this page (0 when complete).
    pub remaining: u64,
}

/// Whether an [`Event`] wrote or removed its key, as etcd's `mvccpb.Event.EventType`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The key was created or updated.
    Put,
    /// The key was deleted; the event carries its last value.
    Delete,
}

/// A change, in revision order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Whether the key was put or deleted.
    pub kind: EventKind,
    /// For `Put` the new value; for `Delete` the value it had, with `mod_revision` set to the
    /// deleting revision.
    pub kv: KeyValue,
    /// The value before this change (`None` when the key was created).
    pub prev: Option<KeyValue>,
}

/// Why a storage operation failed; the registry turns each into the API `Status` that
/// kube-apiserver answers for it (409 Conflict, 404, 410 Expired, 504, 500).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// A create found the key already present.
    #[error("key {0} already exists")]
    AlreadyExists(String),
    /// The key does not exist.
    #[error("key {0} not found")]
    NotFound(String),
    /// A compare-and-swap lost: the key is now at `current` (`None`: it no longer exists).
    #[error("key {key} was modified concurrently")]
    Conflict {
        /// The key that was written.
        key: String,
        /// The key's value now, which the writer can retry against.
        current: Option<Box<KeyValue>>,
    },
    /// The revision asked for is older than the oldest one still kept.
    #[error("required revision {requested} has been compacted (oldest kept: {compacted})")]
    Compacted {
        /// The revision the read or watch asked for.
        requested: Revision,
        /// The compacted revision: the oldest still readable.
        compacted: Revision,
    },
    /// The revision asked for has not been written yet.
    #[error("required revision {requested} is in the future (current: {current})")]
    FutureRevision {
        /// The revision the read asked for.
        requested: Revision,
        /// The latest revision written.
        current: Revision,
    },
    /// Any other failure of the backend (I/O, database or etcd client error).
    #[error("storage failure: {0}")]
    Internal(String),
}

/// The result of a storage operation.
pub type Result<T> = std::result::Result<T, StorageError>;

/// What a watch reports, in revision order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notification {
    /// A change under the watched prefix.
    Event(Event),
    /// Every change under the watched prefix up to this revision has been reported: revisions
    /// are global, so writes elsewhere in the store move it on without an event here. (etcd
    /// sends these periodically, at its `--experimental-watch-progress-notify-interval`.)
    Progress(Revision),
}

/// A watch's notifications; it ends with an error item if the watch cannot go on (for example
/// when the watcher fell behind compaction).
pub type WatchStream = BoxStream<'static, Result<Notification>>;

/// A revisioned key-value store with etcd's semantics (MVCC revisions, compare-and-swap
/// updates, lists at a revision, watches from a revision); embedded or etcd.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// The latest revision written (1 for an empty store, as etcd starts).
    async fn current_revision(&self) -> Result<Revision>;

    /// The oldest revision that lists and watches can still start from.
    async fn compacted_revision(&self) -> Result<Revision>;

    /// The current value of `key`.
    async fn get(&self, key: &str) -> Result<Option<KeyValue>>;

    /// Keys under `prefix` as of `revision` (the current one when `None`), in byte order,
    /// starting strictly after `start_after`, at most `limit` of them.
    async fn list(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage>;

    /// [`list`](Storage::list), where the values may be left out (empty), for a reader that
    /// holds the objects already and needs only to learn which keys are at which revision.
    async fn list_keys(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage>;

    /// Creates `key`; `AlreadyExists` if it exists.
    async fn create(&self, key: &str, value: Vec<u8>) -> Result<KeyValue>;

    /// Replaces `key` if it is still at `expected` (its `mod_revision`); `Conflict` otherwise,
    /// `NotFound` if it does not exist.
    async fn update(&self, key: &str, value: Vec<u8>, expected: Revision) -> Result<KeyValue>;

    /// Deletes `key` (if still at `expected`, when given) and returns its last value with
    /// `mod_revision` set to the deleting revision.
    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue>;

    /// The newest revision written through this value, known without asking storage (0 when
    /// not tracked): a read of any revision (`resourceVersion=0`) waits briefly for the watch
    /// cache to reach it, so that what a client reads next holds the writes it was answered.
    fn written_revision(&self) -> Revision {
        0
    }

    /// Asks every watch to report, soon, its progress up to the current revision (a
    /// `Progress` notification, or the events), so that a cache following a watch can tell
    /// it holds every write acknowledged before the call; `false` when this storage cannot do
    /// that safely, and a read that must be consistent reads storage instead.
    fn request_progress(&self) -> bool {
        false
    }

    /// Every change under `prefix` after `after` (exclusive), then live changes, in order.
    /// `Compacted` when `after` is older than the compacted revision.
    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream>;

    /// Forgets history up to `revision`: lists and watches from older revisions fail with
    /// `Compacted` afterwards.
    async fn compact(&self, revision: Revision) -> Result<()>;
}
