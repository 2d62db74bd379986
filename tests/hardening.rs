//! Requests that once took the server down or hung it, each sent as it was found: every one is
//! answered with a Status, changes nothing it should not, and leaves the server serving.

mod common;

use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use common::http::{FOOS, JSON, Reply, foo, send};
use http::Method;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use serde_json::{Value, json};

const JSON_PATCH: &str = "application/json-patch+json";
const MERGE_PATCH: &str = "application/merge-patch+json";
const STRATEGIC: &str = "application/strategic-merge-patch+json";
const APPLY: &str = "application/apply-patch+yaml";
/// Longer than any answer may take: a hang fails the test instead of stalling it.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);
/// For requests of megabytes or on lists of 50,000 items, which take seconds in a debug build:
/// longer than the server's request timeout (60 s), so that work gone quadratic shows as 504.
const LONG_ANSWER_WITHIN: Duration = Duration::from_secs(90);

struct Env {
    server: common::Server,
    client: kube::Client,
}

impl Env {
    async fn start() -> Env {
        let server = common::Server::start_with(&["--controller=false"]);
        let client = server.client().await;
        Env { server, client }
    }

    async fn send(&self, method: Method, uri: &str, content_type: &str, body: Value) -> Reply {
        self.send_text(method, uri, content_type, body.to_string(), ANSWER_WITHIN)
            .await
    }

    /// Sends `body` as it is; the answer must come `within`.
    async fn send_text(
        &self,
        method: Method,
        uri: &str,
        content_type: &str,
        body: String,
        within: Duration,
    ) -> Reply {
        let headers = [("content-type", content_type)];
        let request = send(&self.client, method, uri, &headers, Some(body.into_bytes()));
        tokio::time::timeout(within, request)
            .await
            .unwrap_or_else(|_| panic!("no answer to {uri} within {within:?}"))
    }

    async fn get(&self, uri: &str) -> Reply {
        tokio::time::timeout(
            ANSWER_WITHIN,
            send(&self.client, Method::GET, uri, &[], None),
        )
        .await
        .unwrap_or_else(|_| panic!("no answer to GET {uri} within {ANSWER_WITHIN:?}"))
    }

    async fn create(&self, name: &str) -> Value {
        self.send(Method::POST, FOOS, JSON, foo(name, "Hello"))
            .await
            .expect(201)
    }

    /// curl with the admin certificate (kube's client retries a 504, curl shows it once):
    /// the body and `<HTTP version> <code>`.
    fn curl(&self, args: &[&str], path: &str) -> (Value, String) {
        let pki = self.server.dir.path().join("pki");
        let output = Command::new("curl")
            .args(["-sS", "--max-time", "20"])
            .arg("--cacert")
            .arg(pki.join("ca.crt"))
            .arg("--cert")
            .arg(pki.join("admin.crt"))
            .arg("--key")
            .arg(pki.join("admin.key"))
            .args(args)
            .args(["-w", "\n%{http_version} %{http_code}"])
            .arg(format!("{}{path}", self.server.url))
            .output()
            .expect("curl");
        let out = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "curl {args:?} {path} failed: {}\n{out}",
            String::from_utf8_lossy(&output.stderr)
        );
        let (body, code) = out.rsplit_once('\n').unwrap();
        let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        (body, code.to_owned())
    }

    /// POSTs `body` to `path` over a new HTTP/2 connection with the admin certificate, as
    /// JSON: the status code and the answer.
    async fn post_over_http2(&self, path: &str, body: Bytes) -> (u16, Value) {
        let pki = self.server.dir.path().join("pki");
        let pem = |file: &str| std::fs::read_to_string(pki.join(file)).unwrap();
        let tls =
            common::cluster::tls_client_pem(&pem("ca.crt"), &pem("admin.crt"), &pem("admin.key"));
        let mut tls = (*tls).clone();
        tls.alpn_protocols = vec![b"h2".to_vec()];
        let authority = self.server.url.trim_start_matches("https://").to_owned();
        let tcp = tokio::net::TcpStream::connect(&authority).await.unwrap();
        let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls))
            .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
            .await
            .unwrap();
        let (mut sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
        tokio::spawn(connection);
        let request = http::Request::post(format!("https://{authority}{path}"))
            .header("content-type", JSON)
            .body(Full::new(body))
            .unwrap();
        let answer = async {
            let response = sender.send_request(request).await.expect("an answer");
            let code = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .expect("the whole answer");
            (
                code,
                serde_json::from_slice(&body.to_bytes()).expect("a JSON answer"),
            )
        };
        tokio::time::timeout(ANSWER_WITHIN, answer)
            .await
            .unwrap_or_else(|_| panic!("no answer to POST {path} within {ANSWER_WITHIN:?}"))
    }

    async fn alive(&self) {
        assert_eq!(
            self.get("/livez").await.text(),
            "ok",
            "{}",
            self.server.log()
        );
    }
}

