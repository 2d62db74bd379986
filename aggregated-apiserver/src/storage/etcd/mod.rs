//! [`Storage`] on an etcd v3 cluster.
//!
//! The trait has etcd's shape, so the mapping is direct: a `resourceVersion` is etcd's
//! `mod_revision`, writes are transactions that compare the key's create or mod revision,
//! lists are ranges at a revision, and watches are etcd watches with `prev_kv`. Keys are the
//! caller's, unchanged (the registry passes full keys, its prefix included).
//!
//! Three things etcd does not give directly:
//! - the compacted revision: a range at revision 1 fails once anything was compacted, and
//!   then a watch from revision 1 is refused at once with the compacted revision;
//! - a watch from a compacted revision fails only asynchronously, so [`Storage::watch`] reads
//!   at the start revision first to report it from the call;
//! - a watch stream breaks with its member: the backend opens it again on the next endpoint,
//!   from the last revision it delivered, for as long as the consumer holds the stream.
//!
//! Gets that arrive together are read together, in one read-only transaction (`gets.rs`).

mod client;
mod gets;
mod proto;

#[cfg(test)]
#[path = "../../../../tests/common/etcd.rs"]
mod launcher;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep};
use tonic::{Code, Status};

use self::client::{Client, chain};
use self::gets::Gets;
use self::proto::{
    CompactionRequest, Compare, CompareResult, CompareTarget, DeleteRangeRequest,
    DeleteRangeResponse, EventType, PutRequest, PutResponse, RangeRequest, RequestOp, TxnRequest,
    TxnResponse, WatchCreateRequest, compare, request_op, response_op,
};
use super::{
    Event, EventKind, KeyValue, ListPage, Notification, Result, Revision, Storage, StorageError,
    WatchStream,
};

/// How long [`EtcdStorage::connect`] waits for an endpoint to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Events a watch holds for a slow consumer before it stops reading from etcd (which keeps
/// the history meanwhile).
const WATCH_BUFFER: usize = 256;
const WATCH_FIRST_BACKOFF: Duration = Duration::from_millis(100);
const WATCH_MAX_BACKOFF: Duration = Duration::from_secs(2);
/// A key for requests that only want the response header. etcd keys cannot be empty.
const ANY_KEY: &[u8] = b"\0";

/// Where the etcd cluster is and how to authenticate to it.
#[derive(Clone, Debug, Default)]
pub struct EtcdConfig {
    /// Client URLs, `http://host:port` or `https://host:port`.
    pub endpoints: Vec<String>,
    /// CA bundle that signed the servers' certificates (for https; the system's roots
    /// otherwise).
    pub ca_file: Option<PathBuf>,
    /// Client certificate and its key, when etcd requires one.
    pub cert_file: Option<PathBuf>,
    /// The private key of `cert_file`.
    pub key_file: Option<PathBuf>,
}

/// [`Storage`] on etcd; cheap to clone.
#[derive(Clone)]
pub struct EtcdStorage {
    client: Arc<Client>,
    gets: Gets,
}

impl EtcdStorage {
    /// Connects to the cluster; fails if no endpoint answers a read within 20 s, or at once if
    /// every endpoint refuses TLS (an untrusted server, a missing or refused client
    /// certificate).
    pub async fn connect(config: &EtcdConfig) -> Result<EtcdStorage> {
        let client = Client::new(config).map_err(StorageError::Internal)?;
        let deadline = Instant::now() + CONNECT_TIMEOUT;
        let read = client.range(header_only(), Some(deadline));
        let diagnose = async {
            loop {
                // Give the read a head start: most of the time there is nothing to diagnose.
                sleep(Duration::from_millis(500)).await;
                let mut problems = Vec::new();
                for url in &config.endpoints {
                    match client::tls_problem(config, url).await {
                        Some(problem) => problems.push(format!("{url}: {problem}")),
                        None => break,
                    }
                }
                if problems.len() == config.endpoints.len() {
                    return problems.join("; ");
                }
            }
        };
        tokio::select! {
            read = read => match read {
                Ok(_) => Ok(EtcdStorage {
                    client: Arc::new(client),
                    gets: Gets::default(),
                }),
                Err(status) if transient(&status) => Err(StorageError::Internal(format!(
                    "no etcd endpoint of {} answered within {CONNECT_TIMEOUT:?}: {}",
                    client.endpoints(),
                    chain(&status)
                ))),
                Err(status) => Err(StorageError::Internal(format!(
                    "etcd at {}: {}",
                    client.endpoints(),
                    chain(&status)
                ))),
            },
            problem = diagnose => Err(StorageError::Internal(format!(
                "TLS with etcd failed (check --etcd-cafile, --etcd-certfile and \
                 --etcd-keyfile): {problem}"
            ))),
        }
    }

