//! Strategic merge patch (`application/strategic-merge-patch+json`), applied the way
//! kube-apiserver applies it to a kind with patch tags (k8s.io/apimachinery
//! `pkg/util/strategicpatch`, server side: parallel lists merged, unmatched `null`s ignored).
//!
//! - Maps merge recursively; `null` deletes a key; `{"$patch": "replace"}` replaces a map,
//!   `{"$patch": "delete"}` empties it; `$retainKeys` drops the keys it does not list.
//! - Lists are replaced unless [`ListTypes`] says they merge: a set of scalars
//!   is a union (`$deleteFromPrimitiveList/<field>` removes values), a map list merges items
//!   on their key (`{"<key>": …, "$patch": "delete"}` removes one, `{"$patch": "replace"}`
//!   replaces the list); `$setElementOrder/<field>` orders a merged list.
//! - Badly formed directives are 400 BadRequest, lists of lists 422 (apiserver's
//!   `interpretStrategicMergePatchError`). The errors kube-apiserver leaves unclassified
//!   (answered 500 there) are 400 here, with apimachinery's wording.
//!
//! The merged object never carries directives: what the patch adds is stripped of them (the
//! typed decode of kube-apiserver drops them as unknown fields).

mod lookup;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value};

use self::lookup::{Key, KeyIndex, Positions};
use crate::resource::{ListType, ListTypes};
use crate::status::ApiError;

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

// k8s.io/apimachinery/pkg/util/mergepatch errors that kube-apiserver answers with 400.
const BAD_JSON_DOC: &str = "invalid JSON document";
const BAD_PRIMITIVE_LIST: &str = "invalid patch format of primitive list";
const BAD_RETAIN_KEYS: &str = "invalid patch format of retainKeys";
const BAD_SET_ELEMENT_ORDER: &str = "invalid patch format of setElementOrder list";

type Result<T> = std::result::Result<T, ApiError>;

/// `original` with the strategic merge patch `patch` applied; both must be objects.
pub fn merge(lists: &ListTypes, original: &Value, patch: &Value) -> Result<Value> {
    let (Value::Object(original), Value::Object(patch)) = (original, patch) else {
        return Err(ApiError::bad_request(BAD_JSON_DOC));
    };
    Merger { lists }
        .map(original.clone(), patch.clone(), "")
        .map(Value::Object)
}

struct Merger<'a> {
    lists: &'a ListTypes,
}

