//! Front-proxy authentication: a proxy (kube-apiserver's aggregator) that presents a
//! certificate from the requestheader CA, with an allowed common name, names the user in
//! headers (`X-Remote-User`, `X-Remote-Group`, `X-Remote-Extra-*`, `X-Remote-Uid`).

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use http::HeaderMap;

use super::x509::{ClientCa, subject};
use super::{Authenticator, Credentials, Outcome, UserInfo, header_extras, header_values};

/// Which proxies are trusted and the headers they name the user in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHeaderConfig {
    /// Common names the proxy's certificate may have; empty allows any.
    pub allowed_names: Vec<String>,
    /// Headers naming the user; the first non-empty one counts (`X-Remote-User`).
    pub username_headers: Vec<String>,
    /// Headers naming the user's UID; the first non-empty one counts (none by default).
    pub uid_headers: Vec<String>,
    /// Headers naming the user's groups, every value of each (`X-Remote-Group`).
    pub group_headers: Vec<String>,
    /// Prefixes of headers carrying extra attributes, the key after the prefix
    /// (`X-Remote-Extra-`).
    pub extra_headers_prefixes: Vec<String>,
}

impl Default for RequestHeaderConfig {
    /// k8s.io/apiserver's defaults for the header names.
    fn default() -> Self {
        RequestHeaderConfig {
            allowed_names: Vec::new(),
            username_headers: vec!["X-Remote-User".into()],
            uid_headers: Vec::new(),
            group_headers: vec!["X-Remote-Group".into()],
            extra_headers_prefixes: vec!["X-Remote-Extra-".into()],
        }
    }
}

/// Authenticates requests relayed by a trusted front proxy.
pub struct RequestHeader {
    ca: Arc<ClientCa>,
    config: RwLock<Arc<RequestHeaderConfig>>,
}

impl RequestHeader {
    /// Trusts proxies whose certificates `ca` verifies, reading the user as `config` says.
    pub fn new(ca: Arc<ClientCa>, config: RequestHeaderConfig) -> Self {
        RequestHeader {
            ca,
            config: RwLock::new(Arc::new(config)),
        }
    }

    /// The requestheader CA that verifies the proxy's certificate.
    pub fn ca(&self) -> &Arc<ClientCa> {
        &self.ca
    }

    /// Replaces the allowed names and header names while serving (the cluster's ConfigMap
    /// changed); requests authenticated afterwards use the new ones.
    pub fn set_config(&self, config: RequestHeaderConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
    }

    fn config(&self) -> Arc<RequestHeaderConfig> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Removes every header that names a user, so that nothing after authentication can
    /// mistake a forged one for the proxy's word.
    pub fn strip_headers(&self, headers: &mut HeaderMap) {
        let config = self.config();
        let named = config
            .username_headers
            .iter()
            .chain(&config.uid_headers)
            .chain(&config.group_headers);
        for name in named {
            headers.remove(name.as_str());
        }
        let prefixes: Vec<String> = config
            .extra_headers_prefixes
            .iter()
            .map(|p| p.to_ascii_lowercase())
            .collect();
        let extras: Vec<_> = headers
            .keys()
            .filter(|name| prefixes.iter().any(|p| name.as_str().starts_with(p)))
            .cloned()
            .collect();
        for name in extras {
            headers.remove(name);
        }
    }
}

