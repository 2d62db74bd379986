//! Responses about objects, in the representation the client negotiated: the object or list
//! as JSON or YAML, a server-side printed Table, or PartialObjectMetadata.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::Resource;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::negotiate::{self, MetaVersion, Output};
use crate::registry::cache::Cached;
use crate::registry::store::ListResult;
use crate::registry::{Outcome, Strategy, Style, TableColumnDefinition};
use crate::request::Query;
use crate::status::{ApiError, FieldError};

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

    pub fn one(&self, outcome: Outcome<S::Object>) -> Result<Response, ApiError> {
        let code = match outcome.is_created() {
            true => StatusCode::CREATED,
            false => StatusCode::OK,
        };
        let (object, warnings) = outcome.into_parts();
        match self.output {
            Output::Json | Output::Yaml => respond(self.output, code, &warnings, &object),
            Output::Metadata(version) => {
                let body = PartialMetadata::of(&object, version);
                respond(self.output, code, &warnings, &body)
            }
            Output::Table(version) => {
                let body = self.table(&object, version);
                respond(self.output, code, &warnings, &body)
            }
        }
    }

    /// The Success Status of a deletion, naming `deleted`, in JSON or YAML as asked (a Table
    /// of a Status is the Status, as kube-apiserver answers).
    pub fn success(&self, deleted: &S::Object) -> Result<Response, ApiError> {
        let info = self.strategy.info();
        let meta = deleted.meta();
        let body = serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {"name": meta.name, "group": info.group, "kind": info.plural, "uid": meta.uid},
        });
        let output = match self.output {
            Output::Yaml => Output::Yaml,
            _ => Output::Json,
        };
        respond(output, StatusCode::OK, &[], &body)
    }

    /// One object of the cache: its JSON as it is, or decoded for any other form.
    pub fn cached(&self, cached: &Cached<S::Object>) -> Result<Response, ApiError> {
        match self.output {
            Output::Json => Ok(finish(
                StatusCode::OK,
                negotiate::JSON,
                &[],
                cached.json().clone(),
            )),
            _ => self.one(Outcome::existing(cached.decode()?)),
        }
    }

    /// A list, written from the objects' JSON as the cache keeps it: no object is
    /// serialized again, and only a Table's cells need one decoded.
    pub fn list(&self, list: ListResult<S::Object>) -> Result<Response, ApiError> {
        let metadata = list_meta(
            Some(list.revision.to_string()),
            list.continue_from.map(|c| c.encode()),
            list.remaining,
        );
        let items = &list.items;
        // About the size of the response: the objects as stored, plus a Table's cells.
        let stored: usize = items.iter().map(|cached| cached.stored_bytes()).sum();
        let mut json = Vec::with_capacity(stored + items.len() * 192 + 1024);
        let no_items: &[()] = &[];
        match self.output {
            Output::Json | Output::Yaml => {
                let info = self.strategy.info();
                let api_version = info.group_version();
                let body = List {
                    kind: info.list_kind,
                    api_version: &api_version,
                    metadata,
                    items: no_items,
                };
                // A Go typed list's items have no type of their own: their JSON without the
                // apiVersion and kind that lead it.
                let type_meta =
                    format!(r#"{{"apiVersion":"{api_version}","kind":"{}","#, info.kind);
                let untyped = self.strategy.style() == Style::Typed;
                write_with_items(&mut json, &body, items, |out, cached| {
                    match cached.json().strip_prefix(type_meta.as_bytes()) {
                        Some(rest) if untyped => {
                            out.push(b'{');
                            out.extend_from_slice(rest);
                        }
                        _ => out.extend_from_slice(cached.json()),
                    }
                    Ok(())
                })?;
            }
            Output::Metadata(version) => {
                let body = List {
                    kind: "PartialObjectMetadataList",
                    api_version: version.api_version(),
                    metadata,
                    items: no_items,
                };
                write_with_items(&mut json, &body, items, |out, cached| {
                    write_partial_metadata(out, cached, version);
                    Ok(())
                })?;
            }
            Output::Table(version) => {
                let body = TableBody {
                    api_version: version.api_version(),
                    kind: "Table",
                    metadata,
                    column_definitions: Some(self.strategy.table_columns()),
                    rows: no_items,
                };
                let now = Timestamp::now();
                write_with_items(&mut json, &body, items, |out, cached| {
                    self.write_row(out, cached, version, now)
                })?;
            }
        }
        if self.output == Output::Yaml {
            let value: Value = serde_json::from_slice(&json).map_err(ApiError::internal)?;
            return respond(self.output, StatusCode::OK, &[], &value);
        }
        Ok(finish(StatusCode::OK, negotiate::JSON, &[], json))
    }

    /// A Table row of a cached object, in the field order of foo-sdk's `TableRow`.
    fn write_row(
        &self,
        out: &mut Vec<u8>,
        cached: &Cached<S::Object>,
        version: MetaVersion,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let cells = self.strategy.table_cells(&cached.decode()?, now);
        out.extend_from_slice(b"{\"cells\":");
        serde_json::to_writer(&mut *out, &cells).map_err(ApiError::internal)?;
        match self.include {
            IncludeObject::None => out.extend_from_slice(b",\"object\":null"),
            IncludeObject::Metadata => {
                out.extend_from_slice(b",\"object\":");
                write_partial_metadata(out, cached, version);
            }
            IncludeObject::Object => {
                out.extend_from_slice(b",\"object\":");
                out.extend_from_slice(cached.json());
            }
        }
        out.push(b'}');
        Ok(())
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
            Output::Metadata(version) => to_value(&PartialMetadata::of(object, version)),
            Output::Table(version) => {
                let mut table = self.table(object, version);
                if !first {
                    table.column_definitions = None;
                }
                to_value(&table)
            }
        }
    }

    /// The Table of one object, with the object's revision.
    fn table<'a>(
        &self,
        object: &'a S::Object,
        version: MetaVersion,
    ) -> TableBody<[Row<'a, S::Object>; 1]> {
        let rv = object.meta().resource_version.clone();
        let row = Row {
            cells: self.strategy.table_cells(object, Timestamp::now()),
            object: match self.include {
                IncludeObject::None => None,
                IncludeObject::Metadata => {
                    Some(RowObject::Metadata(PartialMetadata::of(object, version)))
                }
                IncludeObject::Object => Some(RowObject::Object(object)),
            },
        };
        TableBody {
            api_version: version.api_version(),
            kind: "Table",
            metadata: list_meta(rv, None, None),
            column_definitions: Some(self.strategy.table_columns()),
            rows: [row],
        }
    }
}

