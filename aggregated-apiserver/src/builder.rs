//! The server as a program runs it: the kinds it serves, then storage, certificates,
//! authentication, the listener, compaction and a graceful shutdown, from the command line's
//! [`ServeArgs`] (in a cluster) or [`LocalArgs`] (on this machine).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::access;
use crate::admission::{Admission, NamespaceLifecycle};
use crate::authn::Authenticator;
use crate::authz::Authorizer;
use crate::docs::{Example, Reference};
use crate::filters::{Access, InFlight, Limits};
use crate::kubeconfig;
use crate::options::{AuditArgs, LimitArgs, LocalArgs, ServeArgs, StorageArgs};
use crate::pki::{self, CertPair};
use crate::registry::{HistoryLimit, Strategy};
use crate::server::{Api, Backend, Kind, router};
use crate::storage::{EmbeddedStorage, EtcdConfig, EtcdStorage, Storage};
use crate::tls::{self, TlsConfig};

/// An aggregated API server: its name and the kinds it serves.
///
/// ```no_run
/// # use aggregated_apiserver::registry::Strategy;
/// # async fn run<S: Strategy>(strategy: S, args: aggregated_apiserver::options::ServeArgs) -> anyhow::Result<()> {
/// use aggregated_apiserver::ApiServer;
///
/// ApiServer::new("my-apiserver").kind(strategy).serve(args).await
/// # }
/// ```
pub struct ApiServer {
    name: String,
    kinds: Vec<Kind>,
    admission: Vec<Arc<dyn Admission>>,
    authenticators: Vec<Arc<dyn Authenticator>>,
    authorizers: Vec<Box<dyn Authorizer>>,
    examples: Vec<Example>,
    database_file: String,
}

impl ApiServer {
    /// A server called `name` (in its logs, its local kubeconfig's context, and the directory
    /// of its data by default), which keeps its embedded database in `<data-dir>/db/<name>.redb`.
    pub fn new(name: &str) -> ApiServer {
        ApiServer {
            name: name.to_owned(),
            kinds: Vec::new(),
            admission: Vec::new(),
            authenticators: Vec::new(),
            authorizers: Vec::new(),
            examples: Vec::new(),
            database_file: format!("{name}.redb"),
        }
    }

    /// Also serves the kind that `strategy` describes.
    pub fn kind<S: Strategy>(mut self, strategy: S) -> ApiServer {
        self.kinds.push(Kind::new(strategy));
        self
    }

    /// Also passes every write through `plugin` (after those added before).
    pub fn admission(mut self, plugin: impl Admission) -> ApiServer {
        self.admission.push(Arc::new(plugin));
        self
    }

    /// Also accepts the credentials `authenticator` knows, asked before the server's own
    /// (client certificates, front-proxy headers, tokens) and after those added before: the
    /// first to name a user wins, as in k8s.io/apiserver's union authenticator.
    ///
    /// ```
    /// use aggregated_apiserver::ApiServer;
    /// use aggregated_apiserver::authn::{Authenticator, Credentials, Outcome, UserInfo};
    ///
    /// /// `Authorization: Bearer robot-token` is the robot.
    /// struct RobotToken;
    ///
    /// #[async_trait::async_trait]
    /// impl Authenticator for RobotToken {
    ///     async fn authenticate(&self, credentials: &Credentials<'_>) -> Outcome {
    ///         match credentials.headers.get("authorization") {
    ///             Some(value) if value == "Bearer robot-token" => Outcome::Authenticated(UserInfo {
    ///                 name: "robot".into(),
    ///                 ..UserInfo::default()
    ///             }),
    ///             _ => Outcome::NotApplicable,
    ///         }
    ///     }
    /// }
    ///
    /// let server = ApiServer::new("my-apiserver").authenticator(RobotToken);
    /// ```
    pub fn authenticator(mut self, authenticator: impl Authenticator + 'static) -> ApiServer {
        self.authenticators.push(Arc::new(authenticator));
        self
    }

