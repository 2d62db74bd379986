//! `cargo xtask fuzz [--seconds N]`: runs every target of `fuzz/` for N seconds (default 20)
//! with cargo-fuzz, installed from crates.io when missing.
//!
//! Targets are built without a sanitizer (`-s none`): sanitizers need a nightly toolchain,
//! while libFuzzer's coverage instrumentation takes only stable compiler flags. Work goes to
//! `<cache>`, `$XDG_CACHE_HOME/foo-apiserver-fuzz` or `~/.cache/foo-apiserver-fuzz`: builds
//! in `target/`, so that a fresh checkout does not build the server's dependencies again,
//! and each run's log in `<target>.log`. A run reads the committed corpus
//! `fuzz/corpus/<target>` and adds what it finds to a scratch copy instead; a crash fails
//! the task and leaves its input in `fuzz/artifacts/<target>/`.

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};

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
    let cache = cache_dir()?;
    let status = cargo_fuzz(root, "build", &cache)
        .status()
        .context("running cargo fuzz build")?;
    if !status.success() {
        bail!("`cargo fuzz build` failed ({status})");
    }
    // libFuzzer runs on one core: as many targets at once as there are cores.
    let at_once = std::thread::available_parallelism().map_or(1, usize::from);
    eprintln!(
        "fuzzing {} targets for {seconds} s each, {at_once} at once",
        targets.len()
    );
    let mut crashed = Vec::new();
    for batch in targets.chunks(at_once) {
        let runs: Vec<Run> = batch
            .iter()
            .map(|target| Run::start(root, &cache, target, seconds))
            .collect::<Result<_>>()?;
        for mut run in runs {
            if !run.finish()? {
                crashed.push(run.target);
            }
        }
    }
    if !crashed.is_empty() {
        bail!("fuzz targets failed: {}", crashed.join(", "));
    }
    eprintln!("no crash");
    Ok(ExitCode::SUCCESS)
}

/// One target being fuzzed, its output going to its log.
struct Run {
    target: String,
    child: Child,
    log: PathBuf,
}

impl Run {
    fn start(root: &Path, cache: &Path, target: &str, seconds: u64) -> Result<Run> {
        let scratch = cache.join("corpus-run").join(target);
        let _ = fs::remove_dir_all(&scratch);
        fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
        let log = cache.join(format!("{target}.log"));
        let output = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        // libFuzzer adds what it finds to the first directory only.
        let child = cargo_fuzz(root, "run", cache)
            .arg(target)
            .arg(&scratch)
            .arg(root.join("fuzz/corpus").join(target))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .args(["-timeout=30", "-print_final_stats=1"])
            .stdout(output.try_clone()?)
            .stderr(output)
            .spawn()
            .context("running cargo fuzz run")?;
        Ok(Run {
            target: target.into(),
            child,
            log,
        })
    }

    /// Waits for the run and prints its last status line, or the log from the failure on.
    fn finish(&mut self) -> Result<bool> {
        let status = self.child.wait().context("waiting for cargo fuzz run")?;
        let log = String::from_utf8_lossy(&fs::read(&self.log).unwrap_or_default()).into_owned();
        let lines: Vec<&str> = log.lines().collect();
        if status.success() {
            let done = lines.iter().rfind(|l| l.contains("\tDONE ")).unwrap_or(&"");
            eprintln!("{}: {}", self.target, done.replace('\t', " "));
            return Ok(true);
        }
        let from = lines
            .iter()
            .position(|l| l.contains("panicked at") || l.contains("ERROR: libFuzzer"))
            .unwrap_or(lines.len().saturating_sub(40));
        eprintln!(
            "{}: failed ({status}), log {}:",
            self.target,
            self.log.display()
        );
        for line in lines.iter().skip(from).take(60) {
            eprintln!("  {line}");
        }
        Ok(false)
    }
}

/// `cargo fuzz <subcommand>` in `root`, without a sanitizer, building in `<cache>/target`.
fn cargo_fuzz(root: &Path, subcommand: &str, cache: &Path) -> Command {
    let mut command = Command::new(cargo());
    command
        .current_dir(root)
        .args(["fuzz", subcommand, "--sanitizer", "none", "--target-dir"])
        .arg(cache.join("target"));
    command
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