impl Merger<'_> {
    /// Whether the list at `path` merges, and its merge key (empty for a set of scalars).
    fn list_strategy(&self, path: &str) -> (bool, &'static str) {
        match self.lists.list_type(path) {
            ListType::Atomic => (false, ""),
            ListType::Set => (true, ""),
            // apimachinery's patch tags name a single merge key.
            ListType::Map(keys) => (true, keys.first().copied().unwrap_or_default()),
        }
    }

    /// The Go kind of a list's elements, as named in apimachinery's messages.
    fn element_name(&self, path: &str) -> &'static str {
        match self.lists.list_type(path) {
            ListType::Set => "string",
            _ => "struct",
        }
    }

    fn map(
        &self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
        path: &str,
    ) -> Result<Map<String, Value>> {
        if let Some(directive) = patch.get(PATCH) {
            return match directive.as_str() {
                Some("replace") => {
                    patch.remove(PATCH);
                    Ok(settle_map(patch))
                }
                Some("delete") => Ok(Map::new()),
                _ => Err(bad_patch_type(directive, &patch)),
            };
        }
        retain_keys(&mut original, &mut patch)?;
        self.set_element_order(&mut original, &mut patch, path)?;

        for (key, value) in patch {
            let (key, delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
                let field = extract_key(&key, DELETE_FROM_PRIMITIVE_LIST, BAD_PRIMITIVE_LIST)?;
                (if field.is_empty() { key } else { field }, true)
            } else {
                (key, false)
            };
            if value.is_null() {
                original.remove(&key);
                continue;
            }
            let Some(slot) = original.get_mut(&key) else {
                if !delete_list && let Some(value) = fresh(value) {
                    original.insert(key, value);
                }
                continue;
            };
            let current = std::mem::take(slot);
            let field_path = child(path, &key);
            let merged = match (current, value) {
                (Value::Object(current), Value::Object(value)) => {
                    Some(Value::Object(self.map(current, value, &field_path)?))
                }
                (Value::Array(current), Value::Array(value)) => {
                    let merged = self.list(current, value, &field_path, delete_list)?;
                    Some(Value::Array(settle_list(merged)))
                }
                (current, value) if GoType::of(&current) != GoType::of(&value) => {
                    if delete_list {
                        Some(current)
                    } else {
                        fresh(value)
                    }
                }
                (_, value) => remove_directives(value),
            };
            match merged {
                Some(merged) => *slot = merged,
                None => {
                    original.remove(&key);
                }
            }
        }
        Ok(original)
    }

    /// A list field present in both the object and the patch.
    fn list(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        path: &str,
        delete_list: bool,
    ) -> Result<Vec<Value>> {
        let (merges, merge_key) = self.list_strategy(path);
        if merges || delete_list {
            self.merge_list(original, patch, path, merge_key, delete_list)
        } else {
            Ok(patch)
        }
    }

    fn merge_list(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        path: &str,
        merge_key: &str,
        delete_list: bool,
    ) -> Result<Vec<Value>> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        let kind = element_type(&[&original, &patch])?;
        let (original, patch, merged) = if kind != GoType::Map {
            if delete_list {
                let deleted: HashSet<Key<&Value>> = patch.iter().map(Key).collect();
                return Ok(original
                    .into_iter()
                    .filter(|v| !deleted.contains(&Key(v)))
                    .collect());
            }
            let mut seen = HashSet::with_capacity(original.len() + patch.len());
            let merged: Vec<Value> = original
                .iter()
                .chain(&patch)
                .filter(|value| seen.insert(Key(*value)))
                .cloned()
                .collect();
            (original, patch, merged)
        } else {
            if merge_key.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "cannot merge lists without merge key for {}",
                    self.element_name(path)
                )));
            }
            let (original, patch) = special_elements(original, patch, merge_key)?;
            let merged = self.merge_items(original.clone(), &patch, merge_key, path)?;
            (original, patch, merged)
        };
        let (in_patch, server_only) = partition(merged, &patch, merge_key)?;
        normalize_element_order(in_patch, server_only, &patch, &original, merge_key, kind)
    }

    /// Merges each patch item into the item with the same key, or appends it.
    fn merge_items(
        &self,
        mut original: Vec<Value>,
        patch: &[Value],
        merge_key: &str,
        path: &str,
    ) -> Result<Vec<Value>> {
        let mut index = KeyIndex::new(&original, merge_key);
        for item in patch {
            let Value::Object(fields) = item else {
                return Err(bad_arg_type(GoType::Map, item));
            };
            let Some(key) = fields.get(merge_key) else {
                return Err(no_merge_key(fields, merge_key));
            };
            match index.find(key)? {
                Some(i) => {
                    let Value::Object(current) = std::mem::take(&mut original[i]) else {
                        unreachable!("the index finds only maps");
                    };
                    let merged = self.map(current, fields.clone(), path)?;
                    if merged.get(merge_key) != Some(key) {
                        index.forget_first(key);
                    }
                    original[i] = Value::Object(merged);
                }
                None => {
                    index.push(item, original.len());
                    original.push(item.clone());
                }
            }
        }
        Ok(original)
    }

    /// Applies the `$setElementOrder/<field>` directives of `patch`, merging each list they
    /// name (which then leaves the patch).
    fn set_element_order(
        &self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
        path: &str,
    ) -> Result<()> {
        let directives: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
            .cloned()
            .collect();
        for directive in directives {
            let order = patch.remove(&directive).unwrap_or_default();
            let Value::Array(order) = order else {
                return Err(bad_arg_type(GoType::Slice, &order));
            };
            let field = extract_key(&directive, SET_ELEMENT_ORDER, BAD_SET_ELEMENT_ORDER)?;
            let as_list = |value: Option<&Value>| match value {
                None => Ok(None),
                Some(Value::Array(list)) => Ok(Some(list.clone())),
                Some(other) => Err(bad_arg_type(GoType::Slice, other)),
            };
            let original_list = as_list(original.get(&field))?;
            let patch_list = as_list(patch.get(&field))?;
            let field_path = child(path, &field);
            let (merges, merge_key) = self.list_strategy(&field_path);
            validate_with_order(patch_list.as_deref().unwrap_or_default(), &order, merge_key)?;
            let merged = match (&original_list, &patch_list) {
                (Some(current), None) => current.clone(),
                (None, Some(list)) => list.iter().cloned().filter_map(remove_directives).collect(),
                (Some(current), Some(list)) => {
                    self.list(current.clone(), list.clone(), &field_path, false)?
                }
                (None, None) => continue,
            };
            let (in_order, server_only) = partition(merged, &order, merge_key)?;
            let patch_list = patch_list.unwrap_or_default();
            let original_list = original_list.unwrap_or_default();
            let kind = element_type(&[&original_list, &patch_list])?;
            let server_order = if merges && kind == GoType::Map && !patch_list.is_empty() {
                server_order_as_go_sees_it(&original_list, &patch_list, merge_key)
            } else {
                original_list
            };
            let ordered = normalize_element_order(
                in_order,
                server_only,
                &order,
                &server_order,
                merge_key,
                kind,
            )?;
            original.insert(field.clone(), Value::Array(settle_list(ordered)));
            patch.remove(&field);
        }
        Ok(())
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The field a `$deleteFromPrimitiveList/<field>` or `$setElementOrder/<field>` key names.
fn extract_key(key: &str, prefix: &str, error: &str) -> Result<String> {
    match key.split_once('/') {
        Some((head, field)) if head == prefix => Ok(field.to_owned()),
        _ => Err(ApiError::bad_request(error)),
    }
}

/// `$retainKeys`: keys of `original` it does not list are dropped; the patch may only set
/// keys it lists.
fn retain_keys(original: &mut Map<String, Value>, patch: &mut Map<String, Value>) -> Result<()> {
    let Some(retained) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retained) = retained else {
        return Err(ApiError::bad_request(BAD_RETAIN_KEYS));
    };
    let listed: HashSet<&str> = retained.iter().filter_map(Value::as_str).collect();
    let unlisted = patch.iter().any(|(key, value)| {
        !value.is_null()
            && !key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !key.starts_with(SET_ELEMENT_ORDER)
            && !listed.contains(key.as_str())
    });
    if unlisted {
        return Err(ApiError::bad_request(BAD_RETAIN_KEYS));
    }
    original.retain(|key, _| listed.contains(key.as_str()));
    Ok(())
}

