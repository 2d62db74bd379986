//! `kubectl describe`'s layout for a Foo: the generic describer kubectl uses for custom
//! resources (Name, Labels, Annotations, API Version, Kind, Metadata, Spec, Status, Events).

use serde_json::Value;

/// Describes a Foo as kubectl describe would.
pub fn describe(object: &Value) -> String {
    let meta = &object["metadata"];
    let mut out = String::new();
    let top = [
        (
            "Name:",
            meta["name"].as_str().unwrap_or_default().to_string(),
        ),
        ("Namespace:", String::new()),
        ("Labels:", map_lines(&meta["labels"], 14)),
        ("Annotations:", map_lines(&meta["annotations"], 14)),
        (
            "API Version:",
            object["apiVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
        (
            "Kind:",
            object["kind"].as_str().unwrap_or_default().to_string(),
        ),
    ];
    for (label, value) in top {
        out.push_str(format!("{label:<14}{value}").trim_end());
        out.push('\n');
    }
    let mut rest = serde_json::Map::new();
    if let Some(m) = meta.as_object() {
        let mut m = m.clone();
        for skip in [
            "name",
            "namespace",
            "labels",
            "annotations",
            "managedFields",
        ] {
            m.remove(skip);
        }
        rest.insert("metadata".into(), Value::Object(m));
    }
    for key in ["spec", "status"] {
        if !object[key].is_null() {
            rest.insert(key.into(), object[key].clone());
        }
    }
    for (key, value) in &rest {
        out.push_str(&format!("{}:\n", title(key)));
        block(value, 1, &mut out);
    }
    out.push_str("Events:  <none>\n");
    out
}

fn map_lines(value: &Value, indent: usize) -> String {
    match value.as_object() {
        Some(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            keys.iter()
                .map(|k| format!("{k}={}", map[*k].as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(&format!("\n{}", " ".repeat(indent)))
        }
        _ => "<none>".to_string(),
    }
}

/// `observedGeneration` → `Observed Generation`, as kubectl's describer titles fields.
pub fn title(key: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = key.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else if c.is_uppercase()
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()))
        {
            out.push(' ');
            out.push(*c);
        } else {
            out.push(*c);
        }
    }
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn block(value: &Value, level: usize, out: &mut String) {
    let pad = "  ".repeat(level);
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let width = keys
                .iter()
                .filter(|k| !map[**k].is_object() && !map[**k].is_array())
                .map(|k| title(k).len() + 1)
                .max()
                .unwrap_or(0);
            for k in keys {
                let v = &map[k];
                match v {
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}{}:\n", title(k)));
                        block(v, level + 1, out);
                    }
                    _ => {
                        let label = format!("{}:", title(k));
                        let line = format!("{pad}{label:<width$}  {}", scalar(v));
                        out.push_str(line.trim_end());
                        out.push('\n');
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) | Value::Array(_) => block(item, level, out),
                    _ => out.push_str(&format!("{pad}{}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::title;

    #[test]
    fn titles() {
        assert_eq!(title("observedGeneration"), "Observed Generation");
        assert_eq!(title("barCount"), "Bar Count");
        assert_eq!(title("uid"), "Uid");
    }
}
