//! The command line: `foo-apiserver [serving flags]` and `foo-apiserver local`.

use std::path::PathBuf;

use aggregated_apiserver::options::ServeArgs;
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
    Local(Box<LocalCommandArgs>),
    /// Run the Foo controller alone against a cluster that serves the API (a deployment
    /// beside the server), with leader election on a coordination.k8s.io Lease.
    Controller(ControllerArgs),
    /// Print the YAML that runs the server and its controller in a cluster, registered with
    /// the aggregator: RBAC, a serving certificate, Deployments, Service, APIService.
    Manifests(ManifestsArgs),
    /// Write the API reference (HTML, one page per group/version, no scripts) that the server
    /// serves at /docs/, rendered from its OpenAPI v3 documents.
    Docs(DocsArgs),
}

#[derive(Debug, Args)]
pub struct DocsArgs {
    /// The directory to write the pages into (created if need be).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct LocalCommandArgs {
    #[command(flatten)]
    pub server: aggregated_apiserver::options::LocalArgs,
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

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn every_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
