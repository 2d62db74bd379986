//! Starting the server: storage, certificates, the listener, compaction and shutdown.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use aggregated_apiserver::options::{AuditArgs, LimitArgs};

use crate::cli::{ControllerArgs, LocalArgs, ServeArgs, StorageArgs};
use aggregated_apiserver::filters::{Access, InFlight, Limits};
use aggregated_apiserver::pki::{self, CertPair};
use aggregated_apiserver::server::{Api, Backend, Kind, router};
use aggregated_apiserver::storage::{EmbeddedStorage, EtcdConfig, EtcdStorage, Storage};
use aggregated_apiserver::tls::TlsConfig;

use crate::foo::FooStrategy;
use aggregated_apiserver::{access, kubeconfig, tls};

/// `foo-apiserver [flags]`: serve with the given or a self-signed certificate.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let serving = match (&args.tls_cert_file, &args.tls_private_key_file) {
        (Some(cert), Some(key)) => CertPair {
            cert_pem: read(cert)?,
            key_pem: read(key)?,
        },
        _ => pki::self_signed_serving(&args.cert_dir, &[])?,
    };
    let mut configured = access::delegated(&args.authentication, &args.authorization).await?;
    let tls = TlsConfig::new(&serving, configured.client_cas.clone())?;
    configured.look_up_cluster(tls.clone()).await?;
    let backend = open_backend(&args.storage).await?;
    let listener = bind(SocketAddr::new(args.bind_address, args.secure_port)).await?;
    run(
        listener,
        tls,
        backend,
        configured.access,
        &args.limits,
        &args.audit,
        &args.storage,
    )
    .await
}

/// `foo-apiserver local`: everything on this machine, with a kubeconfig to use it.
pub async fn local(args: LocalArgs) -> anyhow::Result<()> {
    let data_dir = args.storage.data_dir()?;
    let pki = pki::load_or_create_local_pki(&data_dir.join("pki"))?;
    let backend = open_backend(&args.storage).await?;
    let listener = bind(SocketAddr::new(args.bind_address, args.secure_port)).await?;
    let address = listener.local_addr()?;
    let host = match address.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        ip if ip.is_ipv6() => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("https://{host}:{}", address.port());
    let kubeconfig_path = args
        .kubeconfig
        .unwrap_or_else(|| data_dir.join("kubeconfig"));
    kubeconfig::write_kubeconfig(
        &kubeconfig_path,
        &url,
        &pki.ca.cert_pem,
        &pki.admin,
        "foo-local",
    )?;
    println!(
        "foo-apiserver local: serving {url} with data in {}\n\nTo use it:\n  export KUBECONFIG={}\n  kubectl get foos\n",
        data_dir.display(),
        kubeconfig_path.display()
    );
    let configured = access::local(&pki.ca.cert_pem)?;
    let tls = TlsConfig::new(&pki.serving, configured.client_cas.clone())?;
    // The controller runs in this process, as apiserver-boot's `run local` ran it beside the
    // server; it talks to the server through the admin kubeconfig just written.
    let controller = if args.controller {
        let metrics = args.metrics_bind_address;
        Some(crate::controller::start_local(&kubeconfig_path, metrics, shutdown_signal()).await?)
    } else {
        None
    };
    let served = run(
        listener,
        tls,
        backend,
        configured.access,
        &args.limits,
        &args.audit,
        &args.storage,
    )
    .await;
    if let Some(controller) = controller {
        controller.stop().await;
    }
    served
}

/// `foo-apiserver controller`: the controller alone, against a cluster serving the API.
pub async fn controller(args: ControllerArgs) -> anyhow::Result<()> {
    crate::controller::run_standalone(args, shutdown_signal()).await
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Where the embedded database keeps objects, as kube-apiserver does in etcd.
const EMBEDDED_KEY_ROOT: &str = "/registry";

/// The embedded database in the data directory, or etcd when `--etcd-servers` names it.
async fn open_backend(args: &StorageArgs) -> anyhow::Result<Backend> {
    if args.etcd_servers.is_empty() {
        let dir = args.data_dir()?;
        let storage = EmbeddedStorage::open(&dir.join("db").join("foo.redb"))
            .with_context(|| format!("opening the embedded database in {}", dir.display()))?;
        return Ok(Backend {
            storage: Arc::new(storage),
            key_root: EMBEDDED_KEY_ROOT.to_owned(),
        });
    }
    let config = EtcdConfig {
        endpoints: args.etcd_servers.clone(),
        ca_file: args.etcd_cafile.clone(),
        cert_file: args.etcd_certfile.clone(),
        key_file: args.etcd_keyfile.clone(),
    };
    let storage = EtcdStorage::connect(&config)
        .await
        .with_context(|| format!("connecting to etcd at {}", args.etcd_servers.join(",")))?;
    Ok(Backend {
        storage: Arc::new(storage),
        key_root: args.etcd_prefix.trim_end_matches('/').to_owned(),
    })
}

async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("listening on {address}"))
}

async fn run(
    listener: TcpListener,
    tls: Arc<TlsConfig>,
    backend: Backend,
    access: Arc<Access>,
    limits: &LimitArgs,
    audit: &AuditArgs,
    settings: &StorageArgs,
) -> anyhow::Result<()> {
    let audit = match (&audit.audit_log_path, &audit.audit_policy_file) {
        (Some(path), Some(policy)) => Some(Arc::new(aggregated_apiserver::audit::Log::open(
            path,
            aggregated_apiserver::audit::Policy::read(policy)?,
        )?)),
        _ => None,
    };
    let storage = backend.storage.clone();
    let api = Arc::new(Api::new(
        backend,
        vec![Kind::new(FooStrategy)],
        aggregated_apiserver::registry::HistoryLimit {
            events: settings.default_watch_cache_size,
            bytes: settings.watch_cache_size_bytes,
        },
        limits.min_request_timeout,
    ));
    let limits = Limits {
        in_flight: Arc::new(InFlight::new(
            limits.max_requests_inflight,
            limits.max_mutating_requests_inflight,
        )),
        request_timeout: limits.request_timeout,
    };
    if !settings.compaction_interval.is_zero() {
        tokio::spawn(compact_periodically(storage, settings.compaction_interval));
    }
    let address = listener.local_addr()?;
    let shutdown_api = api.clone();
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        shutdown_api.start_shutdown();
    };
    tracing::info!("foo-apiserver is ready to serve on https://{address}");
    tls::serve(listener, tls, router(api, access, limits, audit), shutdown).await
}

/// Keeps one interval of history, as kube-apiserver compacts etcd: each tick compacts to the
/// revision seen at the previous tick.
async fn compact_periodically(storage: Arc<dyn Storage>, interval: Duration) {
    let mut previous = None;
    let mut ticks = tokio::time::interval(interval);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Some(revision) = previous
            && let Err(e) = storage.compact(revision).await
        {
            tracing::warn!("compaction to revision {revision} failed: {e}");
        }
        previous = storage.current_revision().await.ok();
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
