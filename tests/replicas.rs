//! Replicas of one server on one etcd: several `foo-apiserver local` processes on one data
//! directory (its CA and admin certificate) and one etcd serve the same objects. A write
//! through one replica is seen by watches, lists and kubectl through the others; concurrent
//! `bar` calls through every replica all count; killing an etcd member, a replica or the whole
//! etcd loses no acknowledged write; and a concurrent history of creates, updates, bars and
//! deletes, with an etcd member killed midway, is checked against the watch stream it produced.
//!
//! Every test starts its own etcd. Every wait is bounded, nothing is timed: a condition that
//! does not hold within a generous limit fails the test.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::etcd::EtcdCluster;
use common::{Replica, Server};
use foo_sdk::{
    BarParams, DeleteParams, Deletion, Foo, FooApi, FooEvent, FooSpec, ListParams, Patch,
    PatchParams, PostParams, WatchParams, watcher,
};
use futures::future::join_all;
use futures::{Stream, StreamExt};
use kube::runtime::WatchStreamExt;
use serde_json::json;
use tokio::time::{sleep, timeout};

/// The longest one request may take before its outcome counts as unknown.
const OP_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest an event, or the recovery of a replica after a fault, may take.
const WAIT: Duration = Duration::from_secs(90);
/// The longest a load may keep issuing requests.
const LOAD_LIMIT: Duration = Duration::from_secs(60);
/// The pause between two requests of one load task, so that faults land mid-load.
const PACE: Duration = Duration::from_millis(25);

// ---------------------------------------------------------------------------------------------
// Replicas
// ---------------------------------------------------------------------------------------------

/// The replicas of one server: the first owns the data directory, the others share it.
struct Replicas {
    // Dropped before `first`, whose data directory they use.
    others: Vec<Replica>,
    first: Server,
}

impl Replicas {
    /// `count` replicas on `etcd`, each given every etcd endpoint, without the controller
    /// (so that every write is the test's own).
    fn start(etcd: &EtcdCluster, count: usize) -> Replicas {
        let endpoints = etcd.endpoints();
        let first = Server::start_with(&["--controller=false", "--etcd-servers", &endpoints]);
        let others = (1..count).map(|_| first.replica()).collect();
        Replicas { others, first }
    }

    fn len(&self) -> usize {
        1 + self.others.len()
    }

    fn kubeconfig(&self, replica: usize) -> PathBuf {
        match replica {
            0 => self.first.kubeconfig(),
            n => self.others[n - 1].kubeconfig(),
        }
    }

    async fn foos(&self, replica: usize) -> FooApi {
        match replica {
            0 => FooApi::new(self.first.client().await),
            n => FooApi::new(self.others[n - 1].client().await),
        }
    }

