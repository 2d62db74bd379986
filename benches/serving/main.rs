//! The serving benchmark: foo-apiserver on each store beside its Go peers, and the same
//! Flunder workload on wardle-apiserver (examples/wardle) and sample-apiserver, measured side
//! by side in one run and written to BENCHMARKS.md. Run by `cargo xtask bench`, which builds
//! the peers first; `cargo bench --bench serving -- --quick` checks the harness in minutes.

#[path = "../../tests/common/mod.rs"]
mod common;
mod comparison;
mod endpoint;
mod load;
mod machine;
mod measure;
mod memory;
mod options;
mod peers;
mod plot;
mod plugin;
mod report;
mod results;
mod run;
mod scenarios;
mod seed;
mod servers;
mod targets;
mod watch;

use anyhow::Context;
use clap::Parser;
use tokio::runtime::Runtime;

use comparison::Comparison;
use machine::Machine;
use measure::Usage;
use options::{Options, Plan, Store};
use results::{Results, Route};
use servers::Servers;

fn main() -> anyhow::Result<()> {
    let plan = Plan::from_options(Options::parse());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let machine = Machine::describe();
    let mut results = Results::default();

    let mut servers = Servers::start(&plan);
    results.notes.append(&mut servers.notes);
    seed_all(&runtime, &plan, &servers)?;
    if plan.wants("memory") {
        let measured = memory::measure(&runtime, &mut servers, plan.objects);
        print_tables(|c| report::memory_table(&measured, c));
        results.memory.extend(measured);
    }
    run::requests(&runtime, &plan, &servers, &mut results);
    if plan.wants("watch") {
        watches(&runtime, &plan, &servers, &mut results);
    }
    if let Some(many) = plan.many_objects.filter(|_| plan.wants("memory")) {
        for target in servers
            .direct
            .iter()
            .filter(|t| t.endpoint.shape.writable())
        {
            eprintln!("creating {many} objects in {}…", target.endpoint.name);
            runtime.block_on(seed::seed(&target.endpoint, plan.objects..many))?;
        }
        let measured = memory::measure(&runtime, &mut servers, many);
        print_tables(|c| report::memory_table(&measured, c));
        results.memory.extend(measured);
        results.notes.push(format!(
            "The memory at {many} objects is measured after the other scenarios: the servers \
             also hold the objects CREATE made."
        ));
    }
    drop(servers);

    if plan.wants("plugin") && plan.compares(Comparison::Foo) {
        match plugin::compare(&runtime, &plan)? {
            Some(rows) => {
                println!("{}", report::plugin_table(&rows));
                results.plugin = rows;
            }
            None => results
                .notes
                .push("`$KUBECTL_FOO` is not set: the plugin was not timed.".into()),
        }
    }

    let verdicts = targets::judge(&results, plan.objects, plan.many_objects, &plan.compare);
    let plots = plot::draw(&results, &plan.plots)?
        .into_iter()
        .map(|(title, file)| (title, report::link(&plan.out, &file)))
        .collect::<Vec<_>>();
    let document = report::document(&machine, &command(), &results, &verdicts, &plots);
    for comparison in Comparison::ALL {
        let of: Vec<_> = verdicts
            .iter()
            .filter(|v| v.comparison == comparison)
            .collect();
        if !of.is_empty() {
            println!("{}", report::targets_table(&of));
        }
    }
    if let Some(dir) = plan.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&plan.out, document)
        .with_context(|| format!("writing {}", plan.out.display()))?;
    println!("wrote {}", plan.out.display());
    Ok(())
}

/// Prints the non-empty table of each comparison.
fn print_tables(table: impl Fn(Comparison) -> String) {
    for comparison in Comparison::ALL {
        let table = table(comparison);
        if !table.is_empty() {
            println!("{table}");
        }
    }
}

/// Creates the objects every writable server needs, each store once (foo through
/// kube-apiserver shares foo's store on the shared etcd).
fn seed_all(runtime: &Runtime, plan: &Plan, servers: &Servers) -> anyhow::Result<()> {
    let through_cluster = servers
        .through_cluster
        .iter()
        .filter(|t| !(t.role.is_foo() && plan.has(Store::Shared)));
    for target in servers.direct.iter().chain(through_cluster) {
        if target.endpoint.shape.writable() {
            eprintln!(
                "creating {} objects in {}…",
                plan.objects, target.endpoint.name
            );
            runtime
                .block_on(seed::seed(&target.endpoint, 0..plan.objects))
                .with_context(|| format!("seeding {}", target.endpoint.name))?;
        }
    }
    Ok(())
}

/// Watch fan-out on every writable server at each rate, the servers alternating per rate (the
/// Flunder comparison's beside foo's).
fn watches(runtime: &Runtime, plan: &Plan, servers: &Servers, results: &mut Results) {
    let routes = [
        (Route::Direct, &servers.direct),
        (Route::ThroughCluster, &servers.through_cluster),
    ];
    for rate in plan.watch_rates {
        for (route, targets) in routes {
            for target in targets.iter().filter(|t| t.endpoint.shape.writable()) {
                let endpoint = &target.endpoint;
                eprintln!(
                    "watch on {}: {} watchers, {rate} writes/s…",
                    endpoint.name, plan.watchers
                );
                let writer = servers.background(target);
                let usage = Usage::start(endpoint.pid);
                let measured = runtime.block_on(watch::fan_out(
                    endpoint,
                    plan.watchers,
                    rate,
                    plan.watch_for,
                    plan.objects,
                ));
                let used = usage.finish();
                drop(writer);
                match measured {
                    Ok(fan_out) => results.watches.push(results::Watch {
                        server: endpoint.name.clone(),
                        route,
                        role: target.role,
                        writes_per_second: rate,
                        watchers: plan.watchers,
                        expected: fan_out.expected,
                        delivered: fan_out.delivered,
                        dropped: fan_out.dropped,
                        latency: fan_out.latency,
                        cpu_seconds: used.cpu_seconds,
                        first_error: fan_out.first_error,
                    }),
                    Err(error) => results
                        .notes
                        .push(format!("Watch on {} failed: {error:#}", endpoint.name)),
                }
            }
        }
    }
    print_tables(|c| report::watch_table(&results.watches, c));
}

/// The command line as it ran.
fn command() -> String {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    format!(
        "cargo bench --bench serving -- {} (as `cargo xtask bench` runs it)",
        args.join(" ")
    )
}
