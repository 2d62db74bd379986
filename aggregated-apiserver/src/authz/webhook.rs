//! Delegated authorization: the cluster judges each request through a SubjectAccessReview,
//! and its answers are reused for ten seconds (kube's delegated allow and deny caches).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview as Review,
    SubjectAccessReviewSpec,
};
use kube::api::{Api, PostParams};

use super::{Attributes, Authorizer, Decision, Verdict};

/// How long an answer that allowed is reused.
const ALLOW_TTL: Duration = Duration::from_secs(10);
/// How long an answer that did not allow is reused.
const DENY_TTL: Duration = Duration::from_secs(10);
/// How long a review may take (kube's delegated authorization client timeout).
const REVIEW_TIMEOUT: Duration = Duration::from_secs(10);
/// Answers kept at most; expired ones are dropped first.
const CACHE_CAPACITY: usize = 8192;

/// Asks the cluster with SubjectAccessReviews.
pub struct SubjectAccessReview {
    reviews: Api<Review>,
    cache: Mutex<HashMap<Attributes, (Instant, Decision, String)>>,
}

impl SubjectAccessReview {
    /// Sends SubjectAccessReviews to the cluster through `client`.
    pub fn new(client: kube::Client) -> Self {
        SubjectAccessReview {
            reviews: Api::all(client),
            cache: Mutex::default(),
        }
    }

    fn cached(&self, attributes: &Attributes) -> Option<(Decision, String)> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let (expires, decision, reason) = cache.get(attributes)?;
        (*expires > Instant::now()).then(|| (*decision, reason.clone()))
    }

    fn remember(&self, attributes: &Attributes, decision: Decision, reason: &str) {
        let ttl = if decision == Decision::Allow {
            ALLOW_TTL
        } else {
            DENY_TTL
        };
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.retain(|_, (expires, _, _)| *expires > now);
        }
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(attributes.clone(), (now + ttl, decision, reason.to_owned()));
    }
}

/// The review kube's webhook authorizer sends for `attributes`.
fn review(attributes: &Attributes) -> Review {
    let set = |s: &String| (!s.is_empty()).then(|| s.clone());
    let user = &attributes.user;
    let request = &attributes.request;
    let verb = Some(request.verb.clone());
    Review {
        spec: SubjectAccessReviewSpec {
            user: set(&user.name),
            uid: set(&user.uid),
            groups: (!user.groups.is_empty()).then(|| user.groups.clone()),
            extra: (!user.extra.is_empty()).then(|| user.extra.clone()),
            resource_attributes: request.resource.as_ref().map(|r| ResourceAttributes {
                group: set(&r.group),
                version: set(&r.version),
                resource: set(&r.resource),
                subresource: set(&r.subresource),
                namespace: set(&r.namespace),
                name: set(&r.name),
                verb: verb.clone(),
                ..ResourceAttributes::default()
            }),
            non_resource_attributes: request.resource.is_none().then(|| NonResourceAttributes {
                path: Some(request.path.clone()),
                verb: verb.clone(),
            }),
        },
        ..Review::default()
    }
}

#[async_trait]
impl Authorizer for SubjectAccessReview {
    async fn authorize(&self, attributes: &Attributes) -> Verdict {
        if let Some(answer) = self.cached(attributes) {
            return Ok(answer);
        }
        let (params, review) = (PostParams::default(), review(attributes));
        let create = self.reviews.create(&params, &review);
        let answer = tokio::time::timeout(REVIEW_TIMEOUT, create)
            .await
            .map_err(|_| format!("subject access review timed out after {REVIEW_TIMEOUT:?}"))?
            .map_err(|e| format!("subject access review failed: {e}"))?;
        let status = answer.status.unwrap_or_default();
        let decision = if status.allowed {
            Decision::Allow
        } else if status.denied == Some(true) {
            Decision::Deny
        } else {
            Decision::NoOpinion
        };
        let reason = status.reason.unwrap_or_default();
        self.remember(attributes, decision, &reason);
        Ok((decision, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::attributes;
    use super::*;
    use http::Method;

    #[test]
    fn reviews_carry_kubes_attributes() {
        let mut bar = attributes(
            "bob",
            &["devs", "system:authenticated"],
            Method::POST,
            "/apis/demo.jeremyxu2010.me/v1beta1/foos/x/bar",
        );
        bar.user.extra.insert("scopes".into(), vec!["a".into()]);
        let spec = serde_json::to_value(review(&bar).spec).unwrap();
        assert_eq!(
            spec,
            serde_json::json!({
                "user": "bob",
                "groups": ["devs", "system:authenticated"],
                "extra": {"scopes": ["a"]},
                "resourceAttributes": {
                    "group": "demo.jeremyxu2010.me",
                    "version": "v1beta1",
                    "resource": "foos",
                    "subresource": "bar",
                    "name": "x",
                    "verb": "create",
                },
            })
        );
        let openapi = attributes("bob", &[], Method::GET, "/openapi/v2");
        let spec = serde_json::to_value(review(&openapi).spec).unwrap();
        assert_eq!(
            spec["nonResourceAttributes"],
            serde_json::json!({"path": "/openapi/v2", "verb": "get"})
        );
    }
}
