//! `cargo xtask bench [args…]`: builds everything the serving benchmark starts, then runs
//! `cargo bench --bench serving -- <args>` from the workspace root with each binary's path in
//! its environment variable: `KUBE_APISERVER`, `KUBE_CONTROLLER_MANAGER`, `SAMPLE_APISERVER`,
//! `STATIC_JSON_SERVER` (the Go peers, see `peers.rs`), `KUBECTL_FOO` (the plugin, built
//! with `--release` as users install it) and `WARDLE_APISERVER` (examples/wardle, built with
//! `--release` as cargo builds foo-apiserver for the benchmark; built here rather than by the
//! benchmark so that both builds see the same environment and do not rebuild each other's
//! dependencies).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::{packages, peers};

/// `(command, Debian package providing it)`: the etcd members the benchmark stores in.
const PACKAGES: &[(&str, &str)] = &[("etcd", "etcd-server")];

pub fn run(root: &Path, bench_args: &[&str]) -> Result<ExitCode> {
    if packages::which("kubectl").is_none() {
        bail!("kubectl is needed by the benchmark (and by the plugin it runs): put it on the PATH");
    }
    packages::ensure(PACKAGES)?;
    let test_peers = peers::ensure(root, peers::TEST_PEERS)?;
    let bench_peers = peers::ensure(root, peers::BENCH_PEERS)?;
    let plugin = build_release(root, "kubectl-foo", "kubectl-foo")?;
    let wardle = build_release(root, "wardle-apiserver", "wardle-apiserver")?;

    let mut command = cargo();
    command
        .current_dir(root)
        .args(["bench", "--bench", "serving", "--"])
        .args(bench_args)
        .env("KUBECTL_FOO", &plugin)
        .env("WARDLE_APISERVER", &wardle);
    for (binary, path) in test_peers.iter().chain(bench_peers.iter()) {
        command.env(peers::env_var(binary), path);
    }
    eprintln!(
        "running cargo bench --bench serving -- {}",
        bench_args.join(" ")
    );
    let status = command.status().context("running cargo bench")?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// `cargo build --release -p <package> --bin <binary>`: the path of the binary built.
fn build_release(root: &Path, package: &str, binary: &str) -> Result<PathBuf> {
    let status = cargo()
        .current_dir(root)
        .args(["build", "--release", "-p", package, "--bin", binary])
        .status()
        .with_context(|| format!("running cargo build -p {package}"))?;
    if !status.success() {
        bail!("building {binary} failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| root.join("target"), PathBuf::from);
    let path = target.join("release").join(binary);
    if !path.is_file() {
        bail!("cargo built {binary}, but not at {}", path.display());
    }
    Ok(path)
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}
