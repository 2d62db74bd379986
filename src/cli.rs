//! The command line: `foo-apiserver [serving flags]` and `foo-apiserver local`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use aggregated_apiserver::options::{AuditArgs, AuthenticationArgs, AuthorizationArgs, LimitArgs};
use clap::{Args, Parser, Subcommand};

/// A Kubernetes aggregated API server for demo.jeremyxu2010.me (kind Foo).
#[derive(Debug, Parser)]
#[command(
    name = "foo-apiserver",
    version,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run on this machine with one command: embedded storage, a local CA and client
    /// certificate, and a kubeconfig for kubectl and the plugin.
    Local(Box<LocalArgs>),
    /// Run the Foo controller alone against a cluster that serves the API (a deployment
    /// beside the server), with leader election on a coordination.k8s.io Lease.
    Controller(ControllerArgs),
    /// Print the YAML that runs the server and its controller in a cluster, registered with
    /// the aggregator: RBAC, a serving certificate, Deployments, Service, APIService.
    Manifests(ManifestsArgs),
}

#[derive(Debug, Args)]
pub struct StorageArgs {
    /// Where the embedded database is kept (and, for `local`, its certificates).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// etcd v3 client URLs, comma-separated: store objects in etcd instead of the embedded
    /// database, so that several replicas of the server can share them.
    #[arg(long, value_name = "URLS", value_delimiter = ',')]
    pub etcd_servers: Vec<String>,
    /// The key prefix of every object in etcd.
    #[arg(long, value_name = "PREFIX", default_value = "/registry")]
    pub etcd_prefix: String,
    /// The CA that signed the etcd servers' certificates (PEM), for https URLs.
    #[arg(long, value_name = "FILE")]
    pub etcd_cafile: Option<PathBuf>,
    /// The client certificate presented to etcd (PEM); with --etcd-keyfile.
    #[arg(long, value_name = "FILE", requires = "etcd_keyfile")]
    pub etcd_certfile: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "etcd_certfile")]
    pub etcd_keyfile: Option<PathBuf>,
    /// How often history older than one interval is compacted (0 disables compaction).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub compaction_interval: Duration,
    /// How many changes of each resource the watch cache keeps for watches that resume from
    /// a past resourceVersion (older ones get 410 Gone and relist).
    #[arg(long, value_name = "EVENTS", default_value_t = 10_000)]
    pub default_watch_cache_size: usize,
    /// The most the watch cache keeps of each resource's changes, in bytes of the objects as
    /// stored: big objects shorten the history instead of growing memory.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    pub watch_cache_size_bytes: usize,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to serve HTTPS on (0 picks a free one).
    #[arg(long, default_value_t = 9443)]
    pub secure_port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind_address: IpAddr,
    /// The serving certificate (PEM); with --tls-private-key-file.
    #[arg(long, value_name = "FILE", requires = "tls_private_key_file")]
    pub tls_cert_file: Option<PathBuf>,
    /// The serving certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert_file")]
    pub tls_private_key_file: Option<PathBuf>,
    /// Where a self-signed serving certificate is kept when none is given.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "apiserver.local.config/certificates"
    )]
    pub cert_dir: PathBuf,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub audit: AuditArgs,
    #[command(flatten)]
    pub authentication: AuthenticationArgs,
    #[command(flatten)]
    pub authorization: AuthorizationArgs,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Debug, Args)]
pub struct LocalArgs {
    /// The port to serve HTTPS on (0 picks a free one).
    #[arg(long, default_value_t = 9443)]
    pub secure_port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_address: IpAddr,
    /// Where to write the kubeconfig [default: <data-dir>/kubeconfig].
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub audit: AuditArgs,
    /// Run the controller in this process, as `apiserver-boot run local` did; false serves
    /// the API alone (Ready stays unset until some controller reconciles).
    #[arg(
        long,
        value_name = "BOOL",
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub controller: bool,
    /// Also serve the built-in controller's metrics in Prometheus text format on
    /// http://ADDRESS/metrics (plain HTTP). Without it the controller only logs what it does.
    #[arg(long, value_name = "ADDRESS")]
    pub metrics_bind_address: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Debug, Args)]
pub struct ControllerArgs {
    /// The kubeconfig to use [default: $KUBECONFIG, ~/.kube/config, or the in-cluster
    /// service account].
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Reconcile only while holding the Lease, so that one of several replicas works at a
    /// time (15 s lease, renewed every 5 s).
    #[arg(
        long,
        value_name = "BOOL",
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub leader_elect: bool,
    /// The namespace of the coordination.k8s.io/v1 Lease.
    #[arg(long, value_name = "NAMESPACE", default_value = "kube-system")]
    pub lease_namespace: String,
    /// The name of the Lease.
    #[arg(long, value_name = "NAME", default_value = "foo-controller")]
    pub lease_name: String,
    /// Where to serve metrics in Prometheus text format on /metrics (plain HTTP);
    /// "0" disables.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8080")]
    pub metrics_bind_address: String,
}

impl StorageArgs {
    /// `--data-dir`, or `foo-apiserver` under the user's data directory.
    pub fn data_dir(&self) -> anyhow::Result<PathBuf> {
        match &self.data_dir {
            Some(dir) => Ok(dir.clone()),
            None => dirs::data_local_dir()
                .map(|d| d.join("foo-apiserver"))
                .ok_or_else(|| anyhow::anyhow!("no user data directory here: pass --data-dir")),
        }
    }
}

#[derive(Debug, Args)]
pub struct ManifestsArgs {
    /// The namespace of the server, the controller and the controller's Lease (created unless
    /// it is one Kubernetes makes itself).
    #[arg(long, value_name = "NAMESPACE", default_value = "foo-system")]
    pub namespace: String,
    /// The name of the Service and the server's objects; the controller's add `-controller`.
    #[arg(long, value_name = "NAME", default_value = "foo-apiserver")]
    pub name: String,
    /// The image of both Deployments.
    #[arg(long, value_name = "IMAGE", default_value = crate::manifests::DEFAULT_IMAGE)]
    pub image: String,
    /// Server replicas; more than one needs --etcd-servers.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        value_parser = clap::value_parser!(i32).range(1..)
    )]
    pub replicas: i32,
    /// etcd v3 client URLs, comma-separated, reachable from the pods (https ones must be
    /// signed by a CA in the image: no client certificate is mounted) [default: the embedded
    /// store on a PersistentVolumeClaim, one replica].
    #[arg(long, value_name = "URLS", value_delimiter = ',')]
    pub etcd_servers: Vec<String>,
    /// Keep the CA and the serving certificate here (ca.crt, ca.key, tls.crt, tls.key): reused
    /// when present, created otherwise [default: new ones in memory on every run].
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Placeholders instead of certificates and the key: a deterministic example to commit or
    /// review, which cannot be deployed.
    #[arg(long, conflicts_with = "cert_dir")]
    pub redact: bool,
}
