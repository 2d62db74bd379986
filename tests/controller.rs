//! The controller that `foo-apiserver local` runs beside the server: Ready and
//! observedGeneration follow spec, suspension, concurrent bar calls, restarts, metrics.

mod common;

use std::future::Future;
use std::io::{Read, Write};
use std::time::Duration;

use foo_sdk::{Foo, FooBar, FooSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::{Api, Patch, PatchParams, PostParams};

use common::{Kubectl, Server, ok};

/// Every wait in these tests is bounded by this.
const WAIT: Duration = Duration::from_secs(30);

fn newest_kubectl() -> Kubectl {
    common::kubectls().pop().expect("a kubectl")
}

/// Polls `check` until it returns `Some`, for at most [`WAIT`].
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, String>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let last = match check().await {
            Ok(Some(value)) => return value,
            Ok(None) => String::from("not yet"),
            Err(e) => e,
        };
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}: {last}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ready(foo: &Foo) -> Option<&Condition> {
    foo.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == "Ready")
}

/// The Foo once its status reflects its current generation, with Ready `status`.
async fn reconciled(api: &Api<Foo>, name: &str, status: &str) -> Foo {
    eventually(
        &format!("foo {name} reconciled with Ready={status}"),
        || async {
            let foo = api.get(name).await.map_err(|e| e.to_string())?;
            let generation = foo.metadata.generation;
            let observed = foo.status.as_ref().and_then(|s| s.observed_generation);
            let done = generation.is_some()
                && observed == generation
                && ready(&foo)
                    .is_some_and(|c| c.status == status && c.observed_generation == generation);
            if done {
                Ok(Some(foo))
            } else {
                Err(format!(
                    "generation {generation:?}, status {:?}",
                    foo.status
                ))
            }
        },
    )
    .await
}

fn spec(greeting: &str, suspend: bool) -> FooSpec {
    FooSpec {
        greeting: greeting.into(),
        suspend,
    }
}

async fn create(api: &Api<Foo>, name: &str) -> Foo {
    api.create(
        &PostParams::default(),
        &Foo::new(name, spec("Hello", false)),
    )
    .await
    .expect("create foo")
}

/// Merge-patches the spec. Like kube-apiserver, the server retries a patch that lost a race
/// only a few times, so under heavy contention (many bar calls) the client retries 409s too,
/// as client-go's `RetryOnConflict` does.
async fn set_spec(api: &Api<Foo>, name: &str, spec: &FooSpec) -> Foo {
    let patch = serde_json::json!({ "spec": spec });
    eventually(&format!("patching the spec of {name}"), || async {
        match api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(foo) => Ok(Some(foo)),
            Err(kube::Error::Api(s)) if s.code == 409 => Err(s.message),
            Err(e) => panic!("patch spec: {e}"),
        }
    })
    .await
}

fn transition_time(foo: &Foo) -> Time {
    ready(foo).expect("Ready").last_transition_time.clone()
}

