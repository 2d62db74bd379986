//! The generic registry: REST semantics of kube-apiserver's generic store for any kind that
//! plugs in a [`Strategy`], the way k8s.io/apiserver's registry takes a RESTStrategy.

pub(crate) mod apply;
pub(crate) mod cache;
mod connect;
pub(crate) mod decode;
pub mod fieldmanager;
mod meta;
pub(crate) mod patch;
mod read;
mod render;
pub(crate) mod store;
mod strategic;
mod watch;

pub use cache::HistoryLimit;
pub use meta::now;
pub use render::{TableColumnDefinition, respond};
pub use store::{MAX_BODY_BYTES, Store};

use async_trait::async_trait;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, Method};
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::request::Query;
use crate::resource::ResourceInfo;
use crate::status::{ApiError, FieldError};

/// What is particular to one kind: defaulting, validation and printing. Everything else
/// (metadata, resourceVersions, status rules, selectors, pagination) is the store's.
pub trait Strategy: Send + Sync + 'static {
    /// The object, with `metadata`, and by convention `spec` and `status` fields.
    type Object: kube::Resource<DynamicType = ()>
        + Serialize
        + DeserializeOwned
        + Clone
        + PartialEq
        + Send
        + Sync
        + 'static;

    fn info(&self) -> &'static ResourceInfo;

    /// Fills in defaults; runs on every create and update.
    fn default(&self, object: &mut Self::Object);

    /// Checks the kind's own fields (the store checks metadata).
    fn validate(&self, object: &Self::Object) -> Vec<FieldError>;

    /// The Table columns of server-side printing.
    fn table_columns(&self) -> Vec<TableColumnDefinition>;

    /// One Table row's cells, in column order.
    fn table_cells(&self, object: &Self::Object, now: Timestamp) -> Vec<serde_json::Value>;

    /// The OpenAPI v3 schemas of the kind (refs as `#/components/schemas/NAME`).
    fn openapi_schemas(&self) -> serde_json::Map<String, serde_json::Value>;

    /// A connect-style subresource (`POST <name>/<subresource>`, options in the query): the
    /// object as the action leaves it and the answer. The store writes the object atomically
    /// (retrying on a concurrent change, which calls this again), or not at all on a dry run.
    fn connect(
        &self,
        subresource: &str,
        object: &Self::Object,
        query: &Query,
    ) -> Result<Connected<Self::Object>, ApiError>;
}

/// What a connect-style action did.
pub struct Connected<T> {
    pub object: T,
    pub answer: serde_json::Value,
}

/// A request for one resource path: `/apis/<g>/<v>/<plural>[/<name>[/<subresource>]]`.
pub struct ResourceRequest {
    pub method: Method,
    pub name: Option<String>,
    pub subresource: Option<String>,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A served resource, whatever its kind.
#[async_trait]
pub trait Endpoint: Send + Sync {
    fn info(&self) -> &'static ResourceInfo;
    fn openapi_schemas(&self) -> serde_json::Map<String, serde_json::Value>;
    /// How many objects are stored, as the watch cache knows them.
    fn object_count(&self) -> usize;
    async fn handle(&self, request: ResourceRequest) -> Result<Response, ApiError>;
}
