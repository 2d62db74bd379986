//! Watch, checked against what kube-apiserver does: the kube-rs `watcher` (list-then-watch and
//! streaming lists) sees every change in order, resumes across a `kill -9` restart and relists
//! after a 410; 100 watches from successive resourceVersions all see the same history; the
//! HTTP-level semantics (timeoutSeconds, sendInitialEvents, selectors, Tables, 410 Expired);
//! and `kubectl get -w` with every kubectl on the machine.
//!
//! Every wait is bounded: an event that does not come within `WAIT` fails the test.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Server;
use foo_sdk::{Foo, FooSpec};
use futures::StreamExt;
use futures::stream::BoxStream;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::client::Body;
use kube::runtime::watcher::{self, Event};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const FOOS: &str = "/apis/demo.jeremyxu2010.me/v1beta1/foos";
const API_VERSION: &str = "demo.jeremyxu2010.me/v1beta1";
const TABLE_V1: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
const JSON: &str = "application/json";
/// The longest any single event, response or process output may take.
const WAIT: Duration = Duration::from_secs(20);
/// How long a stream must stay silent to show that nothing more (no duplicate) comes.
const QUIET: Duration = Duration::from_millis(700);

/// A server without its built-in controller, whose status writes would interleave with the
/// test's own changes: every event a test sees comes from a write it made.
fn start(flags: &[&str]) -> Server {
    let mut all = vec!["--controller=false"];
    all.extend_from_slice(flags);
    Server::start_with(&all)
}

// ---------------------------------------------------------------------------------------------
// Writes through kube-rs
// ---------------------------------------------------------------------------------------------

fn rv(foo: &Foo) -> u64 {
    rv_str(foo.metadata.resource_version.as_deref().unwrap_or_default())
}

fn rv_str(rv: &str) -> u64 {
    rv.parse()
        .unwrap_or_else(|_| panic!("resourceVersion {rv:?} is not a decimal revision"))
}

fn name(foo: &Foo) -> &str {
    foo.metadata.name.as_deref().unwrap_or_default()
}

/// Writes Foos and returns what the server answered.
#[derive(Clone)]
struct Writer {
    api: Api<Foo>,
}

impl Writer {
    fn new(client: kube::Client) -> Writer {
        Writer {
            api: Api::all(client),
        }
    }

    async fn create(&self, name: &str, greeting: &str) -> Foo {
        self.create_labeled(name, greeting, &[]).await
    }

    async fn create_labeled(&self, name: &str, greeting: &str, labels: &[(&str, &str)]) -> Foo {
        let mut foo = Foo::new(
            name,
            FooSpec {
                greeting: greeting.into(),
                suspend: false,
            },
        );
        if !labels.is_empty() {
            foo.metadata.labels = Some(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            );
        }
        self.api
            .create(&PostParams::default(), &foo)
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e}"))
    }

    /// PUT with the object's resourceVersion (optimistic concurrency).
    async fn replace_greeting(&self, current: &Foo, greeting: &str) -> Foo {
        let mut foo = current.clone();
        foo.spec.greeting = greeting.into();
        self.api
            .replace(name(current), &PostParams::default(), &foo)
            .await
            .unwrap_or_else(|e| panic!("replace {}: {e}", name(current)))
    }

    /// A JSON merge patch.
    async fn patch(&self, name: &str, patch: Value) -> Foo {
        self.api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap_or_else(|e| panic!("patch {name} with {patch}: {e}"))
    }

    async fn patch_greeting(&self, name: &str, greeting: &str) -> Foo {
        self.patch(name, json!({"spec": {"greeting": greeting}}))
            .await
    }

    async fn patch_labels(&self, name: &str, labels: Value) -> Foo {
        self.patch(name, json!({"metadata": {"labels": labels}}))
            .await
    }

    /// Deletes and returns the deleted object as the DELETE answered it.
    async fn delete(&self, name: &str) -> Foo {
        self.api
            .delete(name, &DeleteParams::default())
            .await
            .unwrap_or_else(|e| panic!("delete {name}: {e}"))
            .left()
            .unwrap_or_else(|| panic!("delete {name}: answered a Status, not the object"))
    }

    /// Every Foo (sorted by name) and the list's resourceVersion.
    async fn list(&self) -> (Vec<Foo>, u64) {
        let list = self
            .api
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("list: {e}"));
        let revision = rv_str(
            list.metadata
                .resource_version
                .as_deref()
                .unwrap_or_default(),
        );
        let mut items = list.items;
        items.sort_by(|a, b| name(a).cmp(name(b)));
        (items, revision)
    }
}

// ---------------------------------------------------------------------------------------------
// kube-rs watcher helpers
// ---------------------------------------------------------------------------------------------

type FooEvents = BoxStream<'static, watcher::Result<Event<Foo>>>;

fn foo_watcher(client: kube::Client, config: watcher::Config) -> FooEvents {
    watcher::watcher(Api::<Foo>::all(client), config).boxed()
}

fn describe(event: &Event<Foo>) -> String {
    let at = |kind: &str, foo: &Foo| {
        format!(
            "{kind}({}@{}, greeting {:?})",
            name(foo),
            foo.metadata.resource_version.as_deref().unwrap_or("?"),
            foo.spec.greeting
        )
    };
    match event {
        Event::Apply(foo) => at("Apply", foo),
        Event::Delete(foo) => at("Delete", foo),
        Event::InitApply(foo) => at("InitApply", foo),
        Event::Init => "Init".into(),
        Event::InitDone => "InitDone".into(),
    }
}

/// The watcher's next item, within `WAIT`.
async fn next_item(stream: &mut FooEvents, what: &str) -> watcher::Result<Event<Foo>> {
    timeout(WAIT, stream.next())
        .await
        .unwrap_or_else(|_| panic!("{what}: no watcher event within {WAIT:?}"))
        .unwrap_or_else(|| panic!("{what}: the watcher stream ended"))
}

async fn next_event(stream: &mut FooEvents, what: &str) -> Event<Foo> {
    next_item(stream, what)
        .await
        .unwrap_or_else(|e| panic!("{what}: watcher error: {e}"))
}

/// `Init`, `InitApply`…, `InitDone`: the objects listed, sorted by name.
async fn initial_list(stream: &mut FooEvents, what: &str) -> Vec<Foo> {
    match next_event(stream, what).await {
        Event::Init => {}
        other => panic!("{what}: expected Init, got {}", describe(&other)),
    }
    let mut objects = Vec::new();
    for _ in 0..10_000 {
        match next_event(stream, what).await {
            Event::InitApply(foo) => objects.push(foo),
            Event::InitDone => {
                objects.sort_by(|a, b| name(a).cmp(name(b)));
                return objects;
            }
            other => panic!(
                "{what}: expected InitApply or InitDone, got {}",
                describe(&other)
            ),
        }
    }
    panic!("{what}: no InitDone after 10000 objects");
}

