//! `foo-apiserver manifests`: the committed example is current, and the generated objects are
//! valid typed Kubernetes objects that fit together (certificates, selectors, RBAC, flags).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use clap::Parser;
use foo_apiserver::cli::{Cli, Command as CliCommand};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    Container, Namespace, PersistentVolumeClaim, PodSpec, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime, pem::PemObject};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

const EXAMPLE: &str = "deploy/foo-apiserver.yaml";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_foo-apiserver"))
        .arg("manifests")
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

/// The documents of a successful run.
fn manifests(args: &[&str]) -> Docs {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "manifests {args:?}: {stderr}");
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.starts_with("# "), "no header comment:\n{yaml}");
    Docs(serde_saphyr::from_multiple::<Value>(&yaml).unwrap())
}

struct Docs(Vec<Value>);

impl Docs {
    fn get<T: DeserializeOwned>(&self, kind: &str, name: &str) -> T {
        let doc = self
            .find(kind, name)
            .unwrap_or_else(|| panic!("no {kind} {name}"));
        serde_json::from_value(doc.clone()).unwrap()
    }

    fn find(&self, kind: &str, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|doc| doc["kind"] == kind && doc["metadata"]["name"] == name)
    }

    fn kinds(&self) -> Vec<&str> {
        self.0
            .iter()
            .map(|doc| doc["kind"].as_str().unwrap())
            .collect()
    }
}

/// Each document is exactly a typed k8s-openapi object of its kind: decoding and encoding it
/// again loses nothing, so no field is misspelled or unknown.
fn check_typed(docs: &Docs) {
    fn round_trip<T: DeserializeOwned + serde::Serialize>(doc: &Value) {
        let typed: T = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(&serde_json::to_value(typed).unwrap(), doc);
    }
    for doc in &docs.0 {
        match doc["kind"].as_str().unwrap() {
            "Namespace" => round_trip::<Namespace>(doc),
            "ServiceAccount" => round_trip::<ServiceAccount>(doc),
            "ClusterRole" => round_trip::<ClusterRole>(doc),
            "ClusterRoleBinding" => round_trip::<ClusterRoleBinding>(doc),
            "Role" => round_trip::<Role>(doc),
            "RoleBinding" => round_trip::<RoleBinding>(doc),
            "Secret" => round_trip::<Secret>(doc),
            "PersistentVolumeClaim" => round_trip::<PersistentVolumeClaim>(doc),
            "Deployment" => round_trip::<Deployment>(doc),
            "Service" => round_trip::<Service>(doc),
            "PodDisruptionBudget" => round_trip::<PodDisruptionBudget>(doc),
            "APIService" => round_trip::<APIService>(doc),
            kind => panic!("unexpected kind {kind}"),
        }
        let labels = &doc["metadata"]["labels"];
        assert_eq!(
            labels["app.kubernetes.io/part-of"], "foo-apiserver",
            "{doc}"
        );
        assert!(labels["app.kubernetes.io/name"].is_string(), "{doc}");
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(strings(groups)),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
        ..Default::default()
    }
}

