//! Authorizers that need no cluster: kube's always-allow, privileged groups and always-allowed
//! paths, and the local admin policy's rule for discovery.

use async_trait::async_trait;

use super::{Attributes, Authorizer, Decision, Verdict};
use crate::authn::AUTHENTICATED;

/// Allows everything (kube-apiserver's `--authorization-mode=AlwaysAllow`).
pub struct AlwaysAllow;

#[async_trait]
impl Authorizer for AlwaysAllow {
    async fn authorize(&self, _: &Attributes) -> Verdict {
        Ok((Decision::Allow, String::new()))
    }
}

/// Allows every request of members of these groups (`system:masters`).
pub struct PrivilegedGroups(pub Vec<String>);

#[async_trait]
impl Authorizer for PrivilegedGroups {
    async fn authorize(&self, attributes: &Attributes) -> Verdict {
        let privileged = self.0.iter().any(|g| attributes.user.in_group(g));
        Ok((decide(privileged), String::new()))
    }
}

/// Allows non-resource requests on these paths to anyone; a path ending in `*` is a prefix
/// (`--authorization-always-allow-paths`).
pub struct AlwaysAllowPaths(pub Vec<String>);

#[async_trait]
impl Authorizer for AlwaysAllowPaths {
    async fn authorize(&self, attributes: &Attributes) -> Verdict {
        let request = &attributes.request;
        let allowed = request.resource.is_none()
            && self
                .0
                .iter()
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => request.path.starts_with(prefix),
                    None => request.path == *pattern,
                });
        Ok((decide(allowed), String::new()))
    }
}

/// Allows every authenticated user to read non-resource paths (discovery, OpenAPI, version),
/// as the `system:discovery` role does in a cluster.
pub struct AuthenticatedNonResource;

#[async_trait]
impl Authorizer for AuthenticatedNonResource {
    async fn authorize(&self, attributes: &Attributes) -> Verdict {
        let request = &attributes.request;
        let allowed = request.resource.is_none()
            && matches!(request.verb.as_str(), "get" | "head")
            && attributes.user.in_group(AUTHENTICATED);
        Ok((decide(allowed), String::new()))
    }
}

fn decide(allowed: bool) -> Decision {
    if allowed {
        Decision::Allow
    } else {
        Decision::NoOpinion
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::attributes;
    use super::*;
    use http::Method;

    async fn allowed(authorizer: &dyn Authorizer, attributes: &Attributes) -> bool {
        authorizer.authorize(attributes).await.unwrap().0 == Decision::Allow
    }

    #[tokio::test]
    async fn paths_exact_or_by_prefix_and_never_resources() {
        let paths = AlwaysAllowPaths(vec!["/healthz".into(), "/metrics/*".into()]);
        let anonymous = |path: &str| attributes("system:anonymous", &[], Method::GET, path);
        assert!(allowed(&paths, &anonymous("/healthz")).await);
        assert!(!allowed(&paths, &anonymous("/healthz/ping")).await);
        assert!(allowed(&paths, &anonymous("/metrics/slis")).await);
        assert!(
            !allowed(
                &paths,
                &anonymous("/apis/demo.jeremyxu2010.me/v1beta1/healthz")
            )
            .await
        );
    }

    #[tokio::test]
    async fn masters_do_anything_authenticated_users_discover() {
        let foos = "/apis/demo.jeremyxu2010.me/v1beta1/foos";
        let masters = PrivilegedGroups(vec!["system:masters".into()]);
        let admin = attributes("admin", &["system:masters"], Method::DELETE, foos);
        assert!(allowed(&masters, &admin).await);
        let bob = attributes("bob", &[AUTHENTICATED], Method::GET, foos);
        assert!(!allowed(&masters, &bob).await);
        assert!(!allowed(&AuthenticatedNonResource, &bob).await);
        let discovery = attributes("bob", &[AUTHENTICATED], Method::GET, "/apis");
        assert!(allowed(&AuthenticatedNonResource, &discovery).await);
        let anonymous = attributes("system:anonymous", &[], Method::GET, "/apis");
        assert!(!allowed(&AuthenticatedNonResource, &anonymous).await);
    }
}
