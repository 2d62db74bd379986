//! Starting the server with Foo's kind, and the controller beside it.

use aggregated_apiserver::ApiServer;
use aggregated_apiserver::builder::shutdown_signal;
use aggregated_apiserver::options::ServeArgs;

use crate::cli::{ControllerArgs, LocalCommandArgs};
use crate::foo::FooStrategy;

/// The server of Foo (its embedded database keeps the file name it always had).
fn foo_apiserver() -> ApiServer {
    ApiServer::new("foo-apiserver")
        .kind(FooStrategy)
        .database_file("foo.redb")
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