    /// Every replica's last stderr lines, for failure messages.
    fn logs(&self) -> String {
        let mut text = format!("--- replica 0 stderr ---\n{}", self.first.log());
        for (n, replica) in self.others.iter().enumerate() {
            let _ = write!(text, "--- replica {} stderr ---\n{}", n + 1, replica.log());
        }
        text
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn rv(foo: &Foo) -> u64 {
    let rv = foo.metadata.resource_version.as_deref().unwrap_or_default();
    rv.parse()
        .unwrap_or_else(|_| panic!("resourceVersion {rv:?} of {} is not a revision", foo.name()))
}

fn with_rv(foo: &Foo, rv: Option<String>) -> Foo {
    let mut foo = foo.clone();
    foo.metadata.resource_version = rv;
    foo
}

/// `future` within `OP_TIMEOUT`, or a failure naming `what`.
async fn bounded<T>(what: &str, future: impl Future<Output = foo_sdk::Result<T>>) -> T {
    timeout(OP_TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {OP_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Retries `attempt` (each within `OP_TIMEOUT`) until it succeeds, for at most `WAIT`.
async fn eventually<T>(what: &str, mut attempt: impl AsyncFnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + WAIT;
    let mut last = String::new();
    while Instant::now() < deadline {
        match timeout(OP_TIMEOUT, attempt()).await {
            Ok(Ok(value)) => return value,
            Ok(Err(e)) => last = e,
            Err(_) => last = format!("no answer within {OP_TIMEOUT:?}"),
        }
        sleep(Duration::from_millis(250)).await;
    }
    panic!("{what}: still failing after {WAIT:?}: {last}");
}

/// Every Foo by name, as one list (resourceVersion unset) through `foos` answers, retried
/// until the replica answers.
async fn list_eventually(foos: &FooApi, what: &str) -> BTreeMap<String, Foo> {
    eventually(what, async || {
        let items = foos
            .list_all(&ListParams::default())
            .await
            .map_err(|e| e.to_string())?;
        Ok(items
            .into_iter()
            .map(|foo| (foo.name().to_owned(), foo))
            .collect())
    })
    .await
}

/// The next event that is not a bookmark, within `WAIT`.
async fn next_change<S>(events: &mut S, what: &str) -> FooEvent
where
    S: Stream<Item = foo_sdk::Result<FooEvent>> + Unpin,
{
    loop {
        let event = timeout(WAIT, events.next())
            .await
            .unwrap_or_else(|_| panic!("{what}: no event within {WAIT:?}"))
            .unwrap_or_else(|| panic!("{what}: the watch ended"))
            .unwrap_or_else(|e| panic!("{what}: watch error {e}"));
        if !matches!(event, FooEvent::Bookmark(_)) {
            return event;
        }
    }
}

fn describe(event: &FooEvent) -> String {
    match event.object() {
        Some(foo) => format!(
            "{} {}@{} (greeting {:?}, barCount {})",
            event.type_name(),
            foo.name(),
            event.resource_version().unwrap_or("?"),
            foo.spec.greeting,
            foo.bar_count()
        ),
        None => format!("BOOKMARK@{}", event.resource_version().unwrap_or("?")),
    }
}

/// Waits until `done` operations reach `count` (a load that stops early counts the
/// operations it leaves out as done).
async fn progress(done: &AtomicUsize, count: usize) {
    let deadline = Instant::now() + WAIT;
    while done.load(Ordering::SeqCst) < count && Instant::now() < deadline {
        sleep(Duration::from_millis(10)).await;
    }
}

/// The etcd member that leads the cluster, as each member's status (etcd's JSON gateway)
/// says; `None` when no member names one.
fn leader(etcd: &EtcdCluster, members: usize) -> Option<usize> {
    use std::io::{Read, Write};
    let status = |member: usize| -> Option<serde_json::Value> {
        let url = etcd.endpoint(member);
        let address = url.strip_prefix("http://")?;
        let mut stream = std::net::TcpStream::connect(address).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        // HTTP/1.0: the answer comes whole, not chunked, and the connection closes after it.
        let request = format!(
            "POST /v3/maintenance/status HTTP/1.0\r\nHost: {address}\r\n\
             Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let (_, body) = response.split_once("\r\n\r\n")?;
        serde_json::from_str(body).ok()
    };
    let statuses: Vec<_> = (0..members).map(status).collect();
    statuses.iter().position(|status| {
        status
            .as_ref()
            .is_some_and(|s| s["leader"].is_string() && s["leader"] == s["header"]["member_id"])
    })
}

/// A small deterministic generator, so that a failing run can be told by its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    nanos | 1
}

// ---------------------------------------------------------------------------------------------
// Writes seen through the other replicas
// ---------------------------------------------------------------------------------------------

/// A create, replace, patch and delete through replica A reach a typed watch on B and a
/// kube-rs watcher on C, in order, with A's resourceVersions; a list or get (resourceVersion
/// unset) through one replica right after a write acknowledged by another includes it; and
/// kubectl through B prints what A created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_through_one_replica_are_seen_through_the_others() {
    let etcd = EtcdCluster::start(1);
    let replicas = Replicas::start(&etcd, 3);
    let a = replicas.foos(0).await;
    let b = replicas.foos(1).await;
    let c = replicas.foos(2).await;

    let list = bounded("list on B", b.list(&ListParams::default())).await;
    let from = list
        .metadata
        .resource_version
        .expect("list resourceVersion");
    let mut on_b = Box::pin(bounded("watch on B", b.watch(&WatchParams::default(), &from)).await);
    let mut on_c = c.watcher(watcher::Config::default()).boxed();
    loop {
        let event = timeout(WAIT, on_c.next())
            .await
            .expect("initial events on C")
            .expect("the watcher on C ended")
            .expect("watcher on C");
        match event {
            watcher::Event::Init => {}
            watcher::Event::InitDone => break,
            other => panic!("C listed something on a new etcd: {other:?}"),
        }
    }

    let pp = PostParams::default();
    let created = bounded(
        "create on A",
        a.create(&pp, &Foo::new("shared", FooSpec::new("Hi"))),
    )
    .await;
    let mut changed = created.clone();
    changed.spec.greeting = "Bonjour".into();
    let replaced = bounded("replace on A", a.replace("shared", &pp, &changed)).await;
    let patch = json!({"spec": {"suspend": true}});
    let patched = bounded(
        "patch on A",
        a.patch("shared", &PatchParams::default(), &Patch::Merge(&patch)),
    )
    .await;
    let deleted = match bounded("delete on A", a.delete("shared", &DeleteParams::default())).await {
        Deletion::Deleted(foo) => *foo,
        other => panic!("delete on A: {other:?}"),
    };
    assert_eq!(
        with_rv(&deleted, patched.metadata.resource_version.clone()),
        patched,
        "DELETE answers the object as last seen, at the deleting resourceVersion"
    );
    assert!(rv(&created) < rv(&replaced) && rv(&replaced) < rv(&patched));

    // The typed watch on B: exactly A's answers, in order.
    let mut last = 0;
    for (want_type, want) in [
        ("ADDED", &created),
        ("MODIFIED", &replaced),
        ("MODIFIED", &patched),
    ] {
        let event = next_change(&mut on_b, "watch on B").await;
        assert_eq!(event.type_name(), want_type, "{}", describe(&event));
        assert_eq!(
            event.object(),
            Some(want),
            "watch on B: {}",
            describe(&event)
        );
        last = rv(want);
    }
    let event = next_change(&mut on_b, "watch on B").await;
    let FooEvent::Deleted(gone) = &event else {
        panic!("watch on B: expected DELETED, got {}", describe(&event))
    };
    assert!(rv(gone) > last, "{}", describe(&event));
    assert_eq!(
        gone, &deleted,
        "watch on B: DELETED is what DELETE answered"
    );

    // The kube-rs watcher on C: the same.
    for want in [&created, &replaced, &patched] {
        let event = timeout(WAIT, on_c.next())
            .await
            .expect("watcher on C: an event")
            .expect("watcher on C ended")
            .expect("watcher on C");
        match event {
            watcher::Event::Apply(foo) => assert_eq!(&foo, want, "watcher on C"),
            other => panic!("watcher on C: expected Apply, got {other:?}"),
        }
    }
    match timeout(WAIT, on_c.next())
        .await
        .expect("watcher on C: delete")
    {
        Some(Ok(watcher::Event::Delete(foo))) => assert_eq!(&foo, gone, "watcher on C"),
        other => panic!("watcher on C: expected Delete, got {other:?}"),
    }

    // Reads right after writes acknowledged by another replica, alternating replicas.
    let all = [&a, &b, &c];
    for i in 0..50 {
        let (writer, reader, third) = (all[i % 3], all[(i + 1) % 3], all[(i + 2) % 3]);
        let name = format!("lag-{i}");
        let created = bounded(
            &format!("create {name}"),
            writer.create(&pp, &Foo::new(&name, FooSpec::new("Hi"))),
        )
        .await;
        let list = bounded(
            &format!("list after {name}"),
            reader.list(&ListParams::default()),
        )
        .await;
        let listed = list.items.iter().find(|foo| foo.name() == name);
        assert_eq!(
            listed,
            Some(&created),
            "a list through replica {} right after replica {} acknowledged {name}@{} (list at {:?}) {}",
            (i + 1) % 3,
            i % 3,
            rv(&created),
            list.metadata.resource_version,
            replicas.logs()
        );
        let patch = json!({"spec": {"greeting": format!("Hey {i}")}});
        let patched = bounded(
            &format!("patch {name}"),
            reader.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)),
        )
        .await;
        let got = bounded(&format!("get {name}"), third.get(&name)).await;
        assert_eq!(
            got,
            patched,
            "a get through replica {} right after replica {} acknowledged a patch of {name}",
            (i + 2) % 3,
            (i + 1) % 3
        );
    }

    // kubectl through B prints what A created.
    bounded(
        "create on A",
        a.create(&pp, &Foo::new("from-a", FooSpec::new("Salut"))),
    )
    .await;
    let kubectl = common::kubectls().pop().expect("a kubectl");
    let kubeconfig = replicas.kubeconfig(1);
    let printed = tokio::task::spawn_blocking(move || {
        common::ok(&kubectl.run(&kubeconfig, &["get", "foos"]))
    })
    .await
    .expect("kubectl");
    assert!(
        printed.lines().any(|line| line.starts_with("from-a ")),
        "kubectl get foos through B:\n{printed}"
    );
    assert!(printed.starts_with("NAME "), "{printed}");
    drop(replicas);
    drop(etcd);
}

// ---------------------------------------------------------------------------------------------
// Loads
// ---------------------------------------------------------------------------------------------

/// What the load tasks did: acknowledged creates, and bar calls per counter.
#[derive(Default)]
struct Tally {
    /// name → the object the create answered.
    created: BTreeMap<String, Foo>,
    /// Creates with no definite answer.
    create_failed: usize,
    bars_acked: BTreeMap<String, u64>,
    bars_failed: BTreeMap<String, u64>,
    /// A few of the errors, for the report.
    errors: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.created.extend(other.created);
        self.create_failed += other.create_failed;
        for (name, n) in other.bars_acked {
            *self.bars_acked.entry(name).or_default() += n;
        }
        for (name, n) in other.bars_failed {
            *self.bars_failed.entry(name).or_default() += n;
        }
        self.errors.extend(other.errors);
        self.errors.truncate(20);
    }

    fn failed(&self) -> usize {
        self.create_failed + self.bars_failed.values().sum::<u64>() as usize
    }
}

fn counter(n: usize) -> String {
    format!("counter-{n}")
}

/// Creates `counters` Foos named `counter-N` through `foos`.
async fn create_counters(foos: &FooApi, counters: usize) {
    for n in 0..counters {
        bounded(
            "create a counter",
            foos.create(
                &PostParams::default(),
                &Foo::new(&counter(n), FooSpec::new("Hi")),
            ),
        )
        .await;
    }
}

/// One load task: `ops` requests, alternately (when `creates`) a create of a new Foo and a
/// bar on one of `counters` counters, each within `OP_TIMEOUT`, until `deadline`.
async fn load(
    foos: FooApi,
    task: usize,
    ops: usize,
    counters: usize,
    creates: bool,
    done: Arc<AtomicUsize>,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    for k in 0..ops {
        if Instant::now() > deadline {
            done.fetch_add(ops - k, Ordering::SeqCst);
            break;
        }
        if creates && k % 2 == 0 {
            let name = format!("load-{task}-{k}");
            let foo = Foo::new(&name, FooSpec::new(format!("g{task}-{k}")));
            match timeout(OP_TIMEOUT, foos.create(&PostParams::default(), &foo)).await {
                Ok(Ok(created)) => {
                    tally.created.insert(name, created);
                }
                Ok(Err(e)) => {
                    tally.create_failed += 1;
                    tally.errors.push(format!("create {name}: {e}"));
                }
                Err(_) => {
                    tally.create_failed += 1;
                    tally.errors.push(format!("create {name}: timed out"));
                }
            }
        } else {
            let name = counter((task + k) % counters);
            let params = BarParams::new(format!("task {task}"));
            match timeout(OP_TIMEOUT, foos.bar(&name, &params)).await {
                Ok(Ok(_)) => *tally.bars_acked.entry(name).or_default() += 1,
                outcome => {
                    *tally.bars_failed.entry(name.clone()).or_default() += 1;
                    let e = match outcome {
                        Ok(Err(e)) => e.to_string(),
                        _ => "timed out".into(),
                    };
                    tally.errors.push(format!("bar {name}: {e}"));
                }
            }
        }
        done.fetch_add(1, Ordering::SeqCst);
        tally.errors.truncate(20);
        sleep(PACE).await;
    }
    tally
}

/// `per_replica` load tasks on each of `serving`, run together (in this task: the futures
/// of `FooApi::bar` are not `Send`, so they cannot be spawned), with what they did merged.
async fn run_load(
    replicas: &Replicas,
    serving: &[usize],
    per_replica: usize,
    ops: usize,
    counters: usize,
    creates: bool,
    done: &Arc<AtomicUsize>,
) -> impl Future<Output = Tally> + use<> {
    let deadline = Instant::now() + LOAD_LIMIT;
    let mut loads = Vec::new();
    for &replica in serving {
        for _ in 0..per_replica {
            let foos = replicas.foos(replica).await;
            let task = loads.len();
            loads.push(load(
                foos,
                task,
                ops,
                counters,
                creates,
                done.clone(),
                deadline,
            ));
        }
    }
    async move {
        let mut tally = Tally::default();
        for one in join_all(loads).await {
            tally.merge(one);
        }
        tally
    }
}

/// Every acknowledged create is present, unchanged, through `foos`; every counter counts at
/// least its acknowledged bars and at most those plus the failed ones.
async fn check_load(foos: &FooApi, tally: &Tally, counters: usize, what: &str) {
    let listed = list_eventually(foos, what).await;
    let missing: Vec<String> = tally
        .created
        .iter()
        .filter(|(name, foo)| listed.get(*name) != Some(foo))
        .map(|(name, foo)| format!("{name}@{}: listed {:?}", rv(foo), listed.get(name)))
        .collect();
    assert!(
        missing.is_empty(),
        "{what}: {} acknowledged creates missing or changed: {missing:#?}",
        missing.len()
    );
    for n in 0..counters {
        let name = counter(n);
        let count = listed
            .get(&name)
            .unwrap_or_else(|| panic!("{what}: {name} is gone"))
            .bar_count() as u64;
        let acked = tally.bars_acked.get(&name).copied().unwrap_or(0);
        let failed = tally.bars_failed.get(&name).copied().unwrap_or(0);
        assert!(
            acked <= count && count <= acked + failed,
            "{what}: {name} counts {count} bars; {acked} were acknowledged and {failed} failed"
        );
    }
}

/// 3 replicas × 4 tasks call bar 300 times on 4 Foos: every call is acknowledged and counted
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_bars_through_every_replica_all_count() {
    const COUNTERS: usize = 4;
    let etcd = EtcdCluster::start(1);
    let replicas = Replicas::start(&etcd, 3);
    create_counters(&replicas.foos(0).await, COUNTERS).await;

    let done = Arc::new(AtomicUsize::new(0));
    let tally = run_load(&replicas, &[0, 1, 2], 4, 25, COUNTERS, false, &done)
        .await
        .await;
    assert_eq!(
        tally.failed(),
        0,
        "no bar may fail when nothing fails: {:#?}\n{}",
        tally.errors,
        replicas.logs()
    );
    assert_eq!(tally.bars_acked.values().sum::<u64>(), 300);
    for replica in 0..replicas.len() {
        let foos = replicas.foos(replica).await;
        for n in 0..COUNTERS {
            let name = counter(n);
            let foo = bounded(&format!("get {name}"), foos.get(&name)).await;
            assert_eq!(
                foo.bar_count() as u64,
                tally.bars_acked[&name],
                "{name} through replica {replica}"
            );
        }
    }
}

/// 3 replicas on a 3-member etcd: one member is killed mid-load. Every acknowledged write
/// survives; each replica then accepts writes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_etcd_member_killed_mid_load_loses_no_acknowledged_write() {
    const COUNTERS: usize = 3;
    let mut etcd = EtcdCluster::start(3);
    let replicas = Replicas::start(&etcd, 3);
    create_counters(&replicas.foos(0).await, COUNTERS).await;