/// The live list by which apimachinery orders the server-only items of a merged map list
/// under `$setElementOrder`. It reads the object's list after merging into it in place: its
/// `$patch: delete` items shifted the later items left (the last one stays, repeated) and
/// the items it appended filled the freed slots (Go slices sharing one array). Ordering by
/// this view, as kube-apiserver does, keeps server-only items before the appended ones.
fn server_order_as_go_sees_it(original: &[Value], patch: &[Value], merge_key: &str) -> Vec<Value> {
    let key_of = |item: &Value| item.as_object().and_then(|f| f.get(merge_key)).cloned();
    // The places of the items by key: a deletion takes them from the first on.
    let mut places: HashMap<Key<Value>, Vec<usize>> = HashMap::new();
    for (i, item) in original.iter().enumerate() {
        if let Some(key) = key_of(item) {
            places.entry(Key(key)).or_default().push(i);
        }
    }
    let mut deleted = vec![false; original.len()];
    // What the freed slots keep, from the last slot on, and where the live items end.
    let mut freed = Vec::new();
    let mut end = original.len();
    let mut replace = false;
    for item in patch {
        match item.get(PATCH).and_then(Value::as_str) {
            Some("delete") => {
                let gone = key_of(item).and_then(|key| places.remove(&Key(key)));
                for i in gone.unwrap_or_default() {
                    // append(list[:i], list[i+1:]...): the slot freed at the end keeps the
                    // last live item, the deleted one itself when it was last.
                    while deleted[end - 1] {
                        end -= 1;
                    }
                    freed.push(&original[end - 1]);
                    deleted[i] = true;
                }
            }
            Some("replace") => replace = true,
            _ => {}
        }
    }
    let mut live: Vec<&Value> = original
        .iter()
        .zip(&deleted)
        .filter(|(_, deleted)| !**deleted)
        .map(|(item, _)| item)
        .collect();
    if !replace {
        let mut keys: HashSet<Option<Key<Value>>> =
            live.iter().map(|v| key_of(v).map(Key)).collect();
        for item in patch.iter().filter(|item| !has_directive(item)) {
            if keys.insert(key_of(item).map(Key)) {
                live.push(item);
            }
        }
    }
    (0..original.len())
        .map(|i| {
            live.get(i)
                .copied()
                .unwrap_or_else(|| freed[original.len() - 1 - i])
        })
        .cloned()
        .collect()
}

/// Checks that the patch list's items appear in the `$setElementOrder` list, in its order.
fn validate_with_order(patch: &[Value], order: &[Value], merge_key: &str) -> Result<()> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let items = if merge_key.is_empty() {
        patch.to_vec()
    } else {
        split_deletions(patch.to_vec())?.0
    };
    let (mut p, mut o) = (0, 0);
    while p < items.len() && o < order.len() {
        if has_directive(&items[p]) {
            p += 1;
            continue;
        }
        if merge_key_equal(&items[p], &order[o], merge_key)? {
            p += 1;
        }
        o += 1;
    }
    if p < items.len() && o >= order.len() {
        return Err(ApiError::bad_request(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
            go_format_list(patch),
            go_format_list(order)
        )));
    }
    Ok(())
}

fn merge_key_equal(left: &Value, right: &Value, merge_key: &str) -> Result<bool> {
    if merge_key.is_empty() {
        return Ok(left == right);
    }
    let (Value::Object(left), Value::Object(right)) = (left, right) else {
        let not_map = if left.is_object() { right } else { left };
        return Err(bad_arg_type(GoType::Map, not_map));
    };
    let key_of = |fields: &Map<String, Value>| {
        fields
            .get(merge_key)
            .cloned()
            .ok_or_else(|| no_merge_key(fields, merge_key))
    };
    let left = key_of(left)?;
    Ok(left == key_of(right)?)
}