#[async_trait]
impl Authenticator for RequestHeader {
    async fn authenticate(&self, credentials: &Credentials<'_>) -> Outcome {
        match self.ca.verify(credentials.certificates) {
            None => return Outcome::NotApplicable,
            Some(Err(error)) => return Outcome::Rejected(error),
            Some(Ok(())) => {}
        }
        let config = self.config();
        let common_name = subject(&credentials.certificates[0])
            .map(|(name, _)| name)
            .unwrap_or_default();
        if !config.allowed_names.is_empty() && !config.allowed_names.contains(&common_name) {
            return Outcome::Rejected(format!(
                "x509: subject with cn={common_name} is not in the allowed list"
            ));
        }
        let headers = credentials.headers;
        let Some(name) = first_value(headers, &config.username_headers) else {
            return Outcome::NotApplicable;
        };
        let groups = config
            .group_headers
            .iter()
            .flat_map(|h| header_values(headers, h))
            .collect();
        let mut extra = std::collections::BTreeMap::new();
        for prefix in &config.extra_headers_prefixes {
            header_extras(headers, prefix, &mut extra);
        }
        Outcome::Authenticated(UserInfo {
            name,
            uid: first_value(headers, &config.uid_headers).unwrap_or_default(),
            groups,
            extra,
        })
    }
}

/// The first non-empty value among `names`, as kube reads the user name.
fn first_value(headers: &HeaderMap, names: &[String]) -> Option<String> {
    names
        .iter()
        .filter_map(|name| headers.get(name.as_str())?.to_str().ok())
        .find(|value| !value.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::x509::tests::chain;
    use crate::pki::{issue_client_certificate, load_or_create_local_pki};

    #[tokio::test]
    async fn trusts_headers_only_from_an_allowed_proxy() {
        let dir = tempfile::tempdir().unwrap();
        let front = load_or_create_local_pki(&dir.path().join("front")).unwrap();
        let other = load_or_create_local_pki(&dir.path().join("other")).unwrap();
        let proxy = chain(
            &issue_client_certificate(&front.ca, "front-proxy-client", None)
                .unwrap()
                .cert_pem,
        );
        let stranger = chain(
            &issue_client_certificate(&front.ca, "stranger", None)
                .unwrap()
                .cert_pem,
        );
        let forger = chain(
            &issue_client_certificate(&other.ca, "front-proxy-client", None)
                .unwrap()
                .cert_pem,
        );
        let authenticator = RequestHeader::new(
            Arc::new(ClientCa::from_pem(&front.ca.cert_pem).unwrap()),
            RequestHeaderConfig {
                allowed_names: vec!["front-proxy-client".into()],
                uid_headers: vec!["X-Remote-Uid".into()],
                ..RequestHeaderConfig::default()
            },
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-remote-user", "alice".parse().unwrap());
        headers.append("x-remote-group", "devs".parse().unwrap());
        headers.append("x-remote-group", "system:authenticated".parse().unwrap());
        headers.insert("x-remote-uid", "42".parse().unwrap());
        headers.append("x-remote-extra-scopes", "a".parse().unwrap());
        headers.append("x-remote-extra-scopes", "b".parse().unwrap());
        headers.insert("x-remote-extra-acme.com%2Fteam", "x".parse().unwrap());
        let authenticate = |certificates| {
            let headers = &headers;
            let authenticator = &authenticator;
            async move {
                authenticator
                    .authenticate(&Credentials {
                        certificates,
                        headers,
                    })
                    .await
            }
        };

        let Outcome::Authenticated(alice) = authenticate(&proxy).await else {
            panic!("the front proxy is not trusted");
        };
        assert_eq!(alice.name, "alice");
        assert_eq!(alice.uid, "42");
        assert_eq!(alice.groups, ["devs", "system:authenticated"]);
        assert_eq!(alice.extra["scopes"], ["a", "b"]);
        assert_eq!(alice.extra["acme.com/team"], ["x"]);

        let Outcome::Rejected(error) = authenticate(&stranger).await else {
            panic!("a proxy name outside the allowed list is trusted");
        };
        assert_eq!(
            error,
            "x509: subject with cn=stranger is not in the allowed list"
        );
        assert!(matches!(authenticate(&forger).await, Outcome::Rejected(_)));
        assert_eq!(authenticate(&[]).await, Outcome::NotApplicable);

        let mut stripped = headers.clone();
        stripped.insert("accept", "application/json".parse().unwrap());
        authenticator.strip_headers(&mut stripped);
        assert_eq!(stripped.keys().collect::<Vec<_>>(), ["accept"]);
    }
}
