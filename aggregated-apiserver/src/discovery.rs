//! API discovery: the legacy documents (`/apis`, `/apis/<g>`, `/apis/<g>/<v>`) and the
//! aggregated `apidiscovery.k8s.io` v2/v2beta1 document of `/apis`, negotiated by `Accept`.

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::negotiate::accept_ranges;
use crate::resource::ResourceInfo;

/// The aggregated discovery versions, in the order they are offered.
pub const AGGREGATED_VERSIONS: &[&str] = &["v2", "v2beta1"];

/// The aggregated form a client asked for in `Accept`, if any (`v2` or `v2beta1`).
pub fn aggregated_version(headers: &http::HeaderMap) -> Option<&'static str> {
    accept_ranges(headers).iter().find_map(|range| {
        let is_discovery = range.param("g") == Some("apidiscovery.k8s.io")
            && range.param("as") == Some("APIGroupDiscoveryList");
        let version = range.param("v")?;
        AGGREGATED_VERSIONS
            .iter()
            .find(|v| is_discovery && **v == version)
            .copied()
    })
}

/// The `Content-Type` of the aggregated discovery document in `version` (`v2` or `v2beta1`).
pub fn aggregated_content_type(version: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList")
}

/// A served resource as discovery describes it: its description, and the version its objects
/// are stored in (whose hash discovery publishes, for clients to notice a change).
#[derive(Clone, Copy)]
pub struct Served {
    /// The resource.
    pub info: &'static ResourceInfo,
    /// The version of the kind that storage keeps (the resource's own, or its hub's).
    pub storage_version: &'static str,
}

/// The groups served, each with its versions in the order first served (the first one
/// preferred).
fn groups(resources: &[Served]) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for Served { info, .. } in resources {
        match groups.iter_mut().find(|(g, _)| *g == info.group) {
            Some((_, versions)) if !versions.contains(&info.version) => versions.push(info.version),
            Some(_) => {}
            None => groups.push((info.group, vec![info.version])),
        }
    }
    groups
}

fn group_json(group: &str, versions: &[&str]) -> Value {
    let version = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
    json!({
        "name": group,
        "versions": versions.iter().map(|v| version(v)).collect::<Vec<_>>(),
        "preferredVersion": version(versions[0]),
    })
}

