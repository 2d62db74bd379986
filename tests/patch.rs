//! PATCH and server-side apply over HTTP, checked against what kube-apiserver answers
//! (`/work/shared/PATCH.md`): managedFields entries, apply conflicts, apply errors, the
//! before-first-apply and ancient-changes managers, JSON / merge / strategic merge patches,
//! their errors, and retries of patches that race with other writers.
//!
//! Every server runs with `--controller=false` so that no status write of the built-in
//! controller adds managedFields entries or resourceVersions behind the test's back.

mod common;

use std::time::{Duration, SystemTime};

use common::http::{FOOS, JSON, Reply, foo, send};
use http::{Method, StatusCode};
use serde_json::{Value, json};

const GROUP: &str = "demo.jeremyxu2010.me";
const API_VERSION: &str = "demo.jeremyxu2010.me/v1beta1";
const APPLY: &str = "application/apply-patch+yaml";
const JSON_PATCH: &str = "application/json-patch+json";
const MERGE_PATCH: &str = "application/merge-patch+json";
const STRATEGIC: &str = "application/strategic-merge-patch+json";
/// What kube-apiserver (k8s.io/apiserver installer.go) accepts for PATCH on a resource with
/// Go types, in its order.
const PATCH_TYPES: [&str; 4] = [JSON_PATCH, MERGE_PATCH, STRATEGIC, APPLY];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A server without the controller, plus an admin client.
struct Env {
    _server: common::Server,
    client: kube::Client,
}

impl Env {
    async fn start() -> Env {
        let server = common::Server::start_with(&["--controller=false"]);
        let client = server.client().await;
        Env {
            _server: server,
            client,
        }
    }

    async fn request(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        send(&self.client, method, uri, headers, body).await
    }

    /// PATCH `uri` with a body of `content_type`.
    async fn patch_raw(&self, uri: &str, content_type: &str, body: Vec<u8>) -> Reply {
        self.request(
            Method::PATCH,
            uri,
            &[("content-type", content_type), ("accept", JSON)],
            Some(body),
        )
        .await
    }

    async fn patch(&self, uri: &str, content_type: &str, body: &Value) -> Reply {
        self.patch_raw(uri, content_type, serde_json::to_vec(body).unwrap())
            .await
    }

    /// Server-side apply of `config` (sent as JSON, as kubectl does) to `uri`.
    async fn apply(&self, uri: &str, manager: &str, force: bool, config: &Value) -> Reply {
        let uri = if force {
            format!("{uri}?fieldManager={manager}&force=true")
        } else {
            format!("{uri}?fieldManager={manager}")
        };
        self.patch(&uri, APPLY, config).await
    }

    async fn post(&self, uri: &str, body: &Value) -> Reply {
        self.request(
            Method::POST,
            uri,
            &[("content-type", JSON), ("accept", JSON)],
            Some(serde_json::to_vec(body).unwrap()),
        )
        .await
    }

    async fn put(&self, uri: &str, body: &Value) -> Reply {
        self.request(
            Method::PUT,
            uri,
            &[("content-type", JSON), ("accept", JSON)],
            Some(serde_json::to_vec(body).unwrap()),
        )
        .await
    }

    /// Creates a Foo with POST under `fieldManager=creator`.
    async fn create(&self, name: &str, greeting: &str) -> Value {
        self.post(
            &format!("{FOOS}?fieldManager=creator"),
            &foo(name, greeting),
        )
        .await
        .expect(201)
    }

    async fn get_foo(&self, name: &str) -> Value {
        self.request(
            Method::GET,
            &format!("{FOOS}/{name}"),
            &[("accept", JSON)],
            None,
        )
        .await
        .expect(200)
    }
}

/// An applied configuration: apiVersion, kind, name and the given top-level fields.
fn config(name: &str, rest: Value) -> Value {
    let mut body = json!({
        "apiVersion": API_VERSION,
        "kind": "Foo",
        "metadata": {"name": name},
    });
    for (key, value) in rest.as_object().expect("object") {
        if key == "metadata" {
            for (k, v) in value.as_object().expect("metadata object") {
                body["metadata"][k] = v.clone();
            }
        } else {
            body[key] = value.clone();
        }
    }
    body
}

fn item(name: &str) -> String {
    format!("{FOOS}/{name}")
}

fn status_of(name: &str) -> String {
    format!("{FOOS}/{name}/status")
}

fn resource_version(object: &Value) -> String {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_else(|| panic!("no resourceVersion in {object}"))
        .to_string()
}

/// The managedFields of an object (empty when absent).
fn entries(object: &Value) -> Vec<Value> {
    match &object["metadata"]["managedFields"] {
        Value::Null => Vec::new(),
        Value::Array(entries) => entries.clone(),
        other => panic!("managedFields is not a list: {other}"),
    }
}

/// The single entry of `manager` (with the given operation).
fn entry(object: &Value, manager: &str, operation: &str) -> Value {
    let found: Vec<Value> = entries(object)
        .into_iter()
        .filter(|e| e["manager"] == manager && e["operation"] == operation)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {operation} entry of {manager:?} in {}",
        object["metadata"]["managedFields"]
    );
    found.into_iter().next().unwrap()
}

fn managers(object: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = entries(object)
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or_default().to_string(),
                e["operation"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = list
        .iter()
        .map(|(m, o)| (m.to_string(), o.to_string()))
        .collect();
    list.sort();
    list
}

/// Checks an entry exactly: its keys in kube-apiserver's order (manager, operation,
/// apiVersion, time, fieldsType, fieldsV1, subresource), every value, and a `time` that is
/// UTC, whole seconds and recent. Returns the time.
fn check_entry(
    entry: &Value,
    manager: &str,
    operation: &str,
    fields: Value,
    subresource: Option<&str>,
) -> String {
    let time = entry["time"]
        .as_str()
        .unwrap_or_else(|| panic!("entry without time: {entry}"))
        .to_string();
    check_time(&time);
    let mut expected = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": API_VERSION,
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    });
    if let Some(subresource) = subresource {
        expected["subresource"] = json!(subresource);
    }
    assert_eq!(*entry, expected, "managedFields entry of {manager}");
    time
}

