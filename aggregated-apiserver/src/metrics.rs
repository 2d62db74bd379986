//! The server's metrics, named and labelled as kube-apiserver's, for `/metrics` in the
//! Prometheus text format: requests by verb, resource and code with their latency, requests in
//! flight, registered watchers, stored objects, and storage latency.

use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// kube-apiserver's `apiserver_request_duration_seconds` buckets.
const REQUEST_BUCKETS: [f64; 23] = [
    0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0,
    10.0, 15.0, 20.0, 30.0, 45.0, 60.0,
];
/// kube-apiserver's `etcd_request_duration_seconds` buckets.
const STORAGE_BUCKETS: [f64; 21] = [
    0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0,
    10.0, 15.0, 20.0, 30.0,
];

/// What a request did, as kube-apiserver labels it.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `GET`, `LIST`, `WATCH`, `POST`, `PUT`, `PATCH`, `APPLY`, `DELETE`, ... for a resource;
    /// the HTTP method otherwise.
    pub verb: String,
    /// `All` for a `dryRun=All` request, else empty.
    pub dry_run: String,
    /// The resource's API group; empty for non-resource requests.
    pub group: String,
    /// The resource's API version; empty for non-resource requests.
    pub version: String,
    /// The resource (plural name); empty for non-resource requests.
    pub resource: String,
    /// The subresource (`status`), if any.
    pub subresource: String,
    /// `resource` for one named object, `namespace` or `cluster` for collections; empty for
    /// non-resource requests.
    pub scope: String,
    /// The component serving the request: always `apiserver`.
    pub component: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    #[prometheus(flatten)]
    request: RequestLabels,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    request_kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResourceLabels {
    resource: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WatcherLabels {
    group: String,
    version: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StorageLabels {
    operation: String,
    r#type: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric the server keeps.
pub struct Metrics {
    registry: Registry,
    requests: Family<CodeLabels, Counter>,
    request_durations: Histograms<RequestLabels>,
    in_flight: Family<KindLabels, Gauge>,
    watchers: Family<WatcherLabels, Gauge>,
    objects: Family<ResourceLabels, Gauge>,
    storage_durations: Histograms<StorageLabels>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut metrics = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            request_durations: Family::new_with_constructor(|| Histogram::new(REQUEST_BUCKETS)),
            in_flight: Family::default(),
            watchers: Family::default(),
            objects: Family::default(),
            storage_durations: Family::new_with_constructor(|| Histogram::new(STORAGE_BUCKETS)),
        };
        let registry = &mut metrics.registry;
        registry.register(
            "apiserver_request",
            "Counter of apiserver requests broken out for each verb, dry run value, group, \
             version, resource, scope, component, and HTTP response code.",
            metrics.requests.clone(),
        );
        registry.register(
            "apiserver_request_duration_seconds",
            "Response latency distribution in seconds for each verb, dry run value, group, \
             version, resource, subresource, scope and component.",
            metrics.request_durations.clone(),
        );
        registry.register(
            "apiserver_current_inflight_requests",
            "Maximal number of currently used inflight request limit of this apiserver per \
             request kind in last second.",
            metrics.in_flight.clone(),
        );
        registry.register(
            "apiserver_registered_watchers",
            "Number of currently registered watchers for a given resources",
            metrics.watchers.clone(),
        );
        registry.register(
            "apiserver_storage_objects",
            "Number of stored objects at the time of last check split by kind.",
            metrics.objects.clone(),
        );
        registry.register(
            "etcd_request_duration_seconds",
            "Etcd request latency in seconds for each operation and object type.",
            metrics.storage_durations.clone(),
        );
        metrics
    }
}

impl Metrics {
    /// Counts a finished request and its latency.
    pub fn request(&self, labels: RequestLabels, code: u16, started: Instant) {
        let seconds = started.elapsed().as_secs_f64();
        self.request_durations
            .get_or_create(&labels)
            .observe(seconds);
        let labels = CodeLabels {
            request: labels,
            code: code.to_string(),
        };
        self.requests.get_or_create(&labels).inc();
    }

    /// The gauge of requests in flight of a kind (`readOnly` or `mutating`).
    pub fn in_flight(&self, mutating: bool) -> Gauge {
        let request_kind = if mutating { "mutating" } else { "readOnly" };
        self.in_flight
            .get_or_create(&KindLabels {
                request_kind: request_kind.into(),
            })
            .clone()
    }

    /// The gauge of watchers of a kind.
    pub fn watchers(&self, group: &str, version: &str, kind: &str) -> Gauge {
        let labels = WatcherLabels {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
        };
        self.watchers.get_or_create(&labels).clone()
    }

    /// Sets how many objects of `resource` (`<plural>.<group>`) are stored.
    pub fn set_objects(&self, resource: &str, count: usize) {
        let labels = ResourceLabels {
            resource: resource.into(),
        };
        self.objects
            .get_or_create(&labels)
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// Times one storage operation on objects of `kind` (a key prefix).
    pub fn storage(&self, operation: &str, kind: &str, started: Instant) {
        let labels = StorageLabels {
            operation: operation.into(),
            r#type: kind.into(),
        };
        self.storage_durations
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
    }

    /// Everything in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
