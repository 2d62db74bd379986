use crate::wire::GoObjectMeta;
use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{API_VERSION, BAR_KIND, CONDITION_READY, GROUP, KIND, PLURAL, VERSION};

/// A Foo: a cluster-scoped object with a greeting that the `bar` subresource answers with.
///
/// On the wire a Foo carries `apiVersion: demo.jeremyxu2010.me/v1beta1` and `kind: Foo`;
/// the struct leaves them out, as k8s-openapi's types do, and serde adds them.
///
/// ```
/// use foo_sdk::{Foo, FooSpec};
/// use kube::Resource;
///
/// let foo = Foo::new("hello", FooSpec::new("Hi").suspended(true));
/// assert_eq!(foo.name(), "hello");
/// assert!(foo.spec.suspend);
/// assert_eq!(Foo::plural(&()), "foos");
/// assert_eq!(Foo::api_version(&()), "demo.jeremyxu2010.me/v1beta1");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Foo {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The desired state.
    pub spec: FooSpec,
    /// The observed state, written only through `foos/status`, `bar` and the controller.
    pub status: Option<FooStatus>,
}

// The doc comments of the API types are also their OpenAPI descriptions (`kubectl explain`),
// hence their Kubernetes style.

/// FooSpec is the desired state of a Foo.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FooSpec {
    /// Greeting is what bar answers with, followed by its arg1: 1 to 256 characters, no
    /// control characters. Defaults to "Hello".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(
        feature = "schema",
        schemars(length(min = 1, max = 256), extend("default" = crate::DEFAULT_GREETING))
    )]
    pub greeting: String,
    /// Suspend makes bar refuse to answer (409 Conflict) while true. Defaults to false.
    #[serde(default)]
    pub suspend: bool,
}

/// FooStatus is the observed state of a Foo.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FooStatus {
    /// ObservedGeneration is the metadata.generation the controller last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 0)))]
    pub observed_generation: Option<i64>,
    /// BarCount is how many times bar has been invoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 0)))]
    pub bar_count: Option<i64>,
    /// LastBarTime is when bar was last invoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_bar_time: Option<Time>,
    /// LastMessage is the message bar last answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<String>,
    /// Conditions are the standard conditions of the Foo, merged by type. The controller
    /// keeps Ready: True with reason Reconciled for an active Foo, False with reason
    /// Suspended for a suspended one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        feature = "schema",
        schemars(extend(
            "x-kubernetes-list-type" = "map",
            "x-kubernetes-list-map-keys" = ["type"],
            "x-kubernetes-patch-strategy" = "merge",
            "x-kubernetes-patch-merge-key" = "type",
        ))
    )]
    pub conditions: Vec<Condition>,
}

impl FooSpec {
    /// A spec with the given greeting, not suspended.
    pub fn new(greeting: impl Into<String>) -> Self {
        FooSpec {
            greeting: greeting.into(),
            suspend: false,
        }
    }

    /// This spec with `suspend` set: a suspended Foo refuses `bar`.
    #[must_use]
    pub fn suspended(mut self, suspend: bool) -> Self {
        self.suspend = suspend;
        self
    }
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

    /// `metadata.name`, or `""` when it is not set.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// The `Ready` condition, if the controller has written one.
    pub fn ready_condition(&self) -> Option<&Condition> {
        self.status
            .as_ref()?
            .conditions
            .iter()
            .find(|c| c.type_ == CONDITION_READY)
    }

    /// Whether the `Ready` condition is `True`.
    pub fn is_ready(&self) -> bool {
        self.ready_condition().is_some_and(|c| c.status == "True")
    }

    /// How many times `bar` has been invoked (`status.barCount`, 0 when unset).
    pub fn bar_count(&self) -> i64 {
        self.status.as_ref().and_then(|s| s.bar_count).unwrap_or(0)
    }

    /// The message `bar` last answered (`status.lastMessage`).
    pub fn last_message(&self) -> Option<&str> {
        self.status.as_ref()?.last_message.as_deref()
    }

    /// Whether the controller has reconciled the current spec: `status.observedGeneration`
    /// equals `metadata.generation`.
    pub fn is_reconciled(&self) -> bool {
        let observed = self.status.as_ref().and_then(|s| s.observed_generation);
        observed.is_some() && observed == self.metadata.generation
    }
}

impl FooBar {
    /// The name of the Foo that answered (`metadata.name`), or `""`.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
}

/// The answer of the `bar` subresource (`kind: FooBar`).
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
        KIND.into()
    }
    fn group(_: &()) -> Cow<'_, str> {
        GROUP.into()
    }
    fn version(_: &()) -> Cow<'_, str> {
        VERSION.into()
    }
    fn plural(_: &()) -> Cow<'_, str> {
        PLURAL.into()
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
    metadata: GoObjectMeta<'a>,
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
            kind: KIND,
            metadata: GoObjectMeta(&self.metadata),
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
    metadata: GoObjectMeta<'a>,
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
            kind: BAR_KIND,
            metadata: GoObjectMeta(&self.metadata),
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

