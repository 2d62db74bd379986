//! `kubectl describe`'s text for a Foo: the generic describer kubectl uses for kinds it has
//! no describer of its own for. Name, namespace, labels and annotations first, then every
//! other field of the object in key order, nested by two spaces, with titled names
//! (`observedGeneration` is `Observed Generation`, `uid` is `UID`), aligned as kubectl's
//! tabwriter aligns them, and the (empty) events last.

use serde_json::{Map, Value};

use crate::printer::{describe_layout, go_value};

/// Annotations longer than this (with their key) are written on lines of their own.
const MAX_ANNOTATION_LEN: usize = 140;

/// Describes a Foo as kubectl describe does.
pub fn describe(object: &Value) -> String {
    let meta = &object["metadata"];
    let text_of = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut text = format!(
        "Name:\t{}\nNamespace:\t{}\n",
        text_of(&meta["name"]),
        text_of(&meta["namespace"])
    );
    labels(&mut text, meta["labels"].as_object());
    annotations(&mut text, meta["annotations"].as_object());
    if let Some(content) = object.as_object() {
        fields(&mut text, 0, content, "");
    }
    text.push_str("Events:\t<none>\n");
    describe_layout(&text)
}

/// What the describer leaves out of the fields: shown above, or not shown at all.
const SHOWN_APART: &[&str] = &[
    ".metadata.managedFields",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.labels",
    ".metadata.annotations",
];

fn indent(level: usize) -> String {
    "  ".repeat(level)
}

/// Every field of `content` in key order: maps and lists under their titled name, one
/// level deeper; anything else as `Name:<tab>value`.
fn fields(text: &mut String, level: usize, content: &Map<String, Value>, path: &str) {
    let mut keys: Vec<&String> = content.keys().collect();
    keys.sort();
    for key in keys {
        let path = format!("{path}.{key}");
        if SHOWN_APART.contains(&path.as_str()) {
            continue;
        }
        let pad = indent(level);
        let name = title(key);
        match &content[key] {
            Value::Object(map) => {
                text.push_str(&format!("{pad}{name}:\n"));
                fields(text, level + 1, map, &path);
            }
            Value::Array(items) => {
                text.push_str(&format!("{pad}{name}:\n"));
                for item in items {
                    match item {
                        Value::Object(map) => fields(text, level + 1, map, &path),
                        other => {
                            text.push_str(&format!("{}{}\n", indent(level + 1), go_value(other)))
                        }
                    }
                }
            }
            other => text.push_str(&format!("{pad}{name}:\t{}\n", go_value(other))),
        }
    }
}

/// `Labels:` and each `key=value` in key order, or `<none>`.
fn labels(text: &mut String, labels: Option<&Map<String, Value>>) {
    listing(text, "Labels", labels, |text, key, value| {
        text.push_str(&format!("{key}={value}\n"));
    });
}

/// `Annotations:` and each `key: value` in key order (a long or multi-line value on lines of
/// its own, each cut at 138 bytes), but kubectl apply's last-applied configuration; or
/// `<none>`.
fn annotations(text: &mut String, annotations: Option<&Map<String, Value>>) {
    let mut shown = annotations.cloned().unwrap_or_default();
    shown.remove("kubectl.kubernetes.io/last-applied-configuration");
    listing(text, "Annotations", Some(&shown), |text, key, value| {
        let value = value.strip_suffix('\n').unwrap_or(value);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            text.push_str(&format!("{key}:\n"));
            for line in value.split('\n') {
                text.push_str(&format!("\t  {}\n", shorten(line, MAX_ANNOTATION_LEN - 2)));
            }
        } else {
            text.push_str(&format!("{key}: {value}\n"));
        }
    });
}

/// `Title:`, then each entry of `map` in key order as `entry` writes it, the entries after
/// the first starting in the value column; or `<none>`.
fn listing(
    text: &mut String,
    title: &str,
    map: Option<&Map<String, Value>>,
    entry: impl Fn(&mut String, &str, &str),
) {
    text.push_str(&format!("{title}:\t"));
    let mut entries: Vec<(&String, &str)> = map
        .into_iter()
        .flatten()
        .map(|(key, value)| (key, value.as_str().unwrap_or_default()))
        .collect();
    if entries.is_empty() {
        text.push_str("<none>\n");
        return;
    }
    entries.sort();
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            text.push('\t');
        }
        entry(text, key, value);
    }
}

/// The first `max` bytes of `line` and `...`, when it is longer (as kubectl cuts it, even
/// inside a character, which is then written as U+FFFD).
fn shorten(line: &str, max: usize) -> String {
    if line.len() <= max {
        return line.to_owned();
    }
    format!("{}...", String::from_utf8_lossy(&line.as_bytes()[..max]))
}

/// A field's name as kubectl's describer titles it: split where the case changes, each part
/// capitalized and the acronyms API, URL, UID, OSB and GUID in capitals; a name holding
/// anything but letters and `-` as it is.
pub fn title(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_owned();
    }
    const ACRONYMS: &[&str] = &["API", "URL", "UID", "OSB", "GUID"];
    camel_case_parts(field)
        .iter()
        .map(|part| {
            let upper = part.to_uppercase();
            if ACRONYMS.contains(&upper.as_str()) {
                upper
            } else {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                })
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A name split into runs of lower-case letters, capitals, digits and other characters, a
/// capital before lower-case letters going with them (`PDFLoader` is `PDF`, `Loader`).
fn camel_case_parts(field: &str) -> Vec<String> {
    let class = |c: char| match c {
        c if c.is_lowercase() => 1,
        c if c.is_uppercase() => 2,
        c if c.is_numeric() => 3,
        _ => 4,
    };
    let mut runs: Vec<Vec<char>> = Vec::new();
    let mut last = 0;
    for c in field.chars() {
        let this = class(c);
        match runs.last_mut() {
            Some(run) if this == last => run.push(c),
            _ => runs.push(vec![c]),
        }
        last = this;
    }
    for i in 0..runs.len().saturating_sub(1) {
        let starts_upper = runs[i].first().is_some_and(|c| c.is_uppercase());
        let next_lower = runs[i + 1].first().is_some_and(|c| c.is_lowercase());
        if starts_upper
            && next_lower
            && let Some(moved) = runs[i].pop()
        {
            runs[i + 1].insert(0, moved);
        }
    }
    runs.into_iter()
        .filter(|run| !run.is_empty())
        .map(|run| run.into_iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::title;

    #[test]
    fn titles_as_kubectls_describer() {
        assert_eq!(title("observedGeneration"), "Observed Generation");
        assert_eq!(title("apiVersion"), "API Version");
        assert_eq!(title("uid"), "UID");
        assert_eq!(title("PDFLoader"), "PDF Loader");
        assert_eq!(title("f:status"), "f:status");
        assert_eq!(title("v1"), "v1");
    }
}
