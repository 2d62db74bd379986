//! `foo-apiserver manifests`: the objects that run the server in a cluster as an aggregated API
//! server, and its controller beside it, as multi-document YAML (what `apiserver-boot build
//! config` wrote). Objects are built as typed k8s-openapi values, so every field is one the
//! cluster knows.

mod rbac;
mod workloads;

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::cli::ManifestsArgs;
use aggregated_apiserver::pki::{self, ServingPki};

/// What replaces certificates and keys in [`render_redacted`]; not base64, so kubectl and the
/// API server reject the Secret and the APIService that hold it.
pub const PLACEHOLDER: &str = "REDACTED: generate with `foo-apiserver manifests`";

/// Where the Deployment's pod template records the serving certificate's SHA-256, so that a new
/// certificate rolls the pods (the server reads its certificate once, at start-up).
pub const SERVING_CERT_HASH_ANNOTATION: &str = "demo.jeremyxu2010.me/serving-cert-sha256";

/// The settings of one installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub namespace: String,
    pub name: String,
    pub image: String,
    pub replicas: i32,
    /// Empty for the embedded store on a PersistentVolumeClaim.
    pub etcd_servers: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            namespace: "foo-system".to_owned(),
            name: "foo-apiserver".to_owned(),
            image: DEFAULT_IMAGE.to_owned(),
            replicas: 1,
            etcd_servers: Vec::new(),
        }
    }
}

/// The image published for this version.
pub const DEFAULT_IMAGE: &str = concat!(
    "ghcr.io/jeremyxu2010/foo-apiserver:",
    env!("CARGO_PKG_VERSION")
);

impl Options {
    pub fn validate(&self) -> Result<()> {
        // The name is also the Service's, which must be a DNS-1035 label.
        if !is_dns_label(&self.name) || !self.name.starts_with(|c: char| c.is_ascii_lowercase()) {
            bail!(
                "--name {:?}: must be at most 63 lower case letters, digits and '-', starting \
                 with a letter and ending with a letter or digit (it names the Service)",
                self.name
            );
        }
        if !is_dns_label(&self.namespace) {
            bail!(
                "--namespace {:?}: must be at most 63 lower case letters, digits and '-', \
                 starting and ending with a letter or digit",
                self.namespace
            );
        }
        if self.image.is_empty() || self.image.contains(char::is_whitespace) {
            bail!(
                "--image {:?}: must be an image reference such as registry/name:tag",
                self.image
            );
        }
        if self.replicas < 1 {
            bail!("--replicas must be at least 1");
        }
        if self.replicas > 1 && self.embedded() {
            bail!(
                "--replicas {} needs --etcd-servers: the embedded store is one database file on \
                 a ReadWriteOnce volume that only one replica can open; run etcd and pass its \
                 client URLs, or keep --replicas 1",
                self.replicas
            );
        }
        for url in &self.etcd_servers {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("--etcd-servers: {url:?} is not an http:// or https:// URL");
            }
        }
        Ok(())
    }

    /// Whether objects live in the embedded store (no `--etcd-servers`).
    pub fn embedded(&self) -> bool {
        self.etcd_servers.is_empty()
    }

    /// The names the serving certificate must carry: those the aggregator (which dials
    /// `<name>.<namespace>.svc`) and in-cluster clients use for the Service.
    pub fn dns_names(&self) -> Vec<String> {
        let (name, namespace) = (&self.name, &self.namespace);
        vec![
            format!("{name}.{namespace}.svc"),
            format!("{name}.{namespace}.svc.cluster.local"),
            format!("{name}.{namespace}"),
            name.clone(),
        ]
    }

    /// These flags give the same output (but for the certificates).
    fn command_line(&self) -> String {
        let mut line = format!(
            "foo-apiserver manifests --namespace={} --name={} --image={} --replicas={}",
            self.namespace, self.name, self.image, self.replicas
        );
        if !self.embedded() {
            line += &format!(" --etcd-servers={}", self.etcd_servers.join(","));
        }
        line
    }
}

impl From<&ManifestsArgs> for Options {
    fn from(args: &ManifestsArgs) -> Self {
        Self {
            namespace: args.namespace.clone(),
            name: args.name.clone(),
            image: args.image.clone(),
            replicas: args.replicas,
            etcd_servers: args.etcd_servers.clone(),
        }
    }
}

/// `foo-apiserver manifests`: prints the YAML on stdout.
pub fn run(args: &ManifestsArgs) -> Result<()> {
    let opts = Options::from(args);
    opts.validate()?;
    let yaml = if args.redact {
        render_redacted(&opts)?
    } else {
        let pki = match &args.cert_dir {
            Some(dir) => pki::load_or_create_serving_pki(dir, &opts.dns_names())?,
            None => pki::create_serving_pki(&opts.dns_names())?,
        };
        render(&opts, &pki)?
    };
    std::io::stdout()
        .lock()
        .write_all(yaml.as_bytes())
        .context("writing to stdout")
}

