//! Every output format, in one place: server-printed tables (comfy-table, kubectl's layout),
//! `json`, `yaml`, `name`, `wide`, `jsonpath=…`, `custom-columns=…`.

use std::io::Write;

use clap::Args;
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Width};
use foo_sdk::table::{Table, TableColumnDefinition, TableRow};
use serde_json::Value;

use crate::api::KIND_GROUP;
use crate::error::{Error, Result};

/// The printer flags of `list` and `get`.
#[derive(Clone, Debug, Default, Args)]
pub struct PrintFlags {
    /// Output format: json|yaml|name|wide|jsonpath=TEMPLATE|custom-columns=SPEC
    #[arg(short = 'o', long, value_name = "FORMAT")]
    pub output: Option<String>,
    /// Don't print headers
    #[arg(long)]
    pub no_headers: bool,
    /// Show all labels as the last column
    #[arg(long)]
    pub show_labels: bool,
}

/// A parsed `-o` value.
#[derive(Clone, Debug, PartialEq)]
pub enum Format {
    /// The server's table, priority-0 columns.
    Table,
    /// The server's table, every column.
    Wide,
    /// JSON with 4-space indentation, keys sorted (as kubectl prints).
    Json,
    /// YAML, keys sorted.
    Yaml,
    /// `foo.demo.jeremyxu2010.me/<name>`.
    Name,
    /// A kubectl JSONPath template.
    JsonPath(String),
    /// `HEADER:.path,…`
    CustomColumns(Vec<(String, String)>),
}

impl Format {
    /// Parses `-o`.
    pub fn parse(output: Option<&str>) -> Result<Format> {
        let Some(output) = output else {
            return Ok(Format::Table);
        };
        let (kind, arg) = match output.split_once('=') {
            Some((k, a)) => (k, Some(a)),
            None => (output, None),
        };
        Ok(match (kind, arg) {
            ("json", None) => Format::Json,
            ("yaml", None) => Format::Yaml,
            ("name", None) => Format::Name,
            ("wide", None) => Format::Wide,
            ("jsonpath" | "jsonpath-as-json", Some(t)) if !t.is_empty() => {
                Template::parse(t)?;
                Format::JsonPath(t.to_string())
            }
            ("custom-columns", Some(spec)) if !spec.is_empty() => {
                let mut columns = Vec::new();
                for part in spec.split(',') {
                    let Some((header, path)) = part.split_once(':') else {
                        return Err(Error::usage(format!(
                            "custom-columns format specified but no custom columns given: \"{part}\" is not HEADER:JSONPATH"
                        )));
                    };
                    Template::parse(&braced(path))?;
                    columns.push((header.to_string(), path.to_string()));
                }
                Format::CustomColumns(columns)
            }
            _ => {
                return Err(Error::usage(format!(
                    "unable to match a printer suitable for the output format \"{output}\", allowed formats are: custom-columns,json,jsonpath,name,wide,yaml"
                )));
            }
        })
    }

    /// Whether this format prints whole objects (not the server's table).
    pub fn needs_objects(&self) -> bool {
        !matches!(self, Format::Table | Format::Wide)
    }
}

/// Wraps a bare JSONPath expression (`.a.b`) in braces, as kubectl does for custom columns
/// and `--sort-by`.
pub fn braced(path: &str) -> String {
    let path = path.trim();
    if path.starts_with('{') {
        path.to_string()
    } else {
        format!("{{{path}}}")
    }
}

/// Renders a server Table in kubectl's layout. `wide` shows every column; `labels` adds
/// LABELS from the rows' objects.
pub fn render_table(table: &Table, wide: bool, headers: bool, labels: bool) -> String {
    render_table_min(table, wide, headers, labels, &[]).0
}

