//! Test harness: a real `foo-apiserver local` on a free port with its own data directory,
//! and the real kubectl binaries found on this machine.
#![allow(dead_code)] // each test binary uses its own part of the harness

pub mod cluster;
pub mod etcd;
pub mod http;
pub mod run;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

use tempfile::TempDir;

const READY: &str = "ready to serve on ";

/// A running `foo-apiserver local`; killed when dropped.
pub struct Server {
    child: Child,
    pub dir: TempDir,
    pub url: String,
    /// Flags given to `foo-apiserver local` besides the port and data directory.
    flags: Vec<String>,
    log: Log,
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts with extra flags, e.g. `--default-watch-cache-size 5`.
    pub fn start_with(flags: &[&str]) -> Server {
        let flags = flags.iter().map(|f| f.to_string()).collect();
        Server::start_in(tempfile::tempdir().expect("temporary directory"), flags)
    }

    /// Starts on an existing data directory (a restart).
    fn start_in(dir: TempDir, flags: Vec<String>) -> Server {
        let (child, url, log) = spawn(dir.path(), &flags);
        Server {
            child,
            dir,
            url,
            flags,
            log,
        }
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// Stops the server as `kill -9` would and starts it again on the same data.
    pub fn kill_and_restart(mut self) -> Server {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir"));
        Server::start_in(dir, std::mem::take(&mut self.flags))
    }

    /// A kube client from the written kubeconfig.
    pub async fn client(&self) -> kube::Client {
        client_from(&self.kubeconfig()).await
    }

    /// The last lines the server wrote to stderr, for failure messages.
    pub fn log(&self) -> String {
        self.log.text()
    }

    /// Another `foo-apiserver local` on this server's data directory (its CA and admin
    /// certificate) with the same flags, on its own port and writing its own kubeconfig: with
    /// `--etcd-servers`, a replica of this server. This server must outlive it.
    pub fn replica(&self) -> Replica {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let kubeconfig = self.dir.path().join(format!("replica-{n}.kubeconfig"));
        let mut flags = self.flags.clone();
        flags.push("--kubeconfig".into());
        flags.push(kubeconfig.to_string_lossy().into_owned());
        let data_dir = self.dir.path().to_path_buf();
        let (child, url, log) = spawn(&data_dir, &flags);
        Replica {
            child: Some(child),
            url,
            data_dir,
            kubeconfig,
            flags,
            log,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `foo-apiserver local` started by [`Server::replica`]: the server's data directory, its
/// own port and kubeconfig. Killed when dropped; the data directory is left to the `Server`.
pub struct Replica {
    child: Option<Child>,
    pub url: String,
    data_dir: PathBuf,
    kubeconfig: PathBuf,
    flags: Vec<String>,
    log: Log,
}

impl Replica {
    pub fn kubeconfig(&self) -> PathBuf {
        self.kubeconfig.clone()
    }

    /// A kube client from this replica's kubeconfig.
    pub async fn client(&self) -> kube::Client {
        client_from(&self.kubeconfig).await
    }

    /// Stops the replica as `kill -9` would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the replica if it runs and starts it again (on a new port, rewriting its
    /// kubeconfig: clients made before point at the old port).
    pub fn restart(&mut self) {
        self.kill();
        let (child, url, log) = spawn(&self.data_dir, &self.flags);
        self.child = Some(child);
        self.url = url;
        self.log = log;
    }

    /// The last lines the replica wrote to stderr, for failure messages.
    pub fn log(&self) -> String {
        self.log.text()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last lines a server wrote to stderr.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<VecDeque<String>>>);

impl Log {
    const LINES: usize = 200;

    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() == Self::LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    fn text(&self) -> String {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// Starts `foo-apiserver local --secure-port 0` on `data_dir` with `flags` and waits until
/// it serves: the process, its URL and its stderr.
fn spawn(data_dir: &Path, flags: &[String]) -> (Child, String, Log) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_foo-apiserver"))
        .args(["local", "--secure-port", "0", "--data-dir"])
        .arg(data_dir)
        .args(flags)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start foo-apiserver");
    let stderr = child.stderr.take().expect("stderr");
    let log = Log::default();
    let lines = log.clone();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(at) = line.find(READY) {
                let url = line[at + READY.len()..].trim().to_string();
                sent = tx.send(url).is_ok();
            }
            // Keep draining so the server never blocks on a full pipe.
            lines.push(line);
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(url) => (child, url, log),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "foo-apiserver did not become ready ({e}); its stderr:\n{}",
                log.text()
            )
        }
    }
}

pub async fn client_from(kubeconfig: &Path) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("client config");
    kube::Client::try_from(config).expect("client")
}

/// Every versioned kubectl beside the one on PATH (`kubectl.1.27` … `kubectl.1.33`).
pub fn kubectls() -> Vec<Kubectl> {
    let on_path = which("kubectl").expect("kubectl on PATH");
    let dir = std::fs::canonicalize(&on_path)
        .expect("resolve kubectl")
        .parent()
        .expect("kubectl directory")
        .to_path_buf();
    let mut found: Vec<Kubectl> = std::fs::read_dir(&dir)
        .expect("read kubectl directory")
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name.strip_prefix("kubectl.")?.to_string();
            Some(Kubectl {
                version,
                path: entry.path(),
            })
        })
        .collect();
    found.sort_by_key(|k| k.minor());
    assert!(
        !found.is_empty(),
        "no kubectl.1.XX beside {}",
        dir.display()
    );
    found
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}

