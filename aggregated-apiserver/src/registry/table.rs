//! Server-side printing: the columns a kind declares for `meta.k8s.io` Tables, and Go's
//! default ones.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde_json::{Value, json};

use crate::openapi::{CREATION_TIMESTAMP_DESCRIPTION, NAME_DESCRIPTION};

/// One column of a kind's server-side printing, as `meta.k8s.io` Tables declare it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableColumnDefinition {
    /// The column header.
    pub name: String,
    /// An OpenAPI type: `string`, `integer`, `number`, `boolean` or `date`.
    #[serde(rename = "type")]
    pub type_: String,
    /// An OpenAPI format hint such as `name`, or empty.
    pub format: String,
    /// What the column shows.
    pub description: String,
    /// 0 for the default view; higher priorities are shown only with `-o wide`.
    pub priority: i32,
}

impl TableColumnDefinition {
    /// A column of the default view (priority 0), with no format.
    ///
    /// ```
    /// use aggregated_apiserver::registry::TableColumnDefinition;
    ///
    /// let bars = TableColumnDefinition::new("Bars", "integer", "How many times bar ran.");
    /// assert_eq!((bars.priority, bars.format.as_str()), (0, ""));
    /// assert_eq!(bars.wide().priority, 1);
    /// ```
    pub fn new(name: &str, type_: &str, description: &str) -> Self {
        TableColumnDefinition {
            name: name.into(),
            type_: type_.into(),
            format: String::new(),
            description: description.into(),
            priority: 0,
        }
    }

    /// The column, shown only with `-o wide` (priority 1).
    pub fn wide(self) -> Self {
        TableColumnDefinition {
            priority: 1,
            ..self
        }
    }

    /// The Name column kube-apiserver's Tables start with, described as ObjectMeta's `name`.
    ///
    /// ```
    /// use aggregated_apiserver::registry::TableColumnDefinition;
    ///
    /// let name = TableColumnDefinition::object_name();
    /// assert_eq!((name.name.as_str(), name.format.as_str()), ("Name", "name"));
    /// ```
    pub fn object_name() -> Self {
        TableColumnDefinition {
            format: "name".into(),
            ..Self::new("Name", "string", NAME_DESCRIPTION)
        }
    }

    /// A `date` column of the object's creation, headed `header` (`Age`; Go's default
    /// Table says `Created At`), described as ObjectMeta's `creationTimestamp`.
    pub fn creation_timestamp(header: &str) -> Self {
        Self::new(header, "date", CREATION_TIMESTAMP_DESCRIPTION)
    }
}

/// The columns of Go's default Table (`rest.NewDefaultTableConvertor`), for a kind that
/// prints nothing of its own: its name and when it was created.
///
/// ```
/// use aggregated_apiserver::registry::default_table_columns;
///
/// let headers: Vec<_> = default_table_columns().into_iter().map(|c| c.name).collect();
/// assert_eq!(headers, ["Name", "Created At"]);
/// ```
pub fn default_table_columns() -> Vec<TableColumnDefinition> {
    vec![
        TableColumnDefinition::object_name(),
        TableColumnDefinition::creation_timestamp("Created At"),
    ]
}

/// The cells of [`default_table_columns`] for an object with `meta`.
///
/// ```
/// use aggregated_apiserver::registry::default_table_cells;
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
///
/// let meta = ObjectMeta { name: Some("one".into()), ..ObjectMeta::default() };
/// assert_eq!(default_table_cells(&meta), [serde_json::json!("one"), serde_json::Value::Null]);
/// ```
pub fn default_table_cells(meta: &ObjectMeta) -> Vec<Value> {
    let created = meta.creation_timestamp.as_ref().map(|t| t.0.to_string());
    vec![json!(meta.name), json!(created)]
}
