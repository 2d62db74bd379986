//! `cargo xtask fuzz [--seconds N]`: runs every target of `fuzz/` for N seconds (default 20)
//! with cargo-fuzz, installed from crates.io when missing.
//!
//! Targets are built without a sanitizer (`-s none`): sanitizers need a nightly toolchain,
//! while libFuzzer's coverage instrumentation takes only stable compiler flags. Builds go
//! to `<cache>/target`, where `<cache>` is `$XDG_CACHE_HOME/foo-apiserver-fuzz` or
//! `~/.cache/foo-apiserver-fuzz`, so that a fresh checkout does not build the server's
//! dependencies again. Each run reads the committed corpus `fuzz/corpus/<target>` and writes
//! what it finds to a scratch directory instead; a crash fails the task and leaves its input
//! in `fuzz/artifacts/<target>/`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::packages::which;

/// The cargo-fuzz release installed when it is missing.
const CARGO_FUZZ_VERSION: &str = "0.13.2";
const DEFAULT_SECONDS: u64 = 20;

pub fn run(root: &Path, args: &[&str]) -> Result<ExitCode> {
    let seconds = match args {
        [] => DEFAULT_SECONDS,
        ["--seconds", n] => n
            .parse()
            .with_context(|| format!("--seconds wants a whole number, not {n:?}"))?,
        _ => bail!("usage: cargo xtask fuzz [--seconds N]"),
    };
    ensure_cargo_fuzz()?;
    let targets = targets(&root.join("fuzz/fuzz_targets"))?;
    let target_dir = cache_dir()?.join("target");
    cargo_fuzz(root, "build", &target_dir, &[])?;
    for target in &targets {
        let scratch = target_dir.join("corpus-run").join(target);
        let _ = fs::remove_dir_all(&scratch);
        fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
        eprintln!("fuzzing {target} for {seconds} s");
        // libFuzzer adds what it finds to the first directory only.
        let args: Vec<OsString> = vec![
            target.into(),
            scratch.into(),
            root.join("fuzz/corpus").join(target).into(),
            "--".into(),
            format!("-max_total_time={seconds}").into(),
            "-timeout=30".into(),
            "-print_final_stats=1".into(),
        ];
        cargo_fuzz(root, "run", &target_dir, &args)
            .with_context(|| format!("fuzz target {target} failed"))?;
    }
    eprintln!(
        "fuzzed {} targets, {seconds} s each: no crash",
        targets.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `cargo fuzz <subcommand> <args>` in `root`, without a sanitizer.
fn cargo_fuzz(root: &Path, subcommand: &str, target_dir: &Path, args: &[OsString]) -> Result<()> {
    let status = Command::new(cargo())
        .current_dir(root)
        .args(["fuzz", subcommand, "--sanitizer", "none", "--target-dir"])
        .arg(target_dir)
        .args(args)
        .status()
        .context("running cargo fuzz")?;
    if !status.success() {
        bail!("`cargo fuzz {subcommand}` failed ({status})");
    }
    Ok(())
}

fn ensure_cargo_fuzz() -> Result<()> {
    if which("cargo-fuzz").is_some() {
        return Ok(());
    }
    eprintln!("installing cargo-fuzz {CARGO_FUZZ_VERSION} (about a minute, once per machine)");
    let status = Command::new(cargo())
        .args([
            "install",
            "--locked",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
        ])
        .status()
        .context("running cargo install cargo-fuzz")?;
    if !status.success() {
        bail!("`cargo install cargo-fuzz` failed ({status})");
    }
    if which("cargo-fuzz").is_none() {
        bail!("cargo-fuzz was installed but is not on the PATH: add ~/.cargo/bin to it");
    }
    Ok(())
}

/// The targets, by their file names in `fuzz/fuzz_targets/`, sorted.
fn targets(dir: &Path) -> Result<Vec<String>> {
    let mut targets = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem()
        {
            targets.push(stem.to_string_lossy().into_owned());
        }
    }
    targets.sort();
    Ok(targets)
}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// `$XDG_CACHE_HOME/foo-apiserver-fuzz`, else `~/.cache/foo-apiserver-fuzz`.
fn cache_dir() -> Result<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(dir).join("foo-apiserver-fuzz"));
    }
    let home = var("HOME").context("neither XDG_CACHE_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cache/foo-apiserver-fuzz"))
}
