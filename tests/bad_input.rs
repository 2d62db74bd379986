//! A corpus of bad requests, several hundred, sent over HTTP to one server: each must be
//! answered with a 4xx Status, change nothing, and leave `/livez` answering within a second
//! throughout (a watcher measures it while the corpus runs).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::http::{FOOS, JSON, foo, send};
use http::Method;
use serde_json::{Value, json};

const TARGET: &str = "target";
/// The longest `/livez` may take while the corpus runs.
const LIVEZ_WITHIN: Duration = Duration::from_secs(1);

/// One bad request: method, path and query, content type, body.
struct Bad {
    method: Method,
    uri: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

/// Bodies that are not a valid Foo, whatever the write.
fn bad_objects() -> Vec<Vec<u8>> {
    let with = |pointer: &str, value: Value| {
        let mut object = foo(TARGET, "Hello");
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = object.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        parent.insert(key.to_owned(), value);
        object.to_string().into_bytes()
    };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut bodies = vec![
        with("/spec", json!("a string")),
        with("/spec", json!([1, 2])),
        with("/spec/greeting", json!(5)),
        with("/spec/greeting", json!({"a": 1})),
        with("/spec/greeting", json!("x".repeat(257))),
        with("/spec/greeting", json!("bell\u{7}")),
        with("/spec/suspend", json!("yes")),
        with("/metadata", json!([])),
        with("/metadata/name", json!(123)),
        with("/metadata/labels", json!({"a": 1})),
        with("/metadata/labels", json!({"bad key!": "v"})),
        with("/metadata/labels", json!({"k": "bad value!"})),
        with("/metadata/annotations", json!({"a": ["b"]})),
        with("/metadata/finalizers", json!("x")),
        with("/metadata/generation", json!("one")),
        with("/metadata/name", json!("Bad_Name")),
        with("/metadata/name", json!("x".repeat(254))),
        with("/metadata/labels", json!({format!("{}/k", "d".repeat(254)): "v"})),
        with("/metadata/annotations", json!({"big": "a".repeat(300_000)})),
        with("/metadata/finalizers", json!(["bad finalizer"])),
        with("/metadata/uid", json!(7)),
        with("/metadata/creationTimestamp", json!("yesterday")),
        with("/metadata/resourceVersion", json!("abc")),
        with("/metadata/ownerReferences", json!([{"name": "x"}])),
        with(
            "/metadata/ownerReferences",
            json!([{"apiVersion": "v1", "kind": "", "name": "x", "uid": "u"}]),
        ),
        with("/metadata/labels", json!({"k": "v".repeat(64)})),
        with("/metadata/annotations", json!({"Bad Key": "v"})),
        with("/metadata/name", json!("")),
        with("/metadata/deletionGracePeriodSeconds", json!("x")),
        with("/apiVersion", json!(7)),
        with("/kind", json!(["Foo"])),
        br#"{"apiVersion":"demo.jeremyxu2010.me/v1beta1","kind":"Foo","metadata":{"name":"target"},"status":{"barCount":1e400}}"#.to_vec(),
        br#"{"apiVersion":"demo.jeremyxu2010.me/v1beta1","kind":"Foo","metadata":{"name":"target"},"status":{"barCount":99999999999999999999999}}"#.to_vec(),
        br#"{"apiVersion":"demo.jeremyxu2010.me/v1beta1","kind":"Foo","metadata":{"name":"target""#.to_vec(),
        b"{\"apiVersion\":\"demo.jeremyxu2010.me/v1beta1\",\xff\xfe}".to_vec(),
        deep.into_bytes(),
        b"[]".to_vec(),
        b"true".to_vec(),
        b"\"a string\"".to_vec(),
        b"42".to_vec(),
        b"{]".to_vec(),
    ];
    // Nested objects as deep as a hostile client likes.
    let nested = format!(
        r#"{{"apiVersion":"demo.jeremyxu2010.me/v1beta1","kind":"Foo","metadata":{{"name":"target"}},"spec":{}{}}}"#,
        r#"{"a":"#.repeat(50_000),
        "}".repeat(50_000)
    );
    bodies.push(nested.into_bytes());
    bodies
}

/// Every write of `body`: create, replace, and each patch type on the target.
fn writes(body: &[u8]) -> Vec<Bad> {
    let target = format!("{FOOS}/{TARGET}");
    let bad = |method: Method, uri: &str, content_type: &'static str| Bad {
        method,
        uri: uri.to_owned(),
        content_type: Some(content_type),
        body: body.to_vec(),
    };
    vec![
        bad(Method::POST, FOOS, JSON),
        bad(Method::PUT, &target, JSON),
        bad(Method::PUT, &format!("{target}/status"), JSON),
        bad(Method::PATCH, &target, "application/merge-patch+json"),
        bad(
            Method::PATCH,
            &target,
            "application/strategic-merge-patch+json",
        ),
        bad(
            Method::PATCH,
            &format!("{target}?fieldManager=corpus"),
            "application/apply-patch+yaml",
        ),
    ]
}

