//! PATCH.md's tests 1–8 and 10's managedFields part, at the level of these functions.

use serde_json::{Value, json};

use super::*;
use crate::testing::foo_lists;

const GV: &str = "demo.jeremyxu2010.me/v1beta1";
const T1: &str = "2026-11-25T10:00:00Z";
const T2: &str = "2026-11-25T10:01:00Z";
const T3: &str = "2026-11-25T10:02:00Z";
const T4: &str = "2026-11-25T10:03:00Z";

fn by<'a>(manager: &'a str, time: &'a str) -> Writer<'a> {
    Writer {
        manager,
        subresource: None,
        api_version: GV,
        time,
    }
}

fn by_status<'a>(manager: &'a str, time: &'a str) -> Writer<'a> {
    Writer {
        subresource: Some("status"),
        ..by(manager, time)
    }
}

fn foo(spec: Value) -> Value {
    json!({"apiVersion": GV, "kind": "Foo", "metadata": {"name": "foo1"}, "spec": spec})
}

/// What the store adds to what it persists.
fn stored(mut object: Value) -> Value {
    let meta = object["metadata"].as_object_mut().unwrap();
    meta.insert("uid".into(), "6f1c".into());
    meta.insert("resourceVersion".into(), "7".into());
    meta.insert("creationTimestamp".into(), T1.into());
    meta.insert("generation".into(), 1.into());
    object
}

/// Applies and returns the object as stored.
fn applied(live: Option<&Value>, config: &Value, writer: &Writer) -> Value {
    stored(apply(&foo_lists(), live, config, writer, false).unwrap())
}

fn entry<'a>(object: &'a Value, manager: &str) -> &'a Value {
    object["metadata"]["managedFields"]
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["manager"] == manager))
        .unwrap_or_else(|| panic!("no entry of {manager} in {object}"))
}

fn fields(object: &Value, manager: &str) -> String {
    entry(object, manager)["fieldsV1"].to_string()
}

fn managers(object: &Value) -> Vec<String> {
    let entries = object["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    entries
        .iter()
        .map(|e| format!("{}/{}", e["manager"], e["operation"]))
        .collect()
}

fn conflict_message(result: Result<Value, ApiError>) -> String {
    let error = result.unwrap_err();
    assert_eq!((error.code, error.reason), (409, "Conflict"));
    error.message
}

fn full_config() -> Value {
    let mut config = foo(json!({"greeting": "Hello", "suspend": false}));
    config["metadata"]["labels"] = json!({"app": "demo"});
    config["metadata"]["finalizers"] = json!(["demo.jeremyxu2010.me/cleanup"]);
    config
}

#[test]
fn create_by_apply_gives_the_exact_entry_and_reapply_changes_nothing() {
    let created = applied(None, &full_config(), &by("kubectl", T1));
    assert_eq!(
        created["spec"],
        json!({"greeting": "Hello", "suspend": false})
    );
    assert_eq!(
        serde_json::to_string(&created["metadata"]["managedFields"]).unwrap(),
        format!(
            r#"[{{"manager":"kubectl","operation":"Apply","apiVersion":"{GV}","time":"{T1}","fieldsType":"FieldsV1","fieldsV1":{}}}]"#,
            r#"{"f:metadata":{"f:finalizers":{"v:\"demo.jeremyxu2010.me/cleanup\"":{}},"f:labels":{"f:app":{}}},"f:spec":{"f:greeting":{},"f:suspend":{}}}"#
        )
    );

    let again = apply(
        &foo_lists(),
        Some(&created),
        &full_config(),
        &by("kubectl", T2),
        false,
    )
    .unwrap();
    assert_eq!(again, created);
}

#[test]
fn a_second_manager_conflicts_unless_forced() {
    let live = applied(None, &full_config(), &by("other", T1));
    let change = foo(json!({"greeting": "Bye"}));

    let error = apply(&foo_lists(), Some(&live), &change, &by("b", T2), false).unwrap_err();
    assert_eq!(
        serde_json::to_string(&error.to_status()).unwrap(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \"other\": .spec.greeting","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"other\"","field":".spec.greeting"}]},"code":409}"#
    );
    let both = foo(json!({"greeting": "Bye", "suspend": true}));
    assert_eq!(
        conflict_message(apply(&foo_lists(), Some(&live), &both, &by("b", T2), false)),
        "Apply failed with 2 conflicts: conflicts with \"other\":\n- .spec.greeting\n- .spec.suspend"
    );

    let forced = stored(apply(&foo_lists(), Some(&live), &change, &by("b", T2), true).unwrap());
    assert_eq!(forced["spec"]["greeting"], "Bye");
    assert_eq!(fields(&forced, "b"), r#"{"f:spec":{"f:greeting":{}}}"#);
    assert!(!fields(&forced, "other").contains("greeting"));
    assert_eq!(entry(&forced, "b")["time"], T2);
}

