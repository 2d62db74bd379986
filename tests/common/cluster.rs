//! A real Kubernetes control plane for end-to-end tests: `Cluster::start()` runs an etcd
//! member, kube-apiserver and kube-controller-manager on free 127.0.0.1 ports, with a PKI and
//! an admin kubeconfig in the cluster's own temporary directory; dropping the cluster kills
//! them and removes it all.
//!
//! kube-apiserver is set up for API aggregation as kubeadm sets it up: a front-proxy CA, the
//! `front-proxy-client` certificate it proxies with and the `X-Remote-*` headers, published in
//! `kube-system/extension-apiserver-authentication`. kube-controller-manager runs only the
//! clusterrole-aggregation controller, which fills `view`, `edit` and `admin` from the
//! ClusterRoles labelled `rbac.authorization.k8s.io/aggregate-to-*`.
//!
//! The binaries are `$KUBE_APISERVER` and `$KUBE_CONTROLLER_MANAGER`, else those `cargo xtask
//! peers` caches (`xtask/src/peers.rs`: `<cache>/<binary>-<key>`).

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use super::etcd::EtcdCluster;

/// How long kube-apiserver (or another server [`start_on_free_port`] starts) may take to become
/// ready, and kube-controller-manager to aggregate the bootstrap ClusterRoles (parallel tests
/// on a small machine start several at once).
const STARTUP: Duration = Duration::from_secs(180);
/// How often a server is started again on a fresh port when its port was taken meanwhile
/// ([`start_on_free_port`]).
const ATTEMPTS: usize = 3;
/// The lines of each log shown by [`Cluster::logs`] and by a failure to start a server.
const LOG_LINES: usize = 60;

/// The Go module kube-apiserver and kube-controller-manager are built from.
const CONTROL_PLANE_MODULE: &str = "tests/peers/kube-apiserver";

/// The issuer of service account tokens, as kubeadm sets it.
pub const SERVICE_ACCOUNT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// The common name kube-apiserver's proxy client certificate has and aggregated API servers
/// allow (`--requestheader-allowed-names`).
pub const FRONT_PROXY_CLIENT: &str = "front-proxy-client";

/// A running control plane; killed when dropped.
pub struct Cluster {
    /// `https://127.0.0.1:<port>`: kube-apiserver.
    pub url: String,
    port: u16,
    /// Certificates, keys, kubeconfigs and logs; kube-apiserver's and
    /// kube-controller-manager's logs are `kube-apiserver.log` and
    /// `kube-controller-manager.log`.
    dir: TempDir,
    /// Signs kube-apiserver's serving certificate and the client certificates it accepts
    /// (`--client-ca-file`).
    ca: Ca,
    /// Signs the proxy client certificate (`--requestheader-client-ca-file`).
    front_proxy_ca: Ca,
    front_proxy_client: CertFiles,
    admin: CertFiles,
    /// Talks to kube-apiserver as the admin, without a runtime (for waiting).
    admin_tls: Arc<rustls::ClientConfig>,
    apiserver: Process,
    controller_manager: Option<Process>,
    etcd: EtcdCluster,
}

