//! What a request asks to do, as kube-apiserver's request info parser reads it: a verb on a
//! resource (`/apis/<group>/<version>[/namespaces/<ns>]/<resource>[/<name>[/<sub>]]`), or
//! on a path. One parser, read once per request by the request-info filter, for the filters
//! (authorization, impersonation, audit, metrics) and the routes alike.

use http::Method;

use crate::request::Query;

/// A verb on a resource.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResourceInfo {
    /// The API group; empty for the core group (`/api/v1`).
    pub group: String,
    /// The API version.
    pub version: String,
    /// The resource's plural name, e.g. `foos`.
    pub resource: String,
    /// The subresource, e.g. `status`; empty when none.
    pub subresource: String,
    /// The namespace; empty for cluster-scoped resources and all-namespace requests.
    pub namespace: String,
    /// The object's name (or the single name a list's fieldSelector asks for); empty for a
    /// collection.
    pub name: String,
    /// The path's segments from the resource on, decoded: `[resource, name, subresource]` as
    /// far as the path goes (a trailing `/` adds an empty one), as Go's `RequestInfo.Parts`.
    /// What the path addresses, where `name` is what the request is about.
    pub parts: Vec<String>,
}

/// What a request asks to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestInfo {
    /// The Kubernetes verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`), or the lowercase HTTP method for a non-resource request.
    pub verb: String,
    /// `None` for a non-resource request (discovery, OpenAPI, health).
    pub resource: Option<ResourceInfo>,
    /// The URL path, percent-decoded as Go's `URL.Path`.
    pub path: String,
}

/// Subresources of a namespace itself rather than resources inside it.
const NAMESPACE_SUBRESOURCES: &[&str] = &["status", "finalize"];

impl RequestInfo {
    /// Reads what a request asks to do from its method, path and query, as k8s.io/apiserver's
    /// `RequestInfoFactory` does.
    pub fn parse(method: &Method, path: &str, query: &Query) -> RequestInfo {
        let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        let non_resource = || RequestInfo {
            verb: method.as_str().to_ascii_lowercase(),
            resource: None,
            path: path.clone().into_owned(),
        };
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(&path).split('/').collect();
        let (group, version, mut parts) = match segments.as_slice() {
            ["apis", group, version, rest @ ..] if names_resource(rest) => (*group, *version, rest),
            ["api", version, rest @ ..] if names_resource(rest) => ("", *version, rest),
            _ => return non_resource(),
        };
        let mut info = ResourceInfo {
            group: group.into(),
            version: version.into(),
            ..ResourceInfo::default()
        };
        if let ["namespaces", namespace, rest @ ..] = parts {
            info.namespace = (*namespace).into();
            if !rest.is_empty() && !NAMESPACE_SUBRESOURCES.contains(&rest[0]) {
                parts = rest;
            }
        }
        info.parts = parts.iter().map(|&part| part.into()).collect();
        info.resource = parts[0].into();
        info.name = parts.get(1).copied().unwrap_or_default().into();
        info.subresource = parts.get(2).copied().unwrap_or_default().into();
        let verb = match (method, info.name.is_empty()) {
            (&Method::GET | &Method::HEAD, true) if query.flag("watch").unwrap_or(false) => "watch",
            (&Method::GET | &Method::HEAD, true) => "list",
            (&Method::GET | &Method::HEAD, false) => "get",
            (&Method::POST, _) => "create",
            (&Method::PUT, _) => "update",
            (&Method::PATCH, _) => "patch",
            (&Method::DELETE, true) => "deletecollection",
            (&Method::DELETE, false) => "delete",
            _ => "",
        };
        // A list or watch of one name by field selector is about that name, so that a
        // role limited to resourceNames can watch its object.
        if matches!(verb, "list" | "watch")
            && let Some(name) = query.get("fieldSelector").and_then(single_name)
        {
            info.name = name.into();
        }
        RequestInfo {
            verb: verb.into(),
            resource: Some(info),
            path: path.into_owned(),
        }
    }
}

