//! A black-box conformance suite for the wardle.example.com API of k8s.io/sample-apiserver
//! v0.34.4: namespaced Flunders in v1alpha1 and v1beta1 (converted between them, stored as
//! v1alpha1), cluster-scoped Fischers in v1alpha1, and the NamespaceLifecycle and BanFlunder
//! admission. Every expectation is what the Go sample-apiserver answers, through a real
//! kube-apiserver it is aggregated into, so that another implementation of the API can be run
//! through the same suite: `suite!` instantiates every area for one [`Target`]
//! (`common/wardle`), each area starting its own control plane once.
//!
//! Waits are bounded: what the server's informers (BanFlunder's Fischers, NamespaceLifecycle's
//! namespaces) have not seen yet is retried as a dry run until `WAIT`.

mod common;
#[path = "common/wardle/mod.rs"]
mod wardle;

use std::path::Path;
use std::time::{Duration, Instant};

use common::http::{
    AGGREGATED_DISCOVERY, APPLY_PATCH, JSON, JSON_PATCH, MERGE_PATCH, Reply, STRATEGIC_MERGE_PATCH,
    TABLE, send,
};
use common::{Kubectl, each_kubectl, ok};
use http::{Method, Request};
use http_body_util::BodyExt;
use kube::client::Body;
use serde_json::{Value, json};
use tokio::time::{sleep, timeout};
use wardle::{GROUP, Target};

/// Instantiates every area of the suite as the tests of module `$name` against `$target`.
macro_rules! suite {
    ($name:ident, $target:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread")]
            async fn discovery() {
                super::discovery(&$target).await
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn flunders() {
                super::flunders(&$target).await
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn patches_and_lists() {
                super::patches_and_lists(&$target).await
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn watch_and_tables() {
                super::watch_and_tables(&$target).await
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn admission_and_fischers() {
                super::admission_and_fischers(&$target).await
            }
        }
    };
}

// The Go sample-apiserver is the oracle; examples/wardle serves the same API on the library.
suite!(go_sample_apiserver, Target::go_sample_apiserver());
suite!(rust_wardle, Target::rust_wardle());

const V1ALPHA1: &str = "wardle.example.com/v1alpha1";
const V1BETA1: &str = "wardle.example.com/v1beta1";
const FISCHERS: &str = "/apis/wardle.example.com/v1alpha1/fischers";
/// The field manager of the suite's writes, so that managedFields do not name the client.
const MANAGER: &str = "fieldManager=conformance";
/// The longest an event, or an informer of the server catching up, may take.
const WAIT: Duration = Duration::from_secs(60);
/// Every resource's verbs, as discovery lists them.
const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// What every v1alpha1 request for a Flunder or a Fischer is answered with (v1alpha1's types
/// are introduced in 1.0 and removed in 1.10, so deprecated from 1.3).
const FLUNDER_DEPRECATED: &str =
    "299 - \"wardle.example.com/v1alpha1 Flunder is deprecated in v1.3+, unavailable in v1.10+\"";
const FISCHER_DEPRECATED: &str =
    "299 - \"wardle.example.com/v1alpha1 Fischer is deprecated in v1.3+, unavailable in v1.10+\"";

// ---------------------------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------------------------

/// The group, its versions and resources, from the server itself and through kube-apiserver,
/// in the legacy and the aggregated form, and as kubectl shows them.
async fn discovery(target: &Target) {
    let (wardle, through) = start(target, &[]).await;
    let direct = wardle.direct().await;
    let group = json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": GROUP,
        "versions": [
            {"groupVersion": V1BETA1, "version": "v1beta1"},
            {"groupVersion": V1ALPHA1, "version": "v1alpha1"},
        ],
        "preferredVersion": {"groupVersion": V1BETA1, "version": "v1beta1"},
    });
    let resource = |name: &str, kind: &str, namespaced: bool, hash: &str| {
        json!({
            "name": name,
            "singularName": name.trim_end_matches('s'),
            "namespaced": namespaced,
            "kind": kind,
            "verbs": VERBS,
            "storageVersionHash": hash,
        })
    };
    // The hashes are of the storage version, v1alpha1, for both versions' Flunders:
    // base64(sha256("wardle.example.com/v1alpha1/Flunder")[..8]).
    let flunders = resource("flunders", "Flunder", true, "UHqNx5H3K7A=");
    let fischers = resource("fischers", "Fischer", false, "YS5qRiSxzNM=");
    let resource_list = |group_version: &str, resources: Vec<Value>| {
        json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version,
            "resources": resources,
        })
    };
    let v1alpha1 = resource_list(V1ALPHA1, vec![fischers.clone(), flunders.clone()]);
    let v1beta1 = resource_list(V1BETA1, vec![flunders.clone()]);
    for (client, via) in [(&direct, "the server"), (&through, "kube-apiserver")] {
        let fetch = |path: &'static str| get(client, path);
        assert_eq!(
            fetch("/apis/wardle.example.com").await.expect(200),
            group,
            "the group from {via}"
        );
        assert_eq!(
            fetch("/apis/wardle.example.com/v1alpha1").await.expect(200),
            v1alpha1,
            "v1alpha1 from {via}"
        );
        assert_eq!(
            fetch("/apis/wardle.example.com/v1beta1").await.expect(200),
            v1beta1,
            "v1beta1 from {via}"
        );
        // Fischer is not served in v1beta1, and a Flunder has no subresource.
        for path in [
            "/apis/wardle.example.com/v1beta1/fischers",
            "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders/any/status",
        ] {
            not_served(&fetch(path).await);
        }
    }

    // The server's own group list names only its group, in the same order.
    let groups = get(&direct, "/apis").await.expect(200);
    assert_eq!(groups["kind"], "APIGroupList");
    let listed: Vec<Value> = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| json!({"name": g["name"], "versions": g["versions"], "preferredVersion": g["preferredVersion"]}))
        .collect();
    assert_eq!(
        listed,
        [
            json!({"name": GROUP, "versions": group["versions"], "preferredVersion": group["preferredVersion"]})
        ]
    );

    // Aggregated discovery: the server's, and kube-apiserver's entry for the group (which it
    // takes from the server). The response kind leaves group and version empty.
    let discovered = |resource: &str, kind: &str, scope: &str| {
        json!({
            "resource": resource,
            "responseKind": {"group": "", "version": "", "kind": kind},
            "scope": scope,
            "singularResource": resource.trim_end_matches('s'),
            "verbs": VERBS,
        })
    };
    let aggregated = json!({
        "metadata": {"name": GROUP},
        "versions": [
            {
                "version": "v1beta1",
                "resources": [discovered("flunders", "Flunder", "Namespaced")],
                "freshness": "Current",
            },
            {
                "version": "v1alpha1",
                "resources": [
                    discovered("fischers", "Fischer", "Cluster"),
                    discovered("flunders", "Flunder", "Namespaced"),
                ],
                "freshness": "Current",
            },
        ],
    });
    let reply = get_as(&direct, "/apis", AGGREGATED_DISCOVERY).await;
    let list = reply.expect(200);
    assert!(
        reply.content_type().contains("as=APIGroupDiscoveryList"),
        "aggregated discovery answered as {}",
        reply.content_type()
    );
    assert_eq!(list["kind"], "APIGroupDiscoveryList");
    assert_eq!(list["apiVersion"], "apidiscovery.k8s.io/v2");
    assert_eq!(list["items"], json!([aggregated]), "the server's own");
    let list = get_as(&through, "/apis", AGGREGATED_DISCOVERY)
        .await
        .expect(200);
    let entry = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["metadata"]["name"] == GROUP);
    assert_eq!(entry, Some(&aggregated), "kube-apiserver's: {list}");

    // kubectl shows each resource in its preferred version: Fischer's only one is v1alpha1.
    let kubeconfig = wardle.kubeconfig();
    each_kubectl(|kubectl| {
        let out = ok(&kubectl.run(&kubeconfig, &["api-resources", "--api-group", GROUP]));
        assert_eq!(
            lines(&out),
            [
                "NAME SHORTNAMES APIVERSION NAMESPACED KIND",
                "fischers wardle.example.com/v1alpha1 false Fischer",
                "flunders wardle.example.com/v1beta1 true Flunder",
            ]
        );
    });

    // The OpenAPI schemas kubectl explains, per version. kube-apiserver fetches an aggregated
    // server's OpenAPI v3 documents in the background: until it has, explain finds no
    // resource, so it is asked again for a bounded while.
    let explain = |args: &[&str], fields: &[&str]| {
        let explained = || wardle.kubectl(&[&["explain"], args].concat());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut output = explained();
        while !output.status.success()
            && String::from_utf8_lossy(&output.stderr).contains("couldn't find resource")
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(500));
            output = explained();
        }
        let text = ok(&output);
        for field in fields {
            assert!(text.contains(field), "no {field:?} in:\n{text}");
        }
        text
    };
    let spec = explain(
        &["flunders.spec"],
        &[
            "fischerReference\t<string>",
            "flunderReference\t<string>",
            "referenceType\t<string>",
        ],
    );
    assert!(spec.contains("VERSION:    v1beta1"), "{spec}");
    let spec = explain(
        &["flunders.spec", "--api-version", V1ALPHA1],
        &["reference\t<string>", "referenceType\t<string>"],
    );
    assert!(!spec.contains("flunderReference"), "{spec}");
    explain(&["fischers"], &["disallowedFlunders\t<[]string>"]);
}

