//! wardle-apiserver: k8s.io/sample-apiserver's API (`wardle.example.com`) on the
//! aggregated-apiserver library. Namespaced Flunders in v1alpha1 (deprecated, and the version
//! stored) and v1beta1, converted between them; cluster-scoped Fischers; the BanFlunder
//! admission (and NamespaceLifecycle, when serving a cluster).
//!
//! `wardle-apiserver [flags]` serves a cluster with k8s.io/apiserver's flags;
//! `wardle-apiserver local` serves this machine alone, with a kubeconfig for kubectl.

mod admission;
mod strategy;
mod types;

use aggregated_apiserver::ApiServer;
use aggregated_apiserver::options::{LocalArgs, ServeArgs};
use aggregated_apiserver::registry::Converted;
use clap::{Parser, Subcommand};

use strategy::{FischerStrategy, FlunderStrategy};

/// An aggregated API server for wardle.example.com (kinds Flunder and Fischer).
#[derive(Parser)]
#[command(name = "wardle-apiserver", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve on this machine alone: embedded storage, a local CA and a kubeconfig.
    Local(Box<LocalArgs>),
}

fn wardle() -> ApiServer {
    ApiServer::new("wardle-apiserver")
        .kind(FlunderStrategy)
        .kind(Converted::<_, types::v1alpha1::Flunder>::new(
            FlunderStrategy,
        ))
        .kind(FischerStrategy)
        .admission(admission::BanFlunder)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        None => wardle().serve(Cli::parse().serve).await,
        Some(Command::Local(args)) => {
            let server = wardle().local(*args).await?;
            println!(
                "wardle-apiserver: serving {}\n\nTo use it:\n  export KUBECONFIG={}\n  kubectl get flunders -A\n",
                server.url(),
                server.kubeconfig().display()
            );
            server.run().await
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
