//! How the server treats each kind: Flunders worked on in v1beta1 and stored in v1alpha1, as
//! the Go server's internal version and storage version; v1alpha1 Flunders converted; Fischers.

use aggregated_apiserver::registry::{
    Convertible, Strategy, Style, TableColumnDefinition, default_table_cells, default_table_columns,
};
use aggregated_apiserver::resource::{ALL_VERBS, ResourceInfo};
use aggregated_apiserver::status::{ApiError, FieldError};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::types::{FISCHER_REFERENCE, FLUNDER_REFERENCE, GROUP, v1alpha1, v1beta1};

pub const FLUNDERS_V1BETA1: ResourceInfo = ResourceInfo {
    group: GROUP,
    version: "v1beta1",
    kind: "Flunder",
    list_kind: "FlunderList",
    plural: "flunders",
    singular: "flunder",
    short_names: &[],
    categories: &[],
    namespaced: true,
    verbs: ALL_VERBS,
    subresources: &[],
    selectable_fields: &[],
};

pub const FLUNDERS_V1ALPHA1: ResourceInfo = ResourceInfo {
    version: "v1alpha1",
    ..FLUNDERS_V1BETA1
};

pub const FISCHERS: ResourceInfo = ResourceInfo {
    kind: "Fischer",
    list_kind: "FischerList",
    plural: "fischers",
    singular: "fischer",
    namespaced: false,
    ..FLUNDERS_V1ALPHA1
};

/// The deprecation the Go server's v1alpha1 types declare (deprecated in 1.3, removed in 1.10).
fn v1alpha1_deprecation(kind: &str) -> String {
    format!("{GROUP}/v1alpha1 {kind} is deprecated in v1.3+, unavailable in v1.10+")
}

/// A kind's schemas as OpenAPI components: the object (with `properties`) and its list.
fn schemas(info: &ResourceInfo, properties: Value) -> Map<String, Value> {
    let name = |kind: &str| format!("com.example.wardle.{}.{kind}", info.version);
    let gvk = |kind: &str| json!([{"group": GROUP, "version": info.version, "kind": kind}]);
    let meta = "io.k8s.apimachinery.pkg.apis.meta.v1";
    let mut object_properties = json!({
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"$ref": format!("#/components/schemas/{meta}.ObjectMeta")},
    });
    if let (Some(all), Some(own)) = (object_properties.as_object_mut(), properties.as_object()) {
        all.extend(own.clone());
    }
    let mut schemas = Map::new();
    schemas.insert(
        name(info.kind),
        json!({"type": "object", "properties": object_properties,
               "x-kubernetes-group-version-kind": gvk(info.kind)}),
    );
    schemas.insert(
        name(info.list_kind),
        json!({"type": "object", "required": ["items"], "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{}", name(info.kind))}},
            "metadata": {"$ref": format!("#/components/schemas/{meta}.ListMeta")},
        }, "x-kubernetes-group-version-kind": gvk(info.list_kind)}),
    );
    schemas
}

/// Flunders, in the version the rules are written for (the Go server's internal one).
pub struct FlunderStrategy;

impl Strategy for FlunderStrategy {
    type Object = v1beta1::Flunder;

