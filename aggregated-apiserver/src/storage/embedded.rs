//! [`Storage`] on an embedded redb database: one file, no external process.
//!
//! Every version of every key is kept in `history` under `(key, revision)`, so a list at a
//! past revision reads the newest version at or before it. `log` records which key each
//! revision wrote, which is what watches replay. Compaction drops the versions and log entries
//! that no read at or after the compacted revision can need.
//!
//! Writes are committed in groups so that concurrent writers share each durable commit. A
//! writer queues its write to the committer thread and waits for the answer; the committer
//! takes what is queued (up to a bound), applies it in order in one transaction, each write at
//! the next revision and seeing the ones before it, commits, and only then answers the writers
//! and broadcasts the events in revision order. Meanwhile the next group gathers in the queue.

use std::collections::{BTreeSet, VecDeque};
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use async_trait::async_trait;
use futures::stream;
use redb::{AccessGuard, Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::{broadcast, oneshot};

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
/// redb's page cache (its default is 1 GiB): reads are mostly served by the watch cache
/// above, so the store's own pages need little memory of their own.
const PAGE_CACHE_BYTES: usize = 16 << 20;
/// Live events buffered per watcher before it lags and has to re-read the log.
const EVENT_BUFFER: usize = if cfg!(test) { 16 } else { 1024 };
/// Log entries read per transaction while a watch catches up.
const REPLAY_CHUNK: usize = if cfg!(test) { 8 } else { 256 };
/// Bounds on a group of writes committed together: the first one is always taken.
const GROUP_WRITES: usize = 1_000;
const GROUP_BYTES: usize = 4 << 20;

/// [`Storage`] kept in a local redb file, for running without an etcd cluster.
pub struct EmbeddedStorage {
    db: Arc<Database>,
    /// Committed events, sent in revision order (by the committer alone).
    events: broadcast::Sender<Arc<Event>>,
    /// The last revision committed whose event has been broadcast: what a watch started now
    /// is sure to see, and so the current revision.
    revision: Arc<AtomicU64>,
    /// Writes waiting for the committer.
    queue: mpsc::Sender<Queued>,
    committer: Option<thread::JoinHandle<()>>,
}

struct Queued {
    key: String,
    write: Write,
    answer: oneshot::Sender<Result<KeyValue>>,
}

impl EmbeddedStorage {
    /// Opens (or creates) the database file `path`, and the directories above it. This
    /// does blocking I/O.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(internal)?;
        }
        let db = Database::builder()
            .set_cache_size(PAGE_CACHE_BYTES)
            .create(path)?;
        // Create the tables so that read transactions can always open them.
        let txn = db.begin_write()?;
        txn.open_table(HISTORY)?;
        txn.open_table(LOG)?;
        txn.open_table(META)?;
        txn.commit()?;
        let revision = current_revision_in(&db.begin_read()?.open_table(META)?)?;
        let revision = Arc::new(AtomicU64::new(revision));
        let db = Arc::new(db);
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (queue, queued) = mpsc::channel();
        let committer = {
            let (db, events, revision) = (db.clone(), events.clone(), revision.clone());
            thread::Builder::new()
                .name("redb-committer".into())
                .spawn(move || commit_groups(&db, &events, &revision, &queued))
                .map_err(internal)?
        };
        Ok(Self {
            db,
            events,
            revision,
            queue,
            committer: Some(committer),
        })
    }

    async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = self.db.clone();
        blocking(move || f(&db)).await
    }

    /// Queues a write and waits for its commit. Once queued, it is committed or not whether
    /// or not anyone still waits for the answer.
    async fn write(&self, key: &str, write: Write) -> Result<KeyValue> {
        let (answer, answered) = oneshot::channel();
        let queued = Queued {
            key: key.to_owned(),
            write,
            answer,
        };
        let stopped = || StorageError::Internal("the committer has stopped".into());
        self.queue.send(queued).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

impl Drop for EmbeddedStorage {
    fn drop(&mut self) {
        // Closing the queue stops the committer once it has committed what was queued; waiting
        // for it releases the database, so that it can be opened again at once.
        self.queue = mpsc::channel().0;
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
    }
}

enum Write {
    Create(Vec<u8>),
    Update(Vec<u8>, Revision),
    Delete(Option<Revision>),
}

impl Write {
    fn bytes(&self) -> usize {
        match self {
            Write::Create(value) | Write::Update(value, _) => value.len(),
            Write::Delete(_) => 0,
        }
    }
}

/// The committer: commits what is queued, a group at a time, until the queue is closed.
fn commit_groups(
    db: &Database,
    events: &broadcast::Sender<Arc<Event>>,
    revision: &AtomicU64,
    queue: &mpsc::Receiver<Queued>,
) {
    while let Ok(first) = queue.recv() {
        let mut bytes = first.write.bytes();
        let mut group = vec![first];
        while group.len() < GROUP_WRITES
            && bytes < GROUP_BYTES
            && let Ok(next) = queue.try_recv()
        {
            bytes += next.write.bytes();
            group.push(next);
        }
        let (writes, answers): (Vec<_>, Vec<_>) = group
            .into_iter()
            .map(|queued| ((queued.key, queued.write), queued.answer))
            .unzip();
        let outcomes = apply(db, writes).unwrap_or_else(|error| vec![Err(error); answers.len()]);
        // An answer or event that nobody waits for any more is dropped.
        for (outcome, answer) in outcomes.into_iter().zip(answers) {
            let _ = answer.send(outcome.map(|event| {
                let kv = event.kv.clone();
                let _ = events.send(Arc::new(event));
                revision.store(kv.mod_revision, Ordering::Release);
                kv
            }));
        }
    }
}

/// Applies `writes` in order in one transaction, each at the next revision and seeing the
/// ones before it, and commits them durably (redb's default durability is `Immediate`): the
/// event of each, or why its precondition failed. A database error fails them all, as nothing
/// is committed then.
fn apply(db: &Database, writes: Vec<(String, Write)>) -> Result<Vec<Result<Event>>> {
    let txn = db.begin_write()?;
    let mut outcomes = Vec::with_capacity(writes.len());
    {
        let mut meta = txn.open_table(META)?;
        let mut history = txn.open_table(HISTORY)?;
        let mut log = txn.open_table(LOG)?;
        let mut rev = current_revision_in(&meta)?;
        for (key, write) in writes {
            let current = kv_at(&history, &key, Revision::MAX)?;
            let outcome = event_for(key, write, current, rev + 1);
            if let Ok(event) = &outcome {
                rev += 1;
                let value = (event.kind == EventKind::Put).then_some(event.kv.value.as_slice());
                history.insert(
                    (event.kv.key.as_str(), rev),
                    (event.kv.create_revision, value),
                )?;
                log.insert(rev, event.kv.key.as_str())?;
            }
            outcomes.push(outcome);
        }
        meta.insert(REVISION, rev)?;
    }
    if outcomes.iter().any(Result::is_ok) {
        txn.commit()?;
    }
    Ok(outcomes)
}

/// The event of `write` to `key`, now at `current`, at revision `rev`, if its precondition
/// holds.
fn event_for(key: String, write: Write, current: Option<KeyValue>, rev: Revision) -> Result<Event> {
    Ok(match (write, current) {
        (Write::Create(_), Some(_)) => return Err(StorageError::AlreadyExists(key)),
        (Write::Update(..) | Write::Delete(_), None) => return Err(StorageError::NotFound(key)),
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
    })
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
    pending: VecDeque<Notification>,
}

impl Watcher {
    /// The next event, or the progress past a revision that wrote elsewhere (so that a cache
    /// following this watch knows it is current: see [`Storage::request_progress`]).
    async fn next(&mut self) -> Option<Result<Notification>> {
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
                    return Some(Ok(if event.kv.key.starts_with(&self.prefix) {
                        Notification::Event(Event::clone(&event))
                    } else {
                        Notification::Progress(self.last)
                    }));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.catching_up = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    async fn catch_up(&mut self) -> Result<()> {
        let (db, prefix, after) = (self.db.clone(), self.prefix.clone(), self.last);
        let (events, last, caught_up) = blocking(move || read_log(&db, &prefix, after)).await?;
        let reached = events.last().map_or(after, |event| event.kv.mod_revision);
        self.pending
            .extend(events.into_iter().map(Notification::Event));
        if last > reached {
            self.pending.push_back(Notification::Progress(last));
        }
        self.last = last;
        self.catching_up = !caught_up;
        Ok(())
    }
}

#[async_trait]
impl Storage for EmbeddedStorage {
    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.revision.load(Ordering::Acquire))
    }

    fn written_revision(&self) -> Revision {
        self.revision.load(Ordering::Acquire)
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

    async fn list_keys(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        // The values are read with the keys here anyway: local reads cost no transfer.
        self.list(prefix, revision, start_after, limit).await
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

    fn request_progress(&self) -> bool {
        // Watches report progress past every revision that wrote elsewhere, unasked.
        true
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
                Ok(notification) => Some((Ok(notification), Some(watcher))),
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
        let storage = EmbeddedStorage::open(&dir.path().join("db.redb")).unwrap();
        (dir, storage)
    }

    conformance::suite!(open());

    /// What lets a cache serve consistent reads: the current revision is reported to a watch
    /// of another prefix, as progress, both live and when replayed from the log.
    #[tokio::test]
    async fn watches_report_progress_past_writes_elsewhere() {
        let (_dir, storage) = open();
        assert!(storage.request_progress());
        let mut live = storage.watch("/a/", 1).await.unwrap();
        storage.create("/b/1", b"1".to_vec()).await.unwrap();
        let current = storage.current_revision().await.unwrap();
        assert_eq!(current, 2);
        assert_eq!(
            live.next().await.unwrap().unwrap(),
            Notification::Progress(current)
        );
        let mut replayed = storage.watch("/a/", 1).await.unwrap();
        assert_eq!(
            replayed.next().await.unwrap().unwrap(),
            Notification::Progress(current)
        );
    }

    #[tokio::test]
    async fn reopen_keeps_data_and_revisions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("db.redb");
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

    #[test]
    fn a_group_applies_in_order_and_fails_writes_alone() {
        let (_dir, storage) = open();
        let write = |key: &str, write| (key.to_owned(), write);
        let outcomes = apply(
            &storage.db,
            vec![
                write("/a", Write::Create(b"1".to_vec())),
                write("/a", Write::Create(b"x".to_vec())),
                write("/a", Write::Update(b"2".to_vec(), 2)),
                write("/a", Write::Update(b"x".to_vec(), 2)),
                write("/b", Write::Delete(None)),
                write("/a", Write::Delete(Some(3))),
                write("/a", Write::Create(b"3".to_vec())),
            ],
        )
        .unwrap();
        let kv = |value: &[u8], create_revision, mod_revision| KeyValue {
            key: "/a".into(),
            value: value.to_vec(),
            create_revision,
            mod_revision,
        };
        let results: Vec<_> = outcomes
            .into_iter()
            .map(|outcome| outcome.map(|event| event.kv))
            .collect();
        assert_eq!(
            results,
            [
                Ok(kv(b"1", 2, 2)),
                Err(StorageError::AlreadyExists("/a".into())),
                Ok(kv(b"2", 2, 3)),
                Err(StorageError::Conflict {
                    key: "/a".into(),
                    current: Some(Box::new(kv(b"2", 2, 3))),
                }),
                Err(StorageError::NotFound("/b".into())),
                Ok(kv(b"2", 2, 4)),
                Ok(kv(b"3", 5, 5)),
            ]
        );
        let revision =
            current_revision_in(&storage.db.begin_read().unwrap().open_table(META).unwrap());
        assert_eq!(revision.unwrap(), 5);
        // A group whose writes all fail takes no revision.
        let outcomes = apply(&storage.db, vec![write("/b", Write::Delete(None))]).unwrap();
        assert!(outcomes[0].is_err());
        let revision =
            current_revision_in(&storage.db.begin_read().unwrap().open_table(META).unwrap());
        assert_eq!(revision.unwrap(), 5);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_writes_get_consecutive_revisions_and_events_in_order() {
        let (_dir, storage) = open();
        let storage = Arc::new(storage);
        let mut watch = storage.watch("/", 1).await.unwrap();
        let writes = (0..64).map(|i| {
            let storage = storage.clone();
            tokio::spawn(async move {
                let created = storage.create(&format!("/{}", i % 8), Vec::new()).await;
                match created {
                    Ok(kv) => vec![kv],
                    Err(StorageError::AlreadyExists(_)) => Vec::new(),
                    Err(error) => panic!("{error}"),
                }
            })
        });
        let mut acknowledged: Vec<_> = futures::future::join_all(writes)
            .await
            .into_iter()
            .flat_map(|kvs| kvs.unwrap())
            .collect();
        acknowledged.sort_by_key(|kv| kv.mod_revision);
        let revisions: Vec<_> = acknowledged.iter().map(|kv| kv.mod_revision).collect();
        assert_eq!(revisions, (2..10).collect::<Vec<_>>());
        for kv in acknowledged {
            let next = tokio::time::timeout(conformance::TIMEOUT, watch.next()).await;
            let Ok(Some(Ok(Notification::Event(event)))) = next else {
                panic!("no event for {kv:?}");
            };
            assert_eq!(event.kv, kv);
        }
    }

    #[tokio::test]
    async fn a_write_whose_waiter_is_gone_still_commits() {
        let (_dir, storage) = open();
        // The first poll queues the write; the future is dropped before it is answered.
        let create = storage.create("/gone", b"1".to_vec());
        assert!(futures::FutureExt::now_or_never(create).is_none());
        let next = storage.create("/next", Vec::new()).await.unwrap();
        assert_eq!(next.mod_revision, 3);
        let gone = storage.get("/gone").await.unwrap().unwrap();
        assert_eq!((gone.value, gone.mod_revision), (b"1".to_vec(), 2));
    }
}
