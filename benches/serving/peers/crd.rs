//! A CustomResourceDefinition of Foo's shape under another group: cluster-scoped, with the
//! status subresource, Foo's schema (defaults and validation included) and the printer
//! columns of API.md, so that kube-apiserver serves what foo-apiserver serves.

use serde_json::{Value, json};

pub const GROUP: &str = "bench.demo.jeremyxu2010.me";
pub const VERSION: &str = "v1beta1";
pub const API_VERSION: &str = "bench.demo.jeremyxu2010.me/v1beta1";
pub const PLURAL: &str = "foos";

pub fn manifest() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{PLURAL}.{GROUP}")},
        "spec": {
            "group": GROUP,
            "names": {"plural": PLURAL, "singular": "foo", "kind": "Foo", "listKind": "FooList"},
            "scope": "Cluster",
            "versions": [{
                "name": VERSION,
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": schema()},
                "additionalPrinterColumns": printer_columns(),
            }],
        },
    })
}

/// Foo's OpenAPI schema (`src/foo/openapi.rs`) in structural form.
fn schema() -> Value {
    let int64 = json!({"type": "integer", "format": "int64", "minimum": 0});
    let time = json!({"type": "string", "format": "date-time"});
    let condition = json!({
        "type": "object",
        "required": ["type", "status", "lastTransitionTime", "reason", "message"],
        "properties": {
            "type": {"type": "string", "maxLength": 316},
            "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
            "observedGeneration": int64,
            "lastTransitionTime": time,
            "reason": {"type": "string", "maxLength": 1024},
            "message": {"type": "string", "maxLength": 32768},
        },
    });
    json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "default": {},
                "properties": {
                    "greeting": {
                        "type": "string",
                        "default": "Hello",
                        "minLength": 1,
                        "maxLength": 256,
                        // No control characters.
                        "pattern": "^[^\\x00-\\x1f\\x7f]*$",
                    },
                    "suspend": {"type": "boolean", "default": false},
                },
            },
            "status": {
                "type": "object",
                "properties": {
                    "observedGeneration": int64,
                    "barCount": int64,
                    "lastBarTime": time,
                    "lastMessage": {"type": "string"},
                    "conditions": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["type"],
                        "items": condition,
                    },
                },
            },
        },
    })
}

/// API.md's columns but Name, which kube-apiserver puts first itself.
fn printer_columns() -> Value {
    json!([
        {"name": "Greeting", "type": "string", "jsonPath": ".spec.greeting"},
        {"name": "Bars", "type": "integer", "jsonPath": ".status.barCount"},
        {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        {"name": "Suspended", "type": "boolean", "jsonPath": ".spec.suspend", "priority": 1},
        {"name": "Last Bar", "type": "date", "jsonPath": ".status.lastBarTime", "priority": 1},
        {"name": "Message", "type": "string", "jsonPath": ".status.lastMessage", "priority": 1},
    ])
}
