//! Watch fan-out: many watchers of one collection spread over a few HTTP/2 connections, a
//! writer merge-patching distinct objects at a steady rate, and for every event the time
//! from the write's acknowledgement to each watcher's receipt.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http::Method;
use http_body_util::BodyExt;
use serde::Deserialize;
use tokio::sync::watch;

use crate::endpoint::Endpoint;
use crate::load::{Call, Connection, JSON, Protocol, latency_histogram};
use crate::scenarios::{seeded_name, spec_patch};

/// Watch streams per connection (servers allow 100 to 1000).
const STREAMS_PER_CONNECTION: usize = 100;
/// How long events may still arrive after the last write.
const GRACE: Duration = Duration::from_secs(2);
/// How long the watchers may take to be established.
const ESTABLISH: Duration = Duration::from_secs(60);

/// What one fan-out measured.
pub struct FanOut {
    pub expected: u64,
    pub delivered: u64,
    pub dropped: usize,
    pub latency: hdrhistogram::Histogram<u64>,
    pub first_error: Option<String>,
}

/// One watcher's receipts: (key of name and resourceVersion, when).
struct Receipts {
    events: Vec<(u64, Instant)>,
    dropped: Option<String>,
}

/// Watches `endpoint`'s collection with `watchers` watchers while writing `per_second`
/// merge patches a second for `duration` to the first `objects` seeded objects in turn.
pub async fn fan_out(
    endpoint: &Endpoint,
    watchers: usize,
    per_second: u32,
    duration: Duration,
    objects: usize,
) -> anyhow::Result<FanOut> {
    let writer = Connection::open(endpoint, Protocol::Http2).await?;
    let version = collection_version(&writer, endpoint).await?;
    let call = Call::get(
        format!(
            "{}?watch=true&resourceVersion={version}",
            endpoint.collection
        ),
        JSON,
    );
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::with_capacity(watchers);
    let mut connection = None;
    for watcher in 0..watchers {
        if watcher % STREAMS_PER_CONNECTION == 0 {
            connection = Some(Connection::open(endpoint, Protocol::Http2).await?);
        }
        let connection = connection.clone().context("a connection")?;
        let response = tokio::time::timeout(ESTABLISH, connection.start(&call))
            .await
            .context("establishing a watch")??;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            bail!("watch: {status}: {}", String::from_utf8_lossy(&body));
        }
        tasks.push(tokio::spawn(receive(response.into_body(), stopped.clone())));
    }
    let acks = write(&writer, endpoint, per_second, duration, objects).await;
    tokio::time::sleep(GRACE).await;
    let _ = stop.send(true);
    let acks: HashMap<u64, Instant> = acks.into_iter().collect();
    let mut fan_out = FanOut {
        expected: (acks.len() * watchers) as u64,
        delivered: 0,
        dropped: 0,
        latency: latency_histogram(),
        first_error: None,
    };
    for task in tasks {
        let receipts = task.await?;
        if let Some(why) = receipts.dropped {
            fan_out.dropped += 1;
            fan_out.first_error.get_or_insert(why);
        }
        for (key, received) in receipts.events {
            if let Some(acknowledged) = acks.get(&key) {
                fan_out.delivered += 1;
                let micros = received
                    .saturating_duration_since(*acknowledged)
                    .as_micros();
                fan_out.latency.saturating_record((micros as u64).max(1));
            }
        }
    }
    Ok(fan_out)
}

/// The collection's resourceVersion now, to watch from.
async fn collection_version(
    connection: &Connection,
    endpoint: &Endpoint,
) -> anyhow::Result<String> {
    let call = Call::get(format!("{}?limit=1", endpoint.collection), JSON);
    let list: serde_json::Value =
        serde_json::from_slice(&connection.send(&call).await?.ok(&call)?)?;
    list["metadata"]["resourceVersion"]
        .as_str()
        .map(str::to_owned)
        .context("a list without a resourceVersion")
}

/// Writes at `per_second` for `duration`, each write on its own stream so that a slow one
/// does not hold back the next; returns each acknowledged write's key and time.
async fn write(
    connection: &Connection,
    endpoint: &Endpoint,
    per_second: u32,
    duration: Duration,
    objects: usize,
) -> Vec<(u64, Instant)> {
    let acks = Arc::new(Mutex::new(Vec::new()));
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / per_second);
    let writes = (duration.as_secs_f64() * f64::from(per_second)) as usize;
    let mut in_flight = Vec::with_capacity(writes);
    for n in 0..writes {
        ticks.tick().await;
        let name = seeded_name(n % objects);
        // The route and rate keep each write a change on objects an earlier run wrote (the
        // same server is watched directly and through kube-apiserver).
        let text = format!("watched via {} at {per_second} {n}", endpoint.name);
        let body = spec_patch(endpoint.shape, &text);
        let call = Call::with_body(
            Method::PATCH,
            endpoint.object_path(&name),
            "application/merge-patch+json",
            body,
        );
        let connection = connection.clone();
        let acks = acks.clone();
        in_flight.push(tokio::spawn(async move {
            let Ok(answer) = connection.send(&call).await else {
                return;
            };
            let acknowledged = Instant::now();
            let Ok(body) = answer.ok(&call) else {
                return;
            };
            if let Ok(object) = serde_json::from_slice::<Object>(&body) {
                let key = key(&name, &object.metadata.resource_version);
                acks.lock().expect("acks").push((key, acknowledged));
            }
        }));
    }
    for write in in_flight {
        let _ = write.await;
    }
    std::mem::take(&mut *acks.lock().expect("acks"))
}

/// Reads one watch stream until told to stop, noting each event's receipt.
async fn receive(mut body: hyper::body::Incoming, mut stop: watch::Receiver<bool>) -> Receipts {
    let mut receipts = Receipts {
        events: Vec::new(),
        dropped: None,
    };
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let frame = tokio::select! {
            _ = stop.changed() => return receipts,
            frame = body.frame() => frame,
        };
        let received = Instant::now();
        let data = match frame {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_) => continue,
            },
            Some(Err(error)) => {
                receipts.dropped = Some(format!("watch stream failed: {error}"));
                return receipts;
            }
            None => {
                receipts.dropped = Some("watch stream ended early".into());
                return receipts;
            }
        };
        buffer.extend_from_slice(&data);
        while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            match serde_json::from_slice::<Event>(&line) {
                Ok(event) if event.kind == "ADDED" || event.kind == "MODIFIED" => {
                    let meta = &event.object.metadata;
                    receipts
                        .events
                        .push((key(&meta.name, &meta.resource_version), received));
                }
                Ok(event) if event.kind == "ERROR" => {
                    receipts.dropped = Some(format!(
                        "watch error event: {}",
                        String::from_utf8_lossy(&line)
                    ));
                    return receipts;
                }
                _ => {}
            }
        }
    }
}

/// An event's identity: its object's name and resourceVersion.
fn key(name: &str, resource_version: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    (name, resource_version).hash(&mut hasher);
    hasher.finish()
}

/// Of an event, what matching needs; the rest is skipped unparsed.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    object: Object<'a>,
}

#[derive(Deserialize)]
struct Object<'a> {
    #[serde(borrow)]
    metadata: Meta<'a>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    #[serde(rename = "resourceVersion", borrow, default)]
    resource_version: Cow<'a, str>,
}