#[test]
fn equal_values_are_co_owned_and_only_sole_owners_prune() {
    let a = |spec: Value| foo(spec);
    let live = applied(
        None,
        &a(json!({"greeting": "Hi", "suspend": true})),
        &by("a", T1),
    );

    // The same value is no conflict; the object does not change, so, as in kube-apiserver
    // (kubernetes/kubernetes#127938), the new co-owner's entry has no time.
    let live = applied(Some(&live), &foo(json!({"greeting": "Hi"})), &by("b", T2));
    assert_eq!(fields(&live, "b"), r#"{"f:spec":{"f:greeting":{}}}"#);
    assert!(entry(&live, "b").get("time").is_none());
    assert!(fields(&live, "a").contains("f:greeting"));

    // A drops greeting: B still owns it, it stays.
    let live = applied(Some(&live), &a(json!({"suspend": true})), &by("a", T3));
    assert_eq!(live["spec"], json!({"greeting": "Hi", "suspend": true}));
    assert_eq!(fields(&live, "a"), r#"{"f:spec":{"f:suspend":{}}}"#);

    // A drops suspend, which only A owns: it goes.
    let live = applied(Some(&live), &a(json!({"greeting": "Hi"})), &by("a", T4));
    assert_eq!(live["spec"], json!({"greeting": "Hi"}));
    assert_eq!(entry(&live, "a")["time"], T4);
}

#[test]
fn an_update_then_an_apply_conflicts_with_the_updater() {
    let live = applied(None, &full_config(), &by("kubectl", T1));
    let mut edited = live.clone();
    edited["spec"]["greeting"] = "Hola".into();
    record_update(
        &foo_lists(),
        Some(&live),
        &json!({}),
        &mut edited,
        &by("kubectl-edit", T2),
    )
    .unwrap();
    assert_eq!(
        managers(&edited),
        [r#""kubectl"/"Apply""#, r#""kubectl-edit"/"Update""#]
    );
    assert_eq!(
        fields(&edited, "kubectl-edit"),
        r#"{"f:spec":{"f:greeting":{}}}"#
    );
    assert_eq!(entry(&edited, "kubectl-edit")["time"], T2);
    assert!(!fields(&edited, "kubectl").contains("greeting"));

    let result = apply(
        &foo_lists(),
        Some(&edited),
        &full_config(),
        &by("kubectl", T3),
        false,
    );
    assert_eq!(
        conflict_message(result),
        "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using demo.jeremyxu2010.me/v1beta1: .spec.greeting"
    );
}

#[test]
fn a_create_is_compared_from_the_kinds_empty_object() {
    // Fields the type always holds (Go's non-pointer structs) are not the creator's, what it
    // sets inside them is; an absent map it sets is its own.
    let mut created = foo(json!({"greeting": "Hello"}));
    created["metadata"]["labels"] = json!({"app": "demo"});
    let empty = json!({"metadata": {}, "spec": {}});
    record_update(
        &foo_lists(),
        None,
        &empty,
        &mut created,
        &by("kubectl-create", T1),
    )
    .unwrap();
    assert_eq!(
        fields(&created, "kubectl-create"),
        r#"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:greeting":{}}}"#
    );
}

#[test]
fn updates_record_changed_fields_with_containers() {
    let mut created = foo(json!({"greeting": "Hello", "suspend": false}));
    created["metadata"]["labels"] = json!({"app": "demo"});
    created["status"] = json!({"barCount": 5});
    record_update(
        &foo_lists(),
        None,
        &json!({}),
        &mut created,
        &by("kubectl-create", T1),
    )
    .unwrap();
    // The store then drops the status (its strategy's job).
    created.as_object_mut().unwrap().shift_remove("status");
    let created = stored(created);
    // Status is not the main resource's to record.
    assert_eq!(
        fields(&created, "kubectl-create"),
        r#"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{".":{},"f:greeting":{},"f:suspend":{}}}"#
    );

    // A no-op adds nothing and keeps times, even against times the client changed.
    let mut same = created.clone();
    same["metadata"]["managedFields"][0]["time"] = T3.into();
    record_update(
        &foo_lists(),
        Some(&created),
        &json!({}),
        &mut same,
        &by("other", T2),
    )
    .unwrap();
    assert_eq!(same, created);

    let mut status = created.clone();
    status["status"] = json!({"barCount": 1, "conditions": [{
        "type": "Ready", "status": "True", "reason": "Reconciled", "message": "",
        "lastTransitionTime": T2,
    }]});
    status["spec"]["greeting"] = "ignored".into();
    record_update(
        &foo_lists(),
        Some(&created),
        &json!({}),
        &mut status,
        &by_status("foo-controller", T2),
    )
    .unwrap();
    let entry = entry(&status, "foo-controller");
    assert_eq!(entry["subresource"], "status");
    assert_eq!(
        entry["fieldsV1"].to_string(),
        r#"{"f:status":{".":{},"f:barCount":{},"f:conditions":{".":{},"k:{\"type\":\"Ready\"}":{".":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}}}}}"#
    );
}

#[test]
fn conditions_applied_through_status_merge_by_type() {
    let live = applied(None, &full_config(), &by("kubectl", T1));
    let condition = |kind: &str, status: &str| json!({"type": kind, "status": status, "reason": "Reconciled", "message": "", "lastTransitionTime": T2});
    let mut config = foo(json!({"greeting": "ignored"}));
    config["status"] = json!({"conditions": [condition("Ready", "True")]});
    let live = applied(Some(&live), &config, &by_status("ctrl", T2));
    assert_eq!(live["spec"]["greeting"], "Hello");
    assert_eq!(entry(&live, "ctrl")["subresource"], "status");
    assert_eq!(
        fields(&live, "ctrl"),
        r#"{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}}}}}"#
    );

    // Another manager's condition joins; a live-only item keeps its place.
    config["status"] =
        json!({"conditions": [condition("New", "True"), condition("Ready", "True")]});
    let live = applied(Some(&live), &config, &by_status("other", T3));
    let types: Vec<&Value> = live["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["type"])
        .collect();
    assert_eq!(types, ["New", "Ready"]);
    config["status"] = json!({"conditions": [condition("Synced", "True")]});
    let live = applied(Some(&live), &config, &by_status("third", T3));
    let types: Vec<&Value> = live["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["type"])
        .collect();
    assert_eq!(types, ["New", "Ready", "Synced"]);

    // Ready is co-owned by ctrl and other: changing it conflicts with other only.
    config["status"] = json!({"conditions": [condition("Ready", "False")]});
    assert_eq!(
        conflict_message(apply(
            &foo_lists(),
            Some(&live),
            &config,
            &by_status("ctrl", T4),
            false
        )),
        "Apply failed with 1 conflict: conflict with \"other\" with subresource \"status\": .status.conditions[type=\"Ready\"].status"
    );
}

#[test]
fn apply_refuses_bad_bodies() {
    let mut config = full_config();
    config["metadata"]["managedFields"] = json!([]);
    let error = apply(&foo_lists(), None, &config, &by("kubectl", T1), false).unwrap_err();
    assert_eq!(
        (error.code, error.message.as_str()),
        (400, "metadata.managedFields must be nil")
    );

    let mut config = full_config();
    config["status"] = json!({"conditions": [{"status": "True"}]});
    config["metadata"]["finalizers"] = json!(["x", "x"]);
    let error = apply(&foo_lists(), None, &config, &by("kubectl", T1), false).unwrap_err();
    assert_eq!(error.code, 400);
    assert_eq!(
        error.message,
        "failed to create typed patch object (/foo1; demo.jeremyxu2010.me/v1beta1, Kind=Foo): errors:\n  .metadata.finalizers: duplicate entries for key [=\"x\"]\n  .status.conditions: element 0: associative list with keys has an element that omits all key fields [\"type\"] (and doesn't have default values for any key fields)"
    );
}

#[test]
fn reset_managed_fields_then_apply_gives_before_first_apply() {
    let live = applied(None, &full_config(), &by("kubectl", T1));
    let mut replaced = live.clone();
    replaced["metadata"]["managedFields"] = json!([]);
    record_update(
        &foo_lists(),
        Some(&live),
        &json!({}),
        &mut replaced,
        &by("kubectl-replace", T2),
    )
    .unwrap();
    assert!(replaced["metadata"].get("managedFields").is_none());

    // Untracked objects stay untracked through updates.
    let mut edited = replaced.clone();
    edited["metadata"]["labels"]["tier"] = "web".into();
    record_update(
        &foo_lists(),
        Some(&replaced),
        &json!({}),
        &mut edited,
        &by("kubectl-edit", T3),
    )
    .unwrap();
    assert!(edited["metadata"].get("managedFields").is_none());

    let live = applied(Some(&edited), &full_config(), &by("kubectl", T4));
    assert_eq!(
        managers(&live),
        [r#""kubectl"/"Apply""#, r#""before-first-apply"/"Update""#]
    );
    assert_eq!(
        fields(&live, "before-first-apply"),
        r#"{"f:metadata":{"f:finalizers":{".":{},"v:\"demo.jeremyxu2010.me/cleanup\"":{}},"f:labels":{".":{},"f:app":{},"f:tier":{}}},"f:spec":{".":{},"f:greeting":{},"f:suspend":{}}}"#
    );
    assert_eq!(live["metadata"]["labels"]["tier"], "web");
    // Changing what before-first-apply owns is a conflict like any other.
    let change = foo(json!({"greeting": "Bye"}));
    assert_eq!(
        conflict_message(apply(
            &foo_lists(),
            Some(&live),
            &change,
            &by("kubectl", T4),
            false
        )),
        "Apply failed with 1 conflict: conflict with \"before-first-apply\" using demo.jeremyxu2010.me/v1beta1: .spec.greeting"
    );
}

#[test]
fn eleven_updaters_leave_ten_update_entries() {
    let mut live = applied(None, &full_config(), &by("kubectl", T1));
    for i in 0..11 {
        let mut new = live.clone();
        new["metadata"]["labels"][format!("l{i}")] = "x".into();
        let time = format!("2026-11-25T11:{i:02}:00Z");
        record_update(
            &foo_lists(),
            Some(&live),
            &json!({}),
            &mut new,
            &by(&format!("writer-{i}"), &time),
        )
        .unwrap();
        live = new;
    }
    let entries = live["metadata"]["managedFields"].as_array().unwrap();
    let updates: Vec<&Value> = entries
        .iter()
        .filter(|e| e["operation"] == "Update")
        .collect();
    assert_eq!(updates.len(), 10);
    assert_eq!(updates[0]["manager"], "ancient-changes");
    assert_eq!(updates[0]["time"], "2026-11-25T11:01:00Z");
    assert_eq!(
        updates[0]["fieldsV1"].to_string(),
        r#"{"f:metadata":{"f:labels":{"f:l0":{},"f:l1":{}}}}"#
    );
    assert!(
        entries
            .iter()
            .all(|e| e["manager"] != "writer-0" && e["manager"] != "writer-1")
    );
}

#[test]
fn managers_from_user_agents() {
    let ua = |u| manager_from_user_agent(Some(u));
    assert_eq!(
        ua("kubectl/v1.30.2 (linux/amd64) kubernetes/39683505"),
        "kubectl"
    );
    assert_eq!(ua("my\u{7}tool\u{200b}/1"), "mytool");
    assert_eq!(ua(&"a".repeat(200)).len(), 128);
    assert_eq!(manager_from_user_agent(None), "");
}

/// Applying `spec: {}` again keeps what nobody owns below it: SMD's pruning leaves a field
/// emptied on the way there (found by the server_side_apply fuzz target).
#[test]
fn reapplying_an_empty_object_keeps_unowned_fields() {
    let config = foo(json!({}));
    let mut live = applied(None, &config, &by("kubectl", T1));
    live["spec"]["suspend"] = json!(false);
    let again = apply(
        &foo_lists(),
        Some(&live),
        &config,
        &by("kubectl", T2),
        false,
    )
    .unwrap();
    assert_eq!(again["spec"], json!({"suspend": false}));
}

#[test]
fn conflicts_are_listed_up_to_100() {
    let config = |value: &str| {
        let mut config = foo(json!({}));
        let labels = (0..150).map(|i| (format!("k{i:03}"), json!(value)));
        config["metadata"]["labels"] = labels.collect::<serde_json::Map<_, _>>().into();
        config
    };
    let live = applied(None, &config("x"), &by("a", T1));
    let error = apply(&foo_lists(), Some(&live), &config("y"), &by("b", T2), false).unwrap_err();
    let lines: Vec<String> = (0..100)
        .map(|i| format!("- .metadata.labels.k{i:03}"))
        .collect();
    assert_eq!(
        error.message,
        format!(
            "Apply failed with 150 conflicts: conflicts with \"a\":\n{}\nand 50 more conflicts",
            lines.join("\n")
        )
    );
    let causes = error.details.unwrap().causes;
    assert_eq!(causes.len(), 101);
    assert_eq!(causes[100], Cause::summary("and 50 more conflicts".into()));
}

/// `kubectl apply --server-side` after `kubectl apply`: kubectl's apply takes over the fields
/// the last-applied annotation lists from the client-side manager, as kube-apiserver's
/// lastAppliedManager lets it; any other manager, or a field the annotation does not list,
/// still conflicts.
#[test]
fn kubectl_takes_over_what_it_applied_client_side() {
    let last = foo(json!({"greeting": "Hi"}));
    let mut object = foo(json!({"greeting": "Hi", "suspend": true}));
    object["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/last-applied-configuration": last.to_string()});
    let mut live = object.clone();
    record_update(
        &foo_lists(),
        None,
        &json!({}),
        &mut live,
        &by("kubectl-client-side-apply", T1),
    )
    .unwrap();
    let live = stored(live);

    let greeting = foo(json!({"greeting": "Bye"}));
    let taken = applied(Some(&live), &greeting, &by("kubectl", T2));
    assert_eq!(taken["spec"]["greeting"], "Bye");
    assert_eq!(fields(&taken, "kubectl"), r#"{"f:spec":{"f:greeting":{}}}"#);

    assert_eq!(
        conflict_message(apply(
            &foo_lists(),
            Some(&live),
            &greeting,
            &by("other", T2),
            false
        )),
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using demo.jeremyxu2010.me/v1beta1: .spec.greeting"
    );
    let suspend = foo(json!({"greeting": "Bye", "suspend": false}));
    assert_eq!(
        conflict_message(apply(
            &foo_lists(),
            Some(&live),
            &suspend,
            &by("kubectl", T2),
            false
        )),
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using demo.jeremyxu2010.me/v1beta1: .spec.suspend"
    );
}
