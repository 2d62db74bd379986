//! Bearer tokens, authenticated by the cluster through a TokenReview and remembered for ten
//! seconds (kube's delegated token cache), keyed by a salted hash so that no token is kept.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use k8s_openapi::api::authentication::v1::{TokenReview as Review, TokenReviewSpec};
use kube::api::{Api, PostParams};
use sha2::{Digest, Sha256};

use super::{Authenticator, Credentials, Outcome, UserInfo};

/// How long a review's answer, accepted or refused, is reused.
const CACHE_TTL: Duration = Duration::from_secs(10);
/// How long a review may take (kube's `TokenAccessReviewTimeout`).
const REVIEW_TIMEOUT: Duration = Duration::from_secs(10);
/// Answers kept at most; expired ones are dropped first.
const CACHE_CAPACITY: usize = 4096;

/// A review's answer: the user, or why the token was refused.
type Answer = Result<UserInfo, String>;

/// Authenticates `Authorization: Bearer` tokens with TokenReviews.
pub struct TokenReview {
    reviews: Api<Review>,
    salt: [u8; 16],
    cache: Mutex<HashMap<[u8; 32], (Instant, Answer)>>,
}

impl TokenReview {
    /// Sends TokenReviews to the cluster through `client`.
    pub fn new(client: kube::Client) -> Self {
        TokenReview {
            reviews: Api::all(client),
            salt: *uuid::Uuid::new_v4().as_bytes(),
            cache: Mutex::default(),
        }
    }

    fn key(&self, token: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(self.salt);
        hash.update(token.as_bytes());
        hash.finalize().into()
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Answer> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(key)
            .filter(|(expires, _)| *expires > Instant::now())
            .map(|(_, answer)| answer.clone())
    }

    fn remember(&self, key: [u8; 32], answer: Answer) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if cache.len() >= CACHE_CAPACITY {
            cache.retain(|_, (expires, _)| *expires > now);
        }
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, (now + CACHE_TTL, answer));
    }

    /// The cluster's answer; `Err(Ok(reason))` is a refusal, `Err(Err(..))` a failure to ask.
    async fn review(&self, token: &str) -> Result<UserInfo, Result<String, String>> {
        let review = Review {
            spec: TokenReviewSpec {
                token: token.to_owned(),
                ..TokenReviewSpec::default()
            },
            ..Review::default()
        };
        let params = PostParams::default();
        let create = self.reviews.create(&params, &review);
        let answer = tokio::time::timeout(REVIEW_TIMEOUT, create)
            .await
            .map_err(|_| Err(format!("token review timed out after {REVIEW_TIMEOUT:?}")))?
            .map_err(|e| Err(format!("token review failed: {e}")))?;
        let status = answer.status.unwrap_or_default();
        match (status.authenticated, status.user) {
            (Some(true), Some(user)) => Ok(UserInfo {
                name: user.username.unwrap_or_default(),
                uid: user.uid.unwrap_or_default(),
                groups: user.groups.unwrap_or_default(),
                extra: user.extra.unwrap_or_default().into_iter().collect(),
            }),
            _ => Err(Ok(status
                .error
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "invalid bearer token".into()))),
        }
    }
}

/// The token of `Authorization: Bearer <token>`, as kube's bearer token authenticator reads
/// it.
fn bearer_token(credentials: &Credentials<'_>) -> Option<String> {
    let value = credentials
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

#[async_trait]
impl Authenticator for TokenReview {
    async fn authenticate(&self, credentials: &Credentials<'_>) -> Outcome {
        let Some(token) = bearer_token(credentials) else {
            return Outcome::NotApplicable;
        };
        let key = self.key(&token);
        let answer = match self.cached(&key) {
            Some(answer) => answer,
            None => match self.review(&token).await {
                Ok(user) => {
                    self.remember(key, Ok(user.clone()));
                    Ok(user)
                }
                Err(Ok(refusal)) => {
                    self.remember(key, Err(refusal.clone()));
                    Err(refusal)
                }
                // A failure to ask is not an answer: the next request asks again.
                Err(Err(failure)) => Err(failure),
            },
        };
        match answer {
            Ok(user) => Outcome::Authenticated(user),
            Err(reason) => Outcome::Rejected(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_as_kube_reads_them() {
        let token = |value: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::AUTHORIZATION, value.parse().unwrap());
            bearer_token(&Credentials {
                certificates: &[],
                headers: &headers,
            })
        };
        assert_eq!(token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(token("Bearer "), None);
        assert_eq!(token("Basic YWxpY2U6eA=="), None);
    }
}
