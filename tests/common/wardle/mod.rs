//! The wardle.example.com API (k8s.io/sample-apiserver's) served by an implementation under
//! test, aggregated into a real kube-apiserver (`common::cluster`), for the conformance suite
//! `tests/wardle.rs`.
//!
//! A [`Target`] only says how to start a server; everything else is the same for every
//! implementation, so that the suite compares servers and not set-ups: the server gets a
//! serving certificate from a CA of its own for its Service's name, localhost and 127.0.0.1, a
//! free 127.0.0.1 port, and the cluster's CAs, etcd and admin kubeconfig ([`Launch`]). It is
//! then registered as the APIServices `v1alpha1.wardle.example.com` and
//! `v1beta1.wardle.example.com` (equal priorities, so kube-apiserver orders the versions by
//! their names) behind a Service of `type: ExternalName` for localhost, and is ready once
//! kube-apiserver serves both versions and kubectl discovers them.
//!
//! Included by `tests/wardle.rs` with `#[path]`: `common/mod.rs` does not declare it.

mod rust_wardle;
mod sample_apiserver;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::cluster::{
    Cluster, FRONT_PROXY_CLIENT, Process, get, start_on_free_port, tls_client_pem,
    write_client_kubeconfig,
};

pub const GROUP: &str = "wardle.example.com";
/// Where the server's Service is.
const SERVICE_NAMESPACE: &str = "default";
const SERVICE: &str = "wardle-apiserver";
/// How long kube-apiserver may take to find the server Available and serve its API (parallel
/// tests on a small machine start several control planes at once).
const STARTUP: Duration = Duration::from_secs(180);
/// The lines of the server's log a failure shows.
const LOG_LINES: usize = 80;

/// An implementation of the wardle API: how to start its server.
pub struct Target {
    /// For failure messages.
    pub name: &'static str,
    /// The server's command line for a [`Launch`]; it must serve HTTPS on 127.0.0.1 at the
    /// launch's port with its certificate until killed.
    command: fn(&Launch) -> Command,
}

/// What a server under test is started with. It runs in a directory of its own (its working
/// directory, removed after it is killed), for whatever data it keeps.
pub struct Launch<'a> {
    /// The 127.0.0.1 port to serve HTTPS on.
    pub port: u16,
    /// The serving certificate (for the Service's name, localhost and 127.0.0.1) and its key.
    pub tls_cert_file: PathBuf,
    pub tls_key_file: PathBuf,
    /// The control plane: its client CA and front-proxy CA files (whom to believe), its admin
    /// kubeconfig (for delegated authentication and authorization and for namespaces) and its
    /// etcd.
    pub cluster: &'a Cluster,
}

impl Launch<'_> {
    /// A path as a flag's value.
    pub fn path(path: &Path) -> String {
        path.to_str().expect("a UTF-8 temporary path").to_owned()
    }

    /// k8s.io/apiserver's flags for serving on the launch's port with its certificate,
    /// delegating authentication and authorization to the cluster as the admin, reading its
    /// namespaces, and keeping objects in its etcd, as `--name=value`.
    pub fn delegating_flags(&self) -> Vec<String> {
        let cluster = self.cluster;
        let kubeconfig = Launch::path(&cluster.kubeconfig());
        let flags = [
            ("--secure-port", self.port.to_string()),
            ("--bind-address", "127.0.0.1".into()),
            ("--tls-cert-file", Launch::path(&self.tls_cert_file)),
            ("--tls-private-key-file", Launch::path(&self.tls_key_file)),
            ("--client-ca-file", Launch::path(&cluster.client_ca_file())),
            // Given rather than looked up in the cluster, so that the server believes the
            // aggregator from its first request on.
            (
                "--requestheader-client-ca-file",
                Launch::path(&cluster.front_proxy_ca_file()),
            ),
            ("--requestheader-allowed-names", FRONT_PROXY_CLIENT.into()),
            ("--authentication-kubeconfig", kubeconfig.clone()),
            ("--authorization-kubeconfig", kubeconfig.clone()),
            ("--kubeconfig", kubeconfig),
            ("--etcd-servers", cluster.etcd_endpoints()),
        ];
        flags
            .map(|(name, value)| format!("{name}={value}"))
            .to_vec()
    }
}

