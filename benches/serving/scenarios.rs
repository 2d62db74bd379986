//! The request scenarios: what each client of a closed loop does (GET, LIST in its forms,
//! paged LIST, CREATE, UPDATE, merge patch, server-side apply, bar), which servers can do
//! it, with how many clients, and in which comparisons: all of them in Foo's, GET, LIST all
//! as JSON and as Table and CREATE in Flunder's as well.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::FutureExt;
use futures::future::BoxFuture;
use http::Method;
use serde::Deserialize;
use serde_json::json;

use crate::comparison::Comparison;
use crate::endpoint::{Endpoint, Shape};
use crate::load::{Call, Connection, JSON, Operation, Protocol};

pub const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
pub const METADATA: &str = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io";
const MERGE_PATCH: &str = "application/merge-patch+json";
const APPLY_PATCH: &str = "application/apply-patch+yaml";
/// The page size of the paged LIST.
const PAGE: usize = 500;

/// The name of the `index`th object the benchmark creates before measuring.
pub fn seeded_name(index: usize) -> String {
    format!("bench-{index:06}")
}

/// Which servers a scenario is run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Each server reached directly.
    Direct,
    /// Direct, and foo through kube-apiserver against the CRD.
    AlsoThroughCluster,
    /// foo on its embedded store alone.
    Embedded,
}

/// What a scenario does once per loop of a client.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    Get,
    List {
        limit: Option<usize>,
        accept: &'static str,
    },
    Paged,
    Create,
    Update,
    MergePatch,
    Apply,
    Bar,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub action: Action,
    pub clients: usize,
    pub protocol: Protocol,
    pub audience: Audience,
    /// The comparisons whose servers it runs on.
    pub comparisons: &'static [Comparison],
}

/// A scenario of Foo's comparison alone.
const FOO: &[Comparison] = &[Comparison::Foo];
/// A scenario of the Flunder comparison too.
const BOTH: &[Comparison] = &[Comparison::Foo, Comparison::Flunder];

/// Every request scenario, in the order they run (reads before writes, so that LISTs see
/// exactly the seeded objects).
pub fn all(clients: usize, objects: usize) -> Vec<Scenario> {
    let scenario = |name: String, action, clients, audience| Scenario {
        name,
        action,
        clients,
        protocol: Protocol::Http2,
        audience,
        comparisons: FOO,
    };
    let mut all = vec![Scenario {
        comparisons: BOTH,
        ..scenario(
            "GET".into(),
            Action::Get,
            clients,
            Audience::AlsoThroughCluster,
        )
    }];
    all.push(Scenario {
        protocol: Protocol::Http1,
        ..scenario(
            "GET (HTTP/1.1)".into(),
            Action::Get,
            clients,
            Audience::Direct,
        )
    });
    for concurrency in SWEEP {
        all.push(scenario(
            sweep_name(concurrency),
            Action::Get,
            concurrency,
            Audience::Direct,
        ));
    }
    let formats = [("JSON", JSON), ("Table", TABLE), ("metadata", METADATA)];
    for (limit, label) in [
        (Some(1000), "limit=1000".to_string()),
        (None, format!("all {objects}")),
    ] {
        for (format, accept) in formats {
            let audience = if limit.is_some() && format == "JSON" {
                Audience::AlsoThroughCluster
            } else {
                Audience::Direct
            };
            let flunder = limit.is_none() && format != "metadata";
            all.push(Scenario {
                comparisons: if flunder { BOTH } else { FOO },
                ..scenario(
                    format!("LIST {label} as {format}"),
                    Action::List { limit, accept },
                    clients,
                    audience,
                )
            });
        }
    }
    all.extend([
        scenario(
            format!("LIST paged by {PAGE}"),
            Action::Paged,
            clients,
            Audience::Direct,
        ),
        scenario("UPDATE".into(), Action::Update, clients, Audience::Direct),
        scenario(
            "PATCH (merge)".into(),
            Action::MergePatch,
            clients,
            Audience::Direct,
        ),
        scenario(
            "APPLY (server-side)".into(),
            Action::Apply,
            clients,
            Audience::Direct,
        ),
        scenario("bar".into(), Action::Bar, clients, Audience::Direct),
        Scenario {
            comparisons: BOTH,
            ..scenario(
                "CREATE".into(),
                Action::Create,
                clients,
                Audience::AlsoThroughCluster,
            )
        },
        scenario(
            "CREATE, 64 clients".into(),
            Action::Create,
            64,
            Audience::Embedded,
        ),
    ]);
    all
}

/// The concurrencies GET is measured at for the latency-against-load plot.
pub const SWEEP: [usize; 4] = [1, 4, 16, 64];

pub fn sweep_name(concurrency: usize) -> String {
    format!("GET, {concurrency} clients")
}

impl Scenario {
    /// Whether `endpoint` can serve this scenario.
    pub fn applies_to(&self, endpoint: &Endpoint) -> bool {
        match self.action {
            // The static-JSON server answers GET alone.
            Action::Get => true,
            Action::Bar => is_foo_apiserver(endpoint),
            _ => endpoint.shape.writable(),
        }
    }