#[cfg(feature = "schema")]
mod schema {
    //! `JsonSchema` for the kinds whose serde is written by hand: the schema of their wire
    //! form, with `apiVersion` and `kind`.

    use std::borrow::Cow;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use schemars::{JsonSchema, Schema, SchemaGenerator};

    use super::{Foo, FooBar, FooSpec, FooStatus};

    /// Foo is a cluster-scoped object with a greeting that its bar subresource answers with.
    #[derive(JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct FooWire {
        /// `demo.jeremyxu2010.me/v1beta1`.
        api_version: String,
        /// `Foo`.
        kind: String,
        /// Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata
        #[serde(default)]
        metadata: ObjectMeta,
        /// Spec is the desired state of the Foo.
        #[serde(default)]
        spec: FooSpec,
        /// Status is the observed state of the Foo, written only through the status and bar
        /// subresources and by the controller.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<FooStatus>,
    }

    /// FooBar is the answer of a Foo's bar subresource.
    #[derive(JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct FooBarWire {
        /// `demo.jeremyxu2010.me/v1beta1`.
        api_version: String,
        /// `FooBar`.
        kind: String,
        /// Carries the name of the Foo that answered.
        #[serde(default)]
        metadata: ObjectMeta,
        /// Message is the Foo's greeting, a comma, a space and the arg1 of the request.
        message: String,
    }

    impl JsonSchema for Foo {
        fn schema_name() -> Cow<'static, str> {
            "Foo".into()
        }
        fn schema_id() -> Cow<'static, str> {
            "demo.jeremyxu2010.me/v1beta1/Foo".into()
        }
        fn json_schema(generator: &mut SchemaGenerator) -> Schema {
            FooWire::json_schema(generator)
        }
    }

    impl JsonSchema for FooBar {
        fn schema_name() -> Cow<'static, str> {
            "FooBar".into()
        }
        fn schema_id() -> Cow<'static, str> {
            "demo.jeremyxu2010.me/v1beta1/FooBar".into()
        }
        fn json_schema(generator: &mut SchemaGenerator) -> Schema {
            FooBarWire::json_schema(generator)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn foo_round_trips_with_type_meta() {
        let mut foo = Foo::new("a", FooSpec::new("Hi").suspended(true));
        foo.status = Some(FooStatus {
            bar_count: Some(3),
            last_message: Some("Hi, x".into()),
            ..FooStatus::default()
        });
        let value = serde_json::to_value(&foo).unwrap();
        assert_eq!(
            value,
            json!({
                "apiVersion": "demo.jeremyxu2010.me/v1beta1",
                "kind": "Foo",
                "metadata": {"name": "a"},
                "spec": {"greeting": "Hi", "suspend": true},
                "status": {"barCount": 3, "lastMessage": "Hi, x"},
            })
        );
        let back: Foo = serde_json::from_value(value).unwrap();
        assert_eq!(back, foo);
        assert_eq!(back.bar_count(), 3);
        assert_eq!(back.last_message(), Some("Hi, x"));
        assert!(!back.is_ready());
    }

    #[test]
    fn helpers_read_the_status() {
        let mut foo: Foo = serde_json::from_value(json!({
            "metadata": {"name": "b", "generation": 2},
            "spec": {},
            "status": {"observedGeneration": 2, "conditions": [{
                "type": "Ready", "status": "True", "reason": "Reconciled", "message": "",
                "lastTransitionTime": "2026-01-01T00:00:00Z"
            }]}
        }))
        .unwrap();
        assert_eq!(foo.name(), "b");
        assert_eq!(foo.spec, FooSpec::default());
        assert!(foo.is_ready());
        assert!(foo.is_reconciled());
        assert_eq!(foo.bar_count(), 0);
        foo.metadata.generation = Some(3);
        assert!(!foo.is_reconciled());
    }

    #[test]
    fn foo_bar_wire_form() {
        let bar: FooBar = serde_json::from_value(json!({
            "apiVersion": "demo.jeremyxu2010.me/v1beta1", "kind": "FooBar",
            "metadata": {"name": "a"}, "message": "Hello, world"
        }))
        .unwrap();
        assert_eq!(bar.name(), "a");
        assert_eq!(bar.message, "Hello, world");
        assert_eq!(serde_json::to_value(&bar).unwrap()["kind"], "FooBar");
    }

    #[cfg(feature = "schema")]
    #[test]
    fn schema_names_the_wire_fields() {
        let schema = serde_json::to_value(schemars::schema_for!(Foo)).unwrap();
        let properties = &schema["properties"];
        for field in ["apiVersion", "kind", "metadata", "spec", "status"] {
            assert!(properties.get(field).is_some(), "{field} in {schema}");
        }
        let spec = serde_json::to_value(schemars::schema_for!(FooSpec)).unwrap();
        assert!(spec["properties"].get("greeting").is_some());
    }
}