/// JSON patches that must be refused.
fn bad_json_patches() -> Vec<Bad> {
    let patches = vec![
        json!({"op": "add"}),
        json!([{"op": "frobnicate", "path": "/spec"}]),
        json!([{"op": "add", "path": "spec/greeting", "value": "x"}]),
        json!([{"op": "remove", "path": "/spec/nothing"}]),
        json!([{"op": "test", "path": "/spec/greeting", "value": "not it"}]),
        json!([{"op": "replace", "path": "/spec/greeting", "value": 5}]),
        json!([{"op": "move", "from": "/spec", "path": "/spec/inner"}]),
        json!([{"op": "copy", "from": "/nothing", "path": "/spec/x"}]),
        json!([{"op": "replace", "path": "/metadata/name", "value": "other"}]),
        json!([{"op": "add", "path": "/metadata/labels", "value": {"k": "bad value!"}}]),
        json!([{"op": "replace", "path": "/spec/greeting", "value": "x".repeat(300)}]),
        Value::Array(vec![
            json!({"op": "test", "path": "/spec", "value": {}});
            10_001
        ]),
    ];
    patches
        .into_iter()
        .map(|patch| Bad {
            method: Method::PATCH,
            uri: format!("{FOOS}/{TARGET}"),
            content_type: Some("application/json-patch+json"),
            body: patch.to_string().into_bytes(),
        })
        .collect()
}

