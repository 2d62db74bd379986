//! A kube-apiserver with its etcd, and what the benchmark runs in it: foo-apiserver and
//! sample-apiserver on its etcd, registered as APIServices (a Service of `type: ExternalName`
//! for localhost reaches the local process), wardle-apiserver on its etcd started exactly as
//! sample-apiserver is (but not registered: sample-apiserver's APIService serves the group),
//! a CRD of Foo's shape, and writes that move the etcd revision as a real cluster's traffic
//! does.
//!
//! Each aggregated server has a serving certificate from a CA of its own, which its APIService
//! trusts, for its Service's name and 127.0.0.1; it authenticates client certificates from the
//! cluster CA and the cluster's front proxy, and delegates the rest to kube-apiserver as the
//! admin (k8s.io/apiserver's flags, as `tests/common/wardle`'s `Launch::delegating_flags`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use aggregated_apiserver::pki::load_or_create_serving_pki;
use serde_json::{Value, json};

use super::{
    FOO_API_VERSION, FOO_APISERVER, FOOS, Running, SERVER_NAME, Writer, crd, flags, path, peer,
    start, temp_dir, url, wardle_apiserver,
};
use crate::common::cluster::{Cluster, FRONT_PROXY_CLIENT, free_port, get, tls_client_pem};
use crate::endpoint::{Endpoint, FLUNDERS, Shape};

/// Where the Services of the aggregated servers are.
const NAMESPACE: &str = "default";
/// How long the aggregator may take to find a server Available and serve its API.
const REGISTRATION: Duration = Duration::from_secs(120);

/// A control plane for the servers measured inside a cluster; stopped when dropped.
pub struct Lab {
    pub cluster: Cluster,
    /// Talks to kube-apiserver as the admin, for waiting until an API is served.
    admin_tls: Arc<rustls::ClientConfig>,
}

/// An aggregated API server: its Service and APIService, and what the benchmark asks of it.
struct Aggregated {
    service: &'static str,
    group: &'static str,
    version: &'static str,
    /// Registered as the APIService of its group and version (one server of a group-version
    /// can be): otherwise only reached directly.
    registered: bool,
    name: &'static str,
    collection: &'static str,
    shape: Shape,
}

const FOO: Aggregated = Aggregated {
    service: "foo-apiserver",
    group: "demo.jeremyxu2010.me",
    version: "v1beta1",
    registered: true,
    name: "foo (shared etcd)",
    collection: FOOS,
    shape: Shape::Foo {
        api_version: FOO_API_VERSION,
    },
};

const SAMPLE: Aggregated = Aggregated {
    service: "wardle-apiserver",
    group: "wardle.example.com",
    version: "v1beta1",
    registered: true,
    name: "sample-apiserver",
    collection: FLUNDERS,
    shape: Shape::Flunder,
};

const WARDLE: Aggregated = Aggregated {
    service: "rust-wardle-apiserver",
    registered: false,
    name: "wardle (shared etcd)",
    ..SAMPLE
};

/// Where wardle-apiserver keeps its objects in the shared etcd, apart from sample-apiserver's
/// (`/registry/wardle.example.com`).
const WARDLE_ETCD_PREFIX: &str = "/registry/rust-wardle-apiserver";

impl Aggregated {
    /// The name the aggregator dials the Service by.
    fn host(&self) -> String {
        format!("{}.{NAMESPACE}.svc", self.service)
    }
}

impl Lab {
    /// etcd, kube-apiserver and kube-controller-manager (see `common::cluster`).
    pub fn start() -> Lab {
        let cluster = Cluster::start();
        let admin = cluster.admin();
        let admin_tls = tls_client_pem(&cluster.client_ca_pem(), &admin.cert_pem, &admin.key_pem);
        Lab { cluster, admin_tls }
    }

    /// foo-apiserver on the cluster's etcd, registered as the APIService
    /// `v1beta1.demo.jeremyxu2010.me`.
    pub fn foo_shared(&self) -> Running {
        let etcd = self.cluster.etcd_endpoints();
        self.aggregated(&FOO, Path::new(FOO_APISERVER), &[("--etcd-servers", &etcd)])
    }

