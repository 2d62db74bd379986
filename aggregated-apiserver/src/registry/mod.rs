//! The generic registry: REST semantics of kube-apiserver's generic store for any kind that
//! plugs in a [`Strategy`], the way k8s.io/apiserver's registry takes a RESTStrategy. Its
//! verbs answer with objects, lists and watches; the HTTP handlers write them out.

pub(crate) mod apply;
pub(crate) mod cache;
mod connect;
pub(crate) mod decode;
mod delete;
pub mod fieldmanager;
mod meta;
pub(crate) mod object;
mod outcome;
pub(crate) mod patch;
mod read;
pub(crate) mod store;
mod strategic;
mod table;
mod version;
mod watch;

pub use cache::HistoryLimit;
pub use decode::MAX_BODY_BYTES;
pub use meta::now;
pub(crate) use outcome::Outcome;
pub use store::Store;
pub use table::{TableColumnDefinition, default_table_cells, default_table_columns};
pub use version::{Converted, Convertible};
pub(crate) use watch::{Watch, WatchEvent};

use bytes::Bytes;
use http::{HeaderMap, Method};
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::authn::UserInfo;
use crate::request::Query;
use crate::resource::ResourceInfo;
use crate::status::{ApiError, FieldError};

/// The two ways kube-apiserver serves a kind, where they differ: as a custom resource, or as
/// Go's generic registry serves a typed kind (a built-in kind, or an aggregated server's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Style {
    /// As custom resources are served: names are DNS subdomains (RFC 1123); a DELETE that
    /// removes the object answers with it; list items carry their `apiVersion` and `kind`;
    /// a create is compared from nothing, so its writer owns every container it sends
    /// (`f:spec: {".": {}, …}`).
    #[default]
    CustomResource,
    /// As Go's generic registry serves a typed kind: names need only fit in a URL path
    /// segment (no `/` or `%`, not `.` or `..`; a strategy may ask more); a DELETE that
    /// removes the object answers with a Success Status naming it; list items leave their
    /// type out; a create is compared from the type's zero value (what it decodes from
    /// `{"metadata": {}}`), whose always-present fields (Go's non-pointer structs such as
    /// `spec: {}`) are then not the writer's. An object its finalizers hold is answered
    /// with itself either way.
    Typed,
}

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

    /// The kind's static description (group, version, names, scope, verbs, subresources,
    /// list merge types). The store reads it for its storage key prefix, verb and
    /// subresource checks, error messages, decoding and patch merging; the server for
    /// routing, discovery and OpenAPI.
    fn info(&self) -> &'static ResourceInfo;

    /// Prepares a new object before it is validated, as a RESTStrategy's PrepareForCreate
    /// (the store has set the system fields, defaulted it, and cleared status if the kind
    /// has a status subresource). Nothing by default.
    fn prepare_for_create(&self, _object: &mut Self::Object) {}

    /// Prepares a change of `old` before it is validated, as PrepareForUpdate (the store has
    /// kept the system fields, and status or all but status as the write's part calls for).
    /// Nothing by default.
    fn prepare_for_update(&self, _new: &mut Self::Object, _old: &Self::Object) {}

    /// Puts a valid object in its canonical form before it is stored (sorted sets, normalized
    /// values), as Canonicalize. Nothing by default.
    fn canonicalize(&self, _object: &mut Self::Object) {}

    /// The warning every response of this version carries when it is deprecated, as
    /// kube-apiserver sends `<group>/<version> <Kind> is deprecated in v1.3+, unavailable in
    /// v1.10+`. None by default.
    fn deprecation(&self) -> Option<&'static str> {
        None
    }

    /// Where kube-apiserver serves custom resources and Go's typed kinds differently, which
    /// of the two this kind follows: [`Style::CustomResource`] by default.
    fn style(&self) -> Style {
        Style::CustomResource
    }

    /// The version of the kind that storage keeps: this one by default, the hub's for a
    /// [`Converted`] version.
    fn storage_version(&self) -> &'static str {
        self.info().version
    }

    /// The object as storage keeps it: the JSON of the version the kind is stored in. The
    /// object's own JSON by default; a [`Converted`] version's is its hub's.
    fn serialize_stored(&self, object: &Self::Object) -> Result<Vec<u8>, ApiError> {
        serde_json::to_vec(object).map_err(ApiError::internal)
    }

    /// The object from what storage keeps (see [`Strategy::serialize_stored`]).
    fn deserialize_stored(&self, stored: &[u8]) -> Result<Self::Object, ApiError> {
        serde_json::from_slice(stored).map_err(ApiError::internal)
    }

    /// Fills in defaults. Runs on every create and update (PUT, PATCH, apply, `/status`),
    /// after the store has set or kept the system fields and before [`Strategy::validate`].
    /// Nothing by default.
    fn default(&self, _object: &mut Self::Object) {}

    /// Checks a new object's own fields (the store checks metadata), after defaulting; any
    /// error refuses the create with 422 Invalid. None by default.
    fn validate(&self, _object: &Self::Object) -> Vec<FieldError> {
        Vec::new()
    }

    /// Checks an updated object against the stored one, after defaulting; any error refuses
    /// the write with 422 Invalid. By default [`Strategy::validate`] of the new object, as
    /// most kinds' `ValidateUpdate` does; add immutable fields with
    /// `FieldError::invalid(.., "field is immutable")`.
    fn validate_update(&self, new: &Self::Object, _old: &Self::Object) -> Vec<FieldError> {
        self.validate(new)
    }

    /// Warnings about an object as written by a create, update, patch or apply (deprecated
    /// values, say), sent to the client in `Warning` headers; the write succeeds. None by
    /// default.
    fn warnings(&self, _object: &Self::Object) -> Vec<String> {
        Vec::new()
    }

    /// The Table columns of server-side printing, asked for each response rendered as a
    /// `meta.k8s.io` Table (`kubectl get`).
    fn table_columns(&self) -> Vec<TableColumnDefinition>;

    /// One Table row's cells, in [`Strategy::table_columns`] order, for each object in a
    /// Table response; `now` (one instant for a whole list) is what ages are reckoned from.
    fn table_cells(&self, object: &Self::Object, now: Timestamp) -> Vec<serde_json::Value>;

    /// The OpenAPI v3 schemas of the kind (refs as `#/components/schemas/NAME`), read once
    /// when the server is built to publish `/openapi/v2` and `/openapi/v3`.
    fn openapi_schemas(&self) -> serde_json::Map<String, serde_json::Value>;

    /// A connect-style subresource (`POST <name>/<subresource>`, options in the query): the
    /// object as the action leaves it and the answer. The store writes the object atomically
    /// (retrying on a concurrent change, which calls this again), or not at all on a dry run.
    /// The object is written as returned: no defaulting, validation, generation bump or
    /// managedFields entry. A kind without such subresources keeps the default, which is
    /// never called (the store answers 404 for a subresource the kind does not declare).
    fn connect(
        &self,
        _subresource: &str,
        _object: &Self::Object,
        _query: &Query,
    ) -> Result<Connected<Self::Object>, ApiError> {
        Err(ApiError::path_not_found())
    }
}

/// What a connect-style action did.
pub struct Connected<T> {
    /// The object as the action leaves it, which the store writes (unless unchanged).
    pub object: T,
    /// The response body, sent as JSON or YAML with 200 OK.
    pub answer: serde_json::Value,
}

/// A request for one resource path:
/// `/apis/<g>/<v>[/namespaces/<namespace>]/<plural>[/<name>[/<subresource>]]`.
pub struct ResourceRequest {
    /// The HTTP method, which with `name` gives the verb (GET without a name is list/watch).
    pub method: Method,
    /// Who asks (after impersonation), for admission.
    pub user: UserInfo,
    /// The namespace, for a namespaced kind: always with a name or a write; `None` for a
    /// list or watch across every namespace.
    pub namespace: Option<String>,
    /// The object's name; `None` for the collection.
    pub name: Option<String>,
    /// `status` or a connect-style action's name; only with a name.
    pub subresource: Option<String>,
    /// The parsed query string (options such as `dryRun`, `watch`, selectors).
    pub query: Query,
    /// The request headers (content negotiation, the User-Agent as default field manager).
    pub headers: HeaderMap,
    /// The whole body; empty when there is none. Over [`MAX_BODY_BYTES`] it is refused.
    pub body: Bytes,
}
