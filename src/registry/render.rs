//! Responses about objects, in the representation the client negotiated: the object or list
//! as JSON or YAML, a server-side printed Table, or PartialObjectMetadata.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use foo_sdk::table::{Table, TableRow};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use k8s_openapi::jiff::Timestamp;
use kube::Resource;
use serde_json::{Map, Value, json};

use super::Strategy;
use super::store::ListResult;
use crate::negotiate::{self, MetaVersion, Output};
use crate::request::Query;
use crate::status::{ApiError, FieldError};

/// The outcome of a write or read of one object.
pub struct Rendered<T> {
    object: T,
    code: StatusCode,
    warnings: Vec<String>,
}

impl<T> Rendered<T> {
    pub fn ok(object: T) -> Self {
        Rendered {
            object,
            code: StatusCode::OK,
            warnings: Vec::new(),
        }
    }
    pub fn created(object: T, warnings: Vec<String>) -> Self {
        Rendered {
            object,
            code: StatusCode::CREATED,
            warnings,
        }
    }
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }
}

/// What a Table row carries as its `object` (`includeObject`).
#[derive(Clone, Copy, PartialEq)]
enum IncludeObject {
    None,
    Metadata,
    Object,
}

pub struct Renderer<S> {
    strategy: Arc<S>,
    output: Output,
    include: IncludeObject,
}

impl<S: Strategy> Renderer<S> {
    /// Negotiates up front, so that a request for an unacceptable form changes nothing.
    pub fn new(
        strategy: Arc<S>,
        headers: &HeaderMap,
        query: &Query,
        list: bool,
    ) -> Result<Self, ApiError> {
        let output = negotiate::output(headers, list)?;
        let include = match query.get("includeObject").unwrap_or_default() {
            "" | "Metadata" => IncludeObject::Metadata,
            "None" => IncludeObject::None,
            "Object" => IncludeObject::Object,
            other => {
                return Err(crate::request::options_invalid(
                    "TableOptions",
                    &[FieldError::not_supported(
                        "includeObject",
                        &format!("{other:?}"),
                        &["Metadata", "None", "Object"],
                    )],
                ));
            }
        };
        Ok(Renderer {
            strategy,
            output,
            include,
        })
    }

    pub fn one(&self, rendered: Rendered<S::Object>) -> Result<Response, ApiError> {
        let object = &rendered.object;
        let body = match self.output {
            Output::Json | Output::Yaml => to_value(object)?,
            Output::Metadata(version) => partial_metadata(object, version)?,
            Output::Table(version) => {
                let rv = object.meta().resource_version.clone();
                self.table(
                    std::slice::from_ref(object),
                    version,
                    list_meta(rv, None, None),
                )?
            }
        };
        respond(self.output, rendered.code, &rendered.warnings, &body)
    }

    pub fn list(&self, list: ListResult<S::Object>) -> Result<Response, ApiError> {
        let metadata = list_meta(
            Some(list.revision.to_string()),
            list.continue_from.map(|c| c.encode()),
            list.remaining,
        );
        let body = match self.output {
            Output::Json | Output::Yaml => {
                let info = self.strategy.info();
                let items = list
                    .items
                    .iter()
                    .map(to_value)
                    .collect::<Result<Vec<_>, _>>()?;
                json!({
                    "kind": info.list_kind,
                    "apiVersion": info.group_version(),
                    "metadata": metadata,
                    "items": items,
                })
            }
            Output::Metadata(version) => {
                let items = list
                    .items
                    .iter()
                    .map(|o| partial_metadata(o, version))
                    .collect::<Result<Vec<_>, _>>()?;
                json!({
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": version.api_version(),
                    "metadata": metadata,
                    "items": items,
                })
            }
            Output::Table(version) => self.table(&list.items, version, metadata)?,
        };
        respond(self.output, StatusCode::OK, &[], &body)
    }

    /// Whether objects go out as their plain JSON.
    pub fn is_plain_json(&self) -> bool {
        self.output == Output::Json
    }

    pub fn info(&self) -> &'static crate::resource::ResourceInfo {
        self.strategy.info()
    }

    /// The object of a watch event; a Table carries its column definitions only in the
    /// first event, as kube-apiserver sends them.
    pub fn event_object(&self, object: &S::Object, first: bool) -> Result<Value, ApiError> {
        match self.output {
            Output::Json | Output::Yaml => to_value(object),
            Output::Metadata(version) => partial_metadata(object, version),
            Output::Table(version) => {
                let rv = object.meta().resource_version.clone();
                let mut table = self.table(
                    std::slice::from_ref(object),
                    version,
                    list_meta(rv, None, None),
                )?;
                if !first {
                    table["columnDefinitions"] = Value::Null;
                }
                Ok(table)
            }
        }
    }

    fn table(
        &self,
        objects: &[S::Object],
        version: MetaVersion,
        metadata: Value,
    ) -> Result<Value, ApiError> {
        let now = Timestamp::now();
        let rows = objects
            .iter()
            .map(|object| {
                let row_object = match self.include {
                    IncludeObject::None => None,
                    IncludeObject::Metadata => Some(partial_metadata(object, version)?),
                    IncludeObject::Object => Some(to_value(object)?),
                };
                Ok(TableRow {
                    cells: self.strategy.table_cells(object, now),
                    conditions: None,
                    object: row_object,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let table = Table {
            api_version: version.api_version().into(),
            kind: "Table".into(),
            metadata: Default::default(),
            column_definitions: self.strategy.table_columns(),
            rows,
        };
        let mut value = to_value(&table)?;
        value["metadata"] = metadata;
        Ok(value)
    }
}

fn to_value<T: serde::Serialize>(object: &T) -> Result<Value, ApiError> {
    serde_json::to_value(object).map_err(ApiError::internal)
}

fn partial_metadata<T: Resource + serde::Serialize>(
    object: &T,
    version: MetaVersion,
) -> Result<Value, ApiError> {
    Ok(json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": version.api_version(),
        "metadata": to_value(object.meta())?,
    }))
}

fn list_meta(
    resource_version: Option<String>,
    continue_token: Option<String>,
    remaining: Option<u64>,
) -> Value {
    let mut meta = Map::new();
    if let Some(rv) = resource_version {
        meta.insert("resourceVersion".into(), rv.into());
    }
    if let Some(token) = continue_token {
        meta.insert("continue".into(), token.into());
    }
    if let Some(n) = remaining {
        meta.insert("remainingItemCount".into(), n.into());
    }
    Value::Object(meta)
}

/// Writes `body` in the negotiated form, with one `Warning: 299` header per warning.
pub fn respond(
    output: Output,
    code: StatusCode,
    warnings: &[String],
    body: &Value,
) -> Result<Response, ApiError> {
    let (content_type, bytes) = match output {
        Output::Yaml => (
            negotiate::YAML,
            serde_saphyr::to_string(body)
                .map_err(ApiError::internal)?
                .into_bytes(),
        ),
        _ => (
            negotiate::JSON,
            serde_json::to_vec(body).map_err(ApiError::internal)?,
        ),
    };
    let mut response = (code, [(header::CONTENT_TYPE, content_type)], bytes).into_response();
    for warning in warnings {
        let escaped = warning.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    Ok(response)
}
