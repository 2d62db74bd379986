//! The wardle.example.com types: Flunder in v1alpha1 (the version stored) and v1beta1 (the
//! one the server works on, as the Go server's internal version), Fischer in v1alpha1.

use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

pub const GROUP: &str = "wardle.example.com";

/// Implements `kube::Resource` for a wardle type with `metadata`.
macro_rules! resource {
    ($type:ty, $version:literal, $kind:literal, $plural:literal, $scope:ty) => {
        impl kube::Resource for $type {
            type DynamicType = ();
            type Scope = $scope;

            fn kind(_: &()) -> Cow<'_, str> {
                $kind.into()
            }
            fn group(_: &()) -> Cow<'_, str> {
                GROUP.into()
            }
            fn version(_: &()) -> Cow<'_, str> {
                $version.into()
            }
            fn plural(_: &()) -> Cow<'_, str> {
                $plural.into()
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

/// Which kind a Flunder refers to.
pub const FLUNDER_REFERENCE: &str = "Flunder";
pub const FISCHER_REFERENCE: &str = "Fischer";

/// A Flunder of either version, which differ only in their spec.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flunder<Spec> {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Spec,
    #[serde(default)]
    pub status: FlunderStatus,
}

/// The status every Flunder has: empty, and written out as `{}` as the Go server does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlunderStatus {}

pub mod v1beta1 {
    use super::*;

    pub type Flunder = super::Flunder<FlunderSpec>;

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct FlunderSpec {
        /// The name of a Flunder, when `referenceType` is Flunder.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub flunder_reference: String,
        /// The name of a Fischer, when `referenceType` is Fischer.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub fischer_reference: String,
        /// `Flunder` or `Fischer`.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub reference_type: String,
    }

    resource!(
        Flunder,
        "v1beta1",
        "Flunder",
        "flunders",
        kube::core::NamespaceResourceScope
    );
}

pub mod v1alpha1 {
    use super::*;

    pub type Flunder = super::Flunder<FlunderSpec>;

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct FlunderSpec {
        /// The name of the Flunder or Fischer referred to.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub reference: String,
        /// `Flunder` or `Fischer`; `Flunder` when a reference has none.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub reference_type: String,
    }

    /// The names of Flunders that may not be created while this Fischer exists.
    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Fischer {
        #[serde(default)]
        pub api_version: String,
        #[serde(default)]
        pub kind: String,
        #[serde(default)]
        pub metadata: ObjectMeta,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub disallowed_flunders: Vec<String>,
    }

    resource!(
        Flunder,
        "v1alpha1",
        "Flunder",
        "flunders",
        kube::core::NamespaceResourceScope
    );
    resource!(
        Fischer,
        "v1alpha1",
        "Fischer",
        "fischers",
        kube::core::ClusterResourceScope
    );

    impl From<v1beta1::Flunder> for Flunder {
        fn from(hub: v1beta1::Flunder) -> Self {
            let spec = hub.spec;
            let reference = match spec.reference_type.as_str() {
                FLUNDER_REFERENCE => spec.flunder_reference,
                FISCHER_REFERENCE => spec.fischer_reference,
                _ => String::new(),
            };
            Flunder {
                api_version: format!("{GROUP}/v1alpha1"),
                kind: "Flunder".into(),
                metadata: hub.metadata,
                spec: FlunderSpec {
                    reference,
                    reference_type: spec.reference_type,
                },
                status: hub.status,
            }
        }
    }

    impl From<Flunder> for v1beta1::Flunder {
        /// As the Go conversion: a reference of an unknown type is dropped with its type.
        fn from(flunder: Flunder) -> Self {
            let FlunderSpec {
                reference,
                mut reference_type,
            } = flunder.spec;
            // v1alpha1's default: a reference without a type is to a Flunder.
            if reference_type.is_empty() && !reference.is_empty() {
                reference_type = FLUNDER_REFERENCE.into();
            }
            let spec = match reference_type.as_str() {
                FLUNDER_REFERENCE => v1beta1::FlunderSpec {
                    flunder_reference: reference,
                    reference_type,
                    ..Default::default()
                },
                FISCHER_REFERENCE => v1beta1::FlunderSpec {
                    fischer_reference: reference,
                    reference_type,
                    ..Default::default()
                },
                _ => v1beta1::FlunderSpec::default(),
            };
            v1beta1::Flunder {
                api_version: format!("{GROUP}/v1beta1"),
                kind: "Flunder".into(),
                metadata: flunder.metadata,
                spec,
                status: flunder.status,
            }
        }
    }
}