/// Every object, deployable, with `pki`'s CA as the APIService's caBundle and its serving
/// certificate in the Secret.
pub fn render(opts: &Options, pki: &ServingPki) -> Result<String> {
    let header = header(
        &opts.command_line(),
        "# It holds the serving certificate's private key: keep it out of version control.\n\
         # Apply with `kubectl apply -f FILE`.\n",
    );
    to_yaml(&header, &documents(opts, pki)?)
}

/// Like [`render`], with [`PLACEHOLDER`] for certificates and keys: output that can be
/// committed and reviewed, and is deterministic, but cannot be deployed.
pub fn render_redacted(opts: &Options) -> Result<String> {
    let header = header(
        &format!("{} --redact", opts.command_line()),
        "# An example to read: the certificates and the private key are placeholders, which\n\
         # kubectl rejects, because a private key committed to a repository must never be\n\
         # deployable. Generate a file to apply with the command above without --redact.\n",
    );
    // A throwaway PKI keeps a single way of building the objects; redaction then replaces
    // exactly the values that came from it.
    let pki = pki::create_serving_pki(&opts.dns_names())?;
    let mut docs = documents(opts, &pki)?;
    redact(&mut docs);
    to_yaml(&header, &docs)
}

fn header(command: &str, note: &str) -> String {
    format!(
        "# foo-apiserver in a cluster: the aggregated API server for {group}/{version} and its\n\
         # controller. Generated by foo-apiserver {crate_version}:\n\
         #   {command}\n\
         {note}",
        group = foo_sdk::GROUP,
        version = foo_sdk::VERSION,
        crate_version = env!("CARGO_PKG_VERSION"),
    )
}

/// The objects in the order `kubectl apply` should create them: the namespace, identities and
/// permissions, then the server, its registration, the controller, and users' roles.
fn documents(opts: &Options, pki: &ServingPki) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    if !is_system_namespace(&opts.namespace) {
        docs.push(to_value(namespace(opts))?);
    }
    docs.extend([
        to_value(rbac::service_account(opts, Component::Server))?,
        to_value(rbac::auth_delegator(opts))?,
        to_value(rbac::authentication_reader(opts))?,
        to_value(rbac::service_account(opts, Component::Controller))?,
        to_value(rbac::controller_cluster_role(opts))?,
        to_value(rbac::controller_cluster_role_binding(opts))?,
        to_value(rbac::controller_lease_role(opts))?,
        to_value(rbac::controller_lease_role_binding(opts))?,
        to_value(workloads::serving_secret(opts, pki))?,
    ]);
    if opts.embedded() {
        docs.push(to_value(workloads::data_claim(opts))?);
    }
    docs.extend([
        to_value(workloads::server_deployment(opts, pki))?,
        to_value(workloads::service(opts))?,
        to_value(workloads::disruption_budget(opts))?,
        to_value(workloads::api_service(opts, pki))?,
        to_value(workloads::controller_deployment(opts))?,
        to_value(rbac::view_role(opts))?,
        to_value(rbac::edit_role(opts))?,
    ]);
    Ok(docs)
}

/// Replaces what came from the PKI: the Secret's data, the APIService's caBundle and the
/// certificate's hash on the pod template.
fn redact(docs: &mut [Value]) {
    for doc in docs {
        let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
        match kind.as_str() {
            "Secret" => {
                if let Some(data) = doc.get_mut("data").and_then(Value::as_object_mut) {
                    data.values_mut().for_each(|v| *v = PLACEHOLDER.into());
                }
            }
            "APIService" => {
                if let Some(ca_bundle) = doc.pointer_mut("/spec/caBundle") {
                    *ca_bundle = PLACEHOLDER.into();
                }
            }
            "Deployment" => {
                // `pointer_mut`, as indexing would add the fields it does not find.
                let path = format!(
                    "/spec/template/metadata/annotations/{}",
                    SERVING_CERT_HASH_ANNOTATION
                        .replace('~', "~0")
                        .replace('/', "~1")
                );
                if let Some(hash) = doc.pointer_mut(&path) {
                    *hash = PLACEHOLDER.into();
                }
            }
            _ => {}
        }
    }
}

fn to_value(object: impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(object).context("serializing a manifest")
}

fn to_yaml(header: &str, docs: &[Value]) -> Result<String> {
    // Plain scalars like kubectl's own output, instead of folding long base64 values.
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    let mut out = header.to_owned();
    for doc in docs {
        out += "---\n";
        out += &serde_saphyr::to_string_with_options(doc, options.clone())
            .context("writing a manifest as YAML")?;
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// Which part of the installation an object belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Component {
    Server,
    Controller,
}

impl Component {
    fn label(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Controller => "controller",
        }
    }
}

const NAME_LABEL: &str = "app.kubernetes.io/name";
const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
const COMPONENT_LABEL: &str = "app.kubernetes.io/component";

