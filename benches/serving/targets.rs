//! The targets of issue 13 (foo-apiserver's) and of the Flunder comparison (wardle-apiserver
//! at least as good as sample-apiserver on the same workload), each judged from ratios
//! measured in the same run: met, not met, or not measured (a server or scenario that did
//! not run).

use crate::comparison::Comparison;
use crate::results::{Requests, Results, Route, Watch};
use crate::run::FOO_EMBEDDED;

const SAMPLE: &str = "sample-apiserver";
const STATIC: &str = "static JSON";
const CRD: &str = "CRD";
const MIB: f64 = 1024.0 * 1024.0;

pub struct Verdict {
    /// The comparison the target is of, whose section of the report lists it.
    pub comparison: Comparison,
    pub target: String,
    /// None: not measured in this run.
    pub met: Option<bool>,
    pub measured: String,
    /// What bounds the result, from the same run's measurements: why a target is not met
    /// and what meeting it would take.
    pub why: Option<String>,
}

impl Verdict {
    fn because(mut self, why: Option<String>) -> Verdict {
        self.why = why;
        self
    }
}

fn verdict(target: impl Into<String>, measured: Option<(bool, String)>) -> Verdict {
    let (met, measured) = match measured {
        Some((met, text)) => (Some(met), text),
        None => (None, "–".into()),
    };
    Verdict {
        comparison: Comparison::Foo,
        target: target.into(),
        met,
        measured,
        why: None,
    }
}

/// Server CPU per operation, in µs.
fn cpu_per_op(requests: &Requests) -> Option<f64> {
    let cpu = requests.used.cpu_seconds?;
    Some(cpu * 1e6 / requests.outcome.operations.max(1) as f64)
}

/// How many cores the server kept busy.
fn cores_busy(requests: &Requests) -> Option<f64> {
    let cpu = requests.used.cpu_seconds?;
    Some(cpu / requests.outcome.elapsed.as_secs_f64().max(1e-9))
}

fn p50_ms(requests: &Requests) -> f64 {
    requests.outcome.latency.value_at_quantile(0.5) as f64 / 1000.0
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The names of the servers reached directly that `is` picks, in the order they ran.
fn direct_servers(results: &Results, is: impl Fn(&Requests) -> bool) -> Vec<&str> {
    results
        .requests
        .iter()
        .filter(|r| r.route == Route::Direct && is(r))
        .map(|r| r.server.as_str())
        .fold(Vec::new(), |mut names, name| {
            if !names.contains(&name) {
                names.push(name);
            }
            names
        })
}

/// The targets of each comparison the run made: foo's, then the Flunder comparison's.
pub fn judge(
    results: &Results,
    objects: usize,
    many_objects: Option<usize>,
    comparisons: &[Comparison],
) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    if comparisons.contains(&Comparison::Foo) {
        verdicts.extend(judge_foo(results, objects, many_objects));
    }
    if comparisons.contains(&Comparison::Flunder) {
        verdicts.extend(judge_flunder(results, objects));
    }
    verdicts
}

