//! The protobuf form of the `/openapi/v2` document: gnostic's `openapi.v2.Document` message
//! (github.com/google/gnostic-models, `openapiv2/OpenAPIv2.proto`), which kube-openapi's handler
//! serves for `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and which
//! kubectl up to 1.28 reads for `explain` and for its field-validation support check.
//!
//! kube-openapi builds it by parsing the JSON document with gnostic (`openapi_v2.ParseDocument`)
//! and marshalling the message; this module does the same conversion with a small hand-rolled
//! protobuf writer, following gnostic's `OpenAPIv2.go`:
//! - vendor extensions (`x-…` keys) become `NamedAny`s whose `Any` holds the value rendered as
//!   YAML;
//! - `default`, `enum` and `example` values are `Any`s the same way;
//! - a parameter is a `ParametersItem`: a `JsonReference` when it has a `$ref`, otherwise a
//!   `Parameter`, itself a `BodyParameter` (`in: body`) or a `NonBodyParameter` holding the
//!   header, formData, query or path sub-schema;
//! - a response is a `ResponseValue`: a `JsonReference` or a `Response`.
//!
//! Fields are written in field-number order with proto3 implicit presence (zero values are
//! omitted), as Go's `proto.Marshal` writes them. Security definitions are not encoded (the
//! document has none).

use std::sync::LazyLock;

use serde_json::{Map, Value};

/// The protobuf encoding of gnostic's `openapi.v2.Document` for the Swagger 2.0 `document`.
pub fn encode_v2(document: &Value) -> Vec<u8> {
    let mut m = Msg::default();
    if let Some(o) = document.as_object() {
        encode_document(&mut m, o);
    }
    m.0
}

/// A message being written.
#[derive(Default)]
struct Msg(Vec<u8>);

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

impl Msg {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u32) {
        self.varint(u64::from((field << 3) | wire));
    }

    fn len_delimited(&mut self, field: u32, bytes: &[u8]) {
        self.key(field, LEN);
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    /// A singular `string` field (omitted when empty).
    fn string(&mut self, field: u32, s: &str) {
        if !s.is_empty() {
            self.len_delimited(field, s.as_bytes());
        }
    }

    /// A singular `bool` field (omitted when false).
    fn bool(&mut self, field: u32, b: bool) {
        if b {
            self.bool_always(field, b);
        }
    }

    /// A `bool` member of a oneof: written even when false.
    fn bool_always(&mut self, field: u32, b: bool) {
        self.key(field, VARINT);
        self.varint(u64::from(b));
    }

    /// A singular `int64` field (omitted when zero).
    fn int64(&mut self, field: u32, i: i64) {
        if i != 0 {
            self.key(field, VARINT);
            self.varint(i as u64);
        }
    }

    /// A singular `double` field (omitted when +0.0).
    fn double(&mut self, field: u32, f: f64) {
        if f.to_bits() != 0 {
            self.key(field, FIXED64);
            self.0.extend_from_slice(&f.to_le_bytes());
        }
    }

    /// A message field, written even when the message is empty.
    fn message(&mut self, field: u32, write: impl FnOnce(&mut Msg)) {
        let mut inner = Msg::default();
        write(&mut inner);
        self.len_delimited(field, &inner.0);
    }

    /// `o[key]` as a singular `string` field.
    fn str_of(&mut self, field: u32, o: &Map<String, Value>, key: &str) {
        if let Some(s) = o.get(key).and_then(Value::as_str) {
            self.string(field, s);
        }
    }

    /// `o[key]` as a singular `bool` field.
    fn bool_of(&mut self, field: u32, o: &Map<String, Value>, key: &str) {
        self.bool(field, o.get(key).and_then(Value::as_bool).unwrap_or(false));
    }

    /// `o[key]` as a singular `int64` field.
    fn int64_of(&mut self, field: u32, o: &Map<String, Value>, key: &str) {
        let i = o
            .get(key)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
        self.int64(field, i.unwrap_or(0));
    }

    /// `o[key]` as a singular `double` field.
    fn double_of(&mut self, field: u32, o: &Map<String, Value>, key: &str) {
        self.double(field, o.get(key).and_then(Value::as_f64).unwrap_or(0.0));
    }

    /// `o[key]` (a string or an array of strings) as a `repeated string` field.
    fn strings_of(&mut self, field: u32, o: &Map<String, Value>, key: &str) {
        for s in string_array(o.get(key)) {
            self.len_delimited(field, s.as_bytes());
        }
    }

    /// `o[key]`, if present, as an `Any` field.
    fn any_of(&mut self, field: u32, o: &Map<String, Value>, key: &str) {
        if let Some(v) = o.get(key) {
            self.message(field, |m| encode_any(m, v));
        }
    }

    /// The elements of the array `o[key]` as a `repeated Any` field.
    fn anys_of(&mut self, field: u32, o: &Map<String, Value>, key: &str) {
        for v in o.get(key).and_then(Value::as_array).into_iter().flatten() {
            self.message(field, |m| encode_any(m, v));
        }
    }

    /// `o[key]`, if an object, as a message field written by `write`.
    fn object_of(
        &mut self,
        field: u32,
        o: &Map<String, Value>,
        key: &str,
        write: impl FnOnce(&mut Msg, &Map<String, Value>),
    ) {
        if let Some(inner) = o.get(key).and_then(Value::as_object) {
            self.message(field, |m| write(m, inner));
        }
    }

    /// The `x-…` keys of `o` as a `repeated NamedAny vendor_extension` field.
    fn vendor_extensions(&mut self, field: u32, o: &Map<String, Value>) {
        for (name, value) in o.iter().filter(|(k, _)| k.starts_with("x-")) {
            self.message(field, |m| {
                m.string(1, name);
                m.message(2, |m| encode_any(m, value));
            });
        }
    }

    fn named(&mut self, field: u32, name: &str, write: impl FnOnce(&mut Msg)) {
        self.message(field, |m| {
            m.string(1, name);
            m.message(2, write);
        });
    }
}

