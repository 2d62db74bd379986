//! What the controller does, as counters and gauges: logged periodically and served in the
//! Prometheus text format on `/metrics`.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use foo_sdk::Foo;
use kube::runtime::reflector::Store;

use super::reconcile::desired_status;

/// The controller's counters and gauges. Cheap to update from any task.
#[derive(Default)]
pub struct Metrics {
    /// Reconciles started.
    pub reconciles: AtomicU64,
    /// Reconciles that failed (and were requeued with backoff).
    pub errors: AtomicU64,
    /// Writes to `foos/status`.
    pub status_updates: AtomicU64,
    /// `409 Conflict` answers to those writes (each followed by a re-read and a retry).
    pub conflicts: AtomicU64,
    /// Reconciles running now.
    pub in_flight: AtomicI64,
    /// Objects waiting to be retried after an error.
    pub backing_off: AtomicI64,
    /// 1 while this process runs the controller (always 1 without leader election).
    pub leader: AtomicI64,
    /// The controller's cache of Foos, while it runs.
    store: RwLock<Option<Store<Foo>>>,
}

/// A snapshot of [`Metrics`], with the gauges computed from the cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub reconciles: u64,
    pub errors: u64,
    pub status_updates: u64,
    pub conflicts: u64,
    pub in_flight: i64,
    pub backing_off: i64,
    pub leader: i64,
    /// Foos in the cache.
    pub objects: usize,
    /// Foos in the cache whose status is not yet what the controller wants it to be: the
    /// work still queued.
    pub out_of_sync: usize,
}

impl Metrics {
    pub(super) fn set_store(&self, store: Option<Store<Foo>>) {
        *self.store.write().unwrap_or_else(|e| e.into_inner()) = store;
    }

    pub fn snapshot(&self) -> Snapshot {
        let (objects, out_of_sync) = match &*self.store.read().unwrap_or_else(|e| e.into_inner()) {
            Some(store) => {
                let foos = store.state();
                let now = k8s_openapi::jiff::Timestamp::now();
                let out_of_sync = foos
                    .iter()
                    .filter(|foo| {
                        foo.metadata.deletion_timestamp.is_none()
                            && desired_status(foo, now).is_some()
                    })
                    .count();
                (foos.len(), out_of_sync)
            }
            None => (0, 0),
        };
        Snapshot {
            reconciles: self.reconciles.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            status_updates: self.status_updates.load(Ordering::Relaxed),
            conflicts: self.conflicts.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            backing_off: self.backing_off.load(Ordering::Relaxed),
            leader: self.leader.load(Ordering::Relaxed),
            objects,
            out_of_sync,
        }
    }
}

impl Snapshot {
    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        };
        metric(
            "foo_controller_reconciles_total",
            "counter",
            "Reconciles of Foos started.",
            self.reconciles.to_string(),
        );
        metric(
            "foo_controller_reconcile_errors_total",
            "counter",
            "Reconciles that failed and were requeued with backoff.",
            self.errors.to_string(),
        );
        metric(
            "foo_controller_status_updates_total",
            "counter",
            "Writes to foos/status.",
            self.status_updates.to_string(),
        );
        metric(
            "foo_controller_status_conflicts_total",
            "counter",
            "Writes to foos/status answered 409 Conflict, then re-read and retried.",
            self.conflicts.to_string(),
        );
        metric(
            "foo_controller_reconciles_in_flight",
            "gauge",
            "Reconciles running now.",
            self.in_flight.to_string(),
        );
        metric(
            "foo_controller_objects_backing_off",
            "gauge",
            "Foos waiting to be retried after an error.",
            self.backing_off.to_string(),
        );
        metric(
            "foo_controller_objects_out_of_sync",
            "gauge",
            "Foos whose status the controller has yet to bring in line with their spec (the work queued).",
            self.out_of_sync.to_string(),
        );
        metric(
            "foo_controller_objects",
            "gauge",
            "Foos in the controller's cache.",
            self.objects.to_string(),
        );
        metric(
            "foo_controller_leader",
            "gauge",
            "1 while this process runs the controller (holds the lease), else 0.",
            self.leader.to_string(),
        );
        out
    }
}

/// Logs a summary every `period` when something changed since the last one.
pub async fn log_periodically(metrics: Arc<Metrics>, period: Duration) {
    let mut last = Snapshot::default();
    let mut ticks = tokio::time::interval(period);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let now = metrics.snapshot();
        if now != last {
            tracing::info!(
                reconciles = now.reconciles,
                errors = now.errors,
                status_updates = now.status_updates,
                conflicts = now.conflicts,
                in_flight = now.in_flight,
                backing_off = now.backing_off,
                objects = now.objects,
                out_of_sync = now.out_of_sync,
                leader = now.leader,
                "controller metrics"
            );
            last = now;
        }
    }
}

/// `/metrics` (Prometheus text) and `/healthz` on plain HTTP.
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(serve_metrics))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(metrics)
}

async fn serve_metrics(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.snapshot().render(),
    )
}

/// Binds `address` and serves [`router`] until the task is dropped.
pub async fn serve(
    address: SocketAddr,
    metrics: Arc<Metrics>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("listening for metrics on {address}"))?;
    let bound = listener.local_addr()?;
    tracing::info!("controller metrics on http://{bound}/metrics");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(metrics)).await {
            tracing::warn!("metrics server failed: {e}");
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let metrics = Metrics::default();
        metrics.reconciles.store(3, Ordering::Relaxed);
        metrics.errors.store(1, Ordering::Relaxed);
        metrics.in_flight.store(2, Ordering::Relaxed);
        let text = metrics.snapshot().render();
        assert!(text.contains("# TYPE foo_controller_reconciles_total counter\n"));
        assert!(text.contains("\nfoo_controller_reconciles_total 3\n"));
        assert!(text.contains("\nfoo_controller_reconcile_errors_total 1\n"));
        assert!(text.contains("\nfoo_controller_reconciles_in_flight 2\n"));
        assert!(text.contains("\nfoo_controller_objects_out_of_sync 0\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.split_once(' ').expect("name value");
            assert!(name.starts_with("foo_controller_"), "{line}");
            value.parse::<f64>().expect("numeric value");
        }
    }
}
