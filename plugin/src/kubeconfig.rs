//! kubectl's global connection flags, and the client they make.
//!
//! The kubeconfig is read as kubectl reads it: `--kubeconfig`, else every file of
//! `KUBECONFIG` merged (first one wins), else `~/.kube/config`. The flags then override the
//! chosen context's cluster and user, so exec credential plugins, client certificates and
//! `proxy-url` all work as kubectl's do.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use foo_sdk::FooApi;
use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster,
    NamedContext,
};
use kube::{Client, Config};
use secrecy_shim::secret;

use crate::error::{Error, Result, chain};

/// kubectl's global flags, shown after each command's own flags under their own heading.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Global flags")]
pub struct KubeFlags {
    /// Path to the kubeconfig file to use for CLI requests
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The name of the kubeconfig context to use
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// The name of the kubeconfig cluster to use
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,
    /// The name of the kubeconfig user to use
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// The address and port of the Kubernetes API server
    #[arg(short = 's', long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// The namespace scope for this CLI request: taken as kubectl takes it, and without
    /// effect, as Foos are cluster-scoped
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Bearer token for authentication to the API server
    #[arg(long, global = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Username to impersonate for the operation
    #[arg(long = "as", global = true, value_name = "USER")]
    pub as_user: Option<String>,
    /// Group to impersonate for the operation (repeatable)
    #[arg(long = "as-group", global = true, value_name = "GROUP")]
    pub as_group: Vec<String>,
    /// UID to impersonate for the operation
    #[arg(long = "as-uid", global = true, value_name = "UID")]
    pub as_uid: Option<String>,
    /// Path to a cert file for the certificate authority
    #[arg(long, global = true, value_name = "PATH")]
    pub certificate_authority: Option<String>,
    /// Path to a client certificate file for TLS
    #[arg(long, global = true, value_name = "PATH")]
    pub client_certificate: Option<String>,
    /// Path to a client key file for TLS
    #[arg(long, global = true, value_name = "PATH")]
    pub client_key: Option<String>,
    /// If true, the server's certificate will not be checked for validity
    // A value only after `=`, as kubectl's bool flags: `--insecure-skip-tls-verify list` must
    // leave `list` to be the command.
    #[arg(
        long,
        global = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub insecure_skip_tls_verify: Option<bool>,
    /// Server name to use for server certificate validation
    #[arg(long, global = true, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// How long to wait for a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)
    #[arg(long, global = true, value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Default cache directory (discovery is cached under it)
    #[arg(long, global = true, value_name = "DIR", hide_short_help = true)]
    pub cache_dir: Option<PathBuf>,
}

/// A client and what it was made from.
#[derive(Clone)]
pub struct Connection {
    /// foo-sdk's typed client of the Foos (its `client()` is the `kube::Client`).
    pub foos: FooApi,
    /// The server's URL.
    pub server: String,
    /// Where discovery is cached.
    pub cache_dir: PathBuf,
}

