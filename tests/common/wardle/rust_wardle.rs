//! The implementation under test: `examples/wardle`, the wardle API on the aggregated-apiserver
//! library, built by cargo for the run.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::{Launch, Target};
use crate::common::cluster::FRONT_PROXY_CLIENT;

impl Target {
    /// examples/wardle on the cluster's etcd, delegating to the cluster as sample-apiserver
    /// does, with the same flags.
    pub fn rust_wardle() -> Target {
        Target {
            name: "wardle-apiserver",
            command: wardle_apiserver,
        }
    }
}

fn wardle_apiserver(launch: &Launch) -> Command {
    let cluster = launch.cluster;
    let kubeconfig = Launch::path(&cluster.kubeconfig());
    let flags = [
        ("--secure-port", launch.port.to_string()),
        ("--bind-address", "127.0.0.1".into()),
        ("--tls-cert-file", Launch::path(&launch.tls_cert_file)),
        ("--tls-private-key-file", Launch::path(&launch.tls_key_file)),
        ("--client-ca-file", Launch::path(&cluster.client_ca_file())),
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

/// `target/debug/wardle-apiserver`, built once per test run.
fn binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let status = crate::common::cargo()
            .args(["build", "-q", "-p", "wardle-apiserver"])
            .status()
            .expect("cargo build -p wardle-apiserver");
        assert!(status.success(), "building wardle-apiserver failed");
        let exe = std::env::current_exe().expect("test executable");
        let dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("target/debug");
        dir.join("wardle-apiserver")
    })
}
