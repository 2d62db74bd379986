//! Background writes through kube-apiserver, so that the shared etcd's revision moves as in a
//! real cluster while a server on it is measured: a server-side apply of one ConfigMap at a
//! steady rate, from a thread of its own that stops when the [`Writer`] is dropped.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use tokio::sync::oneshot;
use tokio::time::MissedTickBehavior;

const NAMESPACE: &str = "default";
const NAME: &str = "bench-writer";

/// Writes until dropped.
pub struct Writer {
    /// Dropping it stops the thread.
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Writes `per_second` times a second as the user of `kubeconfig`.
    pub fn start(kubeconfig: PathBuf, per_second: u32) -> Writer {
        assert!(per_second > 0, "a writer writes at least once a second");
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the writer");
            runtime.block_on(write(kubeconfig, per_second, stopped));
        });
        Writer {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn write(kubeconfig: PathBuf, per_second: u32, mut stopped: oneshot::Receiver<()>) {
    let client = crate::common::client_from(&kubeconfig).await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client, NAMESPACE);
    let params = PatchParams::apply("bench-writer").force();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / per_second);
    // A slow write delays the next ones instead of being made up for with a burst.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for n in 0u64.. {
        tokio::select! {
            _ = &mut stopped => return,
            _ = ticks.tick() => {}
        }
        let config_map = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": NAME, "namespace": NAMESPACE},
            "data": {"n": n.to_string()},
        });
        if let Err(error) = config_maps
            .patch(NAME, &params, &Patch::Apply(&config_map))
            .await
        {
            eprintln!("the background writer failed to write: {error}");
        }
    }
}