/// A path the server does not serve: 404 with a Status that names nothing.
fn not_served(reply: &Reply) {
    failure(
        reply,
        404,
        "NotFound",
        "the server could not find the requested resource",
    );
    assert_eq!(reply.json()["details"], json!({}), "{}", reply.what);
}

// ---------------------------------------------------------------------------------------------
// Flunders: create, read in both versions, validation, update, delete
// ---------------------------------------------------------------------------------------------

/// Flunders in a namespace through both versions: conversion, defaulting, validation (on
/// create only), the errors of create, update and delete, and finalizers.
async fn flunders(target: &Target) {
    let (_wardle, client) = start(target, &["wardle"]).await;
    let client = &client;
    let alpha = flunders_path("v1alpha1", "wardle");
    let beta = flunders_path("v1beta1", "wardle");

    // v1alpha1's `reference` is defaulted to a Flunder reference, which v1beta1 shows as
    // `flunderReference`; the empty status is written out.
    let mut one = flunder("v1alpha1", "one", json!({"reference": "other"}));
    one["metadata"]["labels"] = json!({"color": "blue"});
    let reply = post(client, &format!("{alpha}?{MANAGER}"), &one).await;
    let created = created_in_v1alpha1(&reply, "Flunder", FLUNDER_DEPRECATED);
    assert_eq!(
        created["spec"],
        json!({"reference": "other", "referenceType": "Flunder"})
    );
    assert_eq!(created["status"], json!({}));
    let meta = &created["metadata"];
    assert_eq!(meta["name"], "one");
    assert_eq!(meta["namespace"], "wardle");
    assert_eq!(meta["labels"], json!({"color": "blue"}));
    for field in ["uid", "resourceVersion", "creationTimestamp"] {
        assert!(meta[field].is_string(), "no metadata.{field}: {created}");
    }
    // The defaulted referenceType is owned by the writer too, in the version it wrote.
    let managed = &meta["managedFields"];
    assert_eq!(managed.as_array().map(Vec::len), Some(1), "{managed}");
    assert_eq!(managed[0]["manager"], "conformance");
    assert_eq!(managed[0]["operation"], "Update");
    assert_eq!(managed[0]["apiVersion"], V1ALPHA1);
    assert_eq!(managed[0]["fieldsType"], "FieldsV1");
    assert_eq!(
        managed[0]["fieldsV1"],
        json!({
            "f:metadata": {"f:labels": {".": {}, "f:color": {}}},
            "f:spec": {"f:reference": {}, "f:referenceType": {}},
        })
    );
    let reply = get(client, &format!("{beta}/one")).await;
    let read = reply.expect(200);
    assert!(
        reply.header_all("warning").is_empty(),
        "v1beta1 is not deprecated"
    );
    assert_eq!(read["apiVersion"], V1BETA1);
    assert_eq!(
        read["spec"],
        json!({"flunderReference": "other", "referenceType": "Flunder"})
    );
    assert_eq!(read["status"], json!({}));
    for field in ["uid", "resourceVersion", "creationTimestamp", "labels"] {
        assert_eq!(read["metadata"][field], meta[field], "metadata.{field}");
    }
    assert_eq!(read["metadata"]["managedFields"], *managed);

    // v1beta1's fischerReference is v1alpha1's reference with referenceType Fischer.
    let two = flunder(
        "v1beta1",
        "two",
        json!({"fischerReference": "fish", "referenceType": "Fischer"}),
    );
    let created = post(client, &beta, &two).await.expect(201);
    assert_eq!(created["spec"], two["spec"]);
    let read = get(client, &format!("{alpha}/two")).await.expect(200);
    assert_eq!(
        read["spec"],
        json!({"reference": "fish", "referenceType": "Fischer"})
    );

    // An empty spec, and no managedFields when the writer set nothing but the name.
    let created = post(client, &alpha, &flunder("v1alpha1", "three", json!({})))
        .await
        .expect(201);
    assert_eq!(created["spec"], json!({}));
    assert_eq!(created["metadata"].get("managedFields"), None, "{created}");
    let read = get(client, &format!("{beta}/three")).await.expect(200);
    assert_eq!(read["spec"], json!({}));
    assert_eq!(read["status"], json!({}));

    // A v1alpha1 referenceType that is neither Flunder nor Fischer is dropped by the
    // conversion, with the reference, before validation: the Flunder is created empty.
    let bogus = flunder(
        "v1alpha1",
        "bogus",
        json!({"reference": "x", "referenceType": "Bogus"}),
    );
    let created = post(client, &alpha, &bogus).await.expect(201);
    assert_eq!(created["spec"], json!({}));
    let read = get(client, &format!("{beta}/bogus")).await.expect(200);
    assert_eq!(read["spec"], json!({}));

    // apiVersion and kind may be left out; generateName appends 5 characters; a name need
    // not be a DNS name, only a path segment without '%'.
    let created = post(client, &beta, &json!({"metadata": {"name": "bare"}}))
        .await
        .expect(201);
    assert_eq!(created["kind"], "Flunder");
    assert_eq!(created["apiVersion"], V1BETA1);
    let generated =
        json!({"apiVersion": V1BETA1, "kind": "Flunder", "metadata": {"generateName": "gen-"}});
    let created = post(client, &beta, &generated).await.expect(201);
    let name = created["metadata"]["name"].as_str().expect("a name");
    assert!(
        name.starts_with("gen-") && name.len() == 9,
        "generated name {name:?}"
    );
    assert_eq!(created["metadata"]["generateName"], "gen-");
    let created = post(client, &beta, &flunder("v1beta1", "Upper_Case", json!({})))
        .await
        .expect(201);
    assert_eq!(created["metadata"]["name"], "Upper_Case");
    let reply = post(client, &beta, &flunder("v1beta1", "a%b", json!({}))).await;
    invalid(
        &reply,
        "Flunder",
        "a%b",
        &[(
            "FieldValueInvalid",
            "metadata.name",
            "Invalid value: \"a%b\": may not contain '%'",
        )],
    );
    let reply = post(
        client,
        &beta,
        &json!({"apiVersion": V1BETA1, "kind": "Flunder", "metadata": {}}),
    )
    .await;
    let body = failure(
        &reply,
        422,
        "Invalid",
        "Flunder.wardle.example.com \"\" is invalid: metadata.name: Required value: name or generateName is required",
    );
    assert_eq!(
        body["details"],
        json!({
            "group": GROUP,
            "kind": "Flunder",
            "causes": [{
                "reason": "FieldValueRequired",
                "message": "Required value: name or generateName is required",
                "field": "metadata.name",
            }],
        })
    );

    // A name taken.
    let reply = post(client, &beta, &flunder("v1beta1", "one", json!({}))).await;
    let body = failure(
        &reply,
        409,
        "AlreadyExists",
        "flunders.wardle.example.com \"one\" already exists",
    );
    assert_eq!(body["details"], details("one", "flunders"));

    // Validation of the spec, on create.
    let cases: [(&str, &str, Value, &[Cause]); 5] = [
        (
            "v1alpha1",
            "fe",
            json!({"referenceType": "Fischer"}),
            &[(
                "FieldValueInvalid",
                "spec.fischerReference",
                "Invalid value: \"\": cannot be empty if referenceType is Fischer",
            )],
        ),
        (
            "v1alpha1",
            "fl",
            json!({"referenceType": "Flunder"}),
            &[(
                "FieldValueInvalid",
                "spec.flunderReference",
                "Invalid value: \"\": cannot be empty if referenceType is Flunder",
            )],
        ),
        (
            "v1beta1",
            "b1",
            json!({"flunderReference": "x", "referenceType": "Bogus"}),
            &[
                (
                    "FieldValueInvalid",
                    "spec.flunderReference",
                    "Invalid value: \"x\": cannot be set if referenceType is not Flunder",
                ),
                (
                    "FieldValueInvalid",
                    "spec.referenceType",
                    "Invalid value: \"Bogus\": must be Flunder or Fischer",
                ),
            ],
        ),
        (
            "v1beta1",
            "b2",
            json!({"flunderReference": "x", "fischerReference": "y", "referenceType": "Flunder"}),
            &[(
                "FieldValueInvalid",
                "spec.fischerReference",
                "Invalid value: \"y\": cannot be set with flunderReference at the same time",
            )],
        ),
        (
            "v1beta1",
            "b3",
            json!({"fischerReference": "y", "referenceType": "Flunder"}),
            &[(
                "FieldValueInvalid",
                "spec.fischerReference",
                "Invalid value: \"y\": cannot be set if referenceType is not Fischer",
            )],
        ),
    ];
    for (version, name, spec, causes) in cases {
        let collection = flunders_path(version, "wardle");
        let reply = post(client, &collection, &flunder(version, name, spec)).await;
        invalid(&reply, "Flunder", name, causes);
    }

    // Bodies that do not fit the request.
    let reply = post(client, &beta, &flunder("v1alpha1", "cross", json!({}))).await;
    failure(
        &reply,
        400,
        "BadRequest",
        "the API version in the data (wardle.example.com/v1alpha1) does not match the expected API version (wardle.example.com/v1beta1)",
    );
    let fischer = json!({"apiVersion": V1BETA1, "kind": "Fischer", "metadata": {"name": "f"}});
    failure_starting(
        &post(client, &beta, &fischer).await,
        400,
        "BadRequest",
        "Fischer in version \"v1beta1\" cannot be handled as a Flunder: no kind \"Fischer\" is registered for version \"wardle.example.com/v1beta1\"",
    );
    let mut elsewhere = flunder("v1beta1", "elsewhere", json!({}));
    elsewhere["metadata"]["namespace"] = json!("other");
    failure(
        &post(client, &beta, &elsewhere).await,
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
    );

    // Unknown fields: a warning by default, refused with fieldValidation=Strict.
    let unknown = flunder("v1beta1", "unknown", json!({"bogusField": 1}));
    let reply = post(client, &beta, &unknown).await;
    assert_eq!(reply.expect(201)["spec"], json!({}));
    assert_eq!(
        reply.header_all("warning"),
        ["299 - \"unknown field \\\"spec.bogusField\\\"\""]
    );
    let reply = post(client, &format!("{beta}?fieldValidation=Strict"), &unknown).await;
    failure(
        &reply,
        400,
        "BadRequest",
        "Flunder in version \"v1beta1\" cannot be handled as a Flunder: strict decoding error: unknown field \"spec.bogusField\"",
    );

    // Neither protobuf (the types have no protobuf encoding) nor text.
    let reply = get_as(
        client,
        &format!("{beta}/one"),
        "application/vnd.kubernetes.protobuf",
    )
    .await;
    assert_eq!(reply.status.as_u16(), 406, "{}", reply.what);
    let reply = send_raw(client, Method::POST, &beta, "text/plain", b"{}").await;
    // Protobuf is offered all the same.
    failure(
        &reply,
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
    );

    // Update: the current resourceVersion is required, a stale one conflicts, nothing is
    // created by an update, and the name is the URL's.
    let current = get(client, &format!("{beta}/one")).await.expect(200);
    let rv = current["metadata"]["resourceVersion"].clone();
    let mut update = current.clone();
    update["spec"] = json!({"flunderReference": "updated", "referenceType": "Flunder"});
    let updated = put(client, &format!("{beta}/one"), &update)
        .await
        .expect(200);
    assert_eq!(updated["spec"], update["spec"]);
    assert_ne!(updated["metadata"]["resourceVersion"], rv);
    assert_eq!(updated["metadata"]["uid"], current["metadata"]["uid"]);
    let read = get(client, &format!("{alpha}/one")).await.expect(200);
    assert_eq!(
        read["spec"],
        json!({"reference": "updated", "referenceType": "Flunder"})
    );
    let reply = put(client, &format!("{beta}/one"), &update).await;
    stale(&reply, "flunders", "one");
    let mut unversioned = update.clone();
    unversioned["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("resourceVersion");
    let reply = put(client, &format!("{beta}/one"), &unversioned).await;
    // The kind here is the resource's name.
    invalid(
        &reply,
        "flunders",
        "one",
        &[(
            "FieldValueInvalid",
            "metadata.resourceVersion",
            "Invalid value: 0: must be specified for an update",
        )],
    );
    let mut ghost = flunder("v1beta1", "ghost", json!({}));
    ghost["metadata"]["resourceVersion"] = json!("1");
    let reply = put(client, &format!("{beta}/ghost"), &ghost).await;
    not_found(&reply, "flunders", "ghost");
    let reply = put(client, &format!("{beta}/two"), &updated).await;
    failure(
        &reply,
        400,
        "BadRequest",
        "the name of the object (one) does not match the name on the URL (two)",
    );

    // An update is not validated: what v1alpha1 cannot hold is dropped when it is stored.
    let current = get(client, &format!("{beta}/one")).await.expect(200);
    let mut both = current.clone();
    both["spec"] =
        json!({"flunderReference": "a", "fischerReference": "b", "referenceType": "Flunder"});
    let updated = put(client, &format!("{beta}/one"), &both).await.expect(200);
    assert_eq!(
        updated["spec"],
        json!({"flunderReference": "a", "referenceType": "Flunder"})
    );
    let mut bogus = updated.clone();
    bogus["spec"] = json!({"flunderReference": "a", "referenceType": "Bogus"});
    let updated = put(client, &format!("{beta}/one"), &bogus)
        .await
        .expect(200);
    assert_eq!(updated["spec"], json!({}));

    // Delete: a Status naming the object, then 404 for reads and deletes.
    let uid = get(client, &format!("{beta}/two")).await.expect(200)["metadata"]["uid"].clone();
    let reply = delete(client, &format!("{beta}/two"), None).await;
    deleted(&reply, "flunders", "two", &uid);
    gone(client, &beta, "two").await;
    gone(client, &alpha, "two").await;
    not_found(
        &delete(client, &format!("{beta}/two"), None).await,
        "flunders",
        "two",
    );

    // A UID precondition that does not hold; here the kind is the Kind.
    let preconditions = json!({"preconditions": {"uid": "not-the-uid"}});
    let reply = delete(client, &format!("{beta}/three"), Some(&preconditions)).await;
    let uid = get(client, &format!("{beta}/three")).await.expect(200)["metadata"]["uid"].clone();
    let body = failure(
        &reply,
        409,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on Flunder.wardle.example.com \"three\": the UID in the precondition (not-the-uid) does not match the UID in record ({}). The object might have been deleted and then recreated",
            uid.as_str().unwrap_or_default()
        ),
    );
    assert_eq!(body["details"], details("three", "Flunder"));

    // A finalizer holds a deleted Flunder (the object is answered, with a deletion
    // timestamp) until it is removed.
    let mut held = flunder("v1beta1", "held", json!({}));
    held["metadata"]["finalizers"] = json!(["example.com/hold"]);
    post(client, &beta, &held).await.expect(201);
    let deleting = delete(client, &format!("{beta}/held"), None)
        .await
        .expect(200);
    assert_eq!(deleting["kind"], "Flunder");
    assert!(
        deleting["metadata"]["deletionTimestamp"].is_string(),
        "{deleting}"
    );
    assert_eq!(deleting["metadata"]["deletionGracePeriodSeconds"], 0);
    assert_eq!(
        deleting["metadata"]["finalizers"],
        json!(["example.com/hold"])
    );
    let read = get(client, &format!("{beta}/held")).await.expect(200);
    assert_eq!(
        read["metadata"]["deletionTimestamp"],
        deleting["metadata"]["deletionTimestamp"]
    );
    let released = patch(
        client,
        &format!("{beta}/held"),
        MERGE_PATCH,
        json!({"metadata": {"finalizers": null}}),
    )
    .await
    .expect(200);
    assert_eq!(released["metadata"].get("finalizers"), None, "{released}");
    gone(client, &beta, "held").await;
}

