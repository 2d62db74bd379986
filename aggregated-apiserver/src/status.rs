//! API errors, answered as `metav1.Status` bodies with kube-apiserver's reasons, codes and wording.

use std::collections::HashSet;

use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde::Serialize;

use crate::resource::ResourceInfo;

/// One invalid field, as `field.Error` of k8s.io/apimachinery.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// The field's path, as it starts the message (`spec.greeting`, `metadata.labels`).
    pub field: String,
    /// What is wrong with the field; it gives the cause's reason.
    pub kind: FieldErrorKind,
}

/// What is wrong with a field: apimachinery's `field.ErrorType`, with what its message shows.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldErrorKind {
    /// `FieldValueRequired`: the field is missing; the detail (possibly empty) says more.
    Required(String),
    /// The offending value, already rendered as Go's `%#v` would (a quoted string, a number).
    Invalid(String, String),
    /// `FieldValueTooLong`: the value is longer than this many characters.
    TooLong(usize),
    /// `FieldValueForbidden`: the field may not be set here; the detail says why.
    Forbidden(String),
    /// The rendered value and the values that are supported.
    NotSupported(String, Vec<String>),
}

impl FieldError {
    /// A `Required value` error for `field`, with `detail` after it unless empty.
    pub fn required(field: &str, detail: &str) -> Self {
        Self::new(field, FieldErrorKind::Required(detail.into()))
    }
    /// An `Invalid value` error showing the string `value` quoted as Go's `%q` does.
    pub fn invalid(field: &str, value: &str, detail: &str) -> Self {
        Self::new(
            field,
            FieldErrorKind::Invalid(crate::validation::go_quote(value), detail.into()),
        )
    }
    /// An `Invalid value` error showing a value already rendered as Go would (a number, a list).
    pub fn invalid_raw(field: &str, rendered_value: &str, detail: &str) -> Self {
        Self::new(
            field,
            FieldErrorKind::Invalid(rendered_value.into(), detail.into()),
        )
    }
    /// A `Too long` error for a value longer than `max` characters.
    pub fn too_long(field: &str, max: usize) -> Self {
        Self::new(field, FieldErrorKind::TooLong(max))
    }
    /// An `Unsupported value` error listing the `supported` values, each quoted.
    pub fn not_supported(field: &str, rendered_value: &str, supported: &[&str]) -> Self {
        let supported = supported.iter().map(|s| format!("{s:?}")).collect();
        Self::new(
            field,
            FieldErrorKind::NotSupported(rendered_value.into(), supported),
        )
    }
    /// A `Forbidden` error for `field`, with `detail` saying why.
    pub fn forbidden(field: &str, detail: &str) -> Self {
        Self::new(field, FieldErrorKind::Forbidden(detail.into()))
    }
    fn new(field: &str, kind: FieldErrorKind) -> Self {
        FieldError {
            field: field.into(),
            kind,
        }
    }

    fn reason(&self) -> &'static str {
        match self.kind {
            FieldErrorKind::Required(_) => "FieldValueRequired",
            FieldErrorKind::Invalid(..) => "FieldValueInvalid",
            FieldErrorKind::TooLong(_) => "FieldValueTooLong",
            FieldErrorKind::Forbidden(_) => "FieldValueForbidden",
            FieldErrorKind::NotSupported(..) => "FieldValueNotSupported",
        }
    }

    /// The message without the field, as in `details.causes[].message`.
    fn body(&self) -> String {
        fn with_detail(head: String, detail: &str) -> String {
            if detail.is_empty() {
                head
            } else {
                format!("{head}: {detail}")
            }
        }
        match &self.kind {
            FieldErrorKind::Required(d) => with_detail("Required value".into(), d),
            FieldErrorKind::Invalid(v, d) => with_detail(format!("Invalid value: {v}"), d),
            FieldErrorKind::TooLong(max) => {
                format!("Too long: may not be longer than {max}")
            }
            FieldErrorKind::Forbidden(d) => with_detail("Forbidden".into(), d),
            FieldErrorKind::NotSupported(v, supported) => format!(
                "Unsupported value: {v}: supported values: {}",
                supported.join(", ")
            ),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// A failed request: turned into a `Status` response.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The HTTP status code, also the Status's `code`.
    pub code: u16,
    /// The Status's `reason` (a `metav1.StatusReason` such as `NotFound` or `Invalid`).
    pub reason: &'static str,
    /// The Status's human-readable `message`, worded as kube-apiserver words it.
    pub message: String,
    /// The Status's `details`; `None` leaves the field out.
    pub details: Option<Box<Details>>,
}

/// `metav1.StatusDetails`: the object an error is about, its causes, and when to retry;
/// empty fields are left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Details {
    /// The name of the object concerned.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The API group of the object concerned.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The object's kind, or its resource (`foos`) where kube-apiserver names that instead
    /// (NotFound, AlreadyExists, Conflict).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The individual failures, such as one per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
    /// Seconds the client should wait before retrying; also sent as `Retry-After`.
    #[serde(rename = "retryAfterSeconds", skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u32>,
}

