//! The generic server's command-line options, with kube-apiserver's flag names and defaults
//! (k8s.io/apiserver's options): serving, storage, limits, audit, delegated authentication and
//! authorization. A server flattens [`ServeArgs`] (in a cluster) or [`LocalArgs`] (on this
//! machine) into its own command line.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Everything a server aggregated into a cluster is configured with, as k8s.io/apiserver's
/// RecommendedOptions.
///
/// ```
/// use aggregated_apiserver::options::ServeArgs;
/// use clap::Parser;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     serve: ServeArgs,
/// }
///
/// let cli = Cli::parse_from(["my-apiserver", "--secure-port", "8443", "--etcd-servers", "http://etcd:2379"]);
/// assert_eq!(cli.serve.serving.secure_port, 8443);
/// assert_eq!(cli.serve.storage.etcd_servers, ["http://etcd:2379"]);
/// ```
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where and with which certificate HTTPS is served.
    #[command(flatten)]
    pub serving: SecureServingArgs,
    /// What is taken on at once and for how long.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Audit logging.
    #[command(flatten)]
    pub audit: AuditArgs,
    /// Who a request comes from, as the cluster says.
    #[command(flatten)]
    pub authentication: AuthenticationArgs,
    /// What a user may do, as the cluster says.
    #[command(flatten)]
    pub authorization: AuthorizationArgs,
    /// Where objects are kept.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The cluster that admission asks about namespaces.
    #[command(flatten)]
    pub core: CoreApiArgs,
}

/// The cluster whose objects admission looks at, with k8s.io/apiserver's flag.
#[derive(Debug, Args)]
pub struct CoreApiArgs {
    /// A kubeconfig for the cluster whose namespaces a namespaced kind's objects are created
    /// in (NamespaceLifecycle admission) [default: in-cluster when running in a pod].
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
}