    let done = Arc::new(AtomicUsize::new(0));
    let load = run_load(&replicas, &[0, 1, 2], 2, 60, COUNTERS, true, &done).await;
    let (tally, ()) = tokio::join!(load, async {
        progress(&done, 120).await;
        etcd.kill(0);
    });
    println!(
        "etcd member killed: {} creates and {} bars acknowledged, {} failed; errors: {:#?}",
        tally.created.len(),
        tally.bars_acked.values().sum::<u64>(),
        tally.failed(),
        tally.errors
    );

    for replica in 0..replicas.len() {
        let foos = replicas.foos(replica).await;
        check_load(&foos, &tally, COUNTERS, &format!("replica {replica}")).await;
        let name = format!("after-{replica}");
        eventually(&format!("create {name}"), async || {
            match foos
                .create(&PostParams::default(), &Foo::new(&name, FooSpec::new("Hi")))
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.is_already_exists() => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
    }
    let foos = replicas.foos(2).await;
    let listed = list_eventually(&foos, "final list").await;
    for replica in 0..replicas.len() {
        assert!(listed.contains_key(&format!("after-{replica}")));
    }
}

/// 3 replicas: one is killed (`kill -9`) mid-load. What it acknowledged is there through the
/// others; restarted, it serves the same objects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_load_loses_no_acknowledged_write() {
    const COUNTERS: usize = 3;
    let etcd = EtcdCluster::start(1);
    let mut replicas = Replicas::start(&etcd, 3);
    create_counters(&replicas.foos(0).await, COUNTERS).await;

    let done = Arc::new(AtomicUsize::new(0));
    let load = run_load(&replicas, &[0, 1, 2], 2, 60, COUNTERS, true, &done).await;
    let (tally, ()) = tokio::join!(load, async {
        progress(&done, 120).await;
        replicas.others[1].kill();
    });
    println!(
        "replica killed: {} creates and {} bars acknowledged, {} failed",
        tally.created.len(),
        tally.bars_acked.values().sum::<u64>(),
        tally.failed()
    );
    assert!(
        tally.created.keys().any(|name| name.starts_with("load-4-")),
        "the killed replica acknowledged no create before it was killed"
    );

    for replica in 0..2 {
        let foos = replicas.foos(replica).await;
        check_load(&foos, &tally, COUNTERS, &format!("replica {replica}")).await;
    }
    tokio::task::block_in_place(|| replicas.others[1].restart());
    let first = list_eventually(&replicas.foos(0).await, "list through replica 0").await;
    let restarted = list_eventually(&replicas.foos(2).await, "list through the restarted").await;
    assert_eq!(
        first, restarted,
        "the restarted replica serves the same objects"
    );
}

// ---------------------------------------------------------------------------------------------
// etcd restarts
// ---------------------------------------------------------------------------------------------

/// What a watch follower saw: Foo names, and how its watch went.
#[derive(Default)]
struct Seen {
    names: BTreeSet<String>,
    /// Why the follower had to open a new watch or relist.
    reopened: Vec<String>,
}

/// Follows Foos through a typed watch from `from`, opening a new one from the last
/// resourceVersion when it ends or fails, and relisting after a 410.
async fn follow_typed(foos: FooApi, from: String, seen: Arc<Mutex<Seen>>) {
    let mut last = from;
    loop {
        let watch = match foos.watch(&WatchParams::default(), &last).await {
            Ok(watch) => watch,
            Err(e) => {
                seen.lock().unwrap().reopened.push(format!("watch: {e}"));
                sleep(Duration::from_millis(250)).await;
                continue;
            }
        };
        let mut watch = Box::pin(watch);
        loop {
            match watch.next().await {
                Some(Ok(event)) => {
                    if let Some(rv) = event.resource_version() {
                        last = rv.to_owned();
                    }
                    if let Some(foo) = event.object() {
                        seen.lock().unwrap().names.insert(foo.name().to_owned());
                    }
                }
                Some(Err(e)) if e.is_expired() => {
                    seen.lock().unwrap().reopened.push(format!("relist: {e}"));
                    match foos.list(&ListParams::default()).await {
                        Ok(list) => {
                            let mut seen = seen.lock().unwrap();
                            seen.names
                                .extend(list.items.iter().map(|f| f.name().to_owned()));
                            last = list.metadata.resource_version.unwrap_or_default();
                        }
                        Err(e) => seen.lock().unwrap().reopened.push(format!("list: {e}")),
                    }
                    break;
                }
                Some(Err(e)) => {
                    seen.lock().unwrap().reopened.push(format!("error: {e}"));
                    break;
                }
                None => {
                    seen.lock().unwrap().reopened.push("ended".into());
                    break;
                }
            }
        }
        sleep(Duration::from_millis(100)).await;
    }
}

/// Follows Foos through kube-rs's `watcher`, which relists and rewatches by itself.
async fn follow_watcher(foos: FooApi, seen: Arc<Mutex<Seen>>) {
    let mut events = foos
        .watcher(watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(foo) | watcher::Event::InitApply(foo)) => {
                seen.lock().unwrap().names.insert(foo.name().to_owned());
            }
            Ok(_) => {}
            Err(e) => seen.lock().unwrap().reopened.push(e.to_string()),
        }
    }
}

