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
    /// How each list of the kind merges (in strategic merge patch and server-side apply);
    /// lists not named here are atomic (replaced whole).
    pub lists: &'static [(&'static str, ListType)],
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
    pub name: &'static str,
    /// The kind the subresource answers with.
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
}

impl ResourceInfo {
    /// How the list at a dotted path (`status.conditions`) merges.
    pub fn list_type(&self, path: &str) -> &ListType {
        self.lists
            .iter()
            .find(|(p, _)| *p == path)
            .map_or(&ListType::Atomic, |(_, t)| t)
    }

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

    pub fn group_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}
