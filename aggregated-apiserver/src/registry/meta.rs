//! ObjectMeta rules shared by every kind: the system fields the server owns, and the
//! validation of names, labels, annotations and finalizers (apimachinery's ValidateObjectMeta).

use std::collections::HashSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use k8s_openapi::jiff::Timestamp;

use crate::status::{ApiError, FieldError};
use crate::validation::{dns1123_label_errors, label_key_errors, label_value_errors};

const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// The current time at the precision of `metav1.Time` (seconds).
pub fn now() -> Time {
    let now = Timestamp::now();
    Time(Timestamp::from_second(now.as_second()).unwrap_or(now))
}

/// Sets what the server owns on a new object: uid, creation time, generation, the namespace
/// of the request (see [`check_namespace`]); drops what a client may not set (deletion
/// fields, selfLink).
pub fn fill_for_create(meta: &mut ObjectMeta, namespace: Option<&str>) -> Result<(), ApiError> {
    check_namespace(meta, namespace)?;
    if meta.name.as_deref().is_none_or(str::is_empty)
        && let Some(prefix) = meta.generate_name.as_deref().filter(|p| !p.is_empty())
    {
        meta.name = Some(format!("{prefix}{}", random_suffix()));
    }
    meta.uid = Some(uuid::Uuid::new_v4().to_string());
    meta.creation_timestamp = Some(now());
    meta.generation = Some(1);
    meta.deletion_timestamp = None;
    meta.deletion_grace_period_seconds = None;
    meta.self_link = None;
    Ok(())
}

/// Puts an object written to `namespace` (a namespaced kind's request) there, refusing one
/// whose body names another, as kube-apiserver's `rest.BeforeCreate` and `BeforeUpdate`; a
/// cluster-scoped kind's objects have none.
pub fn check_namespace(meta: &mut ObjectMeta, namespace: Option<&str>) -> Result<(), ApiError> {
    let Some(namespace) = namespace else {
        meta.namespace = None;
        return Ok(());
    };
    if meta
        .namespace
        .as_deref()
        .is_some_and(|ns| !ns.is_empty() && ns != namespace)
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    meta.namespace = Some(namespace.to_owned());
    Ok(())
}

/// Keeps what an update may not change (rest.BeforeUpdate): generation, creation time, the
/// deletion fields once set, and the uid when the client left it out.
pub fn keep_for_update(meta: &mut ObjectMeta, old: &ObjectMeta) {
    meta.namespace = old.namespace.clone();
    meta.self_link = None;
    meta.generation = old.generation;
    meta.creation_timestamp = old.creation_timestamp.clone();
    if meta.uid.as_deref().is_none_or(str::is_empty) {
        meta.uid = old.uid.clone();
    }
    if old.deletion_timestamp.is_some() {
        meta.deletion_timestamp = old.deletion_timestamp.clone();
        meta.deletion_grace_period_seconds = old.deletion_grace_period_seconds;
    } else {
        meta.deletion_timestamp = None;
        meta.deletion_grace_period_seconds = None;
    }
}

/// Drops empty metadata lists and maps, which Go's `omitempty` never stores or sends.
pub fn drop_empty(meta: &mut ObjectMeta) {
    fn none_if_empty<T>(field: &mut Option<Vec<T>>) {
        if field.as_ref().is_some_and(Vec::is_empty) {
            *field = None;
        }
    }
    none_if_empty(&mut meta.finalizers);
    none_if_empty(&mut meta.owner_references);
    none_if_empty(&mut meta.managed_fields);
    if meta.labels.as_ref().is_some_and(|l| l.is_empty()) {
        meta.labels = None;
    }
    if meta.annotations.as_ref().is_some_and(|a| a.is_empty()) {
        meta.annotations = None;
    }
}

/// Five characters as `names.SimpleNameGenerator` draws them.
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    uuid::Uuid::new_v4().as_bytes()[..5]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

pub fn validate_create(
    meta: &ObjectMeta,
    name_errors: impl Fn(&str) -> Vec<String>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match meta.name.as_deref() {
        None | Some("") => errors.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        )),
        Some(name) => errors.extend(
            name_errors(name)
                .iter()
                .map(|e| FieldError::invalid("metadata.name", name, e)),
        ),
    }
    if let Some(namespace) = meta.namespace.as_deref() {
        errors.extend(
            dns1123_label_errors(namespace)
                .iter()
                .map(|e| FieldError::invalid("metadata.namespace", namespace, e)),
        );
    }
    errors.extend(validate_common(meta));
    errors
}