impl Target {
    /// A control plane with this target's server aggregated into it and served. Blocking, a
    /// few seconds. The server logs to `<name>.log` in its directory; it is started again on a
    /// fresh port when its port was taken meanwhile.
    pub fn start(&self) -> Wardle {
        let cluster = Cluster::start();
        let dir = tempfile::Builder::new()
            .prefix("wardle-")
            .tempdir()
            .expect("creating the server's directory");
        let serving_ca_pem = serving_certificate(dir.path());
        let admin = cluster.admin();
        let direct_tls = tls_client_pem(&serving_ca_pem, &admin.cert_pem, &admin.key_pem);
        let admin_tls = tls_client_pem(&cluster.client_ca_pem(), &admin.cert_pem, &admin.key_pem);
        let (port, server) = start_on_free_port(&direct_tls, |port| {
            let launch = Launch {
                port,
                tls_cert_file: dir.path().join("tls.crt"),
                tls_key_file: dir.path().join("tls.key"),
                cluster: &cluster,
            };
            let mut command = (self.command)(&launch);
            command.current_dir(dir.path());
            Process::spawn(self.name, command, dir.path())
        });
        let wardle = Wardle {
            target: self.name,
            cluster,
            server,
            port,
            serving_ca_pem,
            admin_tls,
            dir,
        };
        wardle.register();
        for version in ["v1alpha1", "v1beta1"] {
            wardle.wait_served(&format!("/apis/{GROUP}/{version}/flunders"));
        }
        wardle.wait_discovered();
        wardle
    }
}

/// A target's server aggregated into its own control plane; both stopped when dropped.
pub struct Wardle {
    target: &'static str,
    pub cluster: Cluster,
    server: Process,
    /// The server's own port on 127.0.0.1.
    port: u16,
    /// The CA of the server's serving certificate.
    serving_ca_pem: String,
    /// kube-apiserver as the admin, without a runtime (for waiting).
    admin_tls: Arc<rustls::ClientConfig>,
    /// The certificate, key, log and whatever the server keeps; removed once it is killed.
    dir: TempDir,
}

impl Wardle {
    /// The admin kubeconfig of kube-apiserver, for kubectl.
    pub fn kubeconfig(&self) -> PathBuf {
        self.cluster.kubeconfig()
    }

    /// A client of kube-apiserver as the admin: the wardle API through aggregation.
    pub async fn client(&self) -> kube::Client {
        self.cluster.client().await
    }

    /// A client of the server itself, not through kube-apiserver, with the admin's client
    /// certificate (from the cluster CA, which the server trusts).
    pub async fn direct(&self) -> kube::Client {
        let path = self.dir.path().join("direct.kubeconfig");
        write_client_kubeconfig(
            &path,
            &format!("https://127.0.0.1:{}", self.port),
            &self.serving_ca_pem,
            "admin",
            self.cluster.admin(),
        );
        crate::common::client_from(&path).await
    }