fn is_subset(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The pod spec, after checking that the Deployment selects its own pods.
fn pod(deployment: &Deployment) -> (BTreeMap<String, String>, PodSpec) {
    let template = &deployment.spec.template;
    let labels = template.metadata.as_ref().unwrap().labels.clone().unwrap();
    let selector = deployment.spec.selector.match_labels.as_ref().unwrap();
    assert!(is_subset(selector, &labels), "{selector:?} {labels:?}");
    (labels, template.spec.clone().unwrap())
}

/// A container's arguments, parsed by the real command line.
fn parse_args(container: &Container) -> Cli {
    let args = container.args.clone().unwrap();
    Cli::try_parse_from(std::iter::once("foo-apiserver".to_owned()).chain(args))
        .unwrap_or_else(|e| panic!("{}: {e}", container.name))
}

fn check_security(container: &Container) {
    let sc = container.security_context.as_ref().unwrap();
    assert_eq!(sc.run_as_non_root, Some(true));
    assert_eq!(sc.run_as_user, Some(65532));
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(
        sc.capabilities.as_ref().unwrap().drop,
        Some(strings(&["ALL"]))
    );
    assert_eq!(sc.seccomp_profile.as_ref().unwrap().type_, "RuntimeDefault");
}

fn check_anti_affinity(spec: &PodSpec, labels: &BTreeMap<String, String>) {
    let terms = spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .expect("preferred podAntiAffinity");
    let term = &terms[0].pod_affinity_term;
    assert_eq!(term.topology_key, "kubernetes.io/hostname");
    let selector = term.label_selector.as_ref().unwrap().match_labels.as_ref();
    assert!(is_subset(selector.unwrap(), labels));
}

/// The serving certificate and key in the Secret, against the APIService's caBundle: they
/// verify for every name of the Service, as the aggregator will check, and the key is the
/// certificate's.
fn check_certificates(docs: &Docs, name: &str, namespace: &str) -> (String, String) {
    let secret: Secret = docs.get("Secret", &format!("{name}-serving-cert"));
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
    let data = secret.data.unwrap();
    let text = |key: &str| String::from_utf8(data[key].0.clone()).unwrap();
    let (ca_crt, tls_crt, tls_key) = (text("ca.crt"), text("tls.crt"), text("tls.key"));

    let api_service: APIService = docs.get("APIService", "v1beta1.demo.jeremyxu2010.me");
    let ca_bundle = api_service.spec.unwrap().ca_bundle.unwrap().0;
    assert_eq!(String::from_utf8(ca_bundle).unwrap(), ca_crt);

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_crt.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .unwrap();
    let leaf = CertificateDer::from_pem_slice(tls_crt.as_bytes()).unwrap();
    let names = [
        format!("{name}.{namespace}.svc"),
        format!("{name}.{namespace}.svc.cluster.local"),
        format!("{name}.{namespace}"),
        name.to_owned(),
    ];
    for host in &names {
        verifier
            .verify_server_cert(
                &leaf,
                &[],
                &host.clone().try_into().unwrap(),
                &[],
                UnixTime::now(),
            )
            .unwrap_or_else(|e| panic!("{host}: {e}"));
    }
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    let sans: Vec<String> = cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(|n| match n {
            x509_parser::extensions::GeneralName::DNSName(dns) => (*dns).to_owned(),
            other => panic!("unexpected SAN {other:?}"),
        })
        .collect();
    assert_eq!(sans, names);

    let key = PrivateKeyDer::from_pem_slice(tls_key.as_bytes()).unwrap();
    let signing_key = rustls::crypto::ring::sign::any_supported_type(&key).unwrap();
    assert_eq!(
        signing_key.public_key().unwrap().as_ref(),
        cert.public_key().raw,
        "tls.key is not the certificate's key"
    );
    (ca_crt, tls_crt)
}

#[test]
fn deploy_example_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let out = run(&["--redact"]);
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    assert!(
        committed == generated,
        "{EXAMPLE} is not what the code generates; regenerate it with\n  \
         cargo run -- manifests --redact > {EXAMPLE}"
    );
    assert!(!committed.contains("PRIVATE KEY") && !committed.contains("LS0tLS1CRUdJTi"));
    assert!(committed.contains("placeholders"));
}

