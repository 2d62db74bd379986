//! Starting the server with Foo's kind, and the controller beside it.

use aggregated_apiserver::ApiServer;
use aggregated_apiserver::builder::shutdown_signal;
use aggregated_apiserver::options::ServeArgs;

use anyhow::Context;

use crate::cli::{ControllerArgs, DocsArgs, LocalCommandArgs};
use crate::foo::FooStrategy;

/// The server of Foo (its embedded database keeps the file name it always had).
fn foo_apiserver() -> ApiServer {
    let server = ApiServer::new("foo-apiserver")
        .kind(FooStrategy)
        .database_file("foo.redb");
    crate::foo::examples::examples()
        .into_iter()
        .fold(server, ApiServer::example)
}

/// `foo-apiserver docs`: the API reference the server serves at `/docs/`, written out.
pub fn docs(args: &DocsArgs) -> anyhow::Result<()> {
    let reference = foo_apiserver().reference();
    reference
        .write(&args.out)
        .with_context(|| format!("writing the API reference into {}", args.out.display()))?;
    for (name, _) in reference.files() {
        println!("{}", args.out.join(name).display());
    }
    Ok(())
}

/// `foo-apiserver [flags]`: serve in a cluster.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    foo_apiserver().serve(args).await
}

/// `foo-apiserver local`: everything on this machine, with a kubeconfig to use it.
pub async fn local(args: LocalCommandArgs) -> anyhow::Result<()> {
    let server = foo_apiserver().local(args.server).await?;
    println!(
        "foo-apiserver local: serving {} with data in {}\n\nTo use it:\n  export KUBECONFIG={}\n  kubectl get foos\n",
        server.url(),
        server.data_dir().display(),
        server.kubeconfig().display()
    );
    // The controller runs in this process, as apiserver-boot's `run local` ran it beside the
    // server; it talks to the server through the admin kubeconfig just written.
    let controller = if args.controller {
        let metrics = args.metrics_bind_address;
        Some(crate::controller::start_local(server.kubeconfig(), metrics, shutdown_signal()).await?)
    } else {
        None
    };
    let served = server.run().await;
    if let Some(controller) = controller {
        controller.stop().await;
    }
    served
}

/// `foo-apiserver controller`: the controller alone, against a cluster serving the API.
pub async fn controller(args: ControllerArgs) -> anyhow::Result<()> {
    crate::controller::run_standalone(args, shutdown_signal()).await
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// `docs/api/` holds the reference as `foo-apiserver docs` writes it, and nothing else.
    #[test]
    fn the_committed_reference_is_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api");
        let reference = super::foo_apiserver().reference();
        let regenerate = "run `cargo run -- docs --out docs/api`";
        for (name, page) in reference.files() {
            let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            assert!(committed == page, "docs/api/{name} is stale: {regenerate}");
        }
        for entry in std::fs::read_dir(&dir).expect("docs/api/") {
            let name = entry.unwrap().file_name();
            let name = name.to_string_lossy();
            let known = reference.file(&name).is_some();
            assert!(
                known,
                "docs/api/{name} is not part of the reference: {regenerate}"
            );
        }
    }
}