/// A certificate and its private key, as PEM and as files in the cluster's directory.
#[derive(Clone, Debug)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Cluster {
    /// Starts etcd, kube-apiserver (once `/readyz` answers 200) and kube-controller-manager
    /// (once it has aggregated the bootstrap `view` ClusterRole). Panics with the processes'
    /// logs when one of them fails. Blocking, a few seconds: in a `#[tokio::test(flavor =
    /// "multi_thread")]` it holds one worker meanwhile.
    pub fn start() -> Cluster {
        let apiserver_binary = peer("kube-apiserver", || module_key(CONTROL_PLANE_MODULE));
        let controller_manager_binary = peer("kube-controller-manager", || {
            module_key(CONTROL_PLANE_MODULE)
        });
        let dir = tempfile::Builder::new()
            .prefix("cluster-test-")
            .tempdir()
            .expect("creating a temporary directory for the cluster");
        let etcd = EtcdCluster::start(1);
        let pki = Pki::write(dir.path());
        let (port, apiserver) = start_on_free_port(&pki.admin_tls, |port| {
            spawn_apiserver(&apiserver_binary, dir.path(), &etcd, port)
        });
        let url = format!("https://127.0.0.1:{port}");
        let Pki {
            ca,
            front_proxy_ca,
            front_proxy_client,
            admin,
            admin_tls,
        } = pki;
        let mut cluster = Cluster {
            url,
            port,
            dir,
            ca,
            front_proxy_ca,
            front_proxy_client,
            admin,
            admin_tls,
            apiserver,
            controller_manager: None,
            etcd,
        };
        let kubeconfig = cluster.kubeconfig();
        cluster.write_kubeconfig(&kubeconfig, "admin", &cluster.admin);
        cluster.controller_manager = Some(spawn_controller_manager(
            &controller_manager_binary,
            cluster.dir.path(),
            &kubeconfig,
        ));
        if let Err(error) = cluster.wait_aggregated() {
            panic!("{error}\n{}", cluster.logs());
        }
        cluster
    }

    /// The port kube-apiserver serves on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `admin.kubeconfig`: user `admin` in group `system:masters`.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("admin.kubeconfig")
    }

    /// The admin's client certificate (CN `admin`, O `system:masters`), from the cluster CA.
    pub fn admin(&self) -> &CertFiles {
        &self.admin
    }

    /// A kube client for the admin.
    pub async fn client(&self) -> kube::Client {
        super::client_from(&self.kubeconfig()).await
    }

    /// A kube client presenting `certificate`: [`front_proxy_client`](Self::front_proxy_client)
    /// or one from [`user_certificate`](Self::user_certificate).
    pub async fn client_with(&self, certificate: &CertFiles) -> kube::Client {
        let kubeconfig = certificate.cert.with_extension("kubeconfig");
        self.write_kubeconfig(&kubeconfig, "user", certificate);
        super::client_from(&kubeconfig).await
    }

    /// The client URL of the cluster's etcd (a single member), for servers that share it.
    pub fn etcd_endpoints(&self) -> String {
        self.etcd.endpoints()
    }

    /// The cluster CA (PEM): it signs kube-apiserver's serving certificate and the client
    /// certificates kube-apiserver accepts (`--client-ca-file`, published as `client-ca-file`
    /// in `kube-system/extension-apiserver-authentication`).
    pub fn client_ca_pem(&self) -> String {
        self.ca.issuer.pem()
    }

    /// The file of [`client_ca_pem`](Self::client_ca_pem).
    pub fn client_ca_file(&self) -> PathBuf {
        self.ca.file.clone()
    }

    /// The front-proxy CA (PEM): it signs the certificate kube-apiserver proxies to aggregated
    /// API servers with (`--requestheader-client-ca-file`, published as
    /// `requestheader-client-ca-file`).
    pub fn front_proxy_ca_pem(&self) -> String {
        self.front_proxy_ca.issuer.pem()
    }

    /// The file of [`front_proxy_ca_pem`](Self::front_proxy_ca_pem).
    pub fn front_proxy_ca_file(&self) -> PathBuf {
        self.front_proxy_ca.file.clone()
    }

    /// kube-apiserver's proxy client certificate (CN `front-proxy-client`, from the
    /// front-proxy CA), for requests made as the aggregator makes them.
    pub fn front_proxy_client(&self) -> &CertFiles {
        &self.front_proxy_client
    }

    /// A client certificate from the cluster CA for `user`, in `group` if given (CN and O,
    /// as kube-apiserver reads them; rcgen writes at most one O, hence one group), written
    /// as `<user>.crt` and `<user>.key`. A later call for the same user replaces them.
    pub fn user_certificate(&self, user: &str, group: Option<&str>) -> CertFiles {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, user);
        if let Some(group) = group {
            params
                .distinguished_name
                .push(DnType::OrganizationName, group);
        }
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.ca.issue(self.dir.path(), &file_name(user), params)
    }

    /// `<user>.kubeconfig`: kube-apiserver as `user` (in `group` if given), with a certificate
    /// from [`user_certificate`](Self::user_certificate).
    pub fn user_kubeconfig(&self, user: &str, group: Option<&str>) -> PathBuf {
        let certificate = self.user_certificate(user, group);
        let path = self
            .dir
            .path()
            .join(format!("{}.kubeconfig", file_name(user)));
        self.write_kubeconfig(&path, user, &certificate);
        path
    }

    /// Writes a kubeconfig at `path` for kube-apiserver with `certificate` as user `user`.
    pub fn write_kubeconfig(&self, path: &Path, user: &str, certificate: &CertFiles) {
        write_client_kubeconfig(path, &self.url, &self.ca.issuer.pem(), user, certificate);
    }

    /// kube-apiserver's process id, while it runs.
    pub fn apiserver_pid(&self) -> Option<u32> {
        self.apiserver.child.as_ref().map(Child::id)
    }

    /// The last lines kube-apiserver logged.
    pub fn apiserver_log(&self) -> String {
        self.apiserver.tail(LOG_LINES)
    }

    /// The last lines kube-controller-manager logged.
    pub fn controller_manager_log(&self) -> String {
        self.controller_manager
            .as_ref()
            .map(|process| process.tail(LOG_LINES))
            .unwrap_or_default()
    }

    /// The end of both logs, for failure messages.
    pub fn logs(&self) -> String {
        format!(
            "the end of kube-apiserver's log:\n{}\nthe end of kube-controller-manager's log:\n{}",
            self.apiserver_log(),
            self.controller_manager_log()
        )
    }

    /// Waits until kube-controller-manager has aggregated the rules of the bootstrap
    /// `aggregate-to-view` ClusterRoles into `view` (bootstrapped with none).
    fn wait_aggregated(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        let path = "/apis/rbac.authorization.k8s.io/v1/clusterroles/view";
        loop {
            let process = self.controller_manager.as_mut().expect("started");
            if let Some(status) = process.exited() {
                return Err(format!("kube-controller-manager exited with {status}"));
            }
            if let Ok((200, body)) = get(&self.admin_tls, self.port, path) {
                let role: serde_json::Value = serde_json::from_str(&body)
                    .unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"));
                if role["rules"]
                    .as_array()
                    .is_some_and(|rules| !rules.is_empty())
                {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "kube-controller-manager did not aggregate ClusterRole view in {STARTUP:?}"
                ));
            }
            sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(process) = &mut self.controller_manager {
            process.kill();
        }
        self.apiserver.kill();
        // etcd is killed when its field is dropped, after both of its clients.
    }
}