/// [`render_table`] with minimum column widths (see [`layout_min`]).
pub fn render_table_min(
    table: &Table,
    wide: bool,
    headers: bool,
    labels: bool,
    min_widths: &[usize],
) -> (String, Vec<usize>) {
    let columns: Vec<(usize, &TableColumnDefinition)> = table
        .column_definitions
        .iter()
        .enumerate()
        .filter(|(_, c)| wide || c.priority == 0)
        .collect();
    let mut header_row: Vec<String> = columns.iter().map(|(_, c)| c.name.to_uppercase()).collect();
    if labels {
        header_row.push("LABELS".to_string());
    }
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|row| {
            let mut cells: Vec<String> = columns
                .iter()
                .map(|(i, _)| cell_text(row.cells.get(*i)))
                .collect();
            if labels {
                cells.push(labels_of(row));
            }
            cells
        })
        .collect();
    let mut header_row = Some(header_row);
    if !headers {
        // Still count the headers' widths so later rows line up with the first ones.
        let widths: Vec<usize> = header_row
            .take()
            .unwrap_or_default()
            .iter()
            .map(|h| h.len() + 3)
            .collect();
        let min: Vec<usize> = widths
            .iter()
            .zip(min_widths.iter().chain(std::iter::repeat(&0)))
            .map(|(a, b)| *a.max(b))
            .collect();
        return layout_min(None, rows, &min);
    }
    layout_min(header_row, rows, min_widths)
}

/// Lays out rows as kubectl's tabwriter does: left-aligned, three spaces between columns,
/// no trailing spaces.
pub fn layout(header: Option<Vec<String>>, rows: Vec<Vec<String>>) -> String {
    layout_min(header, rows, &[]).0
}

/// [`layout`] with minimum column widths (padding included), returning the widths used so
/// that rows printed later (watch events) line up with the first ones.
pub fn layout_min(
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
    min_widths: &[usize],
) -> (String, Vec<usize>) {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty();
    let width = header
        .as_ref()
        .map(Vec::len)
        .or_else(|| rows.first().map(Vec::len))
        .unwrap_or(0);
    if width == 0 {
        return (String::new(), Vec::new());
    }
    let mut widths = vec![0usize; width];
    for row in header.iter().chain(rows.iter()) {
        for (i, cell) in row.iter().enumerate().take(width) {
            widths[i] = widths[i].max(cell.chars().count() + 3).max(6);
        }
    }
    for (w, m) in widths.iter_mut().zip(min_widths) {
        *w = (*w).max(*m);
    }
    if let Some(header) = header {
        table.add_row(header);
    }
    for row in rows {
        table.add_row(row);
    }
    for (i, column) in table.column_iter_mut().enumerate() {
        column.set_cell_alignment(CellAlignment::Left);
        if i + 1 < width {
            column.set_padding((0, 3));
            // tabwriter's minimum cell width (6, padding included)
            let min = u16::try_from(widths[i]).unwrap_or(u16::MAX);
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(min)));
        } else {
            column.set_padding((0, 0));
        }
    }
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    (out, widths)
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