/// Writes `body`, whose last field is an empty array, with `items` in that array, each
/// written by `write`.
fn write_with_items<I>(
    out: &mut Vec<u8>,
    body: &impl Serialize,
    items: &[I],
    mut write: impl FnMut(&mut Vec<u8>, &I) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    serde_json::to_writer(&mut *out, body).map_err(ApiError::internal)?;
    debug_assert!(out.ends_with(b"[]}"), "the items are the body's last field");
    out.truncate(out.len() - 2);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item)?;
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

/// A cached object as `meta.k8s.io` PartialObjectMetadata, in the field order of
/// [`PartialMetadata`].
fn write_partial_metadata<T>(out: &mut Vec<u8>, cached: &Cached<T>, version: MetaVersion) {
    out.extend_from_slice(b"{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"");
    out.extend_from_slice(version.api_version().as_bytes());
    out.extend_from_slice(b"\",\"metadata\":");
    out.extend_from_slice(cached.metadata_json());
    out.push(b'}');
}

/// A list as the API writes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct List<'a, I> {
    kind: &'a str,
    api_version: &'a str,
    metadata: Value,
    items: I,
}

/// `meta.k8s.io` PartialObjectMetadata, borrowing the object's metadata.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartialMetadata<'a> {
    kind: &'static str,
    api_version: &'static str,
    metadata: &'a ObjectMeta,
}

impl<'a> PartialMetadata<'a> {
    fn of<T: Resource>(object: &'a T, version: MetaVersion) -> Self {
        PartialMetadata {
            kind: "PartialObjectMetadata",
            api_version: version.api_version(),
            metadata: object.meta(),
        }
    }
}

/// `meta.k8s.io` Table, in the field order of foo-sdk's `Table`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TableBody<R> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Value,
    /// Left out (null) after a watch's first event.
    column_definitions: Option<Vec<TableColumnDefinition>>,
    rows: R,
}

/// A Table row, in the field order of foo-sdk's `TableRow`.
#[derive(Serialize)]
struct Row<'a, T> {
    cells: Vec<Value>,
    /// `null` without one, as Go writes an empty RawExtension.
    object: Option<RowObject<'a, T>>,
}

