//! Authentication: who sent a request, as k8s.io/apiserver's authenticators tell it.
//!
//! Each [`Authenticator`] looks at one kind of credential (front-proxy headers, a client
//! certificate, a bearer token); [`Chain`] asks them in turn as kube's union authenticator
//! does, adds `system:authenticated`, and falls back to `system:anonymous` when no credential
//! was offered at all.

mod cluster;
mod requestheader;
mod token;
mod x509;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderMap;
use rustls::pki_types::CertificateDer;

pub use cluster::{ClusterAuthentication, follow_cluster_authentication};
pub use requestheader::{RequestHeader, RequestHeaderConfig};
pub use token::TokenReview;
pub use x509::{ClientCa, ClientCertificate};

/// The group of every authenticated user.
pub const AUTHENTICATED: &str = "system:authenticated";
/// The group of the anonymous user.
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
/// The user of a request without credentials.
pub const ANONYMOUS: &str = "system:anonymous";

/// A user as Kubernetes describes one (`user.Info`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UserInfo {
    /// The user name, e.g. `system:serviceaccount:ns:sa` or a certificate's common name.
    pub name: String,
    /// A unique identifier of the user, when the authenticator knows one (often empty).
    pub uid: String,
    /// The groups the user is in.
    pub groups: Vec<String>,
    /// Further attributes by key (scopes, credential ids...), passed on to authorization as
    /// the SubjectAccessReview's `extra`.
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// `system:anonymous` in `system:unauthenticated`.
    pub fn anonymous() -> Self {
        UserInfo {
            name: ANONYMOUS.into(),
            groups: vec![UNAUTHENTICATED.into()],
            ..UserInfo::default()
        }
    }

    /// Whether `group` is among the user's groups.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// Every value of header `name`, in order.
pub fn header_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

/// A user's extra attributes from the headers named `<prefix><key>`: the key unescaped (`%2F`
/// is `/`) and lowercased, each header one value, as kube reads `X-Remote-Extra-*` and
/// `Impersonate-Extra-*`.
pub fn header_extras(headers: &HeaderMap, prefix: &str, extra: &mut BTreeMap<String, Vec<String>>) {
    let prefix = prefix.to_ascii_lowercase();
    for (name, value) in headers {
        if let Some(key) = name.as_str().strip_prefix(&prefix)
            && let Ok(value) = value.to_str()
        {
            let key = percent_encoding::percent_decode_str(key)
                .decode_utf8_lossy()
                .to_lowercase();
            extra.entry(key).or_default().push(value.to_owned());
        }
    }
}

/// The verified TLS peer's certificate chain (leaf first), as the handshake presented it;
/// each certificate authenticator verifies it against its own CA.
#[derive(Clone, Debug, Default)]
pub struct PeerCertificates(pub Arc<Vec<CertificateDer<'static>>>);

/// What a request offers to prove who sent it.
pub struct Credentials<'a> {
    /// The TLS client certificate chain, leaf first; empty when none was presented.
    pub certificates: &'a [CertificateDer<'static>],
    /// The request headers (front-proxy user headers, `Authorization`).
    pub headers: &'a HeaderMap,
}

/// What one authenticator made of a request.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The credential it knows is absent: ask the next one.
    NotApplicable,
    /// The credential is valid and names this user.
    Authenticated(UserInfo),
    /// The credential is present but wrong: unless another authenticator accepts the
    /// request, it is refused (401) rather than served anonymously.
    Rejected(String),
}

/// One way of authenticating requests.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// Judges the one kind of credential this authenticator knows, for every request.
    async fn authenticate(&self, credentials: &Credentials<'_>) -> Outcome;
}

/// A user, or why the request is refused with 401.
pub type Authentication = Result<UserInfo, String>;

/// Authenticators asked in order, the first to accept wins (kube's union authenticator),
/// then `system:authenticated` added, and `system:anonymous` when nothing was offered.
pub struct Chain {
    authenticators: Vec<Arc<dyn Authenticator>>,
    anonymous: bool,
}

impl Chain {
    /// A chain of `authenticators`, asked in that order; `anonymous` lets requests without
    /// any credential through as `system:anonymous` (kube's `--anonymous-auth`).
    pub fn new(authenticators: Vec<Arc<dyn Authenticator>>, anonymous: bool) -> Self {
        Chain {
            authenticators,
            anonymous,
        }
    }

    /// Asks `authenticators` first, in that order, then the chain's own.
    pub(crate) fn put_first(&mut self, authenticators: Vec<Arc<dyn Authenticator>>) {
        self.authenticators.splice(0..0, authenticators);
    }

    /// The user the first accepting authenticator names, in `system:authenticated`; or
    /// anonymous, or the rejections (or "no credentials") to answer 401 with.
    pub async fn authenticate(&self, credentials: &Credentials<'_>) -> Authentication {
        let mut errors = Vec::new();
        for authenticator in &self.authenticators {
            match authenticator.authenticate(credentials).await {
                Outcome::NotApplicable => {}
                Outcome::Authenticated(mut user) => {
                    if !user.in_group(AUTHENTICATED) && !user.in_group(UNAUTHENTICATED) {
                        user.groups.push(AUTHENTICATED.into());
                    }
                    return Ok(user);
                }
                Outcome::Rejected(error) => errors.push(error),
            }
        }
        match (errors.is_empty(), self.anonymous) {
            (true, true) => Ok(UserInfo::anonymous()),
            (true, false) => Err("no credentials".into()),
            (false, _) => Err(errors.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Outcome);

    #[async_trait]
    impl Authenticator for Fixed {
        async fn authenticate(&self, _: &Credentials<'_>) -> Outcome {
            match &self.0 {
                Outcome::NotApplicable => Outcome::NotApplicable,
                Outcome::Authenticated(user) => Outcome::Authenticated(user.clone()),
                Outcome::Rejected(error) => Outcome::Rejected(error.clone()),
            }
        }
    }

    fn chain(outcomes: Vec<Outcome>, anonymous: bool) -> Chain {
        let authenticators = outcomes
            .into_iter()
            .map(|o| Arc::new(Fixed(o)) as Arc<dyn Authenticator>)
            .collect();
        Chain::new(authenticators, anonymous)
    }

    async fn run(chain: &Chain) -> Authentication {
        let headers = HeaderMap::new();
        chain
            .authenticate(&Credentials {
                certificates: &[],
                headers: &headers,
            })
            .await
    }

    #[tokio::test]
    async fn first_acceptance_wins_and_joins_system_authenticated() {
        let bob = UserInfo {
            name: "bob".into(),
            groups: vec!["devs".into()],
            ..UserInfo::default()
        };
        let chain = chain(
            vec![
                Outcome::Rejected("x509: unknown authority".into()),
                Outcome::Authenticated(bob),
            ],
            true,
        );
        let user = run(&chain).await.unwrap();
        assert_eq!(user.name, "bob");
        assert_eq!(user.groups, ["devs", AUTHENTICATED]);
    }

    #[tokio::test]
    async fn anonymous_only_without_credentials() {
        let nothing = chain(vec![Outcome::NotApplicable], true);
        assert_eq!(run(&nothing).await.unwrap(), UserInfo::anonymous());
        let no_anonymous = chain(vec![Outcome::NotApplicable], false);
        assert!(run(&no_anonymous).await.is_err());
        let bad_token = chain(
            vec![
                Outcome::NotApplicable,
                Outcome::Rejected("invalid bearer token".into()),
            ],
            true,
        );
        assert_eq!(run(&bad_token).await.unwrap_err(), "invalid bearer token");
    }
}
