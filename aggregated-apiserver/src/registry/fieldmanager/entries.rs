//! `metadata.managedFields` entries: their identity, decoding, encoding in kube's order, and
//! the cap on Update entries (k8s.io/apimachinery `pkg/util/managedfields/internal`).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value};

use super::Writer;
use super::fieldset::FieldSet;
use crate::status::ApiError;
use crate::validation::go_quote;

/// kube-apiserver keeps at most this many Update entries (`DefaultMaxUpdateManagers`).
const MAX_UPDATE_MANAGERS: usize = 10;
/// Where the oldest Update entries beyond the cap are merged.
const ANCIENT_CHANGES: &str = "ancient-changes";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// What tells entries apart (MF managedfields.go `BuildManagerIdentifier`): the entry without
/// time and fields, and for Apply without apiVersion. Ordered as its JSON form sorts, which
/// is how conflict messages order managers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagerId {
    manager: String,
    operation: Operation,
    /// Empty for Apply.
    api_version: String,
    subresource: String,
}

impl ManagerId {
    fn new(manager: &str, operation: Operation, api_version: &str, subresource: &str) -> Self {
        let api_version = match operation {
            Operation::Apply => "",
            Operation::Update => api_version,
        };
        ManagerId {
            manager: manager.to_string(),
            operation,
            api_version: api_version.to_string(),
            subresource: subresource.to_string(),
        }
    }

    /// The entry `manager` writes through `writer`'s endpoint; an unnamed manager is
    /// `unknown` (MF buildmanagerinfo.go).
    pub fn of(writer: &Writer, manager: &str, operation: Operation) -> Self {
        let manager = if manager.is_empty() {
            "unknown"
        } else {
            manager
        };
        let subresource = writer.subresource.unwrap_or_default();
        ManagerId::new(manager, operation, writer.api_version, subresource)
    }

    fn identity(&self) -> String {
        let mut entry = Map::new();
        for (key, value) in [
            ("manager", self.manager.as_str()),
            ("operation", self.operation.as_str()),
            ("apiVersion", &self.api_version),
            ("subresource", &self.subresource),
        ] {
            if !value.is_empty() {
                entry.insert(key.into(), value.into());
            }
        }
        Value::Object(entry).to_string()
    }

    /// How conflicts name the manager: `"kubectl-edit" using demo.jeremyxu2010.me/v1beta1`
    /// (MF conflict.go `printManager`).
    pub fn describe(&self) -> String {
        let mut text = go_quote(&self.manager);
        if !self.subresource.is_empty() {
            text += &format!(" with subresource {}", go_quote(&self.subresource));
        }
        if self.operation == Operation::Update {
            text += &format!(" using {}", self.api_version);
        }
        text
    }
}

impl Ord for ManagerId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.identity().cmp(&other.identity())
    }
}

impl PartialOrd for ManagerId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What an entry holds besides its identity.
#[derive(Clone, Debug)]
pub struct Owner {
    pub set: FieldSet,
    pub api_version: String,
    pub time: Option<Timestamp>,
}

/// The entries of an object, by identity.
pub type Managed = BTreeMap<ManagerId, Owner>;

/// Reads managedFields entries (MF managedfields.go `DecodeManagedFields`); a later entry
/// with the identity of an earlier one replaces it.
pub fn decode(entries: &Value) -> Result<Managed, String> {
    let entries = entries.as_array().ok_or("managedFields must be a list")?;
    let mut managed = Managed::new();
    for (i, entry) in entries.iter().enumerate() {
        let text = |key: &str| match entry.get(key) {
            None | Some(Value::Null) => Ok(""),
            Some(Value::String(s)) => Ok(s.as_str()),
            Some(_) => Err(format!(
                "{key} of managed fields entry {i} must be a string"
            )),
        };
        let operation = match text("operation")? {
            "Apply" => Operation::Apply,
            "Update" => Operation::Update,
            _ => return Err("operation must be `Apply` or `Update`".into()),
        };
        let api_version = text("apiVersion")?;
        if api_version.is_empty() {
            return Err("apiVersion must not be empty".into());
        }
        match text("fieldsType")? {
            "FieldsV1" => {}
            "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
            other => {
                return Err(format!(
                    "invalid fieldsType {other:?} in managed fields entry {i}"
                ));
            }
        }
        let time = match text("time")? {
            "" => None,
            time => Some(parse_time(time).map_err(|e| e.message)?),
        };
        let set = match entry.get("fieldsV1") {
            None | Some(Value::Null) => FieldSet::default(),
            Some(fields) => FieldSet::from_fields_v1(fields)
                .map_err(|e| format!("error decoding set of managed fields entry {i}: {e}"))?,
        };
        let id = ManagerId::new(
            text("manager")?,
            operation,
            api_version,
            text("subresource")?,
        );
        let api_version = api_version.to_string();
        managed.insert(
            id,
            Owner {
                set,
                api_version,
                time,
            },
        );
    }
    Ok(managed)
}

