use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{API_VERSION, GROUP, VERSION};

/// A Foo: a cluster-scoped object with a greeting that the `bar` subresource answers with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Foo {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The desired state.
    pub spec: FooSpec,
    /// The observed state, written only through `foos/status`, `bar` and the controller.
    pub status: Option<FooStatus>,
}

/// The desired state of a [`Foo`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FooSpec {
    /// The greeting `bar` answers with; 1 to 256 characters, no control characters.
    /// The server fills in `Hello` when it is empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub greeting: String,
    /// A suspended Foo refuses `bar`.
    #[serde(default)]
    pub suspend: bool,
}

/// The observed state of a [`Foo`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FooStatus {
    /// The `metadata.generation` the controller last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// How many times `bar` has been invoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bar_count: Option<i64>,
    /// When `bar` was last invoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_bar_time: Option<Time>,
    /// The message `bar` last answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<String>,
    /// Standard conditions, merged by `type`; `Ready` is the one the controller keeps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

impl Foo {
    /// A Foo named `name` with the given spec.
    pub fn new(name: &str, spec: FooSpec) -> Self {
        Foo {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            spec,
            status: None,
        }
    }
}

/// The answer of the `bar` subresource.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FooBar {
    /// Carries the name of the Foo that answered.
    pub metadata: ObjectMeta,
    /// `<greeting>, <arg1>`.
    pub message: String,
}

impl kube::Resource for Foo {
    type DynamicType = ();
    type Scope = kube::core::ClusterResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        "Foo".into()
    }
    fn group(_: &()) -> Cow<'_, str> {
        GROUP.into()
    }
    fn version(_: &()) -> Cow<'_, str> {
        VERSION.into()
    }
    fn plural(_: &()) -> Cow<'_, str> {
        "foos".into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

// Objects carry `apiVersion` and `kind` on the wire but not in the struct (as k8s-openapi's
// types do): these wire forms add them on output and accept them on input.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FooOut<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: &'a ObjectMeta,
    spec: &'a FooSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: &'a Option<FooStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FooIn {
    #[serde(default, rename = "apiVersion")]
    _api_version: Option<String>,
    #[serde(default, rename = "kind")]
    _kind: Option<String>,
    #[serde(default)]
    metadata: ObjectMeta,
    #[serde(default)]
    spec: FooSpec,
    #[serde(default)]
    status: Option<FooStatus>,
}

impl Serialize for Foo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        FooOut {
            api_version: API_VERSION,
            kind: "Foo",
            metadata: &self.metadata,
            spec: &self.spec,
            status: &self.status,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Foo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let FooIn {
            metadata,
            spec,
            status,
            ..
        } = FooIn::deserialize(deserializer)?;
        Ok(Foo {
            metadata,
            spec,
            status,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FooBarOut<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: &'a ObjectMeta,
    message: &'a str,
}

#[derive(Deserialize)]
struct FooBarIn {
    #[serde(default)]
    metadata: ObjectMeta,
    #[serde(default)]
    message: String,
}

impl Serialize for FooBar {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        FooBarOut {
            api_version: API_VERSION,
            kind: "FooBar",
            metadata: &self.metadata,
            message: &self.message,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FooBar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let FooBarIn { metadata, message } = FooBarIn::deserialize(deserializer)?;
        Ok(FooBar { metadata, message })
    }
}
