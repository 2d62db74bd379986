//! The project's tasks, run as `cargo xtask <task>`:
//!
//! - `bench [args…]`: installs and builds what the serving benchmark starts (etcd, the Go
//!   peers, sample-apiserver, the static-JSON server and the plugin), then runs
//!   `cargo bench --bench serving -- <args>` with their paths in its environment.
//! - `fuzz [--seconds N]`: runs every fuzz target of `fuzz/` for N seconds (default 20) on
//!   its committed corpus with cargo-fuzz, installing it when missing; fails on a crash.
//! - `generate [--check]`: writes (or checks) the generated files kept in the repository:
//!   `completions/` (bash, zsh, fish, powershell and the `kubectl_complete-foo` shim) and
//!   `man/` (a page per command).
//! - `peers`: installs the Debian packages the tests use and builds the Go test peers
//!   (kube-apiserver, kube-controller-manager) unless they are cached; prints their paths.
//!   The benchmark's own peers are built by `bench` only.
//! - `test [-- <cargo test arguments>]`: `peers`, then `cargo test --workspace` with
//!   `KUBE_APISERVER` and `KUBE_CONTROLLER_MANAGER` naming the peers.

mod bench;
mod fuzz;
mod generate;
mod packages;
mod peers;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask bench [<benchmark arguments>]
       cargo xtask fuzz [--seconds N]
       cargo xtask generate [--check]
       cargo xtask peers
       cargo xtask test [-- <cargo test arguments>]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["bench", rest @ ..] => bench::run(&root, rest.strip_prefix(&["--"]).unwrap_or(rest)),
        ["fuzz", rest @ ..] => fuzz::run(&root, rest),
        ["generate"] => generate::write(&root),
        ["generate", "--check"] => generate::check(&root),
        ["peers"] => peers(&root),
        ["test", rest @ ..] => test(&root, rest.strip_prefix(&["--"]).unwrap_or(rest)),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// What the tests need besides the workspace: Debian packages and the Go peers.
fn prepare(root: &Path) -> Result<peers::Peers> {
    packages::ensure(packages::TEST_PACKAGES)?;
    peers::ensure(root, peers::TEST_PEERS)
}

fn peers(root: &Path) -> Result<ExitCode> {
    let peers = prepare(root)?;
    for (binary, path) in peers.iter() {
        println!("{binary}: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn test(root: &Path, cargo_args: &[&str]) -> Result<ExitCode> {
    if packages::which("kubectl").is_none() {
        bail!("kubectl is needed by the end-to-end tests: put it on the PATH");
    }
    let peers = prepare(root)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["test", "--workspace"])
        .args(cargo_args);
    for (binary, path) in peers.iter() {
        command.env(peers::env_var(binary), path);
    }
    eprintln!("running cargo test --workspace {}", cargo_args.join(" "));
    let status = command.status().context("running cargo test")?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}
