//! Entry points of the fuzz targets in `fuzz/`: each hands arbitrary bytes to one step of
//! request handling, the server's own code, and checks what the API promises of it: no
//! panic, a refusal is a `Status` with a client error code, and a decoded, patched or applied
//! Foo serializes and decodes again to itself.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use foo_sdk::Foo;
use http::{HeaderMap, HeaderValue, header};
use kube::Resource;

use crate::foo::FooStrategy;
use crate::negotiate::BodyFormat;
use crate::registry::apply;
use crate::registry::cache::Cached;
use crate::registry::decode::{self, FieldValidation};
use crate::registry::fieldmanager::{self, Writer};
use crate::registry::patch::Patch;
use crate::registry::store::{self, Manage, Part, SELECTABLE_FIELDS, selected};
use crate::request::{Continue, ListOptions, Query, ReadAt};
use crate::resource::FOO;
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::ApiError;

/// A stored Foo as the server keeps it: every metadata list, a status, and fields managed by
/// an applier (`kubectl`), an updater and the controller through `/status`, so that patches
/// and applies meet ownership and conflicts.
const LIVE: &str = r#"{
  "apiVersion": "demo.jeremyxu2010.me/v1beta1",
  "kind": "Foo",
  "metadata": {
    "name": "foo1",
    "uid": "6f1c3c5e-2b7a-4d8e-9f10-1a2b3c4d5e6f",
    "resourceVersion": "7",
    "generation": 2,
    "creationTimestamp": "2026-11-25T10:00:00Z",
    "labels": {"app": "demo", "tier": "web"},
    "annotations": {"note": "kept"},
    "finalizers": ["demo.jeremyxu2010.me/cleanup"],
    "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "0a1b"}],
    "managedFields": [
      {"manager": "kubectl", "operation": "Apply", "apiVersion": "demo.jeremyxu2010.me/v1beta1",
       "time": "2026-11-25T10:00:00Z", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}, "f:finalizers": {"v:\"demo.jeremyxu2010.me/cleanup\"": {}}},
                    "f:spec": {"f:greeting": {}}}},
      {"manager": "editor", "operation": "Update", "apiVersion": "demo.jeremyxu2010.me/v1beta1",
       "time": "2026-11-25T10:01:00Z", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:metadata": {"f:labels": {"f:tier": {}}, "f:annotations": {".": {}, "f:note": {}},
                                   "f:ownerReferences": {".": {}, "k:{\"uid\":\"0a1b\"}": {}}},
                    "f:spec": {"f:suspend": {}}}},
      {"manager": "foo-controller", "operation": "Update", "apiVersion": "demo.jeremyxu2010.me/v1beta1",
       "time": "2026-11-25T10:02:00Z", "fieldsType": "FieldsV1", "subresource": "status",
       "fieldsV1": {"f:status": {".": {}, "f:observedGeneration": {}, "f:barCount": {},
                                 "f:conditions": {".": {}, "k:{\"type\":\"Ready\"}": {".": {}, "f:type": {},
                                   "f:status": {}, "f:reason": {}, "f:message": {}, "f:lastTransitionTime": {}}}}}}
    ]
  },
  "spec": {"greeting": "Hello", "suspend": false},
  "status": {
    "observedGeneration": 2,
    "barCount": 3,
    "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled", "message": "",
                    "lastTransitionTime": "2026-11-25T10:01:00Z"}]
  }
}"#;

/// When the fuzzed writes happen, after every time in [`LIVE`].
const NOW: &str = "2026-11-25T10:05:00Z";

static LIVE_FOO: LazyLock<Foo> =
    LazyLock::new(|| serde_json::from_str(LIVE).expect("the live Foo decodes"));

/// The live Foo as the watch cache keeps it, which selectors are matched against.
static LIVE_CACHED: LazyLock<Arc<Cached<Foo>>> =
    LazyLock::new(|| Cached::new(&*LIVE_FOO, 1, LIVE.len()).expect("the live Foo is cached"));