    /// Also asks `authorizer`, before the server's own authorizers (the cluster's
    /// SubjectAccessReview, or the local policy) and after those added before, as a Go server
    /// puts its own authorizer in a union with the delegated one: it may allow or deny
    /// outright, or leave the request to the next with [`Decision::NoOpinion`].
    ///
    /// [`Decision::NoOpinion`]: crate::authz::Decision::NoOpinion
    ///
    /// ```
    /// use aggregated_apiserver::ApiServer;
    /// use aggregated_apiserver::authz::{Attributes, Authorizer, Decision, Verdict};
    ///
    /// /// Nobody deletes what is named `keep`.
    /// struct KeepIsKept;
    ///
    /// #[async_trait::async_trait]
    /// impl Authorizer for KeepIsKept {
    ///     async fn authorize(&self, attributes: &Attributes) -> Verdict {
    ///         let resource = attributes.request.resource.as_ref();
    ///         match resource {
    ///             Some(r) if attributes.request.verb == "delete" && r.name == "keep" => {
    ///                 Ok((Decision::Deny, "keep is kept".into()))
    ///             }
    ///             _ => Ok((Decision::NoOpinion, String::new())),
    ///         }
    ///     }
    /// }
    ///
    /// let server = ApiServer::new("my-apiserver").authorizer(KeepIsKept);
    /// ```
    pub fn authorizer(mut self, authorizer: impl Authorizer + 'static) -> ApiServer {
        self.authorizers.push(Box::new(authorizer));
        self
    }

    /// Also shows `example` in the API reference, in its kind's section.
    pub fn example(mut self, example: Example) -> ApiServer {
        self.examples.push(example);
        self
    }

    /// The API reference of the kinds served, as the server serves it at `/docs/`: rendered
    /// from the OpenAPI v3 documents it publishes, with the examples given.
    ///
    /// ```
    /// use aggregated_apiserver::ApiServer;
    ///
    /// let reference = ApiServer::new("my-apiserver").reference();
    /// assert!(reference.file("index.html").is_some());
    /// ```
    pub fn reference(&self) -> Reference {
        let v3 = crate::server::v3_documents(&self.name, &self.kinds);
        crate::server::reference(&self.kinds, &v3, &self.examples)
    }

    /// Keeps the embedded database in `<data-dir>/db/<file>` instead.
    pub fn database_file(mut self, file: &str) -> ApiServer {
        self.database_file = file.to_owned();
        self
    }

    /// Serves as a cluster's aggregated API, with the given or a self-signed certificate,
    /// authentication and authorization delegated to the cluster, and objects of namespaced
    /// kinds created only in the cluster's live namespaces ([`NamespaceLifecycle`], before
    /// the server's own admission plugins), until SIGINT or SIGTERM.
    pub async fn serve(self, args: ServeArgs) -> anyhow::Result<()> {
        let serving = match (
            &args.serving.tls_cert_file,
            &args.serving.tls_private_key_file,
        ) {
            (Some(cert), Some(key)) => CertPair {
                cert_pem: read(cert)?,
                key_pem: read(key)?,
            },
            _ => pki::self_signed_serving(&args.serving.cert_dir, &[])?,
        };
        let mut configured = access::delegated(&args.authentication, &args.authorization).await?;
        let tls = TlsConfig::new(&serving, configured.client_cas.clone())?;
        configured.look_up_cluster(tls.clone()).await?;
        let backend = self.open_backend(&args.storage).await?;
        let mut server = self;
        if server.kinds.iter().any(|kind| kind.info().namespaced) {
            let kubeconfig = args.core.kubeconfig.as_deref();
            let client = access::cluster_client(kubeconfig, "--kubeconfig").await?;
            let client = client.context(
                "namespaced kinds are created in the cluster's namespaces: give --kubeconfig, \
                 or run in the cluster",
            )?;
            let lifecycle: Arc<dyn Admission> = Arc::new(NamespaceLifecycle::new(client));
            server.admission.insert(0, lifecycle);
        }
        let listener = bind(SocketAddr::new(
            args.serving.bind_address,
            args.serving.secure_port,
        ))
        .await?;
        let running = Running {
            listener,
            tls,
            backend,
            access: server.with_own_access(configured.access),
        };
        server
            .run(running, &args.limits, &args.audit, &args.storage)
            .await
    }

