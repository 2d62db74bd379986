//! Every output format, in one place: server-printed tables (in the layout of kubectl's tabwriter),
//! `json`, `yaml`, `name`, `wide`, `jsonpath=…`, `custom-columns=…`.

use std::io::Write;

use clap::Args;
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
    /// A kubectl JSONPath template whose every result is printed as a JSON array.
    JsonPathAsJson(String),
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
            ("jsonpath", Some(t)) if !t.is_empty() => {
                Template::parse(t)?;
                Format::JsonPath(t.to_string())
            }
            ("jsonpath-as-json", Some(t)) if !t.is_empty() => {
                Template::parse(t)?;
                Format::JsonPathAsJson(t.to_string())
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
    layout_min(headers.then_some(header_row), rows, min_widths)
}

/// Lays out rows as kubectl's tabwriter does: cells separated by tabs and padded to their
/// column's width (the widest text plus three spaces, six at least), the last cell of a
/// line as it is, so a line whose last cell is empty ends in the padding of the one before.
pub fn layout(header: Option<Vec<String>>, rows: Vec<Vec<String>>) -> String {
    layout_min(header, rows, &[]).0
}

/// [`layout`] with minimum column widths (padding included), returning the widths used so
/// that rows printed later (watch events) line up with the first ones, as kubectl's
/// tabwriter remembers them.
pub fn layout_min(
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
    min_widths: &[usize],
) -> (String, Vec<usize>) {
    let lines: Vec<Vec<String>> = header.into_iter().chain(rows).collect();
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths: Vec<usize> = (0..columns)
        .map(|i| min_widths.get(i).copied().unwrap_or(0))
        .collect();
    for line in &lines {
        // Only cells a tab ends are padded, and only they count towards a width.
        for (i, cell) in line.iter().enumerate().take(line.len().saturating_sub(1)) {
            widths[i] = widths[i].max(cell.chars().count() + 3).max(6);
        }
    }
    let mut out = String::new();
    for line in &lines {
        for (i, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < line.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
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
    let mut keys = Vec::new();
    for row in &table.rows {
        keys.push(template.values(row.object.as_ref().unwrap_or(&Value::Null))?);
    }
    let order = kubectl_order(&keys);
    let rows = std::mem::take(&mut table.rows);
    let mut rows: Vec<Option<TableRow>> = rows.into_iter().map(Some).collect();
    table.rows = order.iter().filter_map(|&i| rows[i].take()).collect();
    Ok(())
}

/// Sorts objects by a JSONPath expression.
pub fn sort_objects(items: &mut [Value], expr: &str) -> Result<()> {
    let template = Template::parse(&braced(expr))?;
    let mut keys = Vec::new();
    for item in items.iter() {
        keys.push(template.values(item)?);
    }
    let sorted: Vec<Value> = kubectl_order(&keys)
        .iter()
        .map(|&i| items[i].clone())
        .collect();
    items.clone_from_slice(&sorted);
    Ok(())
}

/// The order kubectl's `--sort-by` gives: its comparison (the first value found, an object
/// without one before any other, strings in natural order) applied as Go's `sort.Sort`
/// applies it. That sort is not stable, so ties and missing values land where its
/// insertion sort (12 items or fewer) puts them; longer lists keep ties in listed order,
/// which Go's pattern-defeating quicksort may not.
fn kubectl_order(keys: &[Vec<Value>]) -> Vec<usize> {
    let less = |a: usize, b: usize| match (keys[a].first(), keys[b].first()) {
        (None, _) => true,
        (_, None) => false,
        (Some(x), Some(y)) => value_less(x, y),
    };
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if order.len() <= 12 {
        for i in 1..order.len() {
            let mut j = i;
            while j > 0 && less(order[j], order[j - 1]) {
                order.swap(j, j - 1);
                j -= 1;
            }
        }
    } else {
        order.sort_by(|&a, &b| match (less(a, b), less(b, a)) {
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            _ => std::cmp::Ordering::Equal,
        });
    }
    order
}

/// kubectl's `isLess`: numbers by value, strings in natural order (`a9` before `a10`),
/// false before true, anything else by its JSON text.
fn value_less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() < y.as_f64(),
        (Value::String(x), Value::String(y)) => natural_less(x, y),
        (Value::Bool(x), Value::Bool(y)) => !x & y,
        (x, y) => x.to_string().cmp(&y.to_string()).is_lt(),
    }
}

