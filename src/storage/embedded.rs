//! [`Storage`] on an embedded redb database: one file, no external process.
//!
//! Every version of every key is kept in `history` under `(key, revision)`, so a list at a
//! past revision reads the newest version at or before it. `log` records which key each
//! revision wrote, which is what watches replay. Compaction drops the versions and log entries
//! that no read at or after the compacted revision can need.

use std::collections::{BTreeSet, VecDeque};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures::stream;
use redb::{AccessGuard, Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::broadcast;

use super::{
    Event, EventKind, KeyValue, ListPage, Notification, Result, Revision, Storage, StorageError,
    WatchStream,
};

/// `(key, revision) -> (create_revision, value)`; a `None` value marks a deletion.
const HISTORY: TableDefinition<HistoryKey, Version> = TableDefinition::new("history");
/// `revision -> key` written at that revision, for every revision after the compacted one.
const LOG: TableDefinition<u64, &str> = TableDefinition::new("log");
/// Counters, under the names below.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const REVISION: &str = "revision";
const COMPACTED: &str = "compacted";

type HistoryKey = (&'static str, u64);
type Version = (u64, Option<&'static [u8]>);

// Both are small in tests so that lagging and chunked replays are exercised.
/// Live events buffered per watcher before it lags and has to re-read the log.
const EVENT_BUFFER: usize = if cfg!(test) { 16 } else { 1024 };
/// Log entries read per transaction while a watch catches up.
const REPLAY_CHUNK: usize = if cfg!(test) { 8 } else { 256 };

pub struct EmbeddedStorage {
    db: Arc<Database>,
    /// Committed events, sent in revision order.
    events: broadcast::Sender<Arc<Event>>,
    /// Held by a writer from before its transaction until its event is sent, so that events
    /// are sent in revision order.
    write_lock: Arc<Mutex<()>>,
}

impl EmbeddedStorage {
    /// Opens (or creates) the database in `dir`. This does blocking I/O.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(internal)?;
        let db = Database::create(dir.join("foo.redb"))?;
        // Create the tables so that read transactions can always open them.
        let txn = db.begin_write()?;
        txn.open_table(HISTORY)?;
        txn.open_table(LOG)?;
        txn.open_table(META)?;
        txn.commit()?;
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Ok(Self {
            db: Arc::new(db),
            events,
            write_lock: Arc::default(),
        })
    }

    async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = self.db.clone();
        blocking(move || f(&db)).await
    }

    async fn write(&self, key: &str, op: Write) -> Result<KeyValue> {
        let (db, events, lock) = (
            self.db.clone(),
            self.events.clone(),
            self.write_lock.clone(),
        );
        let key = key.to_owned();
        blocking(move || {
            let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
            let event = write(&db, key, op)?;
            let kv = event.kv.clone();
            // An error only means nobody is watching.
            let _ = events.send(Arc::new(event));
            Ok(kv)
        })
        .await
    }
}

enum Write {
    Create(Vec<u8>),
    Update(Vec<u8>, Revision),
    Delete(Option<Revision>),
}

/// Applies `op` to `key` at the next revision and commits it (durably: redb's default
/// durability is `Immediate`).
fn write(db: &Database, key: String, op: Write) -> Result<Event> {
    let txn = db.begin_write()?;
    let event = {
        let mut meta = txn.open_table(META)?;
        let mut history = txn.open_table(HISTORY)?;
        let rev = current_revision_in(&meta)? + 1;
        let current = kv_at(&history, &key, Revision::MAX)?;
        let event = match (op, current) {
            (Write::Create(_), Some(_)) => return Err(StorageError::AlreadyExists(key)),
            (Write::Update(..) | Write::Delete(_), None) => {
                return Err(StorageError::NotFound(key));
            }
            (Write::Update(_, expected) | Write::Delete(Some(expected)), Some(current))
                if current.mod_revision != expected =>
            {
                return Err(StorageError::Conflict {
                    key,
                    current: Some(Box::new(current)),
                });
            }
            (Write::Create(value), None) => Event {
                kind: EventKind::Put,
                kv: KeyValue {
                    key,
                    value,
                    create_revision: rev,
                    mod_revision: rev,
                },
                prev: None,
            },
            (Write::Update(value, _), Some(current)) => Event {
                kind: EventKind::Put,
                kv: KeyValue {
                    key,
                    value,
                    create_revision: current.create_revision,
                    mod_revision: rev,
                },
                prev: Some(current),
            },
            (Write::Delete(_), Some(current)) => Event {
                kind: EventKind::Delete,
                kv: KeyValue {
                    mod_revision: rev,
                    ..current.clone()
                },
                prev: Some(current),
            },
        };
        let value = (event.kind == EventKind::Put).then_some(event.kv.value.as_slice());
        history.insert(
            (event.kv.key.as_str(), rev),
            (event.kv.create_revision, value),
        )?;
        txn.open_table(LOG)?.insert(rev, event.kv.key.as_str())?;
        meta.insert(REVISION, rev)?;
        event
    };
    txn.commit()?;
    Ok(event)
}

fn get(db: &Database, key: &str) -> Result<Option<KeyValue>> {
    let txn = db.begin_read()?;
    kv_at(&txn.open_table(HISTORY)?, key, Revision::MAX)
}

fn list(
    db: &Database,
    prefix: &str,
    revision: Option<Revision>,
    start_after: Option<&str>,
    limit: usize,
) -> Result<ListPage> {
    let txn = db.begin_read()?;
    let meta = txn.open_table(META)?;
    let current = current_revision_in(&meta)?;
    let compacted = read_meta(&meta, COMPACTED)?;
    let revision = revision.unwrap_or(current);
    if revision > current {
        return Err(StorageError::FutureRevision {
            requested: revision,
            current,
        });
    }
    if revision < compacted {
        return Err(StorageError::Compacted {
            requested: revision,
            compacted,
        });
    }
    let history = txn.open_table(HISTORY)?;
    let mut page = ListPage {
        items: Vec::new(),
        revision,
        remaining: 0,
    };
    // Visit each key once: seek to its newest version at `revision`, then past all its
    // versions to the next key.
    let mut previous = start_after
        .filter(|after| *after >= prefix)
        .map(str::to_owned);
    loop {
        let start = match &previous {
            Some(key) => Bound::Excluded((key.as_str(), u64::MAX)),
            None => Bound::Included((prefix, 0)),
        };
        let Some(entry) = history.range((start, Bound::Unbounded))?.next() else {
            break;
        };
        let key = entry?.0.value().0.to_owned();
        if !key.starts_with(prefix) {
            break;
        }
        if let Some((mod_revision, version)) = version_at(&history, &key, revision)?
            && let (create_revision, Some(value)) = version.value()
        {
            if page.items.len() < limit {
                page.items.push(KeyValue {
                    key: key.clone(),
                    value: value.to_vec(),
                    create_revision,
                    mod_revision,
                });
            } else {
                page.remaining += 1;
            }
        }
        previous = Some(key);
    }
    Ok(page)
}

fn compact(db: &Database, revision: Revision) -> Result<()> {
    let txn = db.begin_write()?;
    {
        let mut meta = txn.open_table(META)?;
        let current = current_revision_in(&meta)?;
        if revision > current {
            return Err(StorageError::FutureRevision {
                requested: revision,
                current,
            });
        }
        let compacted = read_meta(&meta, COMPACTED)?;
        if revision <= compacted {
            return Ok(());
        }
        // Only keys written since the last compaction can have versions to drop. Reading the
        // extracted log entries also removes them.
        let mut keys = BTreeSet::new();
        for entry in txn
            .open_table(LOG)?
            .extract_from_if(compacted + 1..=revision, |_, _| true)?
        {
            keys.insert(entry?.1.value().to_owned());
        }
        let mut history = txn.open_table(HISTORY)?;
        for key in &keys {
            // Lists at `revision` still need the newest version at or before it, unless it
            // is a deletion.
            let keep = version_at(&history, key, revision)?
                .and_then(|(rev, version)| version.value().1.map(|_| rev));
            history.retain_in(
                (key.as_str(), 0)..=(key.as_str(), revision),
                |(_, rev), _| Some(rev) == keep,
            )?;
        }
        meta.insert(COMPACTED, revision)?;
    }
    txn.commit()?;
    Ok(())
}

/// Up to `REPLAY_CHUNK` revisions after `after`: the events under `prefix` among them, the
/// last revision read, and whether that was the last one written.
fn read_log(db: &Database, prefix: &str, after: Revision) -> Result<(Vec<Event>, Revision, bool)> {
    let txn = db.begin_read()?;
    let compacted = read_meta(&txn.open_table(META)?, COMPACTED)?;
    if after < compacted {
        return Err(StorageError::Compacted {
            requested: after,
            compacted,
        });
    }
    let history = txn.open_table(HISTORY)?;
    let (mut events, mut last, mut read) = (Vec::new(), after, 0);
    for entry in txn
        .open_table(LOG)?
        .range((Bound::Excluded(after), Bound::Unbounded))?
        .take(REPLAY_CHUNK)
    {
        let (rev, key) = entry?;
        let (rev, key) = (rev.value(), key.value());
        if key.starts_with(prefix) {
            events.push(event_at(&history, key, rev)?);
        }
        last = rev;
        read += 1;
    }
    Ok((events, last, read < REPLAY_CHUNK))
}

/// The event that wrote `key` at `rev`.
fn event_at(
    history: &impl ReadableTable<HistoryKey, Version>,
    key: &str,
    rev: Revision,
) -> Result<Event> {
    let missing = || StorageError::Internal(format!("no version of {key} at revision {rev}"));
    let version = history.get((key, rev))?.ok_or_else(missing)?;
    let (create_revision, value) = version.value();
    let prev = kv_at(history, key, rev - 1)?;
    Ok(match value {
        Some(value) => Event {
            kind: EventKind::Put,
            kv: KeyValue {
                key: key.to_owned(),
                value: value.to_vec(),
                create_revision,
                mod_revision: rev,
            },
            prev,
        },
        None => {
            let prev = prev.ok_or_else(missing)?;
            Event {
                kind: EventKind::Delete,
                kv: KeyValue {
                    mod_revision: rev,
                    ..prev.clone()
                },
                prev: Some(prev),
            }
        }
    })
}

/// The value of `key` as of `rev`, if it existed then.
fn kv_at(
    history: &impl ReadableTable<HistoryKey, Version>,
    key: &str,
    rev: Revision,
) -> Result<Option<KeyValue>> {
    let Some((mod_revision, version)) = version_at(history, key, rev)? else {
        return Ok(None);
    };
    let (create_revision, value) = version.value();
    Ok(value.map(|value| KeyValue {
        key: key.to_owned(),
        value: value.to_vec(),
        create_revision,
        mod_revision,
    }))
}

/// The newest version of `key` at or before `rev`, deletions included, with its revision.
fn version_at<'t>(
    history: &'t impl ReadableTable<HistoryKey, Version>,
    key: &str,
    rev: Revision,
) -> Result<Option<(Revision, AccessGuard<'t, Version>)>> {
    match history.range((key, 0)..=(key, rev))?.next_back() {
        Some(entry) => {
            let (key, version) = entry?;
            Ok(Some((key.value().1, version)))
        }
        None => Ok(None),
    }
}

