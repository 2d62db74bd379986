//! An object of a kind as the registry addresses and reads it: which one a request names,
//! and how it is decoded from what storage keeps, at its revision.

use std::sync::Arc;

use kube::Resource;

use crate::status::ApiError;
use crate::storage::KeyValue;

/// Which object of a kind a request names: its namespace (a namespaced kind's) and name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ObjectId<'a> {
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

impl ObjectId<'_> {
    /// `<namespace>/<name>`, or `<name>` for a cluster-scoped kind: the object's storage key
    /// after its kind's prefix (as kube-apiserver keys objects), and the watch cache's index.
    pub fn path(&self) -> String {
        match self.namespace {
            Some(namespace) => format!("{namespace}/{}", self.name),
            None => self.name.to_owned(),
        }
    }
}

/// How a kind's objects are read from what storage keeps ([`Strategy::deserialize_stored`]).
pub(crate) type Decode<T> = Arc<dyn Fn(&[u8]) -> Result<T, ApiError> + Send + Sync>;

/// A stored object, with its resourceVersion set from the storage revision.
pub fn object_at<T: Resource>(
    kv: &KeyValue,
    decode: impl FnOnce(&[u8]) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut object = decode(&kv.value)?;
    object.meta_mut().resource_version = Some(kv.mod_revision.to_string());
    Ok(object)
}