/// Writes a kubeconfig at `path` for the server at `url`, trusting the CA `ca_pem`, with
/// `certificate` as user `user`.
pub fn write_client_kubeconfig(
    path: &Path,
    url: &str,
    ca_pem: &str,
    user: &str,
    certificate: &CertFiles,
) {
    let data = |pem: &str| BASE64.encode(pem);
    let kubeconfig = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: cluster
  cluster:
    server: {url}
    certificate-authority-data: {ca}
users:
- name: {user}
  user:
    client-certificate-data: {cert}
    client-key-data: {key}
contexts:
- name: {user}
  context:
    cluster: cluster
    user: {user}
current-context: {user}
",
        ca = data(ca_pem),
        cert = data(&certificate.cert_pem),
        key = data(&certificate.key_pem),
    );
    fs::write(path, kubeconfig).expect("writing a kubeconfig");
}

/// The path of a Go peer `binary` (e.g. `kube-apiserver`): `$KUBE_APISERVER` (its name in
/// capitals, `_` for `-`), else `<cache>/<binary>-<key>`, the binary `cargo xtask peers`
/// caches for its module's current `key` (`xtask/src/peers.rs`).
pub fn peer(binary: &str, key: impl FnOnce() -> String) -> PathBuf {
    let var = binary.replace('-', "_").to_uppercase();
    if let Some(path) = std::env::var_os(&var).filter(|path| !path.is_empty()) {
        return PathBuf::from(path);
    }
    let cached = peers_cache().map(|cache| cache.join(format!("{binary}-{}", key())));
    match cached {
        Some(path) if path.is_file() => path,
        _ => panic!(
            "{binary} is not built: run `cargo xtask test` (or `cargo xtask peers`); looked for \
             ${var}, then {}",
            cached.map_or("a cache directory".into(), |p| p.display().to_string())
        ),
    }
}