/// What a row carries as its `object` (`includeObject`).
#[derive(Serialize)]
#[serde(untagged)]
enum RowObject<'a, T> {
    Metadata(PartialMetadata<'a>),
    Object(&'a T),
}

fn to_value<T: serde::Serialize>(object: &T) -> Result<Value, ApiError> {
    serde_json::to_value(object).map_err(ApiError::internal)
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

/// Writes `body` in the negotiated form, with `Warning: 299` headers for the warnings.
pub fn respond(
    output: Output,
    code: StatusCode,
    warnings: &[String],
    body: &impl Serialize,
) -> Result<Response, ApiError> {
    let (content_type, bytes) = match output {
        // As apimachinery's YAML serializer: the JSON, written by sigs.k8s.io/yaml.
        Output::Yaml => (
            negotiate::YAML,
            kube_yaml::to_string(body)
                .map_err(ApiError::internal)?
                .into_bytes(),
        ),
        _ => (
            negotiate::JSON,
            serde_json::to_vec(body).map_err(ApiError::internal)?,
        ),
    };
    Ok(finish(code, content_type, warnings, bytes))
}

/// The response with `body`, of `content_type`, and `Warning: 299` headers for the warnings.
fn finish(
    code: StatusCode,
    content_type: &'static str,
    warnings: &[String],
    body: impl Into<Body>,
) -> Response {
    let mut response = (code, [(header::CONTENT_TYPE, content_type)], body.into()).into_response();
    for value in warning_headers(warnings) {
        response.headers_mut().append(header::WARNING, value);
    }
    response
}

/// The warnings of one response add up to this many characters, or to a little more once cut.
const MAX_WARNING_CHARS: usize = 4096;
/// What each warning is cut to once they go over [`MAX_WARNING_CHARS`].
const CUT_WARNING_CHARS: usize = 256;

/// The `Warning` headers for `warnings`, as k8s.io/apiserver's warning recorder writes them:
/// each text once, whole while all of them add up to at most 4096 characters; past that,
/// every warning (those before included) is cut to its first 256 characters, and none is added
/// once they add up to 4096 again. A text with control characters is left out.
fn warning_headers(warnings: &[String]) -> Vec<HeaderValue> {
    let mut seen = HashSet::new();
    let mut recorded = Vec::new();
    let mut headers = Vec::new();
    let mut total = 0;
    let mut cutting = false;
    for text in warnings {
        if cutting && total >= MAX_WARNING_CHARS {
            break;
        }
        if text.is_empty() || !seen.insert(text.as_str()) {
            continue;
        }
        recorded.push(text.as_str());
        let (text, chars) = if cutting {
            cut(text)
        } else {
            (text.as_str(), text.chars().count())
        };
        let Some(header) = warning_header(text) else {
            continue;
        };
        if cutting || total + chars <= MAX_WARNING_CHARS {
            total += chars;
            headers.push(header);
            continue;
        }
        // Over the limit: every warning is cut from now on, those written before included.
        cutting = true;
        headers.clear();
        total = 0;
        for (text, chars) in recorded.iter().map(|text| cut(text)) {
            if let Some(header) = warning_header(text) {
                total += chars;
                headers.push(header);
            }
        }
    }
    headers
}

/// `text` cut to its first [`CUT_WARNING_CHARS`] characters, and its length in characters.
fn cut(text: &str) -> (&str, usize) {
    match text.char_indices().nth(CUT_WARNING_CHARS) {
        Some((end, _)) => (&text[..end], CUT_WARNING_CHARS),
        None => (text, text.chars().count()),
    }
}

/// `299 - "text"`, with `"` and `\` escaped; none for a text with control characters.
/// `response` with the warning `text` before any it carries, as kube-apiserver warns of a
/// deprecated version before serving the request.
pub fn warned_first(mut response: Response, text: &str) -> Response {
    let headers = response.headers_mut();
    let others: Vec<HeaderValue> = headers.get_all(header::WARNING).iter().cloned().collect();
    headers.remove(header::WARNING);
    for value in warning_header(text).into_iter().chain(others) {
        headers.append(header::WARNING, value);
    }
    response
}

fn warning_header(text: &str) -> Option<HeaderValue> {
    if text.chars().any(char::is_control) {
        return None;
    }
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    HeaderValue::from_bytes(format!("299 - \"{escaped}\"").as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(warnings: &[String]) -> Vec<String> {
        warning_headers(warnings)
            .iter()
            .map(|h| String::from_utf8(h.as_bytes().to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn warnings_are_written_once_and_quoted() {
        let warnings = ["a \"b\" \\ é", "a \"b\" \\ é", "", "bell \u{7}", "c"].map(String::from);
        assert_eq!(
            texts(&warnings),
            [r#"299 - "a \"b\" \\ é""#, r#"299 - "c""#]
        );
    }

    #[test]
    fn warnings_over_4096_characters_are_cut() {
        // Four of 1000 characters fit; the fifth cuts all five to 256, and eleven more make
        // 4096 again.
        let long = |i: usize| format!("{i:x<1000}");
        let headers = texts(&(0..100).map(long).collect::<Vec<_>>());
        assert_eq!(headers.len(), 16);
        for (i, header) in headers.iter().enumerate() {
            assert_eq!(*header, format!("299 - \"{}\"", &long(i)[..256]));
        }
        // Then each is added, cut if need be, until they add up to 4096 or more.
        let mut warnings: Vec<String> = (0..5).map(long).collect();
        warnings.extend((0..10_000).map(|i| format!("w{i}")));
        let headers = texts(&warnings);
        let chars: usize = headers.iter().map(|h| h.chars().count() - 8).sum();
        assert_eq!(chars, 5 * 256 + 10 * 2 + 90 * 3 + 632 * 4);
        assert_eq!(headers.last().unwrap(), r#"299 - "w731""#);
    }
}
