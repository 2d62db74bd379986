//! Server-printed tables in kubectl's layout, with the columns kubectl adds to them.

use foo_sdk::table::{Table, TableColumnDefinition, TableRow};
use serde_json::Value;

use super::tabwriter::layout_min;
use crate::api::KIND_GROUP;

/// How a server Table is printed: which of its columns, and what kubectl adds to them.
#[derive(Clone, Debug, Default)]
pub struct TableStyle {
    /// Every column, not only those of priority 0 (`-o wide`).
    pub wide: bool,
    /// The header line (`--no-headers` turns it off).
    pub headers: bool,
    /// A LABELS column last (`--show-labels`).
    pub show_labels: bool,
    /// A column per label key, after the server's columns (`-L`).
    pub label_columns: Vec<String>,
    /// Names as `foo.demo.jeremyxu2010.me/NAME` (`--show-kind`).
    pub show_kind: bool,
}

/// Renders a server Table in kubectl's layout.
pub fn render_table(table: &Table, style: &TableStyle) -> String {
    render_table_min(table, style, None, &[]).0
}

/// [`render_table`] with an EVENT column first when `event` is given (`--output-watch-events`)
/// and minimum column widths (see [`layout_min`]).
pub fn render_table_min(
    table: &Table,
    style: &TableStyle,
    event: Option<&str>,
    min_widths: &[usize],
) -> (String, Vec<usize>) {
    let columns: Vec<(usize, &TableColumnDefinition)> = table
        .column_definitions
        .iter()
        .enumerate()
        .filter(|(_, c)| style.wide || c.priority == 0)
        .collect();
    // kubectl prefixes the first column that holds names.
    let name_column = table
        .column_definitions
        .iter()
        .position(|c| c.format == "name" && c.type_ == "string")
        .filter(|_| style.show_kind);
    let mut header_row: Vec<String> = event.map(|_| "EVENT".to_owned()).into_iter().collect();
    header_row.extend(columns.iter().map(|(_, c)| c.name.to_uppercase()));
    header_row.extend(style.label_columns.iter().map(|key| label_header(key)));
    if style.show_labels {
        header_row.push("LABELS".to_string());
    }
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|row| {
            let labels = labels_of(row);
            let mut cells: Vec<String> = event.map(str::to_owned).into_iter().collect();
            cells.extend(columns.iter().map(|(i, _)| {
                let text = cell_text(row.cells.get(*i));
                match name_column == Some(*i) {
                    true => format!("{KIND_GROUP}/{text}"),
                    false => text,
                }
            }));
            cells.extend(style.label_columns.iter().map(|key| {
                labels
                    .and_then(|labels| labels.get(key))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            }));
            if style.show_labels {
                cells.push(all_labels(labels));
            }
            cells
        })
        .collect();
    // kubectl sizes the EVENT column for its widest value from the start.
    let event_width = ["EVENT", "MODIFIED"]
        .map(str::len)
        .into_iter()
        .max()
        .unwrap_or(0)
        + 3;
    let min_widths = match (event, min_widths) {
        (Some(_), []) => &[event_width][..],
        _ => min_widths,
    };
    layout_min(style.headers.then_some(header_row), rows, min_widths)
}

/// A label column's header as kubectl writes it: the key's last `/` part, upper-cased.
fn label_header(key: &str) -> String {
    key.rsplit('/').next().unwrap_or(key).to_uppercase()
}

fn labels_of(row: &TableRow) -> Option<&serde_json::Map<String, Value>> {
    row.object.as_ref()?["metadata"]["labels"].as_object()
}

/// `k=v,…` sorted by key, or `<none>`.
fn all_labels(labels: Option<&serde_json::Map<String, Value>>) -> String {
    match labels {
        Some(map) if !map.is_empty() => {
            let mut pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            pairs.sort();
            pairs.join(",")
        }
        _ => "<none>".to_string(),
    }
}

fn cell_text(cell: Option<&Value>) -> String {
    match cell {
        None | Some(Value::Null) => "<none>".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn kubectl_columns_for_kind_labels_and_events() {
        let table: Table = serde_json::from_value(json!({
            "apiVersion": "meta.k8s.io/v1", "kind": "Table", "metadata": {},
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
                {"name": "Bars", "type": "integer", "format": "", "description": "", "priority": 1}
            ],
            "rows": [
                {"cells": ["a", 1], "object": {"metadata": {"labels": {"example.com/team": "x", "tier": "web"}}}},
                {"cells": ["b", 2], "object": {"metadata": {}}}
            ],
        }))
        .unwrap();
        let style = TableStyle {
            headers: true,
            show_kind: true,
            show_labels: true,
            label_columns: vec!["example.com/team".into(), "nope".into()],
            ..TableStyle::default()
        };
        assert_eq!(
            render_table_min(&table, &style, Some("ADDED"), &[]).0,
            "EVENT      NAME                         TEAM   NOPE   LABELS\n\
             ADDED      foo.demo.jeremyxu2010.me/a   x             example.com/team=x,tier=web\n\
             ADDED      foo.demo.jeremyxu2010.me/b                 <none>\n"
        );
    }
}
