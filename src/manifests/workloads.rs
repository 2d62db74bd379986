//! The server (Secret, storage, Deployment, Service, PodDisruptionBudget, APIService) and the
//! controller's Deployment.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, Container, ContainerPort, EmptyDirVolumeSource, HTTPGetAction,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    PodAffinityTerm, PodAntiAffinity, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, Secret, SecretVolumeSource, SecurityContext, Service,
    ServicePort, ServiceSpec, Volume, VolumeMount, VolumeResourceRequirements,
    WeightedPodAffinityTerm,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::{
    APIService, APIServiceSpec, ServiceReference,
};
use sha2::{Digest, Sha256};

use super::rbac::{account_name, controller_name};
use super::{Component, Options, SERVING_CERT_HASH_ANNOTATION, labels, meta, selector_labels};
use aggregated_apiserver::pki::ServingPki;

/// Where the server finds the Secret's files.
pub const SERVING_CERT_DIR: &str = "/var/run/foo-apiserver/serving-cert";
/// Where the embedded store's volume is mounted.
pub const DATA_DIR: &str = "/var/lib/foo-apiserver";
const SECURE_PORT: i32 = 8443;
const METRICS_PORT: i32 = 8080;
/// distroless's `nonroot` user and group, which the image runs as.
const NONROOT: i64 = 65532;

fn secret_name(opts: &Options) -> String {
    format!("{}-serving-cert", opts.name)
}

fn claim_name(opts: &Options) -> String {
    format!("{}-data", opts.name)
}

fn strings<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.map(str::to_owned).into()
}

fn quantities<const N: usize>(items: [(&str, &str); N]) -> BTreeMap<String, Quantity> {
    items
        .into_iter()
        .map(|(resource, amount)| (resource.to_owned(), Quantity(amount.to_owned())))
        .collect()
}

pub(super) fn serving_secret(opts: &Options, pki: &ServingPki) -> Secret {
    let bytes = |pem: &str| ByteString(pem.as_bytes().to_vec());
    Secret {
        metadata: meta(
            opts,
            secret_name(opts),
            Some(&opts.namespace),
            Some(Component::Server),
        ),
        type_: Some("kubernetes.io/tls".to_owned()),
        data: Some(BTreeMap::from([
            ("ca.crt".to_owned(), bytes(&pki.ca.cert_pem)),
            ("tls.crt".to_owned(), bytes(&pki.serving.cert_pem)),
            ("tls.key".to_owned(), bytes(&pki.serving.key_pem)),
        ])),
        ..Default::default()
    }
}

pub(super) fn data_claim(opts: &Options) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: meta(
            opts,
            claim_name(opts),
            Some(&opts.namespace),
            Some(Component::Server),
        ),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(strings(["ReadWriteOnce"])),
            resources: Some(VolumeResourceRequirements {
                requests: Some(quantities([("storage", "1Gi")])),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The restricted Pod Security Standard, as the image's non-root user; nothing is written
/// outside the volumes.
fn container_security_context() -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(NONROOT),
        run_as_group: Some(NONROOT),
        read_only_root_filesystem: Some(true),
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(strings(["ALL"])),
            ..Default::default()
        }),
        seccomp_profile: Some(runtime_default()),
        ..Default::default()
    }
}

fn runtime_default() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".to_owned(),
        ..Default::default()
    }
}

/// `writable_volume`: give the non-root user's group a volume that is created owned by root.
fn pod_security_context(writable_volume: bool) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        fs_group: writable_volume.then_some(NONROOT),
        fs_group_change_policy: writable_volume.then(|| "OnRootMismatch".to_owned()),
        seccomp_profile: Some(runtime_default()),
        ..Default::default()
    }
}

/// Replicas on different nodes when the scheduler can, so that losing a node leaves some.
fn spread(opts: &Options, component: Component) -> Affinity {
    Affinity {
        pod_anti_affinity: Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: PodAffinityTerm {
                        label_selector: Some(selector(opts, component)),
                        topology_key: "kubernetes.io/hostname".to_owned(),
                        ..Default::default()
                    },
                },
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn selector(opts: &Options, component: Component) -> LabelSelector {
    LabelSelector {
        match_labels: Some(selector_labels(opts, component)),
        ..Default::default()
    }
}

fn http_get(path: &str, port: &str, scheme: &str, period_seconds: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_owned()),
            port: IntOrString::String(port.to_owned()),
            scheme: Some(scheme.to_owned()),
            ..Default::default()
        }),
        period_seconds: Some(period_seconds),
        timeout_seconds: Some(5),
        failure_threshold: Some(3),
        ..Default::default()
    }
}