impl KubeFlags {
    /// The merged kubeconfig with the flags applied.
    pub fn kubeconfig(&self) -> Result<(Kubeconfig, KubeConfigOptions)> {
        let mut kc = match &self.kubeconfig {
            Some(path) => Kubeconfig::read_from(path).map_err(|e| {
                // kube's own message names the file again: the root cause alone.
                Error::msg(format!(
                    "cannot read kubeconfig {}: {}",
                    path.display(),
                    crate::error::root(&e)
                ))
            })?,
            None => match Kubeconfig::from_env() {
                Ok(Some(kc)) => kc,
                Ok(None) => Kubeconfig::read().unwrap_or_default(),
                Err(e) => return Err(Error::msg(format!("invalid KUBECONFIG: {}", chain(&e)))),
            },
        };

        let context_name = self
            .context
            .clone()
            .or_else(|| kc.current_context.clone())
            .filter(|c| !c.is_empty());
        let context = match &context_name {
            Some(name) => match kc.contexts.iter().find(|c| &c.name == name) {
                Some(c) => c.context.clone().unwrap_or_default(),
                None if self.context.is_some() => {
                    return Err(Error::msg(format!("context \"{name}\" does not exist")));
                }
                None => Context::default(),
            },
            None => Context::default(),
        };
        let cluster_name = self
            .cluster
            .clone()
            .or_else(|| Some(context.cluster.clone()).filter(|c| !c.is_empty()))
            .unwrap_or_else(|| "kubectl-foo-cluster".to_string());
        let user_name = self
            .user
            .clone()
            .or_else(|| context.user.clone())
            .unwrap_or_else(|| "kubectl-foo-user".to_string());

        if kc.clusters.iter().all(|c| c.name != cluster_name) {
            if self.cluster.is_some() && self.server.is_none() {
                return Err(Error::msg(format!(
                    "cluster \"{cluster_name}\" does not exist"
                )));
            }
            kc.clusters.push(NamedCluster {
                name: cluster_name.clone(),
                cluster: Some(Cluster::default()),
                other: Default::default(),
            });
        }
        if kc.auth_infos.iter().all(|u| u.name != user_name) {
            if self.user.is_some() {
                return Err(Error::msg(format!("user \"{user_name}\" does not exist")));
            }
            kc.auth_infos.push(NamedAuthInfo {
                name: user_name.clone(),
                auth_info: Some(AuthInfo::default()),
                other: Default::default(),
            });
        }
        let ctx_name = "kubectl-foo-flags".to_string();
        kc.contexts.push(NamedContext {
            name: ctx_name.clone(),
            context: Some(Context {
                cluster: cluster_name.clone(),
                user: Some(user_name.clone()),
                ..context
            }),
            other: Default::default(),
        });
        kc.current_context = Some(ctx_name.clone());

        let cluster = kc
            .clusters
            .iter_mut()
            .find(|c| c.name == cluster_name)
            .and_then(|c| {
                if c.cluster.is_none() {
                    c.cluster = Some(Cluster::default());
                }
                c.cluster.as_mut()
            })
            .expect("cluster present");
        if let Some(server) = &self.server {
            cluster.server = Some(normalize_server(server));
        }
        if let Some(ca) = &self.certificate_authority {
            cluster.certificate_authority = Some(ca.clone());
            cluster.certificate_authority_data = None;
        }
        if let Some(insecure) = self.insecure_skip_tls_verify {
            cluster.insecure_skip_tls_verify = Some(insecure);
            if insecure {
                cluster.certificate_authority = None;
                cluster.certificate_authority_data = None;
            }
        }
        if let Some(name) = &self.tls_server_name {
            cluster.tls_server_name = Some(name.clone());
        }
        if cluster.server.as_deref().unwrap_or("").is_empty() {
            return Err(Error::msg(
                "no server to talk to: set --kubeconfig, KUBECONFIG or --server",
            ));
        }

        let user = kc
            .auth_infos
            .iter_mut()
            .find(|u| u.name == user_name)
            .and_then(|u| {
                if u.auth_info.is_none() {
                    u.auth_info = Some(AuthInfo::default());
                }
                u.auth_info.as_mut()
            })
            .expect("user present");
        if let Some(token) = &self.token {
            user.token = Some(secret(token));
            user.token_file = None;
            user.exec = None;
            user.auth_provider = None;
        }
        if let Some(cert) = &self.client_certificate {
            user.client_certificate = Some(cert.clone());
            user.client_certificate_data = None;
        }
        if let Some(key) = &self.client_key {
            user.client_key = Some(key.clone());
            user.client_key_data = None;
        }
        if let Some(who) = &self.as_user {
            user.impersonate = Some(who.clone());
        }
        if !self.as_group.is_empty() {
            user.impersonate_groups = Some(self.as_group.clone());
        }
        if let Some(uid) = &self.as_uid {
            user.impersonate_uid = Some(uid.clone());
        }
        let options = KubeConfigOptions {
            context: Some(ctx_name),
            cluster: None,
            user: None,
        };
        Ok((kc, options))
    }

    /// The request timeout given with `--request-timeout`.
    pub fn request_timeout(&self) -> Result<Option<Duration>> {
        match self.request_timeout.as_deref() {
            None => Ok(None),
            Some(value) => match parse_duration(value) {
                Some(d) if d.is_zero() => Ok(None),
                Some(d) => Ok(Some(d)),
                None => Err(Error::usage(format!(
                    "invalid --request-timeout \"{value}\": use a number of seconds or a duration such as 1s, 2m, 3h"
                ))),
            },
        }
    }

    /// Connects: a client for the flags, the kubeconfig and the environment.
    pub async fn connect(&self) -> Result<Connection> {
        let timeout = self.request_timeout()?;
        let (kc, options) = self.kubeconfig()?;
        let mut config = Config::from_custom_kubeconfig(kc, &options)
            .await
            .map_err(|e| Error::msg(format!("invalid configuration: {}", chain(&e))))?;
        if let Some(t) = timeout {
            config.connect_timeout = Some(t);
            config.read_timeout = Some(t);
            config.write_timeout = Some(t);
        } else {
            config.read_timeout = None;
        }
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string();
        let client = Client::try_from(config)
            .map_err(|e| Error::msg(format!("cannot make a client: {}", chain(&e))))?;
        let cache_dir = self.cache_dir.clone().unwrap_or_else(default_cache_dir);
        Ok(Connection {
            foos: FooApi::new(client).with_field_manager(crate::api::FIELD_MANAGER),
            server,
            cache_dir,
        })
    }
}

/// `~/.cache/kubectl-foo` (the platform's user cache directory), as kubectl keeps `~/.kube/cache`.
pub fn default_cache_dir() -> PathBuf {
    dirs::cache_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("kubectl-foo")
}

fn normalize_server(server: &str) -> String {
    if server.contains("://") {
        server.to_string()
    } else {
        format!("https://{server}")
    }
}

/// kubectl's `--request-timeout`: a bare number of seconds, or Go-style `1h2m3s`, `500ms`.
pub fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = value;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let secs = match unit {
            "ns" => number / 1e9,
            "us" | "µs" => number / 1e6,
            "ms" => number / 1e3,
            "s" => number,
            "m" => number * 60.0,
            "h" => number * 3600.0,
            _ => return None,
        };
        total += Duration::from_secs_f64(secs);
    }
    Some(total)
}

mod secrecy_shim {
    /// A token as the kubeconfig types keep it.
    pub fn secret(value: &str) -> secrecy::SecretString {
        secrecy::SecretString::from(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("x"), None);
    }
}
