//! The Go peers, each built from a Go module of this repository and cached per machine:
//! kube-apiserver and kube-controller-manager for the tests (`tests/peers/kube-apiserver`,
//! k8s.io/kubernetes at a release), sample-apiserver for the tests and the serving benchmark
//! (`tests/peers/sample-apiserver`: the oracle of the wardle conformance suite,
//! `tests/wardle.rs`), sigs.k8s.io/yaml's JSON-to-YAML for the tests (`tests/peers/json-to-yaml`:
//! the oracle of `tests/yaml.rs`), and the static-JSON server for the benchmark
//! (`tests/peers/static-json`).
//!
//! Cache layout: `<cache>/<binary>-<key>`, where `<cache>` is `$FOO_PEERS_CACHE`, else
//! `$XDG_CACHE_HOME/foo-apiserver-peers`, else `~/.cache/foo-apiserver-peers`, and `<key>` is
//! the first 16 hex digits of the SHA-256 of the module's go.mod, go.sum (when it has one)
//! and `.go` files (by name), in that order: a change of the module builds new binaries
//! beside the old ones. The test harness (`tests/common/cluster.rs`) finds the test peers by
//! the same rule.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// A Go program built from a module of this repository.
pub struct GoPeer {
    /// The binary's name in the cache, and its environment variable (see [`env_var`]).
    pub binary: &'static str,
    /// The Go module, relative to the workspace root.
    pub module: &'static str,
    /// The package built, as `go build` takes it in the module.
    pub package: &'static str,
    /// How long a build from an empty Go cache takes, told before it starts.
    pub build_time: &'static str,
}

/// What the tests run: the control plane foo-apiserver is aggregated into, sample-apiserver,
/// whose answers the wardle conformance suite expects, and the YAML writer of kubectl and
/// kube-apiserver, whose output kube-yaml's must equal.
pub const TEST_PEERS: &[GoPeer] = &[
    GoPeer {
        binary: "kube-apiserver",
        module: "tests/peers/kube-apiserver",
        package: "k8s.io/kubernetes/cmd/kube-apiserver",
        build_time: "10-15 min",
    },
    GoPeer {
        binary: "kube-controller-manager",
        module: "tests/peers/kube-apiserver",
        package: "k8s.io/kubernetes/cmd/kube-controller-manager",
        build_time: "10-15 min",
    },
    GoPeer {
        binary: "sample-apiserver",
        module: "tests/peers/sample-apiserver",
        package: "k8s.io/sample-apiserver",
        build_time: "3-5 min",
    },
    GoPeer {
        binary: "json-to-yaml",
        module: "tests/peers/json-to-yaml",
        package: ".",
        build_time: "seconds",
    },
];

/// What the serving benchmark measures foo-apiserver beside, besides the test peers (which
/// include sample-apiserver).
pub const BENCH_PEERS: &[GoPeer] = &[GoPeer {
    binary: "static-json-server",
    module: "tests/peers/static-json",
    package: ".",
    build_time: "seconds",
}];

/// The built peers: `(binary, path)` in the order asked for.
pub struct Peers(Vec<(&'static str, PathBuf)>);

impl Peers {
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Path)> {
        self.0
            .iter()
            .map(|(binary, path)| (*binary, path.as_path()))
    }
}

/// The environment variable the tests and the benchmark read a binary's path from:
/// `KUBE_APISERVER` for kube-apiserver.
pub fn env_var(binary: &str) -> String {
    binary.replace('-', "_").to_uppercase()
}

/// Every one of `peers`, built unless cached.
pub fn ensure(root: &Path, peers: &[GoPeer]) -> Result<Peers> {
    let cache = cache_dir()?;
    fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let mut built = Vec::new();
    let mut lock = None;
    for peer in peers {
        let module = root.join(peer.module);
        let path = cache.join(format!("{}-{}", peer.binary, key(&module)?));
        if !path.is_file() {
            // One Go build at a time on this machine; another `cargo xtask` may be building
            // the same binary, which is then found once the lock is ours.
            if lock.is_none() {
                lock = Some(lock_cache(&cache)?);
            }
            if !path.is_file() {
                build(&module, peer, &path)?;
            }
        }
        built.push((peer.binary, path));
    }
    Ok(Peers(built))
}

/// The first 16 hex digits of the SHA-256 of go.mod, go.sum if there is one, and the `.go`
/// files by name.
pub fn key(module: &Path) -> Result<String> {
    let read = |path: &Path| fs::read(path).with_context(|| format!("reading {}", path.display()));
    let mut sources = Vec::new();
    for entry in fs::read_dir(module).with_context(|| format!("reading {}", module.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|extension| extension == "go") {
            sources.push(path);
        }
    }
    sources.sort();
    let mut hash = Sha256::new();
    hash.update(read(&module.join("go.mod"))?);
    let go_sum = module.join("go.sum");
    if go_sum.is_file() {
        hash.update(read(&go_sum)?);
    }
    for source in sources {
        hash.update(read(&source)?);
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
            "waiting for another build of the peers ({})",
            path.display()
        );
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
    }
    Ok(file)
}

/// `CGO_ENABLED=0 go build -o <path> <package>` in `module`, into a temporary name renamed to
/// `path` once complete.
fn build(module: &Path, peer: &GoPeer, path: &Path) -> Result<()> {
    let GoPeer {
        binary,
        package,
        build_time,
        ..
    } = peer;
    if crate::packages::which("go").is_none() {
        bail!("Go (1.24 or later) is needed to build the peer {binary}: put `go` on the PATH");
    }
    let file_name = path.file_name().expect("a binary's path has a file name");
    let partial = path.with_file_name(format!(
        ".{}.{}.partial",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    println!("building {binary} ({build_time}, once per machine)");
    let started = Instant::now();
    let status = Command::new("go")
        .current_dir(module)
        .env("CGO_ENABLED", "0")
        .arg("build")
        .arg("-o")
        .arg(&partial)
        .arg(package)
        .status()
        .context("running go build")?;
    if !status.success() {
        let _ = fs::remove_file(&partial);
        bail!(
            "building {binary} failed ({status}): `CGO_ENABLED=0 go build {package}` in {}",
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