    /// The loop body of client number `client`; `unique` numbers created objects and written
    /// specs across the whole run.
    pub fn operation(
        &self,
        endpoint: &Endpoint,
        client: usize,
        unique: Arc<AtomicU64>,
    ) -> Box<dyn Operation> {
        let own = endpoint.object_path(&seeded_name(client));
        let collection = endpoint.collection.clone();
        match self.action {
            Action::Get => repeat(move |_| Call::get(own.clone(), JSON)),
            Action::List { limit, accept } => {
                let path = match limit {
                    Some(limit) => format!("{collection}?limit={limit}"),
                    None => collection,
                };
                repeat(move |_| Call::get(path.clone(), accept))
            }
            Action::Paged => Box::new(Paged { collection }),
            Action::Create => {
                let shape = endpoint.shape;
                repeat(move |_| {
                    let name = format!("created-{}", unique.fetch_add(1, Ordering::Relaxed));
                    let body = shape.object(&name).to_string();
                    Call::with_body(Method::POST, collection.clone(), JSON, body)
                })
            }
            Action::Update => Box::new(Update {
                path: own,
                object: None,
            }),
            Action::MergePatch => {
                let shape = endpoint.shape;
                repeat(move |_| {
                    // Unique across rounds: a patch that changes nothing writes nothing.
                    let n = unique.fetch_add(1, Ordering::Relaxed);
                    let body = spec_patch(shape, &format!("patched {n}"));
                    Call::with_body(Method::PATCH, own.clone(), MERGE_PATCH, body)
                })
            }
            Action::Apply => {
                let mut object = endpoint.shape.object(&seeded_name(client));
                let path = format!("{own}?fieldManager=bench&force=true");
                repeat(move |_| {
                    let n = unique.fetch_add(1, Ordering::Relaxed);
                    set_spec_text(&mut object, &format!("applied {n}"));
                    Call::with_body(Method::PATCH, path.clone(), APPLY_PATCH, object.to_string())
                })
            }
            Action::Bar => {
                let path = format!("{own}/bar?arg1=world");
                repeat(move |_| Call::with_body(Method::POST, path.clone(), JSON, ""))
            }
        }
    }
}

/// Whether `endpoint` is foo-apiserver's own API (which alone has `bar`), directly or
/// through kube-apiserver.
fn is_foo_apiserver(endpoint: &Endpoint) -> bool {
    endpoint.shape
        == Shape::Foo {
            api_version: "demo.jeremyxu2010.me/v1beta1",
        }
}

/// A merge patch that changes the spec of an object of `shape`.
pub fn spec_patch(shape: Shape, text: &str) -> String {
    match shape {
        Shape::Flunder => json!({"spec": {"flunderReference": text.replace(' ', "-")}}).to_string(),
        _ => json!({"spec": {"greeting": text}}).to_string(),
    }
}

fn set_spec_text(object: &mut serde_json::Value, text: &str) {
    let spec = &mut object["spec"];
    if spec.get("flunderReference").is_some() {
        spec["flunderReference"] = json!(text.replace(' ', "-"));
    } else {
        spec["greeting"] = json!(text);
    }
}

/// Sends the call `make(n)` for the `n`th loop.
fn repeat(make: impl FnMut(u64) -> Call + Send + 'static) -> Box<dyn Operation> {
    Box::new(Repeat { make, n: 0 })
}

struct Repeat<F> {
    make: F,
    n: u64,
}

impl<F: FnMut(u64) -> Call + Send + 'static> Operation for Repeat<F> {
    fn run<'a>(&'a mut self, connection: &'a Connection) -> BoxFuture<'a, anyhow::Result<()>> {
        self.n += 1;
        let call = (self.make)(self.n);
        async move {
            connection.send(&call).await?.ok(&call)?;
            Ok(())
        }
        .boxed()
    }
}

/// A LIST of `PAGE` at a time, following `continue` to the end: one operation.
struct Paged {
    collection: String,
}

impl Operation for Paged {
    fn run<'a>(&'a mut self, connection: &'a Connection) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            let mut token = String::new();
            loop {
                let mut path = format!("{}?limit={PAGE}", self.collection);
                if !token.is_empty() {
                    path.push_str("&continue=");
                    path.extend(form_urlencoded::byte_serialize(token.as_bytes()));
                }
                let call = Call::get(path, JSON);
                let body = connection.send(&call).await?.ok(&call)?;
                let page: ListHead = serde_json::from_slice(&body)?;
                match page.metadata.next {
                    Some(next) if !next.is_empty() => token = next,
                    _ => return Ok(()),
                }
            }
        }
        .boxed()
    }
}

/// A PUT of the client's own object as last read or written, with a changed spec.
struct Update {
    path: String,
    /// The object as the server last returned it.
    object: Option<serde_json::Value>,
}

impl Operation for Update {
    fn run<'a>(&'a mut self, connection: &'a Connection) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            let mut object = match self.object.take() {
                Some(object) => object,
                None => {
                    let call = Call::get(self.path.clone(), JSON);
                    serde_json::from_slice(&connection.send(&call).await?.ok(&call)?)?
                }
            };
            let n = object["metadata"]["generation"].as_u64().unwrap_or(0);
            set_spec_text(&mut object, &format!("updated {n}"));
            let call = Call::with_body(Method::PUT, self.path.clone(), JSON, object.to_string());
            // On a failure the next loop reads the object again.
            let body = connection.send(&call).await?.ok(&call)?;
            self.object = Some(serde_json::from_slice(&body)?);
            Ok(())
        }
        .boxed()
    }
}

/// Of a list, only what paging needs; the items are skipped unparsed.
#[derive(Deserialize)]
struct ListHead {
    metadata: ListMeta,
}

#[derive(Deserialize)]
struct ListMeta {
    #[serde(rename = "continue")]
    next: Option<String>,
}