    /// Makes everything to serve on this machine alone: a local CA and serving certificate,
    /// an admin client certificate and a kubeconfig for it; the returned server has bound its
    /// port and serves once [`LocalServer::run`] is called.
    pub async fn local(self, args: LocalArgs) -> anyhow::Result<LocalServer> {
        let data_dir = args.storage.data_dir(&self.name)?;
        let pki = pki::load_or_create_local_pki(&data_dir.join("pki"))?;
        let backend = self.open_backend(&args.storage).await?;
        let listener = bind(SocketAddr::new(args.bind_address, args.secure_port)).await?;
        let address = listener.local_addr()?;
        let host = match address.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_string(),
            ip if ip.is_ipv6() => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let url = format!("https://{host}:{}", address.port());
        let kubeconfig = args
            .kubeconfig
            .clone()
            .unwrap_or_else(|| data_dir.join("kubeconfig"));
        kubeconfig::write_kubeconfig(&kubeconfig, &url, &pki.ca.cert_pem, &pki.admin, &self.name)?;
        let configured = access::local(&pki.ca.cert_pem)?;
        let tls = TlsConfig::new(&pki.serving, configured.client_cas.clone())?;
        let mut server = self;
        let access = server.with_own_access(configured.access);
        Ok(LocalServer {
            server,
            running: Running {
                listener,
                tls,
                backend,
                access,
            },
            url,
            kubeconfig,
            data_dir,
            args,
        })
    }

    /// `access` with the server's own authenticators and authorizers asked first.
    fn with_own_access(&mut self, mut access: Access) -> Arc<Access> {
        access
            .authenticator
            .put_first(std::mem::take(&mut self.authenticators));
        let own = std::mem::take(&mut self.authorizers);
        access.authorizer.0.splice(0..0, own);
        Arc::new(access)
    }

