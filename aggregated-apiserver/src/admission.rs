//! Admission: plugins that see every write before it is made, as k8s.io/apiserver's admission
//! chain, and may change it (mutating) or refuse it (validating). They see objects as JSON, so
//! that one plugin can look at several kinds, and can read what the server stores.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::reflector::{self, ObjectRef, reflector};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;

use crate::authn::UserInfo;
use crate::handlers::Endpoint;
use crate::resource::ResourceInfo;
use crate::status::{ApiError, Cause};

/// What a write does, as admission's `Operation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A new object (POST, or a server-side apply that creates).
    Create,
    /// A changed object (PUT, PATCH, apply), of the resource or a subresource.
    Update,
    /// A deletion (DELETE of one object, each of a deletecollection).
    Delete,
    /// A connect-style action (`POST <name>/<subresource>`).
    Connect,
}

/// The write an admission plugin is asked about.
pub struct Attributes<'a> {
    /// What the write does.
    pub operation: Operation,
    /// The resource written.
    pub resource: &'static ResourceInfo,
    /// `status` or a connect-style action's name, when the write is to one.
    pub subresource: Option<&'a str>,
    /// The object's namespace, for a namespaced kind.
    pub namespace: Option<&'a str>,
    /// The object's name (for a create, as the body names it; empty with `generateName`).
    pub name: &'a str,
    /// The object as it is now, for an update or a delete.
    pub old_object: Option<&'a Value>,
    /// Who writes.
    pub user: &'a UserInfo,
    /// Whether the write is a dry run (plugins with side effects do nothing then).
    pub dry_run: bool,
    /// What the server stores, for plugins that decide by other objects.
    pub objects: Objects<'a>,
}

/// An admission plugin. Both steps default to admitting everything.
///
/// A validating plugin that refuses one name, as sample-apiserver's BanFlunder:
///
/// ```
/// use aggregated_apiserver::admission::{Admission, Attributes, Operation};
/// use aggregated_apiserver::status::ApiError;
/// use serde_json::Value;
///
/// struct BanName(&'static str);
///
/// #[async_trait::async_trait]
/// impl Admission for BanName {
///     async fn validate(&self, at: &Attributes<'_>, _: Option<&Value>) -> Result<(), ApiError> {
///         if at.operation == Operation::Create && at.name == self.0 {
///             return Err(ApiError::forbidden_object(at.resource, at.name, "this name may not be used"));
///         }
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Admission: Send + Sync + 'static {
    /// May change `object` (the new object of a create or an update), before the kind's
    /// validation.
    async fn admit(
        &self,
        _attributes: &Attributes<'_>,
        _object: &mut Value,
    ) -> Result<(), ApiError> {
        Ok(())
    }

    /// May refuse the write, after the kind's validation: `object` is the new object of a
    /// create or an update, `None` for a delete or a connect action.
    async fn validate(
        &self,
        _attributes: &Attributes<'_>,
        _object: Option<&Value>,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Read access to the objects the server stores, as its watch caches hold them; by
/// default, none.
#[derive(Clone, Copy, Default)]
pub struct Objects<'a>(&'a [Arc<dyn Endpoint>]);

impl Objects<'_> {
    /// The objects of `group`'s resource `plural` (in `namespace`, when given), as JSON; none
    /// when the server does not serve it.
    pub fn list(&self, group: &str, plural: &str, namespace: Option<&str>) -> Vec<Value> {
        let Some(endpoint) = self
            .0
            .iter()
            .find(|e| e.info().group == group && e.info().plural == plural)
        else {
            return Vec::new();
        };
        endpoint
            .objects(namespace)
            .iter()
            .filter_map(|json| serde_json::from_slice(json).ok())
            .collect()
    }
}

/// The plugins of a server, in order, and its endpoints (set once the server is built) for
/// [`Objects`].
#[derive(Default)]
pub(crate) struct Chain {
    plugins: Vec<Arc<dyn Admission>>,
    endpoints: OnceLock<Vec<Arc<dyn Endpoint>>>,
}

