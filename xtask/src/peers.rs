//! The Go test peers: kube-apiserver and kube-controller-manager, built from the Go module
//! `tests/peers/kube-apiserver` (k8s.io/kubernetes at a release) and cached per machine.
//!
//! Cache layout: `<cache>/<binary>-<key>`, where `<cache>` is `$FOO_PEERS_CACHE`, else
//! `$XDG_CACHE_HOME/foo-apiserver-peers`, else `~/.cache/foo-apiserver-peers`, and `<key>` is
//! the first 16 hex digits of the SHA-256 of go.mod's contents followed by go.sum's: a change
//! of the module builds new binaries beside the old ones. The test harness
//! (`tests/common/cluster.rs`) finds them by the same rule.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// The Go module the peers are built from, relative to the workspace root.
pub const MODULE: &str = "tests/peers/kube-apiserver";

/// The binaries built, each from `k8s.io/kubernetes/cmd/<binary>`.
pub const BINARIES: &[&str] = &["kube-apiserver", "kube-controller-manager"];

/// The built peers: `(binary, path)` in the order of [`BINARIES`].
pub struct Peers(Vec<(&'static str, PathBuf)>);

impl Peers {
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Path)> {
        self.0
            .iter()
            .map(|(binary, path)| (*binary, path.as_path()))
    }
}

/// The environment variable the tests read a binary's path from: `KUBE_APISERVER` for
/// kube-apiserver.
pub fn env_var(binary: &str) -> String {
    binary.replace('-', "_").to_uppercase()
}

/// Every peer, built unless cached.
pub fn ensure(root: &Path) -> Result<Peers> {
    let module = root.join(MODULE);
    let key = key(&module)?;
    let cache = cache_dir()?;
    fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let mut peers = Vec::new();
    let mut lock = None;
    for &binary in BINARIES {
        let path = cache.join(format!("{binary}-{key}"));
        if !path.is_file() {
            // One Go build at a time on this machine; another `cargo xtask` may be building
            // the same binary, which is then found once the lock is ours.
            if lock.is_none() {
                lock = Some(lock_cache(&cache)?);
            }
            if !path.is_file() {
                build(&module, binary, &path)?;
            }
        }
        peers.push((binary, path));
    }
    Ok(Peers(peers))
}

/// The first 16 hex digits of the SHA-256 of go.mod followed by go.sum.
pub fn key(module: &Path) -> Result<String> {
    let mut hash = Sha256::new();
    for file in ["go.mod", "go.sum"] {
        let path = module.join(file);
        hash.update(fs::read(&path).with_context(|| format!("reading {}", path.display()))?);
    }
    let digest = hash.finalize();
    Ok(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
}

/// `$FOO_PEERS_CACHE`, else `$XDG_CACHE_HOME/foo-apiserver-peers`, else
/// `~/.cache/foo-apiserver-peers`.
pub fn cache_dir() -> Result<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = var("FOO_PEERS_CACHE") {
        return Ok(dir.into());
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(dir).join("foo-apiserver-peers"));
    }
    let home = var("HOME").context("neither FOO_PEERS_CACHE, XDG_CACHE_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cache/foo-apiserver-peers"))
}

fn lock_cache(cache: &Path) -> Result<File> {
    let path = cache.join(".lock");
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    if file.try_lock().is_err() {
        eprintln!(
            "waiting for another build of the test peers ({})",
            path.display()
        );
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
    }
    Ok(file)
}

/// `CGO_ENABLED=0 go build -o <path> k8s.io/kubernetes/cmd/<binary>` in `module`, into a
/// temporary name renamed to `path` once complete.
fn build(module: &Path, binary: &str, path: &Path) -> Result<()> {
    if crate::packages::which("go").is_none() {
        bail!("Go (1.24 or later) is needed to build the test peer {binary}: put `go` on the PATH");
    }
    let file_name = path.file_name().expect("a binary's path has a file name");
    let partial = path.with_file_name(format!(
        ".{}.{}.partial",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    println!("building {binary} from the Go module proxy (10-15 min, once per machine)");
    let started = Instant::now();
    let status = Command::new("go")
        .current_dir(module)
        .env("CGO_ENABLED", "0")
        .arg("build")
        .arg("-o")
        .arg(&partial)
        .arg(format!("k8s.io/kubernetes/cmd/{binary}"))
        .status()
        .context("running go build")?;
    if !status.success() {
        let _ = fs::remove_file(&partial);
        bail!(
            "building {binary} failed ({status}): `CGO_ENABLED=0 go build k8s.io/kubernetes/cmd/{binary}` in {}",
            module.display()
        );
    }
    fs::rename(&partial, path)
        .with_context(|| format!("renaming {} to {}", partial.display(), path.display()))?;
    let took = started.elapsed().as_secs();
    println!(
        "built {binary} in {}m{:02}s: {}",
        took / 60,
        took % 60,
        path.display()
    );
    Ok(())
}