// ---------------------------------------------------------------------------------------------
// Patches and lists
// ---------------------------------------------------------------------------------------------

/// Every patch type (JSON merge, JSON, strategic merge, server-side apply) and their errors;
/// lists in a namespace and across namespaces, label and field selectors, pages, and
/// deletecollection.
async fn patches_and_lists(target: &Target) {
    let (_wardle, client) = start(target, &["red", "blue"]).await;
    let client = &client;
    let alpha = flunders_path("v1alpha1", "red");
    let beta = flunders_path("v1beta1", "red");
    let one = flunder("v1alpha1", "one", json!({"reference": "start"}));
    post(client, &format!("{alpha}?{MANAGER}"), &one)
        .await
        .expect(201);

    // JSON merge patch, in v1alpha1.
    let patched = patch(
        client,
        &format!("{alpha}/one?{MANAGER}"),
        MERGE_PATCH,
        json!({"metadata": {"labels": {"size": "big"}}, "spec": {"reference": "merged"}}),
    )
    .await
    .expect(200);
    assert_eq!(patched["metadata"]["labels"], json!({"size": "big"}));
    assert_eq!(
        patched["spec"],
        json!({"reference": "merged", "referenceType": "Flunder"})
    );
    // JSON patch, in v1beta1, on v1beta1's fields.
    let patched = patch(
        client,
        &format!("{beta}/one?{MANAGER}"),
        JSON_PATCH,
        json!([{"op": "replace", "path": "/spec/flunderReference", "value": "json-patched"}]),
    )
    .await
    .expect(200);
    assert_eq!(
        patched["spec"],
        json!({"flunderReference": "json-patched", "referenceType": "Flunder"})
    );
    // A JSON patch whose test fails: 422 without the patch library's words.
    let reply = patch(
        client,
        &format!("{beta}/one"),
        JSON_PATCH,
        json!([{"op": "test", "path": "/spec/flunderReference", "value": "other"}]),
    )
    .await;
    let body = failure(
        &reply,
        422,
        "Invalid",
        "the server rejected our request due to an error in our request",
    );
    assert_eq!(body["details"], json!({}));
    // Strategic merge patch works: the types are the server's own Go types.
    let patched = patch(
        client,
        &format!("{alpha}/one?{MANAGER}"),
        STRATEGIC_MERGE_PATCH,
        json!({"spec": {"reference": "strategic"}}),
    )
    .await
    .expect(200);
    assert_eq!(
        patched["spec"],
        json!({"reference": "strategic", "referenceType": "Flunder"})
    );
    assert_eq!(patched["metadata"]["labels"], json!({"size": "big"}));

    // Server-side apply: a field another manager owns conflicts unless forced.
    let applied = json!({"apiVersion": V1ALPHA1, "kind": "Flunder", "metadata": {"name": "one"}, "spec": {"reference": "applied"}});
    let reply = patch(
        client,
        &format!("{alpha}/one?fieldManager=tester"),
        APPLY_PATCH,
        applied.clone(),
    )
    .await;
    let body = failure(
        &reply,
        409,
        "Conflict",
        "Apply failed with 1 conflict: conflict with \"conformance\" using wardle.example.com/v1alpha1: .spec.reference",
    );
    assert_eq!(
        body["details"],
        json!({"causes": [{
            "reason": "FieldManagerConflict",
            "message": "conflict with \"conformance\" using wardle.example.com/v1alpha1",
            "field": ".spec.reference",
        }]})
    );
    let reply = patch(
        client,
        &format!("{alpha}/one?fieldManager=tester&force=true"),
        APPLY_PATCH,
        applied,
    )
    .await;
    let forced = reply.expect(200);
    assert_eq!(
        forced["spec"],
        json!({"reference": "applied", "referenceType": "Flunder"})
    );
    let managers: Vec<(String, String)> = forced["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .map(|entry| {
            let field = |name: &str| entry[name].as_str().unwrap_or_default().to_owned();
            (field("manager"), field("operation"))
        })
        .collect();
    assert!(
        managers.contains(&("tester".into(), "Apply".into())),
        "{managers:?}"
    );
    // Server-side apply of a Flunder that does not exist creates it.
    let new = json!({"apiVersion": V1BETA1, "kind": "Flunder", "metadata": {"name": "by-apply"}, "spec": {"fischerReference": "f", "referenceType": "Fischer"}});
    let reply = patch(
        client,
        &format!("{beta}/by-apply?fieldManager=tester"),
        APPLY_PATCH,
        new.clone(),
    )
    .await;
    assert_eq!(reply.expect(201)["spec"], new["spec"]);

    // Patch errors: nothing to patch, a body that is not JSON, a type that is no patch.
    let reply = patch(client, &format!("{beta}/ghost"), MERGE_PATCH, json!({})).await;
    not_found(&reply, "flunders", "ghost");
    let one_path = format!("{beta}/one");
    let reply = send_raw(client, Method::PATCH, &one_path, MERGE_PATCH, b"not json").await;
    failure_starting(&reply, 400, "BadRequest", "error decoding patch: ");
    let reply = send_raw(client, Method::PATCH, &one_path, "text/plain", b"{}").await;
    failure(
        &reply,
        415,
        "UnsupportedMediaType",
        "415: Unsupported Media Type",
    );

    // Lists: red holds one, by-apply and two more; blue holds one and another.
    for (namespace, name, color) in [
        ("red", "two", "green"),
        ("red", "three", "blue"),
        ("blue", "one", "blue"),
        ("blue", "four", ""),
    ] {
        let mut object = flunder("v1beta1", name, json!({}));
        if !color.is_empty() {
            object["metadata"]["labels"] = json!({"color": color});
        }
        post(client, &flunders_path("v1beta1", namespace), &object)
            .await
            .expect(201);
    }
    for version in ["v1alpha1", "v1beta1"] {
        let list = get(client, &flunders_path(version, "red"))
            .await
            .expect(200);
        assert_eq!(list["kind"], "FlunderList");
        assert_eq!(list["apiVersion"], format!("{GROUP}/{version}"));
        assert!(list["metadata"]["resourceVersion"].is_string(), "{list}");
        // Items carry no apiVersion and kind of their own.
        let item = &list["items"][0];
        assert_eq!(
            (item.get("kind"), item.get("apiVersion")),
            (None, None),
            "{item}"
        );
        assert_eq!(
            names(&list),
            ["red/by-apply", "red/one", "red/three", "red/two"]
        );
        let all = get(client, &format!("/apis/{GROUP}/{version}/flunders"))
            .await
            .expect(200);
        assert_eq!(
            names(&all),
            [
                "blue/four",
                "blue/one",
                "red/by-apply",
                "red/one",
                "red/three",
                "red/two"
            ],
            "across namespaces, in {version}"
        );
    }
    // A list in v1alpha1 shows the v1alpha1 spec of what v1beta1 wrote.
    let list = get(
        client,
        &format!("{alpha}?fieldSelector=metadata.name%3Dby-apply"),
    )
    .await
    .expect(200);
    assert_eq!(
        list["items"][0]["spec"],
        json!({"reference": "f", "referenceType": "Fischer"})
    );

    let all = format!("/apis/{GROUP}/v1beta1/flunders");
    for (selector, expected) in [
        ("labelSelector=color%3Dblue", vec!["blue/one", "red/three"]),
        (
            "labelSelector=color%21%3Dblue",
            vec!["blue/four", "red/by-apply", "red/one", "red/two"],
        ),
        (
            "labelSelector=color",
            vec!["blue/one", "red/three", "red/two"],
        ),
        (
            "labelSelector=%21color",
            vec!["blue/four", "red/by-apply", "red/one"],
        ),
        (
            "labelSelector=color+in+(green,blue)",
            vec!["blue/one", "red/three", "red/two"],
        ),
        (
            "fieldSelector=metadata.name%3Done",
            vec!["blue/one", "red/one"],
        ),
        (
            "fieldSelector=metadata.namespace%3Dblue",
            vec!["blue/four", "blue/one"],
        ),
        (
            "fieldSelector=metadata.namespace%21%3Dblue",
            vec!["red/by-apply", "red/one", "red/three", "red/two"],
        ),
        (
            "fieldSelector=metadata.name%3Done,metadata.namespace%3Dred&labelSelector=!color",
            vec!["red/one"],
        ),
    ] {
        let list = get(client, &format!("{all}?{selector}")).await.expect(200);
        assert_eq!(names(&list), expected, "{selector}");
    }
    let reply = get(client, &format!("{all}?fieldSelector=spec.reference%3Dx")).await;
    failure(
        &reply,
        400,
        "BadRequest",
        "\"spec.reference\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
    );
    let reply = get(client, &format!("{all}?labelSelector=color+in+(")).await;
    failure_starting(&reply, 400, "BadRequest", "unable to parse requirement");

    // Pages: a continue token and the count left, then the rest.
    let page = get(client, &format!("{all}?limit=4")).await.expect(200);
    assert_eq!(
        names(&page),
        ["blue/four", "blue/one", "red/by-apply", "red/one"]
    );
    assert_eq!(page["metadata"]["remainingItemCount"], 2);
    let token = page["metadata"]["continue"]
        .as_str()
        .expect("a continue token");
    let rest = get(client, &format!("{all}?limit=4&continue={token}"))
        .await
        .expect(200);
    assert_eq!(names(&rest), ["red/three", "red/two"]);
    assert_eq!(rest["metadata"].get("continue"), None, "{rest}");
    assert_eq!(rest["metadata"].get("remainingItemCount"), None, "{rest}");

    // deletecollection answers the list of what it deleted.
    let reply = delete(client, &format!("{beta}?labelSelector=color"), None).await;
    let deleted = reply.expect(200);
    assert_eq!(deleted["kind"], "FlunderList");
    assert_eq!(deleted["apiVersion"], V1BETA1);
    assert_eq!(names(&deleted), ["red/three", "red/two"]);
    let left = get(client, &beta).await.expect(200);
    assert_eq!(names(&left), ["red/by-apply", "red/one"]);
}