    /// kubectl (the one on the PATH) as the admin, with a discovery cache of this cluster's
    /// own (a cache of an earlier cluster on the same port would be stale).
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(self.kubeconfig())
            .arg("--cache-dir")
            .arg(self.dir.path().join("kubectl-cache"))
            .args(args)
            .env_remove("KUBECONFIG")
            .output()
            .expect("running kubectl")
    }

    /// The end of the server's log and of kube-apiserver's, for failure messages.
    pub fn logs(&self) -> String {
        format!(
            "the end of {}'s log:\n{}\n{}",
            self.target,
            self.server.tail(LOG_LINES),
            self.cluster.apiserver_log()
        )
    }

    /// Applies the Service and both APIServices, and waits until they are Available.
    fn register(&self) {
        let ca_bundle = BASE64.encode(&self.serving_ca_pem);
        let service = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": SERVICE, "namespace": SERVICE_NAMESPACE},
            "spec": {
                "type": "ExternalName",
                "externalName": "localhost",
                "ports": [{"name": "https", "port": self.port}],
            },
        });
        let mut items = vec![service];
        for version in ["v1alpha1", "v1beta1"] {
            items.push(json!({
                "apiVersion": "apiregistration.k8s.io/v1",
                "kind": "APIService",
                "metadata": {"name": format!("{version}.{GROUP}")},
                "spec": {
                    "group": GROUP,
                    "version": version,
                    "service": {"namespace": SERVICE_NAMESPACE, "name": SERVICE, "port": self.port},
                    "caBundle": ca_bundle,
                    "groupPriorityMinimum": 1000,
                    "versionPriority": 15,
                },
            }));
        }
        self.apply(&json!({"apiVersion": "v1", "kind": "List", "items": items}));
        for version in ["v1alpha1", "v1beta1"] {
            let output = self.kubectl(&[
                "wait",
                "--for=condition=Available",
                &format!("apiservice/{version}.{GROUP}"),
                &format!("--timeout={}s", STARTUP.as_secs()),
            ]);
            assert!(
                output.status.success(),
                "APIService {version}.{GROUP} is not Available: {}\n{}",
                String::from_utf8_lossy(&output.stderr),
                self.logs()
            );
        }
    }

    /// `kubectl apply` of `object`, which must succeed.
    fn apply(&self, object: &Value) {
        let file = self.dir.path().join("registration.json");
        fs::write(&file, object.to_string()).expect("writing the registration");
        crate::common::ok(&self.kubectl(&["apply", "-f", &Launch::path(&file)]));
    }

    /// Waits until kubectl discovers both resources, each in its preferred version:
    /// kube-apiserver's aggregated discovery takes the server's in its own time.
    fn wait_discovered(&self) {
        self.wait_until(&format!("kubectl does not discover {GROUP}"), || {
            let output = self.kubectl(&["api-resources", "--api-group", GROUP, "-o", "name"]);
            let found = String::from_utf8_lossy(&output.stdout).into_owned();
            if ["fischers", "flunders"]
                .iter()
                .all(|resource| found.contains(&format!("{resource}.{GROUP}")))
            {
                return Ok(());
            }
            Err(format!(
                "{found}{}",
                String::from_utf8_lossy(&output.stderr)
            ))
        });
    }

    /// Waits until kube-apiserver answers `GET path` with 200 (its proxy to a new APIService
    /// catches up in its own time).
    fn wait_served(&self, path: &str) {
        self.wait_until(
            &format!("kube-apiserver does not serve {path}"),
            || match get(&self.admin_tls, self.cluster.port(), path) {
                Ok((200, _)) => Ok(()),
                Ok((status, body)) => Err(format!("{status}: {body}")),
                Err(error) => Err(error),
            },
        );
    }

    /// Calls `check` every 200 ms until it holds; after `STARTUP`, fails with `failure`, what
    /// `check` last found and the logs.
    fn wait_until(&self, failure: &str, mut check: impl FnMut() -> Result<(), String>) {
        let deadline = Instant::now() + STARTUP;
        while let Err(last) = check() {
            assert!(
                Instant::now() < deadline,
                "{failure} after {STARTUP:?}: {last}\n{}",
                self.logs()
            );
            sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Wardle {
    fn drop(&mut self) {
        self.server.kill();
    }
}

/// Writes `tls.crt` and `tls.key` in `dir`: a serving certificate for the Service's name,
/// localhost and 127.0.0.1 from a new CA, whose certificate (PEM) is returned.
fn serving_certificate(dir: &Path) -> String {
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "wardle-serving-ca");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let names = vec![
        format!("{SERVICE}.{SERVICE_NAMESPACE}.svc"),
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
    ];
    let mut leaf = CertificateParams::new(names).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, SERVICE);
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    fs::write(dir.join("tls.crt"), cert.pem()).expect("writing the serving certificate");
    fs::write(dir.join("tls.key"), key.serialize_pem()).expect("writing the serving key");
    issuer.pem()
}