fn judge_foo(results: &Results, objects: usize, many_objects: Option<usize>) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let foo_direct = direct_servers(results, |r| r.role.is_foo());
    let throughput_ratio = |scenario: &str, foo: &str, peer: &str| {
        let foo = results.request(scenario, foo)?;
        let peer = results.request(scenario, peer)?;
        Some(foo.outcome.per_second() / peer.outcome.per_second().max(1e-9))
    };
    for foo in &foo_direct {
        let ratio = throughput_ratio("GET", foo, SAMPLE);
        let why = results.request("GET", foo).and_then(|get| {
            let (cpu, busy) = (cpu_per_op(get)?, cores_busy(get)?);
            let spent = format!(
                "foo spent {cpu:.0} µs of CPU per GET and kept {busy:.2} of {} cores busy",
                cores()
            );
            Some(if foo.contains("etcd") {
                format!(
                    "{spent}, the rest going to etcd and the load generator: each GET \
                     without resourceVersion is one quorum read of etcd, as sample-apiserver's \
                     is. Beyond it takes answering such GETs from the watch cache once an etcd \
                     progress request has shown it current (kube-apiserver's consistent reads \
                     from cache), which etcd makes safe from 3.4.31 and 3.5.13"
                )
            } else {
                format!("{spent}, which bounds its rate on this machine")
            })
        });
        verdicts.push(
            verdict(
                format!("GET on {foo}: ≥3× sample-apiserver"),
                ratio.map(|r| (r >= 3.0, format!("{r:.2}×"))),
            )
            .because(why),
        );
    }
    let ratio = throughput_ratio("GET", FOO_EMBEDDED, STATIC);
    let why = results
        .request("GET", FOO_EMBEDDED)
        .zip(results.request("GET", STATIC))
        .and_then(|(foo, ceiling)| {
            Some(format!(
                "foo spent {:.0} µs of CPU per GET, the static server {:.0} µs",
                cpu_per_op(foo)?,
                cpu_per_op(ceiling)?
            ))
        });
    verdicts.push(
        verdict(
            "GET: ≥50% of the static-JSON ceiling",
            ratio.map(|r| (r >= 0.5, format!("{:.0}%", r * 100.0))),
        )
        .because(why),
    );
    let list_table = format!("LIST all {objects} as Table");
    for foo in &foo_direct {
        let both = results
            .request(&list_table, foo)
            .zip(results.request(&list_table, SAMPLE))
            .filter(|(f, s)| !f.outcome.latency.is_empty() && !s.outcome.latency.is_empty());
        let ratio = both.map(|(f, s)| p50_ms(f) / p50_ms(s).max(1e-3));
        let why = both.and_then(|(f, _)| {
            Some(format!(
                "p50 {:.1} ms, {:.0} µs of CPU per LIST",
                p50_ms(f),
                cpu_per_op(f)?
            ))
        });
        verdicts.push(
            verdict(
                format!("{list_table} on {foo}: p50 ≤0.3× sample-apiserver's"),
                ratio.map(|r| (r <= 0.3, format!("{r:.2}×"))),
            )
            .because(why),
        );
    }
    for memory in results.memory.iter().filter(|m| m.role.is_foo()) {
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
        let why = results.request("CREATE", foo).and_then(|create| {
            Some(format!(
                "foo spent {:.0} µs of CPU per CREATE and kept {:.2} of {} cores busy, the \
                 rest going to etcd's commits, which both servers wait on, and the load \
                 generator",
                cpu_per_op(create)?,
                cores_busy(create)?,
                cores()
            ))
        });
        verdicts.push(
            verdict(
                format!("CREATE on {foo}: ≥2× sample-apiserver"),
                ratio.map(|r| (r >= 2.0, format!("{r:.2}×"))),
            )
            .because(why),
        );
    }
    let create64 = results.request("CREATE, 64 clients", FOO_EMBEDDED);
    let why = create64.and_then(|create| {
        // A closed loop of 64 clients at p99 5 ms makes at least 64 / 5 ms a second.
        let needed = 64.0 / 0.005;
        let cpu = cpu_per_op(create)?;
        let budget = cores() as f64 * 1e6 / needed;
        Some(format!(
            "p99 ≤5 ms for 64 clients in a closed loop means ≥{needed:.0} creates/s; at \
             {cpu:.0} µs of CPU per create that is {:.1} cores for the server alone, on a \
             machine of {} shared with the load generator. It would take cutting the CPU of \
             a create below {budget:.0} µs ({:.1}× less), or more cores",
            needed * cpu / 1e6,
            cores(),
            cpu / budget
        ))
    });
    verdicts.push(
        verdict(
            "CREATE on the embedded store, 64 clients: ≥5,000/s at p99 ≤5 ms",
            create64.map(|c| {
                let rate = c.outcome.per_second();
                let p99 = c.outcome.latency.value_at_quantile(0.99) as f64 / 1000.0;
                (
                    rate >= 5000.0 && p99 <= 5.0,
                    format!("{rate:.0}/s, p99 {p99:.2} ms"),
                )
            }),
        )
        .because(why),
    );
    for watch in results
        .watches
        .iter()
        .filter(|w| w.role.is_foo() && w.route == Route::Direct)
    {
        let all = watch.delivered >= watch.expected && watch.expected > 0;
        let p99 = watch.latency.value_at_quantile(0.99) as f64 / 1000.0;
        let per_event = watch
            .cpu_seconds
            .map(|c| c * 1e6 / watch.delivered.max(1) as f64);
        let cpu = per_event
            .map(|c| format!(", {c:.1} µs CPU per event"))
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
        let events_per_second = f64::from(watch.writes_per_second) * watch.watchers as f64;
        let why = per_event.map(|cpu| {
            format!(
                "{events_per_second:.0} events/s at {cpu:.1} µs of CPU each take {:.2} of \
                 the {} cores, which the load generator (its TLS and the parsing of every \
                 event) and the writer share; p50 {:.2} ms",
                events_per_second * cpu / 1e6,
                cores(),
                watch.latency.value_at_quantile(0.5) as f64 / 1000.0
            )
        });
        verdicts.push(
            verdict(
                format!(
                    "Watch on {} at {} writes/s: {target}",
                    watch.server, watch.writes_per_second
                ),
                Some((met, measured)),
            )
            .because(why),
        );
    }
    let many = many_objects.unwrap_or(objects);
    let sample_memory = results
        .memory
        .iter()
        .find(|m| m.server == SAMPLE && m.objects == many);
    for memory in results
        .memory
        .iter()
        .filter(|m| m.role.is_foo() && m.objects == many)
    {
        let rss = memory.rss_after_create.max(memory.rss_cold) as f64;
        let json = memory.lists.iter().find(|l| l.format == "JSON");
        let why = json.map(|list| {
            format!(
                "{:.0} MiB after creating them, {:.0} MiB after a restart: {:.2} KB per \
                 object, whose JSON, which the watch cache keeps, is {:.2} KB",
                memory.rss_after_create as f64 / MIB,
                memory.rss_cold as f64 / MIB,
                rss / 1e3 / many as f64,
                list.response_bytes as f64 / 1e3 / many as f64
            )
        });
        verdicts.push(
            verdict(
                format!("{many} Foos on {}: ≤200 MB RSS", memory.server),
                Some((rss <= 200e6, format!("{:.0} MiB", rss / MIB))),
            )
            .because(why.clone()),
        );
        let sample_rss = sample_memory.map(|s| s.rss_after_create.max(s.rss_cold) as f64);
        let ratio = sample_rss.map(|s| rss / s.max(1.0));
        let why = why
            .zip(sample_rss)
            .map(|(why, s)| format!("{why}; sample-apiserver's RSS {:.0} MiB", s / MIB));
        verdicts.push(
            verdict(
                format!(
                    "{many} Foos on {}: ≤0.3× sample-apiserver's RSS",
                    memory.server
                ),
                ratio.map(|r| (r <= 0.3, format!("{r:.2}×"))),
            )
            .because(why),
        );
    }
    for plugin in &results.plugin {
        let ratio = plugin.plugin.as_secs_f64() / plugin.kubectl.as_secs_f64().max(1e-9);
        let why = format!(
            "kubectl foo list took {} ms, kubectl get foos {} ms",
            plugin.plugin.as_millis(),
            plugin.kubectl.as_millis()
        );
        verdicts.push(
            verdict(
                format!(
                    "kubectl foo list at {}: ≤0.5× kubectl get foos",
                    plugin.objects
                ),
                Some((ratio <= 0.5, format!("{ratio:.2}×"))),
            )
            .because(Some(why)),
        );
    }
    let via = results
        .requests
        .iter()
        .find(|r| r.route == Route::ThroughCluster && r.role.is_foo())
        .map(|r| r.server.clone());
    if let Some(via) = via {
        // foo on the same store, reached directly.
        let direct_server = via.trim_end_matches(" via kube-apiserver").to_owned();
        let direct = |scenario: &str| results.request(scenario, &direct_server);
        for (scenario, at_least) in [
            ("LIST limit=1000 as JSON", 5.0),
            ("GET", 1.0),
            ("CREATE", 1.0),
        ] {
            let ratio = throughput_ratio(scenario, &via, CRD);
            let why =
                results
                    .request(scenario, &via)
                    .zip(direct(scenario))
                    .map(|(through, direct)| {
                        format!(
                            "through kube-apiserver foo answered {:.0}/s, directly {:.0}/s: \
                         kube-apiserver's proxy, which the CRD is served by as well, bounds \
                         both",
                            through.outcome.per_second(),
                            direct.outcome.per_second()
                        )
                    });
            verdicts.push(
                verdict(
                    format!("{scenario} through kube-apiserver: ≥{at_least}× the CRD"),
                    ratio.map(|r| (r >= at_least, format!("{r:.2}×"))),
                )
                .because(why),
            );
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
            let why = find(&via)
                .zip(find(&direct_server))
                .and_then(|(through, direct)| {
                    Some(format!(
                        "foo's p99 was {:.1} ms through kube-apiserver and {:.1} ms directly: \
                         the proxy's own delay, which the CRD's events do not pay, sets the \
                         ratio",
                        through.p99_of_expected_ms()?,
                        direct.p99_of_expected_ms()?
                    ))
                });
            verdicts.push(
                verdict(
                    format!(
                        "Watch through kube-apiserver at {rate} writes/s: ≥5× the CRD (its p99 \
                         over foo's, an undelivered event counting as never)"
                    ),
                    find(&via)
                        .zip(find(CRD))
                        .map(|(foo, crd)| watch_ratio(("foo", foo), ("the CRD", crd))),
                )
                .because(why),
            );
        }
    }
    verdicts
}

