//! Crash safety: the server is killed as `kill -9` does while writers create and update Foos,
//! twenty rounds on each store; after every restart each acknowledged write is there and the
//! resourceVersion has only grown.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::Server;
use common::etcd::EtcdCluster;
use common::http::{FOOS, JSON, foo, send};
use http::Method;
use serde_json::{Value, json};

const ROUNDS: usize = 20;
const WRITERS: usize = 4;

/// `WRITERS` concurrent clients that create Foos and patch their greeting until the server
/// dies under them; each returns what was acknowledged (name → greeting).
fn start_writers(
    client: &kube::Client,
    round: usize,
) -> Vec<tokio::task::JoinHandle<BTreeMap<String, String>>> {
    (0..WRITERS)
        .map(|writer| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut acknowledged = BTreeMap::new();
                for i in 0.. {
                    let name = format!("r{round}-w{writer}-{i}");
                    let body = foo(&name, "Created").to_string().into_bytes();
                    let headers = [("content-type", JSON)];
                    if !succeeds(&client, Method::POST, FOOS, &headers, body, 201).await {
                        break;
                    }
                    acknowledged.insert(name.clone(), "Created".to_owned());
                    let greeting = format!("Patched {i}");
                    let patch = json!({"spec": {"greeting": greeting}});
                    let headers = [("content-type", "application/merge-patch+json")];
                    let uri = format!("{FOOS}/{name}");
                    let body = patch.to_string().into_bytes();
                    if !succeeds(&client, Method::PATCH, &uri, &headers, body, 200).await {
                        break;
                    }
                    acknowledged.insert(name, greeting);
                }
                acknowledged
            })
        })
        .collect()
}

/// Whether the request was acknowledged with `code`; a dead server is a transport error,
/// which `send` reports by panicking, so the request runs in a task of its own.
async fn succeeds(
    client: &kube::Client,
    method: Method,
    uri: &str,
    headers: &[(&'static str, &'static str)],
    body: Vec<u8>,
    code: u16,
) -> bool {
    let (client, uri, headers) = (client.clone(), uri.to_owned(), headers.to_vec());
    let request = tokio::spawn(async move {
        send(&client, method, &uri, &headers, Some(body))
            .await
            .status
    });
    matches!(
        tokio::time::timeout(Duration::from_secs(5), request).await,
        Ok(Ok(status)) if status == code
    )
}

/// Every object as the server lists it (name → greeting), and the list's resourceVersion.
async fn list(server: &Server) -> (BTreeMap<String, String>, u64) {
    let client = server.client().await;
    let list = send(&client, Method::GET, FOOS, &[], None)
        .await
        .expect(200);
    let objects = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item: &Value| {
            (
                item["metadata"]["name"].as_str().unwrap().to_owned(),
                item["spec"]["greeting"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let revision = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (objects, revision)
}

async fn crash_rounds(mut server: Server) {
    let mut acknowledged = BTreeMap::new();
    let mut revision = 0;
    for round in 0..ROUNDS {
        let writers = start_writers(&server.client().await, round);
        tokio::time::sleep(Duration::from_millis(100 + (37 * round as u64) % 300)).await;
        server = tokio::task::block_in_place(|| server.kill_and_restart());
        for writer in writers {
            acknowledged.extend(writer.await.expect("writer"));
        }
        let (stored, now) = list(&server).await;
        for (name, greeting) in &acknowledged {
            let Some(found) = stored.get(name) else {
                panic!(
                    "round {round}: acknowledged {name} is gone:\n{}",
                    server.log()
                );
            };
            // A create acknowledged may have been patched unacknowledged; a patch
            // acknowledged is the last word on its Foo.
            assert!(
                found == greeting || greeting == "Created",
                "round {round}: {name} is {found:?}, acknowledged {greeting:?}"
            );
        }
        assert!(
            now >= revision,
            "round {round}: resourceVersion {now} after {revision}"
        );
        revision = now;
    }
    assert!(
        acknowledged.len() > ROUNDS,
        "too few writes acknowledged to mean anything: {}",
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_writes_survive_kill_9_on_the_embedded_store() {
    crash_rounds(Server::start_with(&["--controller=false"])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_writes_survive_kill_9_on_etcd() {
    let etcd = EtcdCluster::start(1);
    let endpoints = etcd.endpoints();
    crash_rounds(Server::start_with(&[
        "--controller=false",
        "--etcd-servers",
        &endpoints,
    ]))
    .await;
}
