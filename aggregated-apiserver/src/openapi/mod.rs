//! The OpenAPI documents (`/openapi/v2`, `/openapi/v3` and `/openapi/v3/apis/<group>/<version>`),
//! laid out as a Go aggregated server built on k8s.io/apiserver publishes them (the routes of
//! apiserver's `endpoints/installer.go`, run through kube-openapi's builders), so that kubectl
//! (explain, field validation, apply) and kube-aggregator treat this server like one.

pub mod derive;
mod meta;

pub(crate) use meta::{CREATION_TIMESTAMP_DESCRIPTION, NAME_DESCRIPTION};
mod protobuf;

pub use meta::{api_version_property, kind_property};

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};

use crate::resource::{ResourceInfo, SubresourceInfo};

/// The patch media types the server accepts; the PATCH operations advertise exactly these
/// (client-side `kubectl apply` sends a strategic merge patch only when it is listed).
pub const PATCH_CONTENT_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

/// A resource and its schemas (v3 form, refs to `#/components/schemas/`), each kind's schema
/// carrying `x-kubernetes-group-version-kind`.
pub type Resource<'a> = (&'a ResourceInfo, &'a Map<String, Value>);

const MEDIA_TYPES: &[&str] = &["application/json", "application/yaml"];
const WATCH_MEDIA_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/json;stream=watch",
];
/// How OpenAPI v3 documents refer to a definition.
pub const V3_REF: &str = "#/components/schemas/";
/// How OpenAPI v2 documents refer to a definition.
pub const V2_REF: &str = "#/definitions/";
pub(crate) const META_V1: &str = "io.k8s.apimachinery.pkg.apis.meta.v1";

