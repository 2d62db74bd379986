//! kubectl-foo: the kubectl plugin for the Foo API (`kubectl foo …`).

use clap::Parser;

/// Work with Foos of demo.jeremyxu2010.me (commands arrive with the plugin's own issue; until
/// then `kubectl get foos` serves).
#[derive(Parser)]
#[command(name = "kubectl foo", version)]
struct Cli {}

fn main() {
    Cli::parse();
}
