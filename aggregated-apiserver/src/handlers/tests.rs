//! The registry's verbs, served: what a store answers through its endpoint.

use std::sync::Arc;

use serde_json::Value;

use super::Endpoint;
use crate::authn::UserInfo;
use crate::registry::{
    HistoryLimit, ResourceRequest, Store, Strategy, Style, TableColumnDefinition,
};
use crate::resource::ResourceInfo;
use crate::storage::Storage;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::json;

use crate::request::Query;
use crate::storage::EmbeddedStorage;
use crate::testing::{NAMESPACED_FOO, PLAIN_FOO, Plain};

fn request(method: Method, name: Option<&str>, subresource: Option<&str>) -> ResourceRequest {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        "application/json".parse().unwrap(),
    );
    ResourceRequest {
        method,
        user: UserInfo::anonymous(),
        namespace: None,
        name: name.map(str::to_owned),
        subresource: subresource.map(str::to_owned),
        query: Query::default(),
        headers,
        body: Bytes::new(),
    }
}

async fn body(response: Response) -> Value {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The object `name` as a GET answers it.
async fn get(store: &Store<Plain>, name: &str) -> Value {
    let response = store.handle(request(Method::GET, Some(name), None)).await;
    body(response.unwrap()).await
}

/// A store of [`PLAIN_FOO`] on an embedded database in its own directory.
fn plain_store() -> (Store<Plain>, tempfile::TempDir) {
    store_of(&PLAIN_FOO)
}

fn store_of(info: &'static ResourceInfo) -> (Store<Plain>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(EmbeddedStorage::open(&dir.path().join("db.redb")).unwrap());
    let history = HistoryLimit {
        events: 100,
        bytes: 1 << 20,
    };
    let store = Store::new(Plain(info), storage, "/registry", history, 60);
    (store, dir)
}

/// A kind that does not return deleted objects answers a DELETE that removes one with a
/// Success Status naming it, and one its finalizers hold with the object.
#[tokio::test]
async fn a_kind_may_answer_deletes_with_a_status() {
    struct Forgetful;
    impl Strategy for Forgetful {
        type Object = foo_sdk::Foo;
        fn info(&self) -> &'static ResourceInfo {
            &NAMESPACED_FOO
        }
        fn style(&self) -> Style {
            Style::Typed
        }
        fn table_columns(&self) -> Vec<TableColumnDefinition> {
            Vec::new()
        }
        fn table_cells(&self, _: &Self::Object, _: k8s_openapi::jiff::Timestamp) -> Vec<Value> {
            Vec::new()
        }
        fn openapi_schemas(&self) -> serde_json::Map<String, Value> {
            serde_json::Map::new()
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(EmbeddedStorage::open(&dir.path().join("db.redb")).unwrap());
    let history = HistoryLimit {
        events: 100,
        bytes: 1 << 20,
    };
    let store = Store::new(Forgetful, storage, "/registry", history, 60);
    let in_n = |method, name: Option<&str>| {
        let mut request = request(method, name, None);
        request.namespace = Some("n".into());
        request
    };
    for (name, finalizers) in [("gone", json!([])), ("held", json!(["example.com/hold"]))] {
        let mut create = in_n(Method::POST, None);
        create.body = json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
            "metadata": {"name": name, "finalizers": finalizers}, "spec": {"greeting": "hi"}})
        .to_string()
        .into();
        store.handle(create).await.unwrap();
    }
    // A `null` body is no DeleteOptions, as Go decodes it.
    let mut delete = in_n(Method::DELETE, Some("gone"));
    delete.body = Bytes::from_static(b"null");
    let gone = body(store.handle(delete).await.unwrap()).await;
    let uid = gone["details"]["uid"].clone();
    assert!(uid.is_string(), "{gone}");
    assert_eq!(
        gone,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
               "details": {"name": "gone", "group": "demo.jeremyxu2010.me", "kind": "foos", "uid": uid}})
    );
    let held = body(
        store
            .handle(in_n(Method::DELETE, Some("held")))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(held["kind"], "Foo");
    assert!(held["metadata"]["deletionTimestamp"].is_string(), "{held}");
}

