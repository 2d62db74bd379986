//! Every output format, in one place: server-printed tables (in the layout of kubectl's
//! tabwriter), `json`, `yaml`, `name`, `wide`, JSONPath, custom columns and Go templates.

mod gosort;
mod gotemplate;
mod jsonpath;
mod quantity;
mod sort;
mod table;
mod tabwriter;

use std::io::Write;

use clap::{ArgAction, Args};
use serde_json::{Value, json};

use crate::api::KIND_GROUP;
use crate::error::{Error, Result};
use gotemplate::GoTemplate;
pub use jsonpath::Template;
pub use sort::{sort_objects, sort_rows};
pub use table::{TableStyle, render_table, render_table_min};
pub use tabwriter::{describe_layout, layout};

/// The printer flags of `list` and `get`, as kubectl get's.
#[derive(Clone, Debug, Default, Args)]
pub struct PrintFlags {
    /// Output format: json|yaml|name|wide|jsonpath=…|jsonpath-file=…|jsonpath-as-json=…|custom-columns=…|custom-columns-file=…|go-template=…|go-template-file=…
    #[arg(short = 'o', long, value_name = "FORMAT")]
    pub output: Option<String>,
    /// Template string or path to template file to use when -o=go-template,
    /// -o=go-template-file (Go's text/template)
    #[arg(long)]
    pub template: Option<String>,
    /// If true, ignore any errors in templates when a field or map key is missing in the
    /// template. Only applies to golang and jsonpath output formats.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = true, default_missing_value = "true", value_name = "BOOL")]
    pub allow_missing_template_keys: bool,
    /// Don't print headers
    #[arg(long)]
    pub no_headers: bool,
    /// Show all labels as the last column
    #[arg(long)]
    pub show_labels: bool,
    /// Labels to show as columns, comma separated; repeatable (-L label1 -L label2)
    #[arg(short = 'L', long, value_delimiter = ',', value_name = "LABEL")]
    pub label_columns: Vec<String>,
    /// List the resource type with each name
    #[arg(long)]
    pub show_kind: bool,
    /// Keep metadata.managedFields when printing objects as JSON or YAML
    #[arg(long)]
    pub show_managed_fields: bool,
}

impl PrintFlags {
    /// The format `-o` and `--template` ask for.
    pub fn format(&self) -> Result<Format> {
        Format::parse_with(
            self.output.as_deref(),
            self.template.as_deref(),
            self.allow_missing_template_keys,
        )
    }

    /// How a table is printed.
    pub fn table_style(&self, format: &Format) -> TableStyle {
        TableStyle {
            wide: matches!(format, Format::Wide),
            headers: !self.no_headers,
            show_labels: self.show_labels,
            label_columns: self.label_columns.clone(),
            show_kind: self.show_kind,
        }
    }

    /// How objects are printed.
    pub fn object_style(&self) -> ObjectStyle {
        ObjectStyle {
            headers: !self.no_headers,
            managed_fields: self.show_managed_fields,
        }
    }
}

/// How objects are printed besides their format.
#[derive(Clone, Copy, Debug)]
pub struct ObjectStyle {
    /// The header line of custom columns.
    pub headers: bool,
    /// `metadata.managedFields` kept in JSON and YAML (kubectl hides them there).
    pub managed_fields: bool,
}

impl Default for ObjectStyle {
    fn default() -> Self {
        ObjectStyle {
            headers: true,
            managed_fields: false,
        }
    }
}

/// A parsed `-o` value, its templates parsed and its files read.
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
    /// A kubectl JSONPath template; `as_json` prints every result as a JSON array.
    JsonPath { template: Template, as_json: bool },
    /// `HEADER:.path,…`
    CustomColumns(Vec<(String, Template)>),
    /// A Go template.
    GoTemplate(GoTemplate),
}

/// The `-o` formats, in the order kubectl's completion offers them.
pub const FORMATS: &[&str] = &[
    "json",
    "yaml",
    "name",
    "go-template",
    "go-template-file",
    "template",
    "templatefile",
    "jsonpath",
    "jsonpath-as-json",
    "jsonpath-file",
    "custom-columns",
    "custom-columns-file",
    "wide",
];