async fn wait_seen(seen: &[(String, Arc<Mutex<Seen>>)], name: &str, logs: impl Fn() -> String) {
    let deadline = Instant::now() + WAIT;
    for (who, seen) in seen {
        while !seen.lock().unwrap().names.contains(name) {
            assert!(
                Instant::now() < deadline,
                "{who} did not see {name} within {WAIT:?}; it reopened: {:#?}\n{}",
                seen.lock().unwrap().reopened,
                logs()
            );
            sleep(Duration::from_millis(50)).await;
        }
    }
}

/// etcd is killed and restarted under 2 replicas with open watches: both replicas serve
/// again, and every watch (typed, resumed from its last resourceVersion when it ends; and
/// kube-rs's watcher) sees the Foos written after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_and_their_watches_recover_from_an_etcd_restart() {
    let mut etcd = EtcdCluster::start(1);
    let replicas = Replicas::start(&etcd, 2);
    let pp = PostParams::default();

    let mut followers = Vec::new();
    let mut seen = Vec::new();
    for replica in 0..2 {
        let foos = replicas.foos(replica).await;
        let list = bounded("list", foos.list(&ListParams::default())).await;
        let from = list
            .metadata
            .resource_version
            .expect("list resourceVersion");
        let typed = Arc::new(Mutex::new(Seen::default()));
        let runtime = Arc::new(Mutex::new(Seen::default()));
        followers.push(tokio::spawn(follow_typed(
            foos.clone(),
            from,
            typed.clone(),
        )));
        followers.push(tokio::spawn(follow_watcher(foos, runtime.clone())));
        seen.push((format!("the typed watch on replica {replica}"), typed));
        seen.push((format!("kube-rs's watcher on replica {replica}"), runtime));
    }
    let a = replicas.foos(0).await;
    let b = replicas.foos(1).await;
    bounded(
        "create before",
        a.create(&pp, &Foo::new("before", FooSpec::new("Hi"))),
    )
    .await;
    wait_seen(&seen, "before", || replicas.logs()).await;
    let reopened_before: Vec<usize> = seen
        .iter()
        .map(|(_, s)| s.lock().unwrap().reopened.len())
        .collect();

    tokio::task::block_in_place(|| {
        etcd.kill(0);
        std::thread::sleep(Duration::from_secs(2));
        etcd.restart(0);
    });

    for (foos, name) in [(&a, "after-a"), (&b, "after-b")] {
        eventually(&format!("create {name}"), async || {
            match foos.create(&pp, &Foo::new(name, FooSpec::new("Hi"))).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_already_exists() => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
    }
    for foos in [&a, &b] {
        let listed = list_eventually(foos, "list after the restart").await;
        for name in ["before", "after-a", "after-b"] {
            assert!(listed.contains_key(name), "{name} is not listed");
        }
    }
    wait_seen(&seen, "after-a", || replicas.logs()).await;
    wait_seen(&seen, "after-b", || replicas.logs()).await;
    for ((who, seen), before) in seen.iter().zip(reopened_before) {
        let seen = seen.lock().unwrap();
        println!(
            "{who}: {}",
            match seen.reopened.len() - before {
                0 => "kept delivering across the restart".to_string(),
                _ => format!("reopened: {:?}", &seen.reopened[before..]),
            }
        );
    }
    for follower in followers {
        follower.abort();
    }
}

// ---------------------------------------------------------------------------------------------
// The history check
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Create,
    Get,
    /// A PUT with the resourceVersion a get answered.
    Replace {
        from: u64,
    },
    /// A JSON merge patch of the greeting.
    Patch,
    Bar,
    Delete,
}

