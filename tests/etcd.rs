//! The server on etcd, end to end: where objects are kept, TLS to etcd, restarts, and continue
//! tokens that outlive compaction. (Replicas and faults are in replicas.rs; the storage
//! contract itself in the storage unit tests.)

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use common::etcd::EtcdCluster;
use common::http::{foo, send};
use common::{Server, ok};
use http::Method;
use serde_json::{Value, json};

const FOOS: &str = "/apis/demo.jeremyxu2010.me/v1beta1/foos";

/// A range read through etcd's JSON gateway: the keys under `prefix`.
fn etcd_keys(endpoint: &str, prefix: &str) -> Vec<String> {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut end = prefix.as_bytes().to_vec();
    *end.last_mut().expect("a prefix") += 1;
    let body = json!({"key": b64(prefix.as_bytes()), "range_end": b64(&end), "keys_only": true})
        .to_string();
    let address = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to etcd");
    write!(
        stream,
        "POST /v3/kv/range HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (_, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let body: Value = serde_json::from_str(body.trim()).expect("JSON from etcd");
    let decode = |key: &Value| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.as_str().unwrap())
            .unwrap();
        String::from_utf8(bytes).unwrap()
    };
    body["kvs"]
        .as_array()
        .map(|kvs| kvs.iter().map(|kv| decode(&kv["key"])).collect())
        .unwrap_or_default()
}

/// A server on `etcd`, with `flags` besides.
fn on(etcd: &EtcdCluster, flags: &[&str]) -> Server {
    let endpoints = etcd.endpoints();
    let mut all = vec!["--controller=false", "--etcd-servers", &endpoints];
    all.extend_from_slice(flags);
    Server::start_with(&all)
}

async fn create(client: &kube::Client, names: &[&str]) {
    for name in names {
        let body = serde_json::to_vec(&foo(name, "hi")).unwrap();
        send(client, Method::POST, FOOS, &[], Some(body))
            .await
            .expect(201);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_live_in_etcd_under_the_prefix_and_survive_a_restart() {
    let etcd = EtcdCluster::start(1);
    let server = on(&etcd, &["--etcd-prefix", "/custom/"]);
    let client = server.client().await;
    create(&client, &["a", "b"]).await;
    assert_eq!(
        etcd_keys(&etcd.endpoint(0), "/custom/"),
        [
            "/custom/demo.jeremyxu2010.me/foos/a",
            "/custom/demo.jeremyxu2010.me/foos/b"
        ]
    );
    assert!(
        !server.dir.path().join("db").exists(),
        "no embedded database"
    );

    let server = server.kill_and_restart();
    let client = server.client().await;
    let list = send(&client, Method::GET, FOOS, &[], None)
        .await
        .expect(200);
    let names: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let kubectl = &common::kubectls()[0];
    let out = ok(&kubectl.run(&server.kubeconfig(), &["get", "foos", "-o", "name"]));
    assert_eq!(
        out,
        "foo.demo.jeremyxu2010.me/a\nfoo.demo.jeremyxu2010.me/b\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_continue_token_expires_once_etcd_compacts_its_revision() {
    let etcd = EtcdCluster::start(1);
    let server = on(&etcd, &["--compaction-interval", "1s"]);
    let client = server.client().await;
    create(&client, &["a", "b", "c"]).await;
    let page = send(&client, Method::GET, &format!("{FOOS}?limit=1"), &[], None)
        .await
        .expect(200);
    let token = page["metadata"]["continue"].as_str().unwrap().to_owned();
    let next = format!("{FOOS}?limit=1&continue={token}");
    assert_eq!(
        send(&client, Method::GET, &next, &[], None)
            .await
            .expect(200)["items"][0]["metadata"]["name"],
        "b"
    );

    // A newer revision for compaction to reach; each tick compacts to the previous one's.
    create(&client, &["d"]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let expired = loop {
        let reply = send(&client, Method::GET, &next, &[], None).await;
        if reply.status != 200 {
            break reply;
        }
        assert!(Instant::now() < deadline, "never compacted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let status = expired.expect(410);
    assert_eq!(status["reason"], "Expired");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .starts_with("The provided continue parameter is too old"),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn etcd_over_tls_with_a_client_certificate() {
    let etcd = EtcdCluster::start_tls();
    let (ca, cert, key) = etcd.tls_files().unwrap();
    let endpoints = etcd.endpoints();
    let (ca, cert, key) = (
        ca.to_str().unwrap(),
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
    );
    let server = on(
        &etcd,
        &[
            "--etcd-cafile",
            ca,
            "--etcd-certfile",
            cert,
            "--etcd-keyfile",
            key,
        ],
    );
    let client = server.client().await;
    create(&client, &["a"]).await;
    send(&client, Method::GET, &format!("{FOOS}/a"), &[], None)
        .await
        .expect(200);

    // Without the client certificate etcd refuses the connection: the server says why and
    // exits instead of serving.
    let dir = tempfile::tempdir().unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_foo-apiserver"))
        .args(["local", "--secure-port", "0", "--etcd-servers", &endpoints])
        .args(["--etcd-cafile", ca, "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("connecting to etcd at https://"),
        "{stderr}"
    );
    assert!(stderr.contains("--etcd-certfile"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_fails_while_etcd_is_down() {
    let mut etcd = EtcdCluster::start(1);
    let server = on(&etcd, &[]);
    let client = server.client().await;
    let readyz = || send(&client, Method::GET, "/readyz?verbose", &[], None);
    assert!(readyz().await.text().contains("[+]storage ok"));

    etcd.kill(0);
    let down = readyz().await;
    assert_eq!(down.status, 500, "{}", down.text());
    assert!(down.text().contains("[-]storage failed"), "{}", down.text());

    etcd.restart(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while readyz().await.status != 200 {
        assert!(
            Instant::now() < deadline,
            "still not ready after etcd came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
