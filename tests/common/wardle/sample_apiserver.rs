//! The oracle: k8s.io/sample-apiserver, the Go server the wardle API comes from, built by
//! `cargo xtask peers` from `tests/peers/sample-apiserver`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::{Launch, Target};
use crate::common::cluster::FRONT_PROXY_CLIENT;

/// The Go module sample-apiserver is built from.
const MODULE: &str = "tests/peers/sample-apiserver";

impl Target {
    /// k8s.io/sample-apiserver (`$SAMPLE_APISERVER`, else the binary `cargo xtask peers`
    /// caches) on the cluster's etcd under its default prefix, with its default admission
    /// (NamespaceLifecycle, which reads namespaces through `--kubeconfig`, and BanFlunder).
    pub fn go_sample_apiserver() -> Target {
        Target {
            name: "sample-apiserver",
            command: sample_apiserver,
        }
    }
}

fn sample_apiserver(launch: &Launch) -> Command {
    let cluster = launch.cluster;
    let kubeconfig = Launch::path(&cluster.kubeconfig());
    let flags = [
        ("--secure-port", launch.port.to_string()),
        ("--bind-address", "127.0.0.1".into()),
        ("--tls-cert-file", Launch::path(&launch.tls_cert_file)),
        ("--tls-private-key-file", Launch::path(&launch.tls_key_file)),
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
    let mut command = Command::new(binary());
    command.args(flags.map(|(name, value)| format!("{name}={value}")));
    command
}

/// `$SAMPLE_APISERVER`, else `<cache>/sample-apiserver-<key>` as `xtask/src/peers.rs` names
/// it.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SAMPLE_APISERVER").filter(|path| !path.is_empty()) {
        return PathBuf::from(path);
    }
    let cached = cache_dir().map(|cache| cache.join(format!("sample-apiserver-{}", key())));
    match cached {
        Some(path) if path.is_file() => path,
        _ => panic!(
            "sample-apiserver is not built: run `cargo xtask test` (or `cargo xtask peers`); \
             looked for $SAMPLE_APISERVER, then {}",
            cached.map_or("a cache directory".into(), |p| p.display().to_string())
        ),
    }
}

/// `$FOO_PEERS_CACHE`, else `$XDG_CACHE_HOME/foo-apiserver-peers`, else
/// `~/.cache/foo-apiserver-peers`.
fn cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    var("FOO_PEERS_CACHE")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|dir| PathBuf::from(dir).join("foo-apiserver-peers")))
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache/foo-apiserver-peers")))
}

/// The first 16 hex digits of the SHA-256 of the module's go.mod, go.sum and `.go` files (by
/// name), in that order.
fn key() -> String {
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join(MODULE);
    let read =
        |path: &Path| fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut sources: Vec<PathBuf> = fs::read_dir(&module)
        .unwrap_or_else(|e| panic!("reading {}: {e}", module.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "go"))
        .collect();
    sources.sort();
    let mut hash = Sha256::new();
    hash.update(read(&module.join("go.mod")));
    let go_sum = module.join("go.sum");
    if go_sum.is_file() {
        hash.update(read(&go_sum));
    }
    for source in sources {
        hash.update(read(&source));
    }
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}