/// An entry without `time`: an applier that only became co-owner of values it did not change
/// gets none (kubernetes/kubernetes#127938, still open).
fn check_untimed_entry(entry: &Value, manager: &str, operation: &str, fields: Value) {
    assert_eq!(
        *entry,
        json!({
            "manager": manager,
            "operation": operation,
            "apiVersion": API_VERSION,
            "fieldsType": "FieldsV1",
            "fieldsV1": fields,
        }),
        "managedFields entry of {manager}"
    );
}

/// The keys of a managedFields entry as sent, which kube-apiserver writes in
/// `metav1.ManagedFieldsEntry` field order.
fn check_entry_key_order(entry: &Value) {
    let keys: Vec<&str> = entry
        .as_object()
        .expect("entry object")
        .keys()
        .map(String::as_str)
        .collect();
    let order = [
        "manager",
        "operation",
        "apiVersion",
        "time",
        "fieldsType",
        "fieldsV1",
        "subresource",
    ];
    let expected: Vec<&str> = order
        .into_iter()
        .filter(|k| entry.get(*k).is_some())
        .collect();
    assert_eq!(keys, expected, "key order of {entry}");
}

/// `2026-01-02T03:04:05Z`, within a minute of now.
fn check_time(time: &str) {
    let bytes = time.as_bytes();
    assert!(
        bytes.len() == 20 && time.ends_with('Z') && bytes[10] == b'T',
        "time {time:?} is not RFC 3339 UTC in seconds"
    );
    let at = humantime::parse_rfc3339(time).unwrap_or_else(|e| panic!("time {time:?}: {e}"));
    let now = SystemTime::now();
    let skew = now.duration_since(at).unwrap_or_else(|e| e.duration());
    assert!(skew < Duration::from_secs(60), "time {time:?} is not now");
}

/// managedFields in kube-apiserver's order: operation, time, manager, apiVersion, subresource.
fn check_sorted(object: &Value) {
    let key = |e: &Value| {
        let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
        (
            text("operation"),
            text("time"),
            text("manager"),
            text("apiVersion"),
            text("subresource"),
        )
    };
    let list = entries(object);
    for pair in list.windows(2) {
        assert!(
            key(&pair[0]) <= key(&pair[1]),
            "managedFields not sorted: {}",
            object["metadata"]["managedFields"]
        );
    }
}

/// A Status body exactly as kube-apiserver writes it; `details` only when given.
fn assert_status(reply: &Reply, code: u16, reason: &str, message: &str, details: Option<Value>) {
    let body = reply.expect(code);
    assert_eq!(reply.content_type(), JSON, "{}: content type", reply.what);
    let mut expected = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(details) = details {
        expected["details"] = details;
    }
    assert_eq!(body, expected, "{}: Status body", reply.what);
}

/// A Status whose message starts with `prefix`; returns the body.
fn assert_status_prefix(reply: &Reply, code: u16, reason: &str, prefix: &str) -> Value {
    let body = reply.expect(code);
    assert_eq!(body["kind"], "Status", "{}: {body}", reply.what);
    assert_eq!(body["status"], "Failure", "{}: {body}", reply.what);
    assert_eq!(body["reason"], reason, "{}: {body}", reply.what);
    assert_eq!(body["code"], code, "{}: {body}", reply.what);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(prefix),
        "{}: message {message:?} does not start with {prefix:?}",
        reply.what
    );
    body
}

/// The one-conflict 409 of an apply (MF conflict.go, AM errors.go `NewApplyConflict`).
fn assert_one_conflict(reply: &Reply, manager_text: &str, field: &str) {
    assert_status(
        reply,
        409,
        "Conflict",
        &format!("Apply failed with 1 conflict: conflict with {manager_text}: {field}"),
        Some(json!({"causes": [{
            "reason": "FieldManagerConflict",
            "message": format!("conflict with {manager_text}"),
            "field": field,
        }]})),
    );
}

fn ready_condition(status: &str, message: &str) -> Value {
    json!({
        "type": "Ready",
        "status": status,
        "reason": "Reconciled",
        "message": message,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    })
}

fn synced_condition() -> Value {
    json!({
        "type": "Synced",
        "status": "True",
        "reason": "Done",
        "message": "synced",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    })
}

fn condition_types(object: &Value) -> Vec<String> {
    object["status"]["conditions"]
        .as_array()
        .unwrap_or_else(|| panic!("no conditions in {object}"))
        .iter()
        .map(|c| c["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn condition<'a>(object: &'a Value, kind: &str) -> &'a Value {
    object["status"]["conditions"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["type"] == kind))
        .unwrap_or_else(|| panic!("no {kind} condition in {object}"))
}

/// The `k:` key of a condition in FieldsV1.
fn condition_key(kind: &str) -> String {
    format!("k:{{\"type\":\"{kind}\"}}")
}

// ---------------------------------------------------------------------------------------------
// 1. Server-side apply creates; re-applying the same configuration changes nothing.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn apply_creates_with_exact_entry_and_reapply_is_a_no_op() {
    let env = Env::start().await;
    let applied = config(
        "a",
        json!({
            "metadata": {"labels": {"app": "demo"}},
            "spec": {"greeting": "Hi", "suspend": false},
        }),
    );
    let reply = env.apply(&item("a"), "alice", false, &applied).await;
    let created = reply.expect(201);
    assert_eq!(created["spec"]["greeting"], "Hi");
    assert_eq!(created["metadata"]["labels"], json!({"app": "demo"}));
    assert_eq!(created["metadata"]["generation"], 1);
    assert_eq!(entries(&created).len(), 1, "{created}");
    let time = check_entry(
        &entry(&created, "alice", "Apply"),
        "alice",
        "Apply",
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:greeting": {}, "f:suspend": {}},
        }),
        None,
    );
    assert_eq!(env.get_foo("a").await, created, "stored object");

    // The same configuration again, a second later: no write, no new time.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = env
        .apply(&item("a"), "alice", false, &applied)
        .await
        .expect(200);
    assert_eq!(resource_version(&again), resource_version(&created));
    assert_eq!(entry(&again, "alice", "Apply")["time"], time.as_str());
    assert_eq!(again, created, "a no-op apply returns the stored object");
    assert_eq!(env.get_foo("a").await, created);

    // Applying a minimal configuration for a second object: only greeting is owned, the
    // defaulted suspend is not.
    let created = env
        .apply(
            &item("b"),
            "alice",
            false,
            &config("b", json!({"spec": {"greeting": "Yo"}})),
        )
        .await
        .expect(201);
    assert_eq!(created["spec"]["suspend"], false, "defaulting: {created}");
    assert_eq!(entries(&created).len(), 1, "{created}");
    check_entry(
        &entry(&created, "alice", "Apply"),
        "alice",
        "Apply",
        json!({"f:spec": {"f:greeting": {}}}),
        None,
    );
}