fn string_array(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

/// `value` as an object; anything else reads as an empty one.
fn object(value: &Value) -> &Map<String, Value> {
    static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
    value.as_object().unwrap_or(&EMPTY)
}

/// `Any { yaml = 2 }`: the value rendered as YAML, as gnostic's `compiler.Marshal` renders it.
fn encode_any(m: &mut Msg, value: &Value) {
    m.string(2, &yaml(value));
}

fn yaml(value: &Value) -> String {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    // Any valid YAML is read back the same by clients; JSON is YAML should rendering fail.
    serde_saphyr::to_string_with_options(value, options).unwrap_or_else(|_| format!("{value}\n"))
}

/// `Document`.
fn encode_document(m: &mut Msg, o: &Map<String, Value>) {
    m.str_of(1, o, "swagger");
    m.object_of(2, o, "info", encode_info);
    m.str_of(3, o, "host");
    m.str_of(4, o, "basePath");
    m.strings_of(5, o, "schemes");
    m.strings_of(6, o, "consumes");
    m.strings_of(7, o, "produces");
    m.object_of(8, o, "paths", encode_paths);
    // Definitions { repeated NamedSchema additional_properties = 1 }
    m.object_of(9, o, "definitions", |m, defs| {
        for (name, schema) in defs {
            m.named(1, name, |m| encode_schema(m, object(schema)));
        }
    });
    // ParameterDefinitions { repeated NamedParameter additional_properties = 1 }
    m.object_of(10, o, "parameters", |m, params| {
        for (name, param) in params {
            m.named(1, name, |m| encode_parameter(m, object(param)));
        }
    });
    // ResponseDefinitions { repeated NamedResponse additional_properties = 1 }
    m.object_of(11, o, "responses", |m, responses| {
        for (name, response) in responses {
            m.named(1, name, |m| encode_response(m, object(response)));
        }
    });
    encode_security(m, 12, o);
    for tag in o
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        m.message(14, |m| {
            let tag = object(tag);
            m.str_of(1, tag, "name");
            m.str_of(2, tag, "description");
            m.object_of(3, tag, "externalDocs", encode_external_docs);
            m.vendor_extensions(4, tag);
        });
    }
    m.object_of(15, o, "externalDocs", encode_external_docs);
    m.vendor_extensions(16, o);
}

