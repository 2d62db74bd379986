//! kubectl's JSONPath templates (`-o jsonpath=…`, custom columns, `--sort-by`).

use serde_json::Value;

use super::to_json;
use crate::error::{Error, Result};

/// A value as kubectl's JSONPath prints it: strings bare, maps and lists as JSON.
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
    text: String,
    nodes: Vec<Node>,
    /// An expression that finds nothing is an error (`--allow-missing-template-keys=false`).
    strict: bool,
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
            text: text.to_owned(),
            nodes: stack.pop().expect("root").1,
            strict: false,
        })
    }

    /// The template, with an expression that finds nothing an error rather than empty text.
    pub fn strict(self) -> Template {
        Template {
            strict: true,
            ..self
        }
    }

    /// Renders the template against `data`; `as_json` prints each part's results as an
    /// indented JSON array, as `-o jsonpath-as-json` does.
    pub fn render(&self, data: &Value, as_json: bool) -> Result<String> {
        let mut out = String::new();
        self.render_nodes(&self.nodes, data, as_json, &mut out)?;
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

    fn render_nodes(
        &self,
        nodes: &[Node],
        data: &Value,
        as_json: bool,
        out: &mut String,
    ) -> Result<()> {
        for node in nodes {
            match node {
                Node::Text(t) if as_json => out.push_str(&to_json(&Value::from(vec![t.clone()]))?),
                Node::Text(t) => out.push_str(t),
                Node::Expr(e) => {
                    let values = self.query(e, data)?;
                    if as_json {
                        out.push_str(&to_json(&Value::Array(values))?);
                    } else {
                        let text: Vec<String> = values.iter().map(plain).collect();
                        out.push_str(&text.join(" "));
                    }
                }
                Node::Range(e, body) => {
                    for item in self.query(e, data)? {
                        self.render_nodes(body, &item, as_json, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The values `expr` finds, which must be some when the template is strict.
    fn query(&self, expr: &str, data: &Value) -> Result<Vec<Value>> {
        let values = query(expr, data)?;
        if self.strict && values.is_empty() {
            let field = expr.rsplit(['.', '[']).next().unwrap_or(expr);
            return Err(Error::msg(format!(
                "error executing jsonpath {:?}: Error executing template: {field} is not found",
                self.text
            )));
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
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
}