/// `metav1.StatusCause`: one reason for a failure, such as one invalid field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cause {
    /// The machine-readable reason (`FieldValueInvalid`, ...); empty for a summary.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The human-readable description; for a field, without its name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The path of the field concerned, if any (`spec.greeting`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

impl Cause {
    /// The last cause of a list cut by [`listed`], saying how many were left out.
    pub fn summary(message: String) -> Self {
        Cause {
            reason: String::new(),
            message,
            field: String::new(),
        }
    }
}

/// At most this many errors are listed in one answer, the rest only counted: kube-apiserver
/// lists them all, which for a body with 100,000 invalid labels is a message of megabytes.
pub const MAX_LISTED_ERRORS: usize = 100;

/// The first [`MAX_LISTED_ERRORS`] of `items`, and the words for the rest, if any:
/// `and 5 more errors` for `what` = "error".
pub fn listed<'a, T>(items: &'a [T], what: &str) -> (&'a [T], Option<String>) {
    let (shown, rest) = items.split_at(items.len().min(MAX_LISTED_ERRORS));
    let more = match rest.len() {
        0 => None,
        1 => Some(format!("and 1 more {what}")),
        n => Some(format!("and {n} more {what}s")),
    };
    (shown, more)
}

/// `<plural>.<group>`, how kube-apiserver names a resource in messages.
fn qualified(info: &ResourceInfo) -> String {
    format!("{}.{}", info.plural, info.group)
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn about(mut self, info: &ResourceInfo, name: &str) -> Self {
        self.details = Some(Box::new(Details {
            name: name.into(),
            group: info.group.into(),
            kind: info.plural.into(),
            ..Details::default()
        }));
        self
    }

    /// The 404 NotFound kube-apiserver answers for an object `name` of the resource that does
    /// not exist.
    pub fn not_found(info: &ResourceInfo, name: &str) -> Self {
        let message = format!("{} \"{name}\" not found", qualified(info));
        Self::new(404, "NotFound", message).about(info, name)
    }

    /// The 404 for a path the server does not serve.
    pub fn path_not_found() -> Self {
        let mut e = Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
        e.details = Some(Box::default());
        e
    }

    /// The 409 AlreadyExists kube-apiserver answers for a create of a name already taken.
    pub fn already_exists(info: &ResourceInfo, name: &str) -> Self {
        let message = format!("{} \"{name}\" already exists", qualified(info));
        Self::new(409, "AlreadyExists", message).about(info, name)
    }

    /// A 409 Conflict; `why` is what follows `Operation cannot be fulfilled on … "name": `.
    pub fn conflict(info: &ResourceInfo, name: &str, why: &str) -> Self {
        let message = format!(
            "Operation cannot be fulfilled on {} \"{name}\": {why}",
            qualified(info)
        );
        Self::new(409, "Conflict", message).about(info, name)
    }

    /// The 409 Conflict of a DELETE whose preconditions the object fails: `rest.BeforeDelete`
    /// names the kind where the resource would be (`Foo.demo.jeremyxu2010.me`).
    pub fn precondition_failed(info: &ResourceInfo, name: &str, why: &str) -> Self {
        let message = format!(
            "Operation cannot be fulfilled on {}.{} \"{name}\": {why}",
            info.kind, info.group
        );
        let mut e = Self::new(409, "Conflict", message);
        e.details = Some(Box::new(Details {
            name: name.into(),
            group: info.group.into(),
            kind: info.kind.into(),
            ..Details::default()
        }));
        e
    }

    /// The 409 Conflict kube-apiserver answers for a write whose resourceVersion is not the
    /// object's current one.
    pub fn modified(info: &ResourceInfo, name: &str) -> Self {
        Self::conflict(
            info,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 422 Invalid, naming the kind (`Foo.demo.jeremyxu2010.me "x" is invalid: …`).
    pub fn invalid(info: &ResourceInfo, name: &str, errors: &[FieldError]) -> Self {
        let kind = format!("{}.{}", info.kind, info.group);
        Self::invalid_named(&kind, info.group, info.kind, name, errors)
    }

    /// 422 Invalid about something else than an object (`PatchOptions.meta.k8s.io`, …).
    pub fn invalid_named(
        qualified_kind: &str,
        group: &str,
        kind: &str,
        name: &str,
        errors: &[FieldError],
    ) -> Self {
        let (shown, more) = listed(errors, "error");
        // The message names each distinct error once, as apimachinery's aggregate does.
        let mut seen = HashSet::new();
        let mut parts: Vec<String> = shown
            .iter()
            .map(ToString::to_string)
            .filter(|message| seen.insert(message.clone()))
            .collect();
        parts.extend(more.clone());
        let message = match parts.as_slice() {
            [] => format!("{qualified_kind} \"{name}\" is invalid"),
            [one] => format!("{qualified_kind} \"{name}\" is invalid: {one}"),
            _ => format!(
                "{qualified_kind} \"{name}\" is invalid: [{}]",
                parts.join(", ")
            ),
        };
        let mut e = Self::new(422, "Invalid", message);
        e.details = Some(Box::new(Details {
            name: name.into(),
            group: group.into(),
            kind: kind.into(),
            causes: shown
                .iter()
                .map(|f| Cause {
                    reason: f.reason().into(),
                    message: f.body(),
                    field: f.field.clone(),
                })
                .chain(more.map(Cause::summary))
                .collect(),
            ..Details::default()
        }));
        e
    }

    /// A 400 BadRequest with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 405 for a method the path does not serve.
    pub fn method_not_allowed() -> Self {
        let mut e = Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        );
        e.details = Some(Box::default());
        e
    }

    /// The 406 NotAcceptable for an `Accept` header that allows none of the `accepted` media
    /// types.
    pub fn not_acceptable(accepted: &[&str]) -> Self {
        Self::new(
            406,
            "NotAcceptable",
            format!(
                "only the following media types are accepted: {}",
                accepted.join(", ")
            ),
        )
    }

    /// The 415 UnsupportedMediaType for a body whose `Content-Type` is none of `accepted`.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }

    /// The 415 go-restful answers before any handler runs when a route does not consume the
    /// body's media type (apiserver's PATCH routes take only the patch types).
    pub fn unconsumed_media_type() -> Self {
        let mut e = Self::new(415, "UnsupportedMediaType", "415: Unsupported Media Type");
        e.details = Some(Box::default());
        e
    }

    /// The 413 RequestEntityTooLarge for a body over `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {limit}"),
        )
    }

    /// 413 for a JSON patch with too many operations.
    pub fn too_large_patch(max_operations: usize, operations: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!(
                "Request entity too large: The allowed maximum operations in a JSON patch is {max_operations}, got {operations}"
            ),
        )
    }

    /// 422 for a patch that cannot be applied (a failed `test`, a missing path): kube-apiserver
    /// drops the reason and answers with its generic Invalid message.
    pub fn patch_rejected() -> Self {
        let mut e = Self::new(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
        );
        e.details = Some(Box::default());
        e
    }

    /// 410 Gone with reason Expired (a compacted resourceVersion or continue token).
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// A 504 Timeout with `message`, telling clients to retry after `retry_after_seconds`
    /// (`Retry-After`).
    pub fn timeout(message: impl Into<String>, retry_after_seconds: u32) -> Self {
        let mut e = Self::new(504, "Timeout", message);
        e.details = Some(Box::new(Details {
            retry_after_seconds: Some(retry_after_seconds),
            ..Details::default()
        }));
        e
    }

    /// 429 for a read the watch cache cannot serve before its first load, in kube-apiserver's
    /// words: clients retry after the second it names.
    pub fn initializing() -> Self {
        let mut e = Self::new(429, "TooManyRequests", "storage is (re)initializing");
        e.details = Some(Box::new(Details {
            retry_after_seconds: Some(1),
            ..Details::default()
        }));
        e
    }

    /// 504 for a request not answered within `--request-timeout`, in kube-apiserver's words.
    pub fn request_timeout() -> Self {
        let mut e = Self::new(
            504,
            "Timeout",
            "Timeout: request did not complete within requested timeout - context deadline exceeded",
        );
        e.details = Some(Box::default());
        e
    }

    /// 504 for a resourceVersion not written yet, as kube-apiserver's watch cache answers it
    /// once it has waited for it: clients retry after the second it names.
    pub fn too_large_resource_version(requested: u64, current: u64) -> Self {
        let mut e = Self::timeout(
            format!("Timeout: Too large resource version: {requested}, current: {current}"),
            1,
        );
        if let Some(details) = e.details.as_mut() {
            details.causes = vec![Cause {
                reason: "ResourceVersionTooLarge".into(),
                message: "Too large resource version".into(),
                field: String::new(),
            }];
        }
        e
    }

    /// A 403 Forbidden, with the authorizer's `message` and the object it is about in `details`.
    pub fn forbidden(message: String, details: Details) -> Self {
        let mut e = Self::new(403, "Forbidden", message);
        e.details = Some(Box::new(details));
        e
    }

    /// The 404 of a namespace the cluster does not have: `namespaces "<name>" not found`.
    pub fn namespace_not_found(name: &str) -> Self {
        let mut e = Self::new(404, "NotFound", format!("namespaces \"{name}\" not found"));
        e.details = Some(Box::new(Details {
            name: name.into(),
            kind: "namespaces".into(),
            ..Details::default()
        }));
        e
    }

    /// The 403 Forbidden of a write refused for `why` (by admission, say), as apimachinery's
    /// `NewForbidden`: `<plural>.<group> "<name>" is forbidden: <why>`.
    pub fn forbidden_object(info: &ResourceInfo, name: &str, why: &str) -> Self {
        let message = format!("{} \"{name}\" is forbidden: {why}", qualified(info));
        Self::new(403, "Forbidden", message).about(info, name)
    }

    /// The 401 Unauthorized kube-apiserver answers for a request it could not authenticate.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// A 500 InternalError (`Internal error occurred: ...`), with `message` as its one cause.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {message}"),
        );
        e.details = Some(Box::new(Details {
            causes: vec![Cause {
                reason: String::new(),
                message: message.to_string(),
                field: String::new(),
            }],
            ..Details::default()
        }));
        e
    }

    /// The `Status` object, as sent in bodies and in watch ERROR events.
    pub fn to_status(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct Status<'a> {
            kind: &'static str,
            #[serde(rename = "apiVersion")]
            api_version: &'static str,
            metadata: serde_json::Map<String, serde_json::Value>,
            status: &'static str,
            message: &'a str,
            reason: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            details: &'a Option<Box<Details>>,
            code: u16,
        }
        serde_json::to_value(Status {
            kind: "Status",
            api_version: "v1",
            metadata: Default::default(),
            status: "Failure",
            message: &self.message,
            reason: self.reason,
            details: &self.details,
            code: self.code,
        })
        .unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.to_status()).unwrap_or_default();
        let mut response =
            (code, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        if let Some(seconds) = self.details.as_ref().and_then(|d| d.retry_after_seconds) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FOO;

    #[test]
    fn messages_read_like_kube_apiserver() {
        assert_eq!(
            ApiError::not_found(&FOO, "x").message,
            r#"foos.demo.jeremyxu2010.me "x" not found"#
        );
        let invalid = ApiError::invalid(&FOO, "x", &[FieldError::too_long("spec.greeting", 256)]);
        assert_eq!(
            invalid.message,
            r#"Foo.demo.jeremyxu2010.me "x" is invalid: spec.greeting: Too long: may not be longer than 256"#
        );
        let status = invalid.to_status();
        assert_eq!(status["details"]["kind"], "Foo");
        assert_eq!(status["details"]["causes"][0]["field"], "spec.greeting");
        assert_eq!(status["code"], 422);
    }

    #[test]
    fn long_error_lists_are_cut() {
        let label = |i: usize| FieldError::invalid("metadata.labels", &format!("-{i}"), "bad");
        let errors: Vec<FieldError> = (0..100_000).map(label).collect();
        let invalid = ApiError::invalid(&FOO, "x", &errors);
        let causes = &invalid.details.as_ref().unwrap().causes;
        assert_eq!(causes.len(), MAX_LISTED_ERRORS + 1);
        assert_eq!(
            causes[MAX_LISTED_ERRORS],
            Cause::summary("and 99900 more errors".into())
        );
        assert!(
            invalid
                .message
                .ends_with(r#"metadata.labels: Invalid value: "-99": bad, and 99900 more errors]"#)
        );
        assert!(invalid.message.len() < 10_000);
        // The message names an error once however often it occurs; the causes keep each.
        let twice = ApiError::invalid(&FOO, "x", &[label(1), label(1)]);
        assert_eq!(
            twice.message,
            r#"Foo.demo.jeremyxu2010.me "x" is invalid: metadata.labels: Invalid value: "-1": bad"#
        );
        assert_eq!(twice.details.unwrap().causes.len(), 2);
    }
}