/// A request body (POST, PUT): byte 0 picks JSON or YAML and the field validation.
pub fn decode_body(data: &[u8]) {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let format = [BodyFormat::Json, BodyFormat::Yaml][usize::from(flags & 1)];
    let validation = validation(flags >> 1);
    match decode::decode::<Foo>(&FOO, body, format, validation) {
        Ok(decoded) => assert_round_trip(&decoded.object),
        Err(e) => assert_refused(&e, &[400]),
    }
}

/// A JSON patch (RFC 6902) of the live Foo.
pub fn json_patch(data: &[u8]) {
    patch("application/json-patch+json", data);
}

/// A JSON merge patch (RFC 7386) of the live Foo.
pub fn merge_patch(data: &[u8]) {
    patch("application/merge-patch+json", data);
}

/// A strategic merge patch of the live Foo.
pub fn strategic_merge_patch(data: &[u8]) {
    patch("application/strategic-merge-patch+json", data);
}

/// A PATCH of the live Foo, then the update it makes, as the store runs them.
fn patch(content_type: &'static str, body: &[u8]) {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let patch = match Patch::parse(&headers, &Query::default(), body) {
        Ok(patch) => patch,
        Err(e) => return assert_refused(&e, &[400, 413]),
    };
    let document = serde_json::to_value(&*LIVE_FOO).expect("the live Foo serializes");
    let patched = match patch.apply(&FOO, document) {
        Ok(patched) => patched,
        Err(e) => return assert_refused(&e, &[400, 422]),
    };
    match decode::decode_value::<Foo>(&FOO, patched, FieldValidation::Warn) {
        Ok(decoded) => update(decoded.object),
        Err(e) => assert_refused(&e, &[400]),
    }
}

/// The store's update rules on a patched Foo (status kept, as a write of the main resource
/// keeps it): system fields, defaults, validation, then managedFields for the writer.
fn update(mut foo: Foo) {
    let live = &*LIVE_FOO;
    foo.status.clone_from(&live.status);
    let manage = Manage::Update("editor".into());
    let recorded = store::prepare_update(&FooStrategy, foo, live)
        .and_then(|foo| store::record(&FOO, Some(live), foo, &manage, Part::Main));
    match recorded {
        Ok(recorded) => assert_round_trip(&recorded),
        Err(e) => assert_refused(&e, &[422]),
    }
}

/// A server-side apply: byte 0 picks `force`, the `/status` subresource, whether the Foo
/// exists yet and the field manager; the rest is the applied configuration.
pub fn server_side_apply(data: &[u8]) {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let force = flags & 1 != 0;
    let subresource = (flags & 2 != 0).then_some("status");
    let live = (flags & 4 == 0)
        .then(|| serde_json::to_value(&*LIVE_FOO).expect("the live Foo serializes"));
    let manager = if flags & 8 == 0 { "kubectl" } else { "other" };
    let config = match apply::applied_configuration::<Foo>(&FOO, "foo1", body) {
        Ok(config) => config,
        Err(e) => return assert_refused(&e, &[400]),
    };
    let writer = writer(manager, subresource);
    let merged = match fieldmanager::apply(&FOO, live.as_ref(), &config, &writer, force) {
        Ok(merged) => merged,
        Err(e) => return assert_refused(&e, if force { &[400] } else { &[400, 409] }),
    };
    let foo = match decode::decode_value::<Foo>(&FOO, merged, FieldValidation::Ignore) {
        Ok(decoded) => decoded.object,
        Err(e) => return assert_refused(&e, &[400]),
    };
    assert_round_trip(&foo);
    // An object left without managed fields (the apply owned nothing) is attributed to
    // `before-first-apply` by the next apply, as in kube: only an owned result must be stable.
    if foo.meta().managed_fields.as_ref().is_none_or(Vec::is_empty) {
        return;
    }
    // Applying the same configuration again changes nothing and conflicts with no one, in
    // the object the server stores: the merge decoded as a Foo (a null that the merge drops,
    // such as `status:` in a condition, is the type's empty value again once decoded).
    let stored = serde_json::to_value(&foo).expect("an applied Foo serializes");
    let again = fieldmanager::apply(&FOO, Some(&stored), &config, &writer, false)
        .expect("a second identical apply succeeds");
    let again = decode::decode_value::<Foo>(&FOO, again, FieldValidation::Ignore)
        .expect("a second identical apply decodes")
        .object;
    assert_eq!(again, foo, "a second identical apply changes nothing");
}

