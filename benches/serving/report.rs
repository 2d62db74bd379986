//! The report as Markdown: the machine and versions, the command, then for Foo's comparison
//! the targets, one table per scenario and route, watch, memory and plugin tables and links
//! to the plots, and the Flunder comparison's own section of the same. The same tables are
//! printed as each scenario ends.

use std::fmt::Write as _;
use std::path::Path;

use hdrhistogram::Histogram;

use crate::comparison::{Comparison, Role};
use crate::endpoint::FLUNDERS;
use crate::machine::Machine;
use crate::results::{Memory, Plugin, Requests, Results, Route, Watch};
use crate::targets::Verdict;

const MIB: f64 = 1024.0 * 1024.0;

/// The whole of BENCHMARKS.md.
pub fn document(
    machine: &Machine,
    command: &str,
    results: &Results,
    targets: &[Verdict],
    plots: &[(String, String)],
) -> String {
    let mut out = String::new();
    out.push_str("# Benchmarks\n\n");
    out.push_str(
        "Written by `cargo xtask bench` (`benches/serving/`); do not edit by hand. Every \
         server ran on this machine in the same run, loaded by a Rust client over TLS with a \
         client certificate (HTTP/2 unless said otherwise), closed loop: each client sends \
         its next request once the previous answer is read. Each scenario ran in rounds \
         that alternate the servers (A B A B), so the ratios compare like with like. Server \
         CPU is utime + stime of the server process over the measured time; peak RSS is its \
         `VmHWM`, reset before each round. Numbers only: nothing here passes or fails a \
         build.\n\n",
    );
    out.push_str(&machine.markdown());
    let _ = writeln!(out, "Command: `{command}`\n");
    for note in &results.notes {
        let _ = writeln!(out, "- {note}");
    }
    if !results.notes.is_empty() {
        out.push('\n');
    }
    let foo = Comparison::Foo;
    let foo_targets = of(targets, foo);
    if !foo_targets.is_empty() {
        out.push_str("## Targets\n\n");
        out.push_str(&targets_table(&foo_targets));
    }
    let requests = requests_tables(results, foo);
    if !requests.is_empty() {
        out.push_str("## Requests\n\n");
        out.push_str(&requests);
    }
    let watches = watch_table(&results.watches, foo);
    if !watches.is_empty() {
        out.push_str("## Watch fan-out\n\n");
        out.push_str(&watches);
    }
    let memory = memory_table(&results.memory, foo);
    if !memory.is_empty() {
        out.push_str("## Memory\n\n");
        out.push_str(&memory);
    }
    if !results.plugin.is_empty() {
        out.push_str("## kubectl foo list against kubectl get foos\n\n");
        out.push_str(&plugin_table(&results.plugin));
    }
    if !plots.is_empty() {
        out.push_str("## Plots\n\n");
        for (title, link) in plots {
            let _ = writeln!(out, "![{title}]({link})\n");
        }
    }
    if results.has(Comparison::Flunder) {
        out.push_str(&flunder_section(results, targets));
    }
    out
}

/// The Flunder comparison: its targets, requests, watches and memory.
fn flunder_section(results: &Results, targets: &[Verdict]) -> String {
    let flunder = Comparison::Flunder;
    let mut out = String::from("## Flunder: wardle-apiserver against sample-apiserver\n\n");
    let _ = write!(
        out,
        "The same Flunder workload on wardle-apiserver (examples/wardle: sample-apiserver's \
         API on the aggregated-apiserver library) and on k8s.io/sample-apiserver itself: the \
         same requests from the same client on the same paths (`{FLUNDERS}`), the same seeded \
         Flunders, each scenario's servers alternating round by round (foo's among them when \
         both comparisons run: sample-apiserver's rows are then those of foo's tables). wardle (shared etcd) runs with sample-apiserver's flags on the same \
         etcd (under a prefix of its own) while kube-apiserver writes to it; wardle (embedded) \
         is `wardle-apiserver local` on its embedded store.\n\n"
    );
    let flunder_targets = of(targets, flunder);
    if !flunder_targets.is_empty() {
        out.push_str("### Targets\n\n");
        out.push_str(&targets_table(&flunder_targets));
    }
    out.push_str(&requests_tables(results, flunder));
    let watches = watch_table(&results.watches, flunder);
    if !watches.is_empty() {
        out.push_str("### Flunder: watch fan-out\n\n");
        out.push_str(&watches);
    }
    let memory = memory_table(&results.memory, flunder);
    if !memory.is_empty() {
        out.push_str("### Flunder: memory\n\n");
        out.push_str(&memory);
    }
    out
}