/// The document served at `/openapi/v3/apis/<group>/<version>` for `resources` (all of one
/// group-version).
///
/// A subresource's `create` verb is described as a connect-style POST (the only kind this server
/// has): its query parameters are the properties of the schema of kind `<subresource kind>Options`
/// among the resource's schemas, as apiserver derives them from the connect options type.
///
/// # Panics
/// If a kind or list kind has no schema among the resource's schemas.
pub fn v3_group_version(title: &str, resources: &[Resource]) -> Value {
    let (paths, schemas) = paths_and_schemas(resources, Dialect::V3);
    json!({
        "openapi": "3.0.0",
        "info": info(title),
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// The Swagger 2.0 document served at `/openapi/v2`: the paths of [`v3_group_version`] in v2
/// form, and its schemas under `#/definitions/`.
///
/// # Panics
/// As [`v3_group_version`].
pub fn v2(title: &str, resources: &[Resource]) -> Value {
    let (paths, definitions) = paths_and_schemas(resources, Dialect::V2);
    json!({
        "swagger": "2.0",
        "info": info(title),
        "paths": paths,
        "definitions": definitions,
    })
}

/// The serialized documents a server publishes, built once at start-up.
pub struct Documents {
    /// `/openapi/v2`.
    pub v2: Vec<u8>,
    /// `/openapi/v2` as gnostic's `openapi.v2.Document` protobuf message.
    pub v2_protobuf: Vec<u8>,
    /// `/openapi/v3`.
    pub v3_root: Vec<u8>,
    /// `/openapi/v3/<path>` by path (`apis/<group>/<version>`).
    pub v3: BTreeMap<String, Vec<u8>>,
}

impl Documents {
    /// Serializes the documents of a server: each group-version's v3 document
    /// ([`v3_documents`]) and the v2 one ([`v2`]).
    pub fn build(v3: &BTreeMap<String, Value>, v2: &Value) -> Self {
        let root_entries: Vec<(String, &Value)> =
            v3.iter().map(|(path, doc)| (path.clone(), doc)).collect();
        let to_vec = |doc: &Value| serde_json::to_vec(doc).expect("a JSON value always serializes");
        Documents {
            v2: to_vec(v2),
            v2_protobuf: protobuf::encode_v2(v2),
            v3_root: to_vec(&v3_root(&root_entries)),
            v3: v3
                .iter()
                .map(|(path, doc)| (path.clone(), to_vec(doc)))
                .collect(),
        }
    }
}

/// The document of each group-version of `resources` ([`v3_group_version`]), by its path
/// (`apis/<group>/<version>`).
///
/// # Panics
/// As [`v3_group_version`].
pub fn v3_documents(title: &str, resources: &[Resource]) -> BTreeMap<String, Value> {
    let mut by_group_version: BTreeMap<String, Vec<Resource>> = BTreeMap::new();
    for resource in resources {
        let path = format!("apis/{}", resource.0.group_version());
        by_group_version.entry(path).or_default().push(*resource);
    }
    by_group_version
        .into_iter()
        .map(|(path, resources)| (path, v3_group_version(title, &resources)))
        .collect()
}

/// The discovery document served at `/openapi/v3`: each group-version document's URL, with the
/// hash of its bytes as kube-openapi's handler computes it. `documents` pairs a path such as
/// `apis/demo.jeremyxu2010.me/v1beta1` with its document, whose served bytes must be
/// `serde_json::to_vec(document)` (the bytes hashed here).
pub fn v3_root(documents: &[(String, &Value)]) -> Value {
    let paths: Map<String, Value> = documents
        .iter()
        .map(|(path, document)| {
            let bytes = serde_json::to_vec(document).expect("a JSON value always serializes");
            let url = format!("/openapi/v3/{path}?hash={}", document_hash(&bytes));
            (path.clone(), json!({"serverRelativeURL": url}))
        })
        .collect();
    json!({"paths": paths})
}

/// The hash kube-openapi (`handler3.computeETag`) gives a document: the uppercase hex SHA-512 of
/// its serialized bytes.
pub fn document_hash(bytes: &[u8]) -> String {
    Sha512::digest(bytes)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The documents' `info`: the server's name (Go servers give theirs, `Kubernetes` or
/// `Wardle`), and the version of the machinery serving it.
fn info(title: &str) -> Value {
    json!({"title": title, "version": env!("CARGO_PKG_VERSION")})
}

#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    V2,
    V3,
}

impl Dialect {
    fn ref_prefix(self) -> &'static str {
        match self {
            Dialect::V2 => V2_REF,
            Dialect::V3 => V3_REF,
        }
    }
}

/// A document's paths, and the schemas they reference.
fn paths_and_schemas(resources: &[Resource], dialect: Dialect) -> (Value, Map<String, Value>) {
    let paths: Map<_, _> = path_items(resources)
        .iter()
        .map(|item| (item.path.clone(), item.render(dialect)))
        .collect();
    let paths = Value::Object(paths);
    let mut all = all_schemas(resources);
    if dialect == Dialect::V2 {
        all = all
            .into_iter()
            .map(|(name, s)| (name, to_v2_schema(s)))
            .collect();
    }
    let schemas = reachable(&paths, &all, dialect.ref_prefix());
    (paths, schemas)
}

/// Every schema a document may reference: the apimachinery ones and the resources' own.
fn all_schemas(resources: &[Resource]) -> Map<String, Value> {
    let group_versions: BTreeSet<(&str, &str)> = resources
        .iter()
        .map(|(info, _)| (info.group, info.version))
        .collect();
    let mut all = meta::definitions(&group_versions.into_iter().collect::<Vec<_>>());
    for (_, schemas) in resources {
        all.extend(schemas.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    all
}

/// The schemas `root` references, directly or through other schemas: kube-openapi publishes
/// only those.
fn reachable(root: &Value, all: &Map<String, Value>, prefix: &str) -> Map<String, Value> {
    let mut found = Map::new();
    let mut pending = Vec::new();
    collect_refs(root, prefix, &mut pending);
    while let Some(name) = pending.pop() {
        if found.contains_key(&name) {
            continue;
        }
        if let Some(schema) = all.get(&name) {
            collect_refs(schema, prefix, &mut pending);
            found.insert(name, schema.clone());
        }
    }
    found
}

/// Adds to `out` every `$ref` in `value` that starts with `prefix`, without the prefix: the
/// definitions a document needs.
pub fn collect_refs(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.extend(r.strip_prefix(prefix).map(str::to_owned));
                    }
                    _ => collect_refs(v, prefix, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, prefix, out)),
        _ => {}
    }
}

/// A v3 schema in v2 form: OpenAPI v3 forbids siblings of `$ref`, so kube-openapi wraps a
/// described reference in a one-element `allOf`; v2 keeps the siblings next to `$ref`.
fn to_v2_schema(schema: Value) -> Value {
    match schema {
        Value::Object(mut map) => {
            if let Some(Value::Array(all_of)) = map.get("allOf")
                && let [Value::Object(only)] = all_of.as_slice()
                && only.len() == 1
                && only.contains_key("$ref")
            {
                let only = only.clone();
                map.remove("allOf");
                map.extend(only);
            }
            map.into_iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        let r = r.replacen(V3_REF, V2_REF, 1);
                        (k, Value::String(r))
                    }
                    (_, v) => (k, to_v2_schema(v)),
                })
                .collect()
        }
        Value::Array(items) => items.into_iter().map(to_v2_schema).collect(),
        other => other,
    }
}

