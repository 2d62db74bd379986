//! Authorization: whether a user may do what a request asks, judged by a chain of
//! [`Authorizer`]s as k8s.io/apiserver's union authorizer judges: the first to allow or deny
//! decides; when none has an opinion the request is forbidden.

mod policy;
mod request_info;
mod webhook;

use async_trait::async_trait;

pub use policy::{AlwaysAllow, AlwaysAllowPaths, AuthenticatedNonResource, PrivilegedGroups};
pub use request_info::{RequestInfo, ResourceInfo};
pub use webhook::SubjectAccessReview;

use crate::authn::UserInfo;
use crate::status::{ApiError, Details};

/// A user and what the user asks to do: what an authorizer judges.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attributes {
    /// Who asks, as authentication (and impersonation) found.
    pub user: UserInfo,
    /// What is asked, from the request info.
    pub request: RequestInfo,
}

/// One authorizer's answer, as k8s.io/apiserver's `authorizer.Decision`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Allowed: the request goes on, no later authorizer is asked.
    Allow,
    /// Denied: the request is forbidden, no later authorizer is asked.
    Deny,
    /// Neither: the next authorizer is asked.
    NoOpinion,
}

/// A decision with its reason (shown to a forbidden client), or why none could be made.
pub type Verdict = Result<(Decision, String), String>;

/// One source of authorization decisions.
#[async_trait]
pub trait Authorizer: Send + Sync {
    /// Decides on `attributes`, or fails (for instance a SubjectAccessReview that could not
    /// be made).
    async fn authorize(&self, attributes: &Attributes) -> Verdict;
}

/// Authorizers asked in order.
pub struct Chain(pub Vec<Box<dyn Authorizer>>);

/// What the chain decided for a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Judgement {
    /// An authorizer allowed: the request is served.
    Allowed,
    /// 403, with the reasons given.
    Forbidden(String),
    /// No authorizer allowed and some failed: 500, as kube-apiserver answers.
    Failed(String),
}

impl Chain {
    /// Asks the authorizers in turn until one allows or denies (kube's union authorizer);
    /// without a decision, forbidden, or failed if an authorizer failed.
    pub async fn judge(&self, attributes: &Attributes) -> Judgement {
        let mut reasons = Vec::new();
        let mut errors = Vec::new();
        for authorizer in &self.0 {
            match authorizer.authorize(attributes).await {
                Ok((decision, reason)) => {
                    if !reason.is_empty() {
                        reasons.push(reason);
                    }
                    match decision {
                        Decision::Allow => return Judgement::Allowed,
                        Decision::Deny => return Judgement::Forbidden(reasons.join("\n")),
                        Decision::NoOpinion => {}
                    }
                }
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            Judgement::Forbidden(reasons.join("\n"))
        } else {
            Judgement::Failed(errors.join(", "))
        }
    }
}

/// 403 in kube-apiserver's words: `foos.demo.jeremyxu2010.me "x" is forbidden: User "bob"
/// cannot create resource "foos/bar" in API group "demo.jeremyxu2010.me" at the cluster scope`,
/// followed by the authorizer's reason when it gave one.
pub fn forbidden(attributes: &Attributes, reason: &str) -> ApiError {
    let user = &attributes.user.name;
    let verb = &attributes.request.verb;
    let Some(resource) = &attributes.request.resource else {
        let path = &attributes.request.path;
        let message = format!("forbidden: User \"{user}\" cannot {verb} path \"{path}\"");
        return ApiError::forbidden(with_reason(message, reason), Details::default());
    };
    let shown = match resource.subresource.as_str() {
        "" => resource.resource.clone(),
        sub => format!("{}/{sub}", resource.resource),
    };
    let group = &resource.group;
    let scope = match resource.namespace.as_str() {
        "" => "at the cluster scope".to_owned(),
        namespace => format!("in the namespace \"{namespace}\""),
    };
    let why = format!(
        "User \"{user}\" cannot {verb} resource \"{shown}\" in API group \"{group}\" {scope}"
    );
    let qualified = match group.as_str() {
        "" => resource.resource.clone(),
        group => format!("{}.{group}", resource.resource),
    };
    let message = match resource.name.as_str() {
        "" => format!("{qualified} is forbidden: {why}"),
        name => format!("{qualified} \"{name}\" is forbidden: {why}"),
    };
    let details = Details {
        name: resource.name.clone(),
        group: group.clone(),
        kind: resource.resource.clone(),
        ..Details::default()
    };
    ApiError::forbidden(with_reason(message, reason), details)
}

fn with_reason(message: String, reason: &str) -> String {
    match reason {
        "" => message,
        reason => format!("{message}: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Query;
    use http::Method;

    pub(crate) fn attributes(
        user: &str,
        groups: &[&str],
        method: Method,
        path: &str,
    ) -> Attributes {
        Attributes {
            user: UserInfo {
                name: user.into(),
                groups: groups.iter().map(|g| g.to_string()).collect(),
                ..UserInfo::default()
            },
            request: RequestInfo::parse(&method, path, &Query::parse(None)),
        }
    }

    struct Says(Verdict);

    #[async_trait]
    impl Authorizer for Says {
        async fn authorize(&self, _: &Attributes) -> Verdict {
            self.0.clone()
        }
    }

    #[tokio::test]
    async fn the_first_opinion_decides() {
        let bob = attributes("bob", &[], Method::GET, "/apis");
        let no = |reason: &str| Box::new(Says(Ok((Decision::NoOpinion, reason.into()))));
        let chain = Chain(vec![
            no("not mine"),
            Box::new(Says(Ok((Decision::Deny, "denied".into())))),
            Box::new(Says(Ok((Decision::Allow, String::new())))),
        ]);
        assert_eq!(
            chain.judge(&bob).await,
            Judgement::Forbidden("not mine\ndenied".into())
        );
        let chain = Chain(vec![
            Box::new(Says(Err("webhook down".into()))),
            Box::new(Says(Ok((Decision::Allow, String::new())))),
        ]);
        assert_eq!(chain.judge(&bob).await, Judgement::Allowed);
        let chain = Chain(vec![Box::new(Says(Err("webhook down".into()))), no("")]);
        assert_eq!(
            chain.judge(&bob).await,
            Judgement::Failed("webhook down".into())
        );
    }

    #[test]
    fn forbidden_reads_like_kube_apiserver() {
        let bar = attributes(
            "bob",
            &[],
            Method::POST,
            "/apis/demo.jeremyxu2010.me/v1beta1/foos/x/bar",
        );
        let error = forbidden(&bar, "");
        assert_eq!(error.code, 403);
        assert_eq!(
            error.message,
            r#"foos.demo.jeremyxu2010.me "x" is forbidden: User "bob" cannot create resource "foos/bar" in API group "demo.jeremyxu2010.me" at the cluster scope"#
        );
        let status = error.to_status();
        assert_eq!(status["details"]["kind"], "foos");
        assert_eq!(status["details"]["name"], "x");
        let list = attributes(
            "bob",
            &[],
            Method::GET,
            "/api/v1/namespaces/ns/serviceaccounts",
        );
        assert_eq!(
            forbidden(&list, "RBAC: role not found").message,
            r#"serviceaccounts is forbidden: User "bob" cannot list resource "serviceaccounts" in API group "" in the namespace "ns": RBAC: role not found"#
        );
        let path = attributes("bob", &[], Method::GET, "/openapi/v2");
        assert_eq!(
            forbidden(&path, "").message,
            r#"forbidden: User "bob" cannot get path "/openapi/v2""#
        );
    }
}
