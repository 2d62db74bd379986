//! Foo: the kind's defaulting, validation and server-side printing (API.md).

pub mod examples;
pub mod openapi;

use foo_sdk::{Foo, FooBar};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use aggregated_apiserver::registry::{Connected, Strategy, TableColumnDefinition};
use aggregated_apiserver::request::Query;
use aggregated_apiserver::resource::{ALL_VERBS, ResourceInfo, SubresourceInfo};
use aggregated_apiserver::status::{ApiError, FieldError};
use foo_sdk::age;

const DEFAULT_GREETING: &str = "Hello";
const DEFAULT_ARG1: &str = "world";
const MAX_GREETING_CHARS: usize = 256;
const CONDITION_STATUSES: &[&str] = &["True", "False", "Unknown"];

/// Foo, as API.md describes it.
pub const FOO: ResourceInfo = ResourceInfo {
    group: foo_sdk::GROUP,
    version: foo_sdk::VERSION,
    kind: "Foo",
    list_kind: "FooList",
    plural: "foos",
    singular: "foo",
    short_names: &["fo"],
    categories: &["demo"],
    namespaced: false,
    verbs: ALL_VERBS,
    subresources: &[
        SubresourceInfo {
            name: "bar",
            kind: "FooBar",
            verbs: &["create"],
        },
        SubresourceInfo {
            name: "status",
            kind: "Foo",
            verbs: &["get", "patch", "update"],
        },
    ],
    selectable_fields: &[],
};

pub struct FooStrategy;

impl Strategy for FooStrategy {
    type Object = Foo;

    fn info(&self) -> &'static ResourceInfo {
        &FOO
    }

    fn default(&self, foo: &mut Foo) {
        if foo.spec.greeting.is_empty() {
            foo.spec.greeting = DEFAULT_GREETING.into();
        }
    }

    fn validate(&self, foo: &Foo) -> Vec<FieldError> {
        let mut errors = greeting_errors("spec.greeting", &foo.spec.greeting);
        let Some(status) = &foo.status else {
            return errors;
        };
        if let Some(count) = status.bar_count.filter(|c| *c < 0) {
            errors.push(FieldError::invalid_raw(
                "status.barCount",
                &count.to_string(),
                "must be greater than or equal to 0",
            ));
        }
        if let Some(generation) = status.observed_generation.filter(|g| *g < 0) {
            errors.push(FieldError::invalid_raw(
                "status.observedGeneration",
                &generation.to_string(),
                "must be greater than or equal to 0",
            ));
        }
        for (i, condition) in status.conditions.iter().enumerate() {
            let field = |name: &str| format!("status.conditions[{i}].{name}");
            if condition.type_.is_empty() {
                errors.push(FieldError::required(&field("type"), ""));
            }
            if !CONDITION_STATUSES.contains(&condition.status.as_str()) {
                errors.push(FieldError::not_supported(
                    &field("status"),
                    &format!("{:?}", condition.status),
                    CONDITION_STATUSES,
                ));
            }
            if condition.reason.is_empty() {
                errors.push(FieldError::required(&field("reason"), ""));
            }
        }
        errors
    }

    fn table_columns(&self) -> Vec<TableColumnDefinition> {
        let column = TableColumnDefinition::new;
        vec![
            TableColumnDefinition::object_name(),
            column("Greeting", "string", "The greeting bar answers with."),
            column("Bars", "integer", "How many times bar has been invoked."),
            column("Ready", "string", "The status of the Ready condition."),
            TableColumnDefinition::creation_timestamp("Age"),
            column("Suspended", "boolean", "A suspended Foo refuses bar.").wide(),
            column("Last Bar", "date", "When bar was last invoked.").wide(),
            column("Message", "string", "The message bar last answered.").wide(),
        ]
    }

    fn table_cells(&self, foo: &Foo, now: Timestamp) -> Vec<Value> {
        let status = foo.status.clone().unwrap_or_default();
        let ready = status
            .conditions
            .iter()
            .find(|c| c.type_ == "Ready")
            .map_or("Unknown", |c| c.status.as_str());
        let ago = |t: Option<&Time>| t.map_or("<none>".into(), |t| age::since(t.0, now));
        vec![
            json!(foo.metadata.name.as_deref().unwrap_or_default()),
            json!(foo.spec.greeting),
            json!(status.bar_count.unwrap_or(0)),
            json!(ready),
            json!(ago(foo.metadata.creation_timestamp.as_ref())),
            json!(foo.spec.suspend),
            json!(ago(status.last_bar_time.as_ref())),
            json!(status.last_message.unwrap_or_default()),
        ]
    }

    fn openapi_schemas(&self) -> serde_json::Map<String, Value> {
        openapi::schemas()
    }

    fn connect(
        &self,
        subresource: &str,
        foo: &Foo,
        query: &Query,
    ) -> Result<Connected<Foo>, ApiError> {
        match subresource {
            "bar" => bar(foo, query.get("arg1").filter(|a| !a.is_empty())),
            _ => Err(ApiError::path_not_found()),
        }
    }
}

/// `bar`: answers `<greeting>, <arg1>` and counts the call in the status.
fn bar(foo: &Foo, arg1: Option<&str>) -> Result<Connected<Foo>, ApiError> {
    let arg1 = arg1.unwrap_or(DEFAULT_ARG1);
    if let Some(error) = greeting_errors("arg1", arg1).first() {
        return Err(ApiError::bad_request(error.to_string()));
    }
    let name = foo.metadata.name.clone().unwrap_or_default();
    if foo.spec.suspend {
        return Err(ApiError::conflict(
            &FOO,
            &name,
            "the Foo is suspended (spec.suspend is true); resume it to call bar",
        ));
    }
    let message = format!("{}, {arg1}", foo.spec.greeting);
    let mut object = foo.clone();
    let status = object.status.get_or_insert_default();
    // The count is client-settable through /status: it stops at the maximum, never wraps.
    status.bar_count = Some(status.bar_count.unwrap_or(0).saturating_add(1));
    status.last_bar_time = Some(aggregated_apiserver::registry::now());
    status.last_message = Some(message.clone());
    let answer = FooBar {
        metadata: ObjectMeta {
            name: Some(name),
            ..ObjectMeta::default()
        },
        message,
    };
    let answer = serde_json::to_value(answer).map_err(ApiError::internal)?;
    Ok(Connected { object, answer })
}

/// The rules of a greeting (also those of bar's `arg1`): 1 to 256 characters, no control
/// characters.
pub fn greeting_errors(field: &str, greeting: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if greeting.is_empty() {
        errors.push(FieldError::required(field, ""));
    }
    if greeting.chars().count() > MAX_GREETING_CHARS {
        errors.push(FieldError::too_long(field, MAX_GREETING_CHARS));
    }
    if greeting.chars().any(char::is_control) {
        errors.push(FieldError::invalid(
            field,
            greeting,
            "must not contain control characters",
        ));
    }
    errors
}