fn has_directive(item: &Value) -> bool {
    item.as_object()
        .is_some_and(|fields| fields.contains_key(PATCH))
}

/// Splits a list of maps into items to keep and `$patch: delete` items.
fn split_deletions(list: Vec<Value>) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut keep = Vec::with_capacity(list.len());
    let mut delete = Vec::new();
    for item in list {
        let Value::Object(fields) = &item else {
            return Err(bad_arg_type(GoType::Map, &item));
        };
        if fields.get(PATCH).and_then(Value::as_str) == Some("delete") {
            delete.push(item);
        } else {
            keep.push(item);
        }
    }
    Ok((keep, delete))
}

/// Handles the `$patch` items of a patch list of maps: deletions leave `original`, a
/// `replace` makes the plain patch items the new list. Returns the original and the plain
/// patch items to merge.
fn special_elements(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    let not_a_map = original.iter().position(|item| !item.is_object());
    let mut deleted = HashSet::new();
    for item in patch {
        let Value::Object(fields) = &item else {
            return Err(bad_arg_type(GoType::Map, &item));
        };
        let Some(directive) = fields.get(PATCH) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let Some(key) = fields.get(merge_key) else {
                    return Err(no_merge_key(fields, merge_key));
                };
                // apimachinery deletes the matches before the first item that is not a map,
                // then fails on that item.
                if let Some(i) = not_a_map {
                    let gone = original[..i]
                        .iter()
                        .filter(|v| v.get(merge_key) == Some(key));
                    return Err(lookup::not_a_map(i - gone.count()));
                }
                deleted.insert(Key(key.clone()));
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(ApiError::bad_request(
                    "merging lists cannot yet be specified in the patch",
                ));
            }
            _ => return Err(bad_patch_type(directive, fields)),
        }
    }
    if !deleted.is_empty() {
        original.retain(|item| {
            let key = item.get(merge_key).cloned().map(Key);
            !key.is_some_and(|key| deleted.contains(&key))
        });
    }
    if replace {
        Ok((plain, Vec::new()))
    } else {
        Ok((original, plain))
    }
}

/// Splits `merged` into the items present in `by` and the others (server-only items).
fn partition(
    merged: Vec<Value>,
    by: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>)> {
    if merge_key.is_empty() {
        let values = Positions::new(by, None);
        return Ok(merged
            .into_iter()
            .partition(|item| values.of(item).is_some()));
    }
    let keys = KeyIndex::new(by, merge_key);
    let mut present = Vec::with_capacity(merged.len());
    let mut server_only = Vec::with_capacity(merged.len());
    for item in merged {
        let Value::Object(fields) = &item else {
            return Err(bad_arg_type(GoType::Map, &item));
        };
        let Some(key) = fields.get(merge_key) else {
            return Err(no_merge_key(fields, merge_key));
        };
        if keys.find(key)?.is_some() {
            present.push(item);
        } else {
            server_only.push(item);
        }
    }
    Ok((present, server_only))
}

/// Orders the patch items by `patch_order`, the server-only ones by `server_order`, and
/// interleaves them, keeping server-only items where they were relative to the patch items.
fn normalize_element_order(
    patch: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: &str,
    kind: GoType,
) -> Result<Vec<Value>> {
    let patch = sort_by_order(patch, patch_order, merge_key, kind)?;
    let server_only = sort_by_order(server_only, server_order, merge_key, kind)?;
    let positions = Positions::new(server_order, (kind == GoType::Map).then_some(merge_key));
    let placed = |items: Vec<Value>| {
        let placed: Vec<(Option<usize>, Value)> = items
            .into_iter()
            .map(|item| (positions.of(&item), item))
            .collect();
        placed.into_iter().peekable()
    };
    let mut merged = Vec::with_capacity(patch.len() + server_only.len());
    let mut left = placed(server_only);
    let mut right = placed(patch);
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((l, _)), Some((r, _))) => matches!((l, r), (Some(l), Some(r)) if l < r),
        };
        let next = if take_left { left.next() } else { right.next() };
        merged.extend(next.map(|(_, item)| item));
    }
    Ok(merged)
}

/// Sorts `list` by the positions of its items in `order`, `$patch: delete` items last.
fn sort_by_order(
    list: Vec<Value>,
    order: &[Value],
    merge_key: &str,
    kind: GoType,
) -> Result<Vec<Value>> {
    let by_key = kind == GoType::Map;
    let (list, deletions) = if by_key {
        for item in list.iter().chain(order) {
            match item {
                Value::Object(fields) if fields.contains_key(merge_key) => {}
                Value::Object(fields) => return Err(no_merge_key(fields, merge_key)),
                other => return Err(bad_arg_type(GoType::Map, other)),
            }
        }
        split_deletions(list)?
    } else {
        (list, Vec::new())
    };
    let positions = Positions::new(order, by_key.then_some(merge_key));
    let places: Vec<Option<usize>> = list.iter().map(|item| positions.of(item)).collect();
    let mut list: Vec<Option<Value>> = list.into_iter().map(Some).collect();
    let mut sorted: Vec<Value> = insertion_order(&places)
        .into_iter()
        .filter_map(|i| list[i].take())
        .collect();
    sorted.extend(deletions);
    Ok(sorted)
}