    /// A page of a list, its values left out when `keys_only`.
    async fn list_page(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
        keys_only: bool,
    ) -> Result<ListPage> {
        let (mut key, range_end) = prefix_range(prefix);
        if let Some(after) = start_after {
            let mut next = after.as_bytes().to_vec();
            next.push(0);
            key = key.max(next);
        }
        // Revision 0 is "the current one" to etcd; the store is as empty at 0 as at 1.
        let at = revision.map_or(0, |revision| revision.max(1));
        let request = RangeRequest {
            key,
            range_end,
            revision: signed(at)?,
            limit: match limit {
                Some(limit) => i64::try_from(limit).unwrap_or(i64::MAX),
                None => 0,
            },
            // etcd reads a limit of 0 as no limit.
            count_only: limit == Some(0),
            keys_only,
            ..Default::default()
        };
        let response = self.range(request, revision.unwrap_or(0)).await?;
        let revision = match revision {
            Some(revision) => revision,
            None => header_revision(response.header.as_ref())?,
        };
        let items = response
            .kvs
            .into_iter()
            .map(key_value)
            .collect::<Result<Vec<_>>>()?;
        // `count` is every key in the range asked for, this page included.
        let remaining = u64::try_from(response.count)
            .unwrap_or(0)
            .saturating_sub(items.len() as u64);
        Ok(ListPage {
            items,
            revision,
            remaining,
        })
    }

    async fn range(
        &self,
        request: RangeRequest,
        requested: Revision,
    ) -> Result<proto::RangeResponse> {
        match self.client.range(request, None).await {
            Ok(response) => Ok(response),
            Err(status) => Err(self.read_error(status, requested).await),
        }
    }

    /// The error for a failed read at `requested`.
    async fn read_error(&self, status: Status, requested: Revision) -> StorageError {
        if compacted(&status) {
            match self.compacted_revision().await {
                Ok(compacted) => StorageError::Compacted {
                    requested,
                    compacted,
                },
                Err(error) => error,
            }
        } else if future(&status) {
            match self.current_revision().await {
                Ok(current) => StorageError::FutureRevision { requested, current },
                Err(error) => error,
            }
        } else {
            internal(&status)
        }
    }

    async fn txn(&self, key: &str, request: TxnRequest) -> Result<TxnResponse> {
        self.client.txn(request).await.map_err(|status| {
            let may_have_applied = if client::never_applied(&status) {
                ""
            } else {
                " (it may or may not have been applied)"
            };
            StorageError::Internal(format!(
                "etcd: writing {key} failed{may_have_applied}: {}",
                chain(&status)
            ))
        })
    }

    /// Writes `key` with `write` if every comparison holds: the revision written at and the
    /// write's response; `Conflict` or `NotFound` (from the key read when a comparison fails)
    /// otherwise.
    async fn compare_and_write(
        &self,
        key: &str,
        compare: Vec<Compare>,
        write: request_op::Request,
    ) -> Result<(Revision, Option<response_op::Response>)> {
        let request = TxnRequest {
            compare,
            success: vec![RequestOp {
                request: Some(write),
            }],
            failure: vec![get_op(key)],
        };
        let mut response = self.txn(key, request).await?;
        if !response.succeeded {
            return Err(lost_compare(key, &mut response)?);
        }
        let revision = header_revision(response.header.as_ref())?;
        let written = response.responses.into_iter().next();
        Ok((revision, written.and_then(|op| op.response)))
    }

    /// The compacted revision from a watch from revision 1, which etcd cancels at once,
    /// with its compacted revision, when that is greater than 1.
    async fn compacted_revision_from_watch(&self) -> Result<Revision> {
        let deadline = Instant::now() + client::RETRY_FOR;
        let mut last_error = String::new();
        while Instant::now() < deadline {
            let create = WatchCreateRequest {
                key: ANY_KEY.to_vec(),
                start_revision: 1,
                ..Default::default()
            };
            let mut watch = match self.client.watch(create).await {
                Ok(watch) => watch,
                Err(status) => {
                    last_error = chain(&status);
                    sleep(WATCH_FIRST_BACKOFF).await;
                    continue;
                }
            };
            loop {
                match tokio::time::timeout_at(deadline, watch.message()).await {
                    Ok(Ok(Some(response))) if response.compact_revision > 0 => {
                        return Ok(revision(response.compact_revision));
                    }
                    Ok(Ok(Some(response))) if response.canceled => {
                        last_error = format!("watch canceled: {}", response.cancel_reason);
                        break;
                    }
                    Ok(Ok(Some(_))) => {}
                    Ok(Ok(None)) => {
                        last_error = "watch ended".into();
                        break;
                    }
                    Ok(Err(status)) => {
                        last_error = chain(&status);
                        self.client.failed(watch.member());
                        break;
                    }
                    Err(_) => {
                        last_error = "etcd did not say".into();
                        break;
                    }
                }
            }
        }
        Err(StorageError::Internal(format!(
            "etcd: reading the compacted revision: {last_error}"
        )))
    }
}