/// What a watcher must deliver for one write.
#[derive(Debug)]
enum Expect {
    /// ADDED/MODIFIED: exactly the object the write answered.
    Apply(Foo),
    /// DELETED: the object's last state, at the deleting resourceVersion.
    Delete(Foo),
}

/// Checks one watcher event against the write that caused it; resourceVersions must grow.
fn check_event(event: &Event<Foo>, expect: &Expect, last_rv: &mut u64, what: &str) {
    let got = describe(event);
    let object = match (event, expect) {
        (Event::Apply(got), Expect::Apply(want)) => {
            assert_eq!(
                got, want,
                "{what}: Apply event differs from the write's answer"
            );
            got
        }
        (Event::Delete(got), Expect::Delete(last)) => {
            let mut want = last.clone();
            want.metadata.resource_version = got.metadata.resource_version.clone();
            assert_eq!(
                got, &want,
                "{what}: a DELETED event carries the object's last state (only its resourceVersion is the deletion's)"
            );
            got
        }
        (_, expect) => panic!("{what}: expected {expect:?}, got {got}"),
    };
    let at = rv(object);
    assert!(
        at > *last_rv,
        "{what}: {got}: resourceVersion {at} is not after the previous event's {last_rv}"
    );
    *last_rv = at;
}

/// Asserts the watcher delivers nothing more for a while.
async fn assert_quiet(stream: &mut FooEvents, what: &str) {
    if let Ok(item) = timeout(QUIET, stream.next()).await {
        let item = match item {
            Some(Ok(event)) => describe(&event),
            Some(Err(e)) => format!("error {e}"),
            None => "the end of the stream".into(),
        };
        panic!("{what}: expected no more events, got {item}");
    }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP watches
// ---------------------------------------------------------------------------------------------

/// One raw watch request: the status and headers, then newline-delimited events as they come.
struct RawWatch {
    status: StatusCode,
    content_type: String,
    body: Body,
    buffer: Vec<u8>,
    ended: bool,
    what: String,
}

impl RawWatch {
    async fn open(client: &kube::Client, uri: &str) -> RawWatch {
        RawWatch::open_as(client, uri, JSON).await
    }

    async fn open_as(client: &kube::Client, uri: &str, accept: &str) -> RawWatch {
        let what = format!("GET {uri}");
        let request = Request::get(uri)
            .header("accept", accept)
            .body(Body::empty())
            .expect("request");
        let response = timeout(WAIT, client.send(request))
            .await
            .unwrap_or_else(|_| panic!("{what}: no response within {WAIT:?}"))
            .unwrap_or_else(|e| panic!("{what}: transport error: {e}"));
        let (parts, body) = response.into_parts();
        RawWatch {
            status: parts.status,
            content_type: parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            body,
            buffer: Vec::new(),
            ended: false,
            what,
        }
    }

    /// Opens a watch that must be answered 200 with `application/json`.
    async fn ok(client: &kube::Client, uri: &str) -> RawWatch {
        let mut watch = RawWatch::open(client, uri).await;
        watch.expect_ok().await;
        watch
    }

    async fn expect_ok(&mut self) {
        if self.status != StatusCode::OK {
            let body = self.whole_body().await;
            panic!("{}: status {}, body {body}", self.what, self.status);
        }
        assert_eq!(
            self.content_type, JSON,
            "{}: a watch answers Content-Type application/json",
            self.what
        );
    }

    /// The rest of the body, as text.
    async fn whole_body(&mut self) -> String {
        let mut text = String::from_utf8_lossy(&self.buffer).into_owned();
        self.buffer.clear();
        while let Some(chunk) = self.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text
    }

    /// The next piece of the body, or None at its end (within `WAIT`).
    async fn chunk(&mut self) -> Option<Vec<u8>> {
        if self.ended {
            return None;
        }
        for _ in 0..10_000 {
            let frame = timeout(WAIT, self.body.frame())
                .await
                .unwrap_or_else(|_| panic!("{}: nothing received within {WAIT:?}", self.what));
            match frame {
                None => {
                    self.ended = true;
                    return None;
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Some(data.to_vec());
                    }
                }
                Some(Err(e)) => panic!("{}: reading the body: {e}", self.what),
            }
        }
        panic!("{}: 10000 frames without data", self.what);
    }

    /// The next event, or None when the server ended the stream. Fails after `WAIT`.
    async fn next(&mut self) -> Option<Value> {
        for _ in 0..100_000 {
            if let Some(at) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=at).collect();
                let line = &line[..at];
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let event: Value = serde_json::from_slice(line).unwrap_or_else(|e| {
                    panic!(
                        "{}: an event line is not JSON ({e}): {}",
                        self.what,
                        String::from_utf8_lossy(line)
                    )
                });
                let keys: Vec<&String> = event
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                assert_eq!(
                    keys,
                    ["type", "object"],
                    "{}: an event is {{\"type\",\"object\"}}: {event}",
                    self.what
                );
                return Some(event);
            }
            match self.chunk().await {
                Some(data) => self.buffer.extend_from_slice(&data),
                None => {
                    assert!(
                        self.buffer.iter().all(u8::is_ascii_whitespace),
                        "{}: the stream ended inside an event: {}",
                        self.what,
                        String::from_utf8_lossy(&self.buffer)
                    );
                    return None;
                }
            }
        }
        panic!("{}: no complete event line", self.what);
    }

    /// The next event, which must come.
    async fn event(&mut self) -> Value {
        let what = self.what.clone();
        self.next()
            .await
            .unwrap_or_else(|| panic!("{what}: the stream ended; expected an event"))
    }

    /// `n` events.
    async fn events(&mut self, n: usize) -> Vec<Value> {
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(self.event().await);
        }
        events
    }

    /// Every event until the server ends the stream (at most 10000).
    async fn rest(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        for _ in 0..10_000 {
            match self.next().await {
                Some(event) => events.push(event),
                None => return events,
            }
        }
        panic!("{}: the stream did not end", self.what);
    }

    /// Asserts that no event comes for a while (and that the stream stays open).
    async fn assert_quiet(&mut self) {
        let what = self.what.clone();
        if let Ok(event) = timeout(QUIET, self.next()).await {
            panic!(
                "{what}: expected no more events, got {}",
                event.map_or("the end of the stream".to_string(), |e| e.to_string())
            );
        }
    }

    /// Asserts that the server ends the stream with no further event.
    async fn assert_ends(&mut self) {
        let what = self.what.clone();
        if let Some(event) = self.next().await {
            panic!("{what}: expected the stream to end, got {event}");
        }
    }
}

/// A whole (non-watch) response: status and JSON body.
async fn get_json(client: &kube::Client, uri: &str) -> (StatusCode, Value) {
    let mut reply = RawWatch::open(client, uri).await;
    let status = reply.status;
    let body = reply.whole_body().await;
    let json = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("GET {uri}: body is not JSON ({e}): {body}"));
    (status, json)
}

