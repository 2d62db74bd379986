//! `/metrics`: the server's requests, watchers, objects and storage latency under
//! kube-apiserver's metric names and labels, in the Prometheus text format.

mod common;

use std::time::Duration;

use common::http::{FOOS, JSON, foo, send};
use http::Method;

/// The value of the sample line that starts with `series`.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_watchers_objects_and_storage_are_measured() {
    let server = common::Server::start_with(&["--controller=false"]);
    let client = server.client().await;
    for name in ["a", "b"] {
        let body = foo(name, "Hello").to_string().into_bytes();
        send(
            &client,
            Method::POST,
            FOOS,
            &[("content-type", JSON)],
            Some(body),
        )
        .await
        .expect(201);
    }
    send(&client, Method::GET, FOOS, &[], None)
        .await
        .expect(200);
    send(&client, Method::GET, &format!("{FOOS}/missing"), &[], None)
        .await
        .expect(404);
    let watch = {
        let client = client.clone();
        tokio::spawn(async move {
            send(
                &client,
                Method::GET,
                &format!("{FOOS}?watch=1&timeoutSeconds=3"),
                &[],
                None,
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    let reply = send(&client, Method::GET, "/metrics", &[], None).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .content_type()
            .starts_with("text/plain; version=0.0.4"),
        "{}",
        reply.content_type()
    );
    let metrics = reply.text();
    let labels = |verb: &str, scope: &str| {
        format!(
            r#"{{verb="{verb}",dry_run="",group="demo.jeremyxu2010.me",version="v1beta1",resource="foos",subresource="",scope="{scope}",component="apiserver""#
        )
    };
    let total = |verb: &str, scope: &str, code: u16| {
        let series = format!(
            "apiserver_request_total{},code=\"{code}\"}}",
            labels(verb, scope)
        );
        sample(&metrics, &series)
    };
    assert_eq!(total("POST", "cluster", 201), Some(2.0), "{metrics}");
    assert_eq!(total("LIST", "cluster", 200), Some(1.0), "{metrics}");
    assert_eq!(total("GET", "resource", 404), Some(1.0), "{metrics}");
    let count = format!(
        "apiserver_request_duration_seconds_count{}}}",
        labels("POST", "cluster")
    );
    assert_eq!(sample(&metrics, &count), Some(2.0), "{metrics}");
    let watchers = r#"apiserver_registered_watchers{group="demo.jeremyxu2010.me",version="v1beta1",kind="Foo"}"#;
    assert_eq!(sample(&metrics, watchers), Some(1.0), "{metrics}");
    let objects = r#"apiserver_storage_objects{resource="foos.demo.jeremyxu2010.me"}"#;
    assert_eq!(sample(&metrics, objects), Some(2.0), "{metrics}");
    let creates = r#"etcd_request_duration_seconds_count{operation="create",type="/registry/demo.jeremyxu2010.me/foos/"}"#;
    assert_eq!(sample(&metrics, creates), Some(2.0), "{metrics}");
    let reading = r#"apiserver_current_inflight_requests{request_kind="readOnly"}"#;
    assert_eq!(
        sample(&metrics, reading),
        Some(1.0),
        "the /metrics request itself"
    );

    // The watcher is gone once its watch ends.
    watch.await.unwrap().expect(200);
    let metrics = send(&client, Method::GET, "/metrics", &[], None)
        .await
        .text();
    assert_eq!(sample(&metrics, watchers), Some(0.0), "{metrics}");
}
