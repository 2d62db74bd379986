//! Running the request scenarios: each in rounds, every server of a table loaded in turn
//! within a round (A B A B), so that the machine's drift falls on all of them alike.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::runtime::Runtime;

use crate::comparison::Comparison;
use crate::load::{Load, Outcome, closed_loop};
use crate::measure::{Usage, Used};
use crate::options::Plan;
use crate::report;
use crate::results::{Requests, Results, Route};
use crate::scenarios::{self, Audience, Scenario};
use crate::servers::{Servers, Target};

/// How peers.rs names foo on its embedded store.
pub const FOO_EMBEDDED: &str = "foo (embedded)";

/// Runs every request scenario the plan wants, on the servers of the scenario's comparisons.
pub fn requests(runtime: &Runtime, plan: &Plan, servers: &Servers, results: &mut Results) {
    // Numbers the objects CREATE makes, across scenarios and servers.
    let unique = Arc::new(AtomicU64::new(0));
    for scenario in scenarios::all(plan.clients, plan.objects) {
        if !plan.wants(&scenario.name) {
            continue;
        }
        let mut routes = vec![(Route::Direct, &servers.direct)];
        if scenario.audience == Audience::AlsoThroughCluster {
            routes.push((Route::ThroughCluster, &servers.through_cluster));
        }
        for (route, targets) in routes {
            let targets: Vec<&Target> = targets
                .iter()
                .filter(|t| scenario.applies_to(&t.endpoint))
                .filter(|t| {
                    scenario.audience != Audience::Embedded || t.endpoint.name == FOO_EMBEDDED
                })
                .filter(|t| {
                    scenario
                        .comparisons
                        .iter()
                        .any(|&c| plan.compares(c) && t.role.is_in(c))
                })
                .collect();
            // Peers alone compare with nothing.
            if !targets.iter().any(|t| t.role.under_test()) {
                continue;
            }
            let measured = rounds(runtime, plan, servers, &scenario, &targets, &unique);
            let rows: Vec<Requests> = targets
                .iter()
                .zip(measured)
                .filter_map(|(target, measured)| {
                    let (outcome, used) = measured?;
                    Some(Requests {
                        scenario: scenario.name.clone(),
                        route,
                        server: target.endpoint.name.clone(),
                        role: target.role,
                        clients: scenario.clients,
                        outcome,
                        used,
                    })
                })
                .collect();
            let start = results.requests.len();
            results.requests.extend(rows);
            for comparison in Comparison::ALL {
                let table = report::requests_table(&results.requests[start..], comparison);
                if !table.is_empty() {
                    println!("{table}");
                }
            }
        }
    }
}

/// `plan.rounds` rounds of `scenario` over `targets` in turn; None for a server that could
/// not be loaded at all (said on stderr).
fn rounds(
    runtime: &Runtime,
    plan: &Plan,
    servers: &Servers,
    scenario: &Scenario,
    targets: &[&Target],
    unique: &Arc<AtomicU64>,
) -> Vec<Option<(Outcome, Used)>> {
    let load = Load {
        clients: scenario.clients,
        duration: plan.round,
        protocol: scenario.protocol,
    };
    let mut totals: Vec<Option<(Outcome, Used)>> = targets
        .iter()
        .map(|_| Some((Outcome::empty(), Used::default())))
        .collect();
    for round in 1..=plan.rounds {
        for (target, total) in targets.iter().zip(&mut totals) {
            let Some((outcome, used)) = total else {
                continue;
            };
            let endpoint = &target.endpoint;
            let writer = servers.background(target);
            let usage = Usage::start(endpoint.pid);
            let measured = runtime.block_on(closed_loop(endpoint, load, |client| {
                scenario.operation(endpoint, client, unique.clone())
            }));
            let this_round = usage.finish();
            drop(writer);
            match measured {
                Ok(round_outcome) => {
                    eprintln!(
                        "{} on {} round {round}: {:.0}/s, {} errors",
                        scenario.name,
                        endpoint.name,
                        round_outcome.per_second(),
                        round_outcome.errors
                    );
                    outcome.merge(round_outcome);
                    used.merge(this_round);
                }
                Err(error) => {
                    eprintln!("{} on {}: {error:#}", scenario.name, endpoint.name);
                    *total = None;
                }
            }
        }
    }
    totals
}
