//! foo-apiserver aggregated into a real kube-apiserver (`common::cluster`), installed from the
//! manifests `foo-apiserver manifests` prints: everything but the Deployments, which need a
//! kubelet; the server and its controllers run here as processes with their ServiceAccounts'
//! tokens, so that authentication and authorization are delegated through TokenReview and
//! SubjectAccessReview, and the Service is an `ExternalName` for localhost.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::cluster::Cluster;
use common::http::{FOOS, send};
use common::{Kubectl, each_kubectl, kubectls, plugin_dir, tag};
use http::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

const NAMESPACE: &str = "foo-system";
const NAME: &str = "foo-apiserver";
const SERVICE_HOST: &str = "foo-apiserver.foo-system.svc";
const API_SERVICE: &str = "v1beta1.demo.jeremyxu2010.me";
/// The longest a step that waits for the cluster may take.
const WAIT: Duration = Duration::from_secs(120);

/// A process of ours whose stderr goes to a file, killed when dropped.
struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    fn spawn(dir: &Path, name: &str, args: &[String]) -> Process {
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_foo-apiserver"))
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("log file"))
            .spawn()
            .expect("start foo-apiserver");
        Process { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for `text` in the log and returns the rest of its line.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let log = self.log();
            if let Some(at) = log.find(text) {
                let rest = &log[at + text.len()..];
                return rest.lines().next().unwrap_or_default().trim().to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("exited ({status}) before logging {text:?}:\n{log}");
            }
            assert!(Instant::now() < deadline, "no {text:?} in:\n{log}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A cluster with foo-apiserver installed from its manifests and Available.
struct Aggregated {
    cluster: Cluster,
    dir: TempDir,
    server: Process,
    /// `https://127.0.0.1:<port>`: foo-apiserver itself.
    server_url: String,
}

impl Aggregated {
    fn start() -> Aggregated {
        let cluster = Cluster::start();
        let dir = tempfile::tempdir().expect("tempdir");
        let certs = dir.path().join("certs");
        let manifests = foo_apiserver(&[
            "manifests",
            "--namespace",
            NAMESPACE,
            "--name",
            NAME,
            "--cert-dir",
            certs.to_str().unwrap(),
        ]);
        let documents: Vec<Value> = serde_saphyr::from_multiple::<Value>(&manifests)
            .expect("the manifests are YAML")
            .into_iter()
            .filter(|d| !d.is_null())
            .collect();
        let kind = |d: &Value| d["kind"].as_str().unwrap_or_default().to_owned();
        let (registration, rest): (Vec<Value>, Vec<Value>) = documents
            .into_iter()
            .filter(|d| kind(d) != "Deployment")
            .partition(|d| matches!(kind(d).as_str(), "Service" | "APIService"));
        apply(&cluster, dir.path(), "install", rest);

        let kubeconfig = token_kubeconfig(&cluster, dir.path(), NAME);
        let kubeconfig = kubeconfig.to_str().unwrap().to_owned();
        let mut server = Process::spawn(
            dir.path(),
            "foo-apiserver",
            &[
                "--secure-port=0",
                "--bind-address=127.0.0.1",
                &format!("--tls-cert-file={}", certs.join("tls.crt").display()),
                &format!("--tls-private-key-file={}", certs.join("tls.key").display()),
                &format!("--authentication-kubeconfig={kubeconfig}"),
                &format!("--authorization-kubeconfig={kubeconfig}"),
                &format!("--data-dir={}", dir.path().join("data").display()),
            ]
            .map(String::from),
        );
        let address = server.wait_for("ready to serve on https://");
        let port: u16 = address.rsplit(':').next().unwrap().parse().unwrap();

        // The Service points at this process; the APIService at the Service's port.
        let registration = registration
            .into_iter()
            .map(|mut d| {
                if kind(&d) == "Service" {
                    d["spec"] = json!({
                        "type": "ExternalName",
                        "externalName": "localhost",
                        "ports": [{"name": "https", "port": port}],
                    });
                } else {
                    d["spec"]["service"]["port"] = json!(port);
                }
                d
            })
            .collect();
        apply(&cluster, dir.path(), "registration", registration);
        let aggregated = Aggregated {
            cluster,
            dir,
            server,
            server_url: format!("https://127.0.0.1:{port}"),
        };
        let available = aggregated.admin(&[
            "wait",
            "--for=condition=Available",
            &format!("apiservice/{API_SERVICE}"),
            "--timeout=120s",
        ]);
        assert!(
            available.status.success(),
            "the APIService is not Available: {}\n{}\nfoo-apiserver's log:\n{}",
            String::from_utf8_lossy(&available.stderr),
            aggregated.admin_ok(&["get", "apiservice", API_SERVICE, "-o", "yaml"]),
            aggregated.server.log()
        );
        aggregated
    }

    fn admin(&self, args: &[&str]) -> Output {
        kubectl(&self.cluster.kubeconfig(), args)
    }

    fn admin_ok(&self, args: &[&str]) -> String {
        common::ok(&self.admin(args))
    }

    /// The CA of foo-apiserver's serving certificate, written by `manifests --cert-dir`.
    fn serving_ca(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("certs/ca.crt")).expect("ca.crt")
    }

    /// A client of foo-apiserver itself (not through kube-apiserver) as `user`.
    async fn direct(&self, user: User) -> kube::Client {
        let path = self
            .dir
            .path()
            .join(format!("direct-{}.kubeconfig", user.name()));
        write_kubeconfig(
            &path,
            &self.server_url,
            &self.serving_ca(),
            Some(SERVICE_HOST),
            &user,
        );
        common::client_from(&path).await
    }

    /// A kubeconfig for kube-apiserver as the ServiceAccount `namespace/name`'s token.
    fn service_account_kubeconfig(&self, namespace: &str, name: &str) -> PathBuf {
        let token = self.admin_ok(&["create", "token", name, "-n", namespace, "--duration=2h"]);
        let path = self
            .dir
            .path()
            .join(format!("{namespace}-{name}.kubeconfig"));
        let user = User::Token(name.to_owned(), token.trim().to_owned());
        write_kubeconfig(
            &path,
            &self.cluster.url,
            &self.cluster.client_ca_pem(),
            None,
            &user,
        );
        path
    }
}

/// Who a kubeconfig authenticates as.
enum User {
    Anonymous,
    Token(String, String),
    Certificate(String, common::cluster::CertFiles),
}

impl User {
    fn name(&self) -> &str {
        match self {
            User::Anonymous => "anonymous",
            User::Token(name, _) | User::Certificate(name, _) => name,
        }
    }
}

/// A certificate for `user` from a CA of its own, which nothing trusts.
fn foreign_certificate(dir: &Path, user: &str) -> common::cluster::CertFiles {
    let pki =
        aggregated_apiserver::pki::load_or_create_local_pki(&dir.join("foreign")).expect("a CA");
    let pair =
        aggregated_apiserver::pki::issue_client_certificate(&pki.ca, user, None).expect("a cert");
    let (cert, key) = (dir.join("foreign/user.crt"), dir.join("foreign/user.key"));
    std::fs::write(&cert, &pair.cert_pem).unwrap();
    std::fs::write(&key, &pair.key_pem).unwrap();
    common::cluster::CertFiles {
        cert,
        key,
        cert_pem: pair.cert_pem,
        key_pem: pair.key_pem,
    }
}

fn write_kubeconfig(path: &Path, server: &str, ca: &str, server_name: Option<&str>, user: &User) {
    let credentials = match user {
        User::Anonymous => json!({}),
        User::Token(_, token) => json!({"token": token}),
        User::Certificate(_, cert) => json!({
            "client-certificate-data": BASE64.encode(&cert.cert_pem),
            "client-key-data": BASE64.encode(&cert.key_pem),
        }),
    };
    let mut cluster = json!({"server": server, "certificate-authority-data": BASE64.encode(ca)});
    if let Some(name) = server_name {
        cluster["tls-server-name"] = json!(name);
    }
    let kubeconfig = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": credentials}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    });
    std::fs::write(path, kubeconfig.to_string()).expect("write kubeconfig");
}

fn token_kubeconfig(cluster: &Cluster, dir: &Path, service_account: &str) -> PathBuf {
    let output = kubectl(
        &cluster.kubeconfig(),
        &[
            "create",
            "token",
            service_account,
            "-n",
            NAMESPACE,
            "--duration=2h",
        ],
    );
    let token = common::ok(&output);
    let path = dir.join(format!("{service_account}.kubeconfig"));
    let user = User::Token(service_account.to_owned(), token.trim().to_owned());
    write_kubeconfig(&path, &cluster.url, &cluster.client_ca_pem(), None, &user);
    path
}

/// `kubectl apply` of `objects` as one List, as the admin.
fn apply(cluster: &Cluster, dir: &Path, name: &str, objects: Vec<Value>) {
    let path = dir.join(format!("{name}.json"));
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    std::fs::write(&path, list.to_string()).expect("write manifests");
    let args = ["apply", "-f", path.to_str().unwrap()];
    common::ok(&kubectl(&cluster.kubeconfig(), &args));
}

fn foo_apiserver(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_foo-apiserver"))
        .args(args)
        .output()
        .expect("run foo-apiserver");
    common::ok(&output)
}

/// The `kubectl` on PATH against `kubeconfig`.
fn kubectl(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .expect("run kubectl")
}

/// stdout when the command succeeded, else its stderr: what [`eventually`] retries on.
fn outcome(output: &Output) -> Result<String, String> {
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(stderr(output))
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Retries `check` until it returns `Ok` or [`WAIT`] passes (the aggregator's discovery and
/// the authorizers' ten-second caches catch up in their own time).
fn eventually<T>(what: &str, mut check: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        match check() {
            Ok(value) => return value,
            Err(last) if Instant::now() > deadline => panic!("{what}: {last}"),
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }
}

/// Every kubectl 1.27–1.33 through kube-apiserver: discovery, create, get, server-side apply,
/// watch and explain.
fn kubectl_versions(aggregated: &Aggregated) {
    let admin = aggregated.cluster.kubeconfig();
    each_kubectl(|kubectl| {
        let run = |args: &[&str]| kubectl.run(&admin, args);
        let resources = eventually("api-resources lists foos", || {
            let output = run(&["api-resources", "--api-group=demo.jeremyxu2010.me"]);
            let out = String::from_utf8_lossy(&output.stdout).into_owned();
            out.contains("foos").then_some(out).ok_or(stderr(&output))
        });
        let row: Vec<&str> = resources
            .lines()
            .find(|l| l.starts_with("foos"))
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(
            row,
            ["foos", "fo", "demo.jeremyxu2010.me/v1beta1", "false", "Foo"]
        );

        let name = format!("e2e-{}", tag(kubectl));
        let manifest = aggregated.dir.path().join(format!("{name}.yaml"));
        let write = |greeting: &str| {
            let foo = format!(
                "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: {name}\nspec:\n  greeting: {greeting}\n"
            );
            std::fs::write(&manifest, foo).unwrap();
        };
        write("Hi");
        let file = manifest.to_str().unwrap();
        let created = common::ok(&run(&["create", "-f", file]));
        assert_eq!(
            created.trim(),
            format!("foo.demo.jeremyxu2010.me/{name} created")
        );
        let table = common::ok(&run(&["get", "foos", &name]));
        let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
        assert_eq!(header[0], "NAME", "{table}");
        assert!(table.contains(&name), "{table}");

        let mut watch = kubectl
            .command(&admin)
            .args([
                "get",
                "foos",
                &name,
                "-w",
                "-o",
                "jsonpath={.spec.greeting}{\"\\n\"}",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl get -w");
        let lines = Lines::of(&mut watch);
        assert_eq!(lines.next().as_deref(), Some("Hi"), "kubectl get -w");
        write("Hello");
        let applied = common::ok(&run(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            file,
        ]));
        assert_eq!(
            applied.trim(),
            format!("foo.demo.jeremyxu2010.me/{name} serverside-applied")
        );
        assert_eq!(lines.next().as_deref(), Some("Hello"), "kubectl get -w");
        let _ = watch.kill();
        let _ = watch.wait();

        // kube-apiserver merges the server's OpenAPI into its own in its own time.
        eventually("kubectl explain foos.spec", || {
            let output = run(&["explain", "foos.spec"]);
            let out = String::from_utf8_lossy(&output.stdout).into_owned();
            out.contains("greeting")
                .then_some(())
                .ok_or(stderr(&output))
        });
        common::ok(&run(&["delete", "foo", &name]));
    });
}

/// The lines a child prints, as they come.
struct Lines(std::sync::mpsc::Receiver<String>);

impl Lines {
    fn of(child: &mut Child) -> Lines {
        use std::io::BufRead;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines(rx)
    }

    /// The next line, if one comes within [`WAIT`].
    fn next(&self) -> Option<String> {
        self.0.recv_timeout(WAIT).ok()
    }
}

/// `kubectl foo` (through kubectl's plugin dispatch) with `kubeconfig`.
fn plugin(kubectl: &Kubectl, kubeconfig: &Path, args: &[&str]) -> Output {
    let bin = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(
        plugin_dir().join("kubectl-foo"),
        bin.path().join("kubectl-foo"),
    )
    .expect("symlink");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(&kubectl.path)
        .arg("foo")
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env("PATH", path)
        .env("XDG_CACHE_HOME", bin.path())
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("kubectl foo")
}

/// The SDK's examples, run as a user runs them, through kube-apiserver.
fn sdk_examples(kubeconfig: &Path) {
    let example = |name: &str, args: &[&str]| {
        let output = common::cargo()
            .args(["run", "-q", "-p", "foo-sdk", "--example", name, "--"])
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .stdin(Stdio::null())
            .output()
            .expect("cargo run --example");
        common::ok(&output)
    };
    let out = example("create_and_bar", &["sdk-e2e"]);
    assert!(
        out.starts_with("created Foo sdk-e2e with greeting \"Hello\"\n"),
        "{out}"
    );
    assert!(out.contains("(barCount is now 1)"), "{out}");
    let out = example("list", &[]);
    assert!(out.lines().any(|l| l.starts_with("sdk-e2e ")), "{out}");
    let out = example("table", &[]);
    assert!(out.contains("sdk-e2e"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn through_kube_apiserver() {
    let aggregated = Aggregated::start();
    let admin = aggregated.cluster.kubeconfig();
    kubectl_versions(&aggregated);

    // The plugin, as the admin.
    let kubectl = kubectls().pop().expect("a kubectl");
    let run = |kubeconfig: &Path, args: &[&str]| plugin(&kubectl, kubeconfig, args);
    let foo = aggregated.dir.path().join("plugin.json");
    std::fs::write(&foo, common::http::foo("plugin-e2e", "Hey").to_string()).unwrap();
    aggregated.admin_ok(&["create", "-f", foo.to_str().unwrap()]);
    let list = common::ok(&run(&admin, &["list"]));
    assert!(list.contains("plugin-e2e"), "{list}");
    let bar = common::ok(&run(&admin, &["bar", "plugin-e2e"]));
    assert!(bar.contains("Hey"), "{bar}");
    let resources = common::ok(&run(&admin, &["api-resources"]));
    assert!(resources.contains("foos"), "{resources}");

    sdk_examples(&admin);

    // Users bound to the built-in roles, which the manifests' ClusterRoles aggregate into.
    let viewer = aggregated.cluster.user_kubeconfig("alice", None);
    let editor = aggregated.cluster.user_kubeconfig("bob", None);
    aggregated.admin_ok(&[
        "create",
        "clusterrolebinding",
        "alice-view",
        "--clusterrole=view",
        "--user=alice",
    ]);
    aggregated.admin_ok(&[
        "create",
        "clusterrolebinding",
        "bob-edit",
        "--clusterrole=edit",
        "--user=bob",
    ]);
    let list = eventually("alice lists through view", || {
        outcome(&run(&viewer, &["list"]))
    });
    assert!(list.contains("plugin-e2e"), "{list}");
    let refused = run(&viewer, &["bar", "plugin-e2e"]);
    assert!(!refused.status.success());
    let forbidden = r#"foos.demo.jeremyxu2010.me "plugin-e2e" is forbidden: User "alice" cannot create resource "foos/bar" in API group "demo.jeremyxu2010.me" at the cluster scope"#;
    assert!(stderr(&refused).contains(forbidden), "{}", stderr(&refused));
    let bar = eventually("bob calls bar through edit", || {
        outcome(&run(&editor, &["bar", "plugin-e2e"]))
    });
    assert!(bar.contains("Hey"), "{bar}");

    // kubectl --as: kube-apiserver impersonates, foo-apiserver judges the impersonated user.
    let as_alice = aggregated.admin(&["get", "foos", "--as=alice", "-o", "name"]);
    assert!(common::ok(&as_alice).contains("foo.demo.jeremyxu2010.me/plugin-e2e"));
    let as_alice = aggregated.admin(&["delete", "foo", "plugin-e2e", "--as=alice"]);
    assert!(
        stderr(&as_alice).contains(r#"User "alice" cannot delete resource "foos""#),
        "{}",
        stderr(&as_alice)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn straight_to_foo_apiserver_and_its_controllers() {
    let aggregated = Aggregated::start();
    let cluster = &aggregated.cluster;

    // A client CA certificate is a user; the headers it adds are not believed.
    let alice = cluster.user_certificate("alice", Some("devs"));
    let client = aggregated
        .direct(User::Certificate("alice".into(), alice))
        .await;
    let forged = [
        ("X-Remote-User", "admin"),
        ("X-Remote-Group", "system:masters"),
    ];
    let reply = send(&client, Method::GET, FOOS, &forged, None).await;
    assert_eq!(
        reply.expect(403)["message"],
        r#"foos.demo.jeremyxu2010.me is forbidden: User "alice" cannot list resource "foos" in API group "demo.jeremyxu2010.me" at the cluster scope"#
    );
    // A front proxy's headers with a certificate from another CA: 401.
    let stranger = foreign_certificate(aggregated.dir.path(), "front-proxy-client");
    let client = aggregated
        .direct(User::Certificate("stranger".into(), stranger))
        .await;
    let reply = send(&client, Method::GET, FOOS, &forged, None).await;
    assert_eq!(
        reply.expect(401),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
    );
    // kube-apiserver's own front proxy certificate is believed.
    let proxy = cluster.front_proxy_client().clone();
    let client = aggregated
        .direct(User::Certificate("proxy".into(), proxy))
        .await;
    let reply = send(&client, Method::GET, FOOS, &forged, None).await;
    reply.expect(200);

    // A ServiceAccount without RBAC: kube's 403; with a binding to view: served.
    aggregated.admin_ok(&["create", "serviceaccount", "reader", "-n", "default"]);
    let reader = aggregated.admin_ok(&["create", "token", "reader", "-n", "default"]);
    let client = aggregated
        .direct(User::Token("reader".into(), reader.trim().into()))
        .await;
    let reply = send(&client, Method::GET, FOOS, &[], None).await;
    assert_eq!(
        reply.expect(403)["message"],
        r#"foos.demo.jeremyxu2010.me is forbidden: User "system:serviceaccount:default:reader" cannot list resource "foos" in API group "demo.jeremyxu2010.me" at the cluster scope"#
    );
    aggregated.admin_ok(&[
        "create",
        "clusterrolebinding",
        "reader-view",
        "--clusterrole=view",
        "--serviceaccount=default:reader",
    ]);
    let deadline = Instant::now() + WAIT;
    loop {
        let reply = send(&client, Method::GET, FOOS, &[], None).await;
        if reply.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "reader never served: {}",
            reply.text()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Impersonation, judged by SubjectAccessReviews: the admin may, the reader may not.
    let as_reader = [("Impersonate-User", "system:serviceaccount:default:reader")];
    send(&client, Method::GET, FOOS, &as_reader, None)
        .await
        .expect(403);
    let admin = cluster.admin().clone();
    let admin = aggregated
        .direct(User::Certificate("admin".into(), admin))
        .await;
    send(&admin, Method::GET, FOOS, &as_reader, None)
        .await
        .expect(200);
    let as_nobody = [("Impersonate-User", "nobody")];
    let reply = send(&admin, Method::GET, FOOS, &as_nobody, None).await;
    assert_eq!(
        reply.expect(403)["message"],
        r#"foos.demo.jeremyxu2010.me is forbidden: User "nobody" cannot list resource "foos" in API group "demo.jeremyxu2010.me" at the cluster scope"#
    );
    let reply = send(&client, Method::GET, FOOS, &as_nobody, None).await;
    assert_eq!(
        reply.expect(403)["message"],
        r#"users "nobody" is forbidden: User "system:serviceaccount:default:reader" cannot impersonate resource "users" in API group "" at the cluster scope"#
    );
    // A token nobody issued: 401; no credentials: anonymous, who may check health only.
    let client = aggregated
        .direct(User::Token("forged".into(), "not-a-token".into()))
        .await;
    send(&client, Method::GET, FOOS, &[], None)
        .await
        .expect(401);
    let client = aggregated.direct(User::Anonymous).await;
    send(&client, Method::GET, "/readyz", &[], None)
        .await
        .expect(200);
    let reply = send(&client, Method::GET, FOOS, &[], None).await;
    assert!(
        reply.expect(403)["message"]
            .as_str()
            .unwrap()
            .contains(r#"User "system:anonymous" cannot list resource "foos""#)
    );

    // Two controllers elect a leader on the real Lease API; the other takes over when the
    // leader is killed, and reconciles.
    let kubeconfig = aggregated.service_account_kubeconfig(NAMESPACE, "foo-apiserver-controller");
    let controller = |n: usize| {
        Process::spawn(
            aggregated.dir.path(),
            &format!("controller-{n}"),
            &[
                "controller".into(),
                format!("--kubeconfig={}", kubeconfig.display()),
                format!("--lease-namespace={NAMESPACE}"),
                "--lease-name=foo-apiserver-controller".into(),
                "--metrics-bind-address=0".into(),
            ],
        )
    };
    let mut controllers = [controller(1), controller(2)];
    let holder = || {
        let output = aggregated.admin(&[
            "get",
            "lease",
            "foo-apiserver-controller",
            "-n",
            NAMESPACE,
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ]);
        Some(String::from_utf8_lossy(&output.stdout).into_owned()).filter(|h| !h.is_empty())
    };
    let first = eventually("a controller leads", || holder().ok_or("no holder".into()));
    let leader = controllers
        .iter()
        .position(|c| c.log().contains(&first) && c.log().contains("became the leader"))
        .unwrap_or_else(|| panic!("no controller says it is {first}"));
    controllers[leader].kill();
    let second = eventually("the other controller takes over", || {
        holder()
            .filter(|h| *h != first)
            .ok_or(format!("still {first}"))
    });
    let follower = &mut controllers[1 - leader];
    assert!(follower.log().contains(&second), "{}", follower.log());
    follower.wait_for("became the leader");

    std::fs::write(
        aggregated.dir.path().join("ready.json"),
        common::http::foo("reconciled", "Hi").to_string(),
    )
    .unwrap();
    let path = aggregated.dir.path().join("ready.json");
    aggregated.admin_ok(&["create", "-f", path.to_str().unwrap()]);
    let waited = aggregated.admin(&[
        "wait",
        "--for=condition=Ready",
        "foo/reconciled",
        "--timeout=60s",
    ]);
    common::ok(&waited);
}
