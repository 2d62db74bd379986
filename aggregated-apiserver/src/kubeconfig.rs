//! Kubeconfig files: written for kubectl and other clients, read for the server's own
//! clients of a cluster.

use std::path::Path;

use anyhow::{Context as _, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kube::config::{
    AuthInfo, Cluster, Context, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext,
};

use crate::pki::{CertPair, write_file_atomic};

/// Writes a kubeconfig to `path` (mode 0600) whose current context `name` connects to
/// `server_url`, trusting `ca_pem` and authenticating with the `client` certificate.
pub fn write_kubeconfig(
    path: &Path,
    server_url: &str,
    ca_pem: &str,
    client: &CertPair,
    name: &str,
) -> Result<()> {
    let config = Kubeconfig {
        api_version: Some("v1".to_owned()),
        kind: Some("Config".to_owned()),
        clusters: vec![NamedCluster {
            name: name.to_owned(),
            cluster: Some(Cluster {
                server: Some(server_url.to_owned()),
                certificate_authority_data: Some(STANDARD.encode(ca_pem)),
                ..Default::default()
            }),
            ..Default::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: name.to_owned(),
            auth_info: Some(AuthInfo {
                client_certificate_data: Some(STANDARD.encode(&client.cert_pem)),
                client_key_data: Some(STANDARD.encode(&client.key_pem).into()),
                ..Default::default()
            }),
            ..Default::default()
        }],
        contexts: vec![NamedContext {
            name: name.to_owned(),
            context: Some(Context {
                cluster: name.to_owned(),
                user: Some(name.to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        }],
        current_context: Some(name.to_owned()),
        ..Default::default()
    };
    // Plain scalars like kubectl's own output, instead of folding the long base64 values.
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    let yaml = serde_saphyr::to_string_with_options(&config, options)
        .context("serializing the kubeconfig")?;
    write_file_atomic(path, yaml.as_bytes(), 0o600)
}

/// A client of the cluster that the kubeconfig at `path` names.
pub async fn client_from(path: &Path) -> Result<kube::Client> {
    let kubeconfig = Kubeconfig::read_from(path)
        .with_context(|| format!("reading the kubeconfig {}", path.display()))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .with_context(|| format!("using the kubeconfig {}", path.display()))?;
    kube::Client::try_from(config).context("building the Kubernetes client")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::load_or_create_local_pki;
    use kube::config::KubeConfigOptions;

    #[tokio::test]
    async fn kubeconfig_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let pki = load_or_create_local_pki(&dir.path().join("pki")).unwrap();
        let path = dir.path().join("home/.kube/config");
        let server = "https://127.0.0.1:6443";
        write_kubeconfig(&path, server, &pki.ca.cert_pem, &pki.admin, "foo").unwrap();
        // Overwriting an existing file works too.
        write_kubeconfig(&path, server, &pki.ca.cert_pem, &pki.admin, "foo").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );

        let kubeconfig = Kubeconfig::read_from(&path).unwrap();
        assert_eq!(kubeconfig.api_version.as_deref(), Some("v1"));
        assert_eq!(kubeconfig.kind.as_deref(), Some("Config"));
        assert_eq!(kubeconfig.current_context.as_deref(), Some("foo"));
        let context = kubeconfig.contexts[0].context.as_ref().unwrap();
        assert_eq!(
            (context.cluster.as_str(), context.user.as_deref()),
            ("foo", Some("foo"))
        );
        let auth = kubeconfig.auth_infos[0].auth_info.as_ref().unwrap();
        let cert = STANDARD
            .decode(auth.client_certificate_data.as_ref().unwrap())
            .unwrap();
        assert_eq!(cert, pki.admin.cert_pem.as_bytes());

        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .unwrap();
        assert_eq!(config.cluster_url.to_string(), format!("{server}/"));
        assert_eq!(config.root_cert.unwrap().len(), 1);
    }
}
