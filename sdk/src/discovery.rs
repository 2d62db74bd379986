//! Discovery of the `demo.jeremyxu2010.me` group: is it served, in which versions, with
//! which resources and subresources.
//!
//! [`discover`] asks `/apis` for the aggregated discovery document (`apidiscovery.k8s.io`
//! v2, or v2beta1) as kubectl does, and falls back to the legacy documents
//! (`/apis/<group>`, `/apis/<group>/<version>`) when the server does not offer it.
//!
//! ```no_run
//! use foo_sdk::discovery;
//!
//! # async fn run(client: foo_sdk::Client) -> foo_sdk::Result<()> {
//! let Some(group) = discovery::discover(&client).await? else {
//!     panic!("foo-apiserver is not installed");
//! };
//! println!("preferred version: {:?}", group.preferred_version());
//! let foos = group.resource("foos").expect("foos is served");
//! assert!(foos.supports("watch"));
//! assert!(foos.subresource("bar").is_some_and(|bar| bar.supports("create")));
//! # Ok(())
//! # }
//! ```

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroup, APIResourceList};
use kube::Client;
use kube::core::discovery::v2::APIResourceDiscovery;

use crate::{Error, GROUP, PLURAL, Result, VERSION};

/// The aggregated discovery document of `/apis` (`apidiscovery.k8s.io` v2), as read by
/// [`GroupDiscovery::from_aggregated`].
#[doc(no_inline)]
pub use kube::core::discovery::v2::APIGroupDiscoveryList;

/// The `Accept` header of an aggregated discovery request: v2, else v2beta1, else the
/// legacy `APIGroupList`.
pub const ACCEPT_AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/// Which documents a [`GroupDiscovery`] was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscoverySource {
    /// The aggregated `apidiscovery.k8s.io` document of `/apis`.
    Aggregated,
    /// The legacy `APIGroup` and `APIResourceList` documents.
    Legacy,
}

/// The group as the server describes it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct GroupDiscovery {
    /// The group name, `demo.jeremyxu2010.me`.
    pub group: String,
    /// The versions served, the preferred one first.
    pub versions: Vec<VersionDiscovery>,
    /// Where this was read from.
    pub source: DiscoverySource,
}

impl GroupDiscovery {
    /// The version the server prefers (the first one listed).
    pub fn preferred_version(&self) -> Option<&str> {
        self.versions.first().map(|v| v.version.as_str())
    }

    /// One version by name.
    pub fn version(&self, version: &str) -> Option<&VersionDiscovery> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// A resource of the version this SDK speaks (`v1beta1`) by plural name, e.g. `foos`.
    pub fn resource(&self, plural: &str) -> Option<&ResourceDiscovery> {
        self.version(VERSION)?.resource(plural)
    }

    /// The group in an aggregated discovery document that the caller fetched itself (for
    /// instance from a cache refreshed with `If-None-Match`, asking `/apis` with
    /// [`ACCEPT_AGGREGATED`]); `None` when the document does not list the group. As in
    /// [`discover`], resources and subresources without a `responseKind` are left out.
    ///
    /// ```
    /// use foo_sdk::discovery::{APIGroupDiscoveryList, GroupDiscovery};
    ///
    /// let document: APIGroupDiscoveryList = serde_json::from_value(serde_json::json!({
    ///     "apiVersion": "apidiscovery.k8s.io/v2", "kind": "APIGroupDiscoveryList",
    ///     "metadata": {},
    ///     "items": [{"metadata": {"name": "demo.jeremyxu2010.me"}, "versions": [{
    ///         "version": "v1beta1",
    ///         "resources": [{"resource": "foos", "scope": "Cluster", "verbs": ["get"],
    ///             "responseKind": {"group": "demo.jeremyxu2010.me", "version": "v1beta1", "kind": "Foo"}}]
    ///     }]}]
    /// }))
    /// .unwrap();
    /// let group = GroupDiscovery::from_aggregated(&document).unwrap();
    /// assert_eq!(group.resource("foos").unwrap().kind, "Foo");
    /// ```
    pub fn from_aggregated(document: &APIGroupDiscoveryList) -> Option<GroupDiscovery> {
        group_from_aggregated(document)
    }
}

/// One version of the group.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct VersionDiscovery {
    /// The version name, e.g. `v1beta1`.
    pub version: String,
    /// The resources of this version.
    pub resources: Vec<ResourceDiscovery>,
}

impl VersionDiscovery {
    /// A resource by plural name.
    pub fn resource(&self, plural: &str) -> Option<&ResourceDiscovery> {
        self.resources.iter().find(|r| r.plural == plural)
    }
}

