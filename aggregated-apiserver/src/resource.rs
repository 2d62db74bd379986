//! What the generic machinery (discovery, OpenAPI, routing) needs to know about a kind.

/// The verbs of a resource served in full, sorted as discovery lists them.
pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// A served resource of one group/version.
#[derive(Debug)]
pub struct ResourceInfo {
    /// The API group, e.g. `example.com`.
    pub group: &'static str,
    /// The version within the group, e.g. `v1alpha1`.
    pub version: &'static str,
    /// The object's `kind`.
    pub kind: &'static str,
    /// The `kind` of its lists, conventionally `<Kind>List`.
    pub list_kind: &'static str,
    /// The resource name in URL paths and storage keys (lowercase plural).
    pub plural: &'static str,
    /// The lowercase singular name, as discovery reports it (for kubectl).
    pub singular: &'static str,
    /// Abbreviations kubectl accepts for the resource, from discovery.
    pub short_names: &'static [&'static str],
    /// Groupings the resource belongs to, such as `all`, for `kubectl get <category>`.
    pub categories: &'static [&'static str],
    /// Whether objects live in a namespace (`/namespaces/<ns>/<plural>`) or are
    /// cluster-scoped.
    pub namespaced: bool,
    /// Sorted, as discovery lists them.
    pub verbs: &'static [&'static str],
    /// The subresources served under `<plural>/<name>/`.
    pub subresources: &'static [SubresourceInfo],
    /// Fields besides `metadata.name` that field selectors may name: dotted paths to scalar
    /// fields (`spec.suspend`), compared as their string form, absent ones as "" (as a
    /// custom resource's `selectableFields`).
    pub selectable_fields: &'static [&'static str],
}

/// How a list merges, as `x-kubernetes-list-type` (and the patch strategy) declare it.
#[derive(Debug, PartialEq, Eq)]
pub enum ListType {
    /// Replaced whole.
    Atomic,
    /// A set of scalars, merged by value.
    Set,
    /// Objects merged by the values of these keys.
    Map(&'static [&'static str]),
}

/// A subresource such as `status` or a connect-style action such as `bar`.
#[derive(Debug)]
pub struct SubresourceInfo {
    /// The path segment after the object's name, e.g. `status`.
    pub name: &'static str,
    /// The kind the subresource answers with.
    pub kind: &'static str,
    /// The verbs served on the subresource, as discovery lists them.
    pub verbs: &'static [&'static str],
}

/// How each list of a kind merges in strategic merge patch and server-side apply, as the
/// kind's schemas declare it (`x-kubernetes-list-type` and `x-kubernetes-list-map-keys`): the
/// store reads them with [`crate::openapi::derive::list_types`] when it is set up, so that a
/// kind describes its lists once, in its types. Lists not named are atomic (replaced whole).
///
/// ```
/// use aggregated_apiserver::resource::{ListType, ListTypes};
///
/// let lists = ListTypes::new(vec![("status.conditions".into(), ListType::Map(&["type"]))]);
/// assert_eq!(lists.list_type("status.conditions"), &ListType::Map(&["type"]));
/// assert_eq!(lists.list_type("spec.items"), &ListType::Atomic);
/// ```
#[derive(Debug, Default, PartialEq)]
pub struct ListTypes(Vec<(String, ListType)>);

impl ListTypes {
    /// The merging lists, each by its dotted path from the kind (`status.conditions`; a
    /// list's items keep its path).
    pub fn new(lists: Vec<(String, ListType)>) -> Self {
        ListTypes(lists)
    }

    /// How the list at a dotted path merges.
    pub fn list_type(&self, path: &str) -> &ListType {
        self.0
            .iter()
            .find(|(p, _)| p == path)
            .map_or(&ListType::Atomic, |(_, t)| t)
    }
}

impl ResourceInfo {
    /// The verbs served on the resource (`None`) or on one of its subresources; `None` for a
    /// subresource the kind does not have.
    pub fn verbs_of(&self, subresource: Option<&str>) -> Option<&'static [&'static str]> {
        match subresource {
            None => Some(self.verbs),
            Some(name) => self
                .subresources
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.verbs),
        }
    }

    /// Whether status is a subresource of its own, written only through it (and so kept
    /// as it was by writes of the main resource).
    pub fn has_status(&self) -> bool {
        self.verbs_of(Some("status")).is_some()
    }

    /// Every field a field selector may name: `metadata.name` (and `metadata.namespace` for
    /// a namespaced kind), then the kind's own.
    pub fn field_selector_fields(&self) -> Vec<&'static str> {
        let mut fields = vec!["metadata.name"];
        if self.namespaced {
            fields.push("metadata.namespace");
        }
        fields.extend(self.selectable_fields);
        fields
    }

    /// The `apiVersion` of the kind's objects: `<group>/<version>`.
    pub fn group_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}
