//! The bar subresource over HTTP: its answer, the status it counts in, dry runs, and the
//! 404 / 409 / 400 answers of API.md.

mod common;

use common::http::{FOOS, send};
use http::Method;
use serde_json::{Value, json};

/// Sends a JSON request and returns the status code and the JSON body.
async fn call(
    client: &kube::Client,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string().into_bytes());
    let reply = send(
        client,
        method,
        uri,
        &[("content-type", "application/json")],
        body,
    )
    .await;
    let json = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status.as_u16(), json)
}

async fn create(client: &kube::Client, name: &str, spec: Value) {
    let mut foo = common::http::foo(name, "");
    foo["spec"] = spec;
    let (code, body) = call(client, Method::POST, FOOS, Some(foo)).await;
    assert_eq!(code, 201, "{body}");
}

async fn get(client: &kube::Client, name: &str) -> Value {
    let (code, body) = call(client, Method::GET, &format!("{FOOS}/{name}"), None).await;
    assert_eq!(code, 200, "{body}");
    body
}

fn bar_uri(name: &str, query: &str) -> String {
    format!("{FOOS}/{name}/bar{query}")
}

#[tokio::test]
async fn bar_answers_and_counts_once_per_call() {
    let server = common::Server::start_with(&["--controller=false"]);
    let client = server.client().await;
    create(&client, "greeter", json!({"greeting": "Hi"})).await;
    let before = get(&client, "greeter").await;

    let (code, answer) = call(
        &client,
        Method::POST,
        &bar_uri("greeter", "?arg1=you"),
        None,
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(
        answer,
        json!({
            "apiVersion": "demo.jeremyxu2010.me/v1beta1",
            "kind": "FooBar",
            "metadata": {"name": "greeter"},
            "message": "Hi, you",
        })
    );
    let after = get(&client, "greeter").await;
    assert_eq!(after["status"]["barCount"], 1);
    assert_eq!(after["status"]["lastMessage"], "Hi, you");
    assert!(after["status"]["lastBarTime"].is_string());
    assert_eq!(
        after["metadata"]["generation"],
        before["metadata"]["generation"]
    );
    assert_ne!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );

    // arg1 defaults to "world"; the request body is ignored.
    let (code, answer) = call(
        &client,
        Method::POST,
        &bar_uri("greeter", ""),
        Some(json!({"x": 1})),
    )
    .await;
    assert_eq!((code, answer["message"].as_str()), (200, Some("Hi, world")));
    assert_eq!(get(&client, "greeter").await["status"]["barCount"], 2);
}

#[tokio::test]
async fn dry_run_answers_and_writes_nothing() {
    let server = common::Server::start_with(&["--controller=false"]);
    let client = server.client().await;
    create(&client, "dry", json!({})).await;
    let before = get(&client, "dry").await;
    let (code, answer) = call(&client, Method::POST, &bar_uri("dry", "?dryRun=All"), None).await;
    assert_eq!(
        (code, answer["message"].as_str()),
        (200, Some("Hello, world"))
    );
    assert_eq!(get(&client, "dry").await, before);
}

#[tokio::test]
async fn refusals_are_status_answers_that_change_nothing() {
    let server = common::Server::start_with(&["--controller=false"]);
    let client = server.client().await;

    let (code, status) = call(&client, Method::POST, &bar_uri("missing", ""), None).await;
    assert_eq!((code, status["reason"].as_str()), (404, Some("NotFound")));
    assert_eq!(
        status["message"],
        r#"foos.demo.jeremyxu2010.me "missing" not found"#
    );

    create(&client, "paused", json!({"suspend": true})).await;
    let before = get(&client, "paused").await;
    let (code, status) = call(&client, Method::POST, &bar_uri("paused", ""), None).await;
    assert_eq!((code, status["reason"].as_str()), (409, Some("Conflict")));
    assert!(
        status["message"]
            .as_str()
            .unwrap_or_default()
            .contains("suspended"),
        "{status}"
    );

    let long = "x".repeat(257);
    for arg1 in [long.as_str(), "bell%07"] {
        let (code, status) = call(
            &client,
            Method::POST,
            &bar_uri("paused", &format!("?arg1={arg1}")),
            None,
        )
        .await;
        assert_eq!(
            (code, status["reason"].as_str()),
            (400, Some("BadRequest")),
            "{status}"
        );
    }
    assert_eq!(get(&client, "paused").await, before);
}

/// bar is authorized as `create` on `foos/bar`: `local` lets only `system:masters` use API
/// resources, so another user of the local CA is refused in kube-apiserver's words.
#[tokio::test]
async fn bar_is_authorized_as_create_on_foos_bar() {
    let server = common::Server::start_with(&["--controller=false"]);
    let admin = server.client().await;
    create(&admin, "guarded", json!({})).await;

    let pki = server.dir.path().join("pki");
    let read = |name: &str| std::fs::read_to_string(pki.join(name)).unwrap();
    let ca = aggregated_apiserver::pki::CertPair {
        cert_pem: read("ca.crt"),
        key_pem: read("ca.key"),
    };
    let bob =
        aggregated_apiserver::pki::issue_client_certificate(&ca, "bob", Some("devs")).unwrap();
    let kubeconfig = server.dir.path().join("bob.kubeconfig");
    aggregated_apiserver::kubeconfig::write_kubeconfig(
        &kubeconfig,
        &server.url,
        &ca.cert_pem,
        &bob,
        "bob",
    )
    .unwrap();
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(&kubeconfig).unwrap(),
        &Default::default(),
    )
    .await
    .unwrap();
    let bob = kube::Client::try_from(config).unwrap();

    let (code, status) = call(&bob, Method::POST, &bar_uri("guarded", ""), None).await;
    assert_eq!(code, 403, "{status}");
    assert_eq!(status["reason"], "Forbidden");
    assert_eq!(
        status["message"],
        r#"foos.demo.jeremyxu2010.me "guarded" is forbidden: User "bob" cannot create resource "foos/bar" in API group "demo.jeremyxu2010.me" at the cluster scope"#
    );
    assert_eq!(
        status["details"],
        json!({"name": "guarded", "group": "demo.jeremyxu2010.me", "kind": "foos"})
    );
    // Discovery stays open to every authenticated user.
    let (code, _) = call(&bob, Method::GET, "/apis", None).await;
    assert_eq!(code, 200);
    let (code, status) = call(&bob, Method::GET, FOOS, None).await;
    assert_eq!((code, status["reason"].as_str()), (403, Some("Forbidden")));
}