impl Format {
    /// Parses `-o` alone (the commands without `--template`).
    pub fn parse(output: Option<&str>) -> Result<Format> {
        Format::parse_with(output, None, true)
    }

    /// Parses `-o` with `--template` (the template of `-o go-template` and the other
    /// template formats when `-o` does not give one after `=`; `--template` alone means
    /// `-o go-template`) and `--allow-missing-template-keys`.
    pub fn parse_with(
        output: Option<&str>,
        template: Option<&str>,
        allow_missing_keys: bool,
    ) -> Result<Format> {
        let template = template.filter(|t| !t.is_empty());
        let output = match (output, template) {
            (Some(output), _) => output,
            (None, Some(_)) => "go-template",
            (None, None) => return Ok(Format::Table),
        };
        let (kind, arg) = match output.split_once('=') {
            Some((k, a)) => (k, Some(a).filter(|a| !a.is_empty())),
            None => (output, None),
        };
        let template_text = || {
            arg.or(template)
                .map(str::to_owned)
                .ok_or_else(|| Error::msg("template format specified but no template given"))
        };
        let jsonpath = |text: String, as_json: bool| -> Result<Format> {
            let template = Template::parse(&text)?;
            let template = match allow_missing_keys {
                true => template,
                false => template.strict(),
            };
            Ok(Format::JsonPath { template, as_json })
        };
        Ok(match kind {
            "json" if arg.is_none() => Format::Json,
            "yaml" if arg.is_none() => Format::Yaml,
            "name" if arg.is_none() => Format::Name,
            "wide" if arg.is_none() => Format::Wide,
            "jsonpath" => jsonpath(template_text()?, false)?,
            "jsonpath-as-json" => jsonpath(template_text()?, true)?,
            "jsonpath-file" => jsonpath(read_template(&template_text()?)?, false)?,
            "go-template" | "template" => {
                Format::GoTemplate(GoTemplate::parse(&template_text()?, allow_missing_keys)?)
            }
            "go-template-file" | "templatefile" => Format::GoTemplate(GoTemplate::parse(
                &read_template(&template_text()?)?,
                allow_missing_keys,
            )?),
            "custom-columns" => {
                let spec = arg.ok_or_else(|| {
                    Error::msg("custom-columns format specified but no custom columns given")
                })?;
                let mut columns = Vec::new();
                for part in spec.split(',') {
                    let (header, path) = part.split_once(':').ok_or_else(|| {
                        Error::msg(format!(
                            "unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
                        ))
                    })?;
                    columns.push((header.to_owned(), Template::parse(&braced(path))?));
                }
                Format::CustomColumns(columns)
            }
            "custom-columns-file" => {
                let path = arg.ok_or_else(|| {
                    Error::msg("custom-columns format specified but no custom columns given")
                })?;
                let text = read_go(path)
                    .map_err(|e| Error::msg(format!("error reading template {path}, {e}")))?;
                custom_columns_file(&text)?
            }
            _ => {
                let mut allowed = FORMATS.to_vec();
                allowed.sort_unstable();
                return Err(Error::msg(format!(
                    "unable to match a printer suitable for the output format \"{output}\", allowed formats are: {}",
                    allowed.join(",")
                )));
            }
        })
    }

    /// Whether this format prints whole objects (not the server's table).
    pub fn needs_objects(&self) -> bool {
        !matches!(self, Format::Table | Format::Wide)
    }
}

/// The template file `-o …-file=PATH` names.
fn read_template(path: &str) -> Result<String> {
    read_go(path).map_err(|e| Error::msg(format!("error reading --template {path}, {e}")))
}

/// A file's text, or why not in the words of Go's `os.ReadFile`.
fn read_go(path: &str) -> std::result::Result<String, String> {
    use std::io::ErrorKind;
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => format!("open {path}: no such file or directory"),
        ErrorKind::PermissionDenied => format!("open {path}: permission denied"),
        ErrorKind::IsADirectory => format!("read {path}: is a directory"),
        _ => format!("open {path}: {e}"),
    })
}

