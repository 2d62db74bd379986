//! The servers under test, started and wired up for the benchmark: foo-apiserver on its
//! embedded store and on etcd, wardle-apiserver (examples/wardle) on its embedded store, the
//! static-JSON server, and in a [`Lab`] (a kube-apiserver with its etcd) foo-apiserver and
//! sample-apiserver aggregated into it, wardle-apiserver started as sample-apiserver is, and
//! a CRD of Foo's shape. Each binds a free port on 127.0.0.1, keeps its data, certificates,
//! kubeconfig and log in its own temporary directory, and answers a client in
//! `system:masters` (so that no authorization webhook is in the measured path).
//!
//! foo-apiserver runs without its controller, as sample-apiserver and a CRD do: what is
//! measured is the API server alone.
//!
//! The Go peers are `$SAMPLE_APISERVER` and `$STATIC_JSON_SERVER`, which `cargo xtask bench`
//! builds and sets, as it does `$WARDLE_APISERVER` (built here when unset, in the profile
//! cargo built foo-apiserver in for the benchmark).

mod crd;
mod daemon;
mod lab;
mod writer;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aggregated_apiserver::pki::{CertPair, LocalPki, load_or_create_local_pki};
use tempfile::TempDir;

use crate::common::cluster::{free_port, tls_client_pem};
use crate::common::etcd::EtcdCluster;
use crate::endpoint::{Endpoint, FLUNDERS, Shape};
use daemon::Daemon;
pub use lab::Lab;
pub use writer::Writer;

const FOO_APISERVER: &str = env!("CARGO_BIN_EXE_foo-apiserver");
/// Foo's collection (cluster-scoped).
const FOOS: &str = "/apis/demo.jeremyxu2010.me/v1beta1/foos";
const FOO_API_VERSION: &str = "demo.jeremyxu2010.me/v1beta1";
/// The name every serving certificate here has and the load generator checks.
const SERVER_NAME: &str = "127.0.0.1";

/// A server under test; killed when dropped.
pub struct Running {
    pub endpoint: Endpoint,
    /// A kubeconfig for the server itself, as the admin (for kubectl and kubectl-foo).
    pub kubeconfig: PathBuf,
    daemon: Daemon,
    /// Data, certificates, kubeconfig and log; removed after the server is killed.
    _dir: TempDir,
}

impl Running {
    /// Kills the server as `kill -9` would and starts it again on the same data and port
    /// (for memory after a cold start); the endpoint's pid follows.
    pub fn restart(&mut self) {
        self.daemon.restart();
        self.endpoint.pid = Some(self.daemon.pid());
    }
}

/// `foo-apiserver local` on its embedded store.
pub fn foo_embedded() -> Running {
    foo_local("foo (embedded)", &[])
}

/// `foo-apiserver local` storing in `etcd`.
pub fn foo_on_etcd(etcd: &EtcdCluster) -> Running {
    foo_local("foo (etcd)", &[("--etcd-servers", &etcd.endpoints())])
}

/// One etcd member for [`foo_on_etcd`] alone.
pub fn dedicated_etcd() -> EtcdCluster {
    EtcdCluster::start(1)
}

/// The static-JSON server (`tests/peers/static-json`): one Foo for every GET, the ceiling of
/// this machine's loopback with Go's TLS stack.
pub fn static_json() -> Running {
    let dir = temp_dir("static-json");
    // Its CA signs the serving certificate and the admin's client certificate.
    let pki = load_or_create_local_pki(dir.path()).expect("a PKI for the static-JSON server");
    let port = free_port();
    let file = |name: &str| dir.path().join(name);
    let args = flags(&[
        ("--secure-port", &port.to_string()),
        ("--bind-address", SERVER_NAME),
        ("--tls-cert-file", &path(&file("serving.crt"))),
        ("--tls-private-key-file", &path(&file("serving.key"))),
        ("--client-ca-file", &path(&file("ca.crt"))),
    ]);
    let endpoint = local_endpoint("static JSON", port, pki, FOOS, Shape::Static);
    start(endpoint, &peer("STATIC_JSON_SERVER"), args, port, dir)
}

/// `wardle-apiserver local` on its embedded store.
pub fn wardle_embedded() -> Running {
    let api = Local {
        program: wardle_apiserver(),
        collection: FLUNDERS,
        shape: Shape::Flunder,
    };
    api.start("wardle (embedded)", &[])
}

/// `foo-apiserver local --controller=false` with `extra` flags.
fn foo_local(name: &str, extra: &[(&str, &str)]) -> Running {
    let api = Local {
        program: Path::new(FOO_APISERVER),
        collection: FOOS,
        shape: Shape::Foo {
            api_version: FOO_API_VERSION,
        },
    };
    let mut all = vec![("--controller", "false")];
    all.extend_from_slice(extra);
    api.start(name, &all)
}

