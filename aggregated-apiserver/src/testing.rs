//! Test fixtures: a kind for the generic code to work on.

use crate::resource::{ListType, ResourceInfo, SubresourceInfo};

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
    verbs: &[
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ],
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
    lists: &[
        ("metadata.finalizers", ListType::Set),
        ("metadata.ownerReferences", ListType::Map(&["uid"])),
        ("status.conditions", ListType::Map(&["type"])),
    ],
};
