//! Foo's OpenAPI v3 schemas (API.md), in the form openapi-gen gives Go types: a described
//! reference is wrapped in `allOf`, and a non-pointer struct field defaults to `{}`.

use foo_sdk::{GROUP, VERSION};
use serde_json::{Map, Value, json};

use crate::openapi::{api_version_property, kind_property};

const PREFIX: &str = "me.jeremyxu2010.demo.v1beta1";
const OBJECT_META: &str = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const LIST_META: &str = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
const TIME: &str = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time";
const CONDITION: &str = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Condition";

/// The schemas of Foo, FooList, FooSpec, FooStatus, FooBar and FooBarOptions (bar's query
/// parameters), keyed by definition name.
pub fn schemas() -> Map<String, Value> {
    let reference = |name: &str| format!("#/components/schemas/{PREFIX}.{name}");
    let gvk = |kind: &str| json!([{"group": GROUP, "kind": kind, "version": VERSION}]);
    [
        (
            "Foo",
            json!({
                "description": "Foo is a cluster-scoped object with a greeting that its bar subresource answers with.",
                "type": "object",
                "properties": {
                    "apiVersion": api_version_property(),
                    "kind": kind_property(),
                    "metadata": {"allOf": [{"$ref": OBJECT_META}], "default": {}, "description": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"},
                    "spec": {"allOf": [{"$ref": reference("FooSpec")}], "default": {}, "description": "Spec is the desired state of the Foo."},
                    "status": {"allOf": [{"$ref": reference("FooStatus")}], "default": {}, "description": "Status is the observed state of the Foo, written only through the status and bar subresources and by the controller."}
                },
                "x-kubernetes-group-version-kind": gvk("Foo")
            }),
        ),
        (
            "FooList",
            json!({
                "description": "FooList is a list of Foo objects.",
                "type": "object",
                "required": ["items"],
                "properties": {
                    "apiVersion": api_version_property(),
                    "items": {"description": "Items is the list of Foo objects.", "type": "array", "items": {"allOf": [{"$ref": reference("Foo")}], "default": {}}},
                    "kind": kind_property(),
                    "metadata": {"allOf": [{"$ref": LIST_META}], "default": {}, "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"}
                },
                "x-kubernetes-group-version-kind": gvk("FooList")
            }),
        ),
        (
            "FooSpec",
            json!({
                "description": "FooSpec is the desired state of a Foo.",
                "type": "object",
                "properties": {
                    "greeting": {"description": "Greeting is what bar answers with, followed by its arg1: 1 to 256 characters, no control characters. Defaults to \"Hello\".", "type": "string", "default": "Hello", "minLength": 1, "maxLength": 256},
                    "suspend": {"description": "Suspend makes bar refuse to answer (409 Conflict) while true. Defaults to false.", "type": "boolean", "default": false}
                }
            }),
        ),
        (
            "FooStatus",
            json!({
                "description": "FooStatus is the observed state of a Foo.",
                "type": "object",
                "properties": {
                    "barCount": {"description": "BarCount is how many times bar has been invoked.", "type": "integer", "format": "int64", "minimum": 0},
                    "conditions": {"description": "Conditions are the standard conditions of the Foo, merged by type. The controller keeps Ready: True with reason Reconciled for an active Foo, False with reason Suspended for a suspended one.", "type": "array", "items": {"allOf": [{"$ref": CONDITION}], "default": {}}, "x-kubernetes-list-map-keys": ["type"], "x-kubernetes-list-type": "map", "x-kubernetes-patch-merge-key": "type", "x-kubernetes-patch-strategy": "merge"},
                    "lastBarTime": {"allOf": [{"$ref": TIME}], "description": "LastBarTime is when bar was last invoked."},
                    "lastMessage": {"description": "LastMessage is the message bar last answered.", "type": "string"},
                    "observedGeneration": {"description": "ObservedGeneration is the metadata.generation the controller last reconciled.", "type": "integer", "format": "int64", "minimum": 0}
                }
            }),
        ),
        (
            "FooBar",
            json!({
                "description": "FooBar is the answer of a Foo's bar subresource.",
                "type": "object",
                "required": ["message"],
                "properties": {
                    "apiVersion": api_version_property(),
                    "kind": kind_property(),
                    "message": {"description": "Message is the Foo's greeting, a comma, a space and the arg1 of the request.", "type": "string", "default": ""},
                    "metadata": {"allOf": [{"$ref": OBJECT_META}], "default": {}, "description": "Carries the name of the Foo that answered."}
                },
                "x-kubernetes-group-version-kind": gvk("FooBar")
            }),
        ),
        (
            "FooBarOptions",
            json!({
                "description": "FooBarOptions are the query parameters of a Foo's bar subresource; its request body is ignored.",
                "type": "object",
                "properties": {
                    "arg1": {"description": "Arg1 is who bar greets: at most 256 characters, no control characters. Defaults to \"world\".", "type": "string"},
                    "dryRun": {"description": "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed", "type": "array", "items": {"type": "string", "default": ""}, "x-kubernetes-list-type": "atomic"}
                },
                "x-kubernetes-group-version-kind": gvk("FooBarOptions")
            }),
        ),
    ]
    .into_iter()
    .map(|(name, schema)| (format!("{PREFIX}.{name}"), schema))
    .collect()
}