#[derive(Clone, Debug)]
enum Outcome {
    /// Acknowledged, with the object answered (none for bar).
    Done(Option<Box<Foo>>),
    /// Refused with a status that means nothing was written (404, 409).
    Refused(String),
    /// No definite answer: the write may or may not have happened.
    Unknown(String),
    /// An answer no operation of this run should get.
    Unexpected(String),
}

/// One operation and its outcome.
#[derive(Clone, Debug)]
struct Op {
    client: usize,
    replica: usize,
    name: String,
    kind: Kind,
    /// The greeting a create, replace or patch writes: unique to the operation.
    greeting: Option<String>,
    start: Instant,
    end: Instant,
    outcome: Outcome,
}

impl Op {
    fn describe(&self) -> String {
        let outcome = match &self.outcome {
            Outcome::Done(Some(foo)) => format!("acknowledged at {}", rv(foo)),
            Outcome::Done(None) => "acknowledged".into(),
            Outcome::Refused(e) => format!("refused: {e}"),
            Outcome::Unknown(e) => format!("unknown: {e}"),
            Outcome::Unexpected(e) => format!("unexpected: {e}"),
        };
        format!(
            "client {} (replica {}): {:?} {} {:?}: {outcome}",
            self.client, self.replica, self.kind, self.name, self.greeting
        )
    }

    fn refused(&self) -> bool {
        matches!(self.outcome, Outcome::Refused(_))
    }
}

fn outcome_of(error: &foo_sdk::Error) -> Outcome {
    match error.code() {
        Some(404 | 409) => Outcome::Refused(error.to_string()),
        Some(code) if (400..500).contains(&code) && code != 408 && code != 429 => {
            Outcome::Unexpected(error.to_string())
        }
        _ => Outcome::Unknown(error.to_string()),
    }
}

/// Runs one request within `OP_TIMEOUT` and records it.
async fn record<T>(
    ops: &mut Vec<Op>,
    op: (usize, usize, &str, Kind, Option<String>),
    request: impl Future<Output = foo_sdk::Result<T>>,
    answer: impl FnOnce(T) -> Outcome,
) -> Option<Foo> {
    let (client, replica, name, kind, greeting) = op;
    let start = Instant::now();
    let outcome = match timeout(OP_TIMEOUT, request).await {
        Ok(Ok(value)) => answer(value),
        Ok(Err(e)) => outcome_of(&e),
        Err(_) => Outcome::Unknown(format!("no answer within {OP_TIMEOUT:?}")),
    };
    let end = Instant::now();
    let object = match &outcome {
        Outcome::Done(foo) => foo.as_deref().cloned(),
        _ => None,
    };
    ops.push(Op {
        client,
        replica,
        name: name.to_owned(),
        kind,
        greeting,
        start,
        end,
        outcome,
    });
    object
}

const HISTORY_COUNTERS: usize = 3;
const HISTORY_CHURN: usize = 5;

