//! The oracle: k8s.io/sample-apiserver, the Go server the wardle API comes from, built by
//! `cargo xtask peers` from `tests/peers/sample-apiserver`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Launch, Target};
use crate::common::cluster::{files_key, peer};

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
    let mut command = Command::new(peer("sample-apiserver", key));
    command.args(launch.delegating_flags());
    command
}

/// The key of the module's binary (as `xtask/src/peers.rs` computes it): its go.mod, go.sum
/// (if any) and `.go` files (by name), in that order.
fn key() -> String {
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join(MODULE);
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