/// A path of the document and its operations, before rendering to v2 or v3.
struct PathItem {
    path: String,
    /// Parameters every operation of the path takes, which kube-openapi hoists to the path.
    parameters: Vec<Param>,
    operations: Vec<Operation>,
}

struct Operation {
    /// Lowercase HTTP method.
    method: &'static str,
    id: String,
    tag: String,
    description: String,
    /// `x-kubernetes-action` and `x-kubernetes-group-version-kind`, which apiserver sets on
    /// every resource route.
    action: Option<(&'static str, Value)>,
    parameters: Vec<Param>,
    body: Option<Body>,
    produces: &'static [&'static str],
    /// Status code, description and schema name.
    responses: Vec<(u16, &'static str, String)>,
}

struct Body {
    content_types: &'static [&'static str],
    schema: String,
    required: bool,
}

#[derive(Clone, PartialEq)]
struct Param {
    name: String,
    /// `query` or `path`.
    location: &'static str,
    type_: &'static str,
    description: String,
}

impl Param {
    fn query(name: &str, type_: &'static str, description: &str) -> Self {
        Param {
            name: name.into(),
            location: "query",
            type_,
            description: description.into(),
        }
    }

    fn render(&self, dialect: Dialect) -> Value {
        let mut p =
            json!({"name": self.name, "in": self.location, "description": self.description});
        match dialect {
            Dialect::V2 => {
                p["type"] = json!(self.type_);
                p["uniqueItems"] = json!(true);
            }
            Dialect::V3 => p["schema"] = json!({"type": self.type_, "uniqueItems": true}),
        }
        if self.location == "path" {
            p["required"] = json!(true);
        }
        p
    }
}

impl PathItem {
    fn new(path: String, mut operations: Vec<Operation>) -> Self {
        let mut parameters: Vec<Param> = operations[0].parameters.clone();
        parameters.retain(|p| operations.iter().all(|op| op.parameters.contains(p)));
        for op in &mut operations {
            op.parameters.retain(|p| !parameters.contains(p));
            op.parameters.sort_by(|a, b| a.name.cmp(&b.name));
        }
        parameters.sort_by(|a, b| a.name.cmp(&b.name));
        PathItem {
            path,
            parameters,
            operations,
        }
    }

    fn render(&self, dialect: Dialect) -> Value {
        let mut item = Map::new();
        if !self.parameters.is_empty() {
            let parameters = self.parameters.iter().map(|p| p.render(dialect)).collect();
            item.insert("parameters".into(), parameters);
        }
        for op in &self.operations {
            item.insert(op.method.into(), op.render(dialect));
        }
        item.into()
    }
}

impl Operation {
    fn render(&self, dialect: Dialect) -> Value {
        let schema = |name: &str| json!({"$ref": format!("{}{name}", dialect.ref_prefix())});
        let mut o = Map::new();
        o.insert("description".into(), json!(self.description));
        o.insert("operationId".into(), json!(self.id));
        o.insert("tags".into(), json!([self.tag]));
        if let Some((action, gvk)) = &self.action {
            o.insert("x-kubernetes-action".into(), json!(action));
            o.insert("x-kubernetes-group-version-kind".into(), gvk.clone());
        }
        let mut parameters: Vec<Value> =
            self.parameters.iter().map(|p| p.render(dialect)).collect();
        if let Some(body) = &self.body {
            match dialect {
                Dialect::V2 => {
                    let mut p =
                        json!({"name": "body", "in": "body", "schema": schema(&body.schema)});
                    if body.required {
                        p["required"] = json!(true);
                    }
                    parameters.insert(0, p);
                }
                Dialect::V3 => {
                    let content: Map<_, _> = body
                        .content_types
                        .iter()
                        .map(|t| (t.to_string(), json!({"schema": schema(&body.schema)})))
                        .collect();
                    let mut request = json!({"content": content});
                    if body.required {
                        request["required"] = json!(true);
                    }
                    o.insert("requestBody".into(), request);
                }
            }
        }
        if !parameters.is_empty() {
            o.insert("parameters".into(), parameters.into());
        }
        if dialect == Dialect::V2 {
            let consumes = self.body.as_ref().map_or(&["*/*"][..], |b| b.content_types);
            o.insert("consumes".into(), json!(consumes));
            o.insert("produces".into(), json!(self.produces));
            o.insert("schemes".into(), json!(["https"]));
        }
        let mut responses = Map::new();
        for (code, description, name) in &self.responses {
            let response = match dialect {
                Dialect::V2 => json!({"description": description, "schema": schema(name)}),
                Dialect::V3 => {
                    let content: Map<_, _> = self
                        .produces
                        .iter()
                        .map(|t| (t.to_string(), json!({"schema": schema(name)})))
                        .collect();
                    json!({"description": description, "content": content})
                }
            };
            responses.insert(code.to_string(), response);
        }
        responses.insert("401".into(), json!({"description": "Unauthorized"}));
        o.insert("responses".into(), responses.into());
        o.into()
    }
}