fn labels_of(row: &TableRow) -> String {
    let labels = row
        .object
        .as_ref()
        .and_then(|o| o["metadata"]["labels"].as_object());
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

/// Sorts a Table's rows (which must carry full objects) by a JSONPath expression.
pub fn sort_rows(table: &mut Table, expr: &str) -> Result<()> {
    let template = Template::parse(&braced(expr))?;
    let mut keyed: Vec<(Vec<Value>, TableRow)> = Vec::new();
    for row in table.rows.drain(..) {
        let object = row.object.clone().unwrap_or(Value::Null);
        let key = template.values(&object)?;
        keyed.push((key, row));
    }
    keyed.sort_by(|(a, _), (b, _)| compare_values(a, b));
    table.rows = keyed.into_iter().map(|(_, r)| r).collect();
    Ok(())
}

/// Sorts objects by a JSONPath expression.
pub fn sort_objects(items: &mut [Value], expr: &str) -> Result<()> {
    let template = Template::parse(&braced(expr))?;
    let mut keys = Vec::new();
    for item in items.iter() {
        keys.push(template.values(item)?);
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| compare_values(&keys[a], &keys[b]));
    let sorted: Vec<Value> = order.iter().map(|&i| items[i].clone()).collect();
    items.clone_from_slice(&sorted);
    Ok(())
}

fn compare_values(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    for (x, y) in a.iter().zip(b.iter()) {
        let ord = match (x, y) {
            (Value::Number(x), Value::Number(y)) => x
                .as_f64()
                .partial_cmp(&y.as_f64())
                .unwrap_or(Ordering::Equal),
            (Value::String(x), Value::String(y)) => x.cmp(y),
            (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
            (x, y) => x.to_string().cmp(&y.to_string()),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// Sorts object keys recursively (Go's encoding sorts map keys; kubectl output is sorted).
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// JSON as kubectl prints it: 4-space indentation, sorted keys, a final newline.
pub fn to_json(value: &Value) -> Result<String> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(&sorted(value), &mut ser)?;
    out.push(b'\n');
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// YAML with sorted keys.
pub fn to_yaml(value: &Value) -> Result<String> {
    let mut text = serde_saphyr::to_string(&sorted(value))
        .map_err(|e| Error::msg(format!("cannot write YAML: {e}")))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// kubectl's `kind.group/name`.
pub fn name_of(object: &Value) -> String {
    format!(
        "{KIND_GROUP}/{}",
        object["metadata"]["name"].as_str().unwrap_or_default()
    )
}

/// Prints objects in an object format. `single` prints a lone object rather than a `List`.
pub fn print_objects(
    format: &Format,
    items: &[Value],
    single: bool,
    headers: bool,
) -> Result<String> {
    let items: Vec<Value> = items.iter().map(without_managed_fields).collect();
    let items = &items[..];
    let as_value = || {
        if single && items.len() == 1 {
            items[0].clone()
        } else {
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "List",
                "metadata": {"resourceVersion": ""},
                "items": items,
            })
        }
    };
    match format {
        Format::Json => to_json(&as_value()),
        Format::Yaml => to_yaml(&as_value()),
        Format::Name => Ok(items.iter().map(|i| name_of(i) + "\n").collect()),
        Format::JsonPath(t) => Template::parse(t)?.render(&as_value()),
        Format::CustomColumns(columns) => {
            let templates = columns
                .iter()
                .map(|(_, p)| Template::parse(&braced(p)))
                .collect::<Result<Vec<_>>>()?;
            let mut rows = Vec::new();
            for item in items {
                let mut row = Vec::new();
                for t in &templates {
                    let values = t.values(item)?;
                    row.push(if values.is_empty() {
                        "<none>".to_string()
                    } else {
                        values.iter().map(plain).collect::<Vec<_>>().join(",")
                    });
                }
                rows.push(row);
            }
            let header = columns.iter().map(|(h, _)| h.clone()).collect();
            Ok(layout(headers.then_some(header), rows))
        }
        Format::Table | Format::Wide => Err(Error::msg("a table needs the server's Table")),
    }
}

/// Objects printed one at a time, as `kubectl get -w` prints them: each on its own, never in a
/// `List`; YAML documents separated by `---`; custom columns' header once, first.
pub struct ObjectStream<'a> {
    format: &'a Format,
    headers: bool,
    printed: usize,
}

impl<'a> ObjectStream<'a> {
    pub fn new(format: &'a Format, headers: bool) -> Self {
        ObjectStream {
            format,
            headers,
            printed: 0,
        }
    }

    pub fn print(&mut self, object: &Value) -> Result<String> {
        let first = self.printed == 0;
        let mut text = print_objects(
            self.format,
            std::slice::from_ref(object),
            true,
            self.headers && first,
        )?;
        if *self.format == Format::Yaml && !first {
            text.insert_str(0, "---\n");
        }
        self.printed += 1;
        Ok(text)
    }
}

/// kubectl hides `metadata.managedFields` unless asked (`--show-managed-fields`).
fn without_managed_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    object
}

/// Writes to stdout, ignoring a closed pipe (`| head`).
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A kubectl JSONPath template: text, `{expr}`, `{range expr}…{end}`, `{"literal"}`.
#[derive(Debug)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Expr(String),
    Range(String, Vec<Node>),
}

impl Template {
    /// Parses a template.
    pub fn parse(text: &str) -> Result<Template> {
        let mut stack: Vec<(String, Vec<Node>)> = vec![(String::new(), Vec::new())];
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find('{') {
                None => {
                    push_text(&mut stack, rest);
                    rest = "";
                }
                Some(start) => {
                    push_text(&mut stack, &rest[..start]);
                    let after = &rest[start + 1..];
                    let end = find_close(after).ok_or_else(|| {
                        Error::usage(format!("error parsing jsonpath {text}: unclosed action"))
                    })?;
                    let inner = after[..end].trim();
                    rest = &after[end + 1..];
                    if let Some(expr) = inner.strip_prefix("range ") {
                        stack.push((expr.trim().to_string(), Vec::new()));
                    } else if inner == "end" {
                        if stack.len() < 2 {
                            return Err(Error::usage(format!(
                                "error parsing jsonpath {text}: not in range"
                            )));
                        }
                        let (expr, nodes) = stack.pop().expect("range");
                        stack
                            .last_mut()
                            .expect("root")
                            .1
                            .push(Node::Range(expr, nodes));
                    } else if inner.starts_with('"') && inner.ends_with('"') && inner.len() >= 2 {
                        let literal: String = serde_json::from_str(inner)
                            .unwrap_or_else(|_| inner[1..inner.len() - 1].to_string());
                        push_text(&mut stack, &literal);
                    } else {
                        let expr = inner.to_string();
                        to_rfc(&expr);
                        stack.last_mut().expect("root").1.push(Node::Expr(expr));
                    }
                }
            }
        }
        if stack.len() != 1 {
            return Err(Error::usage(format!(
                "error parsing jsonpath {text}: unclosed range"
            )));
        }
        Ok(Template {
            nodes: stack.pop().expect("root").1,
        })
    }

    /// Renders the template against `data`.
    pub fn render(&self, data: &Value) -> Result<String> {
        let mut out = String::new();
        render_nodes(&self.nodes, data, &mut out)?;
        Ok(out)
    }

    /// The values of every expression of the template (for sorting and custom columns).
    pub fn values(&self, data: &Value) -> Result<Vec<Value>> {
        let mut values = Vec::new();
        for node in &self.nodes {
            if let Node::Expr(e) = node {
                values.extend(query(e, data)?);
            }
        }
        Ok(values)
    }
}

