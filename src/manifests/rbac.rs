//! Identities and permissions: the server's delegated authentication and authorization, the
//! controller's access to Foos, Events and its Lease, and roles for users.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};

use super::{Component, Options, meta};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

pub(super) fn controller_name(opts: &Options) -> String {
    format!("{}-controller", opts.name)
}

pub(super) fn account_name(opts: &Options, component: Component) -> String {
    match component {
        Component::Server => opts.name.clone(),
        Component::Controller => controller_name(opts),
    }
}

pub(super) fn service_account(opts: &Options, component: Component) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(
            opts,
            account_name(opts, component),
            Some(&opts.namespace),
            Some(component),
        ),
        ..Default::default()
    }
}

fn subject(opts: &Options, component: Component) -> Vec<Subject> {
    vec![Subject {
        kind: "ServiceAccount".to_owned(),
        name: account_name(opts, component),
        namespace: Some(opts.namespace.clone()),
        ..Default::default()
    }]
}

fn role_ref(kind: &str, name: &str) -> RoleRef {
    RoleRef {
        api_group: Some(RBAC_GROUP.to_owned()),
        kind: kind.to_owned(),
        name: name.to_owned(),
    }
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    let strings = |items: &[&str]| Some(items.iter().map(|s| (*s).to_owned()).collect());
    PolicyRule {
        api_groups: strings(groups),
        resources: strings(resources),
        verbs: strings(verbs).unwrap_or_default(),
        ..Default::default()
    }
}

/// TokenReviews and SubjectAccessReviews: how the server authenticates and authorizes the
/// requests the aggregator forwards.
pub(super) fn auth_delegator(opts: &Options) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: meta(
            opts,
            format!("{}:system:auth-delegator", opts.name),
            None,
            Some(Component::Server),
        ),
        role_ref: role_ref("ClusterRole", "system:auth-delegator"),
        subjects: Some(subject(opts, Component::Server)),
    }
}

/// kube-system/extension-apiserver-authentication: the client CA and the front proxy's
/// settings, which the server reads and follows.
pub(super) fn authentication_reader(opts: &Options) -> RoleBinding {
    RoleBinding {
        metadata: meta(
            opts,
            format!("{}:extension-apiserver-authentication-reader", opts.name),
            Some("kube-system"),
            Some(Component::Server),
        ),
        role_ref: role_ref("Role", "extension-apiserver-authentication-reader"),
        subjects: Some(subject(opts, Component::Server)),
    }
}

pub(super) fn controller_cluster_role(opts: &Options) -> ClusterRole {
    let foos = foo_sdk::PLURAL;
    let status = format!("{foos}/status");
    ClusterRole {
        metadata: meta(
            opts,
            controller_name(opts),
            None,
            Some(Component::Controller),
        ),
        rules: Some(vec![
            rule(
                &[foo_sdk::GROUP],
                &[foos],
                &["get", "list", "watch", "update", "patch"],
            ),
            rule(&[foo_sdk::GROUP], &[&status], &["get", "update", "patch"]),
            rule(
                &["", "events.k8s.io"],
                &["events"],
                &["create", "patch", "update"],
            ),
        ]),
        ..Default::default()
    }
}

pub(super) fn controller_cluster_role_binding(opts: &Options) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: meta(
            opts,
            controller_name(opts),
            None,
            Some(Component::Controller),
        ),
        role_ref: role_ref("ClusterRole", &controller_name(opts)),
        subjects: Some(subject(opts, Component::Controller)),
    }
}

/// The leader-election Lease `<name>-controller` in the server's namespace: creating it, then
/// reading and renewing that one only (`create` cannot be limited to a name).
pub(super) fn controller_lease_role(opts: &Options) -> Role {
    let lease = controller_name(opts);
    let mut by_name = rule(&["coordination.k8s.io"], &["leases"], &["get", "update"]);
    by_name.resource_names = Some(vec![lease.clone()]);
    Role {
        metadata: meta(
            opts,
            lease,
            Some(&opts.namespace),
            Some(Component::Controller),
        ),
        rules: Some(vec![
            rule(&["coordination.k8s.io"], &["leases"], &["create"]),
            by_name,
        ]),
    }
}

pub(super) fn controller_lease_role_binding(opts: &Options) -> RoleBinding {
    RoleBinding {
        metadata: meta(
            opts,
            controller_name(opts),
            Some(&opts.namespace),
            Some(Component::Controller),
        ),
        role_ref: role_ref("Role", &controller_name(opts)),
        subjects: Some(subject(opts, Component::Controller)),
    }
}

/// A role that the cluster folds into the built-in `role` through its aggregation label (and
/// `extra_aggregations` more).
fn aggregated_role(
    opts: &Options,
    role: &str,
    extra_aggregations: &[&str],
    rules: Vec<PolicyRule>,
) -> ClusterRole {
    let mut metadata = meta(opts, format!("{}-{role}", opts.name), None, None);
    let labels = metadata.labels.get_or_insert_default();
    for aggregate_to in std::iter::once(&role).chain(extra_aggregations) {
        labels.insert(
            format!("{RBAC_GROUP}/aggregate-to-{aggregate_to}"),
            "true".to_owned(),
        );
    }
    ClusterRole {
        metadata,
        rules: Some(rules),
        ..Default::default()
    }
}

/// Reading Foos, as the built-in `view` reads every resource and its status.
pub(super) fn view_role(opts: &Options) -> ClusterRole {
    let status = format!("{}/status", foo_sdk::PLURAL);
    aggregated_role(
        opts,
        "view",
        &[],
        vec![rule(
            &[foo_sdk::GROUP],
            &[foo_sdk::PLURAL, &status],
            &["get", "list", "watch"],
        )],
    )
}

/// Writing Foos and calling `bar`. Like the built-in `edit` (and `admin`, which includes it),
/// no status writes: status is the controller's; reads come from `view`, which `edit`
/// aggregates.
pub(super) fn edit_role(opts: &Options) -> ClusterRole {
    let bar = format!("{}/{}", foo_sdk::PLURAL, foo_sdk::BAR_SUBRESOURCE);
    aggregated_role(
        opts,
        "edit",
        &["admin"],
        vec![
            rule(
                &[foo_sdk::GROUP],
                &[foo_sdk::PLURAL],
                &["create", "update", "patch", "delete", "deletecollection"],
            ),
            rule(&[foo_sdk::GROUP], &[&bar], &["create"]),
        ],
    )
}
