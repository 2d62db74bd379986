//! A kind's OpenAPI schemas derived from its Rust types ([`schemars::JsonSchema`]), in the form
//! kube-apiserver publishes them, so that the kind is described once, by its types; and the list
//! rules read back from the schemas ([`ListTypes`]), by which patches and server-side apply
//! merge.
//!
//! The types' doc comments are the descriptions, their serde attributes say what is required
//! and what defaults, and schemars attributes add validation (`#[schemars(range(min = 0))]`) and
//! the `x-kubernetes-*` extensions (`#[schemars(extend("x-kubernetes-list-type" = "set"))]`).
//! On schemars' OpenAPI 3.0 output (where a reference with a description is wrapped in `allOf`,
//! as kube-openapi does), [`Schemas`]:
//!
//! - names a type's definition as kube-apiserver names a custom resource's, under the reversed
//!   group and the version (`FooSpec` of `demo.jeremyxu2010.me/v1beta1` is
//!   `me.jeremyxu2010.demo.v1beta1.FooSpec`); k8s-openapi's types keep their names, and those
//!   this library publishes itself (`ObjectMeta`, `Condition`, `Time`, …) are only referenced;
//! - makes an `Option` a field that may be left out (not `required`), not one that may be null;
//! - joins the lines of a doc comment's paragraphs with spaces, as Markdown renders them;
//! - sorts properties, as Go writes a map;
//! - gives each kind `x-kubernetes-group-version-kind` and TypeMeta's `apiVersion` and `kind`,
//!   and the resource's kind its list.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::transform::{AddNullable, Transform, transform_subschemas};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use super::{META_V1, Resource, Routes, V3_REF, all_schemas, api_version_property, kind_property};
use crate::resource::{ListType, ListTypes, ResourceInfo};

/// The schemas of a resource's kinds, derived from their types: [`Strategy::openapi_schemas`]
/// for a kind with a Rust type.
///
/// ```
/// use aggregated_apiserver::openapi::derive::{Schemas, list_types};
/// use aggregated_apiserver::resource::{ListType, ListTypes, ResourceInfo};
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
///
/// /// Widget is a thing of several sizes.
/// #[derive(schemars::JsonSchema)]
/// struct Widget {
///     /// Standard object's metadata.
///     #[serde(default)]
///     metadata: ObjectMeta,
///     /// Sizes are the widget's sizes, merged as a set.
///     #[schemars(extend("x-kubernetes-list-type" = "set"))]
///     sizes: Option<Vec<i64>>,
/// }
///
/// const WIDGET: ResourceInfo = ResourceInfo {
///     group: "example.com",
///     version: "v1",
///     kind: "Widget",
///     list_kind: "WidgetList",
///     // …
/// #   plural: "widgets",
/// #   singular: "widget",
/// #   short_names: &[],
/// #   categories: &[],
/// #   namespaced: false,
/// #   verbs: &["get", "list"],
/// #   subresources: &[],
/// #   selectable_fields: &[],
/// };
///
/// let schemas = Schemas::new::<Widget>(&WIDGET).build();
/// let widget = &schemas["com.example.v1.Widget"];
/// let metadata = &widget["properties"]["metadata"];
/// let object_meta = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
/// assert_eq!(metadata["allOf"][0]["$ref"], object_meta);
/// assert_eq!(widget["properties"]["sizes"]["type"], "array");
/// assert!(schemas.contains_key("com.example.v1.WidgetList"));
///
/// // Patches and server-side apply merge the lists as the schemas say.
/// let lists = ListTypes::new(vec![
///     ("metadata.finalizers".into(), ListType::Set),
///     ("metadata.ownerReferences".into(), ListType::Map(&["uid"])),
///     ("sizes".into(), ListType::Set),
/// ]);
/// assert_eq!(list_types((&WIDGET, &schemas)), lists);
/// ```
///
/// [`Strategy::openapi_schemas`]: crate::registry::Strategy::openapi_schemas
pub struct Schemas {
    group: &'static str,
    version: &'static str,
    list_kind: &'static str,
    generator: SchemaGenerator,
    /// The kinds' schema names, the resource's first.
    kinds: Vec<String>,
}

