//! Debian packages the tests run, installed with apt-get when their command is missing.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// `(command, Debian package providing it)` for the commands the tests start: real etcd
/// members (`tests/common/etcd.rs`), tmux, which answers kubectl-foo's prompts, the shells
/// whose completion scripts kubectl-foo writes, and the browser that renders the API reference
/// (`tests/browser.rs`).
pub const TEST_PACKAGES: &[(&str, &str)] = &[
    ("etcd", "etcd-server"),
    ("tmux", "tmux"),
    ("fish", "fish"),
    ("zsh", "zsh"),
    ("chromium", "chromium"),
];

/// Installs the package of every command in `packages` that is not on the `PATH`.
pub fn ensure(packages: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(command, _)| which(command).is_none())
        .map(|&(_, package)| package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("installing {} with apt-get", missing.join(" "));
    if which("apt-get").is_none() {
        bail!(
            "the tests need the packages {} and there is no apt-get: install them",
            missing.join(" ")
        );
    }
    let sudo = !is_root()?;
    apt_get(sudo, &["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq"];
    install.extend(&missing);
    apt_get(sudo, &install)?;
    for (command, package) in packages {
        if which(command).is_none() {
            bail!("`{command}` is still not on the PATH after installing {package}");
        }
    }
    Ok(())
}

fn apt_get(sudo: bool, args: &[&str]) -> Result<()> {
    // sudo resets the environment: `env` sets the variable on its side.
    let mut command = if sudo {
        let mut command = Command::new("sudo");
        command.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        command
    } else {
        let mut command = Command::new("apt-get");
        command.env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    command.args(args);
    let shown = format!(
        "{}apt-get {}",
        if sudo { "sudo " } else { "" },
        args.join(" ")
    );
    let status = command
        .status()
        .with_context(|| format!("running `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

fn is_root() -> Result<bool> {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .context("running `id -u`")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// The first `program` on the `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}