/// `$FOO_PEERS_CACHE`, else `$XDG_CACHE_HOME/foo-apiserver-peers`, else
/// `~/.cache/foo-apiserver-peers` (as `xtask/src/peers.rs`).
fn peers_cache() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    var("FOO_PEERS_CACHE")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|dir| PathBuf::from(dir).join("foo-apiserver-peers")))
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache/foo-apiserver-peers")))
}

/// The key of the binary built from the Go module at `module` (relative to the workspace),
/// as `xtask/src/peers.rs` computes it: its go.mod, go.sum (if any) and `.go` files (by name),
/// in that order.
pub fn module_key(module: &str) -> String {
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join(module);
    let mut sources: Vec<PathBuf> = fs::read_dir(&module)
        .unwrap_or_else(|e| panic!("reading {}: {e}", module.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "go"))
        .collect();
    sources.sort();
    let go_sum = module.join("go.sum");
    let files = std::iter::once(module.join("go.mod"))
        .chain(go_sum.is_file().then_some(go_sum))
        .chain(sources)
        .collect::<Vec<_>>();
    files_key(&files)
}

/// The first 16 hex digits of the SHA-256 of `files`' contents in this order: how
/// `xtask/src/peers.rs` keys a peer's build.
fn files_key(files: &[PathBuf]) -> String {
    let mut hash = Sha256::new();
    for path in files {
        hash.update(fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display())));
    }
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A certificate authority and the file holding its certificate.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    file: PathBuf,
}

impl Ca {
    /// A new CA named `common_name`, its certificate written as `<name>.crt`.
    fn new(dir: &Path, name: &str, common_name: &str) -> Ca {
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let file = dir.join(format!("{name}.crt"));
        fs::write(&file, issuer.pem()).expect("writing a CA certificate");
        fs::write(
            dir.join(format!("{name}.key")),
            issuer.key().serialize_pem(),
        )
        .expect("writing a CA key");
        Ca { issuer, file }
    }

    /// A certificate signed by this CA, written as `<name>.crt` and `<name>.key` in `dir`.
    fn issue(&self, dir: &Path, name: &str, params: CertificateParams) -> CertFiles {
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let files = CertFiles {
            cert: dir.join(format!("{name}.crt")),
            key: dir.join(format!("{name}.key")),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        };
        fs::write(&files.cert, &files.cert_pem).expect("writing a certificate");
        fs::write(&files.key, &files.key_pem).expect("writing a key");
        files
    }
}

/// Every certificate and key the control plane is started with.
struct Pki {
    ca: Ca,
    front_proxy_ca: Ca,
    front_proxy_client: CertFiles,
    admin: CertFiles,
    admin_tls: Arc<rustls::ClientConfig>,
}

impl Pki {
    /// Writes in `dir`: `ca.crt` (the cluster CA), `apiserver.crt` (serving 127.0.0.1 and
    /// localhost), `admin.crt` (CN admin, O system:masters), `front-proxy-ca.crt`,
    /// `front-proxy-client.crt`, each with its `.key`, and `sa.key` and `sa.pub` (the ECDSA
    /// P-256 key pair signing and verifying service account tokens).
    fn write(dir: &Path) -> Pki {
        let ca = Ca::new(dir, "ca", "kubernetes");
        let front_proxy_ca = Ca::new(dir, "front-proxy-ca", "front-proxy-ca");
        let leaf = |name: &str, org: Option<&str>, sans: &[&str], usage| {
            let sans: Vec<String> = sans.iter().map(|san| san.to_string()).collect();
            let mut params = CertificateParams::new(sans).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            if let Some(org) = org {
                params
                    .distinguished_name
                    .push(DnType::OrganizationName, org);
            }
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            params.extended_key_usages = vec![usage];
            params
        };
        let client = ExtendedKeyUsagePurpose::ClientAuth;
        let apiserver = leaf(
            "kube-apiserver",
            None,
            &["127.0.0.1", "localhost"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        ca.issue(dir, "apiserver", apiserver);
        let admin = ca.issue(
            dir,
            "admin",
            leaf("admin", Some("system:masters"), &[], client.clone()),
        );
        let front_proxy_client = front_proxy_ca.issue(
            dir,
            FRONT_PROXY_CLIENT,
            leaf(FRONT_PROXY_CLIENT, None, &[], client),
        );
        // kube-apiserver reads PKCS#8 private keys only as the signing key: the verifying key
        // is the public key.
        let service_accounts = KeyPair::generate().unwrap();
        fs::write(dir.join("sa.key"), service_accounts.serialize_pem())
            .expect("writing the service account key");
        fs::write(dir.join("sa.pub"), service_accounts.public_key_pem())
            .expect("writing the service account public key");
        let admin_tls = tls_client(&ca, &admin);
        Pki {
            ca,
            front_proxy_ca,
            front_proxy_client,
            admin,
            admin_tls,
        }
    }
}

/// A rustls client trusting `ca` and presenting `certificate`.
fn tls_client(ca: &Ca, certificate: &CertFiles) -> Arc<rustls::ClientConfig> {
    tls_client_pem(
        &ca.issuer.pem(),
        &certificate.cert_pem,
        &certificate.key_pem,
    )
}

/// A rustls client trusting the CA `ca_pem` and presenting the certificate `cert_pem` with
/// its PKCS#8 key `key_pem`, for [`get`].
pub fn tls_client_pem(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(pem_der(
            ca_pem,
            "CERTIFICATE",
        )))
        .unwrap();
    let cert = rustls::pki_types::CertificateDer::from(pem_der(cert_pem, "CERTIFICATE"));
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pem_der(key_pem, "PRIVATE KEY")));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![cert], key)
        .unwrap();
    Arc::new(config)
}