#[tokio::test]
async fn a_json_patch_whose_undo_would_panic_is_a_status() {
    let env = Env::start().await;
    let created = env.create("undo").await;
    let patch = json!([
        {"op": "add", "path": "/z", "value": {"b": 1}},
        {"op": "move", "from": "/z/b", "path": "/z"},
        {"op": "test", "path": "/z", "value": 2},
    ]);
    let reply = env
        .send(Method::PATCH, &format!("{FOOS}/undo"), JSON_PATCH, patch)
        .await;
    assert_eq!(reply.expect(422)["reason"], "Invalid");
    assert_eq!(env.get(&format!("{FOOS}/undo")).await.expect(200), created);
    env.alive().await;
}

#[tokio::test]
async fn a_dry_run_patch_that_sets_an_old_resource_version_is_a_conflict() {
    let env = Env::start().await;
    let created = env.create("stale").await;
    let patch = json!([{
        "op": "replace",
        "path": "/metadata",
        "value": {"name": "stale", "resourceVersion": "1"},
    }]);
    for uri in [format!("{FOOS}/stale?dryRun=All"), format!("{FOOS}/stale")] {
        let reply = env
            .send(Method::PATCH, &uri, JSON_PATCH, patch.clone())
            .await;
        assert_eq!(
            reply.expect(409)["message"],
            "Operation cannot be fulfilled on foos.demo.jeremyxu2010.me \"stale\": the object has been modified; please apply your changes to the latest version and try again"
        );
    }
    assert_eq!(env.get(&format!("{FOOS}/stale")).await.expect(200), created);
}

#[tokio::test]
async fn a_bar_count_at_the_maximum_stays_there() {
    let env = Env::start().await;
    env.create("counted").await;
    let status = json!({"status": {"barCount": i64::MAX}});
    env.send(
        Method::PATCH,
        &format!("{FOOS}/counted/status"),
        MERGE_PATCH,
        status,
    )
    .await
    .expect(200);
    env.send(
        Method::POST,
        &format!("{FOOS}/counted/bar"),
        JSON,
        json!({}),
    )
    .await
    .expect(200);
    let counted = env.get(&format!("{FOOS}/counted")).await.expect(200);
    assert_eq!(counted["status"]["barCount"], i64::MAX);
    // The object is still writable.
    let spec = json!({"spec": {"greeting": "Hi"}});
    env.send(Method::PATCH, &format!("{FOOS}/counted"), MERGE_PATCH, spec)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_watch_from_a_revision_not_written_yet_is_a_504() {
    let env = Env::start().await;
    let current = env.get(FOOS).await.expect(200)["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let far = 1u64 << 50;
    let (status, code) = env.curl(&[], &format!("{FOOS}?watch=1&resourceVersion={far}"));
    assert_eq!(code, "2 504");
    assert_eq!(
        status,
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": format!("Timeout: Too large resource version: {far}, current: {current}"),
            "reason": "Timeout",
            "details": {
                "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                "retryAfterSeconds": 1,
            },
            "code": 504,
        })
    );
    env.alive().await;
}

/// The 413 reaches an HTTP/2 client every time, before its stream is reset: the server answers
/// before it has read the whole body, then resets the stream with NO_ERROR, as Go's does.
/// (curl is no judge here: it sometimes ends its upload short after such an early answer and
/// reports the reset that follows as an error, from Go's server too.)
#[tokio::test]
async fn an_oversized_body_over_http2_gets_its_413() {
    let env = Env::start().await;
    let big = Bytes::from(foo("big", &"x".repeat(4 << 20)).to_string());
    for attempt in 0..10 {
        let (code, status) = env.post_over_http2(FOOS, big.clone()).await;
        assert_eq!(code, 413, "attempt {attempt}: {status}");
        assert_eq!(status["reason"], "RequestEntityTooLarge", "{status}");
    }
    env.alive().await;
}

