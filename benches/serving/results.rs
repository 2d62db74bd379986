//! What a run measured, kept for the report, the targets and the plots.

use std::time::Duration;

use hdrhistogram::Histogram;

use crate::comparison::{Comparison, Role};
use crate::load::Outcome;
use crate::measure::Used;

/// How a server was reached: the rows of one table are compared with each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Direct,
    ThroughCluster,
}

/// A request scenario on one server, over all its rounds.
pub struct Requests {
    pub scenario: String,
    pub route: Route,
    pub server: String,
    pub role: Role,
    pub clients: usize,
    pub outcome: Outcome,
    pub used: Used,
}

/// Watch fan-out on one server at one write rate.
pub struct Watch {
    pub server: String,
    pub route: Route,
    pub role: Role,
    pub writes_per_second: u32,
    pub watchers: usize,
    /// Acknowledged writes times watchers.
    pub expected: u64,
    pub delivered: u64,
    pub dropped: usize,
    /// From a write's acknowledgement to a watcher's receipt, in microseconds (an event
    /// received before its acknowledgement counts as 1 µs).
    pub latency: Histogram<u64>,
    pub cpu_seconds: Option<f64>,
    pub first_error: Option<String>,
}

impl Watch {
    /// The p99 delivery latency in milliseconds over every expected event, an undelivered
    /// one counting as never arriving: `None` when more than 1% never arrived.
    pub fn p99_of_expected_ms(&self) -> Option<f64> {
        let rank = 0.99 * self.expected as f64;
        if self.expected == 0 || (self.delivered as f64) < rank {
            return None;
        }
        let quantile = rank / self.delivered as f64;
        Some(self.latency.value_at_quantile(quantile) as f64 / 1000.0)
    }
}

/// A full LIST's effect on memory.
pub struct ListMemory {
    pub format: &'static str,
    pub response_bytes: u64,
    pub rss_before: u64,
    pub peak: u64,
}

impl ListMemory {
    /// Memory the LIST took beyond what the server held before, per byte of response.
    pub fn temporary_ratio(&self) -> f64 {
        self.peak.saturating_sub(self.rss_before) as f64 / self.response_bytes.max(1) as f64
    }
}

/// A server's memory holding `objects` objects.
pub struct Memory {
    pub server: String,
    pub role: Role,
    pub objects: usize,
    pub rss_after_create: u64,
    pub rss_cold: u64,
    pub lists: Vec<ListMemory>,
}

/// `kubectl foo list` against `kubectl get foos`, medians of repeated runs.
pub struct Plugin {
    pub objects: usize,
    pub runs: usize,
    pub plugin: Duration,
    pub kubectl: Duration,
}

#[derive(Default)]
pub struct Results {
    pub requests: Vec<Requests>,
    pub watches: Vec<Watch>,
    pub memory: Vec<Memory>,
    pub plugin: Vec<Plugin>,
    /// What was skipped or failed, said in the report.
    pub notes: Vec<String>,
}

impl Results {
    pub fn request(&self, scenario: &str, server: &str) -> Option<&Requests> {
        self.requests
            .iter()
            .find(|r| r.scenario == scenario && r.server == server)
    }

    /// Whether `comparison` has a server under test with numbers in this run.
    pub fn has(&self, comparison: Comparison) -> bool {
        let under_test = Role::UnderTest(comparison);
        self.requests.iter().any(|r| r.role == under_test)
            || self.watches.iter().any(|w| w.role == under_test)
            || self.memory.iter().any(|m| m.role == under_test)
    }
}