// ---------------------------------------------------------------------------------------------
// 2. A second applier changing an owned field: 409, then force takes the field.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn apply_conflict_and_force() {
    let env = Env::start().await;
    let created = env
        .apply(
            &item("c"),
            "alice",
            false,
            &config(
                "c",
                json!({
                    "metadata": {"labels": {"app": "demo"}},
                    "spec": {"greeting": "Hi", "suspend": false},
                }),
            ),
        )
        .await
        .expect(201);

    // One conflict: the exact Status of A4.
    let bob = config("c", json!({"spec": {"greeting": "Bob was here"}}));
    let reply = env.apply(&item("c"), "bob", false, &bob).await;
    assert_eq!(
        reply.text().trim_end(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \"alice\": .spec.greeting","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"alice\"","field":".spec.greeting"}]},"code":409}"#,
        "{}: 409 body byte for byte",
        reply.what
    );
    assert_one_conflict(&reply, "\"alice\"", ".spec.greeting");
    assert_eq!(env.get_foo("c").await, created, "a conflict writes nothing");

    // Two conflicts with one manager: the list form.
    let both = config("c", json!({"spec": {"greeting": "Bob", "suspend": true}}));
    let reply = env.apply(&item("c"), "bob", false, &both).await;
    assert_status(
        &reply,
        409,
        "Conflict",
        "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .spec.greeting\n- .spec.suspend",
        Some(json!({"causes": [
            {"reason": "FieldManagerConflict", "message": "conflict with \"alice\"", "field": ".spec.greeting"},
            {"reason": "FieldManagerConflict", "message": "conflict with \"alice\"", "field": ".spec.suspend"},
        ]})),
    );
    assert_eq!(env.get_foo("c").await, created);

    // force=false is the same as no force.
    let reply = env
        .patch(
            &format!("{}?fieldManager=bob&force=false", item("c")),
            APPLY,
            &bob,
        )
        .await;
    assert_one_conflict(&reply, "\"alice\"", ".spec.greeting");

    // Forced: bob owns greeting, alice keeps the rest.
    let forced = env.apply(&item("c"), "bob", true, &bob).await.expect(200);
    assert_eq!(forced["spec"]["greeting"], "Bob was here");
    assert_eq!(forced["metadata"]["generation"], 2);
    assert_eq!(
        managers(&forced),
        pairs(&[("alice", "Apply"), ("bob", "Apply")])
    );
    check_entry(
        &entry(&forced, "alice", "Apply"),
        "alice",
        "Apply",
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:suspend": {}},
        }),
        None,
    );
    check_entry(
        &entry(&forced, "bob", "Apply"),
        "bob",
        "Apply",
        json!({"f:spec": {"f:greeting": {}}}),
        None,
    );
    check_sorted(&forced);

    // Now alice is the one in conflict.
    let reply = env
        .apply(
            &item("c"),
            "alice",
            false,
            &config("c", json!({"spec": {"greeting": "Alice again"}})),
        )
        .await;
    assert_one_conflict(&reply, "\"bob\"", ".spec.greeting");
    assert_eq!(env.get_foo("c").await, forced);
}

// ---------------------------------------------------------------------------------------------
// 3. Equal values are co-owned; fields no one else owns go when their applier drops them.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn apply_equal_value_is_co_owned_and_dropped_fields_are_pruned() {
    let env = Env::start().await;
    env.apply(
        &item("e"),
        "alice",
        false,
        &config(
            "e",
            json!({
                "metadata": {"labels": {"app": "demo", "tier": "web"}},
                "spec": {"greeting": "Same"},
            }),
        ),
    )
    .await
    .expect(201);

    // bob applies the same greeting: no conflict, both own it. The object does not change,
    // so there is no write time for bob.
    let shared = env
        .apply(
            &item("e"),
            "bob",
            false,
            &config("e", json!({"spec": {"greeting": "Same"}})),
        )
        .await
        .expect(200);
    assert_eq!(
        managers(&shared),
        pairs(&[("alice", "Apply"), ("bob", "Apply")])
    );
    check_entry(
        &entry(&shared, "alice", "Apply"),
        "alice",
        "Apply",
        json!({
            "f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}},
            "f:spec": {"f:greeting": {}},
        }),
        None,
    );
    check_untimed_entry(
        &entry(&shared, "bob", "Apply"),
        "bob",
        "Apply",
        json!({"f:spec": {"f:greeting": {}}}),
    );

    // alice drops greeting and the tier label: greeting stays (bob owns it), tier goes.
    let after = env
        .apply(
            &item("e"),
            "alice",
            false,
            &config("e", json!({"metadata": {"labels": {"app": "demo"}}})),
        )
        .await
        .expect(200);
    assert_eq!(after["spec"]["greeting"], "Same", "{after}");
    assert_eq!(
        after["metadata"]["labels"],
        json!({"app": "demo"}),
        "{after}"
    );
    check_entry(
        &entry(&after, "alice", "Apply"),
        "alice",
        "Apply",
        json!({"f:metadata": {"f:labels": {"f:app": {}}}}),
        None,
    );
    check_untimed_entry(
        &entry(&after, "bob", "Apply"),
        "bob",
        "Apply",
        json!({"f:spec": {"f:greeting": {}}}),
    );
    check_sorted(&after);
    assert_eq!(env.get_foo("e").await, after);

    // bob, now the only owner, may change greeting freely.
    let changed = env
        .apply(
            &item("e"),
            "bob",
            false,
            &config("e", json!({"spec": {"greeting": "Bob's"}})),
        )
        .await
        .expect(200);
    assert_eq!(changed["spec"]["greeting"], "Bob's");
}

