//! Operations: each HTTP method on a path, with its parameters, request body and responses.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::html::{escape, paragraphs, table};
use super::schema::type_of;

/// The methods of a path item, in the order the reference lists them.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every operation of `item` (a path item of the document) at `path`.
pub fn path_item(path: &str, item: &Map<String, Value>) -> String {
    let shared = parameters_of(item);
    METHODS
        .iter()
        .filter_map(|method| Some((*method, item.get(*method)?)))
        .map(|(method, operation)| render(path, method, operation, &shared))
        .collect()
}

/// The methods of `item` in [`path_item`]'s order, each with its operation's id.
pub fn ids(item: &Map<String, Value>) -> Vec<(&'static str, String)> {
    METHODS
        .iter()
        .filter_map(|method| {
            let id = item.get(*method)?.get("operationId")?.as_str()?;
            Some((*method, id.to_owned()))
        })
        .collect()
}

fn parameters_of(holder: &Map<String, Value>) -> Vec<Value> {
    holder
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn render(path: &str, method: &str, operation: &Value, shared: &[Value]) -> String {
    let empty = Map::new();
    let operation_map = operation.as_object().unwrap_or(&empty);
    let id = operation_map
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = format!(
        "<h4 id=\"{id}\"><span class=\"method {method}\">{upper}</span>{path}</h4>",
        id = escape(id),
        upper = method.to_ascii_uppercase(),
        path = escape(path),
    );
    if let Some(description) = operation.get("description").and_then(Value::as_str) {
        out.push_str(&paragraphs(description));
    }
    let action = operation
        .get("x-kubernetes-action")
        .and_then(Value::as_str)
        .map(|action| format!(", action <code>{}</code>", escape(action)))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<p class=\"note\">Operation <code>{}</code>{action}</p>",
        escape(id)
    );

    let mut parameters = shared.to_vec();
    parameters.extend(parameters_of(operation_map));
    if !parameters.is_empty() {
        let rows: Vec<Vec<String>> = parameters.iter().map(parameter_row).collect();
        out.push_str(&table(
            "parameters",
            &["Parameter", "In", "Type", "Description"],
            &rows,
        ));
    }
    if let Some(body) = operation.get("requestBody") {
        let (types, schema) = content(body);
        let required = match body.get("required") {
            Some(Value::Bool(true)) => " (required)",
            _ => "",
        };
        let _ = write!(out, "<p>Request body{required}: {schema}, as {types}</p>",);
    }
    if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
        let rows: Vec<Vec<String>> = responses
            .iter()
            .map(|(code, response)| {
                let description = response
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let (types, schema) = content(response);
                let body = match schema.is_empty() {
                    true => String::new(),
                    false => format!("{schema}<br><span class=\"note\">{types}</span>"),
                };
                vec![escape(code), escape(description), body]
            })
            .collect();
        out.push_str(&table("responses", &["Code", "Description", "Body"], &rows));
    }
    out
}

fn parameter_row(parameter: &Value) -> Vec<String> {
    let text = |key: &str| {
        parameter
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let mut name = format!("<span class=\"field\">{}</span>", escape(text("name")));
    if parameter.get("required") == Some(&Value::Bool(true)) {
        name.push_str("<br><span class=\"required\">required</span>");
    }
    let type_ = parameter.get("schema").map(type_of).unwrap_or_default();
    vec![
        name,
        escape(text("in")),
        type_,
        paragraphs(text("description")),
    ]
}

/// The media types of a request body or response, and the type of its schema (the same for
/// every media type, as the server writes them).
fn content(holder: &Value) -> (String, String) {
    let Some(content) = holder.get("content").and_then(Value::as_object) else {
        return (String::new(), String::new());
    };
    let types: Vec<String> = content
        .keys()
        .map(|t| format!("<code>{}</code>", escape(t)))
        .collect();
    let schema = content
        .values()
        .find_map(|media| media.get("schema"))
        .map(type_of)
        .unwrap_or_default();
    (types.join(", "), schema)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_operation_with_its_parameters_body_and_responses() {
        let item = json!({
            "parameters": [{"name": "name", "in": "path", "required": true,
                            "schema": {"type": "string"}, "description": "name of the Foo"}],
            "put": {
                "operationId": "replaceFoo", "description": "replace the specified Foo",
                "x-kubernetes-action": "put",
                "parameters": [{"name": "dryRun", "in": "query", "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"*/*": {"schema": {"$ref": "#/components/schemas/x.Foo"}}}},
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/x.Foo"}}}},
                    "401": {"description": "Unauthorized"},
                },
            },
        });
        let html = path_item("/apis/x/v1/foos/{name}", item.as_object().unwrap());
        for part in [
            "<h4 id=\"replaceFoo\"><span class=\"method put\">PUT</span>/apis/x/v1/foos/{name}</h4>",
            "<span class=\"field\">name</span><br><span class=\"required\">required</span>",
            "<span class=\"field\">dryRun</span>",
            "Request body (required): <a href=\"#x.Foo\">Foo</a>, as <code>*/*</code>",
            "<td>401</td><td>Unauthorized</td><td></td>",
        ] {
            assert!(html.contains(part), "{part} in {html}");
        }
        assert_eq!(
            ids(item.as_object().unwrap()),
            [("put", "replaceFoo".to_owned())]
        );
    }
}