/// Whether the segments after the version name a resource (`/apis/g/v/` is the version).
fn names_resource(rest: &[&str]) -> bool {
    rest.first().is_some_and(|first| !first.is_empty())
}

/// `X` of a field selector that is exactly `metadata.name=X` (or `==`).
fn single_name(selector: &str) -> Option<&str> {
    let value = selector.strip_prefix("metadata.name")?;
    let value = value
        .strip_prefix("==")
        .or_else(|| value.strip_prefix('='))?;
    (!value.is_empty() && !value.contains([',', '=', '!'])).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: Method, path: &str, query: &str) -> RequestInfo {
        RequestInfo::parse(&method, path, &Query::parse(Some(query)))
    }

    #[test]
    fn verbs_as_kube_apiserver_names_them() {
        let verb = |method, path: &str, query| parse(method, path, query).verb;
        let foos = "/apis/demo.jeremyxu2010.me/v1beta1/foos";
        assert_eq!(verb(Method::GET, foos, ""), "list");
        assert_eq!(verb(Method::GET, foos, "watch=true"), "watch");
        assert_eq!(verb(Method::GET, &format!("{foos}/a"), ""), "get");
        assert_eq!(verb(Method::HEAD, &format!("{foos}/a"), ""), "get");
        assert_eq!(verb(Method::POST, &format!("{foos}/a/bar"), ""), "create");
        assert_eq!(verb(Method::DELETE, foos, ""), "deletecollection");
        assert_eq!(verb(Method::GET, "/openapi/v2", ""), "get");
        assert_eq!(verb(Method::HEAD, "/apis", ""), "head");
        assert!(
            parse(Method::GET, "/apis/demo.jeremyxu2010.me/v1beta1", "")
                .resource
                .is_none()
        );
    }

    #[test]
    fn resources_names_and_namespaces() {
        let bar = parse(
            Method::POST,
            "/apis/demo.jeremyxu2010.me/v1beta1/foos/x/bar",
            "",
        );
        assert_eq!(
            bar.resource.unwrap(),
            ResourceInfo {
                group: "demo.jeremyxu2010.me".into(),
                version: "v1beta1".into(),
                resource: "foos".into(),
                subresource: "bar".into(),
                name: "x".into(),
                namespace: String::new(),
                parts: vec!["foos".into(), "x".into(), "bar".into()],
            }
        );
        let pods = parse(Method::GET, "/api/v1/namespaces/ns/pods/p/log", "");
        let pods = pods.resource.unwrap();
        assert_eq!(
            (
                pods.namespace.as_str(),
                pods.resource.as_str(),
                pods.name.as_str()
            ),
            ("ns", "pods", "p")
        );
        let namespace = parse(Method::PUT, "/api/v1/namespaces/ns/finalize", "");
        let namespace = namespace.resource.unwrap();
        assert_eq!(
            (namespace.resource.as_str(), namespace.subresource.as_str()),
            ("namespaces", "finalize")
        );
        let watch_one = parse(
            Method::GET,
            "/apis/demo.jeremyxu2010.me/v1beta1/foos",
            "watch=1&fieldSelector=metadata.name%3Dx",
        );
        let watch_one = watch_one.resource.unwrap();
        assert_eq!((watch_one.name.as_str(), watch_one.parts.len()), ("x", 1));
    }

    #[test]
    fn paths_are_read_decoded_as_go_reads_url_path() {
        let foos = "/apis/demo.jeremyxu2010.me/v1beta1/foos";
        let escaped = parse(Method::GET, &format!("{foos}/a%20b%2Fstatus"), "");
        assert_eq!(escaped.path, format!("{foos}/a b/status"));
        let escaped = escaped.resource.unwrap();
        assert_eq!(
            (escaped.name.as_str(), escaped.subresource.as_str()),
            ("a b", "status")
        );
        let trailing = parse(Method::GET, &format!("{foos}/"), "");
        assert_eq!(trailing.verb, "list");
        assert_eq!(trailing.resource.unwrap().parts, ["foos", ""]);
        let version = parse(Method::GET, "/apis/demo.jeremyxu2010.me/v1beta1/", "");
        assert!(version.resource.is_none());
    }
}
