//! The HTTP handlers of resource requests: the verb from the method and path, refused unless
//! the kind declares it; the representation negotiated before anything changes; the
//! registry's verbs called; what they answer written out as JSON, YAML, a Table or
//! PartialObjectMetadata, and a watch streamed.

mod dispatch;
mod render;
#[cfg(test)]
mod tests;
mod watch;

pub use render::{respond, warned_first};

use async_trait::async_trait;
use axum::response::Response;
use bytes::Bytes;

use crate::registry::ResourceRequest;
use crate::resource::ResourceInfo;
use crate::status::ApiError;

/// A served resource, whatever its kind: the object-safe face of a
/// [`Store`](crate::registry::Store) (which implements it for every
/// [`Strategy`](crate::registry::Strategy)), so that the server can hold kinds side by side.
#[async_trait]
pub trait Endpoint: Send + Sync {
    /// The resource served. The server routes `/apis/<group>/<version>/<plural>` requests
    /// by it and lists it in discovery.
    fn info(&self) -> &'static ResourceInfo;
    /// The version of the kind that storage keeps ([`Strategy::storage_version`](crate::registry::Strategy::storage_version)).
    fn storage_version(&self) -> &'static str;
    /// The warning on every response when the version is deprecated
    /// ([`Strategy::deprecation`](crate::registry::Strategy::deprecation)).
    fn deprecation(&self) -> Option<&'static str>;
    /// How many objects are stored, as the watch cache knows them.
    fn object_count(&self) -> usize;
    /// The JSON of every object (in `namespace`, when given), as the watch cache holds them.
    fn objects(&self, namespace: Option<&str>) -> Vec<Bytes>;
    /// Serves one request for this resource, after the filters (authentication,
    /// authorization...) have passed it: get, list, watch, create, update, patch, apply,
    /// delete, deletecollection or a connect action. An error is answered as a Status.
    async fn handle(&self, request: ResourceRequest) -> Result<Response, ApiError>;
}