/// A version converted from the hub reads and writes the hub's objects: a write in either
/// version is read in the other, in its own shape; the hub's rules apply to both, and
/// storage keeps the hub's JSON.
#[tokio::test]
async fn a_converted_version_shares_the_hubs_objects() {
    use crate::registry::Converted;
    use crate::testing::FooV2;
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> =
        Arc::new(EmbeddedStorage::open(&dir.path().join("db.redb")).unwrap());
    let history = HistoryLimit {
        events: 100,
        bytes: 1 << 20,
    };
    let hub = Store::new(Plain(&PLAIN_FOO), storage.clone(), "/registry", history, 60);
    let v2 = Converted::<Plain, FooV2>::new(Plain(&PLAIN_FOO));
    let v2 = Store::new(v2, storage.clone(), "/registry", history, 60);
    assert_eq!(v2.storage_version(), "v1beta1", "the hub's");

    let mut create = request(Method::POST, None, None);
    create.body = json!({"apiVersion": "demo.jeremyxu2010.me/v2", "kind": "Foo",
        "metadata": {"name": "a"}, "spec": {"message": " hi "}})
    .to_string()
    .into();
    let created = body(v2.handle(create).await.unwrap()).await;
    assert_eq!(created["apiVersion"], "demo.jeremyxu2010.me/v2");
    assert_eq!(
        created["spec"],
        json!({"message": "hi"}),
        "canonical, as the hub's"
    );

    let read = get(&hub, "a").await;
    assert_eq!(read["apiVersion"], "demo.jeremyxu2010.me/v1beta1");
    assert_eq!(read["spec"]["greeting"], "hi");
    let stored = storage.get("/registry/demo.jeremyxu2010.me/foos/a").await;
    let stored: Value = serde_json::from_slice(&stored.unwrap().unwrap().value).unwrap();
    assert_eq!(stored["apiVersion"], "demo.jeremyxu2010.me/v1beta1");
    assert_eq!(stored["spec"]["greeting"], "hi");

    // The hub's update validation, with its field paths.
    let mut update = request(Method::PUT, Some("a"), None);
    let rv = created["metadata"]["resourceVersion"].clone();
    update.body = json!({"apiVersion": "demo.jeremyxu2010.me/v2", "kind": "Foo",
        "metadata": {"name": "a", "resourceVersion": rv}, "spec": {"message": "yo"}})
    .to_string()
    .into();
    let refused = v2.handle(update).await.err().unwrap();
    assert_eq!(
        (refused.code, refused.message.as_str()),
        (
            422,
            r#"Foo.demo.jeremyxu2010.me "a" is invalid: spec.greeting: Invalid value: "yo": field is immutable"#
        )
    );

    // A label written in the hub version shows in v2 once its cache has it.
    let mut label = request(Method::PUT, Some("a"), None);
    let mut labelled = read.clone();
    labelled["metadata"]["labels"] = json!({"seen": "yes"});
    label.body = labelled.to_string().into();
    hub.handle(label).await.unwrap();
    let response = v2.handle(request(Method::GET, Some("a"), None)).await;
    let read = body(response.unwrap()).await;
    assert_eq!(read["metadata"]["labels"]["seen"], "yes");
    assert_eq!(read["spec"], json!({"message": "hi"}));
}

/// Objects of a namespaced kind live in their namespace: one name in two namespaces is
/// two objects; lists, field selectors, pages and deletecollection keep to the request's
/// namespace or span them all; a body naming another namespace is refused.
#[tokio::test]
async fn a_namespaced_kind_keeps_each_namespace_apart() {
    let (store, _dir) = store_of(&NAMESPACED_FOO);
    let in_namespace = |method, namespace: Option<&str>, name, query: &str| {
        let mut request = request(method, name, None);
        request.namespace = namespace.map(str::to_owned);
        request.query = Query::parse(Some(query));
        request
    };
    let foo = |name: &str, namespace: Option<&str>, greeting: &str| {
        json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
               "metadata": {"name": name, "namespace": namespace},
               "spec": {"greeting": greeting}})
        .to_string()
        .into()
    };
    for (namespace, name, body_namespace) in [
        ("blue", "x", None),
        ("green", "x", Some("green")),
        ("green", "y", None),
    ] {
        let mut create = in_namespace(Method::POST, Some(namespace), None, "");
        create.body = foo(name, body_namespace, namespace);
        let created = body(store.handle(create).await.unwrap()).await;
        assert_eq!(created["metadata"]["namespace"], namespace);
    }
    let mut elsewhere = in_namespace(Method::POST, Some("blue"), None, "");
    elsewhere.body = foo("z", Some("green"), "z");
    let refused = store.handle(elsewhere).await.err().unwrap();
    assert_eq!(
        (refused.code, refused.message.as_str()),
        (
            400,
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    );

    let listed = async |namespace: Option<&str>, query: &str| {
        let list = in_namespace(Method::GET, namespace, None, query);
        let list = body(store.handle(list).await.unwrap()).await;
        let items = list["items"].as_array().unwrap().iter().map(|item| {
            let meta = &item["metadata"];
            format!(
                "{}/{}",
                meta["namespace"].as_str().unwrap(),
                meta["name"].as_str().unwrap()
            )
        });
        (
            items.collect::<Vec<_>>(),
            list["metadata"]["continue"].as_str().map(str::to_owned),
        )
    };
    let get = in_namespace(Method::GET, Some("green"), Some("x"), "");
    let green_x = body(store.handle(get).await.unwrap()).await;
    assert_eq!(green_x["spec"]["greeting"], "green");
    let get = in_namespace(Method::GET, Some("red"), Some("x"), "");
    assert_eq!(store.handle(get).await.err().unwrap().code, 404);
    assert_eq!(listed(Some("green"), "").await.0, ["green/x", "green/y"]);
    assert_eq!(listed(None, "").await.0, ["blue/x", "green/x", "green/y"]);
    assert_eq!(
        listed(
            None,
            "fieldSelector=metadata.namespace%3Dgreen,metadata.name%3Dx"
        )
        .await
        .0,
        ["green/x"]
    );
    let (page, token) = listed(None, "limit=2").await;
    assert_eq!(page, ["blue/x", "green/x"]);
    let next = format!("limit=2&continue={}", token.unwrap());
    assert_eq!(listed(None, &next).await.0, ["green/y"]);

    let delete = in_namespace(Method::DELETE, Some("green"), None, "");
    store.handle(delete).await.unwrap();
    assert_eq!(listed(None, "").await.0, ["blue/x"]);
}

