//! `kubectl foo list` (`$KUBECTL_FOO`) against `kubectl get foos`: the wall time of each
//! whole command, median of repeated runs, at two object counts on a foo-apiserver of
//! their own.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use crate::options::Plan;
use crate::peers;
use crate::results::Plugin;
use crate::seed::seed;

/// Times both commands at each of the plan's counts; None when `$KUBECTL_FOO` is unset.
pub fn compare(runtime: &Runtime, plan: &Plan) -> anyhow::Result<Option<Vec<Plugin>>> {
    let Some(plugin) = std::env::var_os("KUBECTL_FOO").filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let plugin = PathBuf::from(plugin);
    let server = peers::foo_embedded();
    let cache = tempfile::tempdir()?;
    let mut rows = Vec::new();
    let mut seeded = 0;
    for objects in plan.plugin_objects {
        runtime.block_on(seed(&server.endpoint, seeded..objects))?;
        seeded = objects;
        let plugin_time = median(plan.plugin_runs, || {
            let mut command = Command::new(&plugin);
            command.arg("list").env("KUBECONFIG", &server.kubeconfig);
            command
        })?;
        let kubectl_time = median(plan.plugin_runs, || {
            kubectl_get(&server.kubeconfig, cache.path())
        })?;
        rows.push(Plugin {
            objects,
            runs: plan.plugin_runs,
            plugin: plugin_time,
            kubectl: kubectl_time,
        });
    }
    Ok(Some(rows))
}

fn kubectl_get(kubeconfig: &Path, cache: &Path) -> Command {
    let mut command = Command::new("kubectl");
    command
        .args(["get", "foos", "--cache-dir"])
        .arg(cache)
        .env("KUBECONFIG", kubeconfig);
    command
}

/// The median wall time of `runs` runs of the command `make` builds, after one warm-up run
/// (which fills kubectl's discovery cache).
fn median(runs: usize, make: impl Fn() -> Command) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for run in 0..=runs {
        let started = Instant::now();
        let output = make()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()?;
        let took = started.elapsed();
        anyhow::ensure!(
            output.status.success(),
            "{:?} failed: {}",
            make(),
            String::from_utf8_lossy(&output.stderr)
        );
        if run > 0 {
            times.push(took);
        }
    }
    times.sort();
    Ok(times[times.len() / 2])
}