/// The DER of the first `label` block in `pem`.
fn pem_der(pem: &str, label: &str) -> Vec<u8> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin).expect("PEM block") + begin.len();
    let stop = start + pem[start..].find(&end).expect("PEM block end");
    let base64: String = pem[start..stop].split_whitespace().collect();
    BASE64.decode(base64).expect("PEM base64")
}

/// kube-apiserver on `port` with the files [`Pki::write`] wrote in `dir`.
fn spawn_apiserver(binary: &Path, dir: &Path, etcd: &EtcdCluster, port: u16) -> Process {
    let flag = |name: &str, value: &str| format!("--{name}={value}");
    // A file in the cluster's directory.
    let path_flag = |name: &str, file_name: &str| {
        let mut arg = std::ffi::OsString::from(format!("--{name}="));
        arg.push(dir.join(file_name));
        arg
    };
    let mut command = Command::new(binary);
    command
        .arg(flag("etcd-servers", &etcd.endpoints()))
        .arg(flag("secure-port", &port.to_string()))
        .arg("--bind-address=127.0.0.1")
        .arg("--advertise-address=127.0.0.1")
        .arg(path_flag("cert-dir", "apiserver-certs"))
        .arg(path_flag("tls-cert-file", "apiserver.crt"))
        .arg(path_flag("tls-private-key-file", "apiserver.key"))
        .arg(path_flag("client-ca-file", "ca.crt"))
        .arg(flag("service-account-issuer", SERVICE_ACCOUNT_ISSUER))
        .arg(path_flag("service-account-key-file", "sa.pub"))
        .arg(path_flag("service-account-signing-key-file", "sa.key"))
        .arg("--service-cluster-ip-range=10.0.0.0/24")
        .arg("--authorization-mode=RBAC")
        // Aggregation, as kubeadm sets it up.
        .arg(path_flag(
            "requestheader-client-ca-file",
            "front-proxy-ca.crt",
        ))
        .arg(flag("requestheader-allowed-names", FRONT_PROXY_CLIENT))
        .arg("--requestheader-username-headers=X-Remote-User")
        .arg("--requestheader-group-headers=X-Remote-Group")
        .arg("--requestheader-extra-headers-prefix=X-Remote-Extra-")
        .arg("--requestheader-uid-headers=X-Remote-Uid")
        .arg(path_flag(
            "proxy-client-cert-file",
            &format!("{FRONT_PROXY_CLIENT}.crt"),
        ))
        .arg(path_flag(
            "proxy-client-key-file",
            &format!("{FRONT_PROXY_CLIENT}.key"),
        ))
        .arg("--enable-aggregator-routing=false")
        // The `kubernetes` Endpoints cannot hold a loopback address: no reconciler then,
        // instead of a validation error logged every 10 s.
        .arg("--endpoint-reconciler-type=none");
    Process::spawn("kube-apiserver", command, dir)
}