#[async_trait]
impl Storage for EtcdStorage {
    async fn current_revision(&self) -> Result<Revision> {
        let response = self.range(header_only(), 0).await?;
        header_revision(response.header.as_ref())
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        // etcd keeps revision 1 (the empty store) until it compacts past it.
        let at_first = RangeRequest {
            revision: 1,
            ..header_only()
        };
        match self.client.range(at_first, None).await {
            Ok(_) => Ok(0),
            Err(status) if compacted(&status) => self.compacted_revision_from_watch().await,
            Err(status) => Err(internal(&status)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        self.gets.get(&self.client, key).await
    }

    async fn list(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        self.list_page(prefix, revision, start_after, limit, false)
            .await
    }

    async fn list_keys(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        self.list_page(prefix, revision, start_after, limit, true)
            .await
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<KeyValue> {
        let request = TxnRequest {
            compare: vec![compare_create(key, CompareResult::Equal, 0)],
            success: vec![put(key, value.clone())],
            failure: Vec::new(),
        };
        let response = self.txn(key, request).await?;
        if !response.succeeded {
            return Err(StorageError::AlreadyExists(key.to_owned()));
        }
        let revision = header_revision(response.header.as_ref())?;
        Ok(KeyValue {
            key: key.to_owned(),
            value,
            create_revision: revision,
            mod_revision: revision,
        })
    }

    async fn update(&self, key: &str, value: Vec<u8>, expected: Revision) -> Result<KeyValue> {
        // A missing key has mod_revision 0: check that it exists too.
        let compare = vec![
            compare_create(key, CompareResult::Greater, 0),
            compare_mod(key, signed(expected)?),
        ];
        let put = request_op::Request::Put(PutRequest {
            prev_kv: true,
            ..put_request(key, value.clone())
        });
        let (revision, response) = self.compare_and_write(key, compare, put).await?;
        let Some(response_op::Response::Put(PutResponse {
            prev_kv: Some(previous),
            ..
        })) = response
        else {
            return Err(missing(key, "the previous value of an update"));
        };
        Ok(KeyValue {
            key: key.to_owned(),
            value,
            create_revision: self::revision(previous.create_revision),
            mod_revision: revision,
        })
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue> {
        let mut compare = vec![compare_create(key, CompareResult::Greater, 0)];
        if let Some(expected) = expected {
            compare.push(compare_mod(key, signed(expected)?));
        }
        let delete = request_op::Request::DeleteRange(DeleteRangeRequest {
            key: key.as_bytes().to_vec(),
            prev_kv: true,
            ..Default::default()
        });
        let (revision, response) = self.compare_and_write(key, compare, delete).await?;
        let Some(response_op::Response::DeleteRange(DeleteRangeResponse { prev_kvs, .. })) =
            response
        else {
            return Err(missing(key, "the deleted value"));
        };
        let deleted = prev_kvs
            .into_iter()
            .next()
            .ok_or_else(|| missing(key, "the deleted value"))?;
        Ok(KeyValue {
            mod_revision: revision,
            ..key_value(deleted)?
        })
    }

    fn request_progress(&self) -> bool {
        // etcd answers progress requests on a watch stream, but releases before 3.4.31 and
        // 3.5.13 could report a revision ahead of events not sent yet (as kube-apiserver
        // checks), and those are what Debian ships: consistent reads go to etcd.
        false
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        // etcd refuses a watch from a compacted revision only after accepting it; a read at
        // `after` tells now. (A future `after` is fine: the watch waits for it.)
        let check = RangeRequest {
            revision: signed(after.max(1))?,
            ..header_only()
        };
        if let Err(status) = self.client.range(check, None).await
            && !future(&status)
        {
            return Err(self.read_error(status, after).await);
        }
        let (events, receiver) = mpsc::channel(WATCH_BUFFER);
        let watcher = Watcher {
            storage: self.clone(),
            prefix: prefix.to_owned(),
            last: after,
            events,
            backoff: WATCH_FIRST_BACKOFF,
        };
        tokio::spawn(watcher.run());
        Ok(Box::pin(stream::unfold(receiver, |mut receiver| async {
            let event = receiver.recv().await?;
            Some((event, receiver))
        })))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        if revision == 0 {
            return Ok(());
        }
        let request = CompactionRequest {
            revision: signed(revision)?,
            physical: false,
        };
        match self.client.compact(request).await {
            Ok(_) => Ok(()),
            // Compacting to a revision at or before the compacted one changes nothing.
            Err(status) if compacted(&status) => Ok(()),
            Err(status) => Err(self.read_error(status, revision).await),
        }
    }
}

/// One watch: follows an etcd watch stream, and opens it again (on the next endpoint, after a
/// backoff) from the last revision delivered whenever it breaks, until the consumer drops
/// the stream or the watch cannot go on.
struct Watcher {
    storage: EtcdStorage,
    prefix: String,
    /// Every event up to this revision has been delivered.
    last: Revision,
    events: mpsc::Sender<Result<Notification>>,
    backoff: Duration,
}

/// Why a watch stream stopped.
enum Stop {
    /// Its consumer is gone, or it got its last item (an error).
    Done,
    /// The stream broke; the watch goes on on another one.
    Lost {
        member: Option<usize>,
        reason: String,
    },
}

impl Watcher {
    async fn run(mut self) {
        let events = self.events.clone();
        loop {
            let stop = tokio::select! {
                _ = events.closed() => return,
                stop = self.follow() => stop,
            };
            let Stop::Lost { member, reason } = stop else {
                return;
            };
            // (A watch that could not be opened has moved the endpoint on already.)
            let endpoint = member.map(|member| {
                self.storage.client.failed(member);
                self.storage.client.url(member).to_owned()
            });
            tracing::warn!(
                prefix = self.prefix,
                endpoint,
                resume_from = self.last + 1,
                "etcd watch lost ({reason}); re-creating it"
            );
            tokio::select! {
                _ = events.closed() => return,
                _ = sleep(self.backoff) => {}
            }
            self.backoff = (self.backoff * 2).min(WATCH_MAX_BACKOFF);
        }
    }

    /// Opens a watch from `last` and delivers its events until it stops.
    async fn follow(&mut self) -> Stop {
        let (key, range_end) = prefix_range(&self.prefix);
        // From `last` rather than `last + 1`: etcd then refuses it exactly when `last` is
        // older than the compacted revision, as the trait says; the event at `last` itself
        // (already delivered) is skipped.
        let create = WatchCreateRequest {
            key,
            range_end,
            start_revision: i64::try_from(self.last.max(1)).unwrap_or(i64::MAX),
            prev_kv: true,
            progress_notify: true,
        };
        let mut watch = match self.storage.client.watch(create).await {
            Ok(watch) => watch,
            Err(status) => {
                return Stop::Lost {
                    member: None,
                    reason: chain(&status),
                };
            }
        };
        let member = watch.member();
        let lost = |reason: String| Stop::Lost {
            member: Some(member),
            reason,
        };
        loop {
            let response = match watch.message().await {
                Ok(Some(response)) => response,
                Ok(None) => return lost("etcd ended the stream".into()),
                Err(status) => return lost(chain(&status)),
            };
            if response.compact_revision > 0 {
                let compacted = StorageError::Compacted {
                    requested: self.last,
                    compacted: revision(response.compact_revision),
                };
                let _ = self.events.send(Err(compacted)).await;
                return Stop::Done;
            }
            if response.canceled {
                // Besides compaction, etcd cancels a watch for what retrying will not fix
                // (permissions, an invalid range).
                let canceled = StorageError::Internal(format!(
                    "etcd canceled the watch on {}: {}",
                    self.prefix, response.cancel_reason
                ));
                let _ = self.events.send(Err(canceled)).await;
                return Stop::Done;
            }
            if response.created {
                self.backoff = WATCH_FIRST_BACKOFF;
                continue;
            }
            if response.events.is_empty() {
                // A periodic progress report. etcd sends it only to a watch that has been sent
                // every event up to the reported revision (unlike a requested one, which
                // etcd before 3.4.25 could send ahead of pending events).
                let Ok(reported) = header_revision(response.header.as_ref()) else {
                    continue;
                };
                self.last = self.last.max(reported);
                let progress = Notification::Progress(self.last);
                if self.events.send(Ok(progress)).await.is_err() {
                    return Stop::Done;
                }
                continue;
            }
            // A response holds whole revisions (one revision's events are never split), so
            // everything up to the last revision of a response is delivered together.
            let delivered = self.last;
            for event in response.events {
                let event = match self.event(event, delivered).await {
                    Ok(Some(event)) => event,
                    Ok(None) => continue,
                    Err(error) => {
                        let _ = self.events.send(Err(error)).await;
                        return Stop::Done;
                    }
                };
                self.last = self.last.max(event.kv.mod_revision);
                if self
                    .events
                    .send(Ok(Notification::Event(event)))
                    .await
                    .is_err()
                {
                    return Stop::Done;
                }
            }
        }
    }

    /// The trait's event for an etcd event, `None` if it was delivered before.
    async fn event(&self, event: proto::Event, delivered: Revision) -> Result<Option<Event>> {
        let kv = event
            .kv
            .ok_or_else(|| missing(&self.prefix, "an event's key"))?;
        if revision(kv.mod_revision) <= delivered {
            return Ok(None);
        }
        let prev = event.prev_kv.map(key_value).transpose()?;
        // etcd reads the previous value at the event's revision - 1; it is missing when that
        // was compacted meanwhile, and then the event cannot be told as the trait says.
        let history_gone = || async {
            match self.storage.compacted_revision().await {
                Ok(compacted) => StorageError::Compacted {
                    requested: delivered,
                    compacted,
                },
                Err(error) => error,
            }
        };
        match EventType::try_from(event.r#type) {
            Ok(EventType::Put) => {
                let kv = key_value(kv)?;
                if prev.is_none() && kv.create_revision != kv.mod_revision {
                    return Err(history_gone().await);
                }
                Ok(Some(Event {
                    kind: EventKind::Put,
                    kv,
                    prev,
                }))
            }
            Ok(EventType::Delete) => {
                let Some(prev) = prev else {
                    return Err(history_gone().await);
                };
                Ok(Some(Event {
                    kind: EventKind::Delete,
                    kv: KeyValue {
                        mod_revision: revision(kv.mod_revision),
                        ..prev.clone()
                    },
                    prev: Some(prev),
                }))
            }
            Err(_) => Err(StorageError::Internal(format!(
                "etcd sent an event of unknown type {}",
                event.r#type
            ))),
        }
    }
}

/// A range request for one key that returns no key-value, only the header.
fn header_only() -> RangeRequest {
    RangeRequest {
        key: ANY_KEY.to_vec(),
        count_only: true,
        ..Default::default()
    }
}

/// `[key, range_end)` covering every key that starts with `prefix`.
fn prefix_range(prefix: &str) -> (Vec<u8>, Vec<u8>) {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return (prefix.as_bytes().to_vec(), end);
        }
    }
    // No end above the prefix (it is empty or all 0xff): `"\0"` is etcd's "to the last key",
    // and keys cannot be empty, so `"\0"` starts them all.
    let key = if prefix.is_empty() {
        ANY_KEY.to_vec()
    } else {
        prefix.as_bytes().to_vec()
    };
    (key, vec![0])
}

fn put_request(key: &str, value: Vec<u8>) -> PutRequest {
    PutRequest {
        key: key.as_bytes().to_vec(),
        value,
        ..Default::default()
    }
}

fn put(key: &str, value: Vec<u8>) -> RequestOp {
    RequestOp {
        request: Some(request_op::Request::Put(put_request(key, value))),
    }
}

fn get_op(key: &str) -> RequestOp {
    RequestOp {
        request: Some(request_op::Request::Range(RangeRequest {
            key: key.as_bytes().to_vec(),
            ..Default::default()
        })),
    }
}

fn compare_create(key: &str, result: CompareResult, revision: i64) -> Compare {
    Compare {
        result: result.into(),
        target: CompareTarget::Create.into(),
        key: key.as_bytes().to_vec(),
        target_union: Some(compare::TargetUnion::CreateRevision(revision)),
        ..Default::default()
    }
}

fn compare_mod(key: &str, revision: i64) -> Compare {
    Compare {
        result: CompareResult::Equal.into(),
        target: CompareTarget::Mod.into(),
        key: key.as_bytes().to_vec(),
        target_union: Some(compare::TargetUnion::ModRevision(revision)),
        ..Default::default()
    }
}

/// The error for an update or delete whose comparison failed: the failure branch read the key.
fn lost_compare(key: &str, response: &mut TxnResponse) -> Result<StorageError> {
    let current = response
        .responses
        .drain(..)
        .find_map(|op| match op.response {
            Some(response_op::Response::Range(range)) => Some(range.kvs),
            _ => None,
        })
        .ok_or_else(|| missing(key, "the current value after a failed comparison"))?;
    Ok(match current.into_iter().next() {
        None => StorageError::NotFound(key.to_owned()),
        Some(current) => StorageError::Conflict {
            key: key.to_owned(),
            current: Some(Box::new(key_value(current)?)),
        },
    })
}

fn key_value(kv: proto::KeyValue) -> Result<KeyValue> {
    let key = String::from_utf8(kv.key).map_err(|error| {
        StorageError::Internal(format!(
            "etcd returned a key that is not UTF-8: {:?}",
            String::from_utf8_lossy(error.as_bytes())
        ))
    })?;
    Ok(KeyValue {
        key,
        value: kv.value,
        create_revision: revision(kv.create_revision),
        mod_revision: revision(kv.mod_revision),
    })
}

fn header_revision(header: Option<&proto::ResponseHeader>) -> Result<Revision> {
    let header = header.ok_or_else(|| missing("", "a response header"))?;
    Ok(revision(header.revision))
}

fn revision(revision: i64) -> Revision {
    u64::try_from(revision).unwrap_or(0)
}

fn signed(revision: Revision) -> Result<i64> {
    i64::try_from(revision)
        .map_err(|_| StorageError::Internal(format!("revision {revision} is out of etcd's range")))
}

fn missing(key: &str, what: &str) -> StorageError {
    StorageError::Internal(format!("etcd's response for {key:?} lacks {what}"))
}

/// etcd's `ErrGRPCCompacted`.
fn compacted(status: &Status) -> bool {
    status.code() == Code::OutOfRange
        && status
            .message()
            .contains("required revision has been compacted")
}

/// etcd's `ErrGRPCFutureRev`.
fn future(status: &Status) -> bool {
    status.code() == Code::OutOfRange
        && status
            .message()
            .contains("required revision is a future revision")
}

/// Whether `connect` should keep trying after this error.
fn transient(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable | Code::Unknown | Code::Cancelled | Code::DeadlineExceeded
    )
}

fn internal(status: &Status) -> StorageError {
    StorageError::Internal(format!("etcd: {}", chain(status)))
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;
    use tokio::task::block_in_place;
    use tokio::time::timeout;

    use super::launcher::EtcdCluster;
    use super::*;
    use crate::storage::conformance::{self, TIMEOUT, next_events};

    fn config(cluster: &EtcdCluster) -> EtcdConfig {
        EtcdConfig {
            endpoints: cluster.endpoints().split(',').map(str::to_owned).collect(),
            ..Default::default()
        }
    }

    /// A fresh cluster of `members` and a storage on it. (Starting blocks, and the tests run
    /// on the multi-threaded runtime.)
    async fn open(members: usize) -> (EtcdCluster, EtcdStorage) {
        let cluster = block_in_place(|| EtcdCluster::start(members));
        let storage = EtcdStorage::connect(&config(&cluster)).await.unwrap();
        (cluster, storage)
    }

    conformance::suite!(open(1).await);

    fn put(kv: &KeyValue, prev: Option<&KeyValue>) -> Event {
        Event {
            kind: EventKind::Put,
            kv: kv.clone(),
            prev: prev.cloned(),
        }
    }

    #[test]
    fn prefix_ranges() {
        assert_eq!(prefix_range("/a/"), (b"/a/".to_vec(), b"/a0".to_vec()));
        assert_eq!(prefix_range(""), (vec![0], vec![0]));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn watch_survives_a_restart_of_its_only_member() {
        let (mut cluster, s) = open(1).await;
        let base = s.current_revision().await.unwrap();
        let mut watch = s.watch("/k/", base).await.unwrap();
        let mut written = Vec::new();
        for i in 0..5 {
            let kv = s.create(&format!("/k/{i}"), vec![i]).await.unwrap();
            written.push(put(&kv, None));
        }
        assert_eq!(next_events(&mut watch, 5).await, written);
        // Written before the kill, read after it.
        for i in 5..8 {
            let kv = s.create(&format!("/k/{i}"), vec![i]).await.unwrap();
            written.push(put(&kv, None));
        }

        cluster.kill(0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        block_in_place(|| cluster.restart(0));

        let first = written[0].kv.clone();
        let updated = s.update("/k/0", b"new".to_vec(), first.mod_revision).await;
        let updated = updated.unwrap();
        written.push(put(&updated, Some(&first)));
        let deleted = s.delete("/k/1", None).await.unwrap();
        written.push(Event {
            kind: EventKind::Delete,
            kv: deleted,
            prev: Some(written[1].kv.clone()),
        });
        assert_eq!(next_events(&mut watch, 5).await, written[5..]);
        conformance::assert_no_more_events([&mut watch]).await;

        // And once more, with the watch idle while its member is down.
        cluster.kill(0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        block_in_place(|| cluster.restart(0));
        let last = s.create("/k/last", Vec::new()).await.unwrap();
        assert_eq!(next_events(&mut watch, 1).await, [put(&last, None)]);
        conformance::assert_no_more_events([&mut watch]).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn losing_the_member_in_use_leaves_the_others_working() {
        let mut cluster = block_in_place(|| EtcdCluster::start(3));
        // Requests go to the first endpoint until it fails: make that the leader, the worst
        // one to lose.
        let leader = cluster.leader().expect("a healthy cluster has a leader");
        let mut endpoints = vec![cluster.endpoint(leader)];
        endpoints.extend((0..3).filter(|&m| m != leader).map(|m| cluster.endpoint(m)));
        let s = EtcdStorage::connect(&EtcdConfig {
            endpoints,
            ..Default::default()
        })
        .await
        .unwrap();
        let base = s.current_revision().await.unwrap();
        let a1 = s.create("/x/a", b"1".to_vec()).await.unwrap();
        let mut watch = s.watch("/x/", base).await.unwrap();
        assert_eq!(next_events(&mut watch, 1).await, [put(&a1, None)]);

        cluster.kill(leader);
        // A read goes on through the others, across the election. (A write while there is no
        // leader may fail as "request timed out", as with any etcd client; once a read has
        // succeeded there is one.)
        assert_eq!(s.get("/x/a").await.unwrap(), Some(a1.clone()));
        let a2 = s
            .update("/x/a", b"2".to_vec(), a1.mod_revision)
            .await
            .unwrap();
        let b = s.create("/x/b", Vec::new()).await.unwrap();
        let page = s.list("/x/", None, None, None).await.unwrap();
        assert_eq!(page.items, [a2.clone(), b.clone()]);
        assert_eq!(
            next_events(&mut watch, 2).await,
            [put(&a2, Some(&a1)), put(&b, None)]
        );
        conformance::assert_no_more_events([&mut watch]).await;

        // The member comes back; losing the new leader is fine as well.
        block_in_place(|| cluster.restart(leader));
        let leader = cluster.leader().expect("a healthy cluster has a leader");
        cluster.kill(leader);
        assert_eq!(s.get("/x/b").await.unwrap(), Some(b));
        let c = s.create("/x/c", Vec::new()).await.unwrap();
        assert_eq!(next_events(&mut watch, 1).await, [put(&c, None)]);
        assert_eq!(s.current_revision().await.unwrap(), c.mod_revision);
        conformance::assert_no_more_events([&mut watch]).await;
    }

    /// A write to an endpoint that refuses connections surely did not apply, so it goes to
    /// the next endpoint.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_write_moves_on_from_a_member_that_is_down() {
        let mut cluster = block_in_place(|| EtcdCluster::start(3));
        let leader = cluster.leader().expect("a healthy cluster has a leader");
        let follower = (leader + 1) % 3;
        let mut endpoints = vec![cluster.endpoint(follower)];
        endpoints.extend(
            (0..3)
                .filter(|&m| m != follower)
                .map(|m| cluster.endpoint(m)),
        );
        let s = EtcdStorage::connect(&EtcdConfig {
            endpoints,
            ..Default::default()
        })
        .await
        .unwrap();
        let a1 = s.create("/y/a", b"1".to_vec()).await.unwrap();
        cluster.kill(follower);
        // Long enough for the client to see its connection closed (a write on a connection
        // that breaks under it may have applied, and is not retried).
        tokio::time::sleep(Duration::from_millis(200)).await;
        let a2 = s
            .update("/y/a", b"2".to_vec(), a1.mod_revision)
            .await
            .unwrap();
        assert_eq!(a2.mod_revision, a1.mod_revision + 1);
        let b = s.create("/y/b", Vec::new()).await.unwrap();
        assert_eq!(
            s.list("/y/", None, None, None).await.unwrap().items,
            [a2, b]
        );
    }

    /// Writes elsewhere move a quiet watch on: etcd reports progress (every second, as the
    /// launcher configures it) once every event before it has been sent.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_quiet_watch_reports_progress_past_writes_elsewhere() {
        let (_cluster, s) = open(1).await;
        let base = s.current_revision().await.unwrap();
        let mut watch = s.watch("/p/", base).await.unwrap();
        let own = s.create("/p/a", Vec::new()).await.unwrap();
        let elsewhere = s.create("/q/a", Vec::new()).await.unwrap();
        let mut seen = Vec::new();
        let reported = async {
            loop {
                match watch.next().await.expect("watch ended").unwrap() {
                    Notification::Event(event) => seen.push(event),
                    Notification::Progress(revision) if revision >= elsewhere.mod_revision => {
                        return revision;
                    }
                    Notification::Progress(_) => {}
                }
            }
        };
        let reported = timeout(TIMEOUT, reported).await.expect("no progress");
        assert_eq!(reported, elsewhere.mod_revision);
        assert_eq!(seen, [put(&own, None)]);
    }

    /// Concurrent gets share reads (in batches of at most etcd's 128 operations) and each
    /// gets its own key's value, or none.
    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_gets_each_get_their_own_key() {
        let (_etcd, storage) = open(1).await;
        for i in 0..10 {
            storage
                .create(&format!("/g/{i}"), i.to_string().into_bytes())
                .await
                .unwrap();
        }
        let gets = (0..300).map(|i| {
            let storage = storage.clone();
            async move { (i, storage.get(&format!("/g/{}", i % 11)).await.unwrap()) }
        });
        for (i, got) in futures::future::join_all(gets).await {
            match i % 11 {
                10 => assert_eq!(got, None),
                key => assert_eq!(got.unwrap().value, key.to_string().into_bytes()),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn ranges_that_start_past_the_prefix_are_empty() {
        let (_cluster, s) = open(1).await;
        s.create("/a/1", Vec::new()).await.unwrap();
        s.create("/b/1", Vec::new()).await.unwrap();
        let current = s.current_revision().await.unwrap();
        let page = s.list("/a/", None, Some("/b"), None).await.unwrap();
        assert_eq!(
            (page.items, page.remaining, page.revision),
            (vec![], 0, current)
        );
        let page = s.list("/a/", None, Some("/b"), Some(0)).await.unwrap();
        assert_eq!((page.items, page.remaining), (vec![], 0));
        // Revision 0 lists the empty store before the first write, as revision 1 does.
        let page = s.list("/", Some(0), None, None).await.unwrap();
        assert_eq!((page.items, page.revision), (vec![], 0));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn tls_with_a_client_certificate() {
        let cluster = block_in_place(EtcdCluster::start_tls);
        let (ca, cert, key) = cluster.tls_files().unwrap();
        let endpoints = vec![cluster.endpoint(0)];
        let s = EtcdStorage::connect(&EtcdConfig {
            endpoints: endpoints.clone(),
            ca_file: Some(ca.clone()),
            cert_file: Some(cert),
            key_file: Some(key),
        })
        .await
        .unwrap();
        let a1 = s.create("/t/a", b"1".to_vec()).await.unwrap();
        let a2 = s
            .update("/t/a", b"2".to_vec(), a1.mod_revision)
            .await
            .unwrap();
        assert_eq!(
            s.update("/t/a", b"3".to_vec(), a1.mod_revision).await,
            Err(StorageError::Conflict {
                key: "/t/a".into(),
                current: Some(Box::new(a2.clone())),
            })
        );
        assert_eq!(s.get("/t/a").await.unwrap(), Some(a2));

        let started = Instant::now();
        let without_certificate = EtcdStorage::connect(&EtcdConfig {
            endpoints,
            ca_file: Some(ca),
            ..Default::default()
        })
        .await;
        let Err(StorageError::Internal(message)) = without_certificate else {
            panic!("connected without a client certificate");
        };
        assert!(message.contains("TLS"), "{message}");
        assert!(message.to_lowercase().contains("certificate"), "{message}");
        assert!(
            started.elapsed() < CONNECT_TIMEOUT,
            "took {:?}",
            started.elapsed()
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn connect_fails_clearly_when_nothing_answers() {
        // A privileged port nothing here listens on: a free port found by binding could be
        // taken by another test's etcd before the connection is tried.
        let port = 1;
        let config = EtcdConfig {
            endpoints: vec![format!("http://127.0.0.1:{port}")],
            ..Default::default()
        };
        let error = EtcdStorage::connect(&config).await.err().unwrap();
        let message = error.to_string();
        assert!(message.contains("no etcd endpoint"), "{message}");
        assert!(message.contains(&port.to_string()), "{message}");
    }

    /// A watch whose consumer falls behind compaction ends with `Compacted` after the events
    /// it still had, in order and without a gap.
    #[tokio::test(flavor = "multi_thread")]
    async fn compaction_overtaking_a_lagging_watch_ends_it() {
        let (_cluster, s) = open(1).await;
        let base = s.current_revision().await.unwrap();
        let mut watch = s.watch("/l/", base).await.unwrap();
        // Enough events, large enough, to fill every buffer on the way: this one's, HTTP/2's
        // flow-control windows (2 MiB for a stream) and etcd's.
        let writer = |w: usize| {
            let s = s.clone();
            async move {
                for i in 0..400 {
                    s.create(&format!("/l/{w}/{i:03}"), vec![b'x'; 16 * 1024])
                        .await
                        .unwrap();
                }
            }
        };
        futures::future::join_all((0..4).map(writer)).await;
        let current = s.current_revision().await.unwrap();
        s.compact(current).await.unwrap();

        let mut expected = base + 1;
        loop {
            let next = timeout(TIMEOUT, watch.next())
                .await
                .unwrap_or_else(|_| panic!("watch stalled after {expected} (compacted {current})"));
            match next.expect("watch ended without an error") {
                Ok(Notification::Event(event)) => {
                    assert_eq!(event.kv.mod_revision, expected);
                    expected += 1;
                }
                Ok(Notification::Progress(_)) => {}
                Err(error) => {
                    assert!(
                        matches!(error, StorageError::Compacted { compacted, .. } if compacted == current),
                        "{error:?}"
                    );
                    break;
                }
            }
        }
        assert!(expected <= current, "every event arrived before compaction");
        let end = timeout(TIMEOUT, watch.next()).await.unwrap();
        assert!(end.is_none());
    }
}