/// `Info`, with its `Contact` and `License`.
fn encode_info(m: &mut Msg, o: &Map<String, Value>) {
    m.str_of(1, o, "title");
    m.str_of(2, o, "version");
    m.str_of(3, o, "description");
    m.str_of(4, o, "termsOfService");
    m.object_of(5, o, "contact", |m, c| {
        m.str_of(1, c, "name");
        m.str_of(2, c, "url");
        m.str_of(3, c, "email");
        m.vendor_extensions(4, c);
    });
    m.object_of(6, o, "license", |m, l| {
        m.str_of(1, l, "name");
        m.str_of(2, l, "url");
        m.vendor_extensions(3, l);
    });
    m.vendor_extensions(7, o);
}

/// `ExternalDocs`.
fn encode_external_docs(m: &mut Msg, o: &Map<String, Value>) {
    m.str_of(1, o, "description");
    m.str_of(2, o, "url");
    m.vendor_extensions(3, o);
}

/// `repeated SecurityRequirement` (each `{ repeated NamedStringArray additional_properties = 1 }`).
fn encode_security(m: &mut Msg, field: u32, o: &Map<String, Value>) {
    for requirement in o
        .get("security")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        m.message(field, |m| {
            for (name, scopes) in object(requirement) {
                m.named(1, name, |m| {
                    for scope in string_array(Some(scopes)) {
                        m.len_delimited(1, scope.as_bytes());
                    }
                });
            }
        });
    }
}

/// `Paths`: vendor extensions, then `NamedPathItem`s for the keys starting with `/`.
fn encode_paths(m: &mut Msg, o: &Map<String, Value>) {
    m.vendor_extensions(1, o);
    for (path, item) in o.iter().filter(|(k, _)| k.starts_with('/')) {
        m.named(2, path, |m| encode_path_item(m, object(item)));
    }
}

/// `PathItem`.
fn encode_path_item(m: &mut Msg, o: &Map<String, Value>) {
    m.str_of(1, o, "$ref");
    for (field, method) in [
        (2, "get"),
        (3, "put"),
        (4, "post"),
        (5, "delete"),
        (6, "options"),
        (7, "head"),
        (8, "patch"),
    ] {
        m.object_of(field, o, method, encode_operation);
    }
    encode_parameters_items(m, 9, o);
    m.vendor_extensions(10, o);
}

/// `Operation`.
fn encode_operation(m: &mut Msg, o: &Map<String, Value>) {
    m.strings_of(1, o, "tags");
    m.str_of(2, o, "summary");
    m.str_of(3, o, "description");
    m.object_of(4, o, "externalDocs", encode_external_docs);
    m.str_of(5, o, "operationId");
    m.strings_of(6, o, "produces");
    m.strings_of(7, o, "consumes");
    encode_parameters_items(m, 8, o);
    m.object_of(9, o, "responses", encode_responses);
    m.strings_of(10, o, "schemes");
    m.bool_of(11, o, "deprecated");
    encode_security(m, 12, o);
    m.vendor_extensions(13, o);
}

/// `o.parameters` as `repeated ParametersItem`: `{ oneof { Parameter parameter = 1;
/// JsonReference json_reference = 2 } }`.
fn encode_parameters_items(m: &mut Msg, field: u32, o: &Map<String, Value>) {
    for param in o
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let param = object(param);
        m.message(field, |m| {
            if param.contains_key("$ref") {
                m.message(2, |m| encode_json_reference(m, param));
            } else {
                m.message(1, |m| encode_parameter(m, param));
            }
        });
    }
}