/// The order in which the insertion sort that Go's `sort.SliceStable` runs on short lists
/// leaves items at `places`, an item without a place comparing smaller than any (as
/// apimachinery's comparison has it), computed in O(n log n) rather than the sort's O(n²).
///
/// Each item inserted moves left past every item that compares greater: one without a place
/// goes first; one with a place stops right after the nearest placed item not greater, which
/// is the latest inserted of those with the greatest place not after its own. Items that stop
/// after the same one (or at the front) end up latest first, each followed by those after it.
fn insertion_order(places: &[Option<usize>]) -> Vec<usize> {
    let front = places.len();
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); places.len() + 1];
    let mut latest_at: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, place) in places.iter().enumerate() {
        let anchor = match place {
            None => front,
            Some(place) => {
                let anchor = latest_at.range(..=place).next_back();
                let anchor = anchor.map_or(front, |(_, &item)| item);
                latest_at.insert(*place, i);
                anchor
            }
        };
        after[anchor].push(i);
    }
    let mut order = Vec::with_capacity(places.len());
    let mut pending = std::mem::take(&mut after[front]);
    while let Some(i) = pending.pop() {
        order.push(i);
        pending.append(&mut after[i]);
    }
    order
}

/// The Go type of a decoded JSON value (`int64` for integers, as apiserver decodes patches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GoType {
    Nil,
    Bool,
    Int,
    Float,
    String,
    Slice,
    Map,
}

impl GoType {
    fn of(value: &Value) -> Self {
        match value {
            Value::Null => GoType::Nil,
            Value::Bool(_) => GoType::Bool,
            Value::Number(n) if n.is_f64() => GoType::Float,
            Value::Number(_) => GoType::Int,
            Value::String(_) => GoType::String,
            Value::Array(_) => GoType::Slice,
            Value::Object(_) => GoType::Map,
        }
    }

    /// `reflect.Type.String()`, as `%s` prints it.
    fn name(self) -> &'static str {
        match self {
            GoType::Nil => "%!s(<nil>)",
            GoType::Bool => "bool",
            GoType::Int => "int64",
            GoType::Float => "float64",
            GoType::String => "string",
            GoType::Slice => "[]interface {}",
            GoType::Map => "map[string]interface {}",
        }
    }
}

/// The one element type of the lists; lists of lists are refused (422).
fn element_type(lists: &[&[Value]]) -> Result<GoType> {
    let mut kind = None;
    for item in lists.iter().flat_map(|list| list.iter()) {
        let this = GoType::of(item);
        match kind {
            None if this == GoType::Slice => return Err(ApiError::patch_rejected()),
            None if this != GoType::Nil => kind = Some(this),
            Some(kind) if kind == this => {}
            _ => {
                let lists: Vec<String> = lists.iter().map(|l| go_format_list(l)).collect();
                return Err(ApiError::bad_request(format!(
                    "list element types are not identical: [{}]",
                    lists.join(" ")
                )));
            }
        }
    }
    kind.ok_or_else(|| ApiError::bad_request("no elements in any of the given slices"))
}

fn bad_arg_type(expected: GoType, actual: &Value) -> ApiError {
    ApiError::bad_request(format!(
        "expected a {}, but received a {}",
        expected.name(),
        GoType::of(actual).name()
    ))
}

fn no_merge_key(fields: &Map<String, Value>, merge_key: &str) -> ApiError {
    ApiError::bad_request(format!(
        "map: {} does not contain declared merge key: {merge_key}",
        go_format_map(fields)
    ))
}

fn bad_patch_type(directive: &Value, fields: &Map<String, Value>) -> ApiError {
    let directive = match directive {
        Value::Null => "%!s(<nil>)".to_owned(),
        other => go_format_s(other),
    };
    ApiError::bad_request(format!(
        "unknown patch type: {directive} in map: {}",
        go_format_map(fields)
    ))
}

/// A value as Go's `%s` prints the decoded JSON: strings bare, other scalars flagged
/// (`%!s(int64=1)`), containers element by element.
fn go_format_s(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_format_s).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(fields) => {
            let mut entries: Vec<(&String, &Value)> = fields.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let entries: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", go_format_s(v)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
        other => format!("%!s({}={})", GoType::of(other).name(), go_format(other)),
    }
}

/// A value as Go's `%v` prints the decoded JSON (`map[a:1 b:x]`, `[a b]`, `<nil>`).
fn go_format(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => go_format_list(items),
        Value::Object(fields) => go_format_map(fields),
    }
}