// ---------------------------------------------------------------------------------------------
// 4. An Update owner appears in conflicts with its apiVersion.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn conflict_with_update_manager_names_api_version() {
    let env = Env::start().await;
    let created = env.create("k", "Hi").await;
    assert_eq!(entries(&created).len(), 1, "{created}");
    check_entry(
        &entry(&created, "creator", "Update"),
        "creator",
        "Update",
        json!({"f:spec": {".": {}, "f:greeting": {}, "f:suspend": {}}}),
        None,
    );

    // `kubectl edit` of a kind outside kubectl's scheme: a merge patch as kubectl-edit.
    let edited = env
        .patch(
            &format!("{}?fieldManager=kubectl-edit", item("k")),
            MERGE_PATCH,
            &json!({"spec": {"greeting": "Edited"}}),
        )
        .await
        .expect(200);
    assert_eq!(edited["spec"]["greeting"], "Edited");
    assert_eq!(
        managers(&edited),
        pairs(&[("creator", "Update"), ("kubectl-edit", "Update")])
    );
    check_entry(
        &entry(&edited, "creator", "Update"),
        "creator",
        "Update",
        json!({"f:spec": {".": {}, "f:suspend": {}}}),
        None,
    );
    check_entry(
        &entry(&edited, "kubectl-edit", "Update"),
        "kubectl-edit",
        "Update",
        json!({"f:spec": {"f:greeting": {}}}),
        None,
    );
    check_sorted(&edited);

    let reply = env
        .apply(
            &item("k"),
            "kubectl",
            false,
            &config("k", json!({"spec": {"greeting": "Applied"}})),
        )
        .await;
    assert_one_conflict(
        &reply,
        "\"kubectl-edit\" using demo.jeremyxu2010.me/v1beta1",
        ".spec.greeting",
    );
    assert_eq!(env.get_foo("k").await, edited);

    // Forcing moves greeting away from kubectl-edit, whose entry is then empty and dropped.
    let forced = env
        .apply(
            &item("k"),
            "kubectl",
            true,
            &config("k", json!({"spec": {"greeting": "Applied"}})),
        )
        .await
        .expect(200);
    assert_eq!(
        managers(&forced),
        pairs(&[("creator", "Update"), ("kubectl", "Apply")])
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Applying conditions on /status.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn apply_conditions_on_status_subresource() {
    let env = Env::start().await;
    let created = env.create("s", "Hi").await;

    // ctrl applies Ready (and a spec change, which /status ignores).
    let ready = config(
        "s",
        json!({
            "spec": {"greeting": "Ignored"},
            "status": {"conditions": [ready_condition("True", "fine")]},
        }),
    );
    let after = env
        .apply(&status_of("s"), "ctrl", false, &ready)
        .await
        .expect(200);
    assert_eq!(after["spec"]["greeting"], "Hi", "spec ignored: {after}");
    assert_eq!(after["metadata"]["generation"], 1, "{after}");
    assert_eq!(condition_types(&after), ["Ready"]);
    let ready_fields = json!({
        "f:status": {"f:conditions": {condition_key("Ready"): {
            ".": {},
            "f:lastTransitionTime": {},
            "f:message": {},
            "f:reason": {},
            "f:status": {},
            "f:type": {},
        }}},
    });
    check_entry(
        &entry(&after, "ctrl", "Apply"),
        "ctrl",
        "Apply",
        ready_fields.clone(),
        Some("status"),
    );
    check_sorted(&after);

    // ctrl2 applies Synced: conditions merge by type.
    let synced = config("s", json!({"status": {"conditions": [synced_condition()]}}));
    let after = env
        .apply(&status_of("s"), "ctrl2", false, &synced)
        .await
        .expect(200);
    assert_eq!(condition_types(&after), ["Ready", "Synced"], "{after}");
    assert_eq!(condition(&after, "Ready")["message"], "fine");
    check_entry(
        &entry(&after, "ctrl", "Apply"),
        "ctrl",
        "Apply",
        ready_fields.clone(),
        Some("status"),
    );
    check_entry(
        &entry(&after, "ctrl2", "Apply"),
        "ctrl2",
        "Apply",
        json!({
            "f:status": {"f:conditions": {condition_key("Synced"): {
                ".": {},
                "f:lastTransitionTime": {},
                "f:message": {},
                "f:reason": {},
                "f:status": {},
                "f:type": {},
            }}},
        }),
        Some("status"),
    );

    // ctrl2 changing Ready's message conflicts with ctrl on the status subresource, which
    // the field manager names with the subresource (MF conflict.go `printManager`).
    let reply = env
        .apply(
            &status_of("s"),
            "ctrl2",
            false,
            &config(
                "s",
                json!({"status": {"conditions": [synced_condition(), ready_condition("True", "mine")]}}),
            ),
        )
        .await;
    assert_one_conflict(
        &reply,
        "\"ctrl\" with subresource \"status\"",
        ".status.conditions[type=\"Ready\"].message",
    );

    // ctrl drops its condition: Ready goes, Synced stays.
    let after = env
        .apply(
            &status_of("s"),
            "ctrl",
            false,
            &config("s", json!({"status": {}})),
        )
        .await
        .expect(200);
    assert_eq!(condition_types(&after), ["Synced"], "{after}");
    assert_eq!(after["spec"], created["spec"]);

    // The main resource ignores status in an applied configuration, and does not own it.
    // (A new greeting, forced from its creator, so that the object changes and the entry
    // gets a time.)
    let main = env
        .apply(
            &item("s"),
            "spec-owner",
            true,
            &config(
                "s",
                json!({
                    "spec": {"greeting": "Hey"},
                    "status": {"conditions": [ready_condition("False", "ignored")]},
                }),
            ),
        )
        .await
        .expect(200);
    assert_eq!(condition_types(&main), ["Synced"], "{main}");
    assert_eq!(main["spec"]["greeting"], "Hey", "{main}");
    check_entry(
        &entry(&main, "spec-owner", "Apply"),
        "spec-owner",
        "Apply",
        json!({"f:spec": {"f:greeting": {}}}),
        None,
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Apply errors; YAML; apply creates.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn apply_errors_yaml_and_create() {
    let env = Env::start().await;
    let created = env.create("a", "Hi").await;

    // No fieldManager: 422 from PatchOptions validation.
    let reply = env
        .patch(
            &item("a"),
            APPLY,
            &config("a", json!({"spec": {"greeting": "x"}})),
        )
        .await;
    assert_status(
        &reply,
        422,
        "Invalid",
        r#"PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch"#,
        Some(json!({
            "group": "meta.k8s.io",
            "kind": "PatchOptions",
            "causes": [{
                "reason": "FieldValueRequired",
                "message": "Required value: is required for apply patch",
                "field": "fieldManager",
            }],
        })),
    );
    // An empty one is the same.
    let reply = env
        .patch(
            &format!("{}?fieldManager=", item("a")),
            APPLY,
            &config("a", json!({"spec": {"greeting": "x"}})),
        )
        .await;
    reply.expect(422);

    // No apiVersion or kind.
    let reply = env
        .apply(
            &item("a"),
            "alice",
            false,
            &json!({"metadata": {"name": "a"}, "spec": {"greeting": "x"}}),
        )
        .await;
    assert_status(
        &reply,
        400,
        "BadRequest",
        "invalid object type: /, Kind=",
        None,
    );

    // managedFields in the configuration.
    let mut body = config("a", json!({"spec": {"greeting": "x"}}));
    body["metadata"]["managedFields"] = json!([{
        "manager": "alice",
        "operation": "Apply",
        "apiVersion": API_VERSION,
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:spec": {"f:greeting": {}}},
    }]);
    let reply = env.apply(&item("a"), "alice", false, &body).await;
    assert_status(
        &reply,
        400,
        "BadRequest",
        "metadata.managedFields must be nil",
        None,
    );

    // A name that is not the URL's.
    let reply = env
        .apply(
            &item("a"),
            "alice",
            false,
            &config("b", json!({"spec": {"greeting": "x"}})),
        )
        .await;
    assert_status(
        &reply,
        400,
        "BadRequest",
        "the name of the object (b) does not match the name on the URL (a)",
        None,
    );

    // A field Foo does not have.
    let reply = env
        .apply(
            &item("a"),
            "alice",
            false,
            &config("a", json!({"spec": {"greeting": "x", "x": 1}})),
        )
        .await;
    assert_status(
        &reply,
        400,
        "BadRequest",
        "failed to create typed patch object (/a; demo.jeremyxu2010.me/v1beta1, Kind=Foo): .spec.x: field not declared in schema",
        None,
    );

    // Unparsable YAML.
    let reply = env
        .patch_raw(
            &format!("{}?fieldManager=alice", item("a")),
            APPLY,
            b"apiVersion: [unclosed\nkind: Foo\n".to_vec(),
        )
        .await;
    assert_status_prefix(&reply, 400, "BadRequest", "error decoding YAML: ");

    // None of the above wrote anything.
    assert_eq!(env.get_foo("a").await, created);

    // YAML works as well as JSON, for an update and for a create (forced: creator owns
    // greeting).
    let yaml = "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: a\n  labels:\n    app: yaml\nspec:\n  greeting: From YAML\n";
    let updated = env
        .patch_raw(
            &format!("{}?fieldManager=yamler&force=true", item("a")),
            APPLY,
            yaml.as_bytes().to_vec(),
        )
        .await
        .expect(200);
    assert_eq!(updated["spec"]["greeting"], "From YAML");
    assert_eq!(updated["metadata"]["labels"], json!({"app": "yaml"}));
    check_entry(
        &entry(&updated, "yamler", "Apply"),
        "yamler",
        "Apply",
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:greeting": {}},
        }),
        None,
    );
    let yaml = yaml.replace("name: a", "name: from-yaml");
    let made = env
        .patch_raw(
            &format!("{}?fieldManager=yamler", item("from-yaml")),
            APPLY,
            yaml.into_bytes(),
        )
        .await
        .expect(201);
    assert_eq!(made["metadata"]["name"], "from-yaml");
    assert_eq!(made["spec"]["greeting"], "From YAML");

    // A configuration naming a stale resourceVersion: 409, nothing written.
    let mut stale = config("a", json!({"spec": {"greeting": "From YAML"}}));
    stale["metadata"]["resourceVersion"] = json!(resource_version(&created));
    let reply = env.apply(&item("a"), "yamler", false, &stale).await;
    assert_status(
        &reply,
        409,
        "Conflict",
        r#"Operation cannot be fulfilled on foos.demo.jeremyxu2010.me "a": the object has been modified; please apply your changes to the latest version and try again"#,
        Some(json!({"name": "a", "group": GROUP, "kind": "foos"})),
    );
    assert_eq!(env.get_foo("a").await, updated);

    // dryRun=All: the created object is returned, not stored.
    let reply = env
        .patch(
            &format!("{}?fieldManager=alice&dryRun=All", item("dry")),
            APPLY,
            &config("dry", json!({"spec": {"greeting": "Dry"}})),
        )
        .await;
    assert_eq!(reply.expect(201)["spec"]["greeting"], "Dry");
    env.request(Method::GET, &item("dry"), &[("accept", JSON)], None)
        .await
        .expect(404);

    // Applying to a missing object creates it (JSON).
    let made = env
        .apply(
            &item("new"),
            "alice",
            false,
            &config("new", json!({"spec": {"greeting": "New"}})),
        )
        .await
        .expect(201);
    assert_eq!(made["spec"]["greeting"], "New");
    assert_eq!(env.get_foo("new").await, made);

    // A non-apply patch on a missing object is 404.
    let reply = env
        .patch(
            &item("missing"),
            MERGE_PATCH,
            &json!({"spec": {"greeting": "x"}}),
        )
        .await;
    assert_status(
        &reply,
        404,
        "NotFound",
        r#"foos.demo.jeremyxu2010.me "missing" not found"#,
        Some(json!({"name": "missing", "group": GROUP, "kind": "foos"})),
    );
}

// ---------------------------------------------------------------------------------------------
// 7. managedFields reset with `[]`, then apply: before-first-apply.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn reset_managed_fields_then_apply_gives_before_first_apply() {
    let env = Env::start().await;
    let created = env.create("r", "Hi").await;
    assert_eq!(entries(&created).len(), 1);

    let mut body = created.clone();
    body["metadata"]["managedFields"] = json!([]);
    let reset = env
        .put(&format!("{}?fieldManager=resetter", item("r")), &body)
        .await
        .expect(200);
    assert!(
        reset["metadata"].get("managedFields").is_none(),
        "managedFields after a reset: {reset}"
    );
    assert!(
        env.get_foo("r").await["metadata"]
            .get("managedFields")
            .is_none()
    );

    // Updates of an object without managedFields are not tracked (MF skipnonapplied.go).
    let edited = env
        .patch(
            &format!("{}?fieldManager=editor", item("r")),
            MERGE_PATCH,
            &json!({"metadata": {"labels": {"team": "a"}}}),
        )
        .await
        .expect(200);
    assert!(
        edited["metadata"].get("managedFields").is_none(),
        "an untracked object gained managedFields: {edited}"
    );

    // The first apply gives everything that exists to before-first-apply, which then
    // conflicts with a change of its fields.
    let reply = env
        .apply(
            &item("r"),
            "alice",
            false,
            &config("r", json!({"spec": {"greeting": "Changed"}})),
        )
        .await;
    assert_one_conflict(
        &reply,
        "\"before-first-apply\" using demo.jeremyxu2010.me/v1beta1",
        ".spec.greeting",
    );
    assert_eq!(env.get_foo("r").await, edited, "a conflict writes nothing");

    let applied = env
        .apply(
            &item("r"),
            "alice",
            false,
            &config(
                "r",
                json!({"metadata": {"labels": {"app": "x"}}, "spec": {"greeting": "Hi"}}),
            ),
        )
        .await
        .expect(200);
    assert_eq!(
        managers(&applied),
        pairs(&[("alice", "Apply"), ("before-first-apply", "Update")])
    );
    check_entry(
        &entry(&applied, "before-first-apply", "Update"),
        "before-first-apply",
        "Update",
        json!({
            "f:metadata": {"f:labels": {".": {}, "f:team": {}}},
            "f:spec": {".": {}, "f:greeting": {}, "f:suspend": {}},
        }),
        None,
    );
    check_entry(
        &entry(&applied, "alice", "Apply"),
        "alice",
        "Apply",
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:greeting": {}},
        }),
        None,
    );
    check_sorted(&applied);
}