/// `JsonReference`.
fn encode_json_reference(m: &mut Msg, o: &Map<String, Value>) {
    m.str_of(1, o, "$ref");
    m.str_of(2, o, "description");
}

/// `Parameter`: `{ oneof { BodyParameter body_parameter = 1; NonBodyParameter
/// non_body_parameter = 2 } }`.
fn encode_parameter(m: &mut Msg, o: &Map<String, Value>) {
    let location = o.get("in").and_then(Value::as_str).unwrap_or_default();
    if location == "body" {
        m.message(1, |m| {
            m.str_of(1, o, "description");
            m.str_of(2, o, "name");
            m.str_of(3, o, "in");
            m.bool_of(4, o, "required");
            m.object_of(5, o, "schema", encode_schema);
            m.vendor_extensions(6, o);
        });
        return;
    }
    // NonBodyParameter { oneof { HeaderParameterSubSchema = 1; FormDataParameterSubSchema = 2;
    // QueryParameterSubSchema = 3; PathParameterSubSchema = 4 } }: the query and formData
    // sub-schemas have `allow_empty_value = 5` before the fields the four share.
    let (field, allow_empty) = match location {
        "header" => (1, false),
        "formData" => (2, true),
        "path" => (4, false),
        _ => (3, true),
    };
    m.message(2, |m| {
        m.message(field, |m| {
            m.bool_of(1, o, "required");
            m.str_of(2, o, "in");
            m.str_of(3, o, "description");
            m.str_of(4, o, "name");
            let first = if allow_empty {
                m.bool_of(5, o, "allowEmptyValue");
                6
            } else {
                5
            };
            encode_primitive_fields(m, first, o);
            m.vendor_extensions(first + 17, o);
        });
    });
}

/// The fields a non-body parameter, a `Header` and `PrimitivesItems` share, from `type` (field
/// number `first`) to `multiple_of` (`first + 16`).
fn encode_primitive_fields(m: &mut Msg, first: u32, o: &Map<String, Value>) {
    m.str_of(first, o, "type");
    m.str_of(first + 1, o, "format");
    m.object_of(first + 2, o, "items", encode_primitives_items);
    m.str_of(first + 3, o, "collectionFormat");
    m.any_of(first + 4, o, "default");
    m.double_of(first + 5, o, "maximum");
    m.bool_of(first + 6, o, "exclusiveMaximum");
    m.double_of(first + 7, o, "minimum");
    m.bool_of(first + 8, o, "exclusiveMinimum");
    m.int64_of(first + 9, o, "maxLength");
    m.int64_of(first + 10, o, "minLength");
    m.str_of(first + 11, o, "pattern");
    m.int64_of(first + 12, o, "maxItems");
    m.int64_of(first + 13, o, "minItems");
    m.bool_of(first + 14, o, "uniqueItems");
    m.anys_of(first + 15, o, "enum");
    m.double_of(first + 16, o, "multipleOf");
}

/// `PrimitivesItems`.
fn encode_primitives_items(m: &mut Msg, o: &Map<String, Value>) {
    encode_primitive_fields(m, 1, o);
    m.vendor_extensions(18, o);
}

/// `Responses`: `NamedResponseValue`s for the status codes (and `default`), then vendor
/// extensions.
fn encode_responses(m: &mut Msg, o: &Map<String, Value>) {
    for (code, value) in o.iter().filter(|(k, _)| !k.starts_with("x-")) {
        let value = object(value);
        // ResponseValue { oneof { Response response = 1; JsonReference json_reference = 2 } }
        m.named(1, code, |m| {
            if value.contains_key("$ref") {
                m.message(2, |m| encode_json_reference(m, value));
            } else {
                m.message(1, |m| encode_response(m, value));
            }
        });
    }
    m.vendor_extensions(2, o);
}

