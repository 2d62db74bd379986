//! Walks over JSON objects guided by how their lists merge (structured-merge-diff's `typed`):
//! the fields an applied configuration sets, the comparison of two objects, the merge of a
//! configuration into an object, and the removal of fields.
//!
//! Every JSON object is treated as a struct: Foo's only free-form maps (labels, annotations)
//! hold strings, where structs and maps behave alike.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::fieldset::{Element, FieldSet};
use crate::resource::{ListType, ListTypes};

/// The fields two objects differ in.
#[derive(Debug, Default)]
pub struct Comparison {
    pub removed: FieldSet,
    pub modified: FieldSet,
    pub added: FieldSet,
}

/// A kind's list types, which is all the schema merging needs.
pub struct Schema<'a>(pub &'a ListTypes);

/// The dotted path (`status.conditions`) of a field; list items keep their list's path.
fn join(dotted: &str, key: &str) -> String {
    if dotted.is_empty() {
        key.to_string()
    } else {
        format!("{dotted}.{key}")
    }
}

impl Schema<'_> {
    fn list_type(&self, dotted: &str) -> &ListType {
        self.0.list_type(dotted)
    }

    /// The path element of a list item, or why it has none (SMD `listItemToPathElement`).
    fn item_element(&self, dotted: &str, item: &Value) -> Result<Element, String> {
        match (self.list_type(dotted), item) {
            (ListType::Map(_), Value::Null) => {
                Err("associative list with keys may not have a null element".into())
            }
            (ListType::Map(keys), Value::Object(map)) => {
                let mut fields: Vec<(String, Value)> = keys
                    .iter()
                    .filter_map(|k| map.get(*k).map(|v| (k.to_string(), v.clone())))
                    .collect();
                if fields.is_empty() {
                    let quoted: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
                    return Err(format!(
                        "associative list with keys has an element that omits all key fields [{}] (and doesn't have default values for any key fields)",
                        quoted.join(" ")
                    ));
                }
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(Element::Key(fields))
            }
            (ListType::Map(_), _) => {
                Err("associative list with keys may not have non-map elements".into())
            }
            (_, Value::Object(_)) => {
                Err("associative list without keys has an element that's a map type".into())
            }
            (_, Value::Array(_)) => {
                Err("not supported: associative list with lists as elements".into())
            }
            (_, Value::Null) => {
                Err("associative list without keys has an element that's an explicit null".into())
            }
            (_, scalar) => Ok(Element::Value(scalar.clone())),
        }
    }

    /// The items of a granular list with their path elements; items without one are left
    /// out (objects holding them were refused before: see [`Schema::list_errors`]).
    fn items<'v>(&self, dotted: &str, items: &'v [Value]) -> Vec<(Element, &'v Value)> {
        items
            .iter()
            .filter_map(|item| Some((self.item_element(dotted, item).ok()?, item)))
            .collect()
    }

    /// The parts of a container that fields are tracked in, each with its element and dotted
    /// path; `None` for a leaf: a scalar, null or an atomic list.
    fn parts<'v>(
        &self,
        dotted: &str,
        value: &'v Value,
    ) -> Option<Vec<(Element, String, &'v Value)>> {
        match value {
            Value::Object(map) => Some(
                map.iter()
                    .map(|(k, v)| (Element::Field(k.clone()), join(dotted, k), v))
                    .collect(),
            ),
            Value::Array(items) if *self.list_type(dotted) != ListType::Atomic => Some(
                self.items(dotted, items)
                    .into_iter()
                    .map(|(e, v)| (e, dotted.to_string(), v))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// What SMD's typed conversion refuses in lists: items without a key or value, and
    /// duplicates unless allowed (they are in live objects). One message per error, with
    /// the list's path: `.status.conditions: element 0: …`.
    pub fn list_errors(&self, object: &Value, allow_duplicates: bool) -> Vec<String> {
        let mut errors = Vec::new();
        self.check("", "", object, allow_duplicates, &mut errors);
        errors
    }

    fn check(&self, text: &str, dotted: &str, value: &Value, dups: bool, errors: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    self.check(&format!("{text}.{k}"), &join(dotted, k), v, dups, errors);
                }
            }
            Value::Array(items) if *self.list_type(dotted) != ListType::Atomic => {
                let mut seen = BTreeSet::new();
                for (i, item) in items.iter().enumerate() {
                    match self.item_element(dotted, item) {
                        Err(why) => {
                            // SMD gives up on the rest of a list at its first bad item.
                            errors.push(format!("{text}: element {i}: {why}"));
                            return;
                        }
                        Ok(element) => {
                            if seen.contains(&element) && !dups {
                                errors.push(format!("{text}: duplicate entries for key {element}"));
                            }
                            self.check(&format!("{text}{element}"), dotted, item, dups, errors);
                            seen.insert(element);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The fields an applied configuration sets (SMD `ToFieldSet`): leaves and list items;
    /// an object field only when it is null or `{}`.
    pub fn field_set(&self, object: &Value) -> FieldSet {
        let mut set = FieldSet::default();
        self.collect(&mut Vec::new(), "", object, &mut set);
        set
    }

    fn collect(&self, path: &mut Vec<Element>, dotted: &str, value: &Value, set: &mut FieldSet) {
        let Some(parts) = self.parts(dotted, value) else {
            set.insert(path);
            return;
        };
        let is_list = value.is_array();
        for (element, child_dotted, child) in parts {
            path.push(element);
            self.collect(path, &child_dotted, child, set);
            // List items are owned themselves; object fields only when `{}` (or null, a leaf).
            if is_list || child.as_object().is_some_and(Map::is_empty) {
                set.insert(path);
            }
            path.pop();
        }
    }

    /// How `new` differs from `old` (SMD `Compare`): every added or removed node, containers
    /// included, and every changed leaf.
    pub fn compare(&self, old: &Value, new: &Value) -> Comparison {
        let mut out = Comparison::default();
        self.diff(&mut Vec::new(), "", Some(old), Some(new), &mut out);
        out
    }

    fn diff(
        &self,
        path: &mut Vec<Element>,
        dotted: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        out: &mut Comparison,
    ) {
        match (old, new) {
            (Some(o), Some(n)) => match (self.parts(dotted, o), self.parts(dotted, n)) {
                // Containers of the same kind, not both empty: compare part by part.
                (Some(op), Some(np))
                    if o.is_object() == n.is_object() && !(op.is_empty() && np.is_empty()) =>
                {
                    self.diff_parts(path, op, np, out);
                }
                _ if o != n => out.modified.insert(path),
                _ => {}
            },
            (Some(o), None) => {
                let parts = self.parts(dotted, o).unwrap_or_default();
                self.diff_parts(path, parts, Vec::new(), out);
                out.removed.insert(path);
            }
            (None, Some(n)) => {
                let parts = self.parts(dotted, n).unwrap_or_default();
                self.diff_parts(path, Vec::new(), parts, out);
                out.added.insert(path);
            }
            (None, None) => {}
        }
    }

    fn diff_parts<'v>(
        &self,
        path: &mut Vec<Element>,
        old: Vec<(Element, String, &'v Value)>,
        new: Vec<(Element, String, &'v Value)>,
        out: &mut Comparison,
    ) {
        let old_values = first_values(old.iter().map(|(e, _, v)| (e, *v)));
        let new_values = first_values(new.iter().map(|(e, _, v)| (e, *v)));
        let mut done = BTreeSet::new();
        for (element, dotted, _) in old.iter().chain(&new) {
            if done.insert(element) {
                path.push(element.clone());
                let (old, new) = (old_values.get(element), new_values.get(element));
                self.diff(path, dotted, old.copied(), new.copied(), out);
                path.pop();
            }
        }
    }

    /// `config` merged into `live` (SMD `Merge`): objects merge field by field, granular lists
    /// item by item with live-only items kept in place, anything else is replaced. Fields
    /// set to null are dropped, as decoding into the typed object drops them.
    pub fn merge(&self, live: &Value, config: &Value) -> Value {
        self.merge_at("", Some(live), Some(config))
            .unwrap_or_else(|| Value::Object(Map::new()))
    }

    fn merge_at(
        &self,
        dotted: &str,
        live: Option<&Value>,
        config: Option<&Value>,
    ) -> Option<Value> {
        let Some(config) = config else {
            return live.cloned();
        };
        match (live, config) {
            (None | Some(Value::Object(_)), Value::Object(theirs)) => {
                let empty = Map::new();
                let ours = live.and_then(Value::as_object).unwrap_or(&empty);
                let keys = ours
                    .keys()
                    .chain(theirs.keys().filter(|k| !ours.contains_key(*k)));
                let mut out = Map::new();
                for key in keys {
                    let merged = self.merge_at(&join(dotted, key), ours.get(key), theirs.get(key));
                    if let Some(value) = merged.filter(|v| !v.is_null()) {
                        out.insert(key.clone(), value);
                    }
                }
                Some(Value::Object(out))
            }
            (None | Some(Value::Array(_)), Value::Array(theirs))
                if *self.list_type(dotted) != ListType::Atomic =>
            {
                let ours = live
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                Some(Value::Array(self.merge_list(dotted, ours, theirs)))
            }
            _ => Some(config.clone()),
        }
    }

    /// SMD's list merge: items present on both sides are merged and take the configuration's
    /// order, live-only items stay where they were relative to them.
    fn merge_list<'v>(&self, dotted: &str, live: &'v [Value], config: &'v [Value]) -> Vec<Value> {
        let lhs = self.items(dotted, live);
        let rhs = self.items(dotted, config);
        let lhs_values = first_values(lhs.iter().map(|(e, v)| (e, *v)));
        let rhs_values = first_values(rhs.iter().map(|(e, v)| (e, *v)));
        let find = |values: &BTreeMap<&Element, &'v Value>, e: &Element| values.get(e).copied();
        let mut shared = rhs
            .iter()
            .map(|(e, _)| e)
            .filter(|e| find(&lhs_values, e).is_some());
        let mut next_shared = shared.next();
        let mut merged = BTreeSet::new();
        let mut out = Vec::new();
        let (mut l, mut r) = (0, 0);
        while l < lhs.len() || r < rhs.len() {
            if l < lhs.len() && r < rhs.len() {
                let element = &lhs[l].0;
                if *element == rhs[r].0 {
                    merged.insert(element);
                    out.extend(self.merge_at(dotted, find(&lhs_values, element), Some(rhs[r].1)));
                    (l, r) = (l + 1, r + 1);
                    next_shared = shared.next();
                    continue;
                }
                // A shared item met out of the configuration's order waits for its turn.
                if find(&rhs_values, element).is_some() && next_shared.is_some_and(|s| s != element)
                {
                    l += 1;
                    continue;
                }
            }
            if l < lhs.len() {
                let element = &lhs[l].0;
                if find(&rhs_values, element).is_none() {
                    out.push(lhs[l].1.clone());
                    l += 1;
                    continue;
                }
                if merged.contains(element) {
                    l += 1;
                }
            }
            if r < rhs.len() {
                let element = &rhs[r].0;
                merged.insert(element);
                out.extend(self.merge_at(dotted, find(&lhs_values, element), Some(rhs[r].1)));
                r += 1;
                if next_shared == Some(element) {
                    next_shared = shared.next();
                }
            }
        }
        out
    }

    /// `object` without the paths of `set` and everything below them (SMD `RemoveItems`);
    /// containers left empty go too.
    pub fn remove(&self, object: &Value, set: &FieldSet) -> Value {
        self.remove_at("", object, set, false)
            .unwrap_or_else(|| Value::Object(Map::new()))
    }

    /// [`Schema::remove`] as SMD's `RemoveItems` leaves an object field whose contents all
    /// went: there, as `null`. Pruning decides on the fields such a result still has.
    pub fn remove_keeping_fields(&self, object: &Value, set: &FieldSet) -> Value {
        self.remove_at("", object, set, true)
            .unwrap_or_else(|| Value::Object(Map::new()))
    }

    fn remove_at(&self, dotted: &str, value: &Value, set: &FieldSet, keep: bool) -> Option<Value> {
        let kept = |element: &Element, dotted: &str, child: &Value| {
            if set.has_member(element) {
                return None;
            }
            match set.child(element) {
                Some(below) => self.remove_at(dotted, child, below, keep),
                None => Some(child.clone()),
            }
        };
        match value {
            Value::Object(map) => {
                let out: Map<String, Value> = map
                    .iter()
                    .filter_map(|(k, v)| {
                        let element = Element::Field(k.clone());
                        let child = match kept(&element, &join(dotted, k), v) {
                            None if keep && !set.has_member(&element) => Value::Null,
                            child => child?,
                        };
                        Some((k.clone(), child))
                    })
                    .collect();
                (!out.is_empty()).then_some(Value::Object(out))
            }
            Value::Array(items) if *self.list_type(dotted) != ListType::Atomic => {
                let out: Vec<Value> = items
                    .iter()
                    .filter_map(|item| match self.item_element(dotted, item) {
                        Ok(element) => kept(&element, dotted, item),
                        Err(_) => Some(item.clone()),
                    })
                    .collect();
                (!out.is_empty()).then_some(Value::Array(out))
            }
            _ => Some(value.clone()),
        }
    }
}

/// The value of the first part with each element (a list may repeat one), to find parts in
/// O(log n) rather than by scanning: lists of 50,000 items stay near-linear.
fn first_values<'e, 'v>(
    parts: impl Iterator<Item = (&'e Element, &'v Value)>,
) -> BTreeMap<&'e Element, &'v Value> {
    let mut first = BTreeMap::new();
    for (element, value) in parts {
        first.entry(element).or_insert(value);
    }
    first
}
