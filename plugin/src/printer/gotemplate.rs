//! `-o go-template=…`: Go's text/template over the object, as kubectl runs it, with kubectl's
//! two functions (`exists`, `base64decode`) besides the builtins.

use std::collections::BTreeMap;

use base64::Engine;
use gotmpl::{MissingKey, TemplateError, Value as GoValue};
use serde_json::Value;

use crate::error::{Error, Result};

/// A parsed Go template.
pub struct GoTemplate {
    text: String,
    template: gotmpl::Template,
}

impl GoTemplate {
    /// Parses `text`; with `allow_missing_keys` false a missing map key is an error (Go's
    /// `missingkey=error`) rather than `<no value>`.
    pub fn parse(text: &str, allow_missing_keys: bool) -> Result<GoTemplate> {
        let missing = match allow_missing_keys {
            true => MissingKey::Invalid,
            false => MissingKey::Error,
        };
        let template = gotmpl::Template::new("output")
            .missing_key(missing)
            .func("exists", |args| Ok(GoValue::Bool(exists(args))))
            .func("base64decode", base64decode)
            .parse(text)
            .map_err(|e| Error::msg(format!("error parsing template {text}, {e}")))?;
        Ok(GoTemplate {
            text: text.to_owned(),
            template,
        })
    }

    /// Executes the template against `data`.
    pub fn render(&self, data: &Value) -> Result<String> {
        self.template
            .execute_to_string(&go(data))
            .map_err(|e| Error::msg(format!("error executing template {:?}: {e}", self.text)))
    }
}

/// JSON as kubectl hands it to the template engine: whole numbers as int64, others as
/// float64, objects as maps (ranged over in key order).
fn go(value: &Value) -> GoValue {
    match value {
        Value::Null => GoValue::Nil,
        Value::Bool(b) => GoValue::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => GoValue::Int(i),
            (None, Some(f)) => GoValue::Float(f),
            (None, None) => GoValue::String(n.to_string().into()),
        },
        Value::String(s) => GoValue::String(s.as_str().into()),
        Value::Array(items) => GoValue::from(items.iter().map(go).collect::<Vec<_>>()),
        Value::Object(map) => GoValue::from(
            map.iter()
                .map(|(key, value)| (key.clone(), go(value)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

/// kubectl's `exists ITEM INDEX…`: whether `index ITEM INDEX…` would find a value that is not
/// nil.
fn exists(args: &[GoValue]) -> bool {
    let Some((item, indexes)) = args.split_first() else {
        return false;
    };
    let mut at = item.clone();
    for index in indexes {
        let next = match (&at, index) {
            (GoValue::List(items), GoValue::Int(i)) => {
                usize::try_from(*i).ok().and_then(|i| items.get(i).cloned())
            }
            (GoValue::String(s), GoValue::Int(i)) => usize::try_from(*i)
                .ok()
                .and_then(|i| s.as_bytes().get(i))
                .map(|byte| GoValue::Int(i64::from(*byte))),
            (GoValue::Map(map), GoValue::String(key)) => map.get(key).cloned(),
            _ => None,
        };
        match next {
            Some(value) => at = value,
            None => return false,
        }
    }
    !matches!(at, GoValue::Nil)
}

/// kubectl's `base64decode STRING`.
fn base64decode(args: &[GoValue]) -> std::result::Result<GoValue, TemplateError> {
    let text = match args {
        [GoValue::String(text)] => text,
        _ => {
            return Err(TemplateError::Exec(
                "base64decode takes one string".to_owned(),
            ));
        }
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| TemplateError::Exec(format!("base64 decode failed: {e}")))?;
    Ok(GoValue::String(
        String::from_utf8_lossy(&bytes).as_ref().into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(text: &str, data: Value) -> String {
        GoTemplate::parse(text, true)
            .unwrap()
            .render(&data)
            .unwrap()
    }

    #[test]
    fn renders_as_kubectl() {
        let data = json!({"items": [
            {"metadata": {"name": "a", "generation": 2, "labels": {"z": "1", "team": "x"}}},
            {"metadata": {"name": "b", "generation": 1}, "spec": {"ratio": 0.5}},
        ]});
        assert_eq!(
            render(
                "{{range .items}}{{.metadata.name}} {{.metadata.generation}} {{.metadata.labels}}\n{{end}}",
                data.clone()
            ),
            "a 2 map[team:x z:1]\nb 1 <no value>\n"
        );
        assert_eq!(
            render(r#"{{index .items 1 "spec" "ratio"}}"#, data.clone()),
            "0.5"
        );
        assert_eq!(
            render(
                r#"{{exists . "items" 1 "metadata"}} {{exists . "items" 2}} {{exists . "nope"}}"#,
                data
            ),
            "true false false"
        );
        assert_eq!(render(r#"{{base64decode .s}}"#, json!({"s": "aGk="})), "hi");
    }

    #[test]
    fn missing_keys_and_bad_templates_are_errors_when_asked() {
        let strict = GoTemplate::parse("{{.nope}}", false).unwrap();
        let err = strict.render(&json!({})).unwrap_err().to_string();
        assert!(
            err.contains("error executing template \"{{.nope}}\"") && err.contains("nope"),
            "{err}"
        );
        let err = GoTemplate::parse("{{.kind", true)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("error: error parsing template {{.kind, ")
                && err.contains("unclosed action"),
            "{err}"
        );
    }
}