/// `Response`.
fn encode_response(m: &mut Msg, o: &Map<String, Value>) {
    m.str_of(1, o, "description");
    // SchemaItem { oneof { Schema schema = 1; FileSchema file_schema = 2 } }
    m.object_of(2, o, "schema", |m, schema| {
        if schema.get("type").and_then(Value::as_str) == Some("file") {
            m.message(2, |m| encode_file_schema(m, schema));
        } else {
            m.message(1, |m| encode_schema(m, schema));
        }
    });
    // Headers { repeated NamedHeader additional_properties = 1 }
    m.object_of(3, o, "headers", |m, headers| {
        for (name, header) in headers {
            let header = object(header);
            m.named(1, name, |m| {
                encode_primitive_fields(m, 1, header);
                m.str_of(18, header, "description");
                m.vendor_extensions(19, header);
            });
        }
    });
    // Examples { repeated NamedAny additional_properties = 1 }
    m.object_of(4, o, "examples", |m, examples| {
        for (mime, example) in examples {
            m.named(1, mime, |m| encode_any(m, example));
        }
    });
    m.vendor_extensions(5, o);
}

/// `FileSchema`.
fn encode_file_schema(m: &mut Msg, o: &Map<String, Value>) {
    m.str_of(1, o, "format");
    m.str_of(2, o, "title");
    m.str_of(3, o, "description");
    m.any_of(4, o, "default");
    m.strings_of(5, o, "required");
    m.str_of(6, o, "type");
    m.bool_of(7, o, "readOnly");
    m.object_of(8, o, "externalDocs", encode_external_docs);
    m.any_of(9, o, "example");
    m.vendor_extensions(10, o);
}