/// `/apis`: APIGroupList.
pub fn group_list(resources: &[Served]) -> Value {
    let groups: Vec<Value> = groups(resources)
        .iter()
        .map(|(g, vs)| group_json(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`: APIGroup, or `None` if the group is not served.
pub fn group(resources: &[Served], name: &str) -> Option<Value> {
    let (group, versions) = groups(resources).into_iter().find(|(g, _)| *g == name)?;
    let mut body = group_json(group, &versions);
    let object = body.as_object_mut()?;
    object.insert("kind".into(), "APIGroup".into());
    object.insert("apiVersion".into(), "v1".into());
    Some(body)
}

/// `/apis/<group>/<version>`: APIResourceList, or `None` if not served.
pub fn resource_list(resources: &[Served], group: &str, version: &str) -> Option<Value> {
    let mut served: Vec<&Served> = resources
        .iter()
        .filter(|r| r.info.group == group && r.info.version == version)
        .collect();
    // In name order, as apiserver's installer registers them.
    served.sort_by_key(|r| r.info.plural);
    if served.is_empty() {
        return None;
    }
    let mut entries = Vec::new();
    for &&Served {
        info,
        storage_version,
    } in &served
    {
        let mut entry = json!({
            "name": info.plural,
            "singularName": info.singular,
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": info.verbs,
            "shortNames": info.short_names,
            "categories": info.categories,
            "storageVersionHash": storage_version_hash(info, storage_version),
        });
        omit_empty_lists(&mut entry);
        entries.push(entry);
        for sub in info.subresources {
            entries.push(json!({
                "name": format!("{}/{}", info.plural, sub.name),
                "singularName": "",
                "namespaced": info.namespaced,
                "kind": sub.kind,
                "verbs": sub.verbs,
            }));
        }
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": format!("{group}/{version}"),
        "resources": entries,
    }))
}

/// `/apis` in the aggregated form: every group, version and resource in one document.
pub fn aggregated(resources: &[Served], discovery_version: &str) -> Value {
    // A Go aggregated server's APIResources leave group and version empty (they are the
    // entry's own), and so does the responseKind made from them; only custom resources fill
    // them in.
    let response_kind = |kind: &str| json!({"group": "", "version": "", "kind": kind});
    let items: Vec<Value> = groups(resources)
        .iter()
        .map(|(group, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|version| {
                    let mut served: Vec<&ResourceInfo> = resources
                        .iter()
                        .map(|served| served.info)
                        .filter(|r| r.group == *group && r.version == *version)
                        .collect();
                    served.sort_by_key(|info| info.plural);
                    let entries: Vec<Value> = served
                        .into_iter()
                        .map(|info| {
                            let subresources: Vec<Value> = info
                                .subresources
                                .iter()
                                .map(|sub| {
                                    json!({
                                        "subresource": sub.name,
                                        "responseKind": response_kind(sub.kind),
                                        "verbs": sub.verbs,
                                    })
                                })
                                .collect();
                            let mut entry = json!({
                                "resource": info.plural,
                                "responseKind": response_kind(info.kind),
                                "scope": if info.namespaced { "Namespaced" } else { "Cluster" },
                                "singularResource": info.singular,
                                "verbs": info.verbs,
                                "shortNames": info.short_names,
                                "categories": info.categories,
                                "subresources": subresources,
                            });
                            omit_empty_lists(&mut entry);
                            entry
                        })
                        .collect();
                    json!({"version": version, "resources": entries, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": group}, "versions": versions})
        })
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{discovery_version}"),
        "metadata": {},
        "items": items,
    })
}

/// Drops the empty lists of a discovery entry, which Go's `omitempty` leaves out.
fn omit_empty_lists(entry: &mut Value) {
    if let Some(fields) = entry.as_object_mut() {
        fields.retain(|_, value| value.as_array().is_none_or(|items| !items.is_empty()));
    }
}

/// Standard base64 of the first 8 bytes of sha256(`group/version/kind`) of the version
/// stored, as kube-apiserver.
pub fn storage_version_hash(info: &ResourceInfo, storage_version: &str) -> String {
    let digest = Sha256::digest(format!("{}/{storage_version}/{}", info.group, info.kind));
    base64::engine::general_purpose::STANDARD.encode(&digest[..8])
}

/// A strong ETag for a discovery body.
pub fn etag(body: &[u8]) -> String {
    format!("\"{:X}\"", Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FOO;

    const SERVED: Served = Served {
        info: &FOO,
        storage_version: "v1beta1",
    };

    #[test]
    fn legacy_resource_list_lists_subresources() {
        let list = resource_list(&[SERVED], "demo.jeremyxu2010.me", "v1beta1").unwrap();
        let names: Vec<&str> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["foos", "foos/bar", "foos/status"]);
        assert_eq!(list["resources"][1]["singularName"], "");
        assert!(resource_list(&[SERVED], "demo.jeremyxu2010.me", "v1").is_none());
    }

    #[test]
    fn aggregated_entries_all_carry_a_response_kind() {
        let doc = aggregated(&[SERVED], "v2");
        let foos = &doc["items"][0]["versions"][0]["resources"][0];
        assert_eq!(foos["responseKind"]["kind"], "Foo");
        assert_eq!(foos["scope"], "Cluster");
        for sub in foos["subresources"].as_array().unwrap() {
            assert!(sub["responseKind"]["kind"].is_string());
        }
    }

    #[test]
    fn accept_selects_the_aggregated_version() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::ACCEPT, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json".parse().unwrap());
        assert_eq!(aggregated_version(&h), Some("v2"));
        h.insert(http::header::ACCEPT, "application/json".parse().unwrap());
        assert_eq!(aggregated_version(&h), None);
    }
}