/// The store starts at revision 1, as etcd does, so that no list is ever at revision 0 (which
/// clients read as "any").
fn current_revision_in(meta: &impl ReadableTable<&'static str, u64>) -> Result<u64> {
    Ok(meta.get(REVISION)?.map_or(1, |value| value.value()))
}

fn read_meta(meta: &impl ReadableTable<&'static str, u64>, name: &str) -> Result<u64> {
    Ok(meta.get(name)?.map_or(0, |value| value.value()))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

fn internal(error: impl std::fmt::Display) -> StorageError {
    StorageError::Internal(error.to_string())
}

macro_rules! from_redb_errors {
    ($($error:ty),*) => {$(
        impl From<$error> for StorageError {
            fn from(error: $error) -> Self {
                internal(error)
            }
        }
    )*};
}

from_redb_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// A watch: replays the log until it has caught up, then forwards live events, falling back
/// to the log whenever it lags behind the broadcast.
struct Watcher {
    db: Arc<Database>,
    events: broadcast::Receiver<Arc<Event>>,
    prefix: String,
    /// Every revision up to this one has been delivered or skipped.
    last: Revision,
    catching_up: bool,
    pending: VecDeque<Event>,
}

impl Watcher {
    async fn next(&mut self) -> Option<Result<Event>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.catching_up {
                if let Err(error) = self.catch_up().await {
                    return Some(Err(error));
                }
                continue;
            }
            match self.events.recv().await {
                Ok(event) => {
                    // Events up to `last` were already read from the log.
                    if event.kv.mod_revision <= self.last {
                        continue;
                    }
                    self.last = event.kv.mod_revision;
                    if event.kv.key.starts_with(&self.prefix) {
                        return Some(Ok(Event::clone(&event)));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.catching_up = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    async fn catch_up(&mut self) -> Result<()> {
        let (db, prefix, after) = (self.db.clone(), self.prefix.clone(), self.last);
        let (events, last, caught_up) = blocking(move || read_log(&db, &prefix, after)).await?;
        self.pending.extend(events);
        self.last = last;
        self.catching_up = !caught_up;
        Ok(())
    }
}

#[async_trait]
impl Storage for EmbeddedStorage {
    async fn current_revision(&self) -> Result<Revision> {
        self.with_db(|db| current_revision_in(&db.begin_read()?.open_table(META)?))
            .await
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        self.with_db(|db| read_meta(&db.begin_read()?.open_table(META)?, COMPACTED))
            .await
    }

    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        let key = key.to_owned();
        self.with_db(move |db| get(db, &key)).await
    }

    async fn list(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        let prefix = prefix.to_owned();
        let start_after = start_after.map(str::to_owned);
        let limit = limit.unwrap_or(usize::MAX);
        self.with_db(move |db| list(db, &prefix, revision, start_after.as_deref(), limit))
            .await
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<KeyValue> {
        self.write(key, Write::Create(value)).await
    }

    async fn update(&self, key: &str, value: Vec<u8>, expected: Revision) -> Result<KeyValue> {
        self.write(key, Write::Update(value, expected)).await
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue> {
        self.write(key, Write::Delete(expected)).await
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        // Subscribe before reading the log: whatever commits after the read is broadcast to
        // this receiver.
        let mut watcher = Watcher {
            db: self.db.clone(),
            events: self.events.subscribe(),
            prefix: prefix.to_owned(),
            last: after,
            catching_up: true,
            pending: VecDeque::new(),
        };
        // The first read reports a compacted `after` from here rather than from the stream.
        watcher.catch_up().await?;
        Ok(Box::pin(stream::unfold(Some(watcher), |watcher| async {
            let mut watcher = watcher?;
            match watcher.next().await? {
                Ok(event) => Some((Ok(Notification::Event(event)), Some(watcher))),
                // The watch cannot go on: end the stream after the error.
                Err(error) => Some((Err(error), None)),
            }
        })))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        self.with_db(move |db| compact(db, revision)).await
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::storage::conformance;

    fn open() -> (tempfile::TempDir, EmbeddedStorage) {
        let dir = tempfile::tempdir().unwrap();
        let storage = EmbeddedStorage::open(dir.path()).unwrap();
        (dir, storage)
    }

    conformance::suite!(open());

    #[tokio::test]
    async fn reopen_keeps_data_and_revisions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested");
        let storage = EmbeddedStorage::open(&path).unwrap();
        let a = storage.create("/a", b"1".to_vec()).await.unwrap();
        let a = storage
            .update("/a", b"2".to_vec(), a.mod_revision)
            .await
            .unwrap();
        storage.create("/b", b"3".to_vec()).await.unwrap();
        storage.delete("/b", None).await.unwrap();
        storage.compact(3).await.unwrap();
        drop(storage);

        // An empty store is at revision 1, so the four writes are revisions 2 to 5.
        let storage = EmbeddedStorage::open(&path).unwrap();
        assert_eq!(storage.current_revision().await.unwrap(), 5);
        assert_eq!(storage.compacted_revision().await.unwrap(), 3);
        assert_eq!(storage.get("/a").await.unwrap(), Some(a.clone()));
        assert_eq!(storage.get("/b").await.unwrap(), None);
        let past = storage.list("/", Some(4), None, None).await.unwrap();
        assert_eq!(past.items.len(), 2);
        let c = storage.create("/c", Vec::new()).await.unwrap();
        assert_eq!(c.mod_revision, 6);
    }

    #[tokio::test]
    async fn compaction_overtaking_a_lagging_watch_ends_it() {
        let (_dir, storage) = open();
        let mut watch = storage.watch("/", 0).await.unwrap();
        for i in 0..EVENT_BUFFER * 2 {
            storage.create(&format!("/{i}"), Vec::new()).await.unwrap();
        }
        let current = storage.current_revision().await.unwrap();
        storage.compact(current).await.unwrap();
        let next = tokio::time::timeout(conformance::TIMEOUT, watch.next()).await;
        assert!(matches!(
            next,
            Ok(Some(Err(StorageError::Compacted { requested: 0, .. })))
        ));
        let end = tokio::time::timeout(conformance::TIMEOUT, watch.next()).await;
        assert!(matches!(end, Ok(None)));
    }
}