/// `Schema`.
fn encode_schema(m: &mut Msg, o: &Map<String, Value>) {
    m.str_of(1, o, "$ref");
    m.str_of(2, o, "format");
    m.str_of(3, o, "title");
    m.str_of(4, o, "description");
    m.any_of(5, o, "default");
    m.double_of(6, o, "multipleOf");
    m.double_of(7, o, "maximum");
    m.bool_of(8, o, "exclusiveMaximum");
    m.double_of(9, o, "minimum");
    m.bool_of(10, o, "exclusiveMinimum");
    m.int64_of(11, o, "maxLength");
    m.int64_of(12, o, "minLength");
    m.str_of(13, o, "pattern");
    m.int64_of(14, o, "maxItems");
    m.int64_of(15, o, "minItems");
    m.bool_of(16, o, "uniqueItems");
    m.int64_of(17, o, "maxProperties");
    m.int64_of(18, o, "minProperties");
    m.strings_of(19, o, "required");
    m.anys_of(20, o, "enum");
    // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2 } }
    match o.get("additionalProperties") {
        Some(Value::Object(schema)) => {
            m.message(21, |m| m.message(1, |m| encode_schema(m, schema)))
        }
        Some(Value::Bool(b)) => m.message(21, |m| m.bool_always(2, *b)),
        _ => {}
    }
    // TypeItem { repeated string value = 1 }
    if o.contains_key("type") {
        m.message(22, |m| m.strings_of(1, o, "type"));
    }
    // ItemsItem { repeated Schema schema = 1 }
    match o.get("items") {
        Some(Value::Object(schema)) => {
            m.message(23, |m| m.message(1, |m| encode_schema(m, schema)))
        }
        Some(Value::Array(schemas)) => m.message(23, |m| {
            for schema in schemas {
                m.message(1, |m| encode_schema(m, object(schema)));
            }
        }),
        _ => {}
    }
    for schema in o
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        m.message(24, |m| encode_schema(m, object(schema)));
    }
    // Properties { repeated NamedSchema additional_properties = 1 }
    m.object_of(25, o, "properties", |m, properties| {
        for (name, schema) in properties {
            m.named(1, name, |m| encode_schema(m, object(schema)));
        }
    });
    m.str_of(26, o, "discriminator");
    m.bool_of(27, o, "readOnly");
    m.object_of(28, o, "xml", |m, xml| {
        m.str_of(1, xml, "name");
        m.str_of(2, xml, "namespace");
        m.str_of(3, xml, "prefix");
        m.bool_of(4, xml, "attribute");
        m.bool_of(5, xml, "wrapped");
        m.vendor_extensions(6, xml);
    });
    m.object_of(29, o, "externalDocs", encode_external_docs);
    m.any_of(30, o, "example");
    m.vendor_extensions(31, o);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document with path-level `$ref` and path parameters, body and query parameters,
    /// responses with schemas, vendor extensions (a map and a list rendered as YAML), `items`,
    /// `default`, `enum`, `additionalProperties: false` and `required`.
    const SMALL: &str = r##"{"swagger":"2.0","info":{"title":"t","version":"1"},"paths":{"/a/{name}":{"parameters":[{"$ref":"#/parameters/p"},{"name":"name","in":"path","required":true,"type":"string","uniqueItems":true}],"post":{"operationId":"op","consumes":["*/*"],"parameters":[{"name":"body","in":"body","required":true,"schema":{"$ref":"#/definitions/X"}},{"name":"q","in":"query","type":"integer","minimum":0}],"responses":{"200":{"description":"OK","schema":{"$ref":"#/definitions/X"}},"401":{"description":"Unauthorized"}},"x-kubernetes-action":"post","x-kubernetes-group-version-kind":{"group":"g","kind":"X","version":"v1"}}}},"definitions":{"X":{"description":"d","type":"object","required":["a"],"properties":{"a":{"type":"array","items":{"type":"string","default":""},"x-kubernetes-list-type":"set"},"m":{"type":"object","additionalProperties":false},"e":{"type":"string","enum":["A","B"],"maxLength":3}},"x-kubernetes-group-version-kind":[{"group":"g","kind":"X","version":"v1"}]}}}"##;

    /// `proto.Marshal(openapi_v2.ParseDocument(SMALL))` with gnostic-models v0.7.1.
    const SMALL_GNOSTIC: &str = "0a03322e3012060a017412013142b70212b4020a092f612f7b6e616d657d12a60222ee012a026f703a032a2f2a42250a230a211204626f64791a04626f647920012a110a0f232f646566696e6974696f6e732f5842190a1712151a13120571756572792201713207696e74656765724a3d0a220a03323030121b0a190a024f4b12130a110a0f232f646566696e6974696f6e732f580a170a0334303112100a0e0a0c556e617574686f72697a65646a1e0a13782d6b756265726e657465732d616374696f6e12071205706f73740a6a420a1f782d6b756265726e657465732d67726f75702d76657273696f6e2d6b696e64121f121d67726f75703a20670a6b696e643a20580a76657273696f6e3a2076310a4a1212100a0e232f706172616d65746572732f704a1f0a1d121b2219080112047061746822046e616d652a06737472696e679801014aee010aeb010a015812e5012201649a010161b201080a066f626a656374ca0184010a490a01611244b201070a056172726179ba01140a122a05120322220ab201080a06737472696e67fa01200a16782d6b756265726e657465732d6c6973742d74797065120612047365740a0a150a016d1210aa01021000b201080a066f626a6563740a200a0165121b5803a201041202410aa201041202420ab201080a06737472696e67fa01480a1f782d6b756265726e657465732d67726f75702d76657273696f6e2d6b696e64122512232d2067726f75703a20670a20206b696e643a20580a202076657273696f6e3a2076310a";

    #[test]
    fn matches_gnostic() {
        let document: Value = serde_json::from_str(SMALL).unwrap();
        let hex: String = encode_v2(&document)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, SMALL_GNOSTIC);
    }

    #[test]
    fn varints() {
        let mut m = Msg::default();
        m.varint(1);
        m.varint(300);
        m.int64(1, -1);
        assert_eq!(
            m.0,
            [
                1, 0xac, 0x02, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ]
        );
    }
}
