//! The library's NamespaceLifecycle admission against a real kube-apiserver: objects of a
//! namespaced kind are created only in namespaces the cluster has and is not deleting.

mod common;

use aggregated_apiserver::admission::{
    Admission, Attributes, NamespaceLifecycle, Objects, Operation,
};
use aggregated_apiserver::authn::UserInfo;
use aggregated_apiserver::resource::ResourceInfo;
use common::cluster::Cluster;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, PostParams};
use serde_json::{Value, json};

/// A namespaced kind, as NamespaceLifecycle sees it.
const FLUNDERS: ResourceInfo = ResourceInfo {
    group: "wardle.example.com",
    version: "v1beta1",
    kind: "Flunder",
    list_kind: "FlunderList",
    plural: "flunders",
    singular: "flunder",
    short_names: &[],
    categories: &[],
    namespaced: true,
    verbs: &["create", "get"],
    subresources: &[],
    selectable_fields: &[],
};

#[tokio::test(flavor = "multi_thread")]
async fn namespace_lifecycle_asks_the_cluster() {
    let cluster = Cluster::start();
    let client = cluster.client().await;
    let namespaces = kube::Api::<Namespace>::all(client.clone());
    for name in ["live", "doomed"] {
        let namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        namespaces
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap();
    }
    // Without a namespace controller in this cluster, a deleted namespace stays Terminating.
    namespaces
        .delete("doomed", &DeleteParams::default())
        .await
        .unwrap();

    let lifecycle = NamespaceLifecycle::new(client);
    let user = UserInfo::anonymous();
    let admit = async |operation, namespace| {
        let attributes = Attributes {
            operation,
            resource: &FLUNDERS,
            subresource: None,
            namespace,
            name: "one",
            old_object: None,
            user: &user,
            dry_run: false,
            objects: Objects::default(),
        };
        let mut object = json!({});
        lifecycle
            .admit(&attributes, &mut object)
            .await
            .map_err(|e| e.to_status())
    };

    assert_eq!(admit(Operation::Create, Some("live")).await, Ok(()));
    assert_eq!(
        admit(Operation::Create, None).await,
        Ok(()),
        "cluster-scoped"
    );
    assert_eq!(
        admit(Operation::Update, Some("doomed")).await,
        Ok(()),
        "only creates"
    );

    let missing = admit(Operation::Create, Some("nowhere")).await.unwrap_err();
    assert_eq!(
        missing,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "namespaces \"nowhere\" not found", "reason": "NotFound",
               "details": {"name": "nowhere", "kind": "namespaces"}, "code": 404})
    );
    let terminating: Value = admit(Operation::Create, Some("doomed")).await.unwrap_err();
    assert_eq!(terminating["code"], 403);
    assert_eq!(
        terminating["message"],
        "flunders.wardle.example.com \"one\" is forbidden: unable to create new content in namespace doomed because it is being terminated"
    );
    assert_eq!(
        terminating["details"]["causes"],
        json!([{"reason": "NamespaceTerminating", "message": "namespace doomed is being terminated",
                "field": "metadata.namespace"}])
    );
}