/// One client of the history run: `count` random operations on the counters (bar, patch,
/// replace) and on the churned Foos (create, replace, patch, bar, delete).
async fn history_client(
    client: usize,
    replica: usize,
    foos: FooApi,
    seed: u64,
    count: usize,
    deadline: Instant,
    done: Arc<AtomicUsize>,
) -> Vec<Op> {
    let mut rng = Rng(seed);
    let mut ops = Vec::new();
    let pp = PostParams::default();
    for k in 0..count {
        if Instant::now() > deadline {
            done.fetch_add(count - k, Ordering::SeqCst);
            break;
        }
        let roll = rng.below(100);
        let name = match roll {
            0..46 => counter(rng.below(HISTORY_COUNTERS as u64) as usize),
            _ => format!("churn-{}", rng.below(HISTORY_CHURN as u64)),
        };
        let greeting = format!("c{client}-{k}");
        let op = |kind, greeting: Option<&String>| {
            (client, replica, name.as_str(), kind, greeting.cloned())
        };
        let done_with = |foo: Foo| Outcome::Done(Some(Box::new(foo)));
        match roll {
            0..30 | 82..90 => {
                let params = BarParams::new(format!("client {client}"));
                record(
                    &mut ops,
                    op(Kind::Bar, None),
                    foos.bar(&name, &params),
                    |_| Outcome::Done(None),
                )
                .await;
            }
            30..38 | 72..82 => {
                let patch = json!({"spec": {"greeting": greeting}});
                record(
                    &mut ops,
                    op(Kind::Patch, Some(&greeting)),
                    foos.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)),
                    done_with,
                )
                .await;
            }
            38..46 | 60..72 => {
                let got = record(&mut ops, op(Kind::Get, None), foos.get(&name), done_with).await;
                if let Some(mut foo) = got {
                    let from = rv(&foo);
                    foo.spec.greeting = greeting.clone();
                    record(
                        &mut ops,
                        op(Kind::Replace { from }, Some(&greeting)),
                        foos.replace(&name, &pp, &foo),
                        done_with,
                    )
                    .await;
                }
            }
            46..60 => {
                let foo = Foo::new(&name, FooSpec::new(&greeting));
                record(
                    &mut ops,
                    op(Kind::Create, Some(&greeting)),
                    foos.create(&pp, &foo),
                    done_with,
                )
                .await;
            }
            _ => {
                record(
                    &mut ops,
                    op(Kind::Delete, None),
                    foos.delete(&name, &DeleteParams::default()),
                    |deletion| match deletion {
                        Deletion::Deleted(foo) => Outcome::Done(Some(foo)),
                        other => Outcome::Unexpected(format!("{other:?}")),
                    },
                )
                .await;
            }
        }
        done.fetch_add(1, Ordering::SeqCst);
        sleep(PACE).await;
    }
    ops
}

/// The events of one watch from `from`, resumed from its last resourceVersion whenever it
/// ends, until the ADDED event of `until`.
struct History {
    events: Vec<FooEvent>,
    resumed: Vec<String>,
    /// Why the history may be incomplete (a 410 on resuming, or no end within `WAIT`).
    gap: Option<String>,
}

async fn record_history(
    foos: FooApi,
    from: String,
    until: &'static str,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> History {
    let mut history = History {
        events: Vec::new(),
        resumed: Vec::new(),
        gap: None,
    };
    let mut last = from;
    let mut deadline = None;
    loop {
        // Once the run is over, the sentinel must come within WAIT.
        if deadline.is_none() && stop.load(Ordering::SeqCst) {
            deadline = Some(Instant::now() + WAIT);
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            history.gap = Some(format!("no ADDED {until} within {WAIT:?}"));
            return history;
        }
        let watch = match timeout(OP_TIMEOUT, foos.watch(&WatchParams::default(), &last)).await {
            Ok(Ok(watch)) => watch,
            Ok(Err(e)) if e.is_expired() => {
                history.gap = Some(format!("resuming from {last}: {e}"));
                return history;
            }
            Ok(Err(e)) => {
                history.resumed.push(format!("opening from {last}: {e}"));
                sleep(Duration::from_millis(250)).await;
                continue;
            }
            Err(_) => {
                history
                    .resumed
                    .push(format!("opening from {last}: timed out"));
                continue;
            }
        };
        let mut watch = Box::pin(watch);
        loop {
            let next = match timeout(Duration::from_secs(1), watch.next()).await {
                Ok(next) => next,
                Err(_) if stop.load(Ordering::SeqCst) && deadline.is_none() => {
                    deadline = Some(Instant::now() + WAIT);
                    continue;
                }
                Err(_) if deadline.is_some_and(|d| Instant::now() > d) => {
                    history.gap = Some(format!("no ADDED {until} within {WAIT:?}"));
                    return history;
                }
                Err(_) => continue,
            };
            match next {
                Some(Ok(FooEvent::Bookmark(bookmark))) => last = bookmark.resource_version,
                Some(Ok(event)) => {
                    last = event.resource_version().unwrap_or_default().to_owned();
                    let end = matches!(&event, FooEvent::Added(foo) if foo.name() == until);
                    history.events.push(event);
                    if end {
                        return history;
                    }
                }
                Some(Err(e)) if e.is_expired() => {
                    history.gap = Some(format!("watch from {last}: {e}"));
                    return history;
                }
                Some(Err(e)) => {
                    history.resumed.push(format!("after {last}: {e}"));
                    break;
                }
                None => {
                    history.resumed.push(format!("ended after {last}"));
                    break;
                }
            }
        }
    }
}

/// One change of the watch history, with the object's state before it.
struct Change {
    kind: &'static str,
    name: String,
    rv: u64,
    object: Foo,
    before: Option<Foo>,
}