    /// k8s.io/sample-apiserver (`$SAMPLE_APISERVER`) on the cluster's etcd under its own
    /// prefix (its default, `/registry/wardle.example.com`), registered as the APIService
    /// `v1beta1.wardle.example.com`.
    pub fn sample_apiserver(&self) -> Running {
        let etcd = self.cluster.etcd_endpoints();
        let kubeconfig = path(&self.cluster.kubeconfig());
        let extra = [
            ("--etcd-servers", etcd.as_str()),
            // Its admission (NamespaceLifecycle) and flow control read the cluster.
            ("--kubeconfig", kubeconfig.as_str()),
        ];
        self.aggregated(&SAMPLE, &peer("SAMPLE_APISERVER"), &extra)
    }

    /// wardle-apiserver (examples/wardle) with sample-apiserver's flags, on the cluster's
    /// etcd under a prefix of its own; not registered (sample-apiserver's APIService serves
    /// the group).
    pub fn wardle(&self) -> Running {
        let etcd = self.cluster.etcd_endpoints();
        let kubeconfig = path(&self.cluster.kubeconfig());
        let extra = [
            ("--etcd-servers", etcd.as_str()),
            ("--etcd-prefix", WARDLE_ETCD_PREFIX),
            // Its NamespaceLifecycle admission reads the cluster, as sample-apiserver's does.
            ("--kubeconfig", kubeconfig.as_str()),
        ];
        self.aggregated(&WARDLE, wardle_apiserver(), &extra)
    }

    /// A CRD of Foo's shape in the group `bench.demo.jeremyxu2010.me`, once Established and
    /// served: kube-apiserver itself is the server.
    pub fn crd(&self) -> Endpoint {
        let name = format!("{}.{}", crd::PLURAL, crd::GROUP);
        self.apply(&crd::manifest());
        self.kubectl(&[
            "wait",
            "--for=condition=Established",
            &format!("crd/{name}"),
            "--timeout=120s",
        ]);
        let collection = format!("/apis/{}/{}/{}", crd::GROUP, crd::VERSION, crd::PLURAL);
        self.wait_served(&collection);
        let shape = Shape::Foo {
            api_version: crd::API_VERSION,
        };
        self.cluster_endpoint("CRD".into(), collection, shape)
    }

    /// `server`'s API through kube-apiserver's aggregation.
    pub fn through_cluster(&self, server: &Running) -> Endpoint {
        let endpoint = &server.endpoint;
        self.cluster_endpoint(
            format!("{} via kube-apiserver", endpoint.name),
            endpoint.collection.clone(),
            endpoint.shape,
        )
    }

    /// Writes through kube-apiserver `per_second` times a second until dropped.
    pub fn writer(&self, per_second: u32) -> Writer {
        Writer::start(self.cluster.kubeconfig(), per_second)
    }

    /// Starts `program` as the aggregated server of `api` with k8s.io/apiserver's serving and
    /// delegation flags and `extra` ones and, if `api` is registered, registers it and waits
    /// until kube-apiserver serves its collection.
    fn aggregated(&self, api: &Aggregated, program: &Path, extra: &[(&str, &str)]) -> Running {
        let dir = temp_dir(api.service);
        let names = [api.host(), "localhost".into(), SERVER_NAME.into()];
        let pki = load_or_create_serving_pki(dir.path(), &names).expect("a serving certificate");
        let port = free_port();
        let admin_kubeconfig = path(&self.cluster.kubeconfig());
        let mut args = flags(&[
            ("--secure-port", &port.to_string()),
            ("--bind-address", SERVER_NAME),
            ("--tls-cert-file", &path(&dir.path().join("tls.crt"))),
            ("--tls-private-key-file", &path(&dir.path().join("tls.key"))),
            ("--client-ca-file", &path(&self.cluster.client_ca_file())),
            // Given rather than looked up in the cluster, so that the server believes the
            // aggregator from its first request on (a lookup lands after /readyz says ready).
            (
                "--requestheader-client-ca-file",
                &path(&self.cluster.front_proxy_ca_file()),
            ),
            ("--requestheader-allowed-names", FRONT_PROXY_CLIENT),
            ("--authentication-kubeconfig", &admin_kubeconfig),
            ("--authorization-kubeconfig", &admin_kubeconfig),
        ]);
        args.extend(flags(extra));
        // The admin's client certificate, to the server itself.
        let endpoint = Endpoint {
            url: url(port),
            ca_pem: pki.ca.cert_pem.clone(),
            pid: None,
            ..self.cluster_endpoint(api.name.into(), api.collection.into(), api.shape)
        };
        let running = start(endpoint, program, args, port, dir);
        if api.registered {
            self.register(api, port, &pki.ca.cert_pem);
            self.wait_served(api.collection);
        }
        running
    }