#[test]
fn embedded_store() {
    let docs = manifests(&[]);
    check_typed(&docs);
    assert_eq!(
        docs.kinds(),
        [
            "Namespace",
            "ServiceAccount",
            "ClusterRoleBinding",
            "RoleBinding",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Secret",
            "PersistentVolumeClaim",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "APIService",
            "Deployment",
            "ClusterRole",
            "ClusterRole",
        ]
    );
    let (_, tls_crt) = check_certificates(&docs, "foo-apiserver", "foo-system");

    let claim: PersistentVolumeClaim = docs.get("PersistentVolumeClaim", "foo-apiserver-data");
    let claim_spec = claim.spec.unwrap();
    assert_eq!(claim_spec.access_modes, Some(strings(&["ReadWriteOnce"])));
    assert_eq!(
        claim_spec.resources.unwrap().requests.unwrap()["storage"].0,
        "1Gi"
    );

    let server: Deployment = docs.get("Deployment", "foo-apiserver");
    assert_eq!(server.spec.replicas, Some(1));
    let strategy = server.spec.strategy.clone().unwrap();
    assert_eq!(strategy.type_.as_deref(), Some("Recreate"));
    let (labels, spec) = pod(&server);
    assert_eq!(labels["app.kubernetes.io/component"], "server");
    assert!(spec.affinity.is_none());
    assert_eq!(spec.service_account_name.as_deref(), Some("foo-apiserver"));
    let hash = &server.spec.template.metadata.as_ref().unwrap().annotations;
    assert_eq!(
        hash.as_ref().unwrap()["demo.jeremyxu2010.me/serving-cert-sha256"],
        format!("{:x}", Sha256::digest(tls_crt.as_bytes()))
    );
    let container = &spec.containers[0];
    check_security(container);
    let port = &container.ports.as_ref().unwrap()[0];
    assert_eq!(
        (port.name.as_deref(), port.container_port),
        (Some("https"), 8443)
    );
    for (probe, path) in [
        (&container.liveness_probe, "/livez"),
        (&container.readiness_probe, "/readyz"),
    ] {
        let get = probe.as_ref().unwrap().http_get.as_ref().unwrap();
        assert_eq!(get.path.as_deref(), Some(path));
        assert_eq!(get.scheme.as_deref(), Some("HTTPS"));
        assert_eq!(get.port, IntOrString::String("https".to_owned()));
    }
    let resources = container.resources.as_ref().unwrap();
    let requests = resources.requests.as_ref().unwrap();
    assert_eq!(
        (requests["cpu"].0.as_str(), requests["memory"].0.as_str()),
        ("100m", "128Mi")
    );
    assert_eq!(resources.limits.as_ref().unwrap()["memory"].0, "512Mi");

    // The flags are the server's own, and name what is mounted.
    let cli = parse_args(container);
    assert!(cli.command.is_none());
    let serve = cli.serve;
    assert_eq!(serve.serving.secure_port, 8443);
    assert!(serve.storage.etcd_servers.is_empty());
    let mounts: BTreeMap<String, String> = container
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| (m.mount_path.clone(), m.name.clone()))
        .collect();
    let volumes: BTreeMap<String, _> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| (v.name.clone(), v.clone()))
        .collect();
    let mounted = |path: &Path| {
        let (dir, name) = mounts
            .iter()
            .find(|(dir, _)| path.starts_with(dir))
            .unwrap_or_else(|| panic!("{} is not mounted", path.display()));
        (dir.clone(), volumes[name].clone())
    };
    let (cert_dir, cert_volume) = mounted(serve.serving.tls_cert_file.as_ref().unwrap());
    assert_eq!(
        mounted(serve.serving.tls_private_key_file.as_ref().unwrap()).0,
        cert_dir
    );
    assert_eq!(
        cert_volume.secret.unwrap().secret_name.as_deref(),
        Some("foo-apiserver-serving-cert")
    );
    let data_volume = mounted(serve.storage.data_dir.as_ref().unwrap()).1;
    assert_eq!(
        data_volume.persistent_volume_claim.unwrap().claim_name,
        "foo-apiserver-data"
    );
    assert!(mounted(Path::new("/tmp/x")).1.empty_dir.is_some());

    let service: Service = docs.get("Service", "foo-apiserver");
    let service_spec = service.spec.unwrap();
    assert!(is_subset(service_spec.selector.as_ref().unwrap(), &labels));
    let service_port = &service_spec.ports.unwrap()[0];
    assert_eq!(service_port.port, 443);
    assert_eq!(
        service_port.target_port,
        Some(IntOrString::String("https".to_owned()))
    );

    let budget: PodDisruptionBudget = docs.get("PodDisruptionBudget", "foo-apiserver");
    let budget_spec = budget.spec.unwrap();
    assert_eq!(budget_spec.max_unavailable, Some(IntOrString::Int(1)));
    let budget_selector = budget_spec.selector.unwrap().match_labels.unwrap();
    assert!(is_subset(&budget_selector, &labels));

    let api_service = docs
        .get::<APIService>("APIService", "v1beta1.demo.jeremyxu2010.me")
        .spec
        .unwrap();
    assert_eq!(api_service.group.as_deref(), Some("demo.jeremyxu2010.me"));
    assert_eq!(api_service.version.as_deref(), Some("v1beta1"));
    assert_eq!(
        (
            api_service.group_priority_minimum,
            api_service.version_priority
        ),
        (1000, 15)
    );
    assert_eq!(api_service.insecure_skip_tls_verify, None);
    let reference = api_service.service.unwrap();
    assert_eq!(
        (
            reference.namespace.as_deref(),
            reference.name.as_deref(),
            reference.port
        ),
        (Some("foo-system"), Some("foo-apiserver"), Some(443))
    );

    // Delegated authentication and authorization.
    let delegator: ClusterRoleBinding =
        docs.get("ClusterRoleBinding", "foo-apiserver:system:auth-delegator");
    assert_eq!(delegator.role_ref.name, "system:auth-delegator");
    let subject = &delegator.subjects.unwrap()[0];
    assert_eq!(
        (subject.kind.as_str(), subject.name.as_str()),
        ("ServiceAccount", "foo-apiserver")
    );
    assert_eq!(subject.namespace.as_deref(), Some("foo-system"));
    let reader: RoleBinding = docs.get(
        "RoleBinding",
        "foo-apiserver:extension-apiserver-authentication-reader",
    );
    assert_eq!(reader.metadata.namespace.as_deref(), Some("kube-system"));
    assert_eq!(
        (reader.role_ref.kind.as_str(), reader.role_ref.name.as_str()),
        ("Role", "extension-apiserver-authentication-reader")
    );

    check_controller(&docs, "foo-apiserver", "foo-system");
    check_user_roles(&docs);
}

