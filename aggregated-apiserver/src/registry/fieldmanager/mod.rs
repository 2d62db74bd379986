//! Server-side apply and `metadata.managedFields`, computed as kube-apiserver's field manager
//! does (k8s.io/apimachinery `pkg/util/managedfields/internal` over structured-merge-diff),
//! as pure functions over JSON objects, guided by the kind's [`ListTypes`].
//!
//! Left out: rewriting the last-applied-configuration annotation, and conversion of entries
//! between API versions (each version keeps its own).

mod entries;
mod fieldset;
mod object;
#[cfg(test)]
mod tests;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use self::entries::{Managed, ManagerId, Operation, Owner};
use self::fieldset::{Element, FieldSet, path_text};
use self::object::{Comparison, Schema};
use crate::resource::ListTypes;
use crate::status::{self, ApiError, Cause, Details};
use crate::validation::go_quote;

/// The longest field manager name, in bytes (`FieldManagerMaxLength`).
const MAX_MANAGER_LENGTH: usize = 128;
/// Who owns what an object held before its first apply.
const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// Paths never recorded: type and object metadata the server owns (MF stripmeta.go).
const NEVER_RECORDED: &[&[&str]] = &[
    &["apiVersion"],
    &["kind"],
    &["metadata"],
    &["metadata", "name"],
    &["metadata", "namespace"],
    &["metadata", "creationTimestamp"],
    &["metadata", "selfLink"],
    &["metadata", "uid"],
    &["metadata", "clusterName"],
    &["metadata", "generation"],
    &["metadata", "managedFields"],
    &["metadata", "resourceVersion"],
];

/// Who writes: the field manager and the subresource written through (None or Some("status")).
pub struct Writer<'a> {
    /// The field manager's name, as recorded in `managedFields`.
    pub manager: &'a str,
    /// The subresource written through: `None` for the main resource, or `Some("status")`.
    pub subresource: Option<&'a str>,
    /// The API version written in (`<group>/<version>`), recorded in the entry.
    pub api_version: &'a str,
    /// RFC 3339, e.g. "2026-11-25T10:00:00Z".
    pub time: &'a str,
}

/// The field manager of a non-apply write without `fieldManager`: the User-Agent up to its
/// first `/`, without non-printable characters, cut to 128 bytes (AS create.go
/// `prefixFromUserAgent`). May be empty; an empty manager is recorded as `unknown`.
pub fn manager_from_user_agent(user_agent: Option<&str>) -> String {
    let prefix = user_agent
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    let mut manager = String::new();
    for c in prefix.chars().filter(|c| is_printable(*c)) {
        if manager.len() + c.len_utf8() > MAX_MANAGER_LENGTH {
            break;
        }
        manager.push(c);
    }
    manager
}

/// Go's `unicode.IsPrint`: `go_quote` escapes exactly the other characters (and `"`, `\`).
fn is_printable(c: char) -> bool {
    matches!(c, '"' | '\\') || go_quote(c.encode_utf8(&mut [0; 4])) == format!("\"{c}\"")
}

/// An Update operation (create, PUT, any non-apply PATCH) by `writer` turned `live` (None on
/// create) into `new`: sets `new.metadata.managedFields` (PATCH.md A2 "Update", A3).
///
/// A create is compared from `empty`, what the kind's type holds when nothing is set: as
/// kube-apiserver compares from the Go type's zero value, whose struct fields (an always
/// present `spec: {}`) are not the creator's, while what it adds inside them is.
///
/// The managedFields the client sent are used as given, `[]` or `[{}]` reset them, and
/// undecodable or absent ones (always, through a subresource) give way to live's. What
/// changed moves to the writer's entry, whose time is bumped when it gains or changes
/// fields; an object stored without managedFields stays so; at most 10 Update entries stay,
/// the oldest merged into `ancient-changes`. Fails only on a `writer.time` that is not RFC 3339.
pub fn record_update(
    lists: &ListTypes,
    live: Option<&Value>,
    empty: &Value,
    new: &mut Value,
    writer: &Writer,
) -> Result<(), ApiError> {
    let write = Write::new(lists, writer)?;
    let live_managed = || {
        live.and_then(managed_fields)
            .and_then(|entries| entries::decode(entries).ok())
            .unwrap_or_default()
    };
    let mut managed = match managed_fields(new) {
        _ if writer.subresource.is_some() => live_managed(),
        Some(sent) if is_reset(sent) => Managed::new(),
        Some(sent) => entries::decode(sent)
            .ok()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(live_managed),
        None => live_managed(),
    };
    let old = live.map_or_else(|| empty.clone(), without_managed_fields);
    *new = without_managed_fields(new);

    let schema = &write.schema;
    if !schema.list_errors(&old, true).is_empty() || !schema.list_errors(new, true).is_empty() {
        // Objects the field manager cannot type keep the live entries (UpdateNoErrors).
        let live_entries = live.and_then(managed_fields).cloned();
        set_managed_fields(new, live_entries.unwrap_or_else(|| json!([])));
        return Ok(());
    }
    // An object stored without managedFields is tracked again only by an apply (MF
    // skipnonapplied.go); a new one always is.
    if live.is_none() || !managed.is_empty() {
        write.record(writer.manager, &old, new, &mut managed);
    }
    set_managed_fields(new, entries::encode(&managed));
    if let Some(live) = live {
        keep_live_times(live, new);
    }
    Ok(())
}

