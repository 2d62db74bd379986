//! The `meta.k8s.io/v1` server-side printing types: what `kubectl get` receives when it asks
//! for `application/json;as=Table;v=v1;g=meta.k8s.io`.
//!
//! The server decides the columns and renders the cells (ages such as `5m` included); a
//! client only lays them out. [`Table::to_text`] does that as kubectl does:
//!
//! ```
//! use foo_sdk::table::Table;
//!
//! let table: Table = serde_json::from_value(serde_json::json!({
//!     "apiVersion": "meta.k8s.io/v1", "kind": "Table", "metadata": {},
//!     "columnDefinitions": [
//!         {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
//!         {"name": "Bars", "type": "integer", "format": "", "description": "", "priority": 0},
//!         {"name": "Message", "type": "string", "format": "", "description": "", "priority": 1}
//!     ],
//!     "rows": [{"cells": ["hello", 3, "Hello, world"],
//!               "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
//!                          "metadata": {"name": "hello"}}}]
//! }))
//! .unwrap();
//! assert_eq!(table.to_text(false), "NAME    BARS\nhello   3\n");
//! assert_eq!(table.cell(0, "Message").and_then(|c| c.as_str()), Some("Hello, world"));
//! assert_eq!(table.rows[0].name(), Some("hello"));
//! ```

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, ObjectMeta};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `Accept` header that asks for a `meta.k8s.io` Table (v1, else v1beta1).
pub const ACCEPT_TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io";

/// What each [`TableRow::object`] holds: the `includeObject` query parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IncludeObject {
    /// No object: rows have cells only.
    None,
    /// A [`PartialObjectMetadata`] (the server's default).
    #[default]
    Metadata,
    /// The full object.
    Object,
}

impl IncludeObject {
    /// The query parameter value: `None`, `Metadata` or `Object`.
    pub fn as_str(self) -> &'static str {
        match self {
            IncludeObject::None => "None",
            IncludeObject::Metadata => "Metadata",
            IncludeObject::Object => "Object",
        }
    }
}

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

/// A row of a Foo [`Table`] with the server's columns as fields, the cells as the server
/// rendered them (ages such as `5m`, `<none>` for a time not yet set).
///
/// ```
/// use foo_sdk::table::{FooRow, Table};
///
/// let names = ["Name", "Greeting", "Bars", "Ready", "Age", "Suspended", "Last Bar", "Message"];
/// let columns: Vec<_> = names
///     .iter()
///     .map(|name| serde_json::json!({"name": name, "type": "", "format": "", "description": "", "priority": 0}))
///     .collect();
/// let table: Table = serde_json::from_value(serde_json::json!({
///     "apiVersion": "meta.k8s.io/v1", "kind": "Table", "metadata": {},
///     "columnDefinitions": columns,
///     "rows": [{"cells": ["hello", "Hi", 3, "True", "5m", false, "2m", "Hi, world"]}]
/// }))
/// .unwrap();
/// let rows = FooRow::from_table(&table).unwrap();
/// assert_eq!(rows[0].name, "hello");
/// assert_eq!(rows[0].bars, 3);
/// assert!(rows[0].is_ready() && !rows[0].suspended);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FooRow {
    /// `Name`: the Foo's name.
    pub name: String,
    /// `Greeting`: the greeting bar answers with.
    pub greeting: String,
    /// `Bars`: how many times bar has been invoked.
    pub bars: i64,
    /// `Ready`: the status of the Ready condition (`True`, `False` or `Unknown`).
    pub ready: String,
    /// `Age`: how long ago the Foo was created.
    pub age: String,
    /// `Suspended` (wide): whether the Foo refuses bar.
    pub suspended: bool,
    /// `Last Bar` (wide): how long ago bar was last invoked.
    pub last_bar: String,
    /// `Message` (wide): the message bar last answered.
    pub message: String,
}

/// Why a [`Table`] does not read as [`FooRow`]s: a column missing, or a cell of another type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FooRowError {
    /// The column.
    pub column: &'static str,
    /// The row (from 0), when a cell was wrong rather than the column missing.
    pub row: Option<usize>,
}

impl std::fmt::Display for FooRowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.row {
            None => write!(f, "the table has no column {:?}", self.column),
            Some(row) => write!(
                f,
                "row {row}: column {:?} has a cell of another type",
                self.column
            ),
        }
    }
}

impl std::error::Error for FooRowError {}

