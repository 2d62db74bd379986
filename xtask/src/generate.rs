//! `cargo xtask generate [--check]`: the generated files kept in the repository.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

/// Writes the generated files that are missing or out of date.
pub fn write(root: &Path) -> Result<ExitCode> {
    let written = kubectl_foo::generate::write(root).context("cannot write generated files")?;
    for path in &written {
        println!("wrote {}", path.display());
    }
    if written.is_empty() {
        println!("generated files are up to date");
    }
    Ok(ExitCode::SUCCESS)
}

/// Fails, naming them, when generated files are out of date.
pub fn check(root: &Path) -> Result<ExitCode> {
    let stale = kubectl_foo::generate::check(root);
    if stale.is_empty() {
        println!("generated files are up to date");
        return Ok(ExitCode::SUCCESS);
    }
    for path in &stale {
        eprintln!("stale: {}", path.display());
    }
    eprintln!("error: generated files are out of date: run `cargo xtask generate`");
    Ok(ExitCode::FAILURE)
}
