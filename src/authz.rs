//! Authorization: what a request asks to do (kube-apiserver's request info: verb, resource,
//! subresource, name) and whether its user may.

use http::{HeaderMap, Method};

use crate::request::Query;
use crate::status::{ApiError, Details};
use crate::tls::ClientCertificate;

/// Paths everyone may call, as kube-apiserver's always-allowed health checks.
const ALWAYS_ALLOWED: &[&str] = &["/healthz", "/livez", "/readyz"];
/// The group whose members may do anything.
const MASTERS: &str = "system:masters";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorizer {
    /// Every request is allowed.
    AlwaysAllow,
    /// Discovery, OpenAPI and health for every authenticated user; API resources only for
    /// `system:masters` (the local admin).
    Masters,
}

/// What a request asks to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Attributes {
    Resource {
        verb: &'static str,
        group: String,
        resource: String,
        subresource: Option<String>,
        name: Option<String>,
    },
    NonResource {
        verb: &'static str,
        path: String,
    },
}

/// Kube-apiserver's request info for `/apis/<group>/<version>/<resource>[/<name>[/<sub>]]`;
/// any other path is a non-resource request.
pub fn attributes(method: &Method, path: &str, query: &Query) -> Attributes {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let lowercase_verb = match *method {
        Method::GET | Method::HEAD => "get",
        Method::POST => "post",
        Method::PUT => "put",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        _ => "",
    };
    let ["apis", group, _version, resource, rest @ ..] = segments.as_slice() else {
        return Attributes::NonResource {
            verb: lowercase_verb,
            path: path.to_string(),
        };
    };
    let name = rest.first().map(|n| n.to_string());
    let verb = match (method, name.is_some()) {
        (&Method::GET | &Method::HEAD, false) if query.flag("watch").unwrap_or(false) => "watch",
        (&Method::GET | &Method::HEAD, false) => "list",
        (&Method::GET | &Method::HEAD, true) => "get",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, false) => "deletecollection",
        (&Method::DELETE, true) => "delete",
        _ => "",
    };
    Attributes::Resource {
        verb,
        group: group.to_string(),
        resource: resource.to_string(),
        subresource: rest.get(1).map(|s| s.to_string()),
        name,
    }
}

impl Authorizer {
    pub fn authorize(
        &self,
        user: Option<&ClientCertificate>,
        attributes: &Attributes,
    ) -> Result<(), ApiError> {
        let allowed = match (self, attributes) {
            (Authorizer::AlwaysAllow, _) => true,
            (_, Attributes::NonResource { path, .. })
                if ALWAYS_ALLOWED
                    .iter()
                    .any(|p| path == p || path.starts_with(&format!("{p}/"))) =>
            {
                true
            }
            (Authorizer::Masters, Attributes::NonResource { .. }) => user.is_some(),
            (Authorizer::Masters, Attributes::Resource { .. }) => {
                user.is_some_and(|u| u.groups.iter().any(|g| g == MASTERS))
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(forbidden(user, attributes))
        }
    }
}

/// Impersonation (`kubectl --as/--as-group`): a requester allowed to `impersonate` the user
/// (and each group) acts as the user of `Impersonate-User` in the groups of
/// `Impersonate-Group`, as kube-apiserver's impersonation filter does.
pub fn impersonate(
    authorizer: Authorizer,
    requester: Option<ClientCertificate>,
    headers: &HeaderMap,
) -> Result<Option<ClientCertificate>, ApiError> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    };
    let groups = values("impersonate-group");
    let Some(user) = values("impersonate-user").into_iter().next() else {
        if groups.is_empty() {
            return Ok(requester);
        }
        return Err(ApiError::bad_request(format!(
            "requested {groups:?} without impersonating a user"
        )));
    };
    let impersonate = |resource: &str, name: &str| Attributes::Resource {
        verb: "impersonate",
        group: String::new(),
        resource: resource.into(),
        subresource: None,
        name: Some(name.into()),
    };
    authorizer.authorize(requester.as_ref(), &impersonate("users", &user))?;
    for group in &groups {
        authorizer.authorize(requester.as_ref(), &impersonate("groups", group))?;
    }
    Ok(Some(ClientCertificate { user, groups }))
}