pub fn validate_update(meta: &ObjectMeta, old: &ObjectMeta) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if meta.uid != old.uid {
        let uid = meta.uid.as_deref().unwrap_or_default();
        errors.push(FieldError::invalid(
            "metadata.uid",
            uid,
            "field is immutable",
        ));
    }
    if meta.deletion_timestamp.is_some()
        && let Some(added) = new_finalizers(meta, old)
    {
        errors.push(FieldError::forbidden(
            "metadata.finalizers",
            &format!(
                "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{added}}}"
            ),
        ));
    }
    errors.extend(validate_common(meta));
    errors
}

/// The finalizers `meta` has that `old` had not, rendered as Go's `%q` list, if any.
fn new_finalizers(meta: &ObjectMeta, old: &ObjectMeta) -> Option<String> {
    let old: HashSet<&String> = old.finalizers.iter().flatten().collect();
    let added: Vec<String> = meta
        .finalizers
        .iter()
        .flatten()
        .filter(|f| !old.contains(f))
        .map(|f| format!("{f:?}"))
        .collect();
    (!added.is_empty()).then(|| added.join(", "))
}

fn validate_common(meta: &ObjectMeta) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (key, value) in meta.labels.iter().flatten() {
        errors.extend(
            label_key_errors(key)
                .iter()
                .map(|e| FieldError::invalid("metadata.labels", key, e)),
        );
        errors.extend(
            label_value_errors(value)
                .iter()
                .map(|e| FieldError::invalid("metadata.labels", value, e)),
        );
    }
    let mut annotation_bytes = 0;
    for (key, value) in meta.annotations.iter().flatten() {
        annotation_bytes += key.len() + value.len();
        errors.extend(
            label_key_errors(&key.to_ascii_lowercase())
                .iter()
                .map(|e| FieldError::invalid("metadata.annotations", key, e)),
        );
    }
    if annotation_bytes > TOTAL_ANNOTATION_SIZE_LIMIT {
        errors.push(FieldError::too_long(
            "metadata.annotations",
            TOTAL_ANNOTATION_SIZE_LIMIT,
        ));
    }
    let mut controller: Option<String> = None;
    for owner in meta.owner_references.iter().flatten() {
        if owner.controller == Some(true) {
            let this = format!("{}/{}", owner.kind, owner.name);
            match &controller {
                Some(first) => errors.push(FieldError::invalid_raw(
                    "metadata.ownerReferences",
                    &go_owner_references(meta.owner_references.as_deref().unwrap_or_default()),
                    &format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"
                    ),
                )),
                None => controller = Some(this),
            }
        }
        // The version of `group/version` or of a legacy `version`.
        let version = match owner.api_version.split('/').collect::<Vec<_>>().as_slice() {
            [version] | [_, version] => *version,
            _ => "",
        };
        let required = [
            ("apiVersion", version, owner.api_version.as_str(), "version"),
            ("kind", owner.kind.as_str(), owner.kind.as_str(), "kind"),
            ("name", owner.name.as_str(), owner.name.as_str(), "name"),
            ("uid", owner.uid.as_str(), owner.uid.as_str(), "uid"),
        ];
        for (field, part, value, what) in required {
            if part.is_empty() {
                errors.push(FieldError::invalid(
                    &format!("metadata.ownerReferences.{field}"),
                    value,
                    &format!("{what} must not be empty"),
                ));
            }
        }
    }
    for (i, finalizer) in meta.finalizers.iter().flatten().enumerate() {
        let field = format!("metadata.finalizers[{i}]");
        errors.extend(
            label_key_errors(finalizer)
                .iter()
                .map(|e| FieldError::invalid(&field, finalizer, e)),
        );
    }
    errors
}

/// The references as Go's `%#v` shows them in kube's message, with the booleans its pointers
/// point to in place of their addresses.
fn go_owner_references(references: &[OwnerReference]) -> String {
    let flag = |b: Option<bool>| b.map_or("(*bool)(nil)".to_owned(), |b| format!("(*bool)({b})"));
    let items: Vec<String> = references
        .iter()
        .map(|r| {
            format!(
                "v1.OwnerReference{{APIVersion:{:?}, Kind:{:?}, Name:{:?}, UID:{:?}, Controller:{}, BlockOwnerDeletion:{}}}",
                r.api_version,
                r.kind,
                r.name,
                r.uid,
                flag(r.controller),
                flag(r.block_owner_deletion)
            )
        })
        .collect();
    format!("[]v1.OwnerReference{{{}}}", items.join(", "))
}