/// `-o custom-columns-file=PATH`: a line of headers and a line of paths, separated by
/// whitespace.
fn custom_columns_file(text: &str) -> Result<Format> {
    const EXPECTED: &str = "Expected format is one line of space separated headers, one line of space separated column specs.";
    let mut lines = text.lines();
    let headers: Vec<&str> = lines
        .next()
        .ok_or_else(|| Error::msg(format!("invalid template, missing header line. {EXPECTED}")))?
        .split_whitespace()
        .collect();
    let paths: Vec<&str> = lines
        .next()
        .ok_or_else(|| Error::msg(format!("invalid template, missing spec line. {EXPECTED}")))?
        .split_whitespace()
        .collect();
    if headers.len() != paths.len() {
        return Err(Error::msg(format!(
            "number of headers ({}) and field specifications ({}) don't match",
            headers.len(),
            paths.len()
        )));
    }
    let columns = headers
        .into_iter()
        .zip(paths)
        .map(|(header, path)| Ok((header.to_owned(), Template::parse(&braced(path))?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Format::CustomColumns(columns))
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

/// YAML as kubectl prints it (sigs.k8s.io/yaml's layout, quoting and key order).
pub fn to_yaml(value: &Value) -> String {
    kube_yaml::from_json(value)
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
    style: ObjectStyle,
) -> Result<String> {
    let hide_managed_fields =
        matches!(format, Format::Json | Format::Yaml) && !style.managed_fields;
    let items: Vec<Value> = match hide_managed_fields {
        true => items.iter().map(without_managed_fields).collect(),
        false => items.to_vec(),
    };
    let value = match &items[..] {
        [item] if single => item.clone(),
        items => json!({
            "apiVersion": "v1",
            "kind": "List",
            "metadata": {"resourceVersion": ""},
            "items": items,
        }),
    };
    print_value(format, &value, &items, style.headers)
}

/// Prints `value` (an object or a List of `items`) in an object format.
fn print_value(format: &Format, value: &Value, items: &[Value], headers: bool) -> Result<String> {
    match format {
        Format::Json => to_json(value),
        Format::Yaml => Ok(to_yaml(value)),
        Format::Name => Ok(items.iter().map(|i| name_of(i) + "\n").collect()),
        Format::JsonPath { template, as_json } => template.render(value, *as_json),
        Format::GoTemplate(template) => template.render(value),
        Format::CustomColumns(columns) => {
            let mut rows = Vec::new();
            for item in items {
                let mut row = Vec::new();
                for (_, template) in columns {
                    let values = template.values(item)?;
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
/// `List`; YAML documents separated by `---`; custom columns' header once, first. With
/// `--output-watch-events` each is printed inside its watch event, `{"type", "object"}`, as
/// kubectl prints a WatchEvent (JSON on one line, managed fields kept).
pub struct ObjectStream<'a> {
    format: &'a Format,
    style: ObjectStyle,
    events: bool,
    printed: usize,
}

impl<'a> ObjectStream<'a> {
    /// A stream in `format`; `events` wraps each object in its watch event.
    pub fn new(format: &'a Format, style: ObjectStyle, events: bool) -> Self {
        ObjectStream {
            format,
            style,
            events,
            printed: 0,
        }
    }

    /// The text of one object, which the watch saw as an `event` (`ADDED`, `MODIFIED`,
    /// `DELETED`).
    pub fn print(&mut self, event: &str, object: &Value) -> Result<String> {
        let style = ObjectStyle {
            headers: self.style.headers && self.printed == 0,
            ..self.style
        };
        let mut text = match (self.events, self.format) {
            (false, format) => print_objects(format, std::slice::from_ref(object), true, style)?,
            (true, Format::Json) => format!(
                "{{\"type\":{},\"object\":{}}}\n",
                Value::from(event),
                serde_json::to_string(&sorted(object))?
            ),
            (true, Format::Name) => name_of(object) + "\n",
            (true, format) => {
                let event = json!({"type": event, "object": object});
                print_value(format, &event, std::slice::from_ref(&event), style.headers)?
            }
        };
        if matches!(self.format, Format::Yaml) && self.printed > 0 {
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

/// A value as Go's `%v` prints the decoded JSON (what kubectl's custom columns show): maps as
/// `map[k:v …]` with sorted keys, lists as `[a b]`, null as `<nil>`.
pub fn go_value(value: &Value) -> String {
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
    fn formats() {
        let parse = |output: &str| Format::parse(Some(output));
        assert!(matches!(parse("json"), Ok(Format::Json)));
        assert!(matches!(
            parse("custom-columns=N:.metadata.name"),
            Ok(Format::CustomColumns(_))
        ));
        assert!(matches!(
            parse("jsonpath-as-json={.a}"),
            Ok(Format::JsonPath { as_json: true, .. })
        ));
        assert!(matches!(
            parse("template={{.a}}"),
            Ok(Format::GoTemplate(_))
        ));
        // --template alone is a Go template; given after `=`, -o's own wins.
        assert!(matches!(
            Format::parse_with(None, Some("{{.a}}"), true),
            Ok(Format::GoTemplate(_))
        ));
        assert!(matches!(
            Format::parse_with(Some("jsonpath={.a}"), Some("{{.a}}"), true),
            Ok(Format::JsonPath { .. })
        ));
        let err = |output: &str| parse(output).err().unwrap().to_string();
        assert!(err("xml").contains("allowed formats are: custom-columns,custom-columns-file,"));
        assert_eq!(
            err("go-template"),
            "error: template format specified but no template given"
        );
        assert_eq!(
            err("custom-columns=N"),
            "error: unexpected custom-columns spec: N, expected <header>:<json-path-expr>"
        );
        assert_eq!(
            err("go-template-file=/nonexistent/t"),
            "error: error reading --template /nonexistent/t, open /nonexistent/t: no such file or directory"
        );
    }

    #[test]
    fn template_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            format!("{name}={}", path.display())
        };
        let data = json!({"metadata": {"name": "a"}, "spec": {"greeting": "Hi"}});
        let print = |output: &str| {
            let format = Format::parse(Some(output)).unwrap();
            print_objects(
                &format,
                std::slice::from_ref(&data),
                true,
                ObjectStyle::default(),
            )
            .unwrap()
        };
        assert_eq!(print(&file("jsonpath-file", "{.metadata.name}\n")), "a\n");
        assert_eq!(
            print(&file("go-template-file", "{{.spec.greeting}}\n")),
            "Hi\n"
        );
        assert_eq!(
            print(&file(
                "custom-columns-file",
                "NAME  SAYS\n.metadata.name {.spec.greeting}\n"
            )),
            "NAME   SAYS\na      Hi\n"
        );
        let bad = file("custom-columns-file", "NAME SAYS\n.metadata.name\n");
        assert_eq!(
            Format::parse(Some(&bad)).err().unwrap().to_string(),
            "error: number of headers (2) and field specifications (1) don't match"
        );
    }

    #[test]
    fn managed_fields_are_hidden_in_json_and_yaml_only() {
        let foo = json!({"metadata": {"name": "a", "managedFields": [{"manager": "m"}]}});
        let print = |output: &str, managed_fields: bool| {
            let style = ObjectStyle {
                headers: true,
                managed_fields,
            };
            let format = Format::parse(Some(output)).unwrap();
            print_objects(&format, std::slice::from_ref(&foo), true, style).unwrap()
        };
        assert!(!print("json", false).contains("managedFields"));
        assert!(print("yaml", true).contains("managedFields"));
        assert_eq!(
            print("jsonpath={.metadata.managedFields[0].manager}", false),
            "m"
        );
    }

    #[test]
    fn watch_events_print_as_kubectl_prints_them() {
        let foo = json!({"metadata": {"name": "a", "managedFields": []}, "kind": "Foo"});
        let print = |output: &str| {
            let format = Format::parse(Some(output)).unwrap();
            let mut stream = ObjectStream::new(&format, ObjectStyle::default(), true);
            let first = stream.print("ADDED", &foo).unwrap();
            first + &stream.print("DELETED", &foo).unwrap()
        };
        assert_eq!(
            print("json"),
            "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Foo\",\"metadata\":{\"managedFields\":[],\"name\":\"a\"}}}\n\
             {\"type\":\"DELETED\",\"object\":{\"kind\":\"Foo\",\"metadata\":{\"managedFields\":[],\"name\":\"a\"}}}\n"
        );
        assert_eq!(
            print("name"),
            "foo.demo.jeremyxu2010.me/a\nfoo.demo.jeremyxu2010.me/a\n"
        );
        assert_eq!(print("jsonpath={.type} "), "ADDED DELETED ");
        assert!(print("yaml").contains("type: ADDED\n---\nobject:\n"));
    }
}