fn go_format_list(items: &[Value]) -> String {
    let items: Vec<String> = items.iter().map(go_format).collect();
    format!("[{}]", items.join(" "))
}

fn go_format_map(fields: &Map<String, Value>) -> String {
    let mut entries: Vec<(&String, &Value)> = fields.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let entries: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("{k}:{}", go_format(v)))
        .collect();
    format!("map[{}]", entries.join(" "))
}

/// A value the patch adds where the object lacks it (or has another type): `null` members
/// dropped, maps holding `$patch` removed (`None` for the value itself), as apimachinery
/// does, and directive keys stripped.
fn fresh(mut value: Value) -> Option<Value> {
    discard_nulls(&mut value);
    remove_directives(value)
}

/// A merged list as it is stored. apimachinery leaves the items the patch brings in (an
/// atomic list, appended or replacing items) untouched, and the typed decode then drops
/// `null`s (zero values) and directive keys (unknown fields): so do we, keeping the items.
fn settle_list(list: Vec<Value>) -> Vec<Value> {
    list.into_iter()
        .map(|mut item| {
            discard_nulls(&mut item);
            strip_directive_keys(&mut item);
            item
        })
        .collect()
}

/// The content of a `$patch: replace` map, settled the same way.
fn settle_map(fields: Map<String, Value>) -> Map<String, Value> {
    let mut value = Value::Object(fields);
    discard_nulls(&mut value);
    strip_directive_keys(&mut value);
    match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

fn strip_directive_keys(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|k, _| !is_directive_key(k));
            fields.values_mut().for_each(strip_directive_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_directive_keys),
        _ => {}
    }
}