/// Describes the routes apiserver installs for a group-version (`installer.go`): the resource
/// list at `/apis/<g>/<v>/`, then per resource the collection, item, deprecated watch and
/// subresource paths its verbs call for (in `/namespaces/{namespace}/` for a namespaced
/// kind, which is also listed and watched across all namespaces).
fn path_items(resources: &[Resource]) -> Vec<PathItem> {
    let mut items = Vec::new();
    let mut group_versions = BTreeSet::new();
    for (info, schemas) in resources {
        let routes = Routes::new(info, schemas);
        if group_versions.insert((info.group, info.version)) {
            items.push(PathItem::new(
                format!("/apis/{}/{}/", info.group, info.version),
                vec![Operation {
                    method: "get",
                    id: routes.operation_id("get", "APIResources"),
                    tag: routes.tag.clone(),
                    description: "get available resources".into(),
                    action: None,
                    parameters: Vec::new(),
                    body: None,
                    produces: MEDIA_TYPES,
                    responses: vec![(200, "OK", format!("{META_V1}.APIResourceList"))],
                }],
            ));
        }
        items.extend(routes.path_items());
    }
    items
}

/// The `x-kubernetes-action` of an operation.
#[derive(Clone, Copy)]
enum Action {
    List,
    Post,
    DeleteCollection,
    Get,
    Put,
    Patch,
    Delete,
    Watch,
    WatchList,
    Connect,
}

impl Action {
    /// The action's name, HTTP method, and the verb apiserver starts operation IDs with.
    fn describe(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Action::List => ("list", "get", "list"),
            Action::Post => ("post", "post", "create"),
            Action::DeleteCollection => ("deletecollection", "delete", "delete"),
            Action::Get => ("get", "get", "read"),
            Action::Put => ("put", "put", "replace"),
            Action::Patch => ("patch", "patch", "patch"),
            Action::Delete => ("delete", "delete", "delete"),
            Action::Watch => ("watch", "get", "watch"),
            Action::WatchList => ("watchlist", "get", "watch"),
            Action::Connect => ("connect", "post", "connect"),
        }
    }
}

/// Builds the operations of one resource.
struct Routes<'a> {
    info: &'a ResourceInfo,
    schemas: &'a Map<String, Value>,
    /// What apiserver derives from the group-version (`endpoints/openapi.GetOperationIDAndTags`):
    /// the part of operation IDs after the verb, and the tag.
    id_infix: String,
    tag: String,
    /// The kind as operation IDs name it in its scope: `NamespacedFlunder`, or `Foo`.
    scoped_kind: String,
    /// What comes between the group-version and the plural: `/namespaces/{namespace}`, or
    /// nothing for a cluster-scoped kind.
    scope_path: &'static str,
    /// The path parameters of that scope.
    scope_params: Vec<Param>,
}

impl<'a> Routes<'a> {
    fn new(info: &'a ResourceInfo, schemas: &'a Map<String, Value>) -> Self {
        let group = info.group.trim_end_matches(".k8s.io");
        let version = info.version;
        Routes {
            info,
            schemas,
            id_infix: to_valid_operation_id(group, true) + &to_valid_operation_id(version, true),
            tag: to_valid_operation_id(group, false) + "_" + &to_valid_operation_id(version, false),
            scoped_kind: match info.namespaced {
                true => format!("Namespaced{}", info.kind),
                false => info.kind.to_owned(),
            },
            scope_path: match info.namespaced {
                true => "/namespaces/{namespace}",
                false => "",
            },
            scope_params: match info.namespaced {
                true => vec![namespace_param()],
                false => Vec::new(),
            },
        }
    }

    fn operation_id(&self, verb: &str, rest: &str) -> String {
        format!(
            "{verb}{}{}",
            self.id_infix,
            to_valid_operation_id(rest, true)
        )
    }