impl FooRow {
    /// Every row of a Foo Table, each column found by its name (so column order and
    /// columns added later do not matter).
    pub fn from_table(table: &Table) -> Result<Vec<FooRow>, FooRowError> {
        let index = |column: &'static str| {
            table
                .column_index(column)
                .ok_or(FooRowError { column, row: None })
        };
        let columns = [
            index("Name")?,
            index("Greeting")?,
            index("Bars")?,
            index("Ready")?,
            index("Age")?,
            index("Suspended")?,
            index("Last Bar")?,
            index("Message")?,
        ];
        let [
            name,
            greeting,
            bars,
            ready,
            age,
            suspended,
            last_bar,
            message,
        ] = columns;
        table
            .rows
            .iter()
            .enumerate()
            .map(|(at, row)| {
                let wrong = |column| FooRowError {
                    column,
                    row: Some(at),
                };
                let text = |i: usize, column| {
                    row.cell(i)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| wrong(column))
                };
                Ok(FooRow {
                    name: text(name, "Name")?,
                    greeting: text(greeting, "Greeting")?,
                    bars: row
                        .cell(bars)
                        .and_then(Value::as_i64)
                        .ok_or_else(|| wrong("Bars"))?,
                    ready: text(ready, "Ready")?,
                    age: text(age, "Age")?,
                    suspended: row
                        .cell(suspended)
                        .and_then(Value::as_bool)
                        .ok_or_else(|| wrong("Suspended"))?,
                    last_bar: text(last_bar, "Last Bar")?,
                    message: text(message, "Message")?,
                })
            })
            .collect()
    }

    /// Whether the Ready condition is `True`.
    pub fn is_ready(&self) -> bool {
        self.ready == "True"
    }
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

impl Table {
    /// The position of the column named `name` (as the server names it, e.g. `Last Bar`;
    /// compared without regard to ASCII case).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.column_definitions
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&TableColumnDefinition> {
        self.column_index(name).map(|i| &self.column_definitions[i])
    }

    /// The cell of row `row` in the column named `column`.
    pub fn cell(&self, row: usize, column: &str) -> Option<&Value> {
        self.rows.get(row)?.cells.get(self.column_index(column)?)
    }

    /// The columns `kubectl get` shows: priority 0 only, or all of them when `wide`
    /// (`-o wide`), with their positions.
    pub fn visible_columns(&self, wide: bool) -> Vec<(usize, &TableColumnDefinition)> {
        self.column_definitions
            .iter()
            .enumerate()
            .filter(|(_, c)| wide || c.priority == 0)
            .collect()
    }

    /// The continue token of this page, when more rows follow.
    pub fn continue_token(&self) -> Option<&str> {
        self.metadata.continue_.as_deref().filter(|c| !c.is_empty())
    }

    /// The resourceVersion the Table was read at: where a watch can start from.
    pub fn resource_version(&self) -> Option<&str> {
        self.metadata.resource_version.as_deref()
    }

    /// The Table as `kubectl get` prints it: upper-case headers, columns padded to their
    /// widest cell and three spaces apart, one line per row. Without `wide` only priority 0
    /// columns appear.
    pub fn to_text(&self, wide: bool) -> String {
        let columns = self.visible_columns(wide);
        let mut lines: Vec<Vec<String>> = Vec::with_capacity(self.rows.len() + 1);
        lines.push(columns.iter().map(|(_, c)| c.name.to_uppercase()).collect());
        for row in &self.rows {
            lines.push(columns.iter().map(|(i, _)| row.cell_text(*i)).collect());
        }
        let mut widths = vec![0; columns.len()];
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for line in &lines {
            let mut text = String::new();
            for (i, cell) in line.iter().enumerate() {
                text.push_str(cell);
                if i + 1 < line.len() {
                    let pad = widths[i] - cell.chars().count() + 3;
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }
}

impl TableRow {
    /// The cell at position `index`.
    pub fn cell(&self, index: usize) -> Option<&Value> {
        self.cells.get(index)
    }

    /// The cell at position `index` as text, as kubectl prints it: strings as they are,
    /// numbers and booleans in JSON form, `<none>` for a missing or null cell.
    pub fn cell_text(&self, index: usize) -> String {
        match self.cells.get(index) {
            None | Some(Value::Null) => "<none>".to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }
    }

    /// `metadata.name` of the row's object, whichever form `includeObject` gave it.
    pub fn name(&self) -> Option<&str> {
        self.object.as_ref()?.get("metadata")?.get("name")?.as_str()
    }

    /// The row's object metadata as a [`PartialObjectMetadata`]: present for
    /// `includeObject=Metadata` (the default) and, reduced to its metadata, for `Object`;
    /// `None` when the row carries no object, an error when its metadata does not decode.
    pub fn partial_object(&self) -> Option<Result<PartialObjectMetadata, serde_json::Error>> {
        let object = self.object.as_ref()?;
        let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default();
        let metadata = object.get("metadata").unwrap_or(&Value::Null);
        Some(
            ObjectMeta::deserialize(metadata).map(|metadata| PartialObjectMetadata {
                api_version: text("apiVersion").to_owned(),
                kind: text("kind").to_owned(),
                metadata,
            }),
        )
    }

    /// The row's object decoded as `T`, e.g. a [`Foo`](crate::Foo) for
    /// `includeObject=Object`; `None` when the row carries no object.
    pub fn object_as<T: DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        self.object.as_ref().map(|o| T::deserialize(o))
    }
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