impl Chain {
    pub fn new(plugins: Vec<Arc<dyn Admission>>) -> Self {
        Chain {
            plugins,
            endpoints: OnceLock::new(),
        }
    }

    /// Gives the plugins the server's endpoints to read.
    pub fn serve(&self, endpoints: Vec<Arc<dyn Endpoint>>) {
        let _ = self.endpoints.set(endpoints);
    }

    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    pub fn objects(&self) -> Objects<'_> {
        Objects(self.endpoints.get().map_or(&[], Vec::as_slice))
    }

    /// Every plugin's mutating step, in order.
    pub async fn admit(
        &self,
        attributes: &Attributes<'_>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        for plugin in &self.plugins {
            plugin.admit(attributes, object).await?;
        }
        Ok(())
    }

    /// Every plugin's validating step, in order; the first refusal stops the write.
    pub async fn validate(
        &self,
        attributes: &Attributes<'_>,
        object: Option<&Value>,
    ) -> Result<(), ApiError> {
        for plugin in &self.plugins {
            plugin.validate(attributes, object).await?;
        }
        Ok(())
    }
}

/// kube-apiserver's NamespaceLifecycle, for a server aggregated into a cluster: no new object
/// of a namespaced kind in a namespace the cluster does not have (404), or is deleting (403,
/// cause `NamespaceTerminating`). It runs on creates, before the kind's validation, as the Go
/// plugin runs in the mutating phase, and reads namespaces as the Go plugin does: from a
/// watch-fed cache, asking the cluster only about a namespace the cache does not hold (yet).
pub struct NamespaceLifecycle {
    namespaces: kube::Api<Namespace>,
    cache: reflector::Store<Namespace>,
    /// The watch that fills the cache, stopped with the plugin.
    watching: tokio::task::JoinHandle<()>,
}

impl NamespaceLifecycle {
    /// Checks namespaces through `client`, which may get, list and watch them; starts the
    /// cache's watch, so it must be called within a Tokio runtime.
    pub fn new(client: kube::Client) -> Self {
        let namespaces = kube::Api::<Namespace>::all(client);
        let (cache, writer) = reflector::store();
        let events = watcher(namespaces.clone(), watcher::Config::default()).default_backoff();
        let watching = tokio::spawn(reflector(writer, events).for_each(|_| async {}));
        NamespaceLifecycle {
            namespaces,
            cache,
            watching,
        }
    }

    /// The namespace from the cache, or from the cluster when the cache does not hold it.
    async fn namespace(&self, name: &str) -> Result<Option<Namespace>, ApiError> {
        if let Some(cached) = self.cache.get(&ObjectRef::new(name)) {
            return Ok(Some(Namespace::clone(&cached)));
        }
        (self.namespaces.get_opt(name).await)
            .map_err(|e| ApiError::internal(format!("looking up namespace {name}: {e}")))
    }
}

impl Drop for NamespaceLifecycle {
    fn drop(&mut self) {
        self.watching.abort();
    }
}

#[async_trait]
impl Admission for NamespaceLifecycle {
    async fn admit(&self, at: &Attributes<'_>, _: &mut Value) -> Result<(), ApiError> {
        let (Operation::Create, Some(namespace)) = (at.operation, at.namespace) else {
            return Ok(());
        };
        let Some(found) = self.namespace(namespace).await? else {
            return Err(ApiError::namespace_not_found(namespace));
        };
        let phase = found.status.and_then(|status| status.phase);
        if found.metadata.deletion_timestamp.is_some() || phase.as_deref() == Some("Terminating") {
            let why = format!(
                "unable to create new content in namespace {namespace} because it is being terminated"
            );
            let mut refused = ApiError::forbidden_object(at.resource, at.name, &why);
            if let Some(details) = refused.details.as_mut() {
                details.causes.push(Cause {
                    reason: "NamespaceTerminating".into(),
                    message: format!("namespace {namespace} is being terminated"),
                    field: "metadata.namespace".into(),
                });
            }
            return Err(refused);
        }
        Ok(())
    }
}