    fn info(&self) -> &'static ResourceInfo {
        &FLUNDERS_V1BETA1
    }

    fn storage_version(&self) -> &'static str {
        "v1alpha1"
    }

    fn style(&self) -> Style {
        Style::Typed
    }

    fn serialize_stored(&self, object: &v1beta1::Flunder) -> Result<Vec<u8>, ApiError> {
        let stored = v1alpha1::Flunder::from(object.clone());
        serde_json::to_vec(&stored).map_err(ApiError::internal)
    }

    fn deserialize_stored(&self, stored: &[u8]) -> Result<v1beta1::Flunder, ApiError> {
        let stored: v1alpha1::Flunder =
            serde_json::from_slice(stored).map_err(ApiError::internal)?;
        Ok(stored.into())
    }

    /// sample-apiserver's ValidateUpdate checks nothing.
    fn validate_update(&self, _: &v1beta1::Flunder, _: &v1beta1::Flunder) -> Vec<FieldError> {
        Vec::new()
    }

    /// sample-apiserver's ValidateFlunderSpec.
    fn validate(&self, flunder: &v1beta1::Flunder) -> Vec<FieldError> {
        let spec = &flunder.spec;
        let (flunder_ref, fischer_ref) = (&spec.flunder_reference, &spec.fischer_reference);
        let kind = spec.reference_type.as_str();
        let mut errors = Vec::new();
        let invalid = |field: &str, value: &str, why: &str| {
            FieldError::invalid(&format!("spec.{field}"), value, why)
        };
        if !flunder_ref.is_empty() && !fischer_ref.is_empty() {
            errors.push(invalid(
                "fischerReference",
                fischer_ref,
                "cannot be set with flunderReference at the same time",
            ));
        } else if !flunder_ref.is_empty() && kind != FLUNDER_REFERENCE {
            errors.push(invalid(
                "flunderReference",
                flunder_ref,
                "cannot be set if referenceType is not Flunder",
            ));
        } else if !fischer_ref.is_empty() && kind != FISCHER_REFERENCE {
            errors.push(invalid(
                "fischerReference",
                fischer_ref,
                "cannot be set if referenceType is not Fischer",
            ));
        } else if fischer_ref.is_empty() && kind == FISCHER_REFERENCE {
            errors.push(invalid(
                "fischerReference",
                fischer_ref,
                "cannot be empty if referenceType is Fischer",
            ));
        } else if flunder_ref.is_empty() && kind == FLUNDER_REFERENCE {
            errors.push(invalid(
                "flunderReference",
                flunder_ref,
                "cannot be empty if referenceType is Flunder",
            ));
        }
        if !kind.is_empty() && kind != FLUNDER_REFERENCE && kind != FISCHER_REFERENCE {
            errors.push(invalid("referenceType", kind, "must be Flunder or Fischer"));
        }
        errors
    }

    fn table_columns(&self) -> Vec<TableColumnDefinition> {
        default_table_columns()
    }

    fn table_cells(&self, flunder: &v1beta1::Flunder, _: Timestamp) -> Vec<Value> {
        default_table_cells(&flunder.metadata)
    }

    fn openapi_schemas(&self) -> Map<String, Value> {
        schemas(
            &FLUNDERS_V1BETA1,
            json!({"spec": {"type": "object", "properties": {
                "flunderReference": {"type": "string"},
                "fischerReference": {"type": "string"},
                "referenceType": {"type": "string"},
            }}, "status": {"type": "object"}}),
        )
    }
}

impl Convertible<v1beta1::Flunder> for v1alpha1::Flunder {
    fn info() -> &'static ResourceInfo {
        &FLUNDERS_V1ALPHA1
    }

    fn openapi_schemas() -> Map<String, Value> {
        schemas(
            &FLUNDERS_V1ALPHA1,
            json!({"spec": {"type": "object", "properties": {
                "reference": {"type": "string"},
                "referenceType": {"type": "string"},
            }}, "status": {"type": "object"}}),
        )
    }

    fn deprecation() -> Option<&'static str> {
        static WARNING: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| v1alpha1_deprecation("Flunder"));
        Some(&WARNING)
    }

    fn from_hub(hub: v1beta1::Flunder) -> Self {
        hub.into()
    }

    fn into_hub(self) -> v1beta1::Flunder {
        self.into()
    }
}

/// Fischers: a list of banned Flunder names, with no rules of their own.
pub struct FischerStrategy;

impl Strategy for FischerStrategy {
    type Object = v1alpha1::Fischer;

    fn info(&self) -> &'static ResourceInfo {
        &FISCHERS
    }

    fn style(&self) -> Style {
        Style::Typed
    }

    fn deprecation(&self) -> Option<&'static str> {
        static WARNING: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| v1alpha1_deprecation("Fischer"));
        Some(&WARNING)
    }

    fn table_columns(&self) -> Vec<TableColumnDefinition> {
        default_table_columns()
    }

    fn table_cells(&self, fischer: &v1alpha1::Fischer, _: Timestamp) -> Vec<Value> {
        default_table_cells(&fischer.metadata)
    }

    fn openapi_schemas(&self) -> Map<String, Value> {
        schemas(
            &FISCHERS,
            json!({"disallowedFlunders": {"type": "array", "items": {"type": "string"}}}),
        )
    }
}