// ---------------------------------------------------------------------------------------------
// 8. More than 10 Update managers: ancient-changes.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn eleven_updaters_make_ancient_changes() {
    let env = Env::start().await;
    env.create("u", "Hi").await;
    for n in 0..11 {
        env.patch(
            &format!("{}?fieldManager=updater-{n:02}", item("u")),
            MERGE_PATCH,
            &json!({"metadata": {"labels": {format!("l{n:02}"): "v"}}}),
        )
        .await
        .expect(200);
    }
    let object = env.get_foo("u").await;
    let list = entries(&object);
    let updates: Vec<&Value> = list.iter().filter(|e| e["operation"] == "Update").collect();
    assert!(
        updates.len() <= 10,
        "{} Update entries: {}",
        updates.len(),
        object["metadata"]["managedFields"]
    );
    assert_eq!(
        updates.len(),
        10,
        "the cap merges just enough entries to reach 10: {}",
        object["metadata"]["managedFields"]
    );
    let ancient = entry(&object, "ancient-changes", "Update");
    assert_eq!(ancient["apiVersion"], API_VERSION);
    assert_eq!(ancient["fieldsType"], "FieldsV1");
    check_time(ancient["time"].as_str().expect("ancient-changes time"));
    assert!(ancient.get("subresource").is_none(), "{ancient}");
    // The newest updater keeps its own entry.
    entry(&object, "updater-10", "Update");
    // Every label is still owned, by its updater or by ancient-changes.
    for n in 0..11 {
        let label = format!("l{n:02}");
        assert_eq!(object["metadata"]["labels"][&label], "v", "{object}");
        let key = format!("f:{label}");
        let owners: Vec<&str> = list
            .iter()
            .filter(|e| !e["fieldsV1"]["f:metadata"]["f:labels"][&key].is_null())
            .map(|e| e["manager"].as_str().unwrap_or_default())
            .collect();
        let own = format!("updater-{n:02}");
        assert!(
            owners == [own.as_str()] || owners == ["ancient-changes"],
            "owners of {label}: {owners:?}"
        );
    }
    // The creator's fields went to ancient-changes with the oldest updaters.
    assert!(
        !ancient["fieldsV1"]["f:spec"]["f:greeting"].is_null(),
        "{ancient}"
    );
    check_sorted(&object);
}