/// `lastTransitionTime` has one-second precision: flips must be this far apart to show.
async fn let_a_second_pass() {
    tokio::time::sleep(Duration::from_millis(1100)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_wait_for_ready_after_create() {
    let server = Server::start();
    let kubectl = newest_kubectl();
    let manifest = server.dir.path().join("foo.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: waited\nspec:\n  greeting: Hi\n",
    )
    .unwrap();
    let kubeconfig = server.kubeconfig();
    let manifest_arg = manifest.to_str().unwrap();
    ok(&kubectl.run(&kubeconfig, &["create", "-f", manifest_arg]));
    let out = tokio::task::spawn_blocking(move || {
        kubectl.run(
            &kubeconfig,
            &[
                "wait",
                "--for=condition=Ready",
                "foo/waited",
                "--timeout=30s",
            ],
        )
    })
    .await
    .unwrap();
    assert!(ok(&out).contains("condition met"), "{out:?}");

    let api: Api<Foo> = Api::all(server.client().await);
    let foo = reconciled(&api, "waited", "True").await;
    let condition = ready(&foo).unwrap();
    assert_eq!(condition.reason, "Reconciled");
    assert!(!condition.message.is_empty());
    assert_eq!(foo.status.as_ref().unwrap().observed_generation, Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn observed_generation_catches_up_with_spec_changes() {
    let server = Server::start();
    let api: Api<Foo> = Api::all(server.client().await);
    create(&api, "gen").await;
    let first = reconciled(&api, "gen", "True").await;
    let created_at = transition_time(&first);
    for (i, greeting) in ["Bonjour", "Hola", "Ciao"].into_iter().enumerate() {
        let changed = set_spec(&api, "gen", &spec(greeting, false)).await;
        assert_eq!(changed.metadata.generation, Some(2 + i as i64));
        let foo = reconciled(&api, "gen", "True").await;
        assert_eq!(foo.metadata.generation, changed.metadata.generation);
        assert_eq!(
            foo.status.as_ref().unwrap().observed_generation,
            changed.metadata.generation
        );
        // Ready stayed True: its transition time did not move.
        assert_eq!(transition_time(&foo), created_at, "{foo:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn suspend_flips_ready_to_false_and_resume_back() {
    let server = Server::start();
    let api: Api<Foo> = Api::all(server.client().await);
    create(&api, "sus").await;
    let active = reconciled(&api, "sus", "True").await;
    let t_active = transition_time(&active);

    let_a_second_pass().await;
    set_spec(&api, "sus", &spec("Hello", true)).await;
    let suspended = reconciled(&api, "sus", "False").await;
    let condition = ready(&suspended).unwrap();
    assert_eq!(condition.reason, "Suspended");
    assert!(
        condition.message.to_lowercase().contains("suspended"),
        "{condition:?}"
    );
    let t_suspended = transition_time(&suspended);
    assert!(t_suspended > t_active, "{t_suspended:?} after {t_active:?}");

    // kubectl sees it too.
    let kubectl = newest_kubectl();
    let kubeconfig = server.kubeconfig();
    let out = tokio::task::spawn_blocking(move || {
        kubectl.run(
            &kubeconfig,
            &[
                "wait",
                "--for=condition=Ready=false",
                "foo/sus",
                "--timeout=30s",
            ],
        )
    })
    .await
    .unwrap();
    ok(&out);

    // A spec change that keeps it suspended moves observedGeneration, not the transition.
    let_a_second_pass().await;
    set_spec(&api, "sus", &spec("Still", true)).await;
    let still = reconciled(&api, "sus", "False").await;
    assert_eq!(transition_time(&still), t_suspended);
    assert_eq!(ready(&still).unwrap().reason, "Suspended");

    set_spec(&api, "sus", &spec("Still", false)).await;
    let resumed = reconciled(&api, "sus", "True").await;
    assert_eq!(ready(&resumed).unwrap().reason, "Reconciled");
    assert!(transition_time(&resumed) > t_suspended, "{resumed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_bars_are_never_lost_while_the_controller_writes_status() {
    const CLIENTS: usize = 5;
    const BARS: usize = 50;
    let server = Server::start();
    let api: Api<Foo> = Api::all(server.client().await);
    create(&api, "busy").await;
    reconciled(&api, "busy", "True").await;

    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(Api::<Foo>::all(server.client().await));
    }
    let bars = (0..BARS).map(|i| {
        let api = clients[i % CLIENTS].clone();
        tokio::spawn(async move {
            api.create_subresource::<_, FooBar>(
                "bar",
                "busy",
                &PostParams::default(),
                &serde_json::json!({}),
            )
            .await
        })
    });
    let bars: Vec<_> = bars.collect();
    // Spec changes meanwhile, each of which the controller answers with a status write.
    let spec_api = api.clone();
    let specs = tokio::spawn(async move {
        for i in 0..10 {
            set_spec(&spec_api, "busy", &spec(&format!("Hello {i}"), false)).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    for bar in bars {
        let answer = tokio::time::timeout(WAIT, bar)
            .await
            .expect("bar in time")
            .unwrap()
            .expect("bar succeeds");
        assert!(answer.message.starts_with("Hello"), "{answer:?}");
    }
    tokio::time::timeout(WAIT, specs)
        .await
        .expect("spec changes in time")
        .unwrap();

    let foo = reconciled(&api, "busy", "True").await;
    let status = foo.status.as_ref().unwrap();
    assert_eq!(status.bar_count, Some(BARS as i64), "{foo:?}");
    assert_eq!(foo.metadata.generation, Some(11));
    assert!(status.last_bar_time.is_some() && status.last_message.is_some());
    assert_eq!(ready(&foo).unwrap().reason, "Reconciled");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_controller_comes_back_with_the_server() {
    let server = Server::start();
    let api: Api<Foo> = Api::all(server.client().await);
    create(&api, "durable").await;
    reconciled(&api, "durable", "True").await;

    // A change right before a crash is reconciled after the restart…
    set_spec(&api, "durable", &spec("Before crash", true)).await;
    let server = server.kill_and_restart();
    let api: Api<Foo> = Api::all(server.client().await);
    let foo = reconciled(&api, "durable", "False").await;
    assert_eq!(foo.metadata.generation, Some(2));

    // …and so is one made after it.
    set_spec(&api, "durable", &spec("After crash", false)).await;
    let foo = reconciled(&api, "durable", "True").await;
    assert_eq!(foo.metadata.generation, Some(3));
    assert_eq!(ready(&foo).unwrap().reason, "Reconciled");

    // A Foo created after the restart becomes Ready too.
    create(&api, "fresh").await;
    reconciled(&api, "fresh", "True").await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The body of a plain HTTP GET.
fn http_get(address: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_show_what_the_controller_does() {
    let address = format!("127.0.0.1:{}", free_port());
    let server = Server::start_with(&["--metrics-bind-address", &address]);
    let api: Api<Foo> = Api::all(server.client().await);
    create(&api, "counted").await;
    reconciled(&api, "counted", "True").await;

    let text = eventually("metrics counting the reconcile", || {
        let address = address.clone();
        async move {
            let text = tokio::task::spawn_blocking(move || http_get(&address, "/metrics"))
                .await
                .map_err(|e| e.to_string())?;
            let counted = metric(&text, "foo_controller_reconciles_total") >= 1.0
                && metric(&text, "foo_controller_status_updates_total") >= 1.0
                && metric(&text, "foo_controller_objects") == 1.0
                && metric(&text, "foo_controller_objects_out_of_sync") == 0.0;
            Ok(counted.then_some(text))
        }
    })
    .await;
    assert!(text.contains("# TYPE foo_controller_reconciles_total counter"));
    assert_eq!(metric(&text, "foo_controller_reconcile_errors_total"), 0.0);
    assert_eq!(metric(&text, "foo_controller_leader"), 1.0);
    let _ = metric(&text, "foo_controller_reconciles_in_flight");
    let _ = metric(&text, "foo_controller_objects_backing_off");
}

#[tokio::test(flavor = "multi_thread")]
async fn local_without_the_controller_leaves_status_alone() {
    let server = Server::start_with(&["--controller=false"]);
    let api: Api<Foo> = Api::all(server.client().await);
    create(&api, "alone").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let foo = api.get("alone").await.unwrap();
    assert!(ready(&foo).is_none(), "{foo:?}");
}