/// Server-side apply of `config` by `writer` on `live` (None when the object does not exist
/// yet): returns the merged object with `metadata.managedFields` updated (PATCH.md A2
/// "Apply"), or the 409 of A4 on conflicts unless `force`.
///
/// `config` is already decoded and checked for kind, apiVersion, name and unknown fields.
/// Through `/status` only its `status` counts, otherwise its `status` is ignored.
pub fn apply(
    lists: &ListTypes,
    live: Option<&Value>,
    config: &Value,
    writer: &Writer,
    force: bool,
) -> Result<Value, ApiError> {
    if config
        .pointer("/metadata/managedFields")
        .is_some_and(|v| !v.is_null())
    {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    let write = Write::new(lists, writer)?;
    let schema = &write.schema;
    let errors = schema.list_errors(config, false);
    if !errors.is_empty() {
        return Err(ApiError::bad_request(format!(
            "failed to create typed patch object ({}): {}",
            describe_object(config),
            join_errors(&errors)
        )));
    }
    let old = live.map_or_else(|| json!({}), without_managed_fields);
    let errors = schema.list_errors(&old, true);
    if !errors.is_empty() {
        return Err(ApiError::internal(format!(
            "failed to create typed live object ({}): {}",
            describe_object(&old),
            join_errors(&errors)
        )));
    }
    let mut managed = match live.and_then(managed_fields) {
        Some(entries) => entries::decode(entries)
            .map_err(|e| ApiError::internal(format!("failed to decode managed fields: {e}")))?,
        None => Managed::new(),
    };
    if managed.is_empty() {
        // What the object holds before its first apply belongs to `before-first-apply`.
        write.record(BEFORE_FIRST_APPLY, &json!({}), &old, &mut managed);
    }

    // The applier's set is replaced by what it applies now.
    let config = applied_part(config, writer);
    let id = ManagerId::of(writer, writer.manager, Operation::Apply);
    let last = managed.remove(&id);
    let applied = Owner {
        set: schema.field_set(&config).recursive_difference(&write.reset),
        api_version: writer.api_version.to_string(),
        time: last.as_ref().and_then(|o| o.time),
    };
    managed.insert(id.clone(), applied);
    let merged = schema.merge(&old, &config);
    let new = prune(schema, merged, &managed, last.map(|o| o.set));

    let changes = write.changes(&old, &new);
    let conflicts = conflicts(&managed, &changes, &id);
    if !conflicts.is_empty() && !force {
        // kube-apiserver's lastAppliedManager: kubectl's server-side apply takes over, as if
        // forced, the fields its earlier client-side applies set (those of the last-applied
        // annotation), so that `kubectl apply --server-side` follows `kubectl apply`.
        let taken_over = match writer.manager {
            KUBECTL => last_applied(live).map(|applied| schema.field_set(&applied)),
            _ => None,
        };
        let remaining: Vec<(ManagerId, FieldSet)> = conflicts
            .into_iter()
            .map(|(manager, set)| match &taken_over {
                Some(applied) => (manager, set.difference(applied)),
                None => (manager, set),
            })
            .filter(|(_, set)| !set.is_empty())
            .collect();
        if !remaining.is_empty() {
            return Err(conflict_error(&remaining));
        }
    }
    release(&mut managed, &changes, Some(&id));
    if let Some(owner) = managed.get_mut(&id) {
        owner.set = owner.set.difference(&never_recorded());
    }
    managed.retain(|_, o| !o.set.is_empty());

    // The time moves only when the object changes; kube-apiserver then leaves a new
    // co-owner's entry without one (kubernetes/kubernetes#127938).
    let mut result = if new == old {
        old
    } else {
        if let Some(owner) = managed.get_mut(&id) {
            owner.time = Some(write.time);
        }
        new
    };
    set_managed_fields(&mut result, entries::encode(&managed));
    Ok(result)
}

// ---------------------------------------------------------------------------------------
// The steps of an update and an apply.

/// One write: the kind's lists, who writes, the fields its endpoint resets, and when.
struct Write<'a> {
    schema: Schema<'a>,
    writer: &'a Writer<'a>,
    reset: FieldSet,
    time: Timestamp,
}