// ---------------------------------------------------------------------------------------------
// 9. JSON and merge patch errors, and what they leave behind (nothing).
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn json_and_merge_patch_errors_change_nothing() {
    let env = Env::start().await;
    let mut body = foo("j", "Hi");
    body["metadata"]["labels"] = json!({"keep": "yes", "drop": "me"});
    let created = env
        .post(&format!("{FOOS}?fieldManager=creator"), &body)
        .await
        .expect(201);
    let uri = item("j");
    let rejected = |reply: &Reply| {
        assert_status(
            reply,
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
            Some(json!({})),
        )
    };

    // A failing test operation.
    let reply = env
        .patch(
            &uri,
            JSON_PATCH,
            &json!([
                {"op": "test", "path": "/spec/greeting", "value": "Not Hi"},
                {"op": "replace", "path": "/spec/greeting", "value": "Changed"},
            ]),
        )
        .await;
    rejected(&reply);
    assert_eq!(
        reply.text().trim_end(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}"#
    );
    // Removing a missing path.
    let reply = env
        .patch(
            &uri,
            JSON_PATCH,
            &json!([{"op": "remove", "path": "/metadata/annotations/nope"}]),
        )
        .await;
    rejected(&reply);

    // Malformed JSON.
    for content_type in [JSON_PATCH, MERGE_PATCH] {
        let reply = env
            .patch_raw(&uri, content_type, b"{not json".to_vec())
            .await;
        assert_status_prefix(&reply, 400, "BadRequest", "error decoding patch: ");
    }
    // A merge patch that is JSON null.
    let reply = env.patch_raw(&uri, MERGE_PATCH, b"null".to_vec()).await;
    assert_status(&reply, 400, "BadRequest", "Invalid JSON Patch", None);

    // More than 10000 operations.
    let operations: Vec<Value> = (0..10_001)
        .map(|_| json!({"op": "test", "path": "/spec/greeting", "value": "Hi"}))
        .collect();
    let reply = env.patch(&uri, JSON_PATCH, &Value::Array(operations)).await;
    assert_status(
        &reply,
        413,
        "RequestEntityTooLarge",
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
        None,
    );

    // force on a non-apply patch.
    for force in ["true", "false"] {
        let reply = env
            .patch(
                &format!("{uri}?force={force}"),
                MERGE_PATCH,
                &json!({"spec": {"greeting": "Forced"}}),
            )
            .await;
        assert_status(
            &reply,
            422,
            "Invalid",
            r#"PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch"#,
            Some(json!({
                "group": "meta.k8s.io",
                "kind": "PatchOptions",
                "causes": [{
                    "reason": "FieldValueForbidden",
                    "message": "Forbidden: may not be specified for non-apply patch",
                    "field": "force",
                }],
            })),
        );
    }

    // An unknown patch media type is the route's 415 (go-restful's), before the object is
    // looked up: a missing Foo gets it too.
    let ghost = item("ghost");
    for (uri, content_type) in [
        (&uri, JSON),
        (&uri, "text/plain"),
        (&uri, "application/yaml"),
        (&uri, "Application/Merge-Patch+JSON"),
        (&ghost, "text/plain; charset=utf-8"),
    ] {
        let reply = env
            .patch(uri, content_type, &json!({"spec": {"greeting": "x"}}))
            .await;
        assert_status(
            &reply,
            415,
            "UnsupportedMediaType",
            "415: Unsupported Media Type",
            Some(json!({})),
        );
    }

    // A patch that makes the object invalid.
    for (content_type, patch) in [
        (MERGE_PATCH, json!({"spec": {"greeting": "x".repeat(300)}})),
        (
            JSON_PATCH,
            json!([{"op": "replace", "path": "/spec/greeting", "value": "x".repeat(300)}]),
        ),
    ] {
        let reply = env.patch(&uri, content_type, &patch).await;
        let status = assert_status_prefix(
            &reply,
            422,
            "Invalid",
            r#"Foo.demo.jeremyxu2010.me "j" is invalid: spec.greeting: "#,
        );
        assert_eq!(status["details"]["name"], "j", "{status}");
        assert_eq!(status["details"]["group"], GROUP, "{status}");
        assert_eq!(status["details"]["kind"], "Foo", "{status}");
        let fields: Vec<&str> = status["details"]["causes"]
            .as_array()
            .unwrap_or_else(|| panic!("no causes: {status}"))
            .iter()
            .map(|c| c["field"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(fields, ["spec.greeting"], "{status}");
    }

    // Nothing above changed the object.
    let now = env.get_foo("j").await;
    assert_eq!(resource_version(&now), resource_version(&created));
    assert_eq!(now, created);

    // A label set to null by a merge patch is removed.
    let patched = env
        .patch(
            &format!("{uri}?fieldManager=labeler"),
            MERGE_PATCH,
            &json!({"metadata": {"labels": {"drop": null}}}),
        )
        .await
        .expect(200);
    assert_eq!(
        patched["metadata"]["labels"],
        json!({"keep": "yes"}),
        "{patched}"
    );
    // The removal moves no fields to labeler, so it has no entry.
    assert_eq!(managers(&patched), pairs(&[("creator", "Update")]));

    // A passing JSON patch is applied.
    let patched = env
        .patch(
            &uri,
            JSON_PATCH,
            &json!([
                {"op": "test", "path": "/spec/greeting", "value": "Hi"},
                {"op": "replace", "path": "/spec/greeting", "value": "Patched"},
                {"op": "add", "path": "/metadata/labels/added", "value": "1"},
            ]),
        )
        .await
        .expect(200);
    assert_eq!(patched["spec"]["greeting"], "Patched");
    assert_eq!(
        patched["metadata"]["labels"],
        json!({"keep": "yes", "added": "1"})
    );
    assert_eq!(patched["metadata"]["generation"], 2);
    // kube-rs sends no User-Agent and no fieldManager was given: manager "unknown".
    check_entry(
        &entry(&patched, "unknown", "Update"),
        "unknown",
        "Update",
        json!({
            "f:metadata": {"f:labels": {"f:added": {}}},
            "f:spec": {"f:greeting": {}},
        }),
        None,
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Strategic merge patch; patches racing with other writers are retried.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn strategic_merge_patch_conditions_and_finalizers() {
    let env = Env::start().await;
    env.create("p", "Hi").await;

    // Conditions on /status merge by type.
    let after = env
        .patch(
            &format!("{}?fieldManager=smp-ctrl", status_of("p")),
            STRATEGIC,
            &json!({
                "spec": {"greeting": "Ignored"},
                "status": {"conditions": [ready_condition("True", "fine")]},
            }),
        )
        .await
        .expect(200);
    assert_eq!(
        after["spec"]["greeting"], "Hi",
        "/status ignores spec: {after}"
    );
    assert_eq!(condition_types(&after), ["Ready"]);
    check_entry(
        &entry(&after, "smp-ctrl", "Update"),
        "smp-ctrl",
        "Update",
        json!({"f:status": {".": {}, "f:conditions": {".": {}, condition_key("Ready"): {
            ".": {},
            "f:lastTransitionTime": {},
            "f:message": {},
            "f:reason": {},
            "f:status": {},
            "f:type": {},
        }}}}),
        Some("status"),
    );
    check_sorted(&after);

    let after = env
        .patch(
            &status_of("p"),
            STRATEGIC,
            &json!({"status": {"conditions": [synced_condition()]}}),
        )
        .await
        .expect(200);
    // kube-apiserver's strategic merge puts items new to the list before the live ones
    // (AM strategicpatch mergeSortedSlice).
    assert_eq!(condition_types(&after), ["Synced", "Ready"], "{after}");

    // Changing one condition by type leaves the other alone, and in place.
    let after = env
        .patch(
            &status_of("p"),
            STRATEGIC,
            &json!({"status": {"conditions": [{"type": "Ready", "message": "updated"}]}}),
        )
        .await
        .expect(200);
    assert_eq!(condition_types(&after), ["Synced", "Ready"], "{after}");
    assert_eq!(condition(&after, "Ready")["message"], "updated");
    assert_eq!(condition(&after, "Ready")["status"], "True");
    assert_eq!(condition(&after, "Synced")["message"], "synced");

    // $patch: delete removes one condition.
    let after = env
        .patch(
            &status_of("p"),
            STRATEGIC,
            &json!({"status": {"conditions": [{"type": "Ready", "$patch": "delete"}]}}),
        )
        .await
        .expect(200);
    assert_eq!(condition_types(&after), ["Synced"], "{after}");

    // Finalizers: union, then $deleteFromPrimitiveList.
    let after = env
        .patch(
            &item("p"),
            STRATEGIC,
            &json!({"metadata": {"finalizers": ["demo.jeremyxu2010.me/a"]}}),
        )
        .await
        .expect(200);
    assert_eq!(
        after["metadata"]["finalizers"],
        json!(["demo.jeremyxu2010.me/a"])
    );
    // Union; new items go first (AM strategicpatch mergeSortedSlice).
    let after = env
        .patch(
            &item("p"),
            STRATEGIC,
            &json!({"metadata": {"finalizers": ["demo.jeremyxu2010.me/b"]}}),
        )
        .await
        .expect(200);
    assert_eq!(
        after["metadata"]["finalizers"],
        json!(["demo.jeremyxu2010.me/b", "demo.jeremyxu2010.me/a"])
    );
    // Patch items keep the patch's order; live-only items slot in by their live order.
    let after = env
        .patch(
            &item("p"),
            STRATEGIC,
            &json!({"metadata": {"finalizers": ["demo.jeremyxu2010.me/c", "demo.jeremyxu2010.me/a"]}}),
        )
        .await
        .expect(200);
    assert_eq!(
        after["metadata"]["finalizers"],
        json!([
            "demo.jeremyxu2010.me/c",
            "demo.jeremyxu2010.me/b",
            "demo.jeremyxu2010.me/a"
        ])
    );
    let after = env
        .patch(
            &item("p"),
            STRATEGIC,
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["demo.jeremyxu2010.me/a"]}}),
        )
        .await
        .expect(200);
    assert_eq!(
        after["metadata"]["finalizers"],
        json!(["demo.jeremyxu2010.me/c", "demo.jeremyxu2010.me/b"])
    );

    // Labels merge; null deletes a key.
    let after = env
        .patch(
            &item("p"),
            STRATEGIC,
            &json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
        )
        .await
        .expect(200);
    assert_eq!(after["metadata"]["labels"], json!({"a": "1", "b": "2"}));
    let after = env
        .patch(
            &item("p"),
            STRATEGIC,
            &json!({"metadata": {"labels": {"a": null}}, "spec": {"greeting": "SMP"}}),
        )
        .await
        .expect(200);
    assert_eq!(after["metadata"]["labels"], json!({"b": "2"}));
    assert_eq!(after["spec"]["greeting"], "SMP");

    // A malformed strategic merge patch is 400 and changes nothing.
    let reply = env
        .patch_raw(&item("p"), STRATEGIC, b"{not json".to_vec())
        .await;
    reply.expect(400);
    assert_eq!(env.get_foo("p").await, after);
}

#[tokio::test]
async fn concurrent_patches_without_resource_version_are_retried() {
    let env = Env::start().await;
    env.create("race", "Hi").await;
    let writes = (0..20).map(|n| {
        let client = env.client.clone();
        async move {
            let body = json!({"metadata": {"labels": {format!("l{n:02}"): "v"}}});
            send(
                &client,
                Method::PATCH,
                &format!("{}?fieldManager=racer-{n:02}", item("race")),
                &[("content-type", MERGE_PATCH), ("accept", JSON)],
                Some(serde_json::to_vec(&body).unwrap()),
            )
            .await
        }
    });
    let replies = futures::future::join_all(writes).await;
    let failed: Vec<String> = replies
        .iter()
        .filter(|r| r.status != StatusCode::OK)
        .map(|r| format!("{} → {} {}", r.what, r.status, r.text()))
        .collect();
    assert!(failed.is_empty(), "failed patches: {failed:#?}");
    let object = env.get_foo("race").await;
    let labels = object["metadata"]["labels"]
        .as_object()
        .unwrap_or_else(|| panic!("no labels: {object}"));
    let expected: Vec<String> = (0..20).map(|n| format!("l{n:02}")).collect();
    let mut got: Vec<String> = labels.keys().cloned().collect();
    got.sort();
    assert_eq!(got, expected, "every concurrent patch kept its label");

    // A merge patch that names a stale resourceVersion is a precondition: 409, no retry.
    let reply = env
        .patch(
            &item("race"),
            MERGE_PATCH,
            &json!({"metadata": {"resourceVersion": "1", "labels": {"late": "x"}}}),
        )
        .await;
    assert_status(
        &reply,
        409,
        "Conflict",
        r#"Operation cannot be fulfilled on foos.demo.jeremyxu2010.me "race": the object has been modified; please apply your changes to the latest version and try again"#,
        Some(json!({"name": "race", "group": GROUP, "kind": "foos"})),
    );
    assert_eq!(env.get_foo("race").await, object);
}

// ---------------------------------------------------------------------------------------------
// managedFields entries as sent: in `metav1.ManagedFieldsEntry` field order.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn managed_fields_entry_key_order() {
    let env = Env::start().await;
    let created = env
        .apply(
            &item("o"),
            "alice",
            false,
            &config("o", json!({"spec": {"greeting": "Hi"}})),
        )
        .await
        .expect(201);
    let patched = env
        .patch(
            &format!("{}?fieldManager=status-writer", status_of("o")),
            MERGE_PATCH,
            &json!({"status": {"lastMessage": "hello"}}),
        )
        .await
        .expect(200);
    check_entry(
        &entry(&patched, "status-writer", "Update"),
        "status-writer",
        "Update",
        json!({"f:status": {".": {}, "f:lastMessage": {}}}),
        Some("status"),
    );
    check_entry_key_order(&entry(&created, "alice", "Apply"));
    check_entry_key_order(&entry(&patched, "status-writer", "Update"));
}

// ---------------------------------------------------------------------------------------------
// OpenAPI v3: the PATCH operation advertises exactly the accepted patch types.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn openapi_v3_patch_request_body_media_types() {
    let env = Env::start().await;
    let root = env
        .request(Method::GET, "/openapi/v3", &[("accept", JSON)], None)
        .await
        .expect(200);
    let url = root["paths"]["apis/demo.jeremyxu2010.me/v1beta1"]["serverRelativeURL"]
        .as_str()
        .unwrap_or_else(|| panic!("no group-version in {root}"))
        .to_string();
    let doc = env
        .request(Method::GET, &url, &[("accept", JSON)], None)
        .await
        .expect(200);
    for path in [
        "/apis/demo.jeremyxu2010.me/v1beta1/foos/{name}",
        "/apis/demo.jeremyxu2010.me/v1beta1/foos/{name}/status",
    ] {
        let patch = &doc["paths"][path]["patch"];
        let content = patch["requestBody"]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("no PATCH requestBody content on {path}: {patch}"));
        let types: Vec<&str> = content.keys().map(String::as_str).collect();
        assert_eq!(types, PATCH_TYPES, "PATCH media types of {path}");
        assert_eq!(patch["requestBody"]["required"], true, "{path}");
    }
}