// ---------------------------------------------------------------------------------------------
// Watch and tables
// ---------------------------------------------------------------------------------------------

/// Watch events in a namespace and across namespaces, in the version watched; the server's
/// Tables and how kubectl prints them; kubectl's writes.
async fn watch_and_tables(target: &Target) {
    let (wardle, client) = start(target, &["watched", "elsewhere"]).await;
    let client = &client;
    let alpha = flunders_path("v1alpha1", "watched");
    let beta = flunders_path("v1beta1", "watched");
    let list = get(client, &beta).await.expect(200);
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .expect("a resourceVersion");
    let mut watch = Watch::open(client, &format!("{beta}?watch=1&resourceVersion={rv}")).await;
    let all = format!(
        "/apis/{GROUP}/v1alpha1/flunders?watch=1&resourceVersion={rv}&fieldSelector=metadata.name%3Dw"
    );
    let mut named = Watch::open(client, &all).await;

    // Written in v1alpha1, seen in v1beta1; nothing from another namespace.
    post(
        client,
        &flunders_path("v1beta1", "elsewhere"),
        &flunder("v1beta1", "other", json!({})),
    )
    .await
    .expect(201);
    let created = post(
        client,
        &alpha,
        &flunder("v1alpha1", "w", json!({"reference": "a"})),
    )
    .await
    .expect(201);
    let patched = patch(
        client,
        &format!("{alpha}/w"),
        MERGE_PATCH,
        json!({"spec": {"reference": "b"}}),
    )
    .await
    .expect(200);
    delete(client, &format!("{alpha}/w"), None)
        .await
        .expect(200);
    let added = watch.next().await;
    assert_eq!(added["type"], "ADDED", "{added}");
    let object = &added["object"];
    assert_eq!(object["kind"], "Flunder");
    assert_eq!(object["apiVersion"], V1BETA1);
    assert_eq!(object["metadata"]["name"], "w");
    assert_eq!(object["metadata"]["namespace"], "watched");
    assert_eq!(
        object["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
    assert_eq!(
        object["spec"],
        json!({"flunderReference": "a", "referenceType": "Flunder"})
    );
    let modified = watch.next().await;
    assert_eq!(modified["type"], "MODIFIED", "{modified}");
    assert_eq!(
        modified["object"]["metadata"]["resourceVersion"],
        patched["metadata"]["resourceVersion"]
    );
    assert_eq!(
        modified["object"]["spec"],
        json!({"flunderReference": "b", "referenceType": "Flunder"})
    );
    let deleted = watch.next().await;
    assert_eq!(deleted["type"], "DELETED", "{deleted}");
    assert_eq!(deleted["object"]["metadata"]["name"], "w");
    assert_eq!(deleted["object"]["apiVersion"], V1BETA1);
    assert!(
        resource_version(&deleted["object"]) > resource_version(&patched),
        "the deletion's resourceVersion is the deletion's"
    );
    // Across namespaces with a field selector, in v1alpha1.
    let types: Vec<Value> = [named.next().await, named.next().await, named.next().await]
        .iter()
        .map(|event| {
            assert_eq!(event["object"]["apiVersion"], V1ALPHA1, "{event}");
            assert_eq!(event["object"]["metadata"]["name"], "w", "{event}");
            event["type"].clone()
        })
        .collect();
    assert_eq!(types, ["ADDED", "MODIFIED", "DELETED"]);

    // Tables: a name and a creation time, with the object as PartialObjectMetadata or none.
    post(client, &beta, &flunder("v1beta1", "tabled", json!({})))
        .await
        .expect(201);
    let created = post(client, FISCHERS, &fischer("tabled", &["x"]))
        .await
        .expect(201);
    let table = get_as(client, &beta, TABLE).await.expect(200);
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    let columns: Vec<Value> = table["columnDefinitions"]
        .as_array()
        .expect("columnDefinitions")
        .iter()
        .map(|c| json!([c["name"], c["type"], c["format"], c["priority"]]))
        .collect();
    assert_eq!(
        columns,
        [
            json!(["Name", "string", "name", 0]),
            json!(["Created At", "date", "", 0])
        ]
    );
    let description = |column: usize| {
        table["columnDefinitions"][column]["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        description(0).starts_with("Name must be unique within a namespace."),
        "{table}"
    );
    assert!(
        description(1).starts_with("CreationTimestamp is a timestamp representing the server time"),
        "{table}"
    );
    let rows = table["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{table}");
    let read = get(client, &format!("{beta}/tabled")).await.expect(200);
    assert_eq!(
        rows[0]["cells"],
        json!(["tabled", read["metadata"]["creationTimestamp"]])
    );
    assert_eq!(rows[0]["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(rows[0]["object"]["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(
        rows[0]["object"]["metadata"]["uid"],
        read["metadata"]["uid"]
    );
    let table = get_as(
        client,
        &format!("{FISCHERS}/tabled?includeObject=None"),
        TABLE,
    )
    .await
    .expect(200);
    assert_eq!(
        table["rows"],
        json!([{"cells": ["tabled", created["metadata"]["creationTimestamp"]], "object": null}])
    );

    // kubectl prints those columns, with NAMESPACE first across namespaces, and the
    // deprecation of v1alpha1 (where Fischers are) on stderr.
    let kubeconfig = wardle.kubeconfig();
    let other = get(
        client,
        &format!("{}/other", flunders_path("v1beta1", "elsewhere")),
    )
    .await
    .expect(200);
    let created_at = |object: &Value| {
        object["metadata"]["creationTimestamp"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    each_kubectl(|kubectl| {
        let out = ok(&kubectl.run(&kubeconfig, &["get", "flunders", "-A"]));
        assert_eq!(
            lines(&out),
            [
                "NAMESPACE NAME CREATED AT".to_owned(),
                format!("elsewhere other {}", created_at(&other)),
                format!("watched tabled {}", created_at(&read)),
            ]
        );
        let run = kubectl.run(&kubeconfig, &["get", "fischers"]);
        assert_eq!(
            lines(&ok(&run)),
            [
                "NAME CREATED AT".to_owned(),
                format!("tabled {}", created_at(&created))
            ]
        );
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains("Warning: wardle.example.com/v1alpha1 Fischer is deprecated in v1.3+, unavailable in v1.10+"),
            "{stderr}"
        );
        kubectl_writes(kubectl, &kubeconfig, wardle.cluster.dir());
    });
}

/// kubectl apply (client-side, then server-side), get in both versions and delete, on a
/// Flunder of this kubectl's own.
fn kubectl_writes(kubectl: &Kubectl, kubeconfig: &Path, dir: &Path) {
    let name = format!("by-kubectl-{}", common::tag(kubectl));
    let manifest = dir.join(format!("{name}.yaml"));
    let write = |reference: &str| {
        let yaml = format!(
            "apiVersion: {V1BETA1}\nkind: Flunder\nmetadata:\n  name: {name}\n  namespace: watched\nspec:\n  fischerReference: {reference}\n  referenceType: Fischer\n"
        );
        std::fs::write(&manifest, yaml).expect("writing a manifest");
    };
    let file = manifest.to_str().expect("a UTF-8 path");
    let run = |args: &[&str]| ok(&kubectl.run(kubeconfig, args));
    let resource = format!("flunder.wardle.example.com/{name}");
    // kubectl apply with `flags`, which must say `outcome`.
    let apply = |flags: &[&str], outcome: &str| {
        let out = run(&[&["apply"], flags, &["-f", file]].concat());
        assert_eq!(out.trim(), format!("{resource} {outcome}"));
    };
    write("fish");
    apply(&[], "created");
    apply(&[], "unchanged");
    write("shark");
    apply(&[], "configured");
    // The spec as `resource` shows it.
    let spec = |resource: &str| {
        let spec = run(&[
            "get",
            resource,
            &name,
            "-n",
            "watched",
            "-o",
            "jsonpath={.spec}",
        ]);
        serde_json::from_str::<Value>(&spec).expect("a spec")
    };
    assert_eq!(
        spec("flunders"),
        json!({"fischerReference": "shark", "referenceType": "Fischer"})
    );
    assert_eq!(
        spec("flunders.v1alpha1.wardle.example.com"),
        json!({"reference": "shark", "referenceType": "Fischer"})
    );
    write("whale");
    apply(&["--server-side"], "serverside-applied");
    assert_eq!(
        run(&["delete", "flunder", &name, "-n", "watched"]).trim(),
        format!("flunder.wardle.example.com \"{name}\" deleted")
    );
    let stderr =
        common::fails(&kubectl.run(kubeconfig, &["get", "flunder", &name, "-n", "watched"]));
    assert!(
        stderr.contains(&format!("flunders.wardle.example.com \"{name}\" not found")),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Admission and Fischers
// ---------------------------------------------------------------------------------------------

/// NamespaceLifecycle (a namespace that does not exist, one being deleted), Fischers
/// (cluster-scoped) and BanFlunder (a name any Fischer lists cannot be created).
async fn admission_and_fischers(target: &Target) {
    let (_wardle, client) = start(target, &["ns"]).await;
    let client = &client;

    // A namespace that does not exist.
    let reply = post(
        client,
        &flunders_path("v1beta1", "nowhere"),
        &flunder("v1beta1", "lost", json!({})),
    )
    .await;
    let body = failure(&reply, 404, "NotFound", "namespaces \"nowhere\" not found");
    assert_eq!(
        body["details"],
        json!({"name": "nowhere", "kind": "namespaces"})
    );

    // A namespace being deleted (no namespace controller finishes it here): nothing new in
    // it, but what is there may still change.
    create_namespace(client, "doomed").await;
    let doomed = flunders_path("v1beta1", "doomed");
    post(client, &doomed, &flunder("v1beta1", "resident", json!({})))
        .await
        .expect(201);
    delete(client, "/api/v1/namespaces/doomed", None)
        .await
        .expect(200);
    let late = flunder("v1beta1", "late", json!({}));
    let reply = until_status(client, &doomed, &late, 403).await;
    let message = "flunders.wardle.example.com \"late\" is forbidden: unable to create new content in namespace doomed because it is being terminated";
    let body = failure(&reply, 403, "Forbidden", message);
    let terminating = json!({
        "name": "late",
        "group": GROUP,
        "kind": "flunders",
        "causes": [{
            "reason": "NamespaceTerminating",
            "message": "namespace doomed is being terminated",
            "field": "metadata.namespace",
        }],
    });
    assert_eq!(body["details"], terminating);
    let reply = post(client, &doomed, &late).await;
    assert_eq!(
        failure(&reply, 403, "Forbidden", message)["details"],
        terminating
    );
    let changed = patch(
        client,
        &format!("{doomed}/resident"),
        MERGE_PATCH,
        json!({"metadata": {"labels": {"still": "here"}}}),
    )
    .await
    .expect(200);
    assert_eq!(changed["metadata"]["labels"], json!({"still": "here"}));

    // Fischers are cluster-scoped: a namespace in the body is dropped, a namespaced path is
    // not served, and every request is told v1alpha1 is deprecated.
    let mut strict = fischer("strict", &["banned"]);
    strict["metadata"]["namespace"] = json!("ns");
    let reply = post(client, &format!("{FISCHERS}?{MANAGER}"), &strict).await;
    let created = created_in_v1alpha1(&reply, "Fischer", FISCHER_DEPRECATED);
    assert_eq!(created["metadata"].get("namespace"), None, "{created}");
    assert_eq!(created["disallowedFlunders"], json!(["banned"]));
    assert_eq!(
        created.get("spec"),
        None,
        "a Fischer has no spec: {created}"
    );
    assert_eq!(
        created["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:disallowedFlunders": {}})
    );
    let reply = post(
        client,
        &format!("/apis/{GROUP}/v1alpha1/namespaces/ns/fischers"),
        &fischer("x", &[]),
    )
    .await;
    not_served(&reply);
    let reply = get(client, &format!("{FISCHERS}/strict")).await;
    assert_eq!(reply.expect(200)["disallowedFlunders"], json!(["banned"]));
    assert_eq!(reply.header_all("warning"), [FISCHER_DEPRECATED]);
    let empty = post(client, FISCHERS, &fischer("empty", &[]))
        .await
        .expect(201);
    assert_eq!(empty.get("disallowedFlunders"), None, "{empty}");
    let list = get(client, FISCHERS).await.expect(200);
    assert_eq!(list["kind"], "FischerList");
    assert_eq!(list["apiVersion"], V1ALPHA1);
    assert_eq!(names(&list), ["empty", "strict"]);
    let reply = get(client, &format!("{FISCHERS}/nope")).await;
    not_found(&reply, "fischers", "nope");
    assert_eq!(reply.header_all("warning"), [FISCHER_DEPRECATED]);

    // BanFlunder: once the server has seen the Fischers, their names are refused in every
    // namespace and version, at creation only.
    let second = fischer("second", &["also-banned"]);
    post(client, FISCHERS, &second).await.expect(201);
    let banned = flunder("v1beta1", "banned", json!({}));
    until_status(client, &flunders_path("v1beta1", "ns"), &banned, 403).await;
    until_status(
        client,
        &flunders_path("v1alpha1", "ns"),
        &flunder("v1alpha1", "also-banned", json!({})),
        403,
    )
    .await;
    for (version, namespace, name) in [
        ("v1beta1", "ns", "banned"),
        ("v1alpha1", "default", "banned"),
        ("v1alpha1", "ns", "also-banned"),
    ] {
        let reply = post(
            client,
            &flunders_path(version, namespace),
            &flunder(version, name, json!({})),
        )
        .await;
        let body = failure(
            &reply,
            403,
            "Forbidden",
            &format!(
                "flunders.wardle.example.com \"{name}\" is forbidden: this name may not be used, please change the resource name"
            ),
        );
        assert_eq!(body["details"], details(name, "flunders"));
        gone(client, &flunders_path(version, namespace), name).await;
    }
    // A name that only contains a banned one is fine.
    post(
        client,
        &flunders_path("v1beta1", "ns"),
        &flunder("v1beta1", "banned-not", json!({})),
    )
    .await
    .expect(201);
    // A Flunder created before its name was banned may still be updated and deleted.
    let resident = flunders_path("v1beta1", "doomed");
    let patch_strict = patch(
        client,
        &format!("{FISCHERS}/strict?{MANAGER}"),
        MERGE_PATCH,
        json!({"disallowedFlunders": ["banned", "resident"]}),
    )
    .await;
    assert_eq!(
        patch_strict.expect(200)["disallowedFlunders"],
        json!(["banned", "resident"])
    );
    until_status(
        client,
        &flunders_path("v1beta1", "ns"),
        &flunder("v1beta1", "resident", json!({})),
        403,
    )
    .await;
    let changed = patch(
        client,
        &format!("{resident}/resident"),
        MERGE_PATCH,
        json!({"metadata": {"labels": {"banned": "later"}}}),
    )
    .await
    .expect(200);
    assert_eq!(
        changed["metadata"]["labels"],
        json!({"still": "here", "banned": "later"})
    );
    delete(client, &format!("{resident}/resident"), None)
        .await
        .expect(200);

    // Fischer update and delete: the conflict rules of Flunders, and a name freed when no
    // Fischer lists it any more.
    let current = get(client, &format!("{FISCHERS}/second")).await.expect(200);
    let mut update = current.clone();
    update["disallowedFlunders"] = json!(["other"]);
    let updated = put(client, &format!("{FISCHERS}/second"), &update)
        .await
        .expect(200);
    assert_eq!(updated["disallowedFlunders"], json!(["other"]));
    let reply = put(client, &format!("{FISCHERS}/second"), &update).await;
    stale(&reply, "fischers", "second");
    let reply = delete(client, &format!("{FISCHERS}/strict"), None).await;
    deleted(&reply, "fischers", "strict", &created["metadata"]["uid"]);
    gone(client, FISCHERS, "strict").await;
    for name in ["banned", "also-banned"] {
        until_status(
            client,
            &flunders_path("v1beta1", "ns"),
            &flunder("v1beta1", name, json!({})),
            201,
        )
        .await;
        post(
            client,
            &flunders_path("v1beta1", "ns"),
            &flunder("v1beta1", name, json!({})),
        )
        .await
        .expect(201);
    }
}

/// POSTs `object` to `collection` as a dry run until the answer is `code` (an informer of the
/// server catching up), within `WAIT`; that answer.
async fn until_status(client: &kube::Client, collection: &str, object: &Value, code: u16) -> Reply {
    let deadline = Instant::now() + WAIT;
    loop {
        let reply = post(client, &format!("{collection}?dryRun=All"), object).await;
        if reply.status.as_u16() == code {
            return reply;
        }
        assert!(
            Instant::now() < deadline,
            "{}: still {} after {WAIT:?} (expected {code}): {}",
            reply.what,
            reply.status,
            reply.text()
        );
        sleep(Duration::from_millis(250)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `target`'s server aggregated into a control plane of its own, a client of kube-apiserver as
/// the admin, and `namespaces` created.
async fn start(target: &Target, namespaces: &[&str]) -> (wardle::Wardle, kube::Client) {
    let wardle = target.start();
    let client = wardle.client().await;
    for namespace in namespaces {
        create_namespace(&client, namespace).await;
    }
    (wardle, client)
}

fn flunders_path(version: &str, namespace: &str) -> String {
    format!("/apis/{GROUP}/{version}/namespaces/{namespace}/flunders")
}

/// A Flunder of `version` named `name`.
fn flunder(version: &str, name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": format!("{GROUP}/{version}"),
        "kind": "Flunder",
        "metadata": {"name": name},
        "spec": spec,
    })
}

fn fischer(name: &str, disallowed: &[&str]) -> Value {
    let mut fischer =
        json!({"apiVersion": V1ALPHA1, "kind": "Fischer", "metadata": {"name": name}});
    if !disallowed.is_empty() {
        fischer["disallowedFlunders"] = json!(disallowed);
    }
    fischer
}

/// A Status's details for `kind` (a resource or a Kind) named `name` in the group.
fn details(name: &str, kind: &str) -> Value {
    json!({"name": name, "group": GROUP, "kind": kind})
}

/// `namespace/name` (or `name`) of every item of a list, in its order.
fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|item| {
            let meta = &item["metadata"];
            let name = meta["name"].as_str().unwrap_or_default();
            match meta["namespace"].as_str() {
                Some(namespace) => format!("{namespace}/{name}"),
                None => name.to_owned(),
            }
        })
        .collect()
}

/// The lines of kubectl's output with their runs of spaces made one.
fn lines(output: &str) -> Vec<String> {
    output
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Asserts a failure Status with `code`, `reason` and `message`; returns it.
fn failure(reply: &Reply, code: u16, reason: &str, message: &str) -> Value {
    let body = failure_any(reply, code, reason);
    assert_eq!(body["message"], message, "{}", reply.what);
    body
}

/// Asserts a failure Status with `code` and `reason`; returns it.
fn failure_any(reply: &Reply, code: u16, reason: &str) -> Value {
    let body = reply.expect(code);
    assert_eq!(reply.content_type(), JSON, "{}", reply.what);
    assert_eq!(body["kind"], "Status", "{}: {body}", reply.what);
    assert_eq!(body["apiVersion"], "v1", "{}: {body}", reply.what);
    assert_eq!(body["status"], "Failure", "{}: {body}", reply.what);
    assert_eq!(body["code"], code, "{}: {body}", reply.what);
    assert_eq!(body["reason"], reason, "{}: {body}", reply.what);
    body
}

/// Asserts a failure Status with `code` and `reason` whose message starts with `prefix`.
fn failure_starting(reply: &Reply, code: u16, reason: &str, prefix: &str) {
    let body = failure_any(reply, code, reason);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.starts_with(prefix), "{}: {message}", reply.what);
}

/// Asserts 404 NotFound for `resource` `name` of the group.
fn not_found(reply: &Reply, resource: &str, name: &str) {
    let message = format!("{resource}.wardle.example.com \"{name}\" not found");
    let body = failure(reply, 404, "NotFound", &message);
    assert_eq!(body["details"], details(name, resource), "{}", reply.what);
}

/// Asserts that `name` in `collection` (a path ending in its resource) is not found.
async fn gone(client: &kube::Client, collection: &str, name: &str) {
    let resource = collection.rsplit('/').next().unwrap_or_default();
    let reply = get(client, &format!("{collection}/{name}")).await;
    not_found(&reply, resource, name);
}

/// Asserts 409 Conflict for an update of `resource` `name` from a stale resourceVersion.
fn stale(reply: &Reply, resource: &str, name: &str) {
    let message = format!(
        "Operation cannot be fulfilled on {resource}.wardle.example.com \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
    );
    let body = failure(reply, 409, "Conflict", &message);
    assert_eq!(body["details"], details(name, resource), "{}", reply.what);
}

/// Asserts the Success Status that a delete of `resource` `name` (whose UID is `uid`) is
/// answered with when the object is gone at once.
fn deleted(reply: &Reply, resource: &str, name: &str, uid: &Value) {
    let mut details = details(name, resource);
    details["uid"] = uid.clone();
    let status = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    });
    assert_eq!(reply.expect(200), status, "{}", reply.what);
}

/// Asserts that a `kind` was created in v1alpha1, with the `deprecation` warning; the object.
fn created_in_v1alpha1(reply: &Reply, kind: &str, deprecation: &str) -> Value {
    let created = reply.expect(201);
    assert_eq!(reply.header_all("warning"), [deprecation], "{}", reply.what);
    assert_eq!(created["kind"], kind);
    assert_eq!(created["apiVersion"], V1ALPHA1);
    created
}

/// An object's resourceVersion as the number it is.
fn resource_version(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|rv| rv.parse().ok())
        .unwrap_or_else(|| panic!("no numeric resourceVersion: {object}"))
}

/// A cause of a 422 Invalid: reason, field, message.
type Cause<'a> = (&'a str, &'a str, &'a str);

/// Asserts 422 Invalid for `kind` `name` with `causes`, whose message is the causes' joined
/// as Go's field errors are.
fn invalid(reply: &Reply, kind: &str, name: &str, causes: &[Cause]) {
    let errors: Vec<String> = causes
        .iter()
        .map(|(_, field, message)| format!("{field}: {message}"))
        .collect();
    let errors = match errors.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    };
    let message = format!("{kind}.wardle.example.com \"{name}\" is invalid: {errors}");
    let body = failure(reply, 422, "Invalid", &message);
    let causes: Vec<Value> = causes
        .iter()
        .map(|(reason, field, message)| json!({"reason": reason, "message": message, "field": field}))
        .collect();
    let mut expected = details(name, kind);
    expected["causes"] = json!(causes);
    assert_eq!(body["details"], expected, "{}", reply.what);
}

async fn create_namespace(client: &kube::Client, name: &str) {
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    post(client, "/api/v1/namespaces", &namespace)
        .await
        .expect(201);
}

async fn get(client: &kube::Client, path: &str) -> Reply {
    send(client, Method::GET, path, &[], None).await
}

async fn get_as(client: &kube::Client, path: &str, accept: &str) -> Reply {
    send(client, Method::GET, path, &[("accept", accept)], None).await
}

async fn post(client: &kube::Client, path: &str, body: &Value) -> Reply {
    with_body(client, Method::POST, path, JSON, body).await
}

async fn put(client: &kube::Client, path: &str, body: &Value) -> Reply {
    with_body(client, Method::PUT, path, JSON, body).await
}

async fn patch(client: &kube::Client, path: &str, content_type: &str, body: Value) -> Reply {
    with_body(client, Method::PATCH, path, content_type, &body).await
}

async fn delete(client: &kube::Client, path: &str, options: Option<&Value>) -> Reply {
    match options {
        Some(options) => with_body(client, Method::DELETE, path, JSON, options).await,
        None => send(client, Method::DELETE, path, &[], None).await,
    }
}

/// `method path` with `body` as it is, of `content_type` (and no Accept).
async fn send_raw(
    client: &kube::Client,
    method: Method,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> Reply {
    let headers = [("content-type", content_type)];
    send(client, method, path, &headers, Some(body.to_vec())).await
}

async fn with_body(
    client: &kube::Client,
    method: Method,
    path: &str,
    content_type: &str,
    body: &Value,
) -> Reply {
    let headers = [("content-type", content_type), ("accept", JSON)];
    send(
        client,
        method,
        path,
        &headers,
        Some(body.to_string().into_bytes()),
    )
    .await
}

/// A watch's stream of events, read as they come.
struct Watch {
    body: Body,
    buffer: Vec<u8>,
    what: String,
}

impl Watch {
    /// Opens a watch, which must be answered 200.
    async fn open(client: &kube::Client, path: &str) -> Watch {
        let what = format!("GET {path}");
        let request = Request::get(path)
            .header("accept", JSON)
            .body(Body::empty())
            .expect("a request");
        let response = timeout(WAIT, client.send(request))
            .await
            .unwrap_or_else(|_| panic!("{what}: no answer within {WAIT:?}"))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(response.status().as_u16(), 200, "{what}");
        Watch {
            body: response.into_body(),
            buffer: Vec::new(),
            what,
        }
    }

    /// The next event other than a bookmark, within `WAIT`.
    async fn next(&mut self) -> Value {
        for _ in 0..10_000 {
            let mut events =
                serde_json::Deserializer::from_slice(&self.buffer).into_iter::<Value>();
            match events.next() {
                Some(Ok(event)) => {
                    let used = events.byte_offset();
                    self.buffer.drain(..used);
                    if event["type"] != "BOOKMARK" {
                        return event;
                    }
                    continue;
                }
                Some(Err(e)) if !e.is_eof() => panic!("{}: not an event ({e})", self.what),
                _ => {}
            }
            let frame = timeout(WAIT, self.body.frame())
                .await
                .unwrap_or_else(|_| panic!("{}: no event within {WAIT:?}", self.what))
                .unwrap_or_else(|| panic!("{}: the watch ended", self.what))
                .unwrap_or_else(|e| panic!("{}: {e}", self.what));
            if let Ok(data) = frame.into_data() {
                self.buffer.extend_from_slice(&data);
            }
        }
        panic!("{}: 10000 frames without an event", self.what)
    }
}