/// Natural order, as kubectl's (`sortorder.NaturalLess`): runs of digits compare as numbers
/// and come before other characters; other bytes compare as bytes.
fn natural_less(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        match (x.is_ascii_digit(), y.is_ascii_digit()) {
            (true, false) => return true,
            (false, true) => return false,
            (false, false) => {
                if x != y {
                    return x < y;
                }
                i += 1;
                j += 1;
            }
            (true, true) => {
                while i < a.len() && a[i] == b'0' {
                    i += 1;
                }
                while j < b.len() && b[j] == b'0' {
                    j += 1;
                }
                let (start_a, start_b) = (i, j);
                while i < a.len() && a[i].is_ascii_digit() {
                    i += 1;
                }
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let (digits_a, digits_b) = (&a[start_a..i], &b[start_b..j]);
                if digits_a.len() != digits_b.len() {
                    return digits_a.len() < digits_b.len();
                }
                if digits_a != digits_b {
                    return digits_a < digits_b;
                }
                // The same number: fewer leading zeros first.
                if start_a != start_b {
                    return start_a < start_b;
                }
            }
        }
    }
    a.len() < b.len()
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
        Format::JsonPath(t) => Template::parse(t)?.render(&as_value(), false),
        Format::JsonPathAsJson(t) => Template::parse(t)?.render(&as_value(), true),
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
                        values.iter().map(go_value).collect::<Vec<_>>().join(",")
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

/// A value as kubectl's JSONPath prints it: strings bare, maps and lists as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A value as Go's `%v` prints the decoded JSON (what kubectl's custom columns show): maps as
/// `map[k:v …]` with sorted keys, lists as `[a b]`, null as `<nil>`.
fn go_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => go_float(f),
            (None, None) => n.to_string(),
        },
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_value).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(key, _)| *key);
            let entries: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| format!("{key}:{}", go_value(value)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
    }
}

/// A float as Go's `%v`: the shortest digits, with an exponent (`1e+21`, `1e-05`) below 1e-4
/// and from 1e21 on.
fn go_float(f: f64) -> String {
    let magnitude = f.abs();
    if magnitude != 0.0 && !(1e-4..1e21).contains(&magnitude) {
        let text = format!("{f:e}");
        if let Some((mantissa, exponent)) = text.split_once('e') {
            let exponent: i32 = exponent.parse().unwrap_or(0);
            let sign = if exponent < 0 { '-' } else { '+' };
            return format!("{mantissa}e{sign}{:02}", exponent.abs());
        }
    }
    f.to_string()
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

    /// Renders the template against `data`; `as_json` prints each part's results as an
    /// indented JSON array, as `-o jsonpath-as-json` does.
    pub fn render(&self, data: &Value, as_json: bool) -> Result<String> {
        let mut out = String::new();
        render_nodes(&self.nodes, data, as_json, &mut out)?;
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

fn render_nodes(nodes: &[Node], data: &Value, as_json: bool, out: &mut String) -> Result<()> {
    for node in nodes {
        match node {
            Node::Text(t) if as_json => out.push_str(&to_json(&Value::from(vec![t.clone()]))?),
            Node::Text(t) => out.push_str(t),
            Node::Expr(e) => {
                let values = query(e, data)?;
                if as_json {
                    out.push_str(&to_json(&Value::Array(values))?);
                } else {
                    let text: Vec<String> = values.iter().map(plain).collect();
                    out.push_str(&text.join(" "));
                }
            }
            Node::Range(e, body) => {
                for item in query(e, data)? {
                    render_nodes(body, &item, as_json, out)?;
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
    fn custom_column_values_print_as_go_does() {
        let value = json!({"b": [1, "x", true, null], "a": {"c": 1.5}, "e": 1e21, "s": 0.00001});
        assert_eq!(
            go_value(&value),
            "map[a:map[c:1.5] b:[1 x true <nil>] e:1e+21 s:1e-05]"
        );
    }

    #[test]
    fn sort_by_orders_as_kubectl() {
        assert!(natural_less("a9", "a10") && !natural_less("a10", "a9"));
        assert!(natural_less("1x", "x") && natural_less("a01", "a001"));
        let keys = [vec![json!(1)], vec![], vec![], vec![json!("b")]];
        // Go's insertion sort with kubectl's "missing is less" in both directions.
        assert_eq!(kubectl_order(&keys[..3]), [2, 1, 0]);
        let names = ["x10", "x9", "x1"].map(|n| vec![json!(n)]);
        assert_eq!(kubectl_order(&names), [2, 1, 0]);
    }

    #[test]
    fn tables_lay_out_as_kubectls_tabwriter() {
        let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let text = layout(
            Some(row(&["NAME", "MESSAGE"])),
            vec![row(&["a", ""]), row(&["bb", "hi"])],
        );
        assert_eq!(text, "NAME   MESSAGE\na      \nbb     hi\n");
    }

    #[test]
    fn jsonpath_templates() {
        let data = json!({"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]});
        let t = Template::parse("{range .items[*]}{.metadata.name}{\"\\n\"}{end}").unwrap();
        assert_eq!(t.render(&data, false).unwrap(), "a\nb\n");
        let t = Template::parse("{.items[*].metadata.name}").unwrap();
        assert_eq!(t.render(&data, false).unwrap(), "a b");
        let t = Template::parse("names: {.items[0].metadata.name}").unwrap();
        assert_eq!(t.render(&data, false).unwrap(), "names: a");
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