fn spawn_controller_manager(binary: &Path, dir: &Path, kubeconfig: &Path) -> Process {
    let mut command = Command::new(binary);
    command
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--controllers=clusterrole-aggregation-controller")
        .arg("--leader-elect=false")
        .arg("--secure-port=0")
        .arg("--use-service-account-credentials=false");
    Process::spawn("kube-controller-manager", command, dir)
}

/// Starts a server with `spawn` on a free 127.0.0.1 port and waits until it answers
/// `/readyz` with 200 through `tls`: its port and process. It is started again on a fresh port
/// when its port was taken meanwhile; otherwise a failure panics with the end of its log.
pub fn start_on_free_port(
    tls: &Arc<rustls::ClientConfig>,
    mut spawn: impl FnMut(u16) -> Process,
) -> (u16, Process) {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let port = free_port();
        let mut process = spawn(port);
        match wait_ready(&mut process, port, tls) {
            Ok(()) => return (port, process),
            Err(error) => {
                process.kill();
                let log = process.tail(LOG_LINES);
                if attempt < ATTEMPTS && log.contains("address already in use") {
                    continue;
                }
                panic!("{} {error}; the end of its log:\n{log}", process.name);
            }
        }
    }
}

/// Waits until the server `process` on `port` answers `/readyz` with 200 through `tls`.
fn wait_ready(
    process: &mut Process,
    port: u16,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP;
    loop {
        if let Some(status) = process.exited() {
            return Err(format!("exited with {status}"));
        }
        let last = match get(tls, port, "/readyz") {
            Ok((200, _)) => return Ok(()),
            Ok((status, body)) => format!("{status}: {body}"),
            Err(error) => error,
        };
        if Instant::now() > deadline {
            return Err(format!("is not ready after {STARTUP:?}; /readyz: {last}"));
        }
        sleep(Duration::from_millis(100));
    }
}

/// `GET path` on 127.0.0.1:`port` (kube-apiserver, or another server whose certificate names
/// 127.0.0.1) over HTTPS with `tls`: the status and body. HTTP/1.0, so that the body is
/// neither chunked nor kept alive.
pub fn get(
    tls: &Arc<rustls::ClientConfig>,
    port: u16,
    path: &str,
) -> Result<(u16, String), String> {
    let error = |e: std::io::Error| format!("GET {path}: {e}");
    let tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).map_err(error)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(error)?;
    let server = ServerName::try_from("127.0.0.1").unwrap();
    let connection = rustls::ClientConnection::new(tls.clone(), server)
        .map_err(|e| format!("GET {path}: {e}"))?;
    let mut stream = rustls::StreamOwned::new(connection, tcp);
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(error)?;
    let mut response = Vec::new();
    if let Err(e) = stream.read_to_end(&mut response) {
        // Go closes without close_notify; what arrived before is the whole response.
        if e.kind() != std::io::ErrorKind::UnexpectedEof {
            return Err(error(e));
        }
    }
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("GET {path}: incomplete response: {response}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("GET {path}: bad status line: {head}"))?;
    Ok((status, body.to_owned()))
}

/// `user` as a file name: `/` is the only character Linux does not allow.
fn file_name(user: &str) -> String {
    user.replace('/', "_")
}

/// A 127.0.0.1 port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("binding a free port")
        .port()
}

/// A process logging to `<name>.log` in a directory (the cluster's, or a server's own).
pub struct Process {
    name: &'static str,
    child: Option<Child>,
    log: PathBuf,
}

impl Process {
    /// Starts `command`, its stdout and stderr going to `<name>.log` in `dir`.
    pub fn spawn(name: &'static str, mut command: Command, dir: &Path) -> Process {
        let log = dir.join(format!("{name}.log"));
        // A new log for each start: a retry on another port forgets the failed attempt.
        let file =
            fs::File::create(&log).unwrap_or_else(|e| panic!("creating {}: {e}", log.display()));
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("cloning a log handle"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Process {
            name,
            child: Some(child),
            log,
        }
    }

    /// How the process ended, if it has.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// Kills the process, if it runs, and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The last `lines` lines of the log.
    pub fn tail(&self, lines: usize) -> String {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        let tail = all[all.len().saturating_sub(lines)..].join("\n");
        format!("({} log: {})\n{tail}", self.name, self.log.display())
    }
}
