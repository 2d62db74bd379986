//! Audit logging: events as kube-apiserver writes them, at the level the policy gives each
//! request, one JSON line per stage.

mod common;

use common::http::{FOOS, JSON, foo, send};
use http::Method;
use serde_json::Value;

const POLICY: &str = "apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  nonResourceURLs: [/livez, /readyz, /healthz]
- level: RequestResponse
  resources: [{group: demo.jeremyxu2010.me, resources: [foos/bar]}]
- level: Metadata
  verbs: [get, list, watch]
- level: Request
  resources: [{group: demo.jeremyxu2010.me}]
";

#[tokio::test(flavor = "multi_thread")]
async fn requests_are_logged_at_their_policy_level() {
    let dir = tempfile::tempdir().unwrap();
    let (log, policy) = (dir.path().join("audit.log"), dir.path().join("policy.yaml"));
    std::fs::write(&policy, POLICY).unwrap();
    let server = common::Server::start_with(&[
        "--controller=false",
        "--audit-log-path",
        log.to_str().unwrap(),
        "--audit-policy-file",
        policy.to_str().unwrap(),
    ]);
    let client = server.client().await;
    let body = foo("audited", "Hello").to_string().into_bytes();
    send(
        &client,
        Method::POST,
        FOOS,
        &[("content-type", JSON)],
        Some(body),
    )
    .await
    .expect(201);
    send(&client, Method::GET, &format!("{FOOS}/missing"), &[], None)
        .await
        .expect(404);
    send(
        &client,
        Method::POST,
        &format!("{FOOS}/audited/bar"),
        &[],
        None,
    )
    .await
    .expect(200);
    let as_carol = [("Impersonate-User", "carol")];
    send(&client, Method::GET, FOOS, &as_carol, None)
        .await
        .expect(403);
    send(
        &client,
        Method::GET,
        &format!("{FOOS}?watch=1&timeoutSeconds=1"),
        &[],
        None,
    )
    .await
    .expect(200);
    send(&client, Method::GET, "/livez", &[], None)
        .await
        .expect(200);

    // The watch's last event is written when its stream is dropped, just after the client
    // has read it.
    let watch_uri = format!("{FOOS}?watch=1&timeoutSeconds=1");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        let complete = text.lines().any(|l| {
            l.contains(r#""stage":"ResponseComplete""#) && l.contains(r#""verb":"watch""#)
        });
        if complete || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |verb: &str, uri: &str| -> Vec<&Value> {
        events
            .iter()
            .filter(|e| e["verb"] == verb && e["requestURI"] == uri)
            .collect()
    };
    let stages = |events: &[&Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["stage"].as_str().unwrap().to_owned())
            .collect()
    };

    let create = of("create", FOOS);
    assert_eq!(
        stages(&create),
        ["RequestReceived", "ResponseComplete"],
        "{text}"
    );
    let done = create[1];
    assert_eq!(done["kind"], "Event");
    assert_eq!(done["apiVersion"], "audit.k8s.io/v1");
    assert_eq!(done["level"], "Request");
    assert_eq!(done["user"]["username"], "admin");
    assert_eq!(done["objectRef"]["resource"], "foos");
    assert_eq!(done["objectRef"]["apiGroup"], "demo.jeremyxu2010.me");
    assert_eq!(done["responseStatus"]["code"], 201);
    assert_eq!(done["requestObject"]["metadata"]["name"], "audited");
    assert!(done.get("responseObject").is_none());
    assert_eq!(done["auditID"], create[0]["auditID"]);
    assert_eq!(done["sourceIPs"][0], "127.0.0.1");

    let missing = of("get", &format!("{FOOS}/missing"));
    let done = missing.last().unwrap();
    assert_eq!(done["level"], "Metadata");
    assert_eq!(done["objectRef"]["name"], "missing");
    assert_eq!(done["responseStatus"]["reason"], "NotFound");
    assert_eq!(done["responseStatus"]["code"], 404);

    let bar = of("create", &format!("{FOOS}/audited/bar"));
    let done = bar.last().unwrap();
    assert_eq!(done["level"], "RequestResponse");
    assert_eq!(done["objectRef"]["subresource"], "bar");
    assert_eq!(done["responseObject"]["message"], "Hello, world");

    let impersonated = of("list", FOOS);
    let done = impersonated.last().unwrap();
    assert_eq!(done["user"]["username"], "admin");
    assert_eq!(done["impersonatedUser"]["username"], "carol");
    assert_eq!(done["responseStatus"]["code"], 403);

    let watch = of("watch", &watch_uri);
    assert_eq!(
        stages(&watch),
        ["RequestReceived", "ResponseStarted", "ResponseComplete"],
        "{text}"
    );
    assert!(!text.contains("/livez"), "{text}");
}