/// One kubectl binary.
#[derive(Clone, Debug)]
pub struct Kubectl {
    pub version: String,
    pub path: PathBuf,
}

impl Kubectl {
    pub fn minor(&self) -> u32 {
        self.version
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }

    /// Runs kubectl against `kubeconfig` with its own cache directory.
    pub fn run(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        let cache = kubeconfig.with_file_name(format!("kubectl-cache-{}", self.version));
        Command::new(&self.path)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--cache-dir")
            .arg(cache)
            .args(args)
            .env_remove("KUBECONFIG")
            .output()
            .expect("run kubectl")
    }
}

/// stdout of a command that must succeed.
pub fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "command failed: {}\nstdout: {}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr of a command that must fail.
pub fn fails(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "command unexpectedly succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

impl Kubectl {
    /// A `Command` for this kubectl against `kubeconfig`, set up as `run` does, for callers
    /// that need their own environment (`EDITOR`) or a long-running child (`get -w`, `wait`).
    pub fn command(&self, kubeconfig: &Path) -> Command {
        let cache = kubeconfig.with_file_name(format!("kubectl-cache-{}", self.version));
        let mut command = Command::new(&self.path);
        command
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--cache-dir")
            .arg(cache)
            .env_remove("KUBECONFIG");
        command
    }
}

/// Runs `check` for every kubectl in turn, then fails naming each version that failed.
pub fn each_kubectl(mut check: impl FnMut(&Kubectl)) {
    let mut failures = Vec::new();
    for kubectl in kubectls() {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&kubectl))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".to_string());
            failures.push(format!("kubectl {}: {message}", kubectl.version));
        }
    }
    assert!(
        failures.is_empty(),
        "{} kubectl version(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// `127` for kubectl 1.27: the per-version part of object names and labels.
pub fn tag(kubectl: &Kubectl) -> String {
    format!("1{}", kubectl.minor())
}

/// Cargo in the workspace, without the variables cargo sets for running this test (the
/// package's name, version and manifest directory): build scripts that watch them (ring's)
/// would otherwise run again, and the nested build and the next `cargo test` would rebuild
/// TLS for each other in turn.
pub fn cargo() -> Command {
    let mut command = Command::new(env!("CARGO"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let per_package = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix));
        if per_package
            || name == "CARGO_PRIMARY_PACKAGE"
            || name == "CARGO_TARGET_TMPDIR"
            || name == "OUT_DIR"
        {
            command.env_remove(&*name);
        }
    }
    command
}

/// `target/debug`, with `kubectl-foo` and `kubectl_complete-foo` built.
pub fn plugin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let status = cargo()
            .args(["build", "-p", "kubectl-foo", "--bins"])
            .status()
            .expect("cargo build -p kubectl-foo");
        assert!(status.success(), "building kubectl-foo failed");
        let exe = std::env::current_exe().expect("test executable");
        let dir = exe.parent().and_then(Path::parent).expect("target/debug");
        assert!(
            dir.join("kubectl-foo").is_file(),
            "no kubectl-foo in {}",
            dir.display()
        );
        dir.to_path_buf()
    })
}

/// A Foo manifest (JSON) whose strings and keys take every way YAML writes them: plain,
/// single- and double-quoted, literal blocks with each chomping, folded past column 80,
/// escapes, keys in go-yaml's natural order, and values YAML would read as other types.
pub fn foo_of_every_yaml_style(name: &str) -> String {
    let long = "A greeting long enough to be folded at a space after the eightieth column, twice over: once, and then again here";
    let annotations = serde_json::json!({
        "example.com/app10": "ten", "example.com/app9": "nine", "example.com/x01": "x",
        "example.com/x1": "x", "b.1": "a: b", "a-b": " lead", "yes": "yes", "hex": "0x1F",
        "date": "2024-01-02", "time": "2024-1-2T3:04:05Z", "sexagesimal": "1:20",
        "kept": "x\n\n", "clipped": "multi\nline\n", "stripped": "multi\nline",
        "hinted": "\n lead", "space-break": "trailing \nspace", "tab": "tab\there",
        "unicode": "é 日本 #x", "astral": "\u{1F600}", "quote": "it's", "dq": "\"dq\"",
        "backslash": "back\\slash", "empty": "", "dash": "- dash", "hash": "#hash",
        "comment": "a #b", "tilde": "~", "long": long,
        "long-quoted": format!("{long}: {long}"), "long-double": format!("{long}\t{long}"),
    });
    serde_json::json!({
        "apiVersion": "demo.jeremyxu2010.me/v1beta1",
        "kind": "Foo",
        "metadata": {
            "name": name,
            "labels": {"app10": "x", "app9": "y", "on": "off", "v1": "1.0"},
            "annotations": annotations,
        },
        "spec": {"greeting": long},
    })
    .to_string()
}
