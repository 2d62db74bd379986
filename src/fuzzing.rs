//! Foo's fuzz targets (`fuzz/`, run by `cargo xtask fuzz`): the library's harness around a
//! live Foo.

use std::sync::LazyLock;

use aggregated_apiserver::fuzzing::Fuzz;

use crate::foo::FooStrategy;

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

/// The targets, around [`LIVE`].
pub static FOO: LazyLock<Fuzz<FooStrategy>> = LazyLock::new(|| Fuzz::new(FooStrategy, LIVE));
