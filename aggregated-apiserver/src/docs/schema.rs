//! Schemas as field tables: each property with its type (linked to the definition it refers
//! to), whether it is required, its description, its default and its validation rules.

use serde_json::Value;

use super::html::{escape, paragraphs, table};
use crate::openapi::V3_REF;

/// The definition `schema` refers to (`$ref`, or the single `allOf` that v3 wraps a
/// reference with a default or description in).
pub fn reference(schema: &Value) -> Option<&str> {
    let direct = schema.get("$ref").and_then(Value::as_str);
    let wrapped = || {
        let [only] = schema.get("allOf")?.as_array()?.as_slice() else {
            return None;
        };
        only.get("$ref")?.as_str()
    };
    direct.or_else(wrapped)?.strip_prefix(V3_REF)
}

/// A definition's name without its package: `io.k8s.api.core.v1.ObjectMeta` → `ObjectMeta`.
pub fn short_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// A link to the definition `name`, on this page.
pub fn link(name: &str) -> String {
    format!(
        "<a href=\"#{}\">{}</a>",
        escape(name),
        escape(short_name(name))
    )
}

/// The type of `schema` in Go's notation (`[]string`, `map[string]string`), a reference as a
/// link to its definition.
pub fn type_of(schema: &Value) -> String {
    if let Some(name) = reference(schema) {
        return link(name);
    }
    if schema.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        return "int-or-string".into();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => format!("[]{}", type_of(schema.get("items").unwrap_or(&Value::Null))),
        Some("object") => match schema.get("additionalProperties") {
            Some(values @ Value::Object(_)) => format!("map[string]{}", type_of(values)),
            _ => "object".into(),
        },
        Some(primitive) => match schema.get("format").and_then(Value::as_str) {
            Some(format) if !format.is_empty() => format!("{primitive} ({})", escape(format)),
            _ => escape(primitive),
        },
        None => "any".into(),
    }
}

/// The table of `schema`'s properties (none for a schema without).
pub fn fields(schema: &Value) -> String {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return "<p class=\"note\">No fields.</p>".into();
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let rows: Vec<Vec<String>> = properties
        .iter()
        .map(|(name, property)| {
            let mut field = format!("<span class=\"field\">{}</span>", escape(name));
            if required.contains(&name.as_str()) {
                field.push_str("<br><span class=\"required\">required</span>");
            }
            let mut about = description(property);
            for rule in rules(property) {
                about.push_str(&format!("<p class=\"note\">{rule}</p>"));
            }
            vec![field, type_of(property), about]
        })
        .collect();
    table("fields", &["Field", "Type", "Description"], &rows)
}

/// A schema's description as paragraphs, or that of the definition it refers to.
pub fn description(schema: &Value) -> String {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(paragraphs)
        .unwrap_or_default()
}

/// What a value must be, as notes: its default, the values allowed, the limits, and how
/// patches merge a list or map.
fn rules(schema: &Value) -> Vec<String> {
    let get = |key: &str| schema.get(key).filter(|value| !value.is_null());
    let code = |value: &Value| format!("<code>{}</code>", escape(&value.to_string()));
    let mut rules = Vec::new();
    if let Some(default) = get("default") {
        rules.push(format!("Default: {}", code(default)));
    }
    if let Some(values) = get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(code).collect();
        rules.push(format!("One of: {}", values.join(", ")));
    }
    if let Some(pattern) = get("pattern") {
        rules.push(format!("Matches: {}", code(pattern)));
    }
    for (key, words) in [
        ("minLength", "At least {} characters"),
        ("maxLength", "At most {} characters"),
        ("minimum", "At least {}"),
        ("maximum", "At most {}"),
        ("minItems", "At least {} items"),
        ("maxItems", "At most {} items"),
    ] {
        if let Some(limit) = get(key) {
            rules.push(words.replace("{}", &escape(&limit.to_string())));
        }
    }
    match get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("map") => {
            let keys: Vec<String> = get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|keys| keys.iter().map(code).collect())
                .unwrap_or_default();
            rules.push(format!(
                "A map by {}: patches merge items by key",
                keys.join(", ")
            ));
        }
        Some("set") => rules.push("A set: patches merge items by value".into()),
        Some("atomic") => rules.push("Atomic: patches replace the whole list".into()),
        _ => {}
    }
    if get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic") {
        rules.push("Atomic: patches replace the whole map".into());
    }
    rules
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn types_in_gos_notation_with_links() {
        let ref_to = |name: &str| json!({"$ref": format!("{V3_REF}{name}")});
        assert_eq!(
            type_of(&json!({"allOf": [ref_to("a.b.Meta")], "default": {}})),
            "<a href=\"#a.b.Meta\">Meta</a>"
        );
        assert_eq!(
            type_of(&json!({"type": "array", "items": {"type": "string"}})),
            "[]string"
        );
        assert_eq!(
            type_of(
                &json!({"type": "object", "additionalProperties": {"type": "integer", "format": "int32"}})
            ),
            "map[string]integer (int32)"
        );
        assert_eq!(
            type_of(&json!({"x-kubernetes-int-or-string": true})),
            "int-or-string"
        );
        assert_eq!(type_of(&json!({})), "any");
    }

    #[test]
    fn fields_with_their_rules() {
        let table = fields(&json!({
            "required": ["greeting"],
            "properties": {
                "greeting": {"type": "string", "description": "Said <loud>.", "maxLength": 64,
                             "default": "hi", "enum": ["hi", "yo"]},
                "items": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
            },
        }));
        for part in [
            "<span class=\"field\">greeting</span><br><span class=\"required\">required</span>",
            "<p>Said &lt;loud&gt;.</p>",
            "Default: <code>&quot;hi&quot;</code>",
            "One of: <code>&quot;hi&quot;</code>, <code>&quot;yo&quot;</code>",
            "At most 64 characters",
            "A set: patches merge items by value",
        ] {
            assert!(table.contains(part), "{part} in {table}");
        }
    }
}