/// `foo-apiserver` serving everyone anonymously (as `system:anonymous`, who is not exempt from
/// the limits) with `flags`; killed when dropped.
struct Anonymous {
    child: std::process::Child,
    dir: tempfile::TempDir,
    url: String,
}

impl Anonymous {
    fn start(flags: &[&str]) -> Anonymous {
        use std::io::{BufRead, BufReader};
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_foo-apiserver"))
            .args(["--secure-port=0", "--bind-address=127.0.0.1"])
            .args(["--authorization-mode=AlwaysAllow", "--data-dir"])
            .arg(dir.path().join("data"))
            .arg("--cert-dir")
            .arg(dir.path().join("certs"))
            .args(flags)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let mut lines = stderr.lines().map_while(Result::ok);
        let url = lines
            .find_map(|l| {
                l.split_once("ready to serve on ")
                    .map(|(_, u)| u.to_owned())
            })
            .expect("ready")
            .replace("0.0.0.0", "127.0.0.1");
        std::thread::spawn(move || lines.for_each(drop));
        Anonymous { child, dir, url }
    }

    fn curl(&self, args: &[&str], path: &str) -> Command {
        let mut command = Command::new("curl");
        command
            .args(["-sSk", "--max-time", "30"])
            .args(args)
            .args(["-w", "\n%{http_code}"])
            .arg(format!("{}{path}", self.url))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    }

    /// The body and the status code.
    fn answer(&self, args: &[&str], path: &str) -> (String, String) {
        let output = self.curl(args, path).output().unwrap();
        let out = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, code) = out.rsplit_once('\n').unwrap();
        (body.to_owned(), code.to_owned())
    }
}

impl Drop for Anonymous {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A POST of a Foo whose body trickles in at 20 kB/s for about ten seconds.
fn trickling_post(server: &Anonymous) -> Vec<String> {
    let body = server.dir.path().join("slow.json");
    std::fs::write(&body, foo("slow", &"x".repeat(200_000)).to_string()).unwrap();
    let data = format!("@{}", body.display());
    [
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--limit-rate",
        "20k",
    ]
    .into_iter()
    .map(String::from)
    .chain(["--data-binary".into(), data])
    .collect()
}

#[test]
fn requests_not_answered_within_the_request_timeout_are_504_but_watches_go_on() {
    let server = Anonymous::start(&["--request-timeout=1s"]);
    // The body is read within the request's time too.
    let slow = trickling_post(&server);
    let slow: Vec<&str> = slow.iter().map(String::as_str).collect();
    let (body, code) = server.answer(&slow, FOOS);
    assert_eq!(code, "504", "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "Timeout: request did not complete within requested timeout - context deadline exceeded",
            "reason": "Timeout", "details": {}, "code": 504,
        })
    );
    // A watch lasts as long as it asks.
    let started = std::time::Instant::now();
    let (body, code) = server.answer(&[], &format!("{FOOS}?watch=1&timeoutSeconds=2"));
    assert_eq!(code, "200", "{body}");
    assert!(started.elapsed() >= Duration::from_secs(2));

    let (body, code) = server.answer(&[], &format!("{FOOS}?timeout=soon"));
    assert_eq!(code, "400", "{body}");
    let (body, code) = server.answer(&[], &format!("{FOOS}?timeout=30s"));
    assert_eq!(code, "200", "{body}");
}

