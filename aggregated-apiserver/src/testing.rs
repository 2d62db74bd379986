//! Test fixtures: a kind for the generic code to work on.

use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::openapi::derive::list_types;
use crate::openapi::{META_V1, V3_REF};
use crate::registry::{Convertible, Strategy, TableColumnDefinition};
use crate::resource::{ALL_VERBS, ListTypes, ResourceInfo, SubresourceInfo};
use crate::status::FieldError;

/// A kind shaped like the demo's Foo (cluster-scoped, `status` and `bar` subresources,
/// merged lists in metadata and status), for the generic code's tests.
pub const FOO: ResourceInfo = ResourceInfo {
    group: "demo.jeremyxu2010.me",
    version: "v1beta1",
    kind: "Foo",
    list_kind: "FooList",
    plural: "foos",
    singular: "foo",
    short_names: &["fo"],
    categories: &["demo"],
    namespaced: false,
    verbs: ALL_VERBS,
    subresources: &[
        SubresourceInfo {
            name: "bar",
            kind: "FooBar",
            verbs: &["create"],
        },
        SubresourceInfo {
            name: "status",
            kind: "Foo",
            verbs: &["get", "patch", "update"],
        },
    ],
    selectable_fields: &[],
};

/// [`FOO`] without a status subresource (status is an ordinary field) and served only for
/// creating, reading and replacing.
pub const PLAIN_FOO: ResourceInfo = ResourceInfo {
    verbs: &["create", "get", "list", "update"],
    subresources: &[],
    selectable_fields: &["spec.greeting", "spec.suspend"],
    ..FOO
};

/// [`PLAIN_FOO`] in namespaces, with every verb.
pub const NAMESPACED_FOO: ResourceInfo = ResourceInfo {
    namespaced: true,
    verbs: FOO.verbs,
    ..PLAIN_FOO
};

/// How [`FOO`]'s lists merge, as a store of [`Plain`] reads them from its schemas: metadata's
/// finalizers as a set, owner references and status conditions as maps.
pub fn foo_lists() -> ListTypes {
    list_types((&FOO, &Plain(&FOO).openapi_schemas()))
}

/// A strategy for the demo's Foo type, described by its `ResourceInfo`, with little of its
/// own: no defaults, columns or actions, bare schemas; `spec.greeting` is immutable, stored
/// trimmed, and the greeting `deprecated` draws a warning.
pub struct Plain(pub &'static ResourceInfo);

impl Strategy for Plain {
    type Object = foo_sdk::Foo;

    fn info(&self) -> &'static ResourceInfo {
        self.0
    }

    fn canonicalize(&self, object: &mut Self::Object) {
        object.spec.greeting = object.spec.greeting.trim().to_owned();
    }

    fn validate_update(&self, new: &Self::Object, old: &Self::Object) -> Vec<FieldError> {
        let mut errors = self.validate(new);
        errors.extend((new.spec.greeting != old.spec.greeting).then(|| {
            FieldError::invalid("spec.greeting", &new.spec.greeting, "field is immutable")
        }));
        errors
    }

    fn warnings(&self, object: &Self::Object) -> Vec<String> {
        (object.spec.greeting == "deprecated")
            .then(|| "spec.greeting: \"deprecated\" is deprecated".to_owned())
            .into_iter()
            .collect()
    }

    fn table_columns(&self) -> Vec<TableColumnDefinition> {
        Vec::new()
    }

    fn table_cells(&self, _: &Self::Object, _: Timestamp) -> Vec<Value> {
        Vec::new()
    }

    /// Foo and FooList as bare objects, but for what their lists merge by: enough for the
    /// OpenAPI documents' routes and the store's [`ListTypes`] (see [`foo_lists`]).
    fn openapi_schemas(&self) -> Map<String, Value> {
        let info = self.0;
        [info.kind, info.list_kind]
            .into_iter()
            .map(|kind| {
                let gvk = json!([{"group": info.group, "version": info.version, "kind": kind}]);
                let mut schema = json!({"type": "object", "x-kubernetes-group-version-kind": gvk});
                if kind == info.kind {
                    schema["properties"] = json!({
                        "metadata": {"allOf": [{"$ref": format!("{V3_REF}{META_V1}.ObjectMeta")}]},
                        "status": {"type": "object", "properties": {"conditions": {
                            "type": "array",
                            "items": {"type": "object"},
                            "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["type"],
                        }}},
                    });
                }
                (
                    format!("me.jeremyxu2010.demo.{}.{kind}", info.version),
                    schema,
                )
            })
            .collect()
    }
}

/// [`PLAIN_FOO`] in version `v2`, as [`FooV2`] objects.
pub const PLAIN_FOO_V2: ResourceInfo = ResourceInfo {
    version: "v2",
    ..PLAIN_FOO
};

/// The demo's Foo in a deprecated version `v2` that calls the greeting `message`, converted
/// from and to foo-sdk's Foo as its hub.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FooV2 {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: FooV2Spec,
}

/// What a [`FooV2`] asks for.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FooV2Spec {
    #[serde(default)]
    pub message: String,
}

impl kube::Resource for FooV2 {
    type DynamicType = ();
    type Scope = kube::core::ClusterResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        "Foo".into()
    }
    fn group(_: &()) -> Cow<'_, str> {
        PLAIN_FOO_V2.group.into()
    }
    fn version(_: &()) -> Cow<'_, str> {
        PLAIN_FOO_V2.version.into()
    }
    fn plural(_: &()) -> Cow<'_, str> {
        PLAIN_FOO_V2.plural.into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl Convertible<foo_sdk::Foo> for FooV2 {
    fn info() -> &'static ResourceInfo {
        &PLAIN_FOO_V2
    }

    fn openapi_schemas() -> Map<String, Value> {
        Plain(&PLAIN_FOO_V2).openapi_schemas()
    }

    fn deprecation() -> Option<&'static str> {
        Some("demo.jeremyxu2010.me/v2 Foo is deprecated in v1.3+, unavailable in v1.10+")
    }

    fn from_hub(hub: foo_sdk::Foo) -> Self {
        FooV2 {
            api_version: PLAIN_FOO_V2.group_version(),
            kind: "Foo".into(),
            metadata: hub.metadata,
            spec: FooV2Spec {
                message: hub.spec.greeting,
            },
        }
    }

    fn into_hub(self) -> foo_sdk::Foo {
        let mut hub = foo_sdk::Foo::new("", foo_sdk::FooSpec::default());
        hub.metadata = self.metadata;
        hub.spec.greeting = self.spec.message;
        hub
    }
}
