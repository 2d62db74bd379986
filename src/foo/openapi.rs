//! Foo's OpenAPI schemas (API.md), derived from foo-sdk's types and from bar's options below.

use aggregated_apiserver::openapi::derive::Schemas;
use foo_sdk::{Foo, FooBar};
use schemars::JsonSchema;
use serde_json::{Map, Value};

use super::FOO;

/// FooBarOptions are the query parameters of a Foo's bar subresource; its request body is
/// ignored.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // Only its schema is used: the server reads the query itself.
struct FooBarOptions {
    /// Arg1 is who bar greets: at most 256 characters, no control characters. Defaults to
    /// "world".
    arg1: Option<String>,
    /// When present, indicates that modifications should not be persisted. An invalid or
    /// unrecognized dryRun directive will result in an error response and no further processing
    /// of the request. Valid values are: - All: all dry run stages will be processed
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    dry_run: Option<Vec<String>>,
}

/// The schemas of Foo, FooList, FooSpec, FooStatus, FooBar and FooBarOptions, keyed by
/// definition name.
pub fn schemas() -> Map<String, Value> {
    Schemas::new::<Foo>(&FOO)
        .kind::<FooBar>()
        .kind::<FooBarOptions>()
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use aggregated_apiserver::openapi::derive::list_types;
    use aggregated_apiserver::openapi::{
        PATCH_CONTENT_TYPES, V2_REF, V3_REF, collect_refs, document_hash, v2, v3_group_version,
        v3_root,
    };
    use aggregated_apiserver::resource::{ListType, ListTypes};
    use serde_json::json;
    use sha2::{Digest, Sha512};

    use super::*;

    const GROUP_VERSION: &str = "/apis/demo.jeremyxu2010.me/v1beta1";

    fn documents() -> (Value, Value) {
        let schemas = schemas();
        let resources = [(&FOO, &schemas)];
        let title = "foo-apiserver";
        (v3_group_version(title, &resources), v2(title, &resources))
    }

    fn operations(doc: &Value) -> Vec<(&String, &String, &Value)> {
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if method != "parameters" {
                    ops.push((path, method, op));
                }
            }
        }
        ops
    }

    fn foo_gvk() -> Value {
        json!({"group": "demo.jeremyxu2010.me", "kind": "Foo", "version": "v1beta1"})
    }

    /// As cli-runtime's `supportsQueryParamV3`: the first PATCH operation carrying the kind's
    /// GVK must declare the query parameter itself (path-level parameters are not looked at), and
    /// Go's map order makes any of them the first.
    #[test]
    fn every_patch_of_the_kind_declares_field_validation() {
        let (v3, _) = documents();
        let patches: Vec<_> = operations(&v3)
            .into_iter()
            .filter(|(_, method, op)| {
                *method == "patch" && op["x-kubernetes-group-version-kind"] == foo_gvk()
            })
            .collect();
        let paths: Vec<_> = patches.iter().map(|(path, _, _)| path.as_str()).collect();
        assert_eq!(
            paths,
            [
                format!("{GROUP_VERSION}/foos/{{name}}"),
                format!("{GROUP_VERSION}/foos/{{name}}/status"),
            ]
        );
        for (_, _, op) in patches {
            let declared = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query");
            assert!(declared, "{op}");
        }
    }

    /// Patches and server-side apply merge Foo's lists as its schemas say (the store reads
    /// them there): finalizers as a set, owner references by uid, conditions by type.
    #[test]
    fn lists_merge_as_the_schemas_say() {
        let expected = [
            ("metadata.finalizers", ListType::Set),
            ("metadata.ownerReferences", ListType::Map(&["uid"])),
            ("status.conditions", ListType::Map(&["type"])),
        ];
        let expected = expected.map(|(path, list_type)| (path.to_owned(), list_type));
        assert_eq!(
            list_types((&FOO, &schemas())),
            ListTypes::new(expected.into())
        );
    }

    #[test]
    fn patch_request_bodies_list_exactly_the_patch_content_types() {
        let (v3, v2) = documents();
        for doc in [&v3, &v2] {
            for (_, method, op) in operations(doc) {
                if method != "patch" {
                    continue;
                }
                let types: Vec<&str> = match doc.get("openapi") {
                    Some(_) => op["requestBody"]["content"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .map(String::as_str)
                        .collect(),
                    None => op["consumes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t.as_str().unwrap())
                        .collect(),
                };
                let mut expected = PATCH_CONTENT_TYPES.to_vec();
                expected.sort();
                let mut types = types;
                types.sort();
                assert_eq!(types, expected);
            }
        }
    }

    #[test]
    fn every_ref_resolves() {
        let (v3, v2) = documents();
        for (doc, prefix, defs) in [
            (&v3, V3_REF, &v3["components"]["schemas"]),
            (&v2, V2_REF, &v2["definitions"]),
        ] {
            let mut found = Vec::new();
            collect_refs(doc, "", &mut found);
            assert!(found.len() > 20);
            for r in found {
                let name = r.strip_prefix(prefix).unwrap_or_else(|| panic!("{r}"));
                assert!(defs.get(name).is_some(), "{r} does not resolve");
            }
        }
        // Everything referenced, and only that, is published.
        let schemas = v3["components"]["schemas"].as_object().unwrap();
        for name in [
            "me.jeremyxu2010.demo.v1beta1.Foo",
            "me.jeremyxu2010.demo.v1beta1.FooSpec",
            "me.jeremyxu2010.demo.v1beta1.FooStatus",
            "me.jeremyxu2010.demo.v1beta1.FooList",
            "me.jeremyxu2010.demo.v1beta1.FooBar",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Condition",
            "io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions",
            "io.k8s.apimachinery.pkg.apis.meta.v1.APIResource",
            "io.k8s.apimachinery.pkg.runtime.RawExtension",
        ] {
            assert!(schemas.contains_key(name), "{name} missing");
        }
        assert!(!schemas.contains_key("me.jeremyxu2010.demo.v1beta1.FooBarOptions"));
        assert_eq!(schemas.len(), v2["definitions"].as_object().unwrap().len());
    }

    #[test]
    fn v2_keeps_descriptions_next_to_refs() {
        let (_, v2) = documents();
        let metadata =
            &v2["definitions"]["me.jeremyxu2010.demo.v1beta1.Foo"]["properties"]["metadata"];
        assert_eq!(
            metadata["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        assert!(metadata.get("allOf").is_none());
        assert!(metadata["description"].is_string());
    }

    #[test]
    fn v3_root_hash_is_the_sha512_of_the_served_bytes() {
        // The SHA-512 of "abc" (FIPS 180-2).
        assert_eq!(
            document_hash(b"abc"),
            "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A2192992A274FC1A836BA3C23A3FEEBBD454D4423643CE80E2A9AC94FA54CA49F"
        );
        let (v3, _) = documents();
        let root = v3_root(&[("apis/demo.jeremyxu2010.me/v1beta1".into(), &v3)]);
        let bytes = serde_json::to_vec(&v3).unwrap();
        let digest: String = Sha512::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert_eq!(
            root,
            json!({"paths": {"apis/demo.jeremyxu2010.me/v1beta1": {
                "serverRelativeURL": format!("/openapi/v3/apis/demo.jeremyxu2010.me/v1beta1?hash={digest}")
            }}})
        );
    }

    #[test]
    fn operations_are_named_and_tagged_as_apiserver_names_them() {
        let (v3, _) = documents();
        let ids: BTreeSet<_> = operations(&v3)
            .iter()
            .map(|(path, method, op)| {
                assert_eq!(op["tags"], json!(["demoJeremyxu2010Me_v1beta1"]));
                format!("{method} {path} {}", op["operationId"].as_str().unwrap())
            })
            .collect();
        let expected: BTreeSet<_> = [
            "get / getDemoJeremyxu2010MeV1beta1APIResources",
            "get /foos listDemoJeremyxu2010MeV1beta1Foo",
            "post /foos createDemoJeremyxu2010MeV1beta1Foo",
            "delete /foos deleteDemoJeremyxu2010MeV1beta1CollectionFoo",
            "get /foos/{name} readDemoJeremyxu2010MeV1beta1Foo",
            "put /foos/{name} replaceDemoJeremyxu2010MeV1beta1Foo",
            "patch /foos/{name} patchDemoJeremyxu2010MeV1beta1Foo",
            "delete /foos/{name} deleteDemoJeremyxu2010MeV1beta1Foo",
            "get /foos/{name}/status readDemoJeremyxu2010MeV1beta1FooStatus",
            "put /foos/{name}/status replaceDemoJeremyxu2010MeV1beta1FooStatus",
            "patch /foos/{name}/status patchDemoJeremyxu2010MeV1beta1FooStatus",
            "post /foos/{name}/bar connectDemoJeremyxu2010MeV1beta1PostFooBar",
            "get /watch/foos watchDemoJeremyxu2010MeV1beta1FooList",
            "get /watch/foos/{name} watchDemoJeremyxu2010MeV1beta1Foo",
        ]
        .iter()
        .map(|s| {
            let (method, rest) = s.split_once(' ').unwrap();
            format!("{method} {GROUP_VERSION}{rest}")
        })
        .collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn bar_is_a_connect_post_taking_its_options_as_query_parameters() {
        let (v3, _) = documents();
        let item = &v3["paths"][format!("{GROUP_VERSION}/foos/{{name}}/bar")];
        let names: Vec<_> = item["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap(), p["in"].as_str().unwrap()))
            .collect();
        assert_eq!(
            names,
            [("arg1", "query"), ("dryRun", "query"), ("name", "path")]
        );
        let post = &item["post"];
        assert_eq!(post["x-kubernetes-action"], "connect");
        assert!(post.get("requestBody").is_none());
        assert_eq!(
            post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/me.jeremyxu2010.demo.v1beta1.FooBar"
        );
    }

    /// kubectl explain (`pkg/explain/v2/templates/plaintext.tmpl`) takes the GVK from an
    /// operation on `/apis/<g>/<v>/<resource>`, then the component schema whose GVK list holds
    /// exactly that object.
    #[test]
    fn explain_finds_the_kind_schema_through_the_list_operation() {
        let (v3, _) = documents();
        let gvk =
            &v3["paths"][format!("{GROUP_VERSION}/foos")]["get"]["x-kubernetes-group-version-kind"];
        assert_eq!(*gvk, foo_gvk());
        let schemas = v3["components"]["schemas"].as_object().unwrap();
        let matching: Vec<_> = schemas
            .values()
            .filter(|s| {
                s["x-kubernetes-group-version-kind"]
                    .as_array()
                    .is_some_and(|l| l.contains(gvk))
            })
            .collect();
        assert_eq!(matching.len(), 1);
        let spec = &matching[0]["properties"]["spec"]["allOf"][0]["$ref"];
        let spec = &schemas[spec.as_str().unwrap().strip_prefix(V3_REF).unwrap()];
        assert_eq!(spec["properties"]["greeting"]["type"], "string");
        assert!(spec["properties"]["greeting"]["description"].is_string());
        let status = &schemas["me.jeremyxu2010.demo.v1beta1.FooStatus"];
        let conditions = &status["properties"]["conditions"];
        assert_eq!(conditions["x-kubernetes-patch-merge-key"], "type");
        assert_eq!(conditions["x-kubernetes-list-map-keys"], json!(["type"]));
    }
}
