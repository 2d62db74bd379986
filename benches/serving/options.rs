//! The bench binary's flags, and the sizes and durations they choose.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::comparison::Comparison;

/// Where foo-apiserver and wardle-apiserver keep their objects, and with it which peers run
/// beside them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Store {
    /// foo and wardle on their embedded store (and the static-JSON server, the GET ceiling).
    Embedded,
    /// foo on an etcd of its own.
    Etcd,
    /// foo, wardle and sample-apiserver on the etcd of a kube-apiserver that writes to it.
    Shared,
    /// foo through kube-apiserver's aggregation against a CRD of Foo's shape.
    Cluster,
}

#[derive(Parser, Debug)]
#[command(about = "foo-apiserver beside its peers, measured in one run")]
pub struct Options {
    /// Small counts and short rounds: checks the harness in a few minutes.
    #[arg(long)]
    pub quick: bool,
    /// Runs only the scenarios whose name contains this (e.g. `GET`, `LIST`, `watch`,
    /// `memory`, `plugin`).
    #[arg(long)]
    pub only: Option<String>,
    /// The stores to run on.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "embedded,etcd,shared,cluster"
    )]
    pub stores: Vec<Store>,
    /// The comparisons to make: foo-apiserver's Foo beside its peers, and the same Flunder
    /// workload on wardle-apiserver and sample-apiserver.
    #[arg(long, value_delimiter = ',', default_value = "foo,flunder")]
    pub compare: Vec<Comparison>,
    /// Objects each server holds for the scenarios [default: 10000, 1000 with `--quick`].
    #[arg(long)]
    pub objects: Option<usize>,
    /// The report; default BENCHMARKS.md at the workspace root (a temporary file with
    /// `--quick`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seconds each server is loaded in one round of a scenario.
    #[arg(long)]
    pub round_seconds: Option<f64>,
    /// Rounds per scenario, the servers alternating within each.
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// What a run does, from the flags.
#[derive(Clone, Debug)]
pub struct Plan {
    pub only: Option<String>,
    pub stores: Vec<Store>,
    pub compare: Vec<Comparison>,
    pub out: PathBuf,
    /// Where the plots go, linked from the report.
    pub plots: PathBuf,
    pub round: Duration,
    pub rounds: usize,
    /// Clients of a closed loop unless a scenario says otherwise.
    pub clients: usize,
    /// Objects each server holds for the scenarios ("LIST all" lists them).
    pub objects: usize,
    /// The larger count memory is measured at as well (none in quick mode).
    pub many_objects: Option<usize>,
    pub watchers: usize,
    pub watch_rates: [u32; 2],
    pub watch_for: Duration,
    /// The object counts `kubectl foo list` and `kubectl get foos` are timed at.
    pub plugin_objects: [usize; 2],
    pub plugin_runs: usize,
}

impl Plan {
    pub fn from_options(options: Options) -> Plan {
        let quick = options.quick;
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let (out, plots) = match (options.out, quick) {
            (Some(out), _) => {
                let plots = out.parent().unwrap_or(&root).join("bench-plots");
                (out, plots)
            }
            (None, false) => (root.join("BENCHMARKS.md"), root.join("docs/bench")),
            (None, true) => {
                let dir = std::env::temp_dir().join("foo-apiserver-bench-quick");
                (dir.join("BENCHMARKS.md"), dir.join("plots"))
            }
        };
        let default_round = if quick { 0.5 } else { 5.0 };
        let objects = options
            .objects
            .unwrap_or(if quick { 1_000 } else { 10_000 });
        Plan {
            only: options.only,
            stores: options.stores,
            compare: options.compare,
            out,
            plots,
            round: Duration::from_secs_f64(options.round_seconds.unwrap_or(default_round)),
            rounds: options.rounds.unwrap_or(2),
            clients: 16,
            objects,
            many_objects: (!quick).then_some(100_000).filter(|&many| many > objects),
            watchers: if quick { 200 } else { 1_000 },
            watch_rates: [50, 200],
            watch_for: Duration::from_secs(if quick { 5 } else { 20 }),
            plugin_objects: if quick { [100, 1_000] } else { [1_000, 10_000] },
            plugin_runs: if quick { 3 } else { 10 },
        }
    }

    /// Whether the scenario called `name` is to run.
    pub fn wants(&self, name: &str) -> bool {
        self.only
            .as_deref()
            .is_none_or(|only| name.to_lowercase().contains(&only.to_lowercase()))
    }

    pub fn has(&self, store: Store) -> bool {
        self.stores.contains(&store)
    }

    pub fn compares(&self, comparison: Comparison) -> bool {
        self.compare.contains(&comparison)
    }
}
