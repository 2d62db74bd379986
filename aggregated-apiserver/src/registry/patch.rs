//! PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge
//! patch, with kube-apiserver's answers to malformed or failing patches.

use http::HeaderMap;
use serde_json::Value;

use super::strategic;
use crate::openapi::PATCH_CONTENT_TYPES;
use crate::request::{Query, options_invalid};
use crate::resource::ListTypes;
use crate::status::{ApiError, FieldError};

/// kube-apiserver refuses JSON patches with more operations than this.
const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;
/// How much a JSON patch's copies may add in all (kube's `JSONPatchMaxCopyBytes`): copying a
/// value into itself doubles it, so thirty copies would otherwise take gigabytes.
const MAX_JSON_PATCH_COPY_BYTES: usize = 3 * 1024 * 1024;

/// How deep a patched document may nest arrays and objects: as deep as a JSON body may (serde
/// JSON's limit). Copies and moves could otherwise nest values without bound, deeper than the
/// recursion that serializes, clones or drops them can go without overflowing the stack.
const MAX_DEPTH: usize = 128;
/// How many values the depth checks of one JSON patch may visit in all: values as large as a
/// body many times over, but not megabytes again for each of 10,000 moves (kube moves a value
/// without looking into it; such a patch is refused here).
const MAX_DEPTH_CHECK_VISITS: usize = 1 << 24;

/// The media type of a server-side apply.
pub const APPLY: &str = "application/apply-patch+yaml";

/// Whether a PATCH is a server-side apply.
pub fn is_apply(headers: &HeaderMap) -> bool {
    content_type(headers) == APPLY
}

/// The PATCH route's check of the body's media type, made before anything else of the
/// request as go-restful makes it (apiserver's PATCH routes consume only the patch types):
/// each of a comma-separated Content-Type's types is taken without parameters and compared
/// exactly; none is `application/octet-stream`.
pub fn check_media_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let sent = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or("application/octet-stream");
    let consumed = sent
        .split(',')
        .map(|t| t.split(';').next().unwrap_or_default().trim())
        .any(|t| PATCH_CONTENT_TYPES.contains(&t));
    match consumed {
        true => Ok(()),
        false => Err(ApiError::unconsumed_media_type()),
    }
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
}

pub enum Patch {
    Json(json_patch::Patch),
    Merge(Value),
    /// An object; `null` is an empty patch, as the Go decoder leaves the map nil.
    Strategic(Value),
}

impl Patch {
    pub fn parse(headers: &HeaderMap, query: &Query, body: &[u8]) -> Result<Self, ApiError> {
        let content_type = content_type(headers);
        if query.get("force").is_some() {
            return Err(options_invalid(
                "PatchOptions",
                &[FieldError::forbidden(
                    "force",
                    "may not be specified for non-apply patch",
                )],
            ));
        }
        let decoding_error =
            |e: serde_json::Error| ApiError::bad_request(format!("error decoding patch: {e}"));
        match content_type {
            "application/json-patch+json" => {
                let operations: Vec<Value> =
                    serde_json::from_slice(body).map_err(decoding_error)?;
                if operations.len() > MAX_JSON_PATCH_OPERATIONS {
                    return Err(ApiError::too_large_patch(
                        MAX_JSON_PATCH_OPERATIONS,
                        operations.len(),
                    ));
                }
                let patch =
                    serde_json::from_value(Value::Array(operations)).map_err(decoding_error)?;
                Ok(Patch::Json(patch))
            }
            "application/merge-patch+json" => {
                match serde_json::from_slice(body).map_err(decoding_error)? {
                    Value::Object(map) => Ok(Patch::Merge(Value::Object(map))),
                    _ => Err(ApiError::bad_request("Invalid JSON Patch")),
                }
            }
            // apiserver decodes the body into a map and answers a bad one with the bare
            // decoder error (no `error decoding patch:` prefix).
            "application/strategic-merge-patch+json" => {
                match serde_json::from_slice(body)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?
                {
                    Value::Null => Ok(Patch::Strategic(Value::Object(Default::default()))),
                    Value::Object(map) => Ok(Patch::Strategic(Value::Object(map))),
                    other => Err(ApiError::bad_request(format!(
                        "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                        match other {
                            Value::Array(_) => "array",
                            Value::String(_) => "string",
                            Value::Number(_) => "number",
                            _ => "bool",
                        }
                    ))),
                }
            }
            _ => Err(ApiError::unsupported_media_type(PATCH_CONTENT_TYPES)),
        }
    }

    /// The patched document.
    pub fn apply(&self, lists: &ListTypes, mut document: Value) -> Result<Value, ApiError> {
        match self {
            Patch::Json(patch) => apply_json_patch(&mut document, patch)?,
            Patch::Merge(patch) => json_patch::merge(&mut document, patch),
            Patch::Strategic(patch) => document = strategic::merge(lists, &document, patch)?,
        }
        Ok(document)
    }
}