fn check_controller(docs: &Docs, name: &str, namespace: &str) {
    let controller_name = format!("{name}-controller");
    let controller: Deployment = docs.get("Deployment", &controller_name);
    assert_eq!(controller.spec.replicas, Some(2));
    let (labels, spec) = pod(&controller);
    assert_eq!(labels["app.kubernetes.io/component"], "controller");
    check_anti_affinity(&spec, &labels);
    assert_eq!(
        spec.service_account_name.as_deref(),
        Some(controller_name.as_str())
    );
    let _: ServiceAccount = docs.get("ServiceAccount", &controller_name);
    let container = &spec.containers[0];
    check_security(container);
    let Some(CliCommand::Controller(args)) = parse_args(container).command else {
        panic!("the controller runs `foo-apiserver controller`");
    };
    assert!(args.leader_elect);
    assert_eq!(
        (args.lease_namespace.as_str(), args.lease_name.as_str()),
        (namespace, controller_name.as_str())
    );
    assert_eq!(args.metrics_bind_address, "0.0.0.0:8080");

    let role: ClusterRole = docs.get("ClusterRole", &controller_name);
    let rules = role.rules.unwrap();
    let group = "demo.jeremyxu2010.me";
    assert!(rules.contains(&rule(
        &[group],
        &["foos"],
        &["get", "list", "watch", "update", "patch"]
    )));
    assert!(rules.contains(&rule(
        &[group],
        &["foos/status"],
        &["get", "update", "patch"]
    )));
    assert!(rules.contains(&rule(
        &["", "events.k8s.io"],
        &["events"],
        &["create", "patch", "update"]
    )));
    let binding: ClusterRoleBinding = docs.get("ClusterRoleBinding", &controller_name);
    assert_eq!(binding.role_ref.name, controller_name);
    assert_eq!(binding.subjects.unwrap()[0].name, controller_name);

    let lease_role: Role = docs.get("Role", &controller_name);
    assert_eq!(lease_role.metadata.namespace.as_deref(), Some(namespace));
    let verbs: Vec<String> = lease_role
        .rules
        .unwrap()
        .into_iter()
        .filter(|r| r.resources == Some(strings(&["leases"])))
        .filter(|r| {
            r.resource_names
                .as_ref()
                .is_none_or(|names| names.contains(&controller_name))
        })
        .flat_map(|r| r.verbs)
        .collect();
    for verb in ["get", "create", "update"] {
        assert!(verbs.iter().any(|v| v == verb), "leases {verb}");
    }
    let lease_binding: RoleBinding = docs.get("RoleBinding", &controller_name);
    assert_eq!(lease_binding.role_ref.kind, "Role");
    assert_eq!(lease_binding.subjects.unwrap()[0].name, controller_name);
}