/// One resource, e.g. `foos`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ResourceDiscovery {
    /// The plural name used in URLs: `foos`.
    pub plural: String,
    /// The singular name: `foo`.
    pub singular: String,
    /// The kind of its objects: `Foo`.
    pub kind: String,
    /// Whether objects live in namespaces (`false`: cluster-scoped).
    pub namespaced: bool,
    /// The verbs, e.g. `get`, `list`, `watch`, `create`, …
    pub verbs: Vec<String>,
    /// Short names for kubectl: `fo`.
    pub short_names: Vec<String>,
    /// Categories for kubectl: `demo`.
    pub categories: Vec<String>,
    /// The subresources: `status`, `bar`.
    pub subresources: Vec<SubresourceDiscovery>,
}

impl ResourceDiscovery {
    /// Whether the resource supports `verb`.
    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// A subresource by name, e.g. `bar`.
    pub fn subresource(&self, name: &str) -> Option<&SubresourceDiscovery> {
        self.subresources.iter().find(|s| s.name == name)
    }
}

/// One subresource, e.g. `bar` of `foos`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct SubresourceDiscovery {
    /// The subresource name: `status` or `bar`.
    pub name: String,
    /// The kind it answers with: `Foo` for `status`, `FooBar` for `bar`.
    pub kind: String,
    /// Its verbs: `create` for `bar` (a connect-style POST).
    pub verbs: Vec<String>,
}

impl SubresourceDiscovery {
    /// Whether the subresource supports `verb`.
    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }
}

/// The group as the server describes it, `None` when the server does not serve it:
/// aggregated discovery when offered, the legacy documents otherwise.
pub async fn discover(client: &Client) -> Result<Option<GroupDiscovery>> {
    match aggregated(client).await? {
        Some(list) => Ok(group_from_aggregated(&list)),
        None => discover_legacy(client).await,
    }
}

/// The group from the aggregated discovery document of `/apis` alone;
/// [`Error::UnexpectedResponse`] when the server does not offer one.
pub async fn discover_aggregated(client: &Client) -> Result<Option<GroupDiscovery>> {
    match aggregated(client).await? {
        Some(list) => Ok(group_from_aggregated(&list)),
        None => Err(Error::UnexpectedResponse(
            "the server offers no aggregated discovery document".to_owned(),
        )),
    }
}

