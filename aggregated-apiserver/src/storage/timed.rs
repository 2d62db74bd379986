//! Any storage, with each operation timed into `etcd_request_duration_seconds` (the name
//! kube-apiserver gives its storage latency, kept for the embedded store too).

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::{KeyValue, ListPage, Result, Revision, Storage, WatchStream};
use crate::metrics::Metrics;

/// A [`Storage`] wrapper that records each operation's latency in [`Metrics`].
pub struct Timed {
    storage: Arc<dyn Storage>,
    metrics: Arc<Metrics>,
}

impl Timed {
    /// Wraps `storage`, recording into `metrics`.
    pub fn new(storage: Arc<dyn Storage>, metrics: Arc<Metrics>) -> Self {
        Timed { storage, metrics }
    }

    fn done(&self, operation: &str, key: &str, started: Instant) {
        self.metrics.storage(operation, kind_of(key), started);
    }
}

/// The object type of a key: its prefix, `/registry/<group>/<plural>/`.
fn kind_of(key: &str) -> &str {
    match key.rfind('/') {
        Some(slash) => &key[..=slash],
        None => key,
    }
}

#[async_trait]
impl Storage for Timed {
    async fn current_revision(&self) -> Result<Revision> {
        let started = Instant::now();
        let result = self.storage.current_revision().await;
        self.done("currentRevision", "", started);
        result
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        self.storage.compacted_revision().await
    }

    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        let started = Instant::now();
        let result = self.storage.get(key).await;
        self.done("get", key, started);
        result
    }

    async fn list(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        let started = Instant::now();
        let result = self
            .storage
            .list(prefix, revision, start_after, limit)
            .await;
        self.done("list", prefix, started);
        result
    }

    async fn list_keys(
        &self,
        prefix: &str,
        revision: Option<Revision>,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListPage> {
        let started = Instant::now();
        let result = (self.storage)
            .list_keys(prefix, revision, start_after, limit)
            .await;
        self.done("list", prefix, started);
        result
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<KeyValue> {
        let started = Instant::now();
        let result = self.storage.create(key, value).await;
        self.done("create", key, started);
        result
    }

    async fn update(&self, key: &str, value: Vec<u8>, expected: Revision) -> Result<KeyValue> {
        let started = Instant::now();
        let result = self.storage.update(key, value, expected).await;
        self.done("update", key, started);
        result
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue> {
        let started = Instant::now();
        let result = self.storage.delete(key, expected).await;
        self.done("delete", key, started);
        result
    }

    fn request_progress(&self) -> bool {
        self.storage.request_progress()
    }

    fn written_revision(&self) -> Revision {
        self.storage.written_revision()
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        self.storage.watch(prefix, after).await
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let started = Instant::now();
        let result = self.storage.compact(revision).await;
        self.done("compact", "", started);
        result
    }
}