/// A server of the aggregated-apiserver library run as `<program> local`, and what it serves.
struct Local<'a> {
    program: &'a Path,
    collection: &'static str,
    shape: Shape,
}

impl Local<'_> {
    /// `<program> local` with `extra` flags, on a data directory whose local PKI is made here
    /// first (the server reuses it) so that the endpoint knows its CA and admin certificate
    /// before the server starts.
    fn start(&self, name: &str, extra: &[(&str, &str)]) -> Running {
        let program = self.program.file_name().map_or_else(
            || "server".into(),
            |file| file.to_string_lossy().into_owned(),
        );
        let dir = temp_dir(&program);
        let pki = load_or_create_local_pki(&dir.path().join("pki")).expect("a local PKI");
        let port = free_port();
        let mut args = vec![OsString::from("local")];
        args.extend(flags(&[
            ("--secure-port", &port.to_string()),
            ("--bind-address", SERVER_NAME),
            ("--data-dir", &path(dir.path())),
        ]));
        args.extend(flags(extra));
        let endpoint = local_endpoint(name, port, pki, self.collection, self.shape);
        start(endpoint, self.program, args, port, dir)
    }
}

/// examples/wardle's server: `$WARDLE_APISERVER` (which `cargo xtask bench` builds and sets),
/// else `cargo build --release -p wardle-apiserver` once per run, beside foo-apiserver, which
/// cargo built for the benchmark in the same profile.
fn wardle_apiserver() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("WARDLE_APISERVER").filter(|p| !p.is_empty()) {
            return PathBuf::from(path);
        }
        eprintln!("building wardle-apiserver (cargo build --release -p wardle-apiserver)…");
        let status = crate::common::cargo()
            .args(["build", "--release", "-p", "wardle-apiserver"])
            .status()
            .expect("running cargo build -p wardle-apiserver");
        assert!(status.success(), "building wardle-apiserver failed");
        let dir = Path::new(FOO_APISERVER)
            .parent()
            .expect("foo-apiserver's directory");
        let binary = dir.join("wardle-apiserver");
        assert!(
            binary.is_file(),
            "cargo built wardle-apiserver, but not at {}",
            binary.display()
        );
        binary
    })
}

/// Starts `program args…` serving `endpoint` on `port` in `dir` and waits until it is ready;
/// writes `<dir>/bench.kubeconfig` for it.
fn start(
    mut endpoint: Endpoint,
    program: &Path,
    args: Vec<OsString>,
    port: u16,
    dir: TempDir,
) -> Running {
    let tls = tls_client_pem(
        &endpoint.ca_pem,
        &endpoint.client_cert_pem,
        &endpoint.client_key_pem,
    );
    let daemon = Daemon::start(program, args, port, tls, dir.path());
    endpoint.pid = Some(daemon.pid());
    let kubeconfig = dir.path().join("bench.kubeconfig");
    let admin = CertPair {
        cert_pem: endpoint.client_cert_pem.clone(),
        key_pem: endpoint.client_key_pem.clone(),
    };
    aggregated_apiserver::kubeconfig::write_kubeconfig(
        &kubeconfig,
        &endpoint.url,
        &endpoint.ca_pem,
        &admin,
        "bench",
    )
    .expect("writing a kubeconfig");
    Running {
        endpoint,
        kubeconfig,
        daemon,
        _dir: dir,
    }
}

/// The path of a Go peer from its environment variable, which `cargo xtask bench` sets.
fn peer(var: &str) -> PathBuf {
    match std::env::var_os(var).filter(|path| !path.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => panic!("${var} is not set: run the benchmark with `cargo xtask bench`"),
    }
}

fn temp_dir(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("bench-{prefix}-"))
        .tempdir()
        .expect("creating a temporary directory")
}

/// A server on `port` whose serving and admin certificates are `pki`'s, serving `collection`.
fn local_endpoint(
    name: &str,
    port: u16,
    pki: LocalPki,
    collection: &str,
    shape: Shape,
) -> Endpoint {
    Endpoint {
        name: name.into(),
        url: url(port),
        ca_pem: pki.ca.cert_pem,
        server_name: SERVER_NAME.into(),
        client_cert_pem: pki.admin.cert_pem,
        client_key_pem: pki.admin.key_pem,
        collection: collection.into(),
        shape,
        pid: None,
    }
}

fn url(port: u16) -> String {
    format!("https://{SERVER_NAME}:{port}")
}

/// `--name value` pairs as arguments.
fn flags(pairs: &[(&str, &str)]) -> Vec<OsString> {
    pairs
        .iter()
        .map(|(name, value)| OsString::from(format!("{name}={value}")))
        .collect()
}

fn path(path: &Path) -> String {
    path.to_str().expect("a UTF-8 temporary path").to_owned()
}