/// The group from the legacy documents alone: `/apis/<group>` (`APIGroup`), then
/// `/apis/<group>/<version>` (`APIResourceList`) for each version.
pub async fn discover_legacy(client: &Client) -> Result<Option<GroupDiscovery>> {
    let group: APIGroup = match get_json(client, &format!("/apis/{GROUP}"), None).await {
        Ok(group) => group,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let preferred = group.preferred_version.as_ref().map(|v| v.version.clone());
    let mut names: Vec<String> = group.versions.iter().map(|v| v.version.clone()).collect();
    if let Some(preferred) = preferred {
        names.retain(|v| *v != preferred);
        names.insert(0, preferred);
    }
    let mut versions = Vec::with_capacity(names.len());
    for version in names {
        let path = format!("/apis/{GROUP}/{version}");
        let list: APIResourceList = match get_json(client, &path, None).await {
            Ok(list) => list,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        versions.push(VersionDiscovery {
            version,
            resources: resources_from_legacy(&list),
        });
    }
    Ok(Some(GroupDiscovery {
        group: group.name,
        versions,
        source: DiscoverySource::Legacy,
    }))
}

/// Whether the server serves `demo.jeremyxu2010.me/v1beta1` with the `foos` resource.
pub async fn is_served(client: &Client) -> Result<bool> {
    Ok(discover(client)
        .await?
        .is_some_and(|g| g.resource(PLURAL).is_some()))
}

/// The version of the group the server prefers, `None` when it does not serve the group.
pub async fn preferred_version(client: &Client) -> Result<Option<String>> {
    Ok(discover(client)
        .await?
        .and_then(|g| g.preferred_version().map(str::to_owned)))
}

/// `/apis` as an aggregated document, or `None` when the server answers otherwise (the
/// legacy `APIGroupList`, or a refusal).
async fn aggregated(client: &Client) -> Result<Option<APIGroupDiscoveryList>> {
    let value: serde_json::Value = match get_json(client, "/apis", Some(ACCEPT_AGGREGATED)).await {
        Ok(value) => value,
        Err(Error::Api(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let kind = value.get("kind").and_then(|k| k.as_str());
    let api_version = value.get("apiVersion").and_then(|k| k.as_str());
    let aggregated = kind == Some("APIGroupDiscoveryList")
        && matches!(
            api_version,
            Some("apidiscovery.k8s.io/v2" | "apidiscovery.k8s.io/v2beta1")
        );
    if !aggregated {
        return Ok(None);
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(Error::Decode)
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
    accept: Option<&'static str>,
) -> Result<T> {
    let mut request = http::Request::get(path);
    if let Some(accept) = accept {
        request = request.header(http::header::ACCEPT, accept);
    }
    let request = request
        .body(Vec::new())
        .map_err(|e| Error::InvalidRequest(e.to_string()))?;
    let text = client.request_text(request).await?;
    serde_json::from_str(&text).map_err(Error::Decode)
}

fn group_from_aggregated(list: &APIGroupDiscoveryList) -> Option<GroupDiscovery> {
    let group = list
        .items
        .iter()
        .find(|g| g.metadata.as_ref().and_then(|m| m.name.as_deref()) == Some(GROUP))?;
    let versions = group
        .versions
        .iter()
        .filter_map(|v| {
            Some(VersionDiscovery {
                version: v.version.clone()?,
                resources: v
                    .resources
                    .iter()
                    .filter_map(resource_from_aggregated)
                    .collect(),
            })
        })
        .collect();
    Some(GroupDiscovery {
        group: GROUP.to_owned(),
        versions,
        source: DiscoverySource::Aggregated,
    })
}

/// As client-go does, a resource or subresource without `responseKind` is dropped.
fn resource_from_aggregated(resource: &APIResourceDiscovery) -> Option<ResourceDiscovery> {
    let kind = resource.response_kind.as_ref()?.kind.clone()?;
    Some(ResourceDiscovery {
        plural: resource.resource.clone()?,
        singular: resource.singular_resource.clone().unwrap_or_default(),
        kind,
        namespaced: resource.scope.as_deref() == Some("Namespaced"),
        verbs: resource.verbs.clone(),
        short_names: resource.short_names.clone(),
        categories: resource.categories.clone(),
        subresources: resource
            .subresources
            .iter()
            .filter_map(|s| {
                Some(SubresourceDiscovery {
                    name: s.subresource.clone()?,
                    kind: s.response_kind.as_ref()?.kind.clone()?,
                    verbs: s.verbs.clone(),
                })
            })
            .collect(),
    })
}

fn resources_from_legacy(list: &APIResourceList) -> Vec<ResourceDiscovery> {
    let mut resources: Vec<ResourceDiscovery> = list
        .resources
        .iter()
        .filter(|r| !r.name.contains('/'))
        .map(|r| ResourceDiscovery {
            plural: r.name.clone(),
            singular: r.singular_name.clone(),
            kind: r.kind.clone(),
            namespaced: r.namespaced,
            verbs: r.verbs.clone(),
            short_names: r.short_names.clone().unwrap_or_default(),
            categories: r.categories.clone().unwrap_or_default(),
            subresources: Vec::new(),
        })
        .collect();
    for entry in &list.resources {
        let Some((parent, sub)) = entry.name.split_once('/') else {
            continue;
        };
        if let Some(resource) = resources.iter_mut().find(|r| r.plural == parent) {
            resource.subresources.push(SubresourceDiscovery {
                name: sub.to_owned(),
                kind: entry.kind.clone(),
                verbs: entry.verbs.clone(),
            });
        }
    }
    resources
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aggregated_document_drops_entries_without_response_kind() {
        let list: APIGroupDiscoveryList = serde_json::from_value(json!({
            "kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": [{"metadata": {"name": "demo.jeremyxu2010.me"}, "versions": [{
                "version": "v1beta1", "freshness": "Current",
                "resources": [
                    {"resource": "foos", "responseKind": {"group": "demo.jeremyxu2010.me", "version": "v1beta1", "kind": "Foo"},
                     "scope": "Cluster", "singularResource": "foo", "verbs": ["get", "list"],
                     "shortNames": ["fo"], "categories": ["demo"],
                     "subresources": [
                        {"subresource": "bar", "responseKind": {"group": "demo.jeremyxu2010.me", "version": "v1beta1", "kind": "FooBar"}, "verbs": ["create"]},
                        {"subresource": "nokind", "verbs": ["get"]}
                     ]},
                    {"resource": "dropped", "scope": "Cluster", "verbs": ["get"]}
                ]}]}]
        }))
        .unwrap();
        let group = group_from_aggregated(&list).unwrap();
        assert_eq!(group.preferred_version(), Some("v1beta1"));
        assert_eq!(group.versions[0].resources.len(), 1);
        let foos = group.resource("foos").unwrap();
        assert!(!foos.namespaced && foos.supports("list") && !foos.supports("delete"));
        assert_eq!(foos.short_names, ["fo"]);
        assert_eq!(foos.subresources.len(), 1);
        assert_eq!(foos.subresource("bar").unwrap().kind, "FooBar");
    }

    #[test]
    fn legacy_subresources_attach_to_their_resource() {
        let list: APIResourceList = serde_json::from_value(json!({
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "demo.jeremyxu2010.me/v1beta1",
            "resources": [
                {"name": "foos", "singularName": "foo", "namespaced": false, "kind": "Foo", "verbs": ["get"]},
                {"name": "foos/bar", "singularName": "", "namespaced": false, "kind": "FooBar", "verbs": ["create"]},
                {"name": "foos/status", "singularName": "", "namespaced": false, "kind": "Foo", "verbs": ["get", "patch", "update"]}
            ]
        }))
        .unwrap();
        let resources = resources_from_legacy(&list);
        assert_eq!(resources.len(), 1);
        assert_eq!(resources[0].subresources.len(), 2);
        assert!(
            resources[0]
                .subresource("status")
                .unwrap()
                .supports("patch")
        );
    }
}
