//! A kind served in several versions: its strategy works on one of them, the hub, which
//! storage keeps; every other version converts to and from the hub (as Go servers convert
//! through their internal version, and controller-runtime's Hub and Convertible), and is
//! served by a strategy of its own, [`Converted`], made from the hub's.
//!
//! Each version has a store and a watch cache of its own over the same keys: a write in one
//! version is read in every other, and reads need no conversion, for the memory of one more
//! cache per version.

use std::marker::PhantomData;

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Connected, Strategy, Style, TableColumnDefinition};
use crate::request::Query;
use crate::resource::ResourceInfo;
use crate::status::{ApiError, FieldError};

/// A version of a kind other than its hub's: its type, described, and converted to and from
/// the hub's type.
pub trait Convertible<Hub>:
    kube::Resource<DynamicType = ()>
    + Serialize
    + DeserializeOwned
    + Clone
    + PartialEq
    + Send
    + Sync
    + 'static
{
    /// This version's resource: the hub's, for this version (and the kinds of its
    /// subresources).
    fn info() -> &'static ResourceInfo;

    /// This version's OpenAPI schemas, as [`Strategy::openapi_schemas`].
    fn openapi_schemas() -> Map<String, Value>;

    /// The warning every response of this version carries when it is deprecated (see
    /// [`Strategy::deprecation`]). None by default.
    fn deprecation() -> Option<&'static str> {
        None
    }

    /// This version of a hub object.
    fn from_hub(hub: Hub) -> Self;

    /// The hub object this version's object is.
    fn into_hub(self) -> Hub;
}

/// The strategy of version `V` of the kind that `S` describes in the hub version: every
/// rule is the hub's, applied to the object converted to the hub, and objects are stored as
/// the hub stores them.
///
/// ```no_run
/// # use aggregated_apiserver::registry::{Convertible, Strategy};
/// # fn serve<S: Strategy + Clone, V: Convertible<S::Object>>(hub: S) {
/// use aggregated_apiserver::ApiServer;
/// use aggregated_apiserver::registry::Converted;
///
/// let server = ApiServer::new("my-apiserver")
///     .kind(hub.clone())
///     .kind(Converted::<S, V>::new(hub));
/// # }
/// ```
pub struct Converted<S, V> {
    hub: S,
    version: PhantomData<fn() -> V>,
}

impl<S: Strategy, V: Convertible<S::Object>> Converted<S, V> {
    /// Version `V` of the hub kind `hub` serves.
    pub fn new(hub: S) -> Self {
        Converted {
            hub,
            version: PhantomData,
        }
    }

    /// Changes `object` as `change` changes it in the hub version.
    fn through_hub(&self, object: &mut V, change: impl FnOnce(&mut S::Object)) {
        let mut hub = object.clone().into_hub();
        change(&mut hub);
        *object = V::from_hub(hub);
    }
}

fn hub<S: Strategy, V: Convertible<S::Object>>(object: &V) -> S::Object {
    object.clone().into_hub()
}

impl<S: Strategy, V: Convertible<S::Object>> Strategy for Converted<S, V> {
    type Object = V;

    fn info(&self) -> &'static ResourceInfo {
        V::info()
    }

    fn storage_version(&self) -> &'static str {
        self.hub.storage_version()
    }

    fn deprecation(&self) -> Option<&'static str> {
        V::deprecation()
    }

    fn style(&self) -> Style {
        self.hub.style()
    }

    fn serialize_stored(&self, object: &V) -> Result<Vec<u8>, ApiError> {
        self.hub.serialize_stored(&hub::<S, V>(object))
    }

    fn deserialize_stored(&self, stored: &[u8]) -> Result<V, ApiError> {
        Ok(V::from_hub(self.hub.deserialize_stored(stored)?))
    }

    fn prepare_for_create(&self, object: &mut V) {
        self.through_hub(object, |hub| self.hub.prepare_for_create(hub));
    }

    fn prepare_for_update(&self, new: &mut V, old: &V) {
        let old = hub::<S, V>(old);
        self.through_hub(new, |hub| self.hub.prepare_for_update(hub, &old));
    }

    fn canonicalize(&self, object: &mut V) {
        self.through_hub(object, |hub| self.hub.canonicalize(hub));
    }

    fn default(&self, object: &mut V) {
        self.through_hub(object, |hub| self.hub.default(hub));
    }

    fn validate(&self, object: &V) -> Vec<FieldError> {
        self.hub.validate(&hub::<S, V>(object))
    }

    fn validate_update(&self, new: &V, old: &V) -> Vec<FieldError> {
        (self.hub).validate_update(&hub::<S, V>(new), &hub::<S, V>(old))
    }

    fn warnings(&self, object: &V) -> Vec<String> {
        self.hub.warnings(&hub::<S, V>(object))
    }

    fn table_columns(&self) -> Vec<TableColumnDefinition> {
        self.hub.table_columns()
    }

    fn table_cells(&self, object: &V, now: Timestamp) -> Vec<Value> {
        self.hub.table_cells(&hub::<S, V>(object), now)
    }

    fn openapi_schemas(&self) -> Map<String, Value> {
        V::openapi_schemas()
    }

    fn connect(
        &self,
        subresource: &str,
        object: &V,
        query: &Query,
    ) -> Result<Connected<V>, ApiError> {
        let connected = self.hub.connect(subresource, &hub::<S, V>(object), query)?;
        Ok(Connected {
            object: V::from_hub(connected.object),
            answer: connected.answer,
        })
    }
}
