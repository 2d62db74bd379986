//! The cluster's word on authentication: kube-apiserver publishes its client CA and its
//! front-proxy settings in `kube-system/extension-apiserver-authentication`; an aggregated
//! server reads what its flags left unset from there and follows every change.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};

use super::{ClientCa, RequestHeader, RequestHeaderConfig};

const NAMESPACE: &str = "kube-system";
const NAME: &str = "extension-apiserver-authentication";

/// What the ConfigMap updates: the client CA and the front-proxy settings that no flag set,
/// and whoever must hear of a change (the TLS server naming the CAs to clients).
pub struct ClusterAuthentication {
    /// The client certificate CA to keep at `client-ca-file`; `None` leaves it alone (a
    /// flag set it).
    pub client_ca: Option<Arc<ClientCa>>,
    /// The front-proxy authenticator to keep at the `requestheader-*` keys (CA, allowed
    /// names, header names); `None` leaves it alone (flags set it).
    pub request_header: Option<Arc<RequestHeader>>,
    /// Called after a change to either CA.
    pub on_change: Box<dyn Fn() + Send + Sync>,
}

impl ClusterAuthentication {
    fn apply(&self, data: &BTreeMap<String, String>) -> anyhow::Result<()> {
        let mut changed = false;
        if let Some(ca) = &self.client_ca {
            changed |= ca
                .set(data.get("client-ca-file").map(String::as_str))
                .context("client-ca-file")?;
        }
        if let Some(request_header) = &self.request_header {
            let list = |key: &str| -> anyhow::Result<Vec<String>> {
                match data.get(key) {
                    Some(json) => serde_json::from_str(json).with_context(|| key.to_owned()),
                    None => Ok(Vec::new()),
                }
            };
            request_header.set_config(RequestHeaderConfig {
                allowed_names: list("requestheader-allowed-names")?,
                username_headers: list("requestheader-username-headers")?,
                uid_headers: list("requestheader-uid-headers")?,
                group_headers: list("requestheader-group-headers")?,
                extra_headers_prefixes: list("requestheader-extra-headers-prefix")?,
            });
            changed |= request_header
                .ca()
                .set(data.get("requestheader-client-ca-file").map(String::as_str))
                .context("requestheader-client-ca-file")?;
        }
        if changed {
            (self.on_change)();
        }
        Ok(())
    }
}

/// Reads the ConfigMap once (a missing one leaves everything unset, as kube does; a refused
/// read is an error unless tolerated), then follows it in the background.
pub async fn follow_cluster_authentication(
    client: kube::Client,
    targets: ClusterAuthentication,
    tolerate_lookup_failure: bool,
) -> anyhow::Result<()> {
    let config_maps: Api<ConfigMap> = Api::namespaced(client, NAMESPACE);
    match config_maps.get_opt(NAME).await {
        Ok(Some(config_map)) => targets.apply(&config_map.data.unwrap_or_default())?,
        Ok(None) => tracing::warn!("{NAMESPACE}/{NAME} not found: nothing to look up"),
        Err(error) if tolerate_lookup_failure => {
            tracing::warn!("looking up {NAMESPACE}/{NAME} failed, continuing without it: {error}")
        }
        Err(kube::Error::Api(status)) if status.is_forbidden() => bail!(
            "reading configmap/{NAME} in {NAMESPACE} is forbidden: usually fixed by \
             'kubectl create rolebinding -n {NAMESPACE} ROLEBINDING_NAME \
             --role=extension-apiserver-authentication-reader \
             --serviceaccount=YOUR_NS:YOUR_SA' ({})",
            status.message
        ),
        Err(error) => {
            return Err(error).with_context(|| format!("looking up {NAMESPACE}/{NAME}"));
        }
    }
    let changes = watcher(
        config_maps,
        watcher::Config::default().fields(&format!("metadata.name={NAME}")),
    )
    .default_backoff()
    .applied_objects();
    tokio::spawn(async move {
        let mut changes = std::pin::pin!(changes);
        while let Some(change) = changes.next().await {
            let applied = change
                .map_err(anyhow::Error::from)
                .and_then(|config_map| targets.apply(&config_map.data.unwrap_or_default()));
            match applied {
                Ok(()) => tracing::debug!("{NAMESPACE}/{NAME} applied"),
                Err(error) => tracing::warn!("{NAMESPACE}/{NAME}: {error:#}"),
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::load_or_create_local_pki;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_config_map_sets_what_the_flags_left_and_reports_changes() {
        let dir = tempfile::tempdir().unwrap();
        let clients = load_or_create_local_pki(&dir.path().join("clients")).unwrap();
        let front = load_or_create_local_pki(&dir.path().join("front")).unwrap();
        let changes = Arc::new(AtomicUsize::new(0));
        let counted = changes.clone();
        let targets = ClusterAuthentication {
            client_ca: Some(Arc::new(ClientCa::default())),
            request_header: Some(Arc::new(RequestHeader::new(
                Arc::new(ClientCa::default()),
                RequestHeaderConfig::default(),
            ))),
            on_change: Box::new(move || {
                counted.fetch_add(1, Ordering::SeqCst);
            }),
        };
        let mut data = BTreeMap::from([
            ("client-ca-file".to_owned(), clients.ca.cert_pem.clone()),
            (
                "requestheader-client-ca-file".to_owned(),
                front.ca.cert_pem.clone(),
            ),
            (
                "requestheader-allowed-names".to_owned(),
                r#"["front-proxy-client"]"#.to_owned(),
            ),
            (
                "requestheader-username-headers".to_owned(),
                r#"["X-Remote-User"]"#.to_owned(),
            ),
        ]);
        targets.apply(&data).unwrap();
        assert_eq!(changes.load(Ordering::SeqCst), 1);
        let client_ca = targets.client_ca.as_ref().unwrap();
        assert_eq!(
            client_ca.pem().as_deref(),
            Some(clients.ca.cert_pem.as_str())
        );
        let request_header = targets.request_header.as_ref().unwrap();
        assert_eq!(
            request_header.ca().pem().as_deref(),
            Some(front.ca.cert_pem.as_str())
        );

        // The same data again changes nothing; a rotated CA is a change.
        targets.apply(&data).unwrap();
        assert_eq!(changes.load(Ordering::SeqCst), 1);
        data.insert("client-ca-file".into(), front.ca.cert_pem.clone());
        targets.apply(&data).unwrap();
        assert_eq!(changes.load(Ordering::SeqCst), 2);

        data.insert("requestheader-allowed-names".into(), "not json".into());
        let error = targets.apply(&data).unwrap_err();
        assert_eq!(error.to_string(), "requestheader-allowed-names");
    }
}