/// The verdicts of `comparison`'s targets.
fn of(targets: &[Verdict], comparison: Comparison) -> Vec<&Verdict> {
    targets
        .iter()
        .filter(|v| v.comparison == comparison)
        .collect()
}

/// `comparison`'s table of every scenario and route, in the order they ran.
fn requests_tables(results: &Results, comparison: Comparison) -> String {
    let rows = &results.requests;
    let mut out = String::new();
    let mut start = 0;
    for end in 1..=rows.len() {
        if end == rows.len() || !same_table(&rows[start], &rows[end]) {
            out.push_str(&requests_table(&rows[start..end], comparison));
            start = end;
        }
    }
    out
}

fn same_table(a: &Requests, b: &Requests) -> bool {
    a.scenario == b.scenario && a.route == b.route
}

/// One scenario on the servers of one route that are in `comparison`, with the throughput of
/// its server under test against each peer's; empty when its server under test did not run.
pub fn requests_table(rows: &[Requests], comparison: Comparison) -> String {
    let rows: Vec<&Requests> = rows.iter().filter(|r| r.role.is_in(comparison)).collect();
    if !rows.iter().any(|r| r.role == Role::UnderTest(comparison)) {
        return String::new();
    }
    let first = rows[0];
    let route = match first.route {
        Route::Direct => "",
        Route::ThroughCluster => " — through kube-apiserver",
    };
    let mut out = format!(
        "### {}{}{route}\n\n",
        title_prefix(comparison),
        first.scenario
    );
    let _ = writeln!(
        out,
        "| server | clients | ops/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU s | \
         CPU µs/op | peak RSS MiB | {}'s ops/s against |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
        comparison.subject()
    );
    for &row in &rows {
        let outcome = &row.outcome;
        let cpu = row.used.cpu_seconds;
        let ratios: Vec<String> = rows
            .iter()
            .filter(|peer| row.role.under_test() && !peer.role.under_test())
            .map(|peer| {
                let ratio = outcome.per_second() / peer.outcome.per_second().max(1e-9);
                format!("{ratio:.2}× {}", peer.server)
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.server,
            row.clients,
            outcome.per_second(),
            millis(&outcome.latency, 0.5),
            millis(&outcome.latency, 0.99),
            millis(&outcome.latency, 0.999),
            outcome.errors,
            optional(cpu.map(|c| format!("{c:.2}"))),
            optional(cpu.map(|c| format!("{:.0}", c * 1e6 / outcome.operations.max(1) as f64))),
            optional(row.used.peak_rss.map(|b| format!("{:.0}", b as f64 / MIB))),
            ratios.join(", "),
        );
    }
    let errors = rows
        .iter()
        .map(|row| (&row.server, &row.outcome.first_error));
    first_errors(&mut out, errors);
    out
}

/// How the tables of a comparison's scenarios are titled: Foo's by the scenario alone.
fn title_prefix(comparison: Comparison) -> &'static str {
    match comparison {
        Comparison::Foo => "",
        Comparison::Flunder => "Flunder: ",
    }
}

/// The watch fan-out of the servers in `comparison`; empty when its server under test did
/// not run.
pub fn watch_table(rows: &[Watch], comparison: Comparison) -> String {
    let rows: Vec<&Watch> = rows.iter().filter(|r| r.role.is_in(comparison)).collect();
    if !rows.iter().any(|r| r.role == Role::UnderTest(comparison)) {
        return String::new();
    }
    let mut out = String::from(
        "Delivery latency runs from the writer's acknowledgement (its response received) to \
         a watcher's receipt; an event a watcher received before the writer's acknowledgement \
         counts as 0. Events are matched by name and resourceVersion.\n\n\
         | server | writes/s | watchers | events expected | delivered | dropped watchers | \
         p50 ms | p99 ms | max ms | server CPU s | CPU µs per delivered event |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for row in &rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.server,
            row.writes_per_second,
            row.watchers,
            row.expected,
            row.delivered,
            row.dropped,
            millis(&row.latency, 0.5),
            millis(&row.latency, 0.99),
            millis(&row.latency, 1.0),
            optional(row.cpu_seconds.map(|c| format!("{c:.2}"))),
            optional(
                row.cpu_seconds
                    .map(|c| format!("{:.1}", c * 1e6 / row.delivered.max(1) as f64))
            ),
        );
    }
    first_errors(
        &mut out,
        rows.iter().map(|row| (&row.server, &row.first_error)),
    );
    out
}