impl Schemas {
    /// Starts with `K`, the type of `info`'s kind, which is described with its list. A kind is
    /// named by its type's [`JsonSchema::schema_name`].
    pub fn new<K: JsonSchema>(info: &ResourceInfo) -> Self {
        let settings = SchemaSettings::openapi3().with(|s| {
            for transform in &mut s.transforms {
                if transform.is::<AddNullable>() {
                    *transform = Box::new(not_null);
                }
            }
        });
        Schemas {
            group: info.group,
            version: info.version,
            list_kind: info.list_kind,
            generator: settings.into_generator(),
            kinds: Vec::new(),
        }
        .kind::<K>()
    }

    /// Adds `T`, another kind of the group-version: what a subresource answers, or the
    /// `<Kind>Options` whose properties are a connect subresource's query parameters.
    #[must_use]
    pub fn kind<T: JsonSchema>(mut self) -> Self {
        self.generator.subschema_for::<T>();
        self.kinds.push(T::schema_name().into_owned());
        self
    }

    /// The schemas by definition name: the kinds', the list's and those of the types they use.
    pub fn build(mut self) -> Map<String, Value> {
        let mut local = Local(prefix(self.group, self.version));
        let published = super::meta::definitions(&[]);
        let definitions = self.generator.take_definitions(true);
        let mut schemas: Map<String, Value> = definitions
            .into_iter()
            .filter(|(name, _)| !published.contains_key(name))
            .map(|(name, mut schema)| {
                if !local.owns(&name) {
                    return (name, schema);
                }
                local.transform((&mut schema).try_into().expect("a schema"));
                (local.name(&name), schema)
            })
            .collect();
        let gvk =
            |kind: &str| json!([{"group": self.group, "kind": kind, "version": self.version}]);
        for kind in &self.kinds {
            let schema = schemas
                .get_mut(&local.name(kind))
                .and_then(Value::as_object_mut)
                .expect("a kind's schema is an object");
            type_meta(schema);
            schema.insert("x-kubernetes-group-version-kind".into(), gvk(kind));
        }
        // The resource's list, as a Go `<Kind>List` type describes it.
        let (kind, list_kind) = (&self.kinds[0], self.list_kind);
        let list = json!({
            "description": format!("{list_kind} is a list of {kind} objects."),
            "type": "object",
            "required": ["items"],
            "properties": {
                "apiVersion": api_version_property(),
                "items": {
                    "description": format!("Items is the list of {kind} objects."),
                    "type": "array",
                    "items": {"allOf": [{"$ref": format!("{V3_REF}{}", local.name(kind))}], "default": {}}
                },
                "kind": kind_property(),
                "metadata": {"allOf": [{"$ref": format!("{V3_REF}{META_V1}.ListMeta")}], "default": {}, "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"}
            },
            "x-kubernetes-group-version-kind": gvk(list_kind)
        });
        schemas.insert(local.name(list_kind), list);
        schemas
    }
}

/// The lists a resource's schemas say merge: each `x-kubernetes-list-type` `set`, or `map`
/// with its `x-kubernetes-list-map-keys`, by dotted path from the kind (`status.conditions`; a
/// list's items keep its path), sorted; atomic lists are left out. References resolve as in
/// the published documents, so ObjectMeta's lists are there (`metadata.finalizers`). Without
/// a schema of the kind among the resource's, every list is atomic.
///
/// A store reads them once, when it is set up; the map keys are leaked, to be `'static`.
pub fn list_types(resource: Resource) -> ListTypes {
    let (info, schemas) = resource;
    let all = all_schemas(&[resource]);
    let routes = Routes::new(info, schemas);
    let Some(kind) = routes.schema_of(info.kind).and_then(|name| all.get(name)) else {
        return ListTypes::default();
    };
    let mut lists = Vec::new();
    collect_lists(kind, "", &all, &mut Vec::new(), &mut lists);
    lists.sort_by(|(a, _), (b, _)| a.cmp(b));
    ListTypes::new(lists)
}