/// A kind's update validation refuses a change with 422 and changes nothing; its
/// warnings reach the client in `Warning` headers of a write that succeeds; what it
/// stores is in its canonical form.
#[tokio::test]
async fn a_kinds_update_validation_and_warnings() {
    let (store, _dir) = plain_store();
    let foo = |greeting: &str, rv: &Value| {
        json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
               "metadata": {"name": "a", "resourceVersion": rv}, "spec": {"greeting": greeting}})
        .to_string()
        .into()
    };
    let mut create = request(Method::POST, None, None);
    create.body = foo(" deprecated ", &Value::Null);
    let created = store.handle(create).await.unwrap();
    let warning = created.headers().get("warning").unwrap().to_str().unwrap();
    assert_eq!(
        warning,
        r#"299 - "spec.greeting: \"deprecated\" is deprecated""#
    );
    let rv = body(created).await["metadata"]["resourceVersion"].clone();

    let mut update = request(Method::PUT, Some("a"), None);
    update.body = foo("hi", &rv);
    let refused = store.handle(update).await.err().unwrap();
    assert_eq!(refused.code, 422);
    assert_eq!(
        refused.message,
        r#"Foo.demo.jeremyxu2010.me "a" is invalid: spec.greeting: Invalid value: "hi": field is immutable"#
    );
    let read = get(&store, "a").await;
    assert_eq!(read["spec"]["greeting"], "deprecated");
}

/// Field selectors name `metadata.name` and the fields the kind declares selectable,
/// compared as strings; any other field is refused with kube-apiserver's 400.
#[tokio::test]
async fn field_selectors_take_the_kinds_selectable_fields() {
    let (store, _dir) = plain_store();
    for (name, greeting, suspend) in [("a", "hi", false), ("b", "yo", true), ("c", "hi", true)] {
        let mut create = request(Method::POST, None, None);
        create.body = json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
            "metadata": {"name": name}, "spec": {"greeting": greeting, "suspend": suspend}})
        .to_string()
        .into();
        store.handle(create).await.unwrap();
    }
    let names = async |selector: &str| {
        let mut list = request(Method::GET, None, None);
        list.query = Query::parse(Some(&format!("fieldSelector={selector}")));
        let listed = store.handle(list).await.map_err(|e| (e.code, e.message))?;
        let items = body(listed).await["items"].as_array().unwrap().clone();
        Ok::<_, (u16, String)>(
            items
                .iter()
                .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(names("spec.greeting%3Dhi").await.unwrap(), ["a", "c"]);
    assert_eq!(names("spec.suspend%3Dtrue").await.unwrap(), ["b", "c"]);
    assert_eq!(
        names("spec.suspend!%3Dtrue,metadata.name!%3Db")
            .await
            .unwrap(),
        ["a"]
    );
    assert_eq!(
        names("spec.other%3Dx").await.unwrap_err(),
        (400, "field label not supported: spec.other".to_owned())
    );
}

/// A kind serves only the verbs and subresources it declares; without a status
/// subresource, status is written with the rest of the object.
#[tokio::test]
async fn a_kind_serves_what_it_declares() {
    let (store, _dir) = plain_store();
    let foo = |count: i64| {
        json!({"apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "Foo",
               "metadata": {"name": "a"}, "spec": {"greeting": "hi"},
               "status": {"barCount": count}})
    };
    let mut create = request(Method::POST, None, None);
    create.body = foo(3).to_string().into();
    let created = body(store.handle(create).await.unwrap()).await;
    assert_eq!(created["status"]["barCount"], 3, "{created}");

    let mut update = request(Method::PUT, Some("a"), None);
    let mut replacement = foo(4);
    replacement["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"].clone();
    update.body = replacement.to_string().into();
    let updated = body(store.handle(update).await.unwrap()).await;
    assert_eq!(updated["status"]["barCount"], 4, "{updated}");

    for (method, name, subresource, code) in [
        (Method::DELETE, Some("a"), None, 405),
        (Method::DELETE, None, None, 405),
        (Method::PATCH, Some("a"), None, 405),
        (Method::GET, Some("a"), Some("status"), 404),
        (Method::POST, Some("a"), Some("bar"), 404),
    ] {
        let refused = store
            .handle(request(method.clone(), name, subresource))
            .await;
        let code_seen = refused.err().map(|e| e.code);
        assert_eq!(code_seen, Some(code), "{method} {name:?} {subresource:?}");
    }
    let mut watch = request(Method::GET, None, None);
    watch.query = Query::parse(Some("watch=true"));
    assert_eq!(store.handle(watch).await.err().map(|e| e.code), Some(405));
    let read = get(&store, "a").await;
    assert_eq!(read["status"]["barCount"], 4);
}