/// The peer's delivery p99 over the server under test's, both over every expected event, each
/// named as the text says it; met from 5×.
fn watch_ratio(subject: (&str, &Watch), peer: (&str, &Watch)) -> (bool, String) {
    let (ratio, text) = watch_p99_ratio(subject, peer);
    (ratio.is_some_and(|r| r >= 5.0), text)
}

/// The peer's delivery p99 over the server under test's (infinite when the peer missed more
/// than 1% of its events and the server under test did not; None when the server under test
/// did), and the measurement as text.
fn watch_p99_ratio(
    (subject, ours): (&str, &Watch),
    (peer, theirs): (&str, &Watch),
) -> (Option<f64>, String) {
    let share = |w: &Watch| 100.0 * w.delivered as f64 / w.expected.max(1) as f64;
    match (ours.p99_of_expected_ms(), theirs.p99_of_expected_ms()) {
        (None, _) => (
            None,
            format!("{subject} delivered {:.1}% of its events", share(ours)),
        ),
        (Some(_), None) => (
            Some(f64::INFINITY),
            format!(
                "∞: {peer} delivered {:.1}% of its events, {subject} all",
                share(theirs)
            ),
        ),
        (Some(ours), Some(theirs)) => {
            let ratio = theirs / ours.max(1e-3);
            (
                Some(ratio),
                format!("{ratio:.2}× (p99 {theirs:.1} ms over {ours:.1} ms)"),
            )
        }
    }
}

