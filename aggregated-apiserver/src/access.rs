//! Who may call the server and what they may do, assembled from the command line: delegated to
//! the cluster (`foo-apiserver`), or the local admin policy (`foo-apiserver local`).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};

use crate::authn::{
    self, Authenticator, ClientCa, ClientCertificate, ClusterAuthentication, RequestHeader,
    RequestHeaderConfig, TokenReview,
};
use crate::authz::{
    self, AlwaysAllow, AlwaysAllowPaths, AuthenticatedNonResource, PrivilegedGroups,
    SubjectAccessReview,
};
use crate::filters::Access;
use crate::options::{AuthenticationArgs, AuthorizationArgs, AuthorizationMode};
use crate::tls::TlsConfig;

/// The group whose members may do anything, asked or not.
const MASTERS: &str = "system:masters";
/// What kube-apiserver's health checks allow to anyone.
const HEALTH_PATHS: [&str; 3] = ["/healthz", "/livez", "/readyz"];

/// The filters' configuration, the CAs the TLS server names to clients, and what is still to
/// be read from the cluster once the TLS server exists.
pub struct Configured {
    /// The authenticators and authorizers the request filters apply.
    pub access: Access,
    /// The CAs whose client certificates the TLS server asks for (client CA and front proxy);
    /// those to be read from the cluster start empty and are filled by `look_up_cluster`.
    pub client_cas: Vec<Arc<ClientCa>>,
    lookup: Option<Lookup>,
}

struct Lookup {
    client: kube::Client,
    client_ca: Option<Arc<ClientCa>>,
    request_header: Option<Arc<RequestHeader>>,
    tolerate_failure: bool,
}

impl Configured {
    /// Reads the cluster's extension-apiserver-authentication ConfigMap when the flags left
    /// something to it, and follows it, telling `tls` of every change of CA.
    pub async fn look_up_cluster(&mut self, tls: Arc<TlsConfig>) -> anyhow::Result<()> {
        let Some(lookup) = self.lookup.take() else {
            return Ok(());
        };
        let targets = ClusterAuthentication {
            client_ca: lookup.client_ca,
            request_header: lookup.request_header,
            on_change: Box::new(move || {
                if let Err(error) = tls.reload() {
                    tracing::warn!("reloading the TLS configuration failed: {error:#}");
                }
            }),
        };
        authn::follow_cluster_authentication(lookup.client, targets, lookup.tolerate_failure).await
    }
}

/// `foo-apiserver local`: certificates from the local CA, `system:masters` may do anything
/// and every authenticated user may read discovery and OpenAPI.
pub fn local(ca_pem: &str) -> anyhow::Result<Configured> {
    let ca = Arc::new(ClientCa::from_pem(ca_pem).context("the local CA")?);
    let authenticator =
        authn::Chain::new(vec![Arc::new(ClientCertificate::new(ca.clone()))], false);
    let authorizer = authz::Chain(vec![
        Box::new(PrivilegedGroups(vec![MASTERS.into()])),
        Box::new(AlwaysAllowPaths(HEALTH_PATHS.map(String::from).to_vec())),
        Box::new(AuthenticatedNonResource),
    ]);
    Ok(Configured {
        access: Access {
            authenticator,
            request_header: None,
            authorizer,
        },
        client_cas: vec![ca],
        lookup: None,
    })
}

