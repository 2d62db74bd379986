//! Object metadata serialized in the field order of Go's types, so that foo-apiserver's JSON
//! reads byte for byte as kube-apiserver's (k8s-openapi writes fields alphabetically).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, ObjectMeta};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// `metav1.ObjectMeta` in Go's field order.
pub(crate) struct GoObjectMeta<'a>(pub &'a ObjectMeta);

impl Serialize for GoObjectMeta<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut map = serializer.serialize_map(None)?;
        entry(&mut map, "name", &m.name)?;
        entry(&mut map, "generateName", &m.generate_name)?;
        entry(&mut map, "namespace", &m.namespace)?;
        entry(&mut map, "selfLink", &m.self_link)?;
        entry(&mut map, "uid", &m.uid)?;
        entry(&mut map, "resourceVersion", &m.resource_version)?;
        entry(&mut map, "generation", &m.generation)?;
        entry(&mut map, "creationTimestamp", &m.creation_timestamp)?;
        entry(&mut map, "deletionTimestamp", &m.deletion_timestamp)?;
        entry(
            &mut map,
            "deletionGracePeriodSeconds",
            &m.deletion_grace_period_seconds,
        )?;
        entry(&mut map, "labels", &m.labels)?;
        entry(&mut map, "annotations", &m.annotations)?;
        entry(&mut map, "ownerReferences", &m.owner_references)?;
        entry(&mut map, "finalizers", &m.finalizers)?;
        let managed = m
            .managed_fields
            .as_ref()
            .map(|entries| entries.iter().map(GoManagedFieldsEntry).collect::<Vec<_>>());
        entry(&mut map, "managedFields", &managed)?;
        map.end()
    }
}

/// `metav1.ManagedFieldsEntry` in Go's field order.
struct GoManagedFieldsEntry<'a>(&'a ManagedFieldsEntry);

impl Serialize for GoManagedFieldsEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = serializer.serialize_map(None)?;
        entry(&mut map, "manager", &e.manager)?;
        entry(&mut map, "operation", &e.operation)?;
        entry(&mut map, "apiVersion", &e.api_version)?;
        entry(&mut map, "time", &e.time)?;
        entry(&mut map, "fieldsType", &e.fields_type)?;
        entry(&mut map, "fieldsV1", &e.fields_v1)?;
        entry(&mut map, "subresource", &e.subresource)?;
        map.end()
    }
}

/// Writes a field that is set (`omitempty`, as Go's JSON tags say).
fn entry<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(value) => map.serialize_entry(key, value),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_in_go_order() {
        let meta = ObjectMeta {
            uid: Some("u".into()),
            name: Some("n".into()),
            managed_fields: Some(vec![ManagedFieldsEntry {
                time: None,
                api_version: Some("v".into()),
                manager: Some("m".into()),
                ..ManagedFieldsEntry::default()
            }]),
            ..ObjectMeta::default()
        };
        let json = serde_json::to_string(&GoObjectMeta(&meta)).unwrap();
        assert_eq!(
            json,
            r#"{"name":"n","uid":"u","managedFields":[{"manager":"m","apiVersion":"v"}]}"#
        );
    }
}