/// The labels of a component's pods, which its Deployment, Service and PodDisruptionBudget
/// select; `part-of` is left out so that the selectors stay as narrow as they must.
fn selector_labels(opts: &Options, component: Component) -> BTreeMap<String, String> {
    BTreeMap::from([
        (NAME_LABEL.to_owned(), opts.name.clone()),
        (COMPONENT_LABEL.to_owned(), component.label().to_owned()),
    ])
}

fn labels(opts: &Options, component: Option<Component>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (NAME_LABEL.to_owned(), opts.name.clone()),
        (PART_OF_LABEL.to_owned(), "foo-apiserver".to_owned()),
    ]);
    if let Some(component) = component {
        labels.extend(selector_labels(opts, component));
    }
    labels
}

fn meta(
    opts: &Options,
    name: impl Into<String>,
    namespace: Option<&str>,
    component: Option<Component>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(str::to_owned),
        labels: Some(labels(opts, component)),
        ..Default::default()
    }
}

fn namespace(opts: &Options) -> Namespace {
    let mut metadata = meta(opts, &opts.namespace, None, None);
    // Both pods meet the restricted Pod Security Standard; enforcing it keeps it so.
    metadata.labels.get_or_insert_default().insert(
        "pod-security.kubernetes.io/enforce".to_owned(),
        "restricted".to_owned(),
    );
    Namespace {
        metadata,
        ..Default::default()
    }
}

/// Namespaces the cluster makes itself: emitting one would relabel it on apply and delete it
/// with `kubectl delete -f`.
fn is_system_namespace(namespace: &str) -> bool {
    matches!(
        namespace,
        "default" | "kube-system" | "kube-public" | "kube-node-lease"
    )
}

/// An RFC 1123 label, as namespaces and most names in a namespace must be.
fn is_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(yaml: &str) -> Vec<(String, String)> {
        serde_saphyr::from_multiple::<Value>(yaml)
            .unwrap()
            .into_iter()
            .map(|doc| {
                (
                    doc["kind"].as_str().unwrap().to_owned(),
                    doc["metadata"]["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn objects_come_in_apply_order() {
        let yaml = render_redacted(&Options::default()).unwrap();
        let expected = [
            ("Namespace", "foo-system"),
            ("ServiceAccount", "foo-apiserver"),
            ("ClusterRoleBinding", "foo-apiserver:system:auth-delegator"),
            (
                "RoleBinding",
                "foo-apiserver:extension-apiserver-authentication-reader",
            ),
            ("ServiceAccount", "foo-apiserver-controller"),
            ("ClusterRole", "foo-apiserver-controller"),
            ("ClusterRoleBinding", "foo-apiserver-controller"),
            ("Role", "foo-apiserver-controller"),
            ("RoleBinding", "foo-apiserver-controller"),
            ("Secret", "foo-apiserver-serving-cert"),
            ("PersistentVolumeClaim", "foo-apiserver-data"),
            ("Deployment", "foo-apiserver"),
            ("Service", "foo-apiserver"),
            ("PodDisruptionBudget", "foo-apiserver"),
            ("APIService", "v1beta1.demo.jeremyxu2010.me"),
            ("Deployment", "foo-apiserver-controller"),
            ("ClusterRole", "foo-apiserver-view"),
            ("ClusterRole", "foo-apiserver-edit"),
        ]
        .map(|(kind, name)| (kind.to_owned(), name.to_owned()));
        assert_eq!(kinds(&yaml), expected);
    }

    #[test]
    fn redacted_output_is_deterministic_and_holds_no_key() {
        let opts = Options::default();
        let yaml = render_redacted(&opts).unwrap();
        assert_eq!(render_redacted(&opts).unwrap(), yaml);
        assert!(!yaml.contains("PRIVATE KEY") && !yaml.contains("LS0t"));
        assert_eq!(yaml.matches(PLACEHOLDER).count(), 5, "{yaml}");
    }

    #[test]
    fn etcd_replaces_the_claim_and_a_system_namespace_is_not_emitted() {
        let opts = Options {
            namespace: "kube-system".to_owned(),
            replicas: 3,
            etcd_servers: vec!["http://etcd-0:2379".to_owned()],
            ..Options::default()
        };
        opts.validate().unwrap();
        let kinds = kinds(&render_redacted(&opts).unwrap());
        assert!(!kinds.iter().any(|(kind, _)| kind == "Namespace"));
        assert!(
            !kinds
                .iter()
                .any(|(kind, _)| kind == "PersistentVolumeClaim")
        );
    }

    #[test]
    fn options_are_validated() {
        let invalid = [
            Options {
                replicas: 2,
                ..Options::default()
            },
            Options {
                replicas: 0,
                ..Options::default()
            },
            Options {
                name: "1foo".to_owned(),
                ..Options::default()
            },
            Options {
                namespace: "Foo".to_owned(),
                ..Options::default()
            },
            Options {
                image: String::new(),
                ..Options::default()
            },
            Options {
                etcd_servers: vec!["etcd:2379".to_owned()],
                ..Options::default()
            },
        ];
        for opts in invalid {
            assert!(opts.validate().is_err(), "{opts:?}");
        }
        Options::default().validate().unwrap();
    }
}