/// A `labelSelector` and a `fieldSelector`, parsed and matched against the live Foo.
pub fn selectors(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let labels = LabelSelector::parse(&text);
    let fields = FieldSelector::parse(&text);
    if let Ok(fields) = &fields {
        let _ = fields.check_fields(SELECTABLE_FIELDS);
    }
    let options = ListOptions {
        labels: labels.ok(),
        fields: fields.ok(),
        limit: None,
        continue_from: None,
        read_at: ReadAt::Latest,
        watch: None,
    };
    selected(&LIVE_CACHED, &options);
    let labels = options.labels.unwrap_or_default();
    for set in [
        vec![],
        vec![("app", "demo")],
        vec![("a", "b"), ("e", "f"), ("n", "7")],
    ] {
        let set: BTreeMap<String, String> = set
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        labels.matches(|key| set.get(key).map(String::as_str));
    }
}

/// A list or watch query string, and continue tokens: the input itself, and its base64.
pub fn query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let query = Query::parse(Some(&text));
    match ListOptions::parse(&query) {
        Ok(options) => {
            if let Some(fields) = &options.fields {
                let _ = fields.check_fields(SELECTABLE_FIELDS);
            }
            selected(&LIVE_CACHED, &options);
            if let Some(from) = &options.continue_from {
                assert_eq!(Continue::decode(&from.encode()).as_ref(), Ok(from));
            }
        }
        Err(e) => assert_refused(&e, &[400, 422]),
    }
    if let Err(e) = FieldValidation::from_query(&query) {
        assert_refused(&e, &[400]);
    }
    if let Err(e) = query.dry_run("PatchOptions") {
        assert_refused(&e, &[422]);
    }
    for token in [text.into_owned(), URL_SAFE_NO_PAD.encode(data)] {
        match Continue::decode(&token) {
            Ok(from) => assert_eq!(Continue::decode(&from.encode()), Ok(from)),
            Err(e) => assert_refused(&e, &[400]),
        }
    }
}

fn validation(pick: u8) -> FieldValidation {
    match pick % 3 {
        0 => FieldValidation::Strict,
        1 => FieldValidation::Warn,
        _ => FieldValidation::Ignore,
    }
}

fn writer(manager: &'static str, subresource: Option<&'static str>) -> Writer<'static> {
    static API_VERSION: LazyLock<String> = LazyLock::new(|| FOO.group_version());
    Writer {
        manager,
        subresource,
        api_version: API_VERSION.as_str(),
        time: NOW,
    }
}

/// A refusal is answered as a `Status` with one of `codes`.
fn assert_refused(error: &ApiError, codes: &[u16]) {
    assert!(
        codes.contains(&error.code),
        "refused with {} (not one of {codes:?}): {error:?}",
        error.code
    );
    let status = error.to_status();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["code"], error.code);
    assert!(!error.reason.is_empty() && !error.message.is_empty());
}

/// A Foo the server accepted serializes, decodes strictly (nothing unknown) and serializes
/// to the same JSON again.
fn assert_round_trip(foo: &Foo) {
    let value = serde_json::to_value(foo).expect("a Foo serializes");
    let again = decode::decode_value::<Foo>(&FOO, value.clone(), FieldValidation::Strict)
        .unwrap_or_else(|e| panic!("a serialized Foo decodes again: {e:?}\n{value}"));
    assert_eq!(
        serde_json::to_value(&again.object).expect("a Foo serializes"),
        value,
        "a Foo survives a round trip"
    );
}