fn deployment(
    opts: &Options,
    component: Component,
    replicas: i32,
    strategy: Option<DeploymentStrategy>,
    annotations: Option<BTreeMap<String, String>>,
    pod: PodSpec,
) -> Deployment {
    let name = account_name(opts, component);
    Deployment {
        metadata: meta(opts, &name, Some(&opts.namespace), Some(component)),
        spec: DeploymentSpec {
            replicas: Some(replicas),
            selector: selector(opts, component),
            strategy,
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(opts, Some(component))),
                    annotations,
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(name),
                    affinity: (replicas > 1).then(|| spread(opts, component)),
                    ..pod
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

pub(super) fn server_deployment(opts: &Options, pki: &ServingPki) -> Deployment {
    let mut args = vec![
        format!("--secure-port={SECURE_PORT}"),
        format!("--tls-cert-file={SERVING_CERT_DIR}/tls.crt"),
        format!("--tls-private-key-file={SERVING_CERT_DIR}/tls.key"),
    ];
    let mut volume_mounts = vec![
        VolumeMount {
            name: "serving-cert".to_owned(),
            mount_path: SERVING_CERT_DIR.to_owned(),
            read_only: Some(true),
            ..Default::default()
        },
        VolumeMount {
            name: "tmp".to_owned(),
            mount_path: "/tmp".to_owned(),
            ..Default::default()
        },
    ];
    let mut volumes = vec![
        Volume {
            name: "serving-cert".to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret_name(opts)),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "tmp".to_owned(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        },
    ];
    let strategy = if opts.embedded() {
        args.push(format!("--data-dir={DATA_DIR}"));
        volume_mounts.push(VolumeMount {
            name: "data".to_owned(),
            mount_path: DATA_DIR.to_owned(),
            ..Default::default()
        });
        volumes.push(Volume {
            name: "data".to_owned(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(opts),
                ..Default::default()
            }),
            ..Default::default()
        });
        // A rolling update would start the new pod while the old one still holds the
        // ReadWriteOnce volume and the database's lock.
        Some(DeploymentStrategy {
            type_: Some("Recreate".to_owned()),
            ..Default::default()
        })
    } else {
        args.push(format!("--etcd-servers={}", opts.etcd_servers.join(",")));
        None
    };
    let hash = Sha256::digest(pki.serving.cert_pem.as_bytes());
    let annotations =
        BTreeMap::from([(SERVING_CERT_HASH_ANNOTATION.to_owned(), format!("{hash:x}"))]);
    let container = Container {
        name: "apiserver".to_owned(),
        image: Some(opts.image.clone()),
        args: Some(args),
        ports: Some(vec![ContainerPort {
            name: Some("https".to_owned()),
            container_port: SECURE_PORT,
            protocol: Some("TCP".to_owned()),
            ..Default::default()
        }]),
        // The server allows these paths to anonymous users, as kubelet probes are.
        liveness_probe: Some(http_get("/livez", "https", "HTTPS", 10)),
        readiness_probe: Some(http_get("/readyz", "https", "HTTPS", 5)),
        resources: Some(ResourceRequirements {
            requests: Some(quantities([("cpu", "100m"), ("memory", "128Mi")])),
            limits: Some(quantities([("memory", "512Mi")])),
            ..Default::default()
        }),
        security_context: Some(container_security_context()),
        volume_mounts: Some(volume_mounts),
        ..Default::default()
    };
    deployment(
        opts,
        Component::Server,
        opts.replicas,
        strategy,
        Some(annotations),
        PodSpec {
            containers: vec![container],
            volumes: Some(volumes),
            security_context: Some(pod_security_context(opts.embedded())),
            ..Default::default()
        },
    )
}

pub(super) fn service(opts: &Options) -> Service {
    Service {
        metadata: meta(
            opts,
            &opts.name,
            Some(&opts.namespace),
            Some(Component::Server),
        ),
        spec: Some(ServiceSpec {
            selector: Some(selector_labels(opts, Component::Server)),
            ports: Some(vec![ServicePort {
                name: Some("https".to_owned()),
                port: 443,
                target_port: Some(IntOrString::String("https".to_owned())),
                protocol: Some("TCP".to_owned()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// At most one server pod evicted at a time. Not `minAvailable: 1`: with the single replica of
/// the embedded store that would block every node drain; with several replicas the others keep
/// serving while one moves.
pub(super) fn disruption_budget(opts: &Options) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: meta(
            opts,
            &opts.name,
            Some(&opts.namespace),
            Some(Component::Server),
        ),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector(opts, Component::Server)),
            // A pod that is not ready serves nobody; evicting it must not wait for the budget.
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Registers the group version with the aggregator, which proxies it to the Service and
/// verifies the serving certificate against `caBundle`.
pub(super) fn api_service(opts: &Options, pki: &ServingPki) -> APIService {
    APIService {
        metadata: meta(
            opts,
            format!("{}.{}", foo_sdk::VERSION, foo_sdk::GROUP),
            None,
            Some(Component::Server),
        ),
        spec: Some(APIServiceSpec {
            group: Some(foo_sdk::GROUP.to_owned()),
            version: Some(foo_sdk::VERSION.to_owned()),
            service: Some(ServiceReference {
                namespace: Some(opts.namespace.clone()),
                name: Some(opts.name.clone()),
                port: Some(443),
            }),
            ca_bundle: Some(ByteString(pki.ca.cert_pem.as_bytes().to_vec())),
            group_priority_minimum: 1000,
            version_priority: 15,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Two replicas, one reconciling while it holds the Lease, the other ready to take over.
pub(super) fn controller_deployment(opts: &Options) -> Deployment {
    let container = Container {
        name: "controller".to_owned(),
        image: Some(opts.image.clone()),
        args: Some(vec![
            "controller".to_owned(),
            "--leader-elect=true".to_owned(),
            format!("--lease-namespace={}", opts.namespace),
            format!("--lease-name={}", controller_name(opts)),
            format!("--metrics-bind-address=0.0.0.0:{METRICS_PORT}"),
        ]),
        ports: Some(vec![ContainerPort {
            name: Some("metrics".to_owned()),
            container_port: METRICS_PORT,
            protocol: Some("TCP".to_owned()),
            ..Default::default()
        }]),
        liveness_probe: Some(http_get("/healthz", "metrics", "HTTP", 10)),
        resources: Some(ResourceRequirements {
            requests: Some(quantities([("cpu", "50m"), ("memory", "64Mi")])),
            limits: Some(quantities([("memory", "256Mi")])),
            ..Default::default()
        }),
        security_context: Some(container_security_context()),
        ..Default::default()
    };
    deployment(
        opts,
        Component::Controller,
        2,
        None,
        None,
        PodSpec {
            containers: vec![container],
            security_context: Some(pod_security_context(false)),
            ..Default::default()
        },
    )
}