/// Adds the lists of `schema`, at `path`, to `lists`; `following` holds the references being
/// followed, so that a recursive type ends.
fn collect_lists<'a>(
    schema: &'a Value,
    path: &str,
    all: &'a Map<String, Value>,
    following: &mut Vec<&'a str>,
    lists: &mut Vec<(String, ListType)>,
) {
    let list_type = match schema["x-kubernetes-list-type"].as_str() {
        Some("set") => Some(ListType::Set),
        Some("map") => {
            let keys = schema["x-kubernetes-list-map-keys"].as_array();
            let keys = keys.into_iter().flatten().filter_map(Value::as_str);
            let keys: Vec<&'static str> = keys.map(|key| &*key.to_owned().leak()).collect();
            Some(ListType::Map(keys.leak()))
        }
        _ => None,
    };
    lists.extend(list_type.map(|t| (path.to_owned(), t)));
    let reference = schema["$ref"].as_str().and_then(|r| r.strip_prefix(V3_REF));
    if let Some((name, target)) = reference.and_then(|name| Some((name, all.get(name)?)))
        && !following.contains(&name)
    {
        following.push(name);
        collect_lists(target, path, all, following, lists);
        following.pop();
    }
    let all_of = schema["allOf"].as_array().into_iter().flatten();
    for part in all_of.chain(schema.get("items")) {
        collect_lists(part, path, all, following, lists);
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let path = match path {
            "" => name.clone(),
            _ => format!("{path}.{name}"),
        };
        collect_lists(property, &path, all, following, lists);
    }
}

/// How kube-apiserver prefixes a custom resource's definition names: the group reversed, then
/// the version (`me.jeremyxu2010.demo.v1beta1`).
fn prefix(group: &str, version: &str) -> String {
    let parts: Vec<&str> = group.rsplit('.').chain([version]).collect();
    parts.join(".")
}

/// An `Option` as Kubernetes has it, a field that may be left out (which schemars says by not
/// requiring it), rather than one that may be null.
fn not_null(schema: &mut Schema) {
    transform_subschemas(&mut not_null, schema);
    let Some(schema) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            schema.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    // A reference, or a schema with subschemas, is made nullable by `anyOf` with null.
    if let Some(Value::Array(any_of)) = schema.get_mut("anyOf")
        && any_of.len() == 2
        && let Some(null) = any_of.iter().position(|s| *s == json!({"type": "null"}))
    {
        any_of.remove(null);
        let other = any_of.pop();
        schema.remove("anyOf");
        if let Some(Value::Object(other)) = other {
            for (key, value) in other {
                schema.entry(key).or_insert(value);
            }
        }
    }
}

/// The group-version's own types, which schemars names as Rust does (without a dot), unlike
/// k8s-openapi's: their definitions are named under the prefix, their doc comments made
/// descriptions and their properties sorted.
struct Local(String);

impl Local {
    fn owns(&self, name: &str) -> bool {
        !name.contains('.')
    }

    fn name(&self, name: &str) -> String {
        format!("{}.{name}", self.0)
    }
}

impl Transform for Local {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(Value::String(reference)) = schema.get_mut("$ref")
            && let Some(name) = reference.strip_prefix(V3_REF)
            && self.owns(name)
        {
            *reference = format!("{V3_REF}{}", self.name(name));
        }
        if let Some(Value::String(description)) = schema.get_mut("description") {
            let paragraphs: Vec<String> = description
                .split("\n\n")
                .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
                .collect();
            *description = paragraphs.join("\n\n");
        }
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            properties.sort_keys();
        }
        transform_subschemas(self, schema);
    }
}

