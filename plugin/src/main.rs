//! kubectl-foo: the kubectl plugin for the Foo API (`kubectl foo …`).

use clap::Parser;

/// Work with Foos of demo.jeremyxu2010.me.
#[derive(Parser)]
#[command(name = "kubectl foo", version)]
struct Cli {}

fn main() {
    Cli::parse();
    eprintln!(
        "kubectl foo: no commands yet; use `kubectl get {}` meanwhile",
        "foos"
    );
}
