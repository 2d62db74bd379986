use std::io::IsTerminal;

use clap::Parser;
use foo_apiserver::cli::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Local(args)) => foo_apiserver::run::local(*args).await,
        Some(Command::Controller(args)) => foo_apiserver::run::controller(args).await,
        Some(Command::Manifests(args)) => foo_apiserver::manifests::run(&args),
        Some(Command::Docs(args)) => foo_apiserver::run::docs(&args),
        None => foo_apiserver::run::serve(cli.serve).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