    /// The embedded database in the data directory, or etcd when `--etcd-servers` names it.
    async fn open_backend(&self, args: &StorageArgs) -> anyhow::Result<Backend> {
        if args.etcd_servers.is_empty() {
            let dir = args.data_dir(&self.name)?;
            let storage = EmbeddedStorage::open(&dir.join("db").join(&self.database_file))
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

    async fn run(
        self,
        running: Running,
        limits: &LimitArgs,
        audit: &AuditArgs,
        settings: &StorageArgs,
    ) -> anyhow::Result<()> {
        let Running {
            listener,
            tls,
            backend,
            access,
        } = running;
        let audit = match (&audit.audit_log_path, &audit.audit_policy_file) {
            (Some(path), Some(policy)) => Some(Arc::new(crate::audit::Log::open(
                path,
                crate::audit::Policy::read(policy)?,
            )?)),
            _ => None,
        };
        let storage = backend.storage.clone();
        let api = Arc::new(Api::new(
            &self.name,
            backend,
            self.kinds,
            self.admission,
            &self.examples,
            HistoryLimit {
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
        tracing::info!("{} is ready to serve on https://{address}", self.name);
        tls::serve(listener, tls, router(api, access, limits, audit), shutdown).await
    }
}

/// What serving needs once it is set up.
struct Running {
    listener: TcpListener,
    tls: Arc<TlsConfig>,
    backend: Backend,
    access: Arc<Access>,
}

/// A server on this machine, set up by [`ApiServer::local`] and not serving yet: what it
/// wrote can be shown, and programs that use it (a controller) started, before [`run`].
///
/// [`run`]: LocalServer::run
pub struct LocalServer {
    server: ApiServer,
    running: Running,
    url: String,
    kubeconfig: PathBuf,
    data_dir: PathBuf,
    args: LocalArgs,
}

impl LocalServer {
    /// Where it serves: `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The admin kubeconfig it wrote, for kubectl.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Where its data and certificates are kept.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        let LocalServer {
            server,
            running,
            args,
            ..
        } = self;
        server
            .run(running, &args.limits, &args.audit, &args.storage)
            .await
    }
}

/// Resolves on SIGINT or SIGTERM: when the server starts its graceful shutdown, and when what
/// runs beside it should stop too.
pub async fn shutdown_signal() {
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

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Where the embedded database keeps objects, as kube-apiserver does in etcd.
const EMBEDDED_KEY_ROOT: &str = "/registry";

async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("listening on {address}"))
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

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::{Value, json};

    use super::*;
    use crate::authn::{Credentials, Outcome, UserInfo};
    use crate::authz::{Attributes, Decision, Verdict};
    use crate::resource::{ALL_VERBS, ResourceInfo};
    use crate::testing::{PLAIN_FOO, Plain};

    /// Foo, with every verb and no subresources.
    const FOO: ResourceInfo = ResourceInfo {
        verbs: ALL_VERBS,
        ..PLAIN_FOO
    };

    /// `Authorization: Bearer robot-token` is the robot; any other token is wrong.
    struct RobotToken;

    #[async_trait::async_trait]
    impl Authenticator for RobotToken {
        async fn authenticate(&self, credentials: &Credentials<'_>) -> Outcome {
            match credentials.headers.get("authorization") {
                Some(value) if value == "Bearer robot-token" => Outcome::Authenticated(UserInfo {
                    name: "robot".into(),
                    ..UserInfo::default()
                }),
                Some(_) => Outcome::Rejected("not the robot's token".into()),
                None => Outcome::NotApplicable,
            }
        }
    }

    /// Nobody deletes what is named `keep`; the robot may list.
    struct KeepIsKept;

    #[async_trait::async_trait]
    impl Authorizer for KeepIsKept {
        async fn authorize(&self, attributes: &Attributes) -> Verdict {
            let request = &attributes.request;
            match (&request.resource, request.verb.as_str()) {
                (Some(r), "delete") if r.name == "keep" => Ok((Decision::Deny, "kept".into())),
                (Some(_), "list") if attributes.user.name == "robot" => {
                    Ok((Decision::Allow, String::new()))
                }
                _ => Ok((Decision::NoOpinion, String::new())),
            }
        }
    }

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        local: LocalArgs,
    }

    async fn send(client: &kube::Client, method: http::Method, path: &str, body: Value) -> u16 {
        let body = match body {
            Value::Null => Vec::new(),
            body => body.to_string().into_bytes(),
        };
        let request = http::Request::builder()
            .method(method.clone())
            .uri(format!("/apis/demo.jeremyxu2010.me/v1beta1/foos{path}"))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .unwrap();
        match client.request_text(request).await {
            Ok(_) => 200,
            Err(kube::Error::Api(status)) => status.code,
            Err(other) => panic!("{method} {path}: {other}"),
        }
    }

    /// A server's own authenticators and authorizers are asked before its built-in ones.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn own_authenticators_and_authorizers_come_first() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_str().unwrap();
        let args = Cli::parse_from(["t", "--secure-port", "0", "--data-dir", data_dir]).local;
        let local = ApiServer::new("t")
            .kind(Plain(&FOO))
            .authenticator(RobotToken)
            .authorizer(KeepIsKept)
            .local(args)
            .await
            .unwrap();
        let kubeconfig = local.kubeconfig().to_owned();
        tokio::spawn(local.run());
        let admin = kubeconfig::client_from(&kubeconfig).await.unwrap();
        let as_robot = |token: &str| {
            let kubeconfig = kube::config::Kubeconfig::read_from(&kubeconfig).unwrap();
            let token = token.to_owned();
            async move {
                let mut config =
                    kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                        .await
                        .unwrap();
                config.auth_info = kube::config::AuthInfo {
                    token: Some(token.into()),
                    ..Default::default()
                };
                kube::Client::try_from(config).unwrap()
            }
        };

        for name in ["keep", "other"] {
            let foo = json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
                "metadata": {"name": name}, "spec": {"greeting": "hi"}});
            assert_eq!(send(&admin, http::Method::POST, "", foo).await, 200);
        }
        // Denied before system:masters is asked; what the server's own has no opinion on
        // goes on to the built-in authorizers.
        let delete = http::Method::DELETE;
        assert_eq!(
            send(&admin, delete.clone(), "/keep", Value::Null).await,
            403
        );
        assert_eq!(
            send(&admin, delete.clone(), "/other", Value::Null).await,
            200
        );

        let robot = as_robot("robot-token").await;
        assert_eq!(send(&robot, http::Method::GET, "", Value::Null).await, 200);
        assert_eq!(send(&robot, delete, "/keep", Value::Null).await, 403);
        let impostor = as_robot("guess").await;
        assert_eq!(
            send(&impostor, http::Method::GET, "", Value::Null).await,
            401
        );
    }
}