/// `foo-apiserver`: authentication and authorization delegated to the cluster, as
/// k8s.io/apiserver's delegating options configure them.
pub async fn delegated(
    authentication: &AuthenticationArgs,
    authorization: &AuthorizationArgs,
) -> anyhow::Result<Configured> {
    let authentication_client = cluster_client(
        authentication.authentication_kubeconfig.as_deref(),
        "--authentication-kubeconfig",
    )
    .await?;
    let lookup = authentication_client
        .as_ref()
        .is_some_and(|_| !authentication.authentication_skip_lookup);

    let client_ca = match &authentication.client_ca_file {
        Some(path) => Some(Arc::new(ClientCa::from_pem(&read(path)?)?)),
        None if lookup => Some(Arc::new(ClientCa::default())),
        None => None,
    };
    let request_header = match &authentication.requestheader_client_ca_file {
        Some(path) => Some(Arc::new(RequestHeader::new(
            Arc::new(ClientCa::from_pem(&read(path)?)?),
            RequestHeaderConfig {
                allowed_names: authentication.requestheader_allowed_names.clone(),
                username_headers: authentication.requestheader_username_headers.clone(),
                uid_headers: authentication.requestheader_uid_headers.clone(),
                group_headers: authentication.requestheader_group_headers.clone(),
                extra_headers_prefixes: authentication.requestheader_extra_headers_prefix.clone(),
            },
        ))),
        None if lookup => Some(Arc::new(RequestHeader::new(
            Arc::new(ClientCa::default()),
            RequestHeaderConfig::default(),
        ))),
        None => None,
    };

    if authentication_client.is_none()
        && client_ca.is_none()
        && request_header.is_none()
        && authorization.authorization_mode != AuthorizationMode::AlwaysAllow
    {
        bail!(
            "nothing to authenticate requests with: no --authentication-kubeconfig, not running \
             in a cluster, and neither --client-ca-file nor --requestheader-client-ca-file; give \
             one, or --authorization-mode=AlwaysAllow to serve everyone, anonymous users included"
        );
    }

    let mut authenticators: Vec<Arc<dyn Authenticator>> = Vec::new();
    if let Some(request_header) = &request_header {
        authenticators.push(request_header.clone());
    }
    if let Some(ca) = &client_ca {
        authenticators.push(Arc::new(ClientCertificate::new(ca.clone())));
    }
    if let Some(client) = &authentication_client {
        authenticators.push(Arc::new(TokenReview::new(client.clone())));
    }
    let authenticator = authn::Chain::new(authenticators, authentication.anonymous_auth);

    let authorizer = match authorization.authorization_mode {
        AuthorizationMode::AlwaysAllow => {
            tracing::warn!("--authorization-mode=AlwaysAllow: every request is allowed");
            authz::Chain(vec![Box::new(AlwaysAllow)])
        }
        AuthorizationMode::Delegated => {
            let mut chain: Vec<Box<dyn authz::Authorizer>> = vec![
                Box::new(PrivilegedGroups(vec![MASTERS.into()])),
                Box::new(AlwaysAllowPaths(
                    authorization.authorization_always_allow_paths.clone(),
                )),
            ];
            let client = cluster_client(
                authorization.authorization_kubeconfig.as_deref(),
                "--authorization-kubeconfig",
            )
            .await?;
            match client {
                Some(client) => chain.push(Box::new(SubjectAccessReview::new(client))),
                None => tracing::warn!(
                    "no --authorization-kubeconfig and not in a cluster: only {MASTERS} and the \
                     always-allowed paths are authorized"
                ),
            }
            authz::Chain(chain)
        }
    };

    let client_cas = [
        request_header.as_ref().map(|r| r.ca().clone()),
        client_ca.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let lookup = authentication_client
        .filter(|_| lookup)
        .map(|client| Lookup {
            client,
            client_ca: client_ca.filter(|_| authentication.client_ca_file.is_none()),
            request_header: request_header
                .clone()
                .filter(|_| authentication.requestheader_client_ca_file.is_none()),
            tolerate_failure: authentication.authentication_tolerate_lookup_failure,
        });
    Ok(Configured {
        access: Access {
            authenticator,
            request_header,
            authorizer,
        },
        client_cas,
        lookup,
    })
}

/// A client from the kubeconfig given by `flag`, else the in-cluster one when running in a
/// pod, else none.
/// A client of the cluster named by the kubeconfig at `path` (given as `flag`), else the
/// cluster the server runs in, else none.
pub(crate) async fn cluster_client(
    path: Option<&Path>,
    flag: &str,
) -> anyhow::Result<Option<kube::Client>> {
    if let Some(path) = path {
        let client = crate::kubeconfig::client_from(path)
            .await
            .with_context(|| flag.to_owned())?;
        return Ok(Some(client));
    }
    match kube::Config::incluster() {
        Ok(config) => Ok(Some(
            kube::Client::try_from(config).context("building the in-cluster client")?,
        )),
        Err(_) => Ok(None),
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}