/// The first error each server answered, below its table.
fn first_errors<'a>(
    out: &mut String,
    errors: impl Iterator<Item = (&'a String, &'a Option<String>)>,
) {
    for (server, error) in errors {
        if let Some(error) = error {
            let _ = writeln!(out, "\nFirst error on {server}: `{}`", one_line(error));
        }
    }
    out.push('\n');
}

/// The memory of the servers in `comparison`; empty when its server under test did not run.
pub fn memory_table(rows: &[Memory], comparison: Comparison) -> String {
    let rows: Vec<&Memory> = rows.iter().filter(|r| r.role.is_in(comparison)).collect();
    if !rows.iter().any(|r| r.role == Role::UnderTest(comparison)) {
        return String::new();
    }
    let mut out = String::from(
        "RSS of the server process after creating the objects, after a restart over them \
         (cold start), and its peak during one full LIST (peak reset just before) with the \
         memory that LIST took beyond the RSS before it, per byte of response.\n\n\
         | server | objects | RSS after create MiB | RSS cold MiB | LIST as | response MiB | \
         peak during LIST MiB | temporary ÷ response |\n\
         |---|--:|--:|--:|---|--:|--:|--:|\n",
    );
    for row in rows {
        for list in &row.lists {
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | {:.1} | {} | {:.1} | {:.1} | {:.2} |",
                row.server,
                row.objects,
                row.rss_after_create as f64 / MIB,
                row.rss_cold as f64 / MIB,
                list.format,
                list.response_bytes as f64 / MIB,
                list.peak as f64 / MIB,
                list.temporary_ratio(),
            );
        }
    }
    out.push('\n');
    out
}

pub fn plugin_table(rows: &[Plugin]) -> String {
    let mut out = String::from(
        "Wall time of the whole command (process start to exit), median of the runs after one \
         unmeasured warm-up run, against foo-apiserver on its embedded store.\n\n\
         | objects | runs | kubectl foo list ms | kubectl get foos ms | ratio |\n\
         |--:|--:|--:|--:|--:|\n",
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.0} | {:.2} |",
            row.objects,
            row.runs,
            row.plugin.as_secs_f64() * 1e3,
            row.kubectl.as_secs_f64() * 1e3,
            row.plugin.as_secs_f64() / row.kubectl.as_secs_f64().max(1e-9),
        );
    }
    out.push('\n');
    out
}

pub fn targets_table(verdicts: &[&Verdict]) -> String {
    let mut out = String::from("| target | result | measured |\n|---|---|---|\n");
    for verdict in verdicts {
        let result = match verdict.met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "not measured",
        };
        let _ = writeln!(
            out,
            "| {} | {result} | {} |",
            verdict.target, verdict.measured
        );
    }
    out.push('\n');
    let missed: Vec<_> = verdicts.iter().filter(|v| v.met == Some(false)).collect();
    if !missed.is_empty() {
        out.push_str("What bounds each target not met, from this run's measurements:\n\n");
        for verdict in missed {
            let why = verdict.why.as_deref().unwrap_or("not known from this run");
            let _ = writeln!(out, "- {}: {why}.", verdict.target);
        }
        out.push('\n');
    }
    out
}

/// A link to `file` from the report at `report`.
pub fn link(report: &Path, file: &Path) -> String {
    let base = report.parent().unwrap_or(Path::new(""));
    file.strip_prefix(base)
        .unwrap_or(file)
        .to_string_lossy()
        .into_owned()
}

fn millis(histogram: &Histogram<u64>, quantile: f64) -> String {
    if histogram.is_empty() {
        return "–".into();
    }
    format!(
        "{:.2}",
        histogram.value_at_quantile(quantile) as f64 / 1000.0
    )
}

fn optional(value: Option<String>) -> String {
    value.unwrap_or_else(|| "–".into())
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '|', '`'], " ")
}