/// Applies `patch` operation by operation, counting what copies add and refusing to nest
/// values deeper than [`MAX_DEPTH`]. The document is a copy thrown away on failure, so nothing
/// needs undoing (the crate's undo panics on some valid patch sequences).
fn apply_json_patch(document: &mut Value, patch: &json_patch::Patch) -> Result<(), ApiError> {
    let mut copied = 0;
    let mut visits = MAX_DEPTH_CHECK_VISITS;
    for operation in &patch.0 {
        // kube answers the library's errors with its generic 422, as any failed patch.
        if nests_too_deep(document, operation, &mut visits) {
            return Err(ApiError::patch_rejected());
        }
        if let json_patch::PatchOperation::Copy(copy) = operation {
            let size = document.pointer(copy.from.as_str()).map_or(0, |value| {
                serde_json::to_vec(value).map_or(0, |bytes| bytes.len())
            });
            copied += size;
            if copied > MAX_JSON_PATCH_COPY_BYTES {
                return Err(ApiError::patch_rejected());
            }
        }
        json_patch::patch_unsafe(document, std::slice::from_ref(operation))
            .map_err(|_| ApiError::patch_rejected())?;
    }
    Ok(())
}

/// Whether `operation` would nest the document deeper than [`MAX_DEPTH`], or telling would
/// take more than the `visits` left: what it puts at its path lies as many levels down as the
/// path has tokens. The document is within the bound before each operation, so a value moved
/// no further down keeps it.
fn nests_too_deep(
    document: &Value,
    operation: &json_patch::PatchOperation,
    visits: &mut usize,
) -> bool {
    use json_patch::PatchOperation::{Add, Copy, Move, Replace};
    let (path, value) = match operation {
        Add(add) => (&add.path, Some(&add.value)),
        Replace(replace) => (&replace.path, Some(&replace.value)),
        Copy(copy) => (&copy.path, document.pointer(copy.from.as_str())),
        Move(mv) if mv.path.count() > mv.from.count() => {
            (&mv.path, document.pointer(mv.from.as_str()))
        }
        _ => return false,
    };
    let Some(value) = value else {
        return false;
    };
    MAX_DEPTH
        .checked_sub(path.count())
        .is_none_or(|room| deeper_than(value, room, visits))
}

/// Whether `value` nests more than `levels` arrays and objects (a scalar nests none), or
/// would take visiting more than `visits` values to tell, which it counts down. Walked
/// without recursion, as deep values are what it looks for.
fn deeper_than(value: &Value, levels: usize, visits: &mut usize) -> bool {
    let mut pending = vec![(value, 0)];
    while let Some((value, depth)) = pending.pop() {
        let Some(left) = visits.checked_sub(1) else {
            return true;
        };
        *visits = left;
        match value {
            Value::Array(_) | Value::Object(_) if depth == levels => return true,
            Value::Array(items) => pending.extend(items.iter().map(|item| (item, depth + 1))),
            Value::Object(fields) => pending.extend(fields.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patched(operations: Value) -> Result<Value, ApiError> {
        let mut document = json!({"spec": {}});
        let patch = serde_json::from_value(operations).unwrap();
        apply_json_patch(&mut document, &patch).map(|()| document)
    }

    /// `levels` maps nested in `spec.x`, three operations a level.
    fn nested(levels: usize) -> Value {
        let mut operations = vec![json!({"op": "add", "path": "/spec/x", "value": {}})];
        for _ in 1..levels {
            operations.extend([
                json!({"op": "add", "path": "/spec/t", "value": {}}),
                json!({"op": "move", "from": "/spec/x", "path": "/spec/t/x"}),
                json!({"op": "move", "from": "/spec/t", "path": "/spec/x"}),
            ]);
        }
        Value::Array(operations)
    }

    #[test]
    fn patched_documents_nest_at_most_128_levels() {
        let document = patched(nested(126)).unwrap();
        let mut visits = usize::MAX;
        assert!(!deeper_than(&document, MAX_DEPTH, &mut visits));
        assert!(deeper_than(&document, MAX_DEPTH - 1, &mut visits));
        assert_eq!(patched(nested(127)).unwrap_err().code, 422);
        // A value added whole is measured too.
        let deep = (0..127).fold(json!(1), |value, _| json!([value]));
        let add = json!([{"op": "add", "path": "/spec/x", "value": deep}]);
        assert_eq!(patched(add).unwrap_err().code, 422);
    }

    #[test]
    fn depth_checks_visit_a_bounded_number_of_values() {
        let mut operations = vec![
            json!({"op": "add", "path": "/spec/x", "value": vec![0; 100_000]}),
            json!({"op": "add", "path": "/spec/t", "value": {}}),
        ];
        for _ in 0..200 {
            operations.extend([
                json!({"op": "move", "from": "/spec/x", "path": "/spec/t/x"}),
                json!({"op": "move", "from": "/spec/t/x", "path": "/spec/x"}),
            ]);
        }
        assert!(patched(Value::Array(operations[..100].to_vec())).is_ok());
        assert_eq!(patched(Value::Array(operations)).unwrap_err().code, 422);
    }
}