/// Good bodies with the wrong content type, and query parameters that do not parse.
fn bad_envelopes() -> Vec<Bad> {
    let good = foo("fresh", "Hello").to_string().into_bytes();
    let mut bad = Vec::new();
    // (No Content-Type on a create is JSON, as kube-apiserver takes it.)
    for content_type in [
        Some("text/plain"),
        Some("application/xml"),
        Some("a/b/c"),
        Some("application/json-patch+json"),
        Some(";;;"),
    ] {
        bad.push(Bad {
            method: Method::POST,
            uri: FOOS.into(),
            content_type,
            body: good.clone(),
        });
    }
    for content_type in [None, Some("text/plain"), Some("application/json")] {
        bad.push(Bad {
            method: Method::PATCH,
            uri: format!("{FOOS}/{TARGET}"),
            content_type,
            body: br#"{"spec":{"greeting":"Patched"}}"#.to_vec(),
        });
    }
    let reads = [
        "limit=abc",
        "limit=1.5",
        "limit=99999999999999999999",
        "resourceVersion=abc",
        "resourceVersion=-1",
        "resourceVersion=1&resourceVersionMatch=Bogus",
        "resourceVersionMatch=Exact",
        "watch=maybe",
        "watch=1&timeoutSeconds=soon",
        "watch=1&allowWatchBookmarks=2",
        "watch=1&sendInitialEvents=true",
        "fieldSelector=spec.greeting%3Dx",
        "fieldSelector=%3D%3D%3D",
        "fieldSelector=metadata.name%21x",
        "labelSelector=a%20in%20(((",
        "labelSelector=!!a",
        "labelSelector=a%3D%3D%3Db",
        "labelSelector=bad%20key%3Dv",
        "continue=garbage",
        "continue=%ff%fe",
        "limit=1&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTF9",
        "includeObject=Sometimes",
        "timeout=later",
    ];
    for query in reads {
        bad.push(Bad {
            method: Method::GET,
            uri: format!("{FOOS}?{query}"),
            content_type: None,
            body: Vec::new(),
        });
    }
    let writes = [
        "dryRun=Nope",
        "dryRun=All&dryRun=Nope",
        "fieldValidation=Bogus",
        &format!("fieldManager={}", "m".repeat(129)),
        "fieldManager=bad%0Amanager",
    ];
    for query in writes {
        bad.push(Bad {
            method: Method::POST,
            uri: format!("{FOOS}?{query}"),
            content_type: Some(JSON),
            body: good.clone(),
        });
    }
    for query in [
        "propagationPolicy=Sometimes",
        "gracePeriodSeconds=soon",
        "dryRun=Nope",
    ] {
        bad.push(Bad {
            method: Method::DELETE,
            uri: format!("{FOOS}/{TARGET}?{query}"),
            content_type: None,
            body: Vec::new(),
        });
    }
    for body in [
        r#"{"preconditions":{"uid":"not-the-uid"}}"#,
        r#"{"preconditions":{"resourceVersion":"1"}}"#,
        r#"{"propagationPolicy":"Sometimes"}"#,
        r#"{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["Nope"]}"#,
        r#"{"gracePeriodSeconds":"soon"}"#,
        "{",
    ] {
        bad.push(Bad {
            method: Method::DELETE,
            uri: format!("{FOOS}/{TARGET}"),
            content_type: Some(JSON),
            body: body.as_bytes().to_vec(),
        });
    }
    // YAML whose aliases would expand to billions of nodes.
    let mut bomb = String::from("apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\n");
    bomb.push_str("metadata:\n  name: target\n  annotations:\n    a0: &a0 [\"lol\",\"lol\"]\n");
    for i in 1..40 {
        let p = i - 1;
        bomb.push_str(&format!("    a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p}]\n"));
    }
    let apply = format!("{FOOS}/{TARGET}?fieldManager=corpus");
    for (method, uri, content_type) in [
        (
            Method::PATCH,
            apply.as_str(),
            "application/apply-patch+yaml",
        ),
        (Method::POST, FOOS, "application/yaml"),
    ] {
        bad.push(Bad {
            method,
            uri: uri.to_owned(),
            content_type: Some(content_type),
            body: bomb.clone().into_bytes(),
        });
    }
    for uri in [
        format!("{FOOS}/{TARGET}/bar?arg1={}", "x".repeat(300)),
        format!("{FOOS}/{TARGET}/bar?arg1=%07"),
        format!("{FOOS}/missing/bar"),
        format!("{FOOS}/{TARGET}/nothing"),
        format!("{FOOS}/{}", "x".repeat(300)),
        format!("{FOOS}/bad%20name"),
        "/apis/demo.jeremyxu2010.me/v9/foos".to_owned(),
        "/apis/demo.jeremyxu2010.me/v1beta1/bars".to_owned(),
        "/apis/other.example.com/v1".to_owned(),
        "/openapi/v3/apis/demo.jeremyxu2010.me/v9".to_owned(),
    ] {
        bad.push(Bad {
            method: Method::POST,
            uri,
            content_type: Some(JSON),
            body: b"{}".to_vec(),
        });
    }
    bad
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_4xx_change_nothing_and_never_stall_the_server() {
    let server = common::Server::start_with(&["--controller=false"]);
    let client = server.client().await;
    let created = send(
        &client,
        Method::POST,
        FOOS,
        &[("content-type", JSON)],
        Some(foo(TARGET, "Hello").to_string().into_bytes()),
    )
    .await
    .expect(201);

    let mut corpus: Vec<Bad> = bad_objects().iter().flat_map(|b| writes(b)).collect();
    corpus.extend(bad_json_patches());
    corpus.extend(bad_envelopes());
    assert!(corpus.len() >= 300, "only {} requests", corpus.len());

    // /livez, measured every 100 ms while the corpus runs.
    let done = Arc::new(AtomicBool::new(false));
    let livez = {
        let (client, done) = (client.clone(), done.clone());
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let answer = tokio::time::timeout(
                    Duration::from_secs(5),
                    send(&client, Method::GET, "/livez", &[], None),
                )
                .await;
                let took = started.elapsed();
                match answer {
                    Ok(reply) => assert_eq!(reply.status, 200, "/livez: {}", reply.text()),
                    Err(_) => panic!("/livez: no answer within 5 s"),
                }
                slowest = slowest.max(took);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            slowest
        })
    };

    let mut wrong = Vec::new();
    for bad in &corpus {
        let headers: Vec<(&str, &str)> = bad
            .content_type
            .iter()
            .map(|c| ("content-type", *c))
            .collect();
        let body = (!bad.body.is_empty()).then(|| bad.body.clone());
        let reply = send(&client, bad.method.clone(), &bad.uri, &headers, body).await;
        let code = reply.status.as_u16();
        let is_status = serde_json::from_slice::<Value>(&reply.body)
            .is_ok_and(|s| s["kind"] == "Status" && s["code"] == code);
        if !(400..500).contains(&code) || !is_status {
            let shown: String = String::from_utf8_lossy(&bad.body)
                .chars()
                .take(200)
                .collect();
            wrong.push(format!(
                "{} {} ({:?}) {shown}\n  -> {code} {}",
                bad.method,
                bad.uri.chars().take(200).collect::<String>(),
                bad.content_type,
                reply.text().chars().take(300).collect::<String>()
            ));
        }
    }
    done.store(true, Ordering::Relaxed);
    let slowest = livez.await.expect("/livez watcher");
    assert!(
        wrong.is_empty(),
        "{} of {} bad requests were not answered with a 4xx Status:\n{}",
        wrong.len(),
        corpus.len(),
        wrong.join("\n")
    );
    assert!(
        slowest < LIVEZ_WITHIN,
        "/livez took {slowest:?} while the corpus ran"
    );

    // Nothing changed: the target as it was, nothing else created.
    let target = send(&client, Method::GET, &format!("{FOOS}/{TARGET}"), &[], None).await;
    assert_eq!(target.expect(200), created);
    let list = send(&client, Method::GET, FOOS, &[], None)
        .await
        .expect(200);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}
