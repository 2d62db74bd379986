//! The machine a run measured on and the versions of what it ran, for the report.

use std::fmt::Write as _;
use std::fs;
use std::process::Command;

pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    /// (what, version) for rustc, go, etcd, kubectl, kube-apiserver and the git commit.
    pub versions: Vec<(&'static str, String)>,
}

impl Machine {
    pub fn describe() -> Machine {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, model)| model.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| k.trim().to_string())
            .unwrap_or_default();
        let kube_apiserver = std::env::var("KUBE_APISERVER").unwrap_or_default();
        let versions = vec![
            ("rustc", first_line("rustc", &["--version"])),
            ("go", first_line("go", &["version"])),
            ("etcd", first_line("etcd", &["--version"])),
            ("kubectl", first_line("kubectl", &["version", "--client"])),
            (
                "kube-apiserver",
                first_line(&kube_apiserver, &["--version"]),
            ),
            ("commit", commit()),
        ];
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory_gib: memory_kib / (1024.0 * 1024.0),
            kernel,
            versions,
        }
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from("## Machine\n\n| | |\n|---|---|\n");
        let _ = writeln!(out, "| CPU | {} |", self.cpu);
        let _ = writeln!(out, "| cores | {} |", self.cores);
        let _ = writeln!(out, "| memory | {:.1} GiB |", self.memory_gib);
        let _ = writeln!(out, "| kernel | {} |", self.kernel);
        for (what, version) in &self.versions {
            let _ = writeln!(out, "| {what} | {version} |");
        }
        out.push('\n');
        out
    }
}

/// The git commit of the workspace, marked when the work tree differs from it.
fn commit() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let head = first_line("git", &["-C", root, "rev-parse", "--short=12", "HEAD"]);
    let dirty = Command::new("git")
        .args(["-C", root, "status", "--porcelain", "--untracked-files=no"])
        .output()
        .is_ok_and(|output| !output.stdout.is_empty());
    if dirty {
        format!("{head} (with uncommitted changes)")
    } else {
        head
    }
}

/// The first line `program args…` printed, or "not found".
fn first_line(program: &str, args: &[&str]) -> String {
    if program.is_empty() {
        return "not run".into();
    }
    let Ok(output) = Command::new(program).args(args).output() else {
        return "not found".into();
    };
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}