/// Checks the operations against the watch history and the final lists; returns every
/// violation found.
fn check_history(
    ops: &[Op],
    events: &[FooEvent],
    from: u64,
    finals: &[BTreeMap<String, Foo>],
) -> Vec<String> {
    let mut violations = Vec::new();

    // The history itself: strictly increasing resourceVersions, each change possible.
    let mut state: BTreeMap<String, Foo> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut last = from;
    for event in events {
        let foo = event.object().expect("no bookmarks are kept").clone();
        let at = rv(&foo);
        if at <= last {
            violations.push(format!(
                "history: {} comes after resourceVersion {last}",
                describe(event)
            ));
        }
        last = last.max(at);
        let name = foo.name().to_owned();
        let before = state.get(&name).cloned();
        match (event, &before) {
            (FooEvent::Added(_), Some(_))
            | (FooEvent::Modified(_) | FooEvent::Deleted(_), None) => violations.push(format!(
                "history: {} while {name} {}",
                describe(event),
                if before.is_some() {
                    "exists"
                } else {
                    "does not exist"
                }
            )),
            (FooEvent::Deleted(_), Some(before))
                if with_rv(&foo, before.metadata.resource_version.clone()) != *before =>
            {
                violations.push(format!(
                    "history: {} does not carry the last state {:?}",
                    describe(event),
                    before
                ))
            }
            _ => {}
        }
        match event {
            FooEvent::Deleted(_) => state.remove(&name),
            _ => state.insert(name.clone(), foo.clone()),
        };
        changes.push(Change {
            kind: event.type_name(),
            name,
            rv: at,
            object: foo,
            before,
        });
    }
    let by_rv: HashMap<u64, usize> = changes.iter().enumerate().map(|(i, c)| (c.rv, i)).collect();

    // The final state is the history applied.
    for (replica, listed) in finals.iter().enumerate() {
        for name in state.keys().chain(listed.keys()).collect::<BTreeSet<_>>() {
            let (want, got) = (state.get(name), listed.get(name));
            if want != got {
                violations.push(format!(
                    "final list through replica {replica}: {name} is {:?}, the history ends with {:?}",
                    got.map(|f| (rv(f), &f.spec.greeting, f.bar_count())),
                    want.map(|f| (rv(f), &f.spec.greeting, f.bar_count()))
                ));
            }
        }
    }

    // Every acknowledged operation is in the history, as answered.
    let mut written: Vec<(u64, &Op)> = Vec::new();
    for op in ops {
        let Outcome::Done(Some(answer)) = &op.outcome else {
            if let Outcome::Unexpected(e) = &op.outcome {
                violations.push(format!("{}: unexpected answer {e}", op.describe()));
            }
            continue;
        };
        let at = rv(answer);
        match op.kind {
            Kind::Create | Kind::Replace { .. } | Kind::Patch => {
                let Some(change) = by_rv.get(&at).map(|&i| &changes[i]) else {
                    violations.push(format!("{}: no event at {at}", op.describe()));
                    continue;
                };
                let kind = if op.kind == Kind::Create {
                    "ADDED"
                } else {
                    "MODIFIED"
                };
                if change.name != op.name || change.kind != kind || change.object != **answer {
                    violations.push(format!(
                        "{}: the event at {at} is {} {} (greeting {:?})",
                        op.describe(),
                        change.kind,
                        change.name,
                        change.object.spec.greeting
                    ));
                }
                if let Kind::Replace { from } = op.kind {
                    let base = change.before.as_ref().map(rv);
                    if base != Some(from) {
                        violations.push(format!(
                            "{}: a replace of resourceVersion {from} was applied on top of {base:?}",
                            op.describe()
                        ));
                    }
                }
                if let (Kind::Replace { .. } | Kind::Patch, Some(before)) =
                    (op.kind, &change.before)
                    && before.status != answer.status
                {
                    violations.push(format!(
                        "{}: the status changed from {:?} to {:?}",
                        op.describe(),
                        before.status,
                        answer.status
                    ));
                }
                written.push((at, op));
            }
            // DELETE answers the last state at the deleting resourceVersion.
            Kind::Delete => match by_rv.get(&at).map(|&i| &changes[i]) {
                Some(change)
                    if change.kind == "DELETED"
                        && change.name == op.name
                        && change.object == **answer =>
                {
                    written.push((at, op))
                }
                _ => violations.push(format!(
                    "{}: no DELETED event at {at} of what it answered",
                    op.describe()
                )),
            },
            Kind::Get => match by_rv.get(&at).map(|&i| &changes[i]) {
                Some(change) if change.name == op.name && change.object == **answer => {}
                _ => violations.push(format!(
                    "{}: got a state that is not in the history",
                    op.describe()
                )),
            },
            Kind::Bar => {}
        }
    }

    // Every change of the history comes from an operation that was not refused.
    let mut bar_changes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut delete_changes: BTreeMap<&str, u64> = BTreeMap::new();
    for change in &changes {
        let by = |kinds: &[&str]| {
            ops.iter().any(|op| {
                op.name == change.name
                    && op.greeting.as_deref() == Some(change.object.spec.greeting.as_str())
                    && kinds.contains(&op_kind_name(op.kind))
                    && !op.refused()
            })
        };
        let explained = match (change.kind, &change.before) {
            ("ADDED", _) => by(&["create"]),
            ("DELETED", _) => {
                *delete_changes.entry(&change.name).or_default() += 1;
                true
            }
            (_, Some(before)) if before.spec.greeting != change.object.spec.greeting => {
                by(&["replace", "patch"]) && before.bar_count() == change.object.bar_count()
            }
            (_, Some(before)) => {
                *bar_changes.entry(&change.name).or_default() += 1;
                change.object.bar_count() == before.bar_count() + 1
                    && change.object.spec == before.spec
            }
            (_, None) => true, // reported above
        };
        if !explained {
            violations.push(format!(
                "history: {} {}@{} (greeting {:?}, barCount {}, before {:?}) comes from no operation that may have written it",
                change.kind,
                change.name,
                change.rv,
                change.object.spec.greeting,
                change.object.bar_count(),
                change
                    .before
                    .as_ref()
                    .map(|b| (rv(b), &b.spec.greeting, b.bar_count()))
            ));
        }
    }
    let mut names: BTreeSet<&str> = ops.iter().map(|op| op.name.as_str()).collect();
    names.extend(bar_changes.keys());
    for name in names {
        let count = |kind: Kind, outcome: fn(&Outcome) -> bool| {
            ops.iter()
                .filter(|op| op.name == name && op.kind == kind && outcome(&op.outcome))
                .count() as u64
        };
        let acked_bars = count(Kind::Bar, |o| matches!(o, Outcome::Done(_)));
        let failed_bars = count(Kind::Bar, |o| !matches!(o, Outcome::Done(_)));
        let unknown_bars = count(Kind::Bar, |o| matches!(o, Outcome::Unknown(_)));
        let bars = bar_changes.get(name).copied().unwrap_or(0);
        if name.starts_with("counter-") {
            let count = state.get(name).map_or(0, Foo::bar_count) as u64;
            if count != bars {
                violations.push(format!(
                    "{name}: counts {count} bars, the history holds {bars} bar changes"
                ));
            }
            if count < acked_bars || count > acked_bars + failed_bars {
                violations.push(format!(
                    "{name}: counts {count} bars; {acked_bars} were acknowledged and {failed_bars} failed"
                ));
            }
        } else if bars > acked_bars + unknown_bars {
            violations.push(format!(
                "{name}: the history holds {bars} bar changes; {acked_bars} were acknowledged, {unknown_bars} unknown"
            ));
        }
        let deletes = delete_changes.get(name).copied().unwrap_or(0);
        let acked = count(Kind::Delete, |o| matches!(o, Outcome::Done(_)));
        let unknown = count(Kind::Delete, |o| matches!(o, Outcome::Unknown(_)));
        if deletes > acked + unknown {
            violations.push(format!(
                "{name}: the history holds {deletes} deletions; {acked} were acknowledged, {unknown} unknown"
            ));
        }
    }

    // Real-time order: a write acknowledged before another began has a smaller
    // resourceVersion, and a read sees every write acknowledged before it began.
    for &(a_rv, a) in &written {
        for &(b_rv, b) in &written {
            if a.end < b.start && a_rv >= b_rv {
                violations.push(format!(
                    "real-time order: [{}] at {a_rv} was acknowledged before [{}] began, which wrote at {b_rv}",
                    a.describe(),
                    b.describe()
                ));
            }
        }
    }
    for read in ops.iter().filter(|op| op.kind == Kind::Get) {
        let Outcome::Done(Some(got)) = &read.outcome else {
            continue;
        };
        for &(w_rv, w) in &written {
            if w.name == read.name && w.end < read.start && w_rv > rv(got) {
                violations.push(format!(
                    "stale read: [{}] was acknowledged at {w_rv} before [{}] began",
                    w.describe(),
                    read.describe()
                ));
            }
        }
    }
    violations
}