/// A kind's TypeMeta fields, which its type may declare: as apimachinery describes them, and
/// never required.
fn type_meta(kind: &mut Map<String, Value>) {
    if let Some(Value::Object(properties)) = kind.get_mut("properties") {
        for (name, property) in [
            ("apiVersion", api_version_property()),
            ("kind", kind_property()),
        ] {
            if let Some(declared) = properties.get_mut(name) {
                *declared = property;
            }
        }
    }
    if let Some(Value::Array(required)) = kind.get_mut("required") {
        required.retain(|r| r != "apiVersion" && r != "kind");
        if required.is_empty() {
            kind.remove("required");
        }
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};

    use super::*;
    use crate::testing::FOO;

    const GADGET: ResourceInfo = ResourceInfo {
        kind: "Gadget",
        list_kind: "GadgetList",
        ..FOO
    };

    /// Gadget is a kind
    /// of a few parts.
    ///
    /// It has two paragraphs.
    #[derive(JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Gadget {
        api_version: String,
        kind: String,
        #[serde(default)]
        metadata: ObjectMeta,
        /// The part it cannot do without.
        part: Part,
        spare: Option<Part>,
        /// When it was made.
        made: Option<Time>,
        count: Option<i64>,
        #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
        conditions: Vec<Condition>,
    }

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Part {
        #[schemars(extend("x-kubernetes-list-type" = "set"))]
        tags: Vec<String>,
    }

    fn schemas() -> Map<String, Value> {
        Schemas::new::<Gadget>(&GADGET).kind::<Part>().build()
    }

    #[test]
    fn definitions_are_named_under_the_group_version_and_apimachinery_is_referenced() {
        let schemas = schemas();
        let names: Vec<_> = schemas.keys().map(String::as_str).collect();
        let expected =
            ["Gadget", "Part", "GadgetList"].map(|n| format!("me.jeremyxu2010.demo.v1beta1.{n}"));
        assert_eq!(names, expected);
        let gadget = &schemas[&expected[0]]["properties"];
        assert_eq!(
            gadget["part"]["allOf"][0]["$ref"],
            format!("{V3_REF}{}", expected[1])
        );
        let time = format!("{V3_REF}{META_V1}.Time");
        assert_eq!(
            gadget["made"],
            json!({"description": "When it was made.", "allOf": [{"$ref": time}]})
        );
        let list = &schemas[&expected[2]]["properties"]["items"]["items"]["allOf"][0]["$ref"];
        assert_eq!(*list, format!("{V3_REF}{}", expected[0]));
    }

    #[test]
    fn options_may_be_left_out_and_are_never_null() {
        let gadget = &schemas()["me.jeremyxu2010.demo.v1beta1.Gadget"];
        assert_eq!(gadget["required"], json!(["part", "conditions"]));
        let properties = &gadget["properties"];
        assert_eq!(
            properties["count"],
            json!({"type": "integer", "format": "int64"})
        );
        let part = "#/components/schemas/me.jeremyxu2010.demo.v1beta1.Part";
        assert_eq!(properties["spare"], json!({"$ref": part}));
        assert!(!gadget.to_string().contains("null"), "{gadget}");
    }

    #[test]
    fn kinds_carry_their_gvk_type_meta_and_descriptions() {
        let schemas = schemas();
        let gadget = &schemas["me.jeremyxu2010.demo.v1beta1.Gadget"];
        assert_eq!(
            gadget["description"],
            "Gadget is a kind of a few parts.\n\nIt has two paragraphs."
        );
        assert_eq!(gadget["properties"]["kind"], kind_property());
        assert_eq!(gadget["properties"]["apiVersion"], api_version_property());
        let names: Vec<_> = gadget["properties"].as_object().unwrap().keys().collect();
        assert!(names.is_sorted(), "{names:?}");
        for kind in ["Gadget", "Part", "GadgetList"] {
            let schema = &schemas[&format!("me.jeremyxu2010.demo.v1beta1.{kind}")];
            let gvk =
                json!([{"group": "demo.jeremyxu2010.me", "kind": kind, "version": "v1beta1"}]);
            assert_eq!(schema["x-kubernetes-group-version-kind"], gvk);
        }
    }

    #[test]
    fn list_types_follow_references_into_items_and_apimachinery() {
        let expected = [
            ("conditions", ListType::Map(&["type"])),
            ("metadata.finalizers", ListType::Set),
            ("metadata.ownerReferences", ListType::Map(&["uid"])),
            ("part.tags", ListType::Set),
            ("spare.tags", ListType::Set),
        ];
        let expected = expected.map(|(path, list_type)| (path.to_owned(), list_type));
        assert_eq!(
            list_types((&GADGET, &schemas())),
            ListTypes::new(expected.into())
        );
    }
}