fn event_type(event: &Value) -> &str {
    event["type"].as_str().unwrap_or_default()
}

fn event_name(event: &Value) -> &str {
    event["object"]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
}

fn event_rv(event: &Value) -> u64 {
    rv_str(
        event["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_else(|| panic!("no metadata.resourceVersion in {event}")),
    )
}

fn event_foo(event: &Value) -> Foo {
    serde_json::from_value(event["object"].clone())
        .unwrap_or_else(|e| panic!("event object is not a Foo ({e}): {event}"))
}

/// `TYPE name@rv` for messages.
fn brief(event: &Value) -> String {
    if event_type(event) == "ERROR" {
        return format!("ERROR {}", event["object"]);
    }
    format!(
        "{} {}@{}",
        event_type(event),
        event_name(event),
        event["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or("?")
    )
}

fn briefs(events: &[Value]) -> Vec<String> {
    events.iter().map(brief).collect()
}

/// Asserts a raw event is `kind` with exactly `object` (compared as a typed Foo).
fn assert_raw_event(event: &Value, kind: &str, object: &Foo, what: &str) {
    assert_eq!(event_type(event), kind, "{what}: {}", brief(event));
    assert_eq!(&event_foo(event), object, "{what}: {}", brief(event));
}

/// Asserts a raw DELETED event carries `last` at a later (the deletion's) resourceVersion.
fn assert_raw_deleted(event: &Value, last: &Foo, what: &str) {
    assert_eq!(event_type(event), "DELETED", "{what}: {}", brief(event));
    let got = event_foo(event);
    let mut want = last.clone();
    want.metadata.resource_version = got.metadata.resource_version.clone();
    assert_eq!(got, want, "{what}: DELETED carries the last state");
    assert!(rv(&got) > rv(last), "{what}: {}", brief(event));
}

/// The ERROR event kube-apiserver sends for a watch from a resourceVersion older than its
/// watch cache's history.
fn expired_event(requested: u64, oldest: u64) -> Value {
    json!({
        "type": "ERROR",
        "object": {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": format!("too old resource version: {requested} ({oldest})"),
            "reason": "Expired",
            "code": 410,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// 1. The kube-rs watcher sees every change in order
// ---------------------------------------------------------------------------------------------

/// Creates, replaces, patches and deletes several Foos while a watcher runs, one at a time and
/// then in a burst, and checks every event's object and that resourceVersions only grow.
async fn watcher_sees_every_change(config: watcher::Config, what: &str) {
    let server = start(&[]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let pre_a = w.create("pre-a", "Hello a").await;
    let pre_b = w.create("pre-b", "Hi b").await;

    let mut stream = foo_watcher(client, config);
    let listed = initial_list(&mut stream, what).await;
    assert_eq!(
        listed,
        vec![pre_a.clone(), pre_b.clone()],
        "{what}: initial list"
    );
    let mut last_rv = rv(&pre_b);

    // One write at a time, each event awaited before the next write.
    let a = w.create("a", "one").await;
    check_event(
        &next_event(&mut stream, what).await,
        &Expect::Apply(a.clone()),
        &mut last_rv,
        &format!("{what}: after create a"),
    );
    let a2 = w.replace_greeting(&a, "two").await;
    check_event(
        &next_event(&mut stream, what).await,
        &Expect::Apply(a2.clone()),
        &mut last_rv,
        &format!("{what}: after replace"),
    );
    let b = w.create("b", "bee").await;
    check_event(
        &next_event(&mut stream, what).await,
        &Expect::Apply(b.clone()),
        &mut last_rv,
        &format!("{what}: after create b"),
    );
    let b2 = w.patch_greeting("b", "bee two").await;
    check_event(
        &next_event(&mut stream, what).await,
        &Expect::Apply(b2.clone()),
        &mut last_rv,
        &format!("{what}: after patch"),
    );
    w.delete("pre-a").await;
    check_event(
        &next_event(&mut stream, what).await,
        &Expect::Delete(pre_a.clone()),
        &mut last_rv,
        &format!("{what}: after delete"),
    );

    // A burst of writes while the watcher is not polled: all arrive, in write order.
    let mut expected = Vec::new();
    let a3 = w.patch_labels("a", json!({"tier": "gold"})).await;
    expected.push(Expect::Apply(a3.clone()));
    let c = w.create("c", "sea").await;
    expected.push(Expect::Apply(c.clone()));
    w.delete("b").await;
    expected.push(Expect::Delete(b2));
    let c2 = w.replace_greeting(&c, "sea two").await;
    expected.push(Expect::Apply(c2.clone()));
    w.delete("a").await;
    expected.push(Expect::Delete(a3));
    let pre_b2 = w.patch_greeting("pre-b", "Hi b two").await;
    expected.push(Expect::Apply(pre_b2.clone()));
    for (i, expect) in expected.iter().enumerate() {
        let event = next_event(&mut stream, what).await;
        check_event(
            &event,
            expect,
            &mut last_rv,
            &format!("{what}: burst event {i}"),
        );
    }
    assert_quiet(&mut stream, what).await;

    // What the watcher saw adds up to the server's state.
    let (items, _) = w.list().await;
    assert_eq!(items, vec![c2, pre_b2], "{what}: final list");
}

#[tokio::test]
async fn watcher_list_then_watch_sees_every_change_in_order() {
    watcher_sees_every_change(watcher::Config::default(), "watcher (list, then watch)").await;
}

#[tokio::test]
async fn watcher_streaming_list_sees_every_change_in_order() {
    // sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true
    watcher_sees_every_change(
        watcher::Config::default().streaming_lists(),
        "watcher (streaming list)",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// 2. Resuming across a restart
// ---------------------------------------------------------------------------------------------

/// A TCP forwarder on a fixed local port whose target can be changed: a client keeps one
/// address while the server behind it restarts on a new port.
struct Proxy {
    addr: SocketAddr,
    target: Arc<Mutex<String>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let target = Arc::new(Mutex::new(target));
        let current = target.clone();
        let task = tokio::spawn(async move {
            // Ends when the test drops the proxy (the task is aborted).
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = current.lock().expect("proxy target").clone();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Proxy { addr, target, task }
    }

    fn point_at(&self, target: String) {
        *self.target.lock().expect("proxy target") = target;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `host:port` of a server.
fn address(server: &Server) -> String {
    let rest = server
        .url
        .split_once("://")
        .map_or(server.url.as_str(), |(_, rest)| rest);
    rest.trim_end_matches('/').to_string()
}

/// A client of `server`'s kubeconfig that connects through `proxy`.
async fn client_via(server: &Server, proxy: &Proxy) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(server.kubeconfig()).expect("kubeconfig");
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("client config");
    let host = config.cluster_url.host().expect("server host").to_string();
    config.cluster_url = format!("https://{host}:{}", proxy.addr.port())
        .parse()
        .expect("proxy URL");
    kube::Client::try_from(config).expect("client")
}

async fn restart(server: Server) -> Server {
    tokio::task::spawn_blocking(move || server.kill_and_restart())
        .await
        .expect("restart")
}

/// A watcher whose connection dies with the server (`kill -9`) resumes from the last
/// resourceVersion it saw once the server is back, without relisting: exactly the changes
/// made after the restart, in order, no duplicate.
#[tokio::test]
async fn watcher_resumes_after_kill_and_restart() {
    let server = start(&[]);
    let w = Writer::new(server.client().await);
    let x = w.create("x", "ex").await;
    let y = w.create("y", "why").await;

    let proxy = Proxy::start(address(&server)).await;
    let mut stream = foo_watcher(
        client_via(&server, &proxy).await,
        watcher::Config::default(),
    );
    let what = "watcher across a restart";
    assert_eq!(
        initial_list(&mut stream, what).await,
        vec![x.clone(), y.clone()]
    );
    let x2 = w.patch_greeting("x", "ex two").await;
    let mut last_rv = rv(&y);
    check_event(
        &next_event(&mut stream, what).await,
        &Expect::Apply(x2.clone()),
        &mut last_rv,
        what,
    );

    let server = restart(server).await;
    proxy.point_at(address(&server));
    let w = Writer::new(server.client().await);
    let z = w.create("z", "zed").await;
    let y2 = w.patch_greeting("y", "why two").await;
    w.delete("x").await;
    let expected = [Expect::Apply(z), Expect::Apply(y2), Expect::Delete(x2)];

    // The watcher reports its broken connection (and failed reconnects while the server was
    // down) as errors, then resumes.
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..200 {
        if seen.len() == expected.len() {
            break;
        }
        match next_item(&mut stream, what).await {
            Err(e) => {
                errors.push(e.to_string());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(event @ (Event::Init | Event::InitApply(_) | Event::InitDone)) => panic!(
                "{what}: the watcher relisted ({}) instead of resuming from resourceVersion {last_rv}; errors before: {errors:?}",
                describe(&event)
            ),
            Ok(event) => seen.push(event),
        }
    }
    assert_eq!(
        seen.len(),
        expected.len(),
        "{what}: events after the restart: {:?}; errors: {errors:?}",
        seen.iter().map(describe).collect::<Vec<_>>()
    );
    for (event, expect) in seen.iter().zip(&expected) {
        check_event(event, expect, &mut last_rv, what);
    }
    assert_quiet(&mut stream, what).await;
}

/// At the HTTP level: after a restart, a watch from the last resourceVersion seen before it
/// delivers exactly the changes made since; one revision older is gone (410); and a fresh
/// watcher lists the same objects as before the restart.
#[tokio::test]
async fn watch_resumes_from_resource_version_after_restart() {
    let server = start(&[]);
    let w = Writer::new(server.client().await);
    let a = w.create("a", "ay").await;
    w.create("b", "bee").await;
    w.patch_greeting("a", "ay two").await;
    w.delete("b").await;
    w.create("b", "bee again").await;
    let c = w.create("c", "sea").await;
    let (before, revision) = w.list().await;
    assert_eq!(
        rv(&c),
        revision,
        "a list's resourceVersion is the last write's"
    );
    assert_ne!(rv(&a), revision);

    let server = restart(server).await;
    let client = server.client().await;
    let w = Writer::new(client.clone());

    // The same objects, at the same revision.
    let (after, after_revision) = w.list().await;
    assert_eq!(after, before, "list after the restart");
    assert_eq!(
        after_revision, revision,
        "list resourceVersion after the restart"
    );
    let mut stream = foo_watcher(client.clone(), watcher::Config::default());
    assert_eq!(
        initial_list(&mut stream, "watcher after the restart").await,
        before,
        "a watcher on the restarted server lists the same objects"
    );
    let mut stream = foo_watcher(client.clone(), watcher::Config::default().streaming_lists());
    assert_eq!(
        initial_list(&mut stream, "streaming watcher after the restart").await,
        before,
        "a streaming watcher on the restarted server lists the same objects"
    );

    // Changes after the restart.
    let d = w.create("d", "dee").await;
    let b2 = w.patch_greeting("b", "bee three").await;
    w.delete("c").await;
    let d2 = w.replace_greeting(&d, "dee two").await;

    let uri = format!("{FOOS}?watch=1&resourceVersion={revision}");
    let mut watch = RawWatch::ok(&client, &uri).await;
    let events = watch.events(4).await;
    let what = format!("{uri} (resumed after the restart)");
    assert_raw_event(&events[0], "ADDED", &d, &what);
    assert_raw_event(&events[1], "MODIFIED", &b2, &what);
    assert_raw_deleted(&events[2], &c, &what);
    assert_raw_event(&events[3], "MODIFIED", &d2, &what);
    watch.assert_quiet().await;

    // The restarted watch cache starts at the restart's revision: one older is too old.
    let older = revision - 1;
    let uri = format!("{FOOS}?watch=1&resourceVersion={older}");
    let mut watch = RawWatch::ok(&client, &uri).await;
    assert_eq!(watch.event().await, expired_event(older, revision), "{uri}");
    watch.assert_ends().await;
}

// ---------------------------------------------------------------------------------------------
// 3. Relisting after 410 Gone
// ---------------------------------------------------------------------------------------------

/// Ten writes after a list, with a watch cache of 3 events: the list's resourceVersion is
/// gone. Returns the writes' answers (`None` for a delete).
async fn ten_writes(w: &Writer) -> Vec<Option<Foo>> {
    let mut writes = vec![
        Some(w.create("r", "are").await),
        Some(w.patch_greeting("p", "pea 1").await),
        Some(w.patch_greeting("r", "are 1").await),
        Some(w.patch_greeting("p", "pea 2").await),
    ];
    w.delete("q").await;
    writes.push(None);
    writes.extend([
        Some(w.create("s", "ess").await),
        Some(w.patch_greeting("s", "ess 1").await),
        Some(w.patch_greeting("p", "pea 3").await),
        Some(w.patch_greeting("r", "are 2").await),
        Some(w.patch_greeting("s", "ess 2").await),
    ]);
    writes
}

/// The kube-rs watcher (list, then watch) whose list's resourceVersion has left the watch
/// cache before it starts watching gets 410 Expired and relists: Init, every current object,
/// InitDone, then live events again.
///
/// Deterministic: after `InitDone` the watcher has not opened its watch yet (it does so on the
/// next poll), so the ten writes made before that poll push its resourceVersion out of the
/// 3-event history, and the raw watch from the same resourceVersion shows the 410.
#[tokio::test]
async fn watcher_relists_after_410() {
    let server = start(&["--default-watch-cache-size", "3"]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let p = w.create("p", "pea").await;
    let q = w.create("q", "queue").await;
    let what = "watcher (list, then watch) after 410";

    let mut stream = foo_watcher(client.clone(), watcher::Config::default());
    assert_eq!(initial_list(&mut stream, what).await, vec![p, q.clone()]);
    let listed_at = rv(&q);

    let writes = ten_writes(&w).await;
    let (current, _) = w.list().await;

    // The list's resourceVersion is too old for the history of 3 events.
    let oldest_kept = writes[7].as_ref().map(rv).expect("8th write");
    let uri = format!("{FOOS}?watch=1&resourceVersion={listed_at}&allowWatchBookmarks=true");
    let mut watch = RawWatch::ok(&client, &uri).await;
    assert_eq!(
        watch.event().await,
        expired_event(listed_at, oldest_kept - 1),
        "{uri}"
    );
    watch.assert_ends().await;

    // The watcher meets the same 410, reports it, and relists.
    match next_item(&mut stream, what).await {
        Err(watcher::Error::WatchError(status)) => {
            assert_eq!(status.code, 410, "{what}: {status:?}");
            assert_eq!(status.reason, "Expired", "{what}: {status:?}");
        }
        Err(e) => panic!("{what}: expected the 410 watch error, got error {e}"),
        Ok(event) => panic!(
            "{what}: expected the 410 watch error, got {}",
            describe(&event)
        ),
    }
    assert_eq!(
        initial_list(&mut stream, what).await,
        current,
        "{what}: the relist has every current object"
    );
    let t = w.create("t", "tea").await;
    let mut last_rv = rv(current.iter().max_by_key(|f| rv(f)).expect("objects"));
    check_event(
        &next_event(&mut stream, what).await,
        &Expect::Apply(t),
        &mut last_rv,
        what,
    );
    assert_quiet(&mut stream, what).await;
}

/// The same with streaming lists: the server ends the watch after `timeoutSeconds=1`; the
/// writes come after that, so the watcher's resume from its initial-events bookmark gets 410
/// and it streams the initial events again.
#[tokio::test]
async fn watcher_streaming_list_relists_after_410() {
    let server = start(&["--default-watch-cache-size", "3"]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let p = w.create("p", "pea").await;
    let q = w.create("q", "queue").await;
    let what = "watcher (streaming list) after 410";

    let mut stream = foo_watcher(
        client.clone(),
        watcher::Config::default().streaming_lists().timeout(1),
    );
    assert_eq!(initial_list(&mut stream, what).await, vec![p, q]);
    // Not polled while the server ends the watch (1 s) ...
    tokio::time::sleep(Duration::from_millis(3500)).await;
    // ... and then the bookmark's resourceVersion leaves the history.
    ten_writes(&w).await;
    let (current, _) = w.list().await;

    match next_item(&mut stream, what).await {
        Err(watcher::Error::WatchError(status)) => {
            assert_eq!(status.code, 410, "{what}: {status:?}");
            assert_eq!(status.reason, "Expired", "{what}: {status:?}");
        }
        Err(e) => panic!("{what}: expected the 410 watch error, got error {e}"),
        Ok(event) => panic!(
            "{what}: expected the 410 watch error, got {}",
            describe(&event)
        ),
    }
    assert_eq!(
        initial_list(&mut stream, what).await,
        current,
        "{what}: the relist has every current object"
    );
    let t = w.create("t", "tea").await;
    let mut last_rv = rv(current.iter().max_by_key(|f| rv(f)).expect("objects"));
    check_event(
        &next_event(&mut stream, what).await,
        &Expect::Apply(t),
        &mut last_rv,
        what,
    );
}

// ---------------------------------------------------------------------------------------------
// 4. 100 watches from successive resourceVersions see one history
// ---------------------------------------------------------------------------------------------

/// Write `i` of the consistency test: creates, merge patches and deletes across five names.
async fn write_number(w: &Writer, i: usize, exists: &mut [bool; 5]) -> (String, &'static str) {
    let k = i % 5;
    let name = format!("c{k}");
    if !exists[k] {
        exists[k] = true;
        w.create(&name, &format!("g{i}")).await;
        (name, "ADDED")
    } else if (i / 5) % 4 == 3 {
        exists[k] = false;
        w.delete(&name).await;
        (name, "DELETED")
    } else {
        w.patch_greeting(&name, &format!("g{i}")).await;
        (name, "MODIFIED")
    }
}

/// Reads a watch until the ADDED event of `last`; returns every event up to and including it.
async fn read_until_added(mut watch: RawWatch, last: &str) -> Vec<Value> {
    let mut events = Vec::new();
    for _ in 0..1_000 {
        let event = watch.event().await;
        let done = event_type(&event) == "ADDED" && event_name(&event) == last;
        events.push(event);
        if done {
            return events;
        }
    }
    panic!("{}: no ADDED {last} within 1000 events", watch.what);
}

/// Sets annotation `big` to `bytes` bytes, different at each `i`: every update is a large event.
async fn write_big(w: &Writer, i: usize, bytes: usize) -> Foo {
    let value = format!("{i}-{}", "x".repeat(bytes));
    w.patch("big", json!({"metadata": {"annotations": {"big": value}}}))
        .await
}

/// The history is bounded in bytes as well as in events: large objects shorten it (older
/// resourceVersions get 410 Expired) instead of growing the server's memory.
#[tokio::test]
async fn history_is_bounded_in_bytes() {
    let server = start(&["--watch-cache-size-bytes", "1000000"]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let first = rv(&w.create("big", "large").await);
    let mut updates = Vec::new();
    for i in 0..10 {
        updates.push(rv(&write_big(&w, i, 200_000).await));
    }

    let uri = format!("{FOOS}?watch=1&resourceVersion={first}");
    let mut watch = RawWatch::ok(&client, &uri).await;
    let event = watch.event().await;
    assert_eq!(event["object"]["code"], 410, "{uri}: {}", brief(&event));
    watch.assert_ends().await;

    // Each update (the object and the one before it) is about 400 kB: the last two fit.
    let uri = format!("{FOOS}?watch=1&resourceVersion={}", updates[7]);
    let mut watch = RawWatch::ok(&client, &uri).await;
    let events = watch.events(2).await;
    assert_eq!(
        events.iter().map(event_rv).collect::<Vec<_>>(),
        updates[8..],
        "{uri}"
    );
    watch.assert_quiet().await;
}

/// A watcher whose client stops reading holds no copies of events, only its place in the
/// history: the others get every event meanwhile, and once the history has moved past it, it is cut off (its client
/// resumes, or relists after 410, as from kube-apiserver).
#[tokio::test]
async fn a_watcher_that_stops_reading_is_cut_off_and_the_others_go_on() {
    let server = start(&["--watch-cache-size-bytes", "2000000"]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let start = rv(&w.create("big", "large").await);
    let uri = format!("{FOOS}?watch=1&resourceVersion={start}");
    let mut stalled = RawWatch::ok(&client, &uri).await;
    let mut reading = RawWatch::ok(&client, &uri).await;

    let (mut seen, mut written) = (Vec::new(), Vec::new());
    for i in 0..40 {
        written.push(rv(&write_big(&w, i, 200_000).await));
        seen.push(event_rv(&reading.event().await));
    }
    assert_eq!(
        seen, written,
        "{uri}: the reading watcher sees every update"
    );

    let got = stalled.rest().await;
    assert!(
        got.len() < written.len(),
        "{uri}: a watcher that did not read for 16 MB of events still got all of them"
    );
    assert_eq!(
        got.iter().map(event_rv).collect::<Vec<_>>(),
        written[..got.len()],
        "{uri}: what it got is the start of the history, in order"
    );
    let last = got.last().map_or(start, event_rv);
    let uri = format!("{FOOS}?watch=1&resourceVersion={last}");
    let event = RawWatch::ok(&client, &uri).await.event().await;
    assert_eq!(event["object"]["code"], 410, "{uri}: {}", brief(&event));
}

/// As Kubernetes' watch conformance tests ("concurrent watches observe the same order"): 110
/// writes, then 100 watches, one from each of the first 100 revisions, opened while 10 more
/// writes are made. Each watch must deliver exactly the suffix of the history after its
/// starting revision: same events, same order, no gap, no duplicate.
#[tokio::test]
async fn hundred_watches_from_successive_revisions_see_the_same_history() {
    let server = start(&["--default-watch-cache-size", "1000"]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    // A first object, so that the starting resourceVersion is a real revision (a watch from
    // "0" would mean "from any state", not "from before the first write").
    let start = rv(&w.create("seed", "first").await);

    let mut exists = [false; 5];
    let mut writes = Vec::new();
    for i in 0..110 {
        writes.push(write_number(&w, i, &mut exists).await);
    }

    // The whole history, from before the first write.
    let uri = format!("{FOOS}?watch=1&resourceVersion={start}&timeoutSeconds=3");
    let mut watch = RawWatch::ok(&client, &uri).await;
    let history = watch.rest().await;
    assert_eq!(
        history
            .iter()
            .map(|e| (event_name(e).to_string(), event_type(e)))
            .collect::<Vec<_>>(),
        writes,
        "{uri}: one event per write, in write order"
    );
    for pair in history.windows(2) {
        assert!(
            event_rv(&pair[0]) < event_rv(&pair[1]),
            "{uri}: resourceVersions must grow: {} then {}",
            brief(&pair[0]),
            brief(&pair[1])
        );
    }

    // 100 watches, opened while more writes are made.
    let starts: Vec<u64> = std::iter::once(start)
        .chain(history.iter().take(99).map(event_rv))
        .collect();
    let watches = futures::future::join_all(starts.iter().map(|rv| {
        let client = client.clone();
        async move {
            let uri = format!("{FOOS}?watch=1&resourceVersion={rv}&timeoutSeconds=30");
            let watch = RawWatch::ok(&client, &uri).await;
            read_until_added(watch, "last").await
        }
    }));
    let more_writes = async {
        let mut more = Vec::new();
        for i in 110..120 {
            more.push(write_number(&w, i, &mut exists).await);
        }
        w.create("last", "the end").await;
        more
    };
    let (seen, _) = tokio::join!(watches, more_writes);

    let full = &seen[0];
    assert_eq!(
        full[..history.len()],
        history[..],
        "the watch from {start} begins with the history read before"
    );
    assert_eq!(full.len(), 121, "120 writes and `last`: {:?}", briefs(full));
    let mut failures = Vec::new();
    for (k, (events, rv)) in seen.iter().zip(&starts).enumerate() {
        if events[..] != full[k..] {
            failures.push(format!(
                "watch from resourceVersion {rv}: expected {:?}\n got {:?}",
                briefs(&full[k..]),
                briefs(events)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 100 watches differ from the history:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 5. HTTP-level semantics
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn watch_timeout_seconds_ends_the_stream() {
    let server = start(&[]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let a = w.create("a", "ay").await;

    let uri = format!("{FOOS}?watch=1&resourceVersion={}&timeoutSeconds=1", rv(&a));
    let began = Instant::now();
    let mut watch = RawWatch::ok(&client, &uri).await;
    assert_eq!(briefs(&watch.rest().await), Vec::<String>::new(), "{uri}");
    let took = began.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(10),
        "{uri}: ended after {took:?}"
    );

    // Without a resourceVersion: the current objects as ADDED, then the end.
    let uri = format!("{FOOS}?watch=1&timeoutSeconds=1");
    let mut watch = RawWatch::ok(&client, &uri).await;
    let events = watch.rest().await;
    assert_eq!(events.len(), 1, "{uri}: {:?}", briefs(&events));
    assert_raw_event(&events[0], "ADDED", &a, &uri);

    // resourceVersion=0: the same, from the cache.
    let uri = format!("{FOOS}?watch=1&resourceVersion=0&timeoutSeconds=1");
    let mut watch = RawWatch::ok(&client, &uri).await;
    let events = watch.rest().await;
    assert_eq!(events.len(), 1, "{uri}: {:?}", briefs(&events));
    assert_raw_event(&events[0], "ADDED", &a, &uri);
}

#[tokio::test]
async fn watch_send_initial_events_then_initial_events_end_bookmark() {
    let server = start(&[]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let a = w.create("a", "ay").await;
    w.create("b", "bee").await;
    w.create("c", "sea").await;
    w.patch_greeting("b", "bee two").await;

    for (round, rv_param) in [
        "",
        "&resourceVersion=0",
        &format!("&resourceVersion={}", rv(&a)),
    ]
    .into_iter()
    .enumerate()
    {
        let (current, revision) = w.list().await;
        let uri = format!(
            "{FOOS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true{rv_param}"
        );
        let mut watch = RawWatch::ok(&client, &uri).await;
        let events = watch.events(4).await;
        let mut added: Vec<Foo> = events[..3]
            .iter()
            .map(|e| {
                assert_eq!(event_type(e), "ADDED", "{uri}: {}", brief(e));
                event_foo(e)
            })
            .collect();
        added.sort_by(|x, y| name(x).cmp(name(y)));
        assert_eq!(added, current, "{uri}: every current object, as ADDED");
        let bookmark = &events[3];
        assert_eq!(event_type(bookmark), "BOOKMARK", "{uri}: {bookmark}");
        let object = &bookmark["object"];
        assert_eq!(object["kind"], "Foo", "{uri}: {bookmark}");
        assert_eq!(object["apiVersion"], API_VERSION, "{uri}: {bookmark}");
        assert_eq!(
            object["metadata"]["resourceVersion"],
            revision.to_string(),
            "{uri}: the bookmark is at the initial state's revision: {bookmark}"
        );
        assert_eq!(
            object["metadata"]["annotations"],
            json!({"k8s.io/initial-events-end": "true"}),
            "{uri}: {bookmark}"
        );
        // Then live changes.
        let a2 = w.patch_greeting("a", &format!("ay {round}")).await;
        assert_raw_event(&watch.event().await, "MODIFIED", &a2, &uri);
        watch.assert_quiet().await;
    }

    // Without allowWatchBookmarks: the initial events, and no bookmark after them.
    let uri = format!("{FOOS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan");
    let (current, _) = w.list().await;
    let mut watch = RawWatch::ok(&client, &uri).await;
    let events = watch.events(3).await;
    let mut added: Vec<Foo> = events.iter().map(event_foo).collect();
    added.sort_by(|x, y| name(x).cmp(name(y)));
    assert_eq!(added, current, "{uri}: {:?}", briefs(&events));
    let c2 = w.patch_greeting("c", "sea two").await;
    assert_raw_event(&watch.event().await, "MODIFIED", &c2, &uri);

    // sendInitialEvents=false from a resourceVersion: only the changes after it.
    let uri = format!(
        "{FOOS}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion={}",
        rv(&c2)
    );
    let mut watch = RawWatch::ok(&client, &uri).await;
    let d = w.create("d", "dee").await;
    assert_raw_event(&watch.event().await, "ADDED", &d, &uri);
    watch.assert_quiet().await;
}

#[tokio::test]
async fn watch_option_errors_are_422() {
    let server = start(&[]);
    let client = server.client().await;
    let invalid = |field_error: &str| {
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": format!("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: {field_error}"),
            "reason": "Invalid",
            "details": {
                "group": "meta.k8s.io",
                "kind": "ListOptions",
                "causes": [{
                    "reason": "FieldValueForbidden",
                    "message": format!("Forbidden: {field_error}"),
                    "field": "resourceVersionMatch",
                }],
            },
            "code": 422,
        })
    };
    for (query, field_error) in [
        (
            "watch=1&sendInitialEvents=true",
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ),
        (
            "watch=1&sendInitialEvents=true&allowWatchBookmarks=true",
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ),
        (
            "watch=1&resourceVersionMatch=NotOlderThan&resourceVersion=1",
            "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
        ),
    ] {
        let uri = format!("{FOOS}?{query}");
        let (status, body) = get_json(&client, &uri).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {body}");
        assert_eq!(body, invalid(field_error), "{uri}");
    }
}

#[tokio::test]
async fn watch_field_selector_sees_only_that_name() {
    let server = start(&[]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let x = w.create("x", "ex").await;
    w.create("y", "why").await;

    // As `kubectl delete --wait` watches: no resourceVersion, so x first as ADDED.
    let uri = format!("{FOOS}?watch=1&fieldSelector=metadata.name%3Dx");
    let mut watch = RawWatch::ok(&client, &uri).await;
    assert_raw_event(&watch.event().await, "ADDED", &x, &uri);
    w.patch_greeting("y", "why two").await;
    let x2 = w.patch_greeting("x", "ex two").await;
    w.delete("y").await;
    w.create("z", "zed").await;
    w.delete("x").await;
    let events = watch.events(2).await;
    assert_raw_event(&events[0], "MODIFIED", &x2, &uri);
    assert_raw_deleted(&events[1], &x2, &uri);
    watch.assert_quiet().await;

    // `!=` as well, from a resourceVersion.
    let uri = format!(
        "{FOOS}?watch=1&fieldSelector=metadata.name%21%3Dz&resourceVersion={}",
        rv(&x2)
    );
    let mut watch = RawWatch::ok(&client, &uri).await;
    let events = watch.events(2).await;
    assert_eq!(
        events
            .iter()
            .map(|e| (event_type(e), event_name(e)))
            .collect::<Vec<_>>(),
        [("DELETED", "y"), ("DELETED", "x")],
        "{uri}: {:?}",
        briefs(&events)
    );
    watch.assert_quiet().await;
}

#[tokio::test]
async fn watch_label_selector_sees_objects_enter_and_leave() {
    let server = start(&[]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let m = w.create_labeled("m", "em", &[("app", "db")]).await;

    let uri = format!(
        "{FOOS}?watch=1&labelSelector=app%3Dweb&resourceVersion={}",
        rv(&m)
    );
    let mut watch = RawWatch::ok(&client, &uri).await;
    let entered = w.patch_labels("m", json!({"app": "web"})).await;
    let changed = w.patch_greeting("m", "em two").await;
    let left = w.patch_labels("m", json!({"app": "db"})).await;
    w.delete("m").await;
    let n = w.create_labeled("n", "en", &[("app", "web")]).await;

    let events = watch.events(4).await;
    assert_raw_event(
        &events[0],
        "ADDED",
        &entered,
        &format!("{uri}: entering the selection"),
    );
    assert_raw_event(&events[1], "MODIFIED", &changed, &uri);
    // kube-apiserver's cacher: an object leaving the selection is DELETED with its previous
    // content (the one that matched) at the new resourceVersion.
    let mut left_as_before = changed.clone();
    left_as_before.metadata.resource_version = left.metadata.resource_version.clone();
    assert_eq!(
        event_type(&events[2]),
        "DELETED",
        "{uri}: {}",
        brief(&events[2])
    );
    assert_eq!(
        event_foo(&events[2]),
        left_as_before,
        "{uri}: leaving the selection: the DELETED object is the previous (matching) state at the relabel's resourceVersion"
    );
    // Deleting m, no longer selected, sends nothing; n enters.
    assert_raw_event(&events[3], "ADDED", &n, &uri);
    watch.assert_quiet().await;
}

#[tokio::test]
async fn watch_as_table() {
    let server = start(&[]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let t1 = w.create("t1", "tee").await;

    let uri = format!("{FOOS}?watch=1&resourceVersion={}", rv(&t1));
    let mut watch = RawWatch::open_as(&client, &uri, TABLE_V1).await;
    watch.expect_ok().await;
    let t1b = w.patch_greeting("t1", "tee two").await;
    let t2 = w.create("t2", "two").await;
    w.delete("t1").await;
    let events = watch.events(3).await;

    let expected = [("MODIFIED", &t1b), ("ADDED", &t2), ("DELETED", &t1b)];
    for (i, (event, (kind, foo))) in events.iter().zip(expected).enumerate() {
        let what = format!("{uri} as Table, event {i}");
        assert_eq!(event_type(event), kind, "{what}: {event}");
        let table = &event["object"];
        assert_eq!(table["kind"], "Table", "{what}: {event}");
        assert_eq!(table["apiVersion"], "meta.k8s.io/v1", "{what}: {event}");
        let rows = table["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no rows: {event}"));
        assert_eq!(rows.len(), 1, "{what}: one row per event: {event}");
        let row = &rows[0];
        assert_eq!(row["cells"][0], name(foo), "{what}: Name cell: {event}");
        assert_eq!(
            row["cells"][1], foo.spec.greeting,
            "{what}: Greeting cell: {event}"
        );
        assert_eq!(row["cells"][2], 0, "{what}: Bars cell: {event}");
        assert_eq!(row["cells"][3], "Unknown", "{what}: Ready cell: {event}");
        assert_eq!(
            row["cells"].as_array().map(Vec::len),
            Some(8),
            "{what}: {event}"
        );
        // includeObject defaults to Metadata: a PartialObjectMetadata.
        let object = &row["object"];
        assert_eq!(object["kind"], "PartialObjectMetadata", "{what}: {event}");
        assert_eq!(object["apiVersion"], "meta.k8s.io/v1", "{what}: {event}");
        assert_eq!(object["metadata"]["name"], name(foo), "{what}: {event}");
        assert_eq!(
            object["metadata"]["uid"],
            json!(foo.metadata.uid),
            "{what}: {event}"
        );
        let object_rv = object["metadata"]["resourceVersion"].clone();
        if kind != "DELETED" {
            assert_eq!(
                object_rv,
                json!(foo.metadata.resource_version),
                "{what}: {event}"
            );
        }
        // The Table carries its object's resourceVersion, as kube-apiserver's table convertors do.
        assert_eq!(
            table["metadata"]["resourceVersion"], object_rv,
            "{what}: {event}"
        );
        if i == 0 {
            let columns: Vec<&str> = table["columnDefinitions"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: the first event has columnDefinitions: {event}"))
                .iter()
                .map(|c| c["name"].as_str().unwrap_or_default())
                .collect();
            assert_eq!(
                columns,
                [
                    "Name",
                    "Greeting",
                    "Bars",
                    "Ready",
                    "Age",
                    "Suspended",
                    "Last Bar",
                    "Message"
                ],
                "{what}"
            );
        } else {
            assert_eq!(
                table.get("columnDefinitions"),
                Some(&Value::Null),
                "{what}: after the first event columnDefinitions is null: {event}"
            );
        }
    }
    watch.assert_quiet().await;
}

#[tokio::test]
async fn watch_from_too_old_resource_version_is_410_expired() {
    let server = start(&["--default-watch-cache-size", "2"]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let f = w.create("f", "eff").await;
    let mut revisions = vec![rv(&f)];
    for i in 1..=5 {
        revisions.push(rv(&w.patch_greeting("f", &format!("eff {i}")).await));
    }
    // Once a watch has been sent the last write, the cache has applied it.
    let uri = format!("{FOOS}?watch=1&resourceVersion={}", revisions[4]);
    let mut caught_up = RawWatch::ok(&client, &uri).await;
    assert_eq!(event_rv(&caught_up.event().await), revisions[5], "{uri}");
    // The history holds the last two events (revisions[4], revisions[5]): a watch may start
    // at revisions[4] - 1 or later (kube-apiserver's watch cache).
    let oldest = revisions[4] - 1;
    for too_old in [revisions[0], oldest - 1] {
        let uri = format!("{FOOS}?watch=1&resourceVersion={too_old}");
        let mut watch = RawWatch::ok(&client, &uri).await;
        assert_eq!(watch.event().await, expired_event(too_old, oldest), "{uri}");
        watch.assert_ends().await;
    }
    // At the oldest revision still in history: the kept events.
    let uri = format!("{FOOS}?watch=1&resourceVersion={oldest}");
    let mut watch = RawWatch::ok(&client, &uri).await;
    let events = watch.events(2).await;
    assert_eq!(
        events.iter().map(event_rv).collect::<Vec<_>>(),
        revisions[4..],
        "{uri}: {:?}",
        briefs(&events)
    );
    watch.assert_quiet().await;
}

// ---------------------------------------------------------------------------------------------
// 6. kubectl get -w
// ---------------------------------------------------------------------------------------------

/// Lines a child process prints, read as they come.
struct Lines {
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    seen: Vec<String>,
}

impl Lines {
    /// Reads lines until one satisfies `wanted`, within `WAIT`.
    async fn until(
        &mut self,
        what: &str,
        wanted: impl Fn(&[&str]) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + WAIT;
        for _ in 0..10_000 {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match timeout(left, self.lines.next_line()).await {
                Err(_) => {
                    return Err(format!(
                        "{what}: not printed within {WAIT:?}; output so far: {:?}",
                        self.seen
                    ));
                }
                Ok(Err(e)) => return Err(format!("{what}: reading output: {e}")),
                Ok(Ok(None)) => {
                    return Err(format!(
                        "{what}: output ended; output so far: {:?}",
                        self.seen
                    ));
                }
                Ok(Ok(Some(line))) => line,
            };
            self.seen.push(line.clone());
            let cells: Vec<&str> = line.split_whitespace().collect();
            if wanted(&cells) {
                return Ok(line);
            }
        }
        Err(format!("{what}: not among 10000 lines"))
    }
}

#[tokio::test]
async fn kubectl_get_watch_shows_changes() {
    let server = start(&[]);
    let client = server.client().await;
    let w = Writer::new(client.clone());
    let mut failures = BTreeMap::new();
    for kubectl in common::kubectls() {
        let name = format!("w-1{}", kubectl.minor());
        w.create(&name, "hello").await;
        let cache = server
            .kubeconfig()
            .with_file_name(format!("kubectl-cache-{}", kubectl.version));
        let mut child = tokio::process::Command::new(&kubectl.path)
            .arg("--kubeconfig")
            .arg(server.kubeconfig())
            .arg("--cache-dir")
            .arg(cache)
            .args(["get", "foos", "-w", "--request-timeout=60s"])
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start kubectl");
        let mut lines = Lines {
            lines: BufReader::new(child.stdout.take().expect("stdout")).lines(),
            seen: Vec::new(),
        };
        let what = format!("kubectl.{} get foos -w", kubectl.version);
        let result = async {
            lines
                .until(&format!("{what}: header"), |c| {
                    c == ["NAME", "GREETING", "BARS", "READY", "AGE"]
                })
                .await?;
            lines
                .until(&format!("{what}: the initial row"), |c| {
                    c.get(..4) == Some(&[name.as_str(), "hello", "0", "Unknown"])
                })
                .await?;
            // The initial row is printed after the list; the watch starts from the list's
            // resourceVersion, so the change below is seen whenever the watch connects.
            w.patch_greeting(&name, "howdy").await;
            lines
                .until(&format!("{what}: the changed row"), |c| {
                    c.get(..4) == Some(&[name.as_str(), "howdy", "0", "Unknown"])
                })
                .await?;
            let other = format!("{name}-new");
            w.create(&other, "fresh").await;
            lines
                .until(&format!("{what}: the created row"), |c| {
                    c.get(..4) == Some(&[other.as_str(), "fresh", "0", "Unknown"])
                })
                .await?;
            Ok::<(), String>(())
        }
        .await;
        let _ = child.start_kill();
        let _ = timeout(WAIT, child.wait()).await;
        if let Err(failure) = result {
            failures.insert(kubectl.version.clone(), failure);
        }
    }
    assert!(
        failures.is_empty(),
        "kubectl get -w failures: {failures:#?}"
    );
}
