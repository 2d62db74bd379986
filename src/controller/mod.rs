//! The controller: a kube-runtime reconcile loop over foo-sdk's `Foo` that keeps
//! `status.observedGeneration` and the `Ready` condition true to `spec`.
//!
//! It runs inside `foo-apiserver local` (against the local server, with the admin
//! kubeconfig) and as `foo-apiserver controller` against any cluster serving the API, there
//! with leader election on a `coordination.k8s.io/v1` Lease.

pub mod leader;
pub mod metrics;
pub mod reconcile;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use foo_sdk::Foo;
use futures::StreamExt;
use kube::Client;
use kube::api::Api;
use kube::runtime::controller::{self, Controller};
use kube::runtime::watcher;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::cli::ControllerArgs;
pub use metrics::Metrics;
use reconcile::{Context, error_policy, reconcile};

/// How often a summary of the metrics is logged (when it changed).
const LOG_PERIOD: Duration = Duration::from_secs(60);
/// How long a stopping controller may take to finish its reconciles.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Runs the controller until `stop` resolves, then lets running reconciles finish.
pub async fn run(
    client: Client,
    metrics: Arc<Metrics>,
    stop: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let api = Api::<Foo>::all(client);
    let controller = Controller::new(api.clone(), watcher::Config::default());
    metrics.set_store(Some(controller.store()));
    let context = Arc::new(Context::new(api, metrics.clone()));
    tracing::info!("controller started: reconciling foos");
    controller
        .graceful_shutdown_on(stop)
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            match result {
                Ok((object, action)) => {
                    tracing::trace!(foo = %object.name, ?action, "reconciled");
                }
                // Logged with its backoff by the error policy.
                Err(controller::Error::ReconcilerFailed(_, object)) => {
                    tracing::trace!(foo = %object.name, "reconcile failed");
                }
                Err(controller::Error::ObjectNotFound(object)) => {
                    tracing::debug!(foo = %object.name, "queued foo is gone");
                }
                Err(e) => tracing::warn!("controller: {e}"),
            }
        })
        .await;
    metrics.set_store(None);
    tracing::info!("controller stopped");
}

/// A [`Notify`] as an owned stop future (`Send + Sync`, as `Controller` wants).
async fn notified(notify: Arc<Notify>) {
    notify.notified().await;
}

/// The controller inside `foo-apiserver local`.
pub struct LocalController {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
    helpers: Vec<JoinHandle<()>>,
}

/// Starts the controller inside `foo-apiserver local` with the admin kubeconfig it wrote;
/// it stops on SIGINT/SIGTERM together with the server, or on [`LocalController::stop`].
/// No leader election: `local` is one process.
pub async fn start_local(
    kubeconfig: &Path,
    metrics_address: Option<SocketAddr>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<LocalController> {
    let client = client(Some(kubeconfig)).await?;
    let metrics = Arc::new(Metrics::default());
    metrics.leader.store(1, Ordering::Relaxed);
    let mut helpers = vec![tokio::spawn(metrics::log_periodically(
        metrics.clone(),
        LOG_PERIOD,
    ))];
    if let Some(address) = metrics_address {
        helpers.push(metrics::serve(address, metrics.clone()).await?);
    }
    let stop = Arc::new(Notify::new());
    let on_signal = stop.clone();
    helpers.push(tokio::spawn(async move {
        shutdown.await;
        on_signal.notify_one();
    }));
    let task = tokio::spawn(run(client, metrics, notified(stop.clone())));
    Ok(LocalController {
        stop,
        task,
        helpers,
    })
}

impl LocalController {
    /// Stops the controller, letting running reconciles finish for a moment.
    pub async fn stop(mut self) {
        self.stop.notify_one();
        if tokio::time::timeout(STOP_GRACE, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
        for helper in &self.helpers {
            helper.abort();
        }
    }
}

/// A client from `kubeconfig`, or from `$KUBECONFIG`, `~/.kube/config` or the in-cluster
/// service account.
async fn client(kubeconfig: Option<&Path>) -> anyhow::Result<Client> {
    if let Some(path) = kubeconfig {
        return aggregated_apiserver::kubeconfig::client_from(path).await;
    }
    let config = kube::Config::infer()
        .await
        .context("no kubeconfig: pass --kubeconfig, set KUBECONFIG or run in a cluster")?;
    Client::try_from(config).context("building the Kubernetes client")
}

fn metrics_address(flag: &str) -> anyhow::Result<Option<SocketAddr>> {
    match flag.trim() {
        "" | "0" => Ok(None),
        address => address
            .parse()
            .map(Some)
            .with_context(|| format!("--metrics-bind-address {address:?} is not HOST:PORT")),
    }
}

/// `foo-apiserver controller`: the controller alone, for a deployment beside the server.
pub async fn run_standalone(
    args: ControllerArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics_address = metrics_address(&args.metrics_bind_address)?;
    let client = client(args.kubeconfig.as_deref()).await?;
    let metrics = Arc::new(Metrics::default());
    let mut helpers = vec![tokio::spawn(metrics::log_periodically(
        metrics.clone(),
        LOG_PERIOD,
    ))];
    if let Some(address) = metrics_address {
        helpers.push(metrics::serve(address, metrics.clone()).await?);
    }
    let result = if args.leader_elect {
        let leases = Api::namespaced(client.clone(), &args.lease_namespace);
        let identity = leader::default_identity();
        tracing::info!(
            %identity,
            lease = format!("{}/{}", args.lease_namespace, args.lease_name),
            "leader election enabled"
        );
        let elector = leader::Elector::new(
            leases,
            &args.lease_name,
            &identity,
            leader::Timings::default(),
        );
        let lead_metrics = metrics.clone();
        leader::run(elector, metrics.clone(), shutdown, move |stop| {
            run(client.clone(), lead_metrics.clone(), stop)
        })
        .await
    } else {
        metrics.leader.store(1, Ordering::Relaxed);
        let stop = Arc::new(Notify::new());
        let on_signal = stop.clone();
        helpers.push(tokio::spawn(async move {
            shutdown.await;
            on_signal.notify_one();
        }));
        run(client, metrics, notified(stop)).await;
        Ok(())
    };
    for helper in &helpers {
        helper.abort();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_address_flag() {
        assert_eq!(metrics_address("0").unwrap(), None);
        assert_eq!(
            metrics_address("127.0.0.1:8080").unwrap(),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert!(metrics_address("localhost").is_err());
    }
}