fn check_user_roles(docs: &Docs) {
    let group = "demo.jeremyxu2010.me";
    let view: ClusterRole = docs.get("ClusterRole", "foo-apiserver-view");
    let labels = view.metadata.labels.unwrap();
    assert_eq!(
        labels["rbac.authorization.k8s.io/aggregate-to-view"],
        "true"
    );
    assert_eq!(
        view.rules.unwrap(),
        [rule(
            &[group],
            &["foos", "foos/status"],
            &["get", "list", "watch"]
        )]
    );

    let edit: ClusterRole = docs.get("ClusterRole", "foo-apiserver-edit");
    let labels = edit.metadata.labels.unwrap();
    assert_eq!(
        labels["rbac.authorization.k8s.io/aggregate-to-edit"],
        "true"
    );
    assert_eq!(
        labels["rbac.authorization.k8s.io/aggregate-to-admin"],
        "true"
    );
    let rules = edit.rules.unwrap();
    assert!(rules.contains(&rule(
        &[group],
        &["foos"],
        &["create", "update", "patch", "delete", "deletecollection"]
    )));
    assert!(rules.contains(&rule(&[group], &["foos/bar"], &["create"])));
    // As kube's edit role: status belongs to the controller.
    assert!(
        !rules
            .iter()
            .any(|r| r.resources.iter().flatten().any(|r| r == "foos/status"))
    );
}

#[test]
fn etcd_with_replicas() {
    let docs = manifests(&[
        "--replicas",
        "3",
        "--etcd-servers",
        "http://etcd-0:2379,http://etcd-1:2379",
        "--namespace",
        "demo",
        "--name",
        "foo",
        "--image",
        "registry.example/foo:dev",
    ]);
    check_typed(&docs);
    assert!(!docs.kinds().contains(&"PersistentVolumeClaim"));
    let _: Namespace = docs.get("Namespace", "demo");
    check_certificates(&docs, "foo", "demo");

    let server: Deployment = docs.get("Deployment", "foo");
    assert_eq!(server.spec.replicas, Some(3));
    // Rolling updates: the replicas share etcd, not a volume.
    assert!(server.spec.strategy.is_none());
    let (labels, spec) = pod(&server);
    check_anti_affinity(&spec, &labels);
    let container = &spec.containers[0];
    assert_eq!(container.image.as_deref(), Some("registry.example/foo:dev"));
    let serve = parse_args(container).serve;
    assert_eq!(
        serve.storage.etcd_servers,
        ["http://etcd-0:2379", "http://etcd-1:2379"]
    );
    assert_eq!(serve.storage.data_dir, None);
    assert!(
        !spec
            .volumes
            .iter()
            .flatten()
            .any(|v| v.persistent_volume_claim.is_some())
    );

    let budget: PodDisruptionBudget = docs.get("PodDisruptionBudget", "foo");
    assert_eq!(
        budget.spec.unwrap().max_unavailable,
        Some(IntOrString::Int(1))
    );
    check_controller(&docs, "foo", "demo");
}

#[test]
fn a_system_namespace_is_not_emitted() {
    let docs = manifests(&["--namespace", "kube-system"]);
    assert!(!docs.kinds().contains(&"Namespace"));
    check_certificates(&docs, "foo-apiserver", "kube-system");
}

#[test]
fn replicas_need_etcd() {
    let out = run(&["--replicas", "3"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--replicas 3 needs --etcd-servers"),
        "{stderr}"
    );
}

#[test]
fn cert_dir_is_reused() {
    let dir = tempfile::tempdir().unwrap();
    let cert_dir = dir.path().join("certs");
    let args = ["--cert-dir", cert_dir.to_str().unwrap()];
    let first = manifests(&args);
    let (ca, tls) = check_certificates(&first, "foo-apiserver", "foo-system");
    for file in ["ca.crt", "ca.key", "tls.crt", "tls.key"] {
        assert!(cert_dir.join(file).is_file(), "{file}");
    }
    assert_eq!(
        std::fs::read_to_string(cert_dir.join("ca.crt")).unwrap(),
        ca
    );

    let second = manifests(&args);
    assert_eq!(
        check_certificates(&second, "foo-apiserver", "foo-system"),
        (ca.clone(), tls.clone())
    );
    assert_eq!(
        first.find("Secret", "foo-apiserver-serving-cert"),
        second.find("Secret", "foo-apiserver-serving-cert")
    );

    // Another Service name: the same CA, so the APIService trusts the new certificate.
    let renamed = manifests(&[args[0], args[1], "--name", "other"]);
    let (renamed_ca, renamed_tls) = check_certificates(&renamed, "other", "foo-system");
    assert_eq!(renamed_ca, ca);
    assert_ne!(renamed_tls, tls);
}

#[test]
fn without_cert_dir_every_run_has_a_new_ca() {
    let first = check_certificates(&manifests(&[]), "foo-apiserver", "foo-system");
    let second = check_certificates(&manifests(&[]), "foo-apiserver", "foo-system");
    assert_ne!(first.0, second.0);
}