    /// The schema name of a kind of this group-version, found by its GVK extension.
    fn schema_of(&self, kind: &str) -> Option<&'a String> {
        let gvk = self.gvk(kind);
        self.schemas
            .iter()
            .find(|(_, s)| {
                s["x-kubernetes-group-version-kind"]
                    .as_array()
                    .is_some_and(|l| l.contains(&gvk))
            })
            .map(|(name, _)| name)
    }

    fn schema_named(&self, kind: &str) -> String {
        self.schema_of(kind)
            .unwrap_or_else(|| panic!("no OpenAPI schema for kind {kind}"))
            .clone()
    }

    fn gvk(&self, kind: &str) -> Value {
        json!({"group": self.info.group, "kind": kind, "version": self.info.version})
    }

    /// An operation on the resource or one of its subresources, whose routes carry the GVK of
    /// `kind` (the subresource's for a subresource); `rest` follows the group-version in the
    /// operation ID. Responses are JSON or YAML, unless the caller says otherwise.
    fn route(
        &self,
        action: Action,
        rest: &str,
        kind: &str,
        description: String,
        parameters: Vec<Param>,
    ) -> Operation {
        let (name, method, verb) = action.describe();
        Operation {
            method,
            id: self.operation_id(verb, rest),
            tag: self.tag.clone(),
            description,
            action: Some((name, self.gvk(kind))),
            parameters,
            body: None,
            produces: MEDIA_TYPES,
            responses: Vec::new(),
        }
    }

    fn path_items(&self) -> Vec<PathItem> {
        let info = self.info;
        let kind = info.kind;
        let has = |verb: &str| info.verbs.contains(&verb);
        let scoped = self.scoped_kind.as_str();
        let object = self.schema_named(kind);
        let base = format!("/apis/{}/{}", info.group, info.version);
        let collection = format!("{base}{}/{}", self.scope_path, info.plural);
        let item = format!("{collection}/{{name}}");
        let with = |first: Vec<Param>, rest: Vec<Param>| [first, rest].concat();
        let scope_and = |params: Vec<Param>| [self.scope_params.clone(), params].concat();
        let mut items = Vec::new();

        let list_description = if has("watch") {
            format!("list or watch objects of kind {kind}")
        } else {
            format!("list objects of kind {kind}")
        };
        let list = |rest: &str, params: Vec<Param>| Operation {
            produces: WATCH_MEDIA_TYPES,
            responses: vec![(200, "OK", self.schema_named(info.list_kind))],
            ..self.route(
                Action::List,
                rest,
                kind,
                list_description.clone(),
                with(params, list_params()),
            )
        };
        let mut ops = Vec::new();
        if has("list") {
            ops.push(list(scoped, scope_and(vec![pretty()])));
        }
        if has("create") {
            ops.push(Operation {
                body: Some(object_body(&object)),
                responses: written(&object, &[(201, "Created"), (202, "Accepted")]),
                ..self.route(
                    Action::Post,
                    scoped,
                    kind,
                    format!("create{}{kind}", article(kind)),
                    with(scope_and(vec![pretty()]), write_params(false)),
                )
            });
        }
        if has("deletecollection") {
            let list = list_params()
                .into_iter()
                .filter(|p| p.name != "watch" && p.name != "allowWatchBookmarks");
            ops.push(Operation {
                body: Some(delete_body()),
                responses: vec![(200, "OK", format!("{META_V1}.Status"))],
                ..self.route(
                    Action::DeleteCollection,
                    &format!("collection{scoped}"),
                    kind,
                    format!("delete collection of {kind}"),
                    with(
                        scope_and(vec![pretty()]),
                        [delete_params(), list.collect()].concat(),
                    ),
                )
            });
        }
        if !ops.is_empty() {
            items.push(PathItem::new(collection, ops));
        }
        if info.namespaced && has("list") {
            items.push(PathItem::new(
                format!("{base}/{}", info.plural),
                vec![list(&format!("{kind}ForAllNamespaces"), vec![pretty()])],
            ));
        }

        let item_params = [vec![name_param(kind)], scope_and(vec![pretty()])].concat();
        let mut ops = self.item_operations(info.verbs, "", kind, &object, &item_params);
        if has("delete") {
            ops.push(Operation {
                body: Some(delete_body()),
                // Like a custom resource's, a delete answers with the deleted object.
                responses: written(&object, &[(202, "Accepted")]),
                ..self.route(
                    Action::Delete,
                    scoped,
                    kind,
                    format!("delete{}{kind}", article(kind)),
                    with(item_params.clone(), delete_params()),
                )
            });
        }
        if !ops.is_empty() {
            items.push(PathItem::new(item.clone(), ops));
        }

        // The deprecated watch paths.
        if has("watch") {
            let watch_event = vec![(200, "OK", format!("{META_V1}.WatchEvent"))];
            let watch_list = |path: String, rest: String, params: Vec<Param>| {
                PathItem::new(
                    path,
                    vec![Operation {
                        produces: WATCH_MEDIA_TYPES,
                        responses: watch_event.clone(),
                        ..self.route(
                            Action::WatchList,
                            &rest,
                            kind,
                            format!("watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."),
                            with(params, list_params()),
                        )
                    }],
                )
            };
            if has("list") {
                items.push(watch_list(
                    format!("{base}/watch{}/{}", self.scope_path, info.plural),
                    format!("{scoped}List"),
                    scope_and(vec![pretty()]),
                ));
                if info.namespaced {
                    items.push(watch_list(
                        format!("{base}/watch/{}", info.plural),
                        format!("{kind}ListForAllNamespaces"),
                        vec![pretty()],
                    ));
                }
            }
            items.push(PathItem::new(
                format!("{base}/watch{}/{}/{{name}}", self.scope_path, info.plural),
                vec![Operation {
                    produces: WATCH_MEDIA_TYPES,
                    responses: watch_event.clone(),
                    ..self.route(
                        Action::Watch,
                        scoped,
                        kind,
                        format!("watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter."),
                        with(item_params.clone(), list_params()),
                    )
                }],
            ));
        }

        for sub in info.subresources {
            let ops = self.subresource_operations(sub);
            if !ops.is_empty() {
                items.push(PathItem::new(format!("{item}/{}", sub.name), ops));
            }
        }
        items
    }

    /// The get, update and patch operations (as `verbs` allow) of the item, or with `sub` of a
    /// subresource, answering with `object`, the schema of `kind`.
    fn item_operations(
        &self,
        verbs: &[&str],
        sub: &str,
        kind: &str,
        object: &str,
        path_params: &[Param],
    ) -> Vec<Operation> {
        let parent = self.info.kind;
        let rest = format!("{}{}", self.scoped_kind, title(sub));
        let of = |what: &str| {
            if sub.is_empty() {
                format!("{what} the specified {parent}")
            } else {
                format!("{what} {sub} of the specified {parent}")
            }
        };
        let with = |extra: Vec<Param>| [path_params.to_vec(), extra].concat();
        let mut ops = Vec::new();
        if verbs.contains(&"get") {
            ops.push(Operation {
                responses: vec![(200, "OK", object.into())],
                ..self.route(Action::Get, &rest, kind, of("read"), with(Vec::new()))
            });
        }
        if verbs.contains(&"update") {
            ops.push(Operation {
                body: Some(object_body(object)),
                responses: written(object, &[(201, "Created")]),
                ..self.route(
                    Action::Put,
                    &rest,
                    kind,
                    of("replace"),
                    with(write_params(false)),
                )
            });
        }
        if verbs.contains(&"patch") {
            ops.push(Operation {
                body: Some(Body {
                    content_types: PATCH_CONTENT_TYPES,
                    schema: format!("{META_V1}.Patch"),
                    required: true,
                }),
                // 201 when a server-side apply creates the object.
                responses: written(object, &[(201, "Created")]),
                ..self.route(
                    Action::Patch,
                    &rest,
                    kind,
                    of("partially update"),
                    with(write_params(true)),
                )
            });
        }
        ops
    }

    /// A subresource's get/update/patch operations, and for `create` a connect-style POST.
    fn subresource_operations(&self, sub: &SubresourceInfo) -> Vec<Operation> {
        let object = self.schema_named(sub.kind);
        let name = name_param(self.info.kind);
        let path_params = [
            vec![name.clone()],
            self.scope_params.clone(),
            vec![pretty()],
        ]
        .concat();
        let mut ops = self.item_operations(sub.verbs, sub.name, sub.kind, &object, &path_params);
        if sub.verbs.contains(&"create") {
            let parent = self.info.kind;
            let mut params = [vec![name], self.scope_params.clone()].concat();
            params.extend(self.connect_params(sub.kind));
            ops.push(Operation {
                responses: vec![(200, "OK", object)],
                ..self.route(
                    Action::Connect,
                    &format!("Post{}{}", self.scoped_kind, title(sub.name)),
                    sub.kind,
                    format!("connect POST requests to {} of {parent}", sub.name),
                    params,
                )
            });
        }
        ops
    }

    /// The query parameters of a connect-style subresource answering `kind`: the properties of
    /// the `<kind>Options` schema, list-valued ones typed as their items (apiserver's
    /// `AddObjectParams` on the connect options type).
    fn connect_params(&self, kind: &str) -> Vec<Param> {
        let properties = self
            .schema_of(&format!("{kind}Options"))
            .and_then(|name| self.schemas[name]["properties"].as_object());
        let Some(properties) = properties else {
            return Vec::new();
        };
        properties
            .iter()
            .map(|(name, p)| {
                let type_ = match p["type"].as_str() {
                    Some("array") => &p["items"]["type"],
                    _ => &p["type"],
                };
                let type_ = match type_.as_str() {
                    Some("boolean") => "boolean",
                    Some("integer") => "integer",
                    _ => "string",
                };
                Param::query(name, type_, p["description"].as_str().unwrap_or_default())
            })
            .collect()
    }
}