fn op_kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Create => "create",
        Kind::Get => "get",
        Kind::Replace { .. } => "replace",
        Kind::Patch => "patch",
        Kind::Bar => "bar",
        Kind::Delete => "delete",
    }
}

/// The "Done when" of the etcd backend: 6 clients on 3 replicas of a 3-member etcd run ~300
/// random creates, gets, replaces, patches, bars and deletes while one member is killed and
/// later restarted. A watch opened at the start (resumed when it ends) records the history;
/// every acknowledged operation must be in it as answered, every change in it must come from
/// an operation that was not refused, real-time order must hold, bars must count, and the
/// final lists must equal the history applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_history_with_an_etcd_member_killed_is_consistent() {
    const CLIENTS: usize = 6;
    const OPS: usize = 50;
    const SENTINEL: &str = "sentinel";
    let mut etcd = EtcdCluster::start(3);
    let replicas = Replicas::start(&etcd, 3);
    let started = Instant::now();

    let watching = replicas.foos(0).await;
    let list = bounded("initial list", watching.list(&ListParams::default())).await;
    let from = list
        .metadata
        .resource_version
        .expect("list resourceVersion");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let recorder = tokio::spawn(record_history(
        watching,
        from.clone(),
        SENTINEL,
        stop.clone(),
    ));

    let mut ops = Vec::new();
    let setup = replicas.foos(1).await;
    for n in 0..HISTORY_COUNTERS {
        let name = counter(n);
        let greeting = format!("setup-{n}");
        let foo = Foo::new(&name, FooSpec::new(&greeting));
        let created = record(
            &mut ops,
            (CLIENTS, 1, &name, Kind::Create, Some(greeting)),
            setup.create(&PostParams::default(), &foo),
            |foo| Outcome::Done(Some(Box::new(foo))),
        )
        .await;
        assert!(created.is_some(), "{}", ops.last().unwrap().describe());
    }

    let seed = seed();
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + LOAD_LIMIT;
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let replica = client % replicas.len();
        let foos = replicas.foos(replica).await;
        clients.push(history_client(
            client,
            replica,
            foos,
            seed.wrapping_mul(client as u64 + 1) | 1,
            OPS,
            deadline,
            done.clone(),
        ));
    }
    // The clients run together in this task (the futures of `FooApi::bar` are not `Send`);
    // the member is restarted on a blocking thread so that they keep going meanwhile.
    let total = CLIENTS * OPS;
    let control = async move {
        progress(&done, total / 3).await;
        let killed_at = done.load(Ordering::SeqCst);
        let member = leader(&etcd, 3).expect("an etcd leader");
        etcd.kill(member);
        progress(&done, 2 * total / 3).await;
        let restarted_at = done.load(Ordering::SeqCst);
        let etcd = tokio::task::spawn_blocking(move || {
            etcd.restart(member);
            etcd
        })
        .await
        .expect("restart the etcd member");
        (etcd, member, killed_at, restarted_at)
    };
    let (histories, (_etcd, killed, killed_at, restarted_at)) =
        tokio::join!(join_all(clients), control);
    ops.extend(histories.into_iter().flatten());

    // The end marker of the history: its ADDED event comes after every other event.
    let sentinel = replicas.foos(2).await;
    eventually("create the sentinel", async || {
        let foo = Foo::new(SENTINEL, FooSpec::new("end"));
        let created = record(
            &mut ops,
            (CLIENTS, 2, SENTINEL, Kind::Create, Some("end".into())),
            sentinel.create(&PostParams::default(), &foo),
            |foo| Outcome::Done(Some(Box::new(foo))),
        )
        .await;
        match (created, &ops.last().unwrap().outcome) {
            (Some(_), _) => Ok(()),
            (None, Outcome::Refused(_)) => Ok(()), // created by an earlier attempt
            (None, _) => Err(ops.last().unwrap().describe()),
        }
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let history = recorder.await.expect("history recorder");
    let mut finals = Vec::new();
    for replica in 0..replicas.len() {
        let foos = replicas.foos(replica).await;
        finals.push(list_eventually(&foos, &format!("final list through {replica}")).await);
    }

    let count = |f: fn(&Outcome) -> bool| ops.iter().filter(|op| f(&op.outcome)).count();
    println!(
        "history (seed {seed}): {} operations ({} acknowledged, {} refused, {} unknown) in {:?}; \
         leader (member {killed}) killed after {killed_at}, restarted after {restarted_at}; {} events; \
         watch resumed {} times: {:?}",
        ops.len(),
        count(|o| matches!(o, Outcome::Done(_))),
        count(|o| matches!(o, Outcome::Refused(_))),
        count(|o| matches!(o, Outcome::Unknown(_))),
        started.elapsed(),
        history.events.len(),
        history.resumed.len(),
        history.resumed
    );
    if let Some(gap) = &history.gap {
        panic!(
            "the watch history is incomplete: {gap}; resumed {:?}\n{}",
            history.resumed,
            replicas.logs()
        );
    }
    let from = from.parse().expect("list resourceVersion");
    let violations = check_history(&ops, &history.events, from, &finals);
    // The check is not vacuous: the same history with one change left out fails it.
    let mut lossy = history.events.clone();
    lossy.remove(lossy.len() / 2);
    assert!(
        !check_history(&ops, &lossy, from, &finals).is_empty(),
        "the check passes a history with a change left out"
    );
    assert!(
        violations.is_empty(),
        "seed {seed}: {} violations:\n{}\n\nunknown outcomes:\n{}\n\n{}",
        violations.len(),
        violations.join("\n"),
        ops.iter()
            .filter(|op| matches!(op.outcome, Outcome::Unknown(_)))
            .map(Op::describe)
            .collect::<Vec<_>>()
            .join("\n"),
        replicas.logs()
    );
}
