//! `cargo xtask generate [--check]`: writes (or checks) the generated files kept in the
//! repository: `completions/` (bash, zsh, fish, powershell and the `kubectl_complete-foo`
//! shim) and `man/` (a page per command).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate"] => match kubectl_foo::generate::write(&root) {
            Ok(written) => {
                for path in &written {
                    println!("wrote {}", path.display());
                }
                if written.is_empty() {
                    println!("generated files are up to date");
                }
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("error: cannot write generated files: {err}");
                ExitCode::FAILURE
            }
        },
        ["generate", "--check"] => {
            let stale = kubectl_foo::generate::check(&root);
            if stale.is_empty() {
                println!("generated files are up to date");
                ExitCode::SUCCESS
            } else {
                for path in &stale {
                    eprintln!("stale: {}", path.display());
                }
                eprintln!("error: generated files are out of date: run `cargo xtask generate`");
                ExitCode::FAILURE
            }
        }
        _ => {
            eprintln!("usage: cargo xtask generate [--check]");
            ExitCode::from(2)
        }
    }
}