/// apiserver's `ToValidOperationID`: drops non-letters (digits too, when leading) and
/// capitalizes the letter after each.
fn to_valid_operation_id(s: &str, capitalize_first: bool) -> String {
    let mut out = String::new();
    let mut capitalize = capitalize_first;
    for (i, c) in s.chars().enumerate() {
        if c.is_alphabetic() || c == '_' || (i != 0 && c.is_numeric()) {
            if capitalize {
                out.extend(c.to_uppercase());
                capitalize = false;
            } else {
                out.push(c);
            }
        } else {
            capitalize = true;
        }
    }
    out
}

fn title(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// apiserver's `GetArticleForNoun` with spaces around it.
fn article(noun: &str) -> &'static str {
    if noun.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
        " an "
    } else {
        " a "
    }
}

fn object_body(schema: &str) -> Body {
    Body {
        content_types: &["*/*"],
        schema: schema.into(),
        required: true,
    }
}

fn delete_body() -> Body {
    Body {
        content_types: &["*/*"],
        schema: format!("{META_V1}.DeleteOptions"),
        required: false,
    }
}

/// The responses of a write: 200, and the other codes it may answer with.
fn written(schema: &str, others: &[(u16, &'static str)]) -> Vec<(u16, &'static str, String)> {
    std::iter::once((200, "OK"))
        .chain(others.iter().copied())
        .map(|(code, description)| (code, description, schema.to_owned()))
        .collect()
}

fn name_param(kind: &str) -> Param {
    Param {
        name: "name".into(),
        location: "path",
        type_: "string",
        description: format!("name of the {kind}"),
    }
}

fn namespace_param() -> Param {
    Param {
        name: "namespace".into(),
        location: "path",
        type_: "string",
        description: "object name and auth scope, such as for teams and projects".into(),
    }
}

fn pretty() -> Param {
    Param::query(
        "pretty",
        "string",
        "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
    )
}

const DRY_RUN: &str = "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed";

/// The `metav1.ListOptions` query parameters.
fn list_params() -> Vec<Param> {
    vec![
        Param::query(
            "allowWatchBookmarks",
            "boolean",
            "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.",
        ),
        Param::query(
            "continue",
            "string",
            "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize. If the specified continue value is no longer valid whether due to expiration (generally five to fifteen minutes) or a configuration change on the server, the server will respond with a 410 ResourceExpired error together with a continue token. If the client needs a consistent list, it must restart their list without the continue field. Otherwise, the client may send another list request with the token received with the 410 error, the server will respond with a list starting from the next key, but from the latest snapshot, which is inconsistent from the previous list results - objects that are created, modified, or deleted after the first list request will be included in the response, as long as their keys are after the \"next key\".\n\nThis field is not supported when watch is true. Clients may start a watch from the last resourceVersion value returned by the server and not miss any modifications.",
        ),
        Param::query(
            "fieldSelector",
            "string",
            "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
        ),
        Param::query(
            "labelSelector",
            "string",
            "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
        ),
        Param::query(
            "limit",
            "integer",
            "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results. Setting a limit may return fewer than the requested amount of items (up to zero items) in the event all requested objects are filtered out and clients should only use the presence of the continue field to determine whether more results are available. Servers may choose not to support the limit argument and will return all of the available results. If limit is specified and the continue field is empty, clients may assume that no more results are available. This field is not supported if watch is true.\n\nThe server guarantees that the objects returned when using continue will be identical to issuing a single list call without a limit - that is, no objects created, modified, or deleted after the first request is issued will be included in any subsequent continued requests. This is sometimes referred to as a consistent snapshot, and ensures that a client that is using limit to receive smaller chunks of a very large result can ensure they see all possible objects. If objects are updated during a chunked list the version of the object that was present at the time the first list result was calculated is returned.",
        ),
        Param::query(
            "resourceVersion",
            "string",
            "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset",
        ),
        Param::query(
            "resourceVersionMatch",
            "string",
            "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset",
        ),
        Param::query(
            "sendInitialEvents",
            "boolean",
            "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic \"Bookmark\" event  will be sent. The bookmark will report the ResourceVersion (RV) corresponding to the set of objects, and be marked with `\"k8s.io/initial-events-end\": \"true\"` annotation. Afterwards, the watch stream will proceed as usual, sending watch events corresponding to changes (subsequent to the RV) to objects watched.\n\nWhen `sendInitialEvents` option is set, we require `resourceVersionMatch` option to also be set. The semantic of the watch request is as following: - `resourceVersionMatch` = NotOlderThan\n  is interpreted as \"data at least as new as the provided `resourceVersion`\"\n  and the bookmark event is send when the state is synced\n  to a `resourceVersion` at least as fresh as the one provided by the ListOptions.\n  If `resourceVersion` is unset, this is interpreted as \"consistent read\" and the\n  bookmark event is send when the state is synced at least to the moment\n  when request started being processed.\n- `resourceVersionMatch` set to any other value or unset\n  Invalid error is returned.\n\nDefaults to true if `resourceVersion=\"\"` or `resourceVersion=\"0\"` (for backward compatibility reasons) and to false otherwise.",
        ),
        Param::query(
            "timeoutSeconds",
            "integer",
            "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.",
        ),
        Param::query(
            "watch",
            "boolean",
            "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.",
        ),
    ]
}

/// The `metav1.DeleteOptions` query parameters this server honours.
fn delete_params() -> Vec<Param> {
    vec![
        Param::query("dryRun", "string", DRY_RUN),
        Param::query(
            "gracePeriodSeconds",
            "integer",
            "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.",
        ),
        Param::query(
            "orphanDependents",
            "boolean",
            "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the \"orphan\" finalizer will be added to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but not both.",
        ),
        Param::query(
            "propagationPolicy",
            "string",
            "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
        ),
    ]
}

/// The `metav1.CreateOptions`/`UpdateOptions` query parameters, or with `patch` those of
/// `metav1.PatchOptions`. kubectl looks for `fieldValidation` on the PATCH operation of a kind
/// before it sends `fieldValidation=Strict` (cli-runtime `query_param_verifier_v3.go`).
fn write_params(patch: bool) -> Vec<Param> {
    let mut field_manager = "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.".to_owned();
    if patch {
        field_manager.push_str(" This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).");
    }
    let mut params = vec![
        Param::query("dryRun", "string", DRY_RUN),
        Param::query("fieldManager", "string", &field_manager),
        Param::query(
            "fieldValidation",
            "string",
            "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.",
        ),
    ];
    if patch {
        params.push(Param::query("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests."));
    }
    params
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::registry::Strategy;
    use crate::testing::{NAMESPACED_FOO, Plain};

    /// A namespaced kind's operations are in `/namespaces/{namespace}/`, named `Namespaced`,
    /// and it is also listed and watched across all namespaces, as apiserver's installer
    /// describes it.
    #[test]
    fn a_namespaced_kind_is_described_in_its_namespace_and_across_all() {
        let schemas = Plain(&NAMESPACED_FOO).openapi_schemas();
        let document = super::v2("test", &[(&NAMESPACED_FOO, &schemas)]);
        let base = "/apis/demo.jeremyxu2010.me/v1beta1";
        let paths = document["paths"].as_object().unwrap();
        let ids = |path: &str| -> Vec<&str> {
            let item = paths[&format!("{base}{path}")].as_object().unwrap();
            let mut ids: Vec<&str> = item
                .values()
                .filter_map(|op| op["operationId"].as_str())
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(
            ids("/namespaces/{namespace}/foos"),
            [
                "createDemoJeremyxu2010MeV1beta1NamespacedFoo",
                "deleteDemoJeremyxu2010MeV1beta1CollectionNamespacedFoo",
                "listDemoJeremyxu2010MeV1beta1NamespacedFoo",
            ]
        );
        assert_eq!(
            ids("/namespaces/{namespace}/foos/{name}"),
            [
                "deleteDemoJeremyxu2010MeV1beta1NamespacedFoo",
                "patchDemoJeremyxu2010MeV1beta1NamespacedFoo",
                "readDemoJeremyxu2010MeV1beta1NamespacedFoo",
                "replaceDemoJeremyxu2010MeV1beta1NamespacedFoo",
            ]
        );
        assert_eq!(
            ids("/foos"),
            ["listDemoJeremyxu2010MeV1beta1FooForAllNamespaces"]
        );
        assert_eq!(
            ids("/watch/foos"),
            ["watchDemoJeremyxu2010MeV1beta1FooListForAllNamespaces"]
        );
        assert_eq!(
            ids("/watch/namespaces/{namespace}/foos"),
            ["watchDemoJeremyxu2010MeV1beta1NamespacedFooList"]
        );
        let item = &paths[&format!("{base}/namespaces/{{namespace}}/foos/{{name}}")];
        let parameters: Vec<&Value> = item["parameters"].as_array().unwrap().iter().collect();
        let names: Vec<&str> = parameters
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["name", "namespace", "pretty"]);
        assert_eq!(parameters[1]["in"], "path");
        assert_eq!(parameters[1]["required"], true);
    }
}