/// The Flunder comparison's targets: wardle-apiserver on each store at least as fast as
/// sample-apiserver on every request scenario, delivering watch events at least as fast, and
/// holding the same Flunders in no more memory.
fn judge_flunder(results: &Results, objects: usize) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let flunder = |verdict: Verdict| Verdict {
        comparison: Comparison::Flunder,
        ..verdict
    };
    let scenarios = [
        "GET".to_string(),
        format!("LIST all {objects} as JSON"),
        format!("LIST all {objects} as Table"),
        "CREATE".to_string(),
    ];
    for wardle in direct_servers(results, |r| r.role.is_wardle()) {
        for scenario in &scenarios {
            let both = results
                .request(scenario, wardle)
                .zip(results.request(scenario, SAMPLE));
            let ratio =
                both.map(|(w, s)| w.outcome.per_second() / s.outcome.per_second().max(1e-9));
            let why = both.and_then(|(w, s)| {
                Some(format!(
                    "wardle answered {:.0}/s spending {:.0} µs of CPU per request and keeping \
                     {:.2} of {} cores busy; sample-apiserver answered {:.0}/s at {:.0} µs of \
                     CPU per request",
                    w.outcome.per_second(),
                    cpu_per_op(w)?,
                    cores_busy(w)?,
                    cores(),
                    s.outcome.per_second(),
                    cpu_per_op(s)?
                ))
            });
            verdicts.push(flunder(
                verdict(
                    format!("{scenario} on {wardle}: ≥1× sample-apiserver"),
                    ratio.map(|r| (r >= 1.0, format!("{r:.2}×"))),
                )
                .because(why),
            ));
        }
    }
    for watch in results
        .watches
        .iter()
        .filter(|w| w.role.is_wardle() && w.route == Route::Direct)
    {
        let sample = results
            .watches
            .iter()
            .find(|w| w.server == SAMPLE && w.writes_per_second == watch.writes_per_second);
        let measured = sample.map(|sample| {
            let (ratio, text) = watch_p99_ratio(("wardle", watch), ("sample-apiserver", sample));
            (ratio.is_some_and(|r| r >= 1.0), text)
        });
        let why = watch.cpu_seconds.map(|cpu| {
            format!(
                "wardle delivered {} of {} events (p50 {:.2} ms, {} watchers dropped) at \
                 {:.1} µs of CPU each",
                watch.delivered,
                watch.expected,
                watch.latency.value_at_quantile(0.5) as f64 / 1000.0,
                watch.dropped,
                cpu * 1e6 / watch.delivered.max(1) as f64
            )
        });
        verdicts.push(flunder(
            verdict(
                format!(
                    "Watch on {} at {} writes/s: ≥1× sample-apiserver (its p99 over \
                     wardle's, an undelivered event counting as never)",
                    watch.server, watch.writes_per_second
                ),
                measured,
            )
            .because(why),
        ));
    }
    for memory in results.memory.iter().filter(|m| m.role.is_wardle()) {
        let rss = |m: &crate::results::Memory| m.rss_after_create.max(m.rss_cold) as f64;
        let sample = results
            .memory
            .iter()
            .find(|m| m.server == SAMPLE && m.objects == memory.objects);
        let why = sample.map(|sample| {
            format!(
                "wardle: {:.0} MiB after creating them, {:.0} MiB after a restart; \
                 sample-apiserver: {:.0} MiB and {:.0} MiB",
                memory.rss_after_create as f64 / MIB,
                memory.rss_cold as f64 / MIB,
                sample.rss_after_create as f64 / MIB,
                sample.rss_cold as f64 / MIB
            )
        });
        verdicts.push(flunder(
            verdict(
                format!(
                    "{} Flunders on {}: ≤1× sample-apiserver's RSS",
                    memory.objects, memory.server
                ),
                sample.map(|sample| {
                    let r = rss(memory) / rss(sample).max(1.0);
                    (r <= 1.0, format!("{r:.2}×"))
                }),
            )
            .because(why),
        ));
    }
    verdicts
}
