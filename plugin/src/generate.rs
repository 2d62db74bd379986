//! The generated files kept in the repository: shell completions (`completions/`), the
//! `kubectl_complete-foo` shim, and man pages (`man/`). `cargo xtask generate` writes them,
//! `cargo xtask generate --check` (and a test) checks them.

use std::path::{Path, PathBuf};

use clap::Command;

use crate::Shell;

/// The shim kubectl runs for `kubectl foo <TAB>` when only `kubectl-foo` is installed.
pub const COMPLETE_SHIM: &str = "#!/bin/sh\n# kubectl's plugin-completion shim (kubectl 1.26 and newer): put it on PATH beside kubectl-foo.\nexec kubectl-foo __complete \"$@\"\n";

fn named(name: &str) -> Command {
    let mut cmd = crate::command()
        .name(name.to_string())
        .bin_name(name.to_string());
    cmd.build();
    cmd
}

/// The completion script for `kubectl-foo` in `shell`: a thin function that asks
/// `kubectl-foo __complete` (cobra's protocol, as kubectl's own scripts do), so that Foo names
/// and flag values are completed from the cluster, not only commands and flags.
pub fn completion_script(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => include_str!("completion/kubectl-foo.bash"),
        Shell::Zsh => include_str!("completion/_kubectl-foo"),
        Shell::Fish => include_str!("completion/kubectl-foo.fish"),
        Shell::Powershell => include_str!("completion/_kubectl-foo.ps1"),
    }
}

/// Every generated file, relative to the workspace root, with its content.
pub fn files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Powershell] {
        out.push((
            Path::new("completions").join(shell.file_name()),
            completion_script(shell).as_bytes().to_vec(),
        ));
    }
    out.push((
        Path::new("completions").join("kubectl_complete-foo"),
        COMPLETE_SHIM.as_bytes().to_vec(),
    ));
    let root = named("kubectl-foo");
    man_pages(&root, "kubectl-foo", "kubectl foo", &mut out);
    out
}

fn man_pages(cmd: &Command, name: &str, display: &str, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let page = cmd
        .clone()
        .name(name.to_string())
        .bin_name(display.to_string())
        // The page's own name: NAME and the cross-references (`kubectl-foo-bar(1)`) use it.
        .display_name(name.to_string());
    let mut buf = Vec::new();
    clap_mangen::Man::new(page)
        .title(name.to_uppercase())
        .section("1")
        .source(format!("kubectl-foo {}", env!("CARGO_PKG_VERSION")))
        .manual("kubectl foo")
        .render(&mut buf)
        .expect("render a man page into memory");
    out.push((Path::new("man").join(format!("{name}.1")), buf));
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        let sub_name = sub.get_name();
        man_pages(
            sub,
            &format!("{name}-{sub_name}"),
            &format!("{display} {sub_name}"),
            out,
        );
    }
}

/// Writes every generated file under `root`; returns the paths written.
pub fn write(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, content) in files() {
        let full = root.join(&path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::fs::read(&full).ok().as_deref() != Some(&content[..]) {
            std::fs::write(&full, &content)?;
            written.push(path.clone());
        }
        #[cfg(unix)]
        if path.ends_with("kubectl_complete-foo") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    Ok(written)
}

/// The generated files under `root` that are missing or stale (plus stale extra man pages).
pub fn check(root: &Path) -> Vec<PathBuf> {
    let files = files();
    let mut stale: Vec<PathBuf> = files
        .iter()
        .filter(|(path, content)| {
            std::fs::read(root.join(path)).ok().as_deref() != Some(&content[..])
        })
        .map(|(p, _)| p.clone())
        .collect();
    if let Ok(entries) = std::fs::read_dir(root.join("man")) {
        for entry in entries.flatten() {
            let path = Path::new("man").join(entry.file_name());
            if !files.iter().any(|(p, _)| p == &path) {
                stale.push(path);
            }
        }
    }
    stale
}