#[test]
fn writes_beyond_the_in_flight_limit_are_429() {
    let server = Anonymous::start(&["--max-mutating-requests-inflight=1"]);
    // A write whose body trickles in holds the one slot for writes.
    let slow = trickling_post(&server);
    let slow: Vec<&str> = slow.iter().map(String::as_str).collect();
    let mut slow = server.curl(&slow, FOOS).spawn().unwrap();
    // Let it take the slot before the others come (it holds it for about ten seconds).
    std::thread::sleep(Duration::from_secs(1));
    let post = ["-X", "POST", "-H", "Content-Type: application/json"];
    let deadline = std::time::Instant::now() + ANSWER_WITHIN;
    let refused = loop {
        let output = server
            .curl(
                &[&post[..], &["-i", "-d", &foo("fast", "Hi").to_string()]].concat(),
                FOOS,
            )
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&output.stdout).into_owned();
        if out.ends_with("\n429") {
            break out;
        }
        if std::time::Instant::now() > deadline {
            let _ = slow.kill();
            let slow = slow.wait_with_output().unwrap();
            panic!(
                "never refused: {out}\nthe slow write: {} {}",
                String::from_utf8_lossy(&slow.stdout),
                String::from_utf8_lossy(&slow.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let lower = refused.to_ascii_lowercase();
    assert!(lower.contains("retry-after: 1\r\n"), "{refused}");
    assert!(
        refused.contains("\r\n\r\nToo many requests, please try again later.\n"),
        "{refused}"
    );
    // Reads have their own limit.
    assert_eq!(server.answer(&[], FOOS).1, "200");
    let _ = slow.kill();
    let _ = slow.wait();
}

#[tokio::test]
async fn an_object_larger_than_storage_takes_is_413_and_not_stored() {
    let env = Env::start().await;
    let mut big = foo("big", "Hello");
    let labels: serde_json::Map<String, Value> = (0..14_000)
        .map(|i| (format!("label-{i:0>50}"), json!("v".repeat(63))))
        .collect();
    big["metadata"]["labels"] = Value::Object(labels);
    let reply = env.send(Method::POST, FOOS, JSON, big).await;
    assert_eq!(
        reply.expect(413)["message"],
        "Request entity too large: limit is 1572864"
    );
    env.get(&format!("{FOOS}/big")).await.expect(404);
}

#[tokio::test]
async fn headers_over_a_megabyte_are_431() {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let env = Env::start().await;
    let ca = std::fs::read(env.server.dir.path().join("pki/ca.crt")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(&ca).unwrap())
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let address = env.server.url.trim_start_matches("https://");
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let big = "h".repeat(1 << 20);
    let request = format!("GET /livez HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\n\r\n");
    // The server may answer and close before it has read all of it.
    let _ = tls.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(ANSWER_WITHIN, tls.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large"),
        "{answer}"
    );
    env.alive().await;
}

#[tokio::test]
async fn a_json_patch_that_copies_a_value_into_itself_is_bounded() {
    let env = Env::start().await;
    let created = env.create("copies").await;
    let mut patch = vec![json!({"op": "add", "path": "/spec/x", "value": {"a": "x".repeat(1000)}})];
    // Each copy of x into a new child of x doubles it.
    patch.extend(
        (0..40).map(|i| json!({"op": "copy", "from": "/spec/x", "path": format!("/spec/x/k{i}")})),
    );
    let reply = env
        .send(
            Method::PATCH,
            &format!("{FOOS}/copies"),
            JSON_PATCH,
            Value::Array(patch),
        )
        .await;
    assert_eq!(reply.expect(422)["reason"], "Invalid");
    assert_eq!(
        env.get(&format!("{FOOS}/copies")).await.expect(200),
        created
    );
    env.alive().await;
}

/// Merging and tracking the fields of long lists takes a while (seconds in a debug build); it
/// runs off the async workers, so the server answers meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn long_merges_do_not_stall_the_server() {
    let env = Env::start().await;
    env.create("long").await;
    let owners: Vec<Value> = (0..10_000)
        .map(|i| json!({"apiVersion": "v1", "kind": "K", "name": "n", "uid": format!("u{i}")}))
        .collect();
    let patch = json!({"metadata": {"ownerReferences": owners}});
    let merges: Vec<_> = (0..2)
        .map(|_| {
            let client = env.client.clone();
            let body = patch.to_string().into_bytes();
            tokio::spawn(async move {
                let uri = format!("{FOOS}/long?dryRun=All");
                let headers = [("content-type", "application/strategic-merge-patch+json")];
                send(&client, Method::PATCH, &uri, &headers, Some(body)).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        env.alive().await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "/livez took {:?} during the merges",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for merge in merges {
        merge.await.unwrap().expect(200);
    }
}

/// kube-apiserver's warning recorder bounds the warnings of a response; its strict decoding
/// error lists every unknown field, which is listed up to 100 here.
#[tokio::test]
async fn a_body_with_100000_unknown_fields_is_answered_within_bounds() {
    let env = Env::start().await;
    let mut body = foo("fields", "Hello");
    let unknown = (0..100_000).map(|i| (format!("u{i:06}"), json!(1)));
    body["spec"].as_object_mut().unwrap().extend(unknown);

    let uri = format!("{FOOS}?fieldValidation=Strict");
    let strict = env.send(Method::POST, &uri, JSON, body.clone()).await;
    let message = strict.expect(400)["message"].as_str().unwrap().to_owned();
    let listed = (0..100).map(|i| format!(r#"unknown field "spec.u{i:06}""#));
    let expected = format!(
        r#"Foo in version "v1beta1" cannot be handled as a Foo: strict decoding error: {}, and 99900 more errors"#,
        listed.collect::<Vec<_>>().join(", ")
    );
    assert_eq!(message, expected);
    env.get(&format!("{FOOS}/fields")).await.expect(404);

    // Over HTTP/2 (kube's client reads at most 100 headers over HTTP/1.1, curl any number).
    let dir = env.server.dir.path();
    std::fs::write(dir.join("fields.json"), body.to_string()).unwrap();
    let (headers, data) = (
        dir.join("headers"),
        format!("@{}", dir.join("fields.json").display()),
    );
    let post = [
        "--http2",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
    ];
    let dump = ["-D", headers.to_str().unwrap(), "--data-binary", &data];
    let (created, code) = env.curl(&[&post[..], &dump].concat(), FOOS);
    assert_eq!(code, "2 201", "{created}");
    assert!(created["spec"].get("u000000").is_none(), "{created}");
    // 146 warnings of 28 characters fit in 4096; the 147th starts the cutting to 256
    // characters (they are shorter) and takes the total over 4096, so none follows.
    let headers = std::fs::read_to_string(headers).unwrap();
    let warnings: Vec<&str> = headers
        .lines()
        .filter_map(|line| line.strip_prefix("warning: "))
        .collect();
    let expected: Vec<String> = (0..147)
        .map(|i| format!(r#"299 - "unknown field \"spec.u{i:06}\"""#))
        .collect();
    assert_eq!(warnings, expected);
    env.alive().await;
}

#[tokio::test]
async fn an_object_with_100000_invalid_finalizers_lists_100_of_them() {
    let env = Env::start().await;
    let mut body = foo("invalid", "Hello");
    body["metadata"]["finalizers"] = (0..100_000).map(|i| json!(format!("-{i}"))).collect();
    let status = env.send(Method::POST, FOOS, JSON, body).await.expect(422);
    let causes = status["details"]["causes"].as_array().unwrap();
    assert_eq!(causes.len(), 101);
    assert_eq!(causes[99]["field"], "metadata.finalizers[99]");
    assert_eq!(causes[100], json!({"message": "and 99900 more errors"}));
    let message = status["message"].as_str().unwrap();
    assert!(
        message.starts_with(r#"Foo.demo.jeremyxu2010.me "invalid" is invalid: [metadata.finalizers[0]: Invalid value: "-0": "#),
        "{message}"
    );
    assert!(message.ends_with(", and 99900 more errors]"), "{message}");
    assert!(message.len() < 40_000, "{} bytes", message.len());
    env.get(&format!("{FOOS}/invalid")).await.expect(404);
    env.alive().await;
}

/// JSON patches that nest a value in itself over and over: copies of `spec` into `spec.x`;
/// moves of `spec.x` into a new map (three operations a level); and moves of `spec.x` to the
/// bottom of 119 nested maps, 2,600 times, 310,000 levels deep: too deep to serialize or drop
/// without overflowing the stack, which killed the server. A patched object may nest 128
/// levels, as deep as a body may; deeper is kube's 422 for a patch that cannot be applied. So
/// is a patch whose depth checks would take too long: one moving 600,000 items a level down
/// and back up 5,000 times.
#[tokio::test]
async fn json_patches_nesting_values_without_end_are_refused() {
    let env = Env::start().await;
    let created = env.create("deep").await;
    let uri = format!("{FOOS}/deep");
    let copies = vec![json!({"op": "copy", "from": "/spec", "path": "/spec/x"}); 5_000];
    // `spec.x` holds `levels` maps, 2 + levels deep in the object.
    let nested = |levels: usize| {
        let mut operations = vec![json!({"op": "add", "path": "/spec/x", "value": {}})];
        for _ in 1..levels {
            operations.extend([
                json!({"op": "add", "path": "/spec/t", "value": {}}),
                json!({"op": "move", "from": "/spec/x", "path": "/spec/t/x"}),
                json!({"op": "move", "from": "/spec/t", "path": "/spec/x"}),
            ]);
        }
        operations
    };
    let maps = (0..119).fold(json!({}), |inner, _| json!({ "x": inner }));
    let bottom = format!("/spec/t{}", "/x".repeat(120));
    let mut chunks = vec![json!({"op": "add", "path": "/spec/x", "value": {}})];
    for _ in 0..2_600 {
        chunks.extend([
            json!({"op": "add", "path": "/spec/t", "value": maps}),
            json!({"op": "move", "from": "/spec/x", "path": bottom}),
            json!({"op": "move", "from": "/spec/t", "path": "/spec/x"}),
        ]);
    }
    let mut moves = vec![
        json!({"op": "add", "path": "/spec/x", "value": vec![0; 600_000]}),
        json!({"op": "add", "path": "/spec/t", "value": {}}),
    ];
    for _ in 0..4_999 {
        moves.extend([
            json!({"op": "move", "from": "/spec/x", "path": "/spec/t/x"}),
            json!({"op": "move", "from": "/spec/t/x", "path": "/spec/x"}),
        ]);
    }
    let patches = [copies, nested(127), chunks, moves];
    for patch in patches.map(Value::Array) {
        // Megabytes of operations take seconds to parse in a debug build.
        let body = patch.to_string();
        let reply = env
            .send_text(Method::PATCH, &uri, JSON_PATCH, body, LONG_ANSWER_WITHIN)
            .await;
        assert_eq!(
            reply.expect(422)["message"],
            "the server rejected our request due to an error in our request"
        );
    }
    assert_eq!(env.get(&uri).await.expect(200), created);
    // 128 levels are fine; spec.x is an unknown field, dropped.
    let deepest = Value::Array(nested(126));
    let reply = env.send(Method::PATCH, &uri, JSON_PATCH, deepest).await;
    assert_eq!(reply.expect(200)["spec"], created["spec"]);
    env.alive().await;
}

/// Server-side apply bodies are YAML, whose aliases can expand exponentially ("billion
/// laughs"): the parser's budget refuses them, and deep nesting, with a 400 at once.
#[tokio::test]
async fn yaml_bombs_in_apply_bodies_are_refused() {
    let env = Env::start().await;
    let created = env.create("bombed").await;
    let head = "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: bombed\nspec:\n  greeting: Hello\n";
    let mut laughs = format!("{head}  a0: &a0 [{}]\n", ["lol"; 10].join(", "));
    for i in 1..10 {
        let aliases = vec![format!("*a{}", i - 1); 10].join(", ");
        laughs += &format!("  a{i}: &a{i} [{aliases}]\n");
    }
    let aliases = format!(
        "{head}  a: &a x\n  b: [{}]\n",
        vec!["*a"; 100_000].join(", ")
    );
    let deep = format!("{head}  x: {}{}\n", "[".repeat(65), "]".repeat(65));
    let uri = format!("{FOOS}/bombed?fieldManager=bomber");
    for body in [laughs, aliases, deep] {
        let reply = env
            .send_text(Method::PATCH, &uri, APPLY, body, ANSWER_WITHIN)
            .await;
        let status = reply.expect(400);
        let message = status["message"].as_str().unwrap();
        assert!(message.starts_with("error decoding YAML: "), "{message}");
        assert!(message.contains("budget breached"), "{message}");
    }
    assert_eq!(
        env.get(&format!("{FOOS}/bombed")).await.expect(200),
        created
    );
    env.alive().await;
}

/// Strategic merge directives by the hundred thousand against lists of 50,000 items, and the
/// managed fields of those lists, in near-linear time: seconds in a debug build, where the
/// quadratic algorithms of apimachinery took minutes.
#[tokio::test(flavor = "multi_thread")]
async fn long_directive_lists_merge_in_near_linear_time() {
    let env = Env::start().await;
    let strings = |prefix: &str, n: usize| -> Vec<Value> {
        (0..n).map(|i| json!(format!("{prefix}{i}"))).collect()
    };
    let owners: Vec<Value> = (0..10_000)
        .map(|i| json!({"apiVersion": "v1", "kind": "K", "name": "n", "uid": format!("u{i}")}))
        .collect();
    let labels: serde_json::Map<String, Value> =
        (0..50_000).map(|i| (format!("k{i}"), json!("v"))).collect();
    let objects = [
        ("finalized", json!({"finalizers": strings("a/", 50_000)})),
        ("labelled", json!({"labels": labels})),
        ("owned", json!({"ownerReferences": owners})),
    ];
    for (name, metadata) in objects {
        let mut object = foo(name, "Hello");
        object["metadata"]
            .as_object_mut()
            .unwrap()
            .extend(metadata.as_object().unwrap().clone());
        let body = object.to_string();
        let reply = env
            .send_text(Method::POST, FOOS, JSON, body, LONG_ANSWER_WITHIN)
            .await;
        reply.expect(201);
    }
    let mut order = strings("a/", 50_000);
    order.reverse();
    order.extend(strings("b/", 50_000));
    let deletions: Vec<Value> = (0..85_000)
        .map(|i| json!({"uid": format!("v{i}"), "$patch": "delete"}))
        .collect();
    let patches = [
        (
            "finalized",
            json!({"$deleteFromPrimitiveList/finalizers": strings("b/", 100_000)}),
        ),
        (
            "finalized",
            json!({"$setElementOrder/finalizers": order, "finalizers": strings("b/", 50_000)}),
        ),
        (
            "labelled",
            json!({"labels": {"$retainKeys": strings("k", 100_000)}}),
        ),
        ("owned", json!({"ownerReferences": deletions})),
    ];
    for (name, metadata) in patches {
        let uri = format!("{FOOS}/{name}?dryRun=All");
        let body = json!({"metadata": metadata}).to_string();
        let reply = env
            .send_text(Method::PATCH, &uri, STRATEGIC, body, LONG_ANSWER_WITHIN)
            .await;
        reply.expect(200);
    }
    env.alive().await;
}

/// Numbers at the ends of their types in queries and bodies: answered as kube-apiserver
/// answers them, never with a panic's 500.
#[tokio::test]
async fn numbers_at_the_ends_of_their_types_are_answered() {
    let env = Env::start().await;
    env.create("numbers").await;
    let (max, huge) = (i64::MAX, u64::MAX);
    let queries = [
        (format!("?limit={max}"), 200),
        (format!("?limit=-{max}"), 200),
        ("?limit=99999999999999999999".to_owned(), 400),
        (
            format!("?resourceVersion={huge}&resourceVersionMatch=Exact"),
            504,
        ),
        (format!("?resourceVersion={max}"), 504),
        (
            format!("?watch=1&timeoutSeconds={max}&resourceVersion={huge}"),
            504,
        ),
        (
            format!("?watch=1&timeoutSeconds=-{max}&resourceVersion={huge}"),
            504,
        ),
        ("?timeout=99999999999999999999h".to_owned(), 400),
        (format!("?timeout={max}s"), 200),
    ];
    for (query, code) in queries {
        let (status, answer) = env.curl(&[], &format!("{FOOS}{query}"));
        assert_eq!(answer, format!("2 {code}"), "{query}: {status}");
    }
    let uri = format!("{FOOS}/numbers");
    let status = json!({"status": {"barCount": max, "observedGeneration": max}});
    let reply = env
        .send(Method::PATCH, &format!("{uri}/status"), MERGE_PATCH, status)
        .await;
    assert_eq!(reply.expect(200)["status"]["observedGeneration"], max);
    // The generation is the server's to count.
    let spec = json!({"metadata": {"generation": max}, "spec": {"greeting": "Hi"}});
    let reply = env.send(Method::PATCH, &uri, MERGE_PATCH, spec).await;
    assert_eq!(reply.expect(200)["metadata"]["generation"], 2);
    let query = format!("{uri}?gracePeriodSeconds=-{max}");
    let (deleted, answer) = env.curl(&["-X", "DELETE"], &query);
    assert_eq!(answer, "2 200", "{deleted}");
    env.get(&uri).await.expect(404);
    env.alive().await;
}

#[tokio::test]
async fn only_one_owner_reference_may_be_the_controller() {
    let env = Env::start().await;
    let owner = |kind: &str, name: &str| {
        json!({"apiVersion": "v1", "kind": kind, "name": name, "uid": format!("uid-{name}"),
               "controller": true})
    };
    let mut two = foo("two-controllers", "Hello");
    two["metadata"]["ownerReferences"] = json!([owner("A", "a"), owner("B", "b")]);
    let status = env.send(Method::POST, FOOS, JSON, two).await.expect(422);
    let message = status["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Foo.demo.jeremyxu2010.me \"two-controllers\" is invalid: metadata.ownerReferences: Invalid value: []v1.OwnerReference{")
            && message.ends_with(": Only one reference can have Controller set to true. Found \"true\" in references for A/a and B/b"),
        "{status}"
    );
    env.get(&format!("{FOOS}/two-controllers"))
        .await
        .expect(404);
    env.alive().await;
}