fn push_text(stack: &mut [(String, Vec<Node>)], text: &str) {
    if text.is_empty() {
        return;
    }
    let nodes = &mut stack.last_mut().expect("root").1;
    if let Some(Node::Text(t)) = nodes.last_mut() {
        t.push_str(text);
    } else {
        nodes.push(Node::Text(text.to_string()));
    }
}

fn find_close(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '}') => return Some(i),
            _ => {}
        }
    }
    None
}

/// kubectl's `.a.b[*]` (relative to the current node) as RFC 9535 `$.a.b[*]`.
fn to_rfc(expr: &str) -> String {
    let expr = expr.trim();
    if expr == "@" || expr == "$" || expr.is_empty() {
        return "$".to_string();
    }
    let body = expr
        .strip_prefix('$')
        .or_else(|| expr.strip_prefix('@'))
        .unwrap_or(expr);
    let body = if body.starts_with('.') || body.starts_with('[') {
        body.to_string()
    } else {
        format!(".{body}")
    };
    format!("${body}")
}

fn query(expr: &str, data: &Value) -> Result<Vec<Value>> {
    let path = to_rfc(expr);
    if path == "$" {
        return Ok(vec![data.clone()]);
    }
    jsonpath_rust::query::js_path_vals(&path, data)
        .map(|v| v.into_iter().cloned().collect())
        .map_err(|e| Error::usage(format!("error parsing jsonpath {expr}: {e}")))
}

fn render_nodes(nodes: &[Node], data: &Value, out: &mut String) -> Result<()> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Expr(e) => {
                let values = query(e, data)?;
                let text: Vec<String> = values.iter().map(plain).collect();
                out.push_str(&text.join(" "));
            }
            Node::Range(e, body) => {
                for item in query(e, data)? {
                    render_nodes(body, &item, out)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonpath_templates() {
        let data = json!({"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]});
        let t = Template::parse("{range .items[*]}{.metadata.name}{\"\\n\"}{end}").unwrap();
        assert_eq!(t.render(&data).unwrap(), "a\nb\n");
        let t = Template::parse("{.items[*].metadata.name}").unwrap();
        assert_eq!(t.render(&data).unwrap(), "a b");
        let t = Template::parse("names: {.items[0].metadata.name}").unwrap();
        assert_eq!(t.render(&data).unwrap(), "names: a");
    }

    #[test]
    fn formats() {
        assert_eq!(Format::parse(Some("json")).unwrap(), Format::Json);
        assert!(Format::parse(Some("xml")).is_err());
        assert!(matches!(
            Format::parse(Some("custom-columns=N:.metadata.name")).unwrap(),
            Format::CustomColumns(_)
        ));
    }

    #[test]
    fn table_layout() {
        let text = layout(
            Some(vec!["NAME".into(), "GREETING".into(), "AGE".into()]),
            vec![vec!["a".into(), "Hello".into(), "5s".into()]],
        );
        assert_eq!(text, "NAME   GREETING   AGE\na      Hello      5s\n");
    }
}