fn discard_nulls(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, v| !v.is_null());
            fields.values_mut().for_each(discard_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

fn is_directive_key(key: &str) -> bool {
    key == PATCH
        || key == RETAIN_KEYS
        || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
        || key.starts_with(SET_ELEMENT_ORDER)
}

/// Drops maps holding `$patch` (`None` for the value itself) and every other directive key.
fn remove_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(fields) => {
            if fields.contains_key(PATCH) {
                return None;
            }
            let fields = fields
                .into_iter()
                .filter(|(k, _)| !is_directive_key(k))
                .filter_map(|(k, v)| remove_directives(v).map(|v| (k, v)))
                .collect();
            Some(Value::Object(fields))
        }
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::foo_lists;

    fn foo() -> Value {
        json!({
            "apiVersion": "demo.jeremyxu2010.me/v1beta1",
            "kind": "Foo",
            "metadata": {
                "name": "f",
                "labels": {"app": "a", "tier": "web"},
                "finalizers": ["x/one", "x/two"],
                "ownerReferences": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "name": "a", "uid": "u1"},
                    {"apiVersion": "v1", "kind": "ConfigMap", "name": "b", "uid": "u2"}
                ]
            },
            "spec": {"greeting": "Hello", "suspend": false},
            "status": {
                "barCount": 1,
                "conditions": [
                    {"type": "Ready", "status": "True", "reason": "Reconciled", "message": ""},
                    {"type": "Other", "status": "False", "reason": "X", "message": "m"}
                ]
            }
        })
    }

    fn apply(patch: Value) -> Value {
        merge(&foo_lists(), &foo(), &patch).unwrap()
    }

    fn error(patch: Value) -> ApiError {
        merge(&foo_lists(), &foo(), &patch).unwrap_err()
    }

    #[test]
    fn maps_merge_and_null_deletes() {
        let out = apply(
            json!({"spec": {"greeting": "Hi"}, "metadata": {"labels": {"tier": null, "new": "n"}}}),
        );
        assert_eq!(out["spec"], json!({"greeting": "Hi", "suspend": false}));
        assert_eq!(out["metadata"]["labels"], json!({"app": "a", "new": "n"}));
        // A null for a key that is not there is ignored, also inside added maps.
        let out =
            apply(json!({"metadata": {"annotations": {"a": "1", "b": null}, "missing": null}}));
        assert_eq!(out["metadata"]["annotations"], json!({"a": "1"}));
        assert!(out["metadata"].get("missing").is_none());
    }

    #[test]
    fn conditions_merge_by_type() {
        let out = apply(json!({"status": {"conditions": [
            {"type": "Ready", "status": "False", "reason": "Suspended"},
            {"type": "New", "status": "True"}
        ]}}));
        assert_eq!(
            out["status"]["conditions"],
            json!([
                {"type": "Ready", "status": "False", "reason": "Suspended", "message": ""},
                {"type": "New", "status": "True"},
                {"type": "Other", "status": "False", "reason": "X", "message": "m"}
            ])
        );
        assert_eq!(out["status"]["barCount"], 1);
    }

    #[test]
    fn patch_delete_removes_a_condition() {
        let out = apply(json!({"status": {"conditions": [{"type": "Ready", "$patch": "delete"}]}}));
        assert_eq!(
            out["status"]["conditions"],
            json!([{"type": "Other", "status": "False", "reason": "X", "message": "m"}])
        );
        // Without the merge key: 400.
        let e = error(json!({"status": {"conditions": [{"$patch": "delete"}]}}));
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "map: map[$patch:delete] does not contain declared merge key: type"
        );
    }

    #[test]
    fn patch_replace_replaces_a_merging_list() {
        let out = apply(json!({"status": {"conditions": [
            {"$patch": "replace"},
            {"type": "Only", "status": "True"}
        ]}}));
        assert_eq!(
            out["status"]["conditions"],
            json!([{"type": "Only", "status": "True"}])
        );
    }

    #[test]
    fn owner_references_merge_on_uid() {
        let out = apply(json!({"metadata": {"ownerReferences": [
            {"uid": "u2", "name": "renamed"},
            {"uid": "u2b", "apiVersion": "v1", "kind": "Secret", "name": "s"}
        ]}}));
        let names: Vec<&str> = out["metadata"]["ownerReferences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "renamed", "s"]);
    }

    #[test]
    fn finalizers_union_and_delete_from_primitive_list() {
        let out = apply(json!({"metadata": {"finalizers": ["x/two", "a/b"]}}));
        // Patch items in the patch's order, server-only items kept before the ones after them.
        assert_eq!(
            out["metadata"]["finalizers"],
            json!(["x/one", "x/two", "a/b"])
        );
        let out = apply(json!({"metadata": {"finalizers": ["a/b"]}}));
        assert_eq!(
            out["metadata"]["finalizers"],
            json!(["a/b", "x/one", "x/two"])
        );
        let out =
            apply(json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["x/one", "nope"]}}));
        assert_eq!(out["metadata"]["finalizers"], json!(["x/two"]));
        // A deletion list for an absent list changes nothing and never appears.
        let out = apply(json!({"spec": {"$deleteFromPrimitiveList/items": ["a"]}}));
        assert_eq!(out["spec"], json!({"greeting": "Hello", "suspend": false}));
        let e = error(json!({"metadata": {"$deleteFromPrimitiveListfinalizers": ["x/one"]}}));
        assert_eq!((e.code, e.message.as_str()), (400, BAD_PRIMITIVE_LIST));
    }

    #[test]
    fn set_element_order() {
        let out = apply(json!({"metadata": {
            "$setElementOrder/finalizers": ["a/b", "x/two", "x/one"],
            "finalizers": ["a/b"]
        }}));
        assert_eq!(
            out["metadata"]["finalizers"],
            json!(["a/b", "x/two", "x/one"])
        );
        // What kubectl apply sends when it adds a condition at the end.
        let out = apply(json!({"status": {
            "$setElementOrder/conditions": [{"type": "Ready"}, {"type": "Other"}, {"type": "New"}],
            "conditions": [{"type": "New", "status": "True"}]
        }}));
        let types: Vec<&str> = out["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["Ready", "Other", "New"]);
        // Combined with a deletion, as kubectl sends it.
        let out = apply(json!({"metadata": {
            "$setElementOrder/finalizers": ["x/two", "a/b"],
            "$deleteFromPrimitiveList/finalizers": ["x/one"],
            "finalizers": ["a/b"]
        }}));
        assert_eq!(out["metadata"]["finalizers"], json!(["x/two", "a/b"]));
        // The patch list must follow the order list.
        let e = error(json!({"metadata": {
            "$setElementOrder/finalizers": ["x/one"],
            "finalizers": ["a/b"]
        }}));
        assert_eq!(e.code, 400);
        assert!(
            e.message.starts_with("The order in patch list:\n[a/b]\n"),
            "{}",
            e.message
        );
        let e = error(json!({"metadata": {"$setElementOrderfinalizers": []}}));
        assert_eq!((e.code, e.message.as_str()), (400, BAD_SET_ELEMENT_ORDER));
    }

    #[test]
    fn map_directives() {
        let out = apply(json!({"metadata": {"labels": {"$patch": "replace", "only": "o"}}}));
        assert_eq!(out["metadata"]["labels"], json!({"only": "o"}));
        let out = apply(json!({"metadata": {"labels": {"$patch": "delete"}}}));
        assert_eq!(out["metadata"]["labels"], json!({}));
        let out = apply(json!({"spec": {"$retainKeys": ["greeting"], "greeting": "Yo"}}));
        assert_eq!(out["spec"], json!({"greeting": "Yo"}));
        let e = error(json!({"spec": {"$retainKeys": ["greeting"], "suspend": true}}));
        assert_eq!((e.code, e.message.as_str()), (400, BAD_RETAIN_KEYS));
        let e = error(json!({"spec": {"$retainKeys": "greeting"}}));
        assert_eq!((e.code, e.message.as_str()), (400, BAD_RETAIN_KEYS));
        let e = error(json!({"spec": {"$patch": "merge"}}));
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "unknown patch type: merge in map: map[$patch:merge]"
        );
        let e = error(json!({"status": {"conditions": [{"$patch": "merge"}]}}));
        assert_eq!(
            e.message,
            "merging lists cannot yet be specified in the patch"
        );
    }

    #[test]
    fn atomic_lists_are_replaced() {
        let original = json!({"metadata": {"managedFields": [{"manager": "a"}, {"manager": "b"}]}});
        let out = merge(
            &foo_lists(),
            &original,
            &json!({"metadata": {"managedFields": [{"manager": "c"}]}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["managedFields"], json!([{"manager": "c"}]));
        // An untagged list of scalars is not a union either.
        let original = json!({"spec": {"items": ["a", "b"]}});
        let out = merge(&foo_lists(), &original, &json!({"spec": {"items": ["c"]}})).unwrap();
        assert_eq!(out["spec"]["items"], json!(["c"]));
    }

    #[test]
    fn added_values_carry_no_directives() {
        let out = apply(
            json!({"spec": {"extra": {"a": {"$patch": "delete"}, "$retainKeys": ["a"], "b": [{"$patch": "x"}, 1]}}}),
        );
        assert_eq!(out["spec"]["extra"], json!({"b": [1]}));
        let out = apply(
            json!({"status": {"conditions": [{"$patch": "replace"}, {"type": "A", "x": {"$patch": "delete"}}]}}),
        );
        // Items the patch brings in whole keep their maps, without the directive keys.
        assert_eq!(out["status"]["conditions"], json!([{"type": "A", "x": {}}]));
        fn no_directives(v: &Value) -> bool {
            match v {
                Value::Object(m) => m
                    .iter()
                    .all(|(k, v)| !k.starts_with('$') && no_directives(v)),
                Value::Array(l) => l.iter().all(no_directives),
                _ => true,
            }
        }
        assert!(no_directives(&out));
    }

    #[test]
    fn errors() {
        // Lists of lists: 422, with kube-apiserver's generic Invalid message.
        let original = json!({"status": {"conditions": []}});
        let e = merge(
            &foo_lists(),
            &original,
            &json!({"status": {"conditions": [["a"]]}}),
        )
        .unwrap_err();
        assert_eq!((e.code, e.reason), (422, "Invalid"));
        // As in apimachinery, only a list whose first element is a list counts as one.
        let e = error(json!({"metadata": {"finalizers": [["a"]]}}));
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "list element types are not identical: [[x/one x/two] [[a]]]"
        );
        // Mixed element types: 400.
        let e = error(json!({"metadata": {"finalizers": [1]}}));
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "list element types are not identical: [[x/one x/two] [1]]"
        );
        // Merging maps in a set of scalars.
        let original = json!({"metadata": {"finalizers": []}});
        let e = merge(
            &foo_lists(),
            &original,
            &json!({"metadata": {"finalizers": [{"a": 1}]}}),
        )
        .unwrap_err();
        assert_eq!(e.message, "cannot merge lists without merge key for string");
        // Conditions without their key.
        let e = error(json!({"status": {"conditions": [{"status": "True"}]}}));
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "map: map[status:True] does not contain declared merge key: type"
        );
        // Not objects.
        assert_eq!(
            merge(&foo_lists(), &foo(), &json!([])).unwrap_err().code,
            400
        );
    }

    #[test]
    fn insertion_order_is_that_of_the_insertion_sort() {
        let mut seed = 7u64;
        let mut random = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..2_000 {
            let len = random(30) as usize;
            let places: Vec<Option<usize>> = (0..len)
                .map(|_| (random(4) > 0).then(|| random(10) as usize))
                .collect();
            // Go's insertion sort with apimachinery's comparison.
            let less = |a: usize, b: usize| match (places[a], places[b]) {
                (Some(a), Some(b)) => a < b,
                _ => true,
            };
            let mut sorted: Vec<usize> = (0..len).collect();
            for i in 1..len {
                let mut j = i;
                while j > 0 && less(sorted[j], sorted[j - 1]) {
                    sorted.swap(j, j - 1);
                    j -= 1;
                }
            }
            assert_eq!(insertion_order(&places), sorted, "{places:?}");
        }
    }

    #[test]
    fn type_changes_replace() {
        let out =
            apply(json!({"spec": {"greeting": {"a": null, "b": 1}}, "status": {"barCount": "x"}}));
        assert_eq!(out["spec"]["greeting"], json!({"b": 1}));
        assert_eq!(out["status"]["barCount"], "x");
        // A deletion list against a non-list leaves the field alone.
        let out = apply(json!({"metadata": {"$deleteFromPrimitiveList/labels": ["app"]}}));
        assert_eq!(
            out["metadata"]["labels"],
            json!({"app": "a", "tier": "web"})
        );
    }
}
