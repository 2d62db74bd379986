//! The targets of issue 13, each judged from ratios measured in the same run: met, not met,
//! or not measured (a server or scenario that did not run).

use crate::results::{Results, Route, Watch};
use crate::run::FOO_EMBEDDED;

const SAMPLE: &str = "sample-apiserver";
const STATIC: &str = "static JSON";
const CRD: &str = "CRD";
const MIB: f64 = 1024.0 * 1024.0;

pub struct Verdict {
    pub target: String,
    /// None: not measured in this run.
    pub met: Option<bool>,
    pub measured: String,
}

fn verdict(target: impl Into<String>, measured: Option<(bool, String)>) -> Verdict {
    let (met, measured) = match measured {
        Some((met, text)) => (Some(met), text),
        None => (None, "–".into()),
    };
    Verdict {
        target: target.into(),
        met,
        measured,
    }
}

pub fn judge(results: &Results, objects: usize, many_objects: Option<usize>) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let foo_direct: Vec<&str> = results
        .requests
        .iter()
        .filter(|r| r.is_foo && r.route == Route::Direct)
        .map(|r| r.server.as_str())
        .fold(Vec::new(), |mut names, name| {
            if !names.contains(&name) {
                names.push(name);
            }
            names
        });
    let throughput_ratio = |scenario: &str, foo: &str, peer: &str| {
        let foo = results.request(scenario, foo)?;
        let peer = results.request(scenario, peer)?;
        Some(foo.outcome.per_second() / peer.outcome.per_second().max(1e-9))
    };
    for foo in &foo_direct {
        let ratio = throughput_ratio("GET", foo, SAMPLE);
        verdicts.push(verdict(
            format!("GET on {foo}: ≥3× sample-apiserver"),
            ratio.map(|r| (r >= 3.0, format!("{r:.2}×"))),
        ));
    }
    let ratio = throughput_ratio("GET", FOO_EMBEDDED, STATIC);
    verdicts.push(verdict(
        "GET: ≥50% of the static-JSON ceiling",
        ratio.map(|r| (r >= 0.5, format!("{:.0}%", r * 100.0))),
    ));
    let list_table = format!("LIST all {objects} as Table");
    for foo in &foo_direct {
        let ratio = results
            .request(&list_table, foo)
            .zip(results.request(&list_table, SAMPLE))
            .filter(|(f, s)| !f.outcome.latency.is_empty() && !s.outcome.latency.is_empty())
            .map(|(f, s)| {
                f.outcome.latency.value_at_quantile(0.5) as f64
                    / s.outcome.latency.value_at_quantile(0.5).max(1) as f64
            });
        verdicts.push(verdict(
            format!("{list_table} on {foo}: p50 ≤0.3× sample-apiserver's"),
            ratio.map(|r| (r <= 0.3, format!("{r:.2}×"))),
        ));
    }
    for memory in results.memory.iter().filter(|m| m.is_foo) {
        let table = memory.lists.iter().find(|l| l.format == "Table");
        verdicts.push(verdict(
            format!(
                "LIST of {} as Table on {}: temporary memory ≤2× the response",
                memory.objects, memory.server
            ),
            table.map(|l| {
                let r = l.temporary_ratio();
                (r <= 2.0, format!("{r:.2}×"))
            }),
        ));
    }
    for foo in foo_direct.iter().filter(|name| name.contains("etcd")) {
        let ratio = throughput_ratio("CREATE", foo, SAMPLE);
        verdicts.push(verdict(
            format!("CREATE on {foo}: ≥2× sample-apiserver"),
            ratio.map(|r| (r >= 2.0, format!("{r:.2}×"))),
        ));
    }
    let create64 = results.request("CREATE, 64 clients", FOO_EMBEDDED);
    verdicts.push(verdict(
        "CREATE on the embedded store, 64 clients: ≥5,000/s at p99 ≤5 ms",
        create64.map(|c| {
            let rate = c.outcome.per_second();
            let p99 = c.outcome.latency.value_at_quantile(0.99) as f64 / 1000.0;
            (
                rate >= 5000.0 && p99 <= 5.0,
                format!("{rate:.0}/s, p99 {p99:.2} ms"),
            )
        }),
    ));
    for watch in results
        .watches
        .iter()
        .filter(|w| w.is_foo && w.route == Route::Direct)
    {
        let all = watch.delivered >= watch.expected && watch.expected > 0;
        let p99 = watch.latency.value_at_quantile(0.99) as f64 / 1000.0;
        let cpu = watch
            .cpu_seconds
            .map(|c| {
                format!(
                    ", {:.1} µs CPU per event",
                    c * 1e6 / watch.delivered.max(1) as f64
                )
            })
            .unwrap_or_default();
        let measured = format!(
            "{}/{} delivered, p99 {p99:.2} ms, {} dropped{cpu}",
            watch.delivered, watch.expected, watch.dropped
        );
        let (target, met) = if watch.writes_per_second <= 50 {
            ("every event delivered, p99 ≤20 ms", all && p99 <= 20.0)
        } else {
            (
                "every event delivered, no watcher dropped",
                all && watch.dropped == 0,
            )
        };
        verdicts.push(verdict(
            format!(
                "Watch on {} at {} writes/s: {target}",
                watch.server, watch.writes_per_second
            ),
            Some((met, measured)),
        ));
    }
    let many = many_objects.unwrap_or(objects);
    let sample_memory = results
        .memory
        .iter()
        .find(|m| m.server == SAMPLE && m.objects == many);
    for memory in results
        .memory
        .iter()
        .filter(|m| m.is_foo && m.objects == many)
    {
        let rss = memory.rss_after_create.max(memory.rss_cold) as f64;
        verdicts.push(verdict(
            format!("{many} Foos on {}: ≤200 MB RSS", memory.server),
            Some((rss <= 200e6, format!("{:.0} MiB", rss / MIB))),
        ));
        let ratio = sample_memory.map(|s| rss / s.rss_after_create.max(s.rss_cold).max(1) as f64);
        verdicts.push(verdict(
            format!(
                "{many} Foos on {}: ≤0.3× sample-apiserver's RSS",
                memory.server
            ),
            ratio.map(|r| (r <= 0.3, format!("{r:.2}×"))),
        ));
    }
    for plugin in &results.plugin {
        let ratio = plugin.plugin.as_secs_f64() / plugin.kubectl.as_secs_f64().max(1e-9);
        verdicts.push(verdict(
            format!(
                "kubectl foo list at {}: ≤0.5× kubectl get foos",
                plugin.objects
            ),
            Some((ratio <= 0.5, format!("{ratio:.2}×"))),
        ));
    }
    let via = results
        .requests
        .iter()
        .find(|r| r.route == Route::ThroughCluster && r.is_foo)
        .map(|r| r.server.clone());
    if let Some(via) = via {
        for (scenario, at_least) in [
            ("LIST limit=1000 as JSON", 5.0),
            ("GET", 1.0),
            ("CREATE", 1.0),
        ] {
            let ratio = throughput_ratio(scenario, &via, CRD);
            verdicts.push(verdict(
                format!("{scenario} through kube-apiserver: ≥{at_least}× the CRD"),
                ratio.map(|r| (r >= at_least, format!("{r:.2}×"))),
            ));
        }
        let mut rates: Vec<u32> = results
            .watches
            .iter()
            .map(|w| w.writes_per_second)
            .collect();
        rates.dedup();
        for rate in rates {
            let find = |server: &str| {
                results
                    .watches
                    .iter()
                    .find(|w| w.server == server && w.writes_per_second == rate)
            };
            verdicts.push(verdict(
                format!(
                    "Watch through kube-apiserver at {rate} writes/s: ≥5× the CRD (its p99 \
                     over foo's, an undelivered event counting as never)"
                ),
                find(&via)
                    .zip(find(CRD))
                    .map(|(foo, crd)| watch_ratio(foo, crd)),
            ));
        }
    }
    verdicts
}

/// The CRD's delivery p99 over foo's, both over every expected event.
fn watch_ratio(foo: &Watch, crd: &Watch) -> (bool, String) {
    let share = |w: &Watch| 100.0 * w.delivered as f64 / w.expected.max(1) as f64;
    match (foo.p99_of_expected_ms(), crd.p99_of_expected_ms()) {
        (None, _) => (
            false,
            format!("foo delivered {:.1}% of its events", share(foo)),
        ),
        (Some(_), None) => (
            true,
            format!(
                "∞: the CRD delivered {:.1}% of its events, foo all",
                share(crd)
            ),
        ),
        (Some(foo), Some(crd)) => {
            let ratio = crd / foo.max(1e-3);
            (
                ratio >= 5.0,
                format!("{ratio:.2}× (p99 {crd:.1} ms over {foo:.1} ms)"),
            )
        }
    }
}
