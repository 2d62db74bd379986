//! The `meta.k8s.io/v1` server-side printing types: what `kubectl get` receives when it asks
//! for `application/json;as=Table;v=v1;g=meta.k8s.io`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, ObjectMeta};
use serde::{Deserialize, Serialize};

/// A tabular view of a list of objects, rendered by the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    /// `meta.k8s.io/v1` (or `meta.k8s.io/v1beta1`).
    pub api_version: String,
    /// Always `Table`.
    pub kind: String,
    /// The list's resourceVersion, continue token and remaining item count.
    #[serde(default)]
    pub metadata: ListMeta,
    /// The columns; may be empty on watch events after the first.
    #[serde(default, deserialize_with = "null_as_default")]
    pub column_definitions: Vec<TableColumnDefinition>,
    /// One row per object.
    #[serde(default, deserialize_with = "null_as_default")]
    pub rows: Vec<TableRow>,
}

/// Describes one column of a [`Table`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableColumnDefinition {
    /// The column header.
    pub name: String,
    /// An OpenAPI type: `string`, `integer`, `number`, `boolean` or `date`.
    #[serde(rename = "type")]
    pub type_: String,
    /// An OpenAPI format hint such as `name`.
    #[serde(default)]
    pub format: String,
    /// What the column shows.
    #[serde(default)]
    pub description: String,
    /// 0 for the default view; higher priorities are shown only with `-o wide`.
    #[serde(default)]
    pub priority: i32,
}

/// One row of a [`Table`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableRow {
    /// One cell per column definition.
    pub cells: Vec<serde_json::Value>,
    /// Row conditions (such as `Completed`), rarely used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<serde_json::Value>>,
    /// The object the row shows, as asked by `includeObject`: a `PartialObjectMetadata`
    /// (the default), the full object, or nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<serde_json::Value>,
}

/// An object's metadata alone (`meta.k8s.io/v1` `PartialObjectMetadata`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialObjectMetadata {
    /// `meta.k8s.io/v1`.
    pub api_version: String,
    /// `PartialObjectMetadata`.
    pub kind: String,
    /// The object's metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
}

/// A list of [`PartialObjectMetadata`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialObjectMetadataList {
    /// `meta.k8s.io/v1`.
    pub api_version: String,
    /// `PartialObjectMetadataList`.
    pub kind: String,
    /// The list's resourceVersion and continue token.
    #[serde(default)]
    pub metadata: ListMeta,
    /// The items.
    #[serde(default, deserialize_with = "null_as_default")]
    pub items: Vec<PartialObjectMetadata>,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
