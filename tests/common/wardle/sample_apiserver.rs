//! The oracle: k8s.io/sample-apiserver, the Go server the wardle API comes from, built by
//! `cargo xtask peers` from `tests/peers/sample-apiserver`.

use std::process::Command;

use super::{Launch, Target};
use crate::common::cluster::{module_key, peer};

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
    let mut command = Command::new(peer("sample-apiserver", || module_key(MODULE)));
    command.args(launch.delegating_flags());
    command
}
