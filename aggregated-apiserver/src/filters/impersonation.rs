//! Impersonation (`kubectl --as`, `--as-group`, `--as-uid`, `Impersonate-Extra-*`): a user
//! allowed to `impersonate` each requested user, service account, group, uid and extra value
//! acts as that user from here on, as kube-apiserver's impersonation filter decides.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::HeaderMap;

use super::{Access, Impersonated};
use crate::authn::{
    ANONYMOUS, AUTHENTICATED, UNAUTHENTICATED, UserInfo, header_extras, header_values,
};
use crate::authz::{self, Attributes, Judgement, RequestInfo, ResourceInfo};
use crate::status::ApiError;

const USER: &str = "impersonate-user";
const GROUP: &str = "impersonate-group";
const UID: &str = "impersonate-uid";
const EXTRA_PREFIX: &str = "impersonate-extra-";
const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";

pub async fn filter(
    State(access): State<Arc<Access>>,
    mut request: Request,
    next: Next,
) -> Response {
    let requester = super::user(&request);
    match impersonate(&access.authorizer, requester.clone(), request.headers()).await {
        Ok(user) => {
            let headers = request.headers_mut();
            let extras: Vec<_> = headers
                .keys()
                .filter(|name| name.as_str().starts_with(EXTRA_PREFIX))
                .cloned()
                .collect();
            for name in extras.iter().map(|n| n.as_str()).chain([USER, GROUP, UID]) {
                headers.remove(name);
            }
            if let Some(slot) = request.extensions().get::<Impersonated>()
                && user != requester
            {
                *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(user.clone());
            }
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// The user `requester` acts as: itself without impersonation headers, else the impersonated
/// user once every part of it is authorized.
pub async fn impersonate(
    authorizer: &authz::Chain,
    requester: UserInfo,
    headers: &HeaderMap,
) -> Result<UserInfo, ApiError> {
    let values = |name: &str| header_values(headers, name);
    let groups = values(GROUP);
    // An empty user or uid header asks for nothing, as kube reads them.
    let first = |name: &str| values(name).into_iter().next().filter(|v| !v.is_empty());
    let uid = first(UID);
    let mut extra = BTreeMap::new();
    header_extras(headers, EXTRA_PREFIX, &mut extra);
    let Some(name) = first(USER) else {
        if groups.is_empty() && uid.is_none() && extra.is_empty() {
            return Ok(requester);
        }
        return Err(ApiError::bad_request(format!(
            "requested groups {groups:?}, uid {uid:?} and extra {extra:?} without impersonating a user"
        )));
    };

    let mut targets = vec![match service_account(&name) {
        Some((namespace, account)) => target("", "serviceaccounts", "", namespace, account),
        None => target("", "users", "", "", &name),
    }];
    targets.extend(groups.iter().map(|g| target("", "groups", "", "", g)));
    for (key, values) in &extra {
        targets.extend(
            values
                .iter()
                .map(|v| target("authentication.k8s.io", "userextras", key, "", v)),
        );
    }
    if let Some(uid) = &uid {
        targets.push(target("authentication.k8s.io", "uids", "", "", uid));
    }
    for resource in targets {
        let attributes = Attributes {
            user: requester.clone(),
            request: RequestInfo {
                verb: "impersonate".into(),
                path: String::new(),
                resource: Some(resource),
            },
        };
        match authorizer.judge(&attributes).await {
            Judgement::Allowed => {}
            Judgement::Forbidden(reason) => return Err(authz::forbidden(&attributes, &reason)),
            Judgement::Failed(error) => return Err(authz::forbidden(&attributes, &error)),
        }
    }

    let mut groups = groups;
    if groups.is_empty()
        && let Some((namespace, _)) = service_account(&name)
    {
        groups = vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{namespace}"),
        ];
    }
    let (implied, excluded): (&str, &[&str]) = if name == ANONYMOUS {
        (UNAUTHENTICATED, &[UNAUTHENTICATED])
    } else {
        (AUTHENTICATED, &[AUTHENTICATED, UNAUTHENTICATED])
    };
    if !groups.iter().any(|g| excluded.contains(&g.as_str())) {
        groups.push(implied.into());
    }
    Ok(UserInfo {
        name,
        uid: uid.unwrap_or_default(),
        groups,
        extra,
    })
}

/// `(namespace, name)` of a service account's user name.
fn service_account(user: &str) -> Option<(&str, &str)> {
    let (namespace, name) = user.strip_prefix(SERVICE_ACCOUNT_PREFIX)?.split_once(':')?;
    (!namespace.is_empty() && !name.is_empty() && !name.contains(':')).then_some((namespace, name))
}

fn target(
    group: &str,
    resource: &str,
    subresource: &str,
    namespace: &str,
    name: &str,
) -> ResourceInfo {
    ResourceInfo {
        group: group.into(),
        version: String::new(),
        resource: resource.into(),
        subresource: subresource.into(),
        namespace: namespace.into(),
        name: name.into(),
        parts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{AuthenticatedNonResource, Decision, PrivilegedGroups, Verdict};
    use async_trait::async_trait;

    /// Allows bob to impersonate only the user carol and the group devs.
    struct Rules;

    #[async_trait]
    impl authz::Authorizer for Rules {
        async fn authorize(&self, attributes: &Attributes) -> Verdict {
            let r = attributes.request.resource.as_ref().unwrap();
            let allowed = attributes.user.name == "bob"
                && matches!(
                    (r.resource.as_str(), r.name.as_str()),
                    ("users", "carol") | ("groups", "devs")
                );
            Ok((
                if allowed {
                    Decision::Allow
                } else {
                    Decision::NoOpinion
                },
                String::new(),
            ))
        }
    }

    fn user(name: &str, groups: &[&str]) -> UserInfo {
        UserInfo {
            name: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..UserInfo::default()
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        headers
    }

    #[tokio::test]
    async fn each_part_is_authorized_and_the_user_is_authenticated() {
        let chain = authz::Chain(vec![
            Box::new(PrivilegedGroups(vec!["system:masters".into()])),
            Box::new(Rules),
            Box::new(AuthenticatedNonResource),
        ]);
        let bob = user("bob", &[AUTHENTICATED]);
        let carol = impersonate(
            &chain,
            bob.clone(),
            &headers(&[(USER, "carol"), (GROUP, "devs")]),
        )
        .await
        .unwrap();
        assert_eq!(carol, user("carol", &["devs", AUTHENTICATED]));

        let error = impersonate(&chain, bob.clone(), &headers(&[(USER, "dave")]))
            .await
            .unwrap_err();
        assert_eq!(
            error.message,
            r#"users "dave" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope"#
        );
        let error = impersonate(
            &chain,
            bob.clone(),
            &headers(&[(USER, "carol"), (GROUP, "ops")]),
        )
        .await
        .unwrap_err();
        assert!(
            error.message.starts_with(r#"groups "ops" is forbidden"#),
            "{}",
            error.message
        );
        let unchanged = impersonate(&chain, bob.clone(), &headers(&[(USER, ""), (UID, "")]))
            .await
            .unwrap();
        assert_eq!(unchanged, bob);
        let error = impersonate(&chain, bob.clone(), &headers(&[(UID, "42")]))
            .await
            .unwrap_err();
        assert_eq!(error.code, 400);

        let admin = user("admin", &["system:masters", AUTHENTICATED]);
        let robot = impersonate(
            &chain,
            admin.clone(),
            &headers(&[
                (USER, "system:serviceaccount:ns:robot"),
                (UID, "7"),
                ("impersonate-extra-acme.com%2fteam", "x"),
            ]),
        )
        .await
        .unwrap();
        assert_eq!(
            robot.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:ns",
                AUTHENTICATED
            ]
        );
        assert_eq!(robot.uid, "7");
        assert_eq!(robot.extra["acme.com/team"], ["x"]);
        let error = impersonate(
            &chain,
            bob,
            &headers(&[(USER, "system:serviceaccount:ns:robot")]),
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.message,
            r#"serviceaccounts "robot" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns""#
        );
        let anonymous = impersonate(&chain, admin, &headers(&[(USER, ANONYMOUS)]))
            .await
            .unwrap();
        assert_eq!(anonymous.groups, [UNAUTHENTICATED]);
    }
}