    /// Applies the Service and APIService of `api` served on `port` with a certificate from
    /// `ca_pem`, and waits until the APIService is Available.
    fn register(&self, api: &Aggregated, port: u16, ca_pem: &str) {
        let name = format!("{}.{}", api.version, api.group);
        let service = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": api.service, "namespace": NAMESPACE},
            "spec": {
                "type": "ExternalName",
                "externalName": "localhost",
                "ports": [{"name": "https", "port": port}],
            },
        });
        let api_service = json!({
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": name},
            "spec": {
                "group": api.group,
                "version": api.version,
                "service": {"namespace": NAMESPACE, "name": api.service, "port": port},
                "caBundle": base64(ca_pem),
                "groupPriorityMinimum": 1000,
                "versionPriority": 15,
            },
        });
        self.apply(&json!({"apiVersion": "v1", "kind": "List", "items": [service, api_service]}));
        self.kubectl(&[
            "wait",
            "--for=condition=Available",
            &format!("apiservice/{name}"),
            "--timeout=120s",
        ]);
    }

    /// Waits until kube-apiserver answers `GET collection` with 200 (the aggregator's and the
    /// CRD handler's discovery catch up in their own time).
    fn wait_served(&self, collection: &str) {
        let deadline = Instant::now() + REGISTRATION;
        loop {
            let last = match get(&self.admin_tls, self.cluster.port(), collection) {
                Ok((200, _)) => return,
                Ok((status, body)) => format!("{status}: {body}"),
                Err(error) => error,
            };
            assert!(
                Instant::now() < deadline,
                "kube-apiserver does not serve {collection} after {REGISTRATION:?}: {last}\n{}",
                self.cluster.apiserver_log()
            );
            sleep(Duration::from_millis(200));
        }
    }

    /// `collection` through kube-apiserver, as the admin.
    fn cluster_endpoint(&self, name: String, collection: String, shape: Shape) -> Endpoint {
        let admin = self.cluster.admin();
        Endpoint {
            name,
            url: self.cluster.url.clone(),
            ca_pem: self.cluster.client_ca_pem(),
            server_name: SERVER_NAME.into(),
            client_cert_pem: admin.cert_pem.clone(),
            client_key_pem: admin.key_pem.clone(),
            collection,
            shape,
            pid: self.cluster.apiserver_pid(),
        }
    }

    /// `kubectl apply` of `object` as the admin.
    fn apply(&self, object: &Value) {
        let mut child = self
            .kubectl_command(&["apply", "-f", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("running kubectl");
        let mut stdin = child.stdin.take().expect("kubectl's stdin");
        stdin
            .write_all(object.to_string().as_bytes())
            .expect("writing to kubectl");
        drop(stdin);
        let output = child.wait_with_output().expect("running kubectl");
        crate::common::ok(&output);
    }

    /// `kubectl args…` as the admin, which must succeed.
    fn kubectl(&self, args: &[&str]) {
        let output = self
            .kubectl_command(args)
            .output()
            .expect("running kubectl");
        crate::common::ok(&output);
    }

    fn kubectl_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("kubectl");
        command
            .arg("--kubeconfig")
            .arg(self.cluster.kubeconfig())
            .args(args)
            .env_remove("KUBECONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

fn base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