impl<'a> Write<'a> {
    fn new(lists: &'a ListTypes, writer: &'a Writer<'a>) -> Result<Self, ApiError> {
        // The endpoints' reset fields (AX strategy.go, status_strategy.go).
        let reset = FieldSet::of_fields(if is_status(writer) {
            &["spec"]
        } else {
            &["status"]
        });
        Ok(Write {
            schema: Schema(lists),
            writer,
            reset,
            time: entries::parse_time(writer.time)?,
        })
    }

    /// What changed from `old` to `new`, outside the reset fields.
    fn changes(&self, old: &Value, new: &Value) -> Comparison {
        let all = self.schema.compare(old, new);
        Comparison {
            removed: all.removed.recursive_difference(&self.reset),
            modified: all.modified.recursive_difference(&self.reset),
            added: all.added.recursive_difference(&self.reset),
        }
    }

    /// Records an Update by `manager` (MF capmanagers.go, managedfieldsupdater.go,
    /// stripmeta.go, SMD `Updater.Update`): what changed leaves every entry, the writer's
    /// own included, then what was modified or added joins the writer's entry, whose time
    /// moves; the oldest Update entries beyond the cap are merged.
    fn record(&self, manager: &str, old: &Value, new: &Value, managed: &mut Managed) {
        let changes = self.changes(old, new);
        release(managed, &changes, None);
        let gained = changes
            .modified
            .union(&changes.added)
            .difference(&never_recorded());
        if !gained.is_empty() {
            let id = ManagerId::of(self.writer, manager, Operation::Update);
            let previous = managed.remove(&id).map(|o| o.set).unwrap_or_default();
            let owner = Owner {
                set: gained.union(&previous),
                api_version: self.writer.api_version.to_string(),
                time: Some(self.time),
            };
            managed.insert(id, owner);
        }
        entries::cap_updaters(managed);
    }
}

/// Per other entry, the fields it owns that the apply modifies or adds.
fn conflicts(
    managed: &Managed,
    changes: &Comparison,
    applier: &ManagerId,
) -> Vec<(ManagerId, FieldSet)> {
    let touched = changes.modified.union(&changes.added);
    managed
        .iter()
        .filter(|(id, _)| *id != applier)
        .map(|(id, owner)| (id.clone(), owner.set.intersection(&touched)))
        .filter(|(_, set)| !set.is_empty())
        .collect()
}

/// Entries other than `applier` lose the fields that changed or went away; emptied entries
/// go (SMD `Updater.update`, forced).
fn release(managed: &mut Managed, changes: &Comparison, applier: Option<&ManagerId>) {
    let gone = changes
        .modified
        .union(&changes.added)
        .union(&changes.removed);
    for (id, owner) in managed.iter_mut() {
        if Some(id) != applier {
            owner.set = owner.set.difference(&gone);
        }
    }
    managed.retain(|_, o| !o.set.is_empty());
}

/// Removes from `merged` what the applier owned last time, no longer applies, and nobody
/// else owns (SMD `Updater.prune`, `addBackOwnedItems`, `addBackDanglingItems`).
fn prune(schema: &Schema, merged: Value, managed: &Managed, last: Option<FieldSet>) -> Value {
    let Some(last) = last.filter(|s| !s.is_empty()) else {
        return merged;
    };
    let last = last.with_named_fields();
    let fields_of = |object: &Value| schema.field_set(object).with_named_fields();
    let owned = managed
        .values()
        .fold(FieldSet::default(), |all, o| all.union(&o.set))
        .with_named_fields();
    let all = fields_of(&merged);
    // Drop everything the applier owned last time, then take back what someone owns...
    let pruned = schema.remove_keeping_fields(&merged, &last);
    let unowned = all.difference(&fields_of(&pruned).union(&owned));
    let pruned = schema.remove_keeping_fields(&merged, &unowned);
    // ... and what went but was never the applier's: fields nobody owns stay.
    let gone = all.difference(&fields_of(&pruned)).intersection(&last);
    schema.remove(&merged, &gone)
}

/// The field manager `kubectl apply --server-side` applies as by default.
const KUBECTL: &str = "kubectl";

/// The configuration `kubectl apply` (client-side) last applied to `live`, from its
/// annotation.
fn last_applied(live: Option<&Value>) -> Option<Value> {
    let annotation = live?
        .pointer("/metadata/annotations")?
        .get("kubectl.kubernetes.io/last-applied-configuration")?
        .as_str()?;
    serde_json::from_str(annotation).ok()
}

