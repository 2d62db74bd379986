//! The control plane the aggregation tests run foo-apiserver under (`common::cluster`):
//! kube-apiserver ready for the admin and for kubectl, its aggregation settings published as
//! aggregated API servers read them, the front proxy's headers honoured, certificates for
//! other users, and kube-controller-manager aggregating ClusterRoles.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use http::Method;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{Api, PostParams};
use serde_json::json;

use common::cluster::{Cluster, FRONT_PROXY_CLIENT};

const WAIT: Duration = Duration::from_secs(60);

/// Whether kubectl succeeded, and its stdout (stderr too when it failed).
fn kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .expect("run kubectl");
    let mut text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() {
        text.push_str(&format!(
            " ({})",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn control_plane_for_aggregation() {
    let cluster = Cluster::start();

    // kubectl, as the admin.
    let (ok, out) = kubectl(&cluster.kubeconfig(), &["get", "--raw", "/readyz"]);
    assert!(ok && out == "ok", "kubectl get --raw /readyz: {out}");

    // What an aggregated API server reads to authenticate kube-apiserver's requests.
    let client = cluster.client().await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let deadline = Instant::now() + WAIT;
    let auth = loop {
        if let Some(cm) = config_maps
            .get_opt("extension-apiserver-authentication")
            .await
            .expect("get the configmap")
        {
            break cm;
        }
        assert!(
            Instant::now() < deadline,
            "no kube-system/extension-apiserver-authentication\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let data = auth.data.unwrap_or_default();
    let key = |name: &str| {
        data.get(name)
            .unwrap_or_else(|| panic!("{name} missing in {:?}", data.keys()))
            .trim()
            .to_owned()
    };
    assert_eq!(key("client-ca-file"), cluster.client_ca_pem().trim());
    assert_eq!(
        key("requestheader-client-ca-file"),
        cluster.front_proxy_ca_pem().trim()
    );
    assert_eq!(
        key("requestheader-allowed-names"),
        json!([FRONT_PROXY_CLIENT]).to_string()
    );
    assert_eq!(
        key("requestheader-username-headers"),
        r#"["X-Remote-User"]"#
    );
    assert_eq!(key("requestheader-uid-headers"), r#"["X-Remote-Uid"]"#);

    // The front proxy's certificate makes kube-apiserver trust the X-Remote-* headers, as
    // an aggregated API server trusts them from kube-apiserver.
    let proxy = cluster.client_with(cluster.front_proxy_client()).await;
    let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let reply = common::http::send(
        &proxy,
        Method::POST,
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        &[
            ("content-type", "application/json"),
            ("X-Remote-User", "bob"),
            ("X-Remote-Uid", "bob-uid"),
            ("X-Remote-Group", "team"),
            ("X-Remote-Extra-Scopes", "read"),
        ],
        Some(review.to_string().into_bytes()),
    )
    .await;
    let user = &reply.expect(201)["status"]["userInfo"];
    assert_eq!(user["username"], "bob", "{user}");
    assert_eq!(user["uid"], "bob-uid", "{user}");
    assert_eq!(
        user["groups"],
        json!(["team", "system:authenticated"]),
        "{user}"
    );
    assert_eq!(user["extra"]["scopes"], json!(["read"]), "{user}");

    // kube-controller-manager aggregates a labelled ClusterRole into view.
    let roles: Api<ClusterRole> = Api::all(client.clone());
    let role: ClusterRole = serde_json::from_value(json!({
        "metadata": {
            "name": "foos-view",
            "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        },
        "rules": [{
            "apiGroups": ["demo.jeremyxu2010.me"],
            "resources": ["foos"],
            "verbs": ["get", "list", "watch"],
        }],
    }))
    .unwrap();
    roles.create(&PostParams::default(), &role).await.unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let view = roles.get("view").await.unwrap();
        let aggregated = view.rules.unwrap_or_default().iter().any(|rule| {
            rule.api_groups.as_deref() == Some(&["demo.jeremyxu2010.me".to_owned()])
                && rule.resources.as_deref() == Some(&["foos".to_owned()])
        });
        if aggregated {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "foos-view was not aggregated into view\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A user with a certificate from the cluster CA, for kubectl and for kube clients, gets
    // what view grants, the aggregated foos included, once bound to it.
    let alice = cluster.user_kubeconfig("alice", Some("testers"));
    let (ok, out) = kubectl(&alice, &["auth", "whoami", "-o", "json"]);
    assert!(ok, "kubectl auth whoami: {out}");
    let whoami: serde_json::Value = serde_json::from_str(&out).unwrap();
    let user = &whoami["status"]["userInfo"];
    assert_eq!(user["username"], "alice", "{user}");
    assert_eq!(
        user["groups"],
        json!(["testers", "system:authenticated"]),
        "{user}"
    );
    let can_i = ["auth", "can-i", "list", "configmaps"];
    let (_, out) = kubectl(&alice, &can_i);
    assert!(
        out.starts_with("no"),
        "alice can-i list configmaps, unbound: {out}"
    );
    let alice_client = cluster
        .client_with(&cluster.user_certificate("alice", Some("testers")))
        .await;
    let list_foos = async || {
        let review = json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {
                "group": "demo.jeremyxu2010.me", "resource": "foos", "verb": "list",
            }},
        });
        let reply = common::http::send(
            &alice_client,
            Method::POST,
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            &[("content-type", "application/json")],
            Some(review.to_string().into_bytes()),
        )
        .await;
        reply.expect(201)["status"]["allowed"] == json!(true)
    };
    assert!(!list_foos().await, "alice may list foos, unbound");
    let binding: ClusterRoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "testers-view"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "testers"}],
    }))
    .unwrap();
    Api::<ClusterRoleBinding>::all(client)
        .create(&PostParams::default(), &binding)
        .await
        .unwrap();
    // RBAC's informers see the binding a moment later.
    let deadline = Instant::now() + WAIT;
    loop {
        let (ok, out) = kubectl(&alice, &can_i);
        if ok && out == "yes" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "alice can-i list configmaps, bound: {out}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(list_foos().await, "alice may not list foos, bound to view");
    let (ok, out) = kubectl(&alice, &["auth", "can-i", "delete", "configmaps"]);
    assert!(
        !ok && out.starts_with("no"),
        "alice can-i delete configmaps: {out}"
    );
}
