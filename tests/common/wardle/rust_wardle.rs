//! The implementation under test: `examples/wardle`, the wardle API on the aggregated-apiserver
//! library, built by cargo for the run.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::{Launch, Target};

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
    let mut command = Command::new(binary());
    command.args(launch.delegating_flags());
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
