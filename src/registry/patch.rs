//! PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge
//! patch, with kube-apiserver's answers to malformed or failing patches.

use http::HeaderMap;
use serde_json::Value;

use super::strategic;
use crate::openapi::PATCH_CONTENT_TYPES;
use crate::request::{Query, options_invalid};
use crate::resource::ResourceInfo;
use crate::status::{ApiError, FieldError};

/// kube-apiserver refuses JSON patches with more operations than this.
const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;
/// How much a JSON patch's copies may add in all (kube's `JSONPatchMaxCopyBytes`): copying a
/// value into itself doubles it, so thirty copies would otherwise take gigabytes.
const MAX_JSON_PATCH_COPY_BYTES: usize = 3 * 1024 * 1024;

/// The media type of a server-side apply.
pub const APPLY: &str = "application/apply-patch+yaml";

/// Whether a PATCH is a server-side apply.
pub fn is_apply(headers: &HeaderMap) -> bool {
    content_type(headers) == APPLY
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
    pub fn apply(&self, info: &ResourceInfo, mut document: Value) -> Result<Value, ApiError> {
        match self {
            Patch::Json(patch) => apply_json_patch(&mut document, patch)?,
            Patch::Merge(patch) => json_patch::merge(&mut document, patch),
            Patch::Strategic(patch) => document = strategic::merge(info, &document, patch)?,
        }
        Ok(document)
    }
}

/// Applies `patch` operation by operation, counting what copies add. The document is a copy
/// thrown away on failure, so nothing needs undoing (the crate's undo panics on some valid
/// patch sequences).
fn apply_json_patch(document: &mut Value, patch: &json_patch::Patch) -> Result<(), ApiError> {
    let mut copied = 0;
    for operation in &patch.0 {
        if let json_patch::PatchOperation::Copy(copy) = operation {
            let size = document.pointer(copy.from.as_str()).map_or(0, |value| {
                serde_json::to_vec(value).map_or(0, |bytes| bytes.len())
            });
            copied += size;
            // kube answers the library's error with its generic 422, as any failed patch.
            if copied > MAX_JSON_PATCH_COPY_BYTES {
                return Err(ApiError::patch_rejected());
            }
        }
        json_patch::patch_unsafe(document, std::slice::from_ref(operation))
            .map_err(|_| ApiError::patch_rejected())?;
    }
    Ok(())
}
