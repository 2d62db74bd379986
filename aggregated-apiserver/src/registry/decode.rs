//! Request bodies to typed objects, with kube-apiserver's field validation
//! (`fieldValidation=Strict|Warn|Ignore`) and its decode error wording.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::negotiate::BodyFormat;
use crate::request::Query;
use crate::resource::ResourceInfo;
use crate::status::{ApiError, listed};

/// Bodies larger than this are refused, as kube-apiserver refuses them.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValidation {
    Strict,
    Warn,
    Ignore,
}

impl FieldValidation {
    pub fn from_query(query: &Query) -> Result<Self, ApiError> {
        match query.get("fieldValidation").unwrap_or_default() {
            "Strict" => Ok(Self::Strict),
            "Warn" | "" => Ok(Self::Warn),
            "Ignore" => Ok(Self::Ignore),
            other => Err(ApiError::bad_request(format!(
                "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got: {other:?}"
            ))),
        }
    }
}

/// A decoded object and the warnings (unknown fields) for the `Warning` header.
pub struct Decoded<T> {
    pub object: T,
    pub warnings: Vec<String>,
}

/// Parses a JSON or YAML body into a JSON value.
pub fn parse_body(body: &[u8], format: BodyFormat) -> Result<Value, String> {
    match format {
        BodyFormat::Json => serde_json::from_slice(body).map_err(|e| e.to_string()),
        BodyFormat::Yaml => {
            let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
            // Aliases can make even a budgeted parse take a while: off the async workers.
            crate::offload::cpu_bound(|| serde_saphyr::from_str_with_options(text, yaml_options()))
                .map_err(|e| e.to_string())
        }
    }
}

/// What one YAML body may make the parser build: nesting 64 deep (far more than any kind
/// needs, and within a worker thread's stack for the recursive parser), 250,000 nodes and
/// 50,000 aliases, with expansions counted, and no more text than a body may hold.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 64,
            max_nodes: 250_000,
            max_aliases: 50_000,
            max_total_scalar_bytes: MAX_BODY_BYTES,
        },
    }
}

/// Decodes a body meant to be an object of `info`'s kind.
pub fn decode<T: DeserializeOwned>(
    info: &ResourceInfo,
    body: &[u8],
    format: BodyFormat,
    validation: FieldValidation,
) -> Result<Decoded<T>, ApiError> {
    let cannot_handle = |why: String| cannot_handle(info, why);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "Object 'Kind' is missing in the request body",
        ));
    }
    let value = parse_body(body, format).map_err(cannot_handle)?;
    decode_value(info, value, validation)
}

/// Decodes an already parsed object (a body, or the result of applying a patch).
pub fn decode_value<T: DeserializeOwned>(
    info: &ResourceInfo,
    value: Value,
    validation: FieldValidation,
) -> Result<Decoded<T>, ApiError> {
    let cannot_handle = |why: String| cannot_handle(info, why);
    let Value::Object(fields) = &value else {
        return Err(cannot_handle("expected an object".into()));
    };
    let text = |key| fields.get(key).and_then(Value::as_str).unwrap_or_default();
    let (api_version, kind) = (text("apiVersion"), text("kind"));
    let expected_version = info.group_version();
    // Missing type information defaults to the URL's, as the typed decoder does.
    if !api_version.is_empty() && api_version != expected_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({expected_version})"
        )));
    }
    if !kind.is_empty() && kind != info.kind {
        return Err(cannot_handle_kind(
            info,
            kind,
            format!("no kind \"{kind}\" is registered for version \"{expected_version}\""),
        ));
    }
    let (object, unknown) = with_unknown_fields::<T>(value).map_err(cannot_handle)?;
    let message = |path: &String| format!("unknown field \"{path}\"");
    match validation {
        FieldValidation::Strict if !unknown.is_empty() => {
            let (shown, more) = listed(&unknown, "error");
            let errors: Vec<String> = shown.iter().map(message).chain(more).collect();
            Err(cannot_handle(format!(
                "strict decoding error: {}",
                errors.join(", ")
            )))
        }
        // All of them: the response's warnings are cut where they are written.
        FieldValidation::Warn => Ok(Decoded {
            object,
            warnings: unknown.iter().map(message).collect(),
        }),
        _ => Ok(Decoded {
            object,
            warnings: Vec::new(),
        }),
    }
}

/// Decodes `value`, collecting the paths of the fields the type does not have.
pub fn with_unknown_fields<T: DeserializeOwned>(value: Value) -> Result<(T, Vec<String>), String> {
    let mut unknown = Vec::new();
    let object = serde_ignored::deserialize(value, |path| unknown.push(json_path(&path)))
        .map_err(|e| e.to_string())?;
    Ok((object, unknown))
}

fn cannot_handle(info: &ResourceInfo, why: String) -> ApiError {
    cannot_handle_kind(info, info.kind, why)
}

/// The typed decoder's refusal of a body of kind `kind` (the body's, else the URL's).
fn cannot_handle_kind(info: &ResourceInfo, kind: &str, why: String) -> ApiError {
    ApiError::bad_request(format!(
        "{kind} in version \"{version}\" cannot be handled as a {expected}: {why}",
        version = info.version,
        expected = info.kind,
    ))
}

/// `spec.x`, `status.conditions[0].y`: field paths as kube-apiserver prints them.
fn json_path(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", json_path(parent)),
        Path::Map { parent, key } => match json_path(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => json_path(parent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FOO;
    use foo_sdk::Foo;

    fn foo(body: &str, v: FieldValidation) -> Result<Decoded<Foo>, ApiError> {
        decode(&FOO, body.as_bytes(), BodyFormat::Json, v)
    }

    #[test]
    fn unknown_fields_by_validation_mode() {
        let body = r#"{"apiVersion":"demo.jeremyxu2010.me/v1beta1","kind":"Foo","metadata":{"name":"a","bogus":1},"spec":{"x":1,"greeting":"hi"}}"#;
        let strict = foo(body, FieldValidation::Strict).err().unwrap();
        assert_eq!(
            strict.message,
            r#"Foo in version "v1beta1" cannot be handled as a Foo: strict decoding error: unknown field "metadata.bogus", unknown field "spec.x""#
        );
        let warn = foo(body, FieldValidation::Warn).unwrap();
        assert_eq!(warn.object.spec.greeting, "hi");
        assert_eq!(warn.warnings.len(), 2);
        assert!(
            foo(body, FieldValidation::Ignore)
                .unwrap()
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn wrong_types_and_kinds_are_bad_requests() {
        for body in [
            r#"{"kind":"Bar"}"#,
            r#"{"apiVersion":"v1","kind":"Foo"}"#,
            r#"{"spec":{"greeting":5}}"#,
            r#"[1]"#,
            "{",
            "",
        ] {
            let err = foo(body, FieldValidation::Strict).err().unwrap();
            assert_eq!(err.code, 400, "{body}");
        }
    }

    #[test]
    fn yaml_bodies() {
        let body = "apiVersion: demo.jeremyxu2010.me/v1beta1\nkind: Foo\nmetadata:\n  name: from-yaml\nspec: {}\n";
        let d: Decoded<Foo> = decode(
            &FOO,
            body.as_bytes(),
            BodyFormat::Yaml,
            FieldValidation::Strict,
        )
        .unwrap();
        assert_eq!(d.object.metadata.name.as_deref(), Some("from-yaml"));
    }
}