/// The entries as JSON, in kube's order: operation, time, manager, apiVersion, subresource.
pub fn encode(managed: &Managed) -> Value {
    fn order<'e>(
        (id, owner): &(&'e ManagerId, &'e Owner),
    ) -> (Operation, i64, &'e str, &'e str, &'e str) {
        (
            id.operation,
            seconds(owner.time),
            &id.manager,
            &owner.api_version,
            &id.subresource,
        )
    }
    let mut entries: Vec<(&ManagerId, &Owner)> = managed.iter().collect();
    entries.sort_by(|a, b| order(a).cmp(&order(b)));
    let entries = entries.into_iter().map(|(id, owner)| {
        let mut entry = Map::new();
        if !id.manager.is_empty() {
            entry.insert("manager".into(), id.manager.clone().into());
        }
        entry.insert("operation".into(), id.operation.as_str().into());
        if !owner.api_version.is_empty() {
            entry.insert("apiVersion".into(), owner.api_version.clone().into());
        }
        if let Some(time) = owner.time {
            entry.insert("time".into(), time.to_string().into());
        }
        entry.insert("fieldsType".into(), "FieldsV1".into());
        entry.insert("fieldsV1".into(), owner.set.to_fields_v1());
        if !id.subresource.is_empty() {
            entry.insert("subresource".into(), id.subresource.clone().into());
        }
        Value::Object(entry)
    });
    Value::Array(entries.collect())
}

/// Merges the oldest Update entries beyond the cap into `ancient-changes`, per apiVersion;
/// it takes the time of the last one merged (MF capmanagers.go, step by step).
pub fn cap_updaters(managed: &mut Managed) {
    let mut updaters: Vec<ManagerId> = managed
        .keys()
        .filter(|id| id.operation == Operation::Update)
        .cloned()
        .collect();
    let mut count = updaters.len();
    if count <= MAX_UPDATE_MANAGERS {
        return;
    }
    updaters.sort_by_cached_key(|id| (seconds(managed[id].time), id.identity()));
    // The oldest entry of each version, which becomes the bucket when a second one comes.
    let mut first_of_version: BTreeMap<String, ManagerId> = BTreeMap::new();
    for id in updaters {
        if count <= MAX_UPDATE_MANAGERS {
            break;
        }
        let Some(owner) = managed.get(&id).cloned() else {
            continue;
        };
        let Some(first) = first_of_version.get(&owner.api_version) else {
            first_of_version.insert(owner.api_version.clone(), id);
            continue;
        };
        let bucket = ManagerId::new(ANCIENT_CHANGES, Operation::Update, &owner.api_version, "");
        if !managed.contains_key(&bucket)
            && let Some(moved) = managed.remove(first)
        {
            managed.insert(bucket.clone(), moved);
        }
        let bucket_set = managed
            .get(&bucket)
            .map(|b| b.set.clone())
            .unwrap_or_default();
        let merged = Owner {
            set: owner.set.union(&bucket_set),
            api_version: owner.api_version,
            time: owner.time,
        };
        managed.insert(bucket, merged);
        // Literally so: were `id` the bucket itself, it would go (as in kube-apiserver).
        managed.remove(&id);
        count -= 1;
    }
}

/// An RFC 3339 time, at the precision of `metav1.Time` (seconds).
pub fn parse_time(time: &str) -> Result<Timestamp, ApiError> {
    let parsed: Timestamp = time
        .parse()
        .map_err(|e| ApiError::internal(format!("invalid managedFields time {time:?}: {e}")))?;
    Ok(Timestamp::from_second(parsed.as_second()).unwrap_or(parsed))
}

fn seconds(time: Option<Timestamp>) -> i64 {
    time.map_or(0, |t| t.as_second())
}