/// The 409 of an apply with conflicts (MF conflict.go, AM errors.go `NewApplyConflict`), the
/// conflicts listed up to [`status::MAX_LISTED_ERRORS`].
fn conflict_error(conflicts: &[(ManagerId, FieldSet)]) -> ApiError {
    let all: Vec<(String, String)> = conflicts
        .iter()
        .flat_map(|(id, set)| {
            let who = id.describe();
            set.paths()
                .into_iter()
                .map(move |p| (who.clone(), path_text(&p)))
        })
        .collect();
    let (shown, more) = status::listed(&all, "conflict");
    let message = match all.as_slice() {
        [(who, path)] => format!("Apply failed with 1 conflict: conflict with {who}: {path}"),
        _ => {
            let mut lines = Vec::new();
            let mut manager = None;
            for (who, path) in shown {
                if manager != Some(who) {
                    lines.push(format!("conflicts with {who}:"));
                    manager = Some(who);
                }
                lines.push(format!("- {path}"));
            }
            lines.extend(more.clone());
            format!(
                "Apply failed with {} conflicts: {}",
                all.len(),
                lines.join("\n")
            )
        }
    };
    let causes = shown
        .iter()
        .map(|(who, field)| Cause {
            reason: "FieldManagerConflict".into(),
            message: format!("conflict with {who}"),
            field: field.clone(),
        })
        .chain(more.map(Cause::summary))
        .collect();
    ApiError {
        code: 409,
        reason: "Conflict",
        message,
        details: Some(Box::new(Details {
            causes,
            ..Details::default()
        })),
    }
}

// ---------------------------------------------------------------------------------------
// Endpoint rules and small helpers.

fn is_status(writer: &Writer) -> bool {
    writer.subresource == Some("status")
}

/// The part of an applied configuration the endpoint takes: `/status` takes only status,
/// the main resource everything else.
fn applied_part(config: &Value, writer: &Writer) -> Value {
    let mut config = config.clone();
    if let Some(fields) = config.as_object_mut() {
        if is_status(writer) {
            fields.retain(|k, _| k == "status");
        } else {
            fields.shift_remove("status");
        }
    }
    config
}

fn never_recorded() -> FieldSet {
    let mut set = FieldSet::default();
    for path in NEVER_RECORDED {
        let path: Vec<Element> = path.iter().map(|f| Element::Field(f.to_string())).collect();
        set.insert(&path);
    }
    set
}

/// `(namespace/name; group/version, Kind=Kind)`, how the field manager names an object.
fn describe_object(object: &Value) -> String {
    let text = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    format!(
        "{}/{}; {}, Kind={}",
        text("/metadata/namespace"),
        text("/metadata/name"),
        text("/apiVersion"),
        text("/kind")
    )
}

/// SMD's text for a list of validation errors, listed up to [`status::MAX_LISTED_ERRORS`].
fn join_errors(errors: &[String]) -> String {
    let (shown, more) = status::listed(errors, "error");
    match (shown, more) {
        ([one], None) => one.clone(),
        (shown, more) => {
            let lines: Vec<&str> = shown
                .iter()
                .map(String::as_str)
                .chain(more.as_deref())
                .collect();
            format!("errors:\n  {}", lines.join("\n  "))
        }
    }
}

fn managed_fields(object: &Value) -> Option<&Value> {
    object
        .pointer("/metadata/managedFields")
        .filter(|v| !v.is_null())
}

fn without_managed_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.shift_remove("managedFields");
    }
    object
}

/// Sets the entries, or removes the field when there are none (kube-apiserver omits it).
fn set_managed_fields(object: &mut Value, entries: Value) {
    if entries.as_array().is_some_and(Vec::is_empty) {
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.shift_remove("managedFields");
        }
    } else if let Some(fields) = object.as_object_mut() {
        fields.entry("metadata").or_insert_with(|| json!({}))["managedFields"] = entries;
    }
}

/// `[]` and `[{}]` reset managedFields (MF fieldmanager.go `isResetManagedFields`).
fn is_reset(sent: &Value) -> bool {
    match sent.as_array().map(Vec::as_slice) {
        Some([]) => true,
        Some([Value::Object(entry)]) => entry.values().all(|v| v.is_null() || *v == ""),
        _ => false,
    }
}

/// kube-apiserver undoes managedFields changes that only move timestamps of an otherwise
/// unchanged object (AS handlers/fieldmanager/equality.go).
fn keep_live_times(live: &Value, new: &mut Value) {
    fn untimed(object: &Value) -> Option<Value> {
        let mut entries = managed_fields(object)?.clone();
        for entry in entries.as_array_mut()? {
            entry.as_object_mut()?.shift_remove("time");
        }
        Some(entries)
    }
    let Some(entries) = untimed(live) else {
        return;
    };
    if untimed(new) == Some(entries) && without_managed_fields(live) == without_managed_fields(new)
    {
        let live_entries = managed_fields(live).cloned().unwrap_or_default();
        set_managed_fields(new, live_entries);
    }
}
