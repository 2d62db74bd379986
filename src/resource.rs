//! What the generic machinery (discovery, OpenAPI, routing) needs to know about a kind.

/// A served resource of one group/version.
#[derive(Debug)]
pub struct ResourceInfo {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub list_kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub namespaced: bool,
    /// Sorted, as discovery lists them.
    pub verbs: &'static [&'static str],
    pub subresources: &'static [SubresourceInfo],
}

/// A subresource such as `status` or a connect-style action such as `bar`.
#[derive(Debug)]
pub struct SubresourceInfo {
    pub name: &'static str,
    /// The kind the subresource answers with.
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
}

impl ResourceInfo {
    pub fn group_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}

/// Foo, as API.md describes it.
pub const FOO: ResourceInfo = ResourceInfo {
    group: foo_sdk::GROUP,
    version: foo_sdk::VERSION,
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
};