/// 403 in kube-apiserver's words: `foos.demo.jeremyxu2010.me "x" is forbidden: User "bob"
/// cannot create resource "foos/bar" in API group "demo.jeremyxu2010.me" at the cluster scope`.
fn forbidden(user: Option<&ClientCertificate>, attributes: &Attributes) -> ApiError {
    let user = user.map_or("system:anonymous", |u| u.user.as_str());
    let (message, details) = match attributes {
        Attributes::NonResource { verb, path } => (
            format!("forbidden: User \"{user}\" cannot {verb} path \"{path}\""),
            Details::default(),
        ),
        Attributes::Resource {
            verb,
            group,
            resource,
            subresource,
            name,
        } => {
            let shown = match subresource {
                Some(sub) => format!("{resource}/{sub}"),
                None => resource.clone(),
            };
            let why = format!(
                "User \"{user}\" cannot {verb} resource \"{shown}\" in API group \"{group}\" at the cluster scope"
            );
            let qualified = match group.as_str() {
                "" => resource.clone(),
                group => format!("{resource}.{group}"),
            };
            let message = match name {
                Some(name) => format!("{qualified} \"{name}\" is forbidden: {why}"),
                None => format!("{qualified} is forbidden: {why}"),
            };
            let details = Details {
                name: name.clone().unwrap_or_default(),
                group: group.clone(),
                kind: resource.clone(),
                ..Details::default()
            };
            (message, details)
        }
    };
    ApiError::forbidden(message, details)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(method: Method, path: &str, query: &str) -> Attributes {
        attributes(&method, path, &Query::parse(Some(query)))
    }

    #[test]
    fn verbs_as_kube_apiserver_names_them() {
        fn verb(method: Method, path: &str, query: &str) -> &'static str {
            match attrs(method, path, query) {
                Attributes::Resource { verb, .. } | Attributes::NonResource { verb, .. } => verb,
            }
        }
        let foos = "/apis/demo.jeremyxu2010.me/v1beta1/foos";
        assert_eq!(verb(Method::GET, foos, ""), "list");
        assert_eq!(verb(Method::GET, foos, "watch=true"), "watch");
        assert_eq!(verb(Method::GET, &format!("{foos}/a"), ""), "get");
        assert_eq!(verb(Method::POST, &format!("{foos}/a/bar"), ""), "create");
        assert_eq!(verb(Method::DELETE, foos, ""), "deletecollection");
        assert_eq!(verb(Method::GET, "/openapi/v2", ""), "get");
    }

    #[test]
    fn bar_is_create_on_foos_bar() {
        let bob = ClientCertificate {
            user: "bob".into(),
            groups: vec!["devs".into()],
        };
        let bar = attrs(
            Method::POST,
            "/apis/demo.jeremyxu2010.me/v1beta1/foos/x/bar",
            "",
        );
        let error = Authorizer::Masters.authorize(Some(&bob), &bar).unwrap_err();
        assert_eq!(error.code, 403);
        assert_eq!(
            error.message,
            r#"foos.demo.jeremyxu2010.me "x" is forbidden: User "bob" cannot create resource "foos/bar" in API group "demo.jeremyxu2010.me" at the cluster scope"#
        );
        let admin = ClientCertificate {
            user: "admin".into(),
            groups: vec![MASTERS.into()],
        };
        assert!(Authorizer::Masters.authorize(Some(&admin), &bar).is_ok());
        let discovery = attrs(Method::GET, "/apis", "");
        assert!(
            Authorizer::Masters
                .authorize(Some(&bob), &discovery)
                .is_ok()
        );
        let mut headers = HeaderMap::new();
        headers.insert("impersonate-user", "carol".parse().unwrap());
        let error = impersonate(Authorizer::Masters, Some(bob.clone()), &headers).unwrap_err();
        assert_eq!(
            error.message,
            r#"users "carol" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope"#
        );
        let carol = impersonate(Authorizer::Masters, Some(admin), &headers).unwrap();
        assert_eq!(carol.map(|c| c.user).as_deref(), Some("carol"));
        let health = attrs(Method::GET, "/readyz", "verbose");
        assert!(Authorizer::Masters.authorize(None, &health).is_ok());
    }
}