/// A server on this machine alone: a local CA, an admin client certificate and a kubeconfig
/// for kubectl, and the embedded store unless etcd is named.
#[derive(Debug, Args)]
pub struct LocalArgs {
    /// The port to serve HTTPS on (0 picks a free one).
    #[arg(long, default_value_t = 9443)]
    pub secure_port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_address: IpAddr,
    /// Where to write the kubeconfig [default: `kubeconfig` in the data directory].
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// What is taken on at once and for how long.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Audit logging.
    #[command(flatten)]
    pub audit: AuditArgs,
    /// Where objects are kept.
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Where and with which certificate HTTPS is served, with k8s.io/apiserver's flags.
#[derive(Debug, Args)]
pub struct SecureServingArgs {
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
}

/// Where objects are kept: the embedded database in a data directory, or etcd.
#[derive(Debug, Args)]
pub struct StorageArgs {
    /// Where the embedded database is kept (and, for `local`, its certificates)
    /// [default: the server's name in the user's data directory].
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

impl StorageArgs {
    /// `--data-dir`, or `server_name` under the user's data directory.
    pub fn data_dir(&self, server_name: &str) -> anyhow::Result<PathBuf> {
        match &self.data_dir {
            Some(dir) => Ok(dir.clone()),
            None => dirs::data_local_dir()
                .map(|d| d.join(server_name))
                .ok_or_else(|| anyhow::anyhow!("no user data directory here: pass --data-dir")),
        }
    }
}

/// What one server takes on at once and for how long, with kube-apiserver's flags and
/// defaults.
#[derive(Clone, Debug, Args)]
pub struct LimitArgs {
    /// Read-only requests served at once (watches excluded); more get 429 (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 400)]
    pub max_requests_inflight: usize,
    /// Writes served at once; more get 429 (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_mutating_requests_inflight: usize,
    /// How long a request other than a watch may take before it is answered 504.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,
    /// The shortest a watch without timeoutSeconds lasts, in seconds; each lasts a random time
    /// between this and twice this, so that clients do not all reconnect at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub min_request_timeout: u64,
}

/// Audit logging, with kube-apiserver's flags.
#[derive(Clone, Debug, Args)]
pub struct AuditArgs {
    /// Write audit events, one JSON line each, to this file (`-` for standard output).
    #[arg(long, value_name = "PATH", requires = "audit_policy_file")]
    pub audit_log_path: Option<PathBuf>,
    /// The audit.k8s.io/v1 Policy that decides what is logged and at which level.
    #[arg(long, value_name = "FILE", requires = "audit_log_path")]
    pub audit_policy_file: Option<PathBuf>,
}

/// Delegated authentication, with k8s.io/apiserver's flags and defaults.
#[derive(Debug, Args)]
pub struct AuthenticationArgs {
    /// A kubeconfig for the cluster that authenticates bearer tokens (TokenReview) and
    /// publishes kube-system/extension-apiserver-authentication [default: in-cluster when
    /// running in a pod; else neither is used].
    #[arg(long, value_name = "PATH")]
    pub authentication_kubeconfig: Option<PathBuf>,
    /// Do not read the client CA and front-proxy settings from the cluster's
    /// extension-apiserver-authentication ConfigMap.
    #[arg(long, value_name = "BOOL", default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub authentication_skip_lookup: bool,
    /// Start even if that ConfigMap cannot be read.
    #[arg(long, value_name = "BOOL", default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub authentication_tolerate_lookup_failure: bool,
    /// Authenticate client certificates signed by this CA (PEM): the subject's CN is the user,
    /// its O the groups [default: the cluster's client-ca-file].
    #[arg(long, value_name = "FILE")]
    pub client_ca_file: Option<PathBuf>,
    /// Trust the user named in request headers only from a client certificate signed by this
    /// CA (PEM), as kube-apiserver's front proxy presents [default: the cluster's].
    #[arg(long, value_name = "FILE")]
    pub requestheader_client_ca_file: Option<PathBuf>,
    /// Common names of the front proxy's certificate; empty allows any certificate of the
    /// requestheader CA.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub requestheader_allowed_names: Vec<String>,
    /// Headers to read the user name from, the first non-empty one.
    #[arg(
        long,
        value_name = "HEADERS",
        value_delimiter = ',',
        default_value = "x-remote-user"
    )]
    pub requestheader_username_headers: Vec<String>,
    /// Headers to read the user's groups from.
    #[arg(
        long,
        value_name = "HEADERS",
        value_delimiter = ',',
        default_value = "x-remote-group"
    )]
    pub requestheader_group_headers: Vec<String>,
    /// Prefixes of headers that carry the user's extra attributes.
    #[arg(
        long,
        value_name = "PREFIXES",
        value_delimiter = ',',
        default_value = "x-remote-extra-"
    )]
    pub requestheader_extra_headers_prefix: Vec<String>,
    /// Headers to read the user's UID from.
    #[arg(long, value_name = "HEADERS", value_delimiter = ',')]
    pub requestheader_uid_headers: Vec<String>,
    /// Serve requests without credentials as system:anonymous (group system:unauthenticated),
    /// for authorization to judge; false refuses them with 401.
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub anonymous_auth: bool,
}

/// How requests are authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthorizationMode {
    /// Ask the cluster with a SubjectAccessReview (system:masters and the always-allowed
    /// paths are allowed without asking).
    #[value(name = "Delegated")]
    Delegated,
    /// Allow every request, anonymous ones included: only for a server nobody else can reach.
    #[value(name = "AlwaysAllow")]
    AlwaysAllow,
}

/// Delegated authorization, with k8s.io/apiserver's flags and defaults.
#[derive(Debug, Args)]
pub struct AuthorizationArgs {
    /// How requests are authorized: by the cluster (Delegated) or not at all (AlwaysAllow).
    #[arg(
        long,
        value_enum,
        value_name = "MODE",
        default_value = "Delegated",
        ignore_case = true
    )]
    pub authorization_mode: AuthorizationMode,
    /// A kubeconfig for the cluster that answers SubjectAccessReviews [default: in-cluster
    /// when running in a pod].
    #[arg(long, value_name = "PATH")]
    pub authorization_kubeconfig: Option<PathBuf>,
    /// Paths anyone may request without asking the cluster; `*` at the end makes a prefix.
    #[arg(
        long,
        value_name = "PATHS",
        value_delimiter = ',',
        default_value = "/healthz,/readyz,/livez"
    )]
    pub authorization_always_allow_paths: Vec<String>,
}
