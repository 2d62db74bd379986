//! Field paths and sets of them, with their FieldsV1 form (structured-merge-diff's `fieldpath`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::validation::go_quote;

/// One step of a field path.
#[derive(Clone, Debug)]
pub enum Element {
    /// A field of an object: `f:greeting`, printed `.greeting`.
    Field(String),
    /// An item of a map-list by its key fields, sorted by name: `k:{"type":"Ready"}`,
    /// printed `[type="Ready"]`.
    Key(Vec<(String, Value)>),
    /// An item of a set: `v:"x"`, printed `[="x"]`.
    Value(Value),
    /// An item by position: `i:0`. Only read from managedFields sent by clients: no list of
    /// Foo is granular without keys or values.
    Index(i64),
}

impl Element {
    /// Fields sort before keys, keys before values, values before indexes.
    fn rank(&self) -> u8 {
        match self {
            Element::Field(_) => 0,
            Element::Key(_) => 1,
            Element::Value(_) => 2,
            Element::Index(_) => 3,
        }
    }

    /// The element as a FieldsV1 key.
    fn to_key(&self) -> String {
        match self {
            Element::Field(name) => format!("f:{name}"),
            Element::Key(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| {
                        format!("{}:{}", go_json(&name.as_str().into()), go_json(value))
                    })
                    .collect();
                format!("k:{{{}}}", fields.join(","))
            }
            Element::Value(value) => format!("v:{}", go_json(value)),
            Element::Index(index) => format!("i:{index}"),
        }
    }

    /// Parses a FieldsV1 key; `None` for an unknown element type, which readers skip.
    fn from_key(key: &str) -> Result<Option<Element>, String> {
        let (kind, rest) = key
            .split_at_checked(2)
            .filter(|(kind, _)| kind.ends_with(':'))
            .ok_or_else(|| format!("invalid path element {key:?}"))?;
        let json = |text: &str| serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
        Ok(Some(match kind {
            "f:" => Element::Field(rest.to_string()),
            "v:" => Element::Value(json(rest)?),
            "k:" => {
                let Value::Object(map) = json(rest)? else {
                    return Err(format!("invalid key {rest}"));
                };
                let mut fields: Vec<(String, Value)> = map.into_iter().collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Element::Key(fields)
            }
            "i:" => Element::Index(rest.parse().map_err(|_| format!("invalid index {rest}"))?),
            _ => return Ok(None),
        }))
    }
}

impl Ord for Element {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Element::Field(a), Element::Field(b)) => a.cmp(b),
            (Element::Key(a), Element::Key(b)) => a
                .iter()
                .zip(b)
                .map(|((an, av), (bn, bv))| an.cmp(bn).then_with(|| compare_values(av, bv)))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| a.len().cmp(&b.len())),
            (Element::Value(a), Element::Value(b)) => compare_values(a, b),
            (Element::Index(a), Element::Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Element {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Element {}

/// How conflicts name a path: `.spec.greeting`, `[type="Ready"]`, `[="x"]`.
impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::Field(name) => write!(f, ".{name}"),
            Element::Key(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{name}={}", value_text(value)))
                    .collect();
                write!(f, "[{}]", fields.join(","))
            }
            Element::Value(value) => write!(f, "[={}]", value_text(value)),
            Element::Index(index) => write!(f, "[{index}]"),
        }
    }
}

pub fn path_text(path: &[Element]) -> String {
    path.iter().map(ToString::to_string).collect()
}

/// A value as SMD's `value.ToString` prints it: strings Go-quoted.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => go_quote(s),
        other => other.to_string(),
    }
}

/// JSON as Go's encoder writes it, which also escapes `<`, `>`, `&`, U+2028 and U+2029.
fn go_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// SMD's total order of values: numbers, strings, booleans, lists, maps, null.
fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Bool(_) => 2,
            Value::Array(_) => 3,
            Value::Object(_) => 4,
            Value::Null => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x
                .as_f64()
                .partial_cmp(&y.as_f64())
                .unwrap_or(Ordering::Equal),
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => x
            .iter()
            .zip(y)
            .map(|(x, y)| compare_values(x, y))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        // Maps are never keys or set items of Foo; any consistent order will do.
        (Value::Object(_), Value::Object(_)) => a.to_string().cmp(&b.to_string()),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// A set of field paths, as a tree: `members` are the paths ending here, `children` the
/// paths going deeper (never empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    members: BTreeSet<Element>,
    children: BTreeMap<Element, FieldSet>,
}

impl FieldSet {
    fn new(
        members: BTreeSet<Element>,
        children: impl IntoIterator<Item = (Element, FieldSet)>,
    ) -> Self {
        let children = children
            .into_iter()
            .filter(|(_, c)| !c.is_empty())
            .collect();
        FieldSet { members, children }
    }

    /// The set of the given top-level fields.
    pub fn of_fields(names: &[&str]) -> Self {
        let members = names
            .iter()
            .map(|n| Element::Field(n.to_string()))
            .collect();
        FieldSet::new(members, [])
    }

    pub fn insert(&mut self, path: &[Element]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.is_empty()
    }

    pub fn has_member(&self, element: &Element) -> bool {
        self.members.contains(element)
    }

    /// The paths below `element`, without it.
    pub fn child(&self, element: &Element) -> Option<&FieldSet> {
        self.children.get(element)
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut children = self.children.clone();
        for (element, theirs) in &other.children {
            let merged = match children.get(element) {
                Some(ours) => ours.union(theirs),
                None => theirs.clone(),
            };
            children.insert(element.clone(), merged);
        }
        FieldSet::new(&self.members | &other.members, children)
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let children = self.children.iter().filter_map(|(element, ours)| {
            let theirs = other.children.get(element)?;
            Some((element.clone(), ours.intersection(theirs)))
        });
        FieldSet::new(&self.members & &other.members, children)
    }

    /// The paths of `self` that are not paths of `other` (the paths below them stay).
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let children = self.children.iter().map(|(element, ours)| {
            let rest = match other.children.get(element) {
                Some(theirs) => ours.difference(theirs),
                None => ours.clone(),
            };
            (element.clone(), rest)
        });
        FieldSet::new(&self.members - &other.members, children)
    }

    /// The paths of `self` that are neither paths of `other` nor below one.
    pub fn recursive_difference(&self, other: &FieldSet) -> FieldSet {
        let children = self
            .children
            .iter()
            .filter(|(element, _)| !other.members.contains(element))
            .map(|(element, ours)| {
                let rest = match other.children.get(element) {
                    Some(theirs) => ours.recursive_difference(theirs),
                    None => ours.clone(),
                };
                (element.clone(), rest)
            });
        FieldSet::new(&self.members - &other.members, children)
    }

    /// The set with every object field that has paths below it made a member too (SMD
    /// `EnsureNamedFieldsAreMembers`), so that pruning can remove whole structs.
    pub fn with_named_fields(&self) -> FieldSet {
        let mut members = self.members.clone();
        let mut children = BTreeMap::new();
        for (element, child) in &self.children {
            if matches!(element, Element::Field(_)) {
                members.insert(element.clone());
            }
            children.insert(element.clone(), child.with_named_fields());
        }
        FieldSet { members, children }
    }

    /// Every path, members before the paths going deeper, each group in element order.
    pub fn paths(&self) -> Vec<Vec<Element>> {
        let mut paths: Vec<Vec<Element>> = self.members.iter().map(|m| vec![m.clone()]).collect();
        for (element, child) in &self.children {
            for mut path in child.paths() {
                path.insert(0, element.clone());
                paths.push(path);
            }
        }
        paths
    }

    /// The FieldsV1 object: keys in element order, `"."` first where a node is itself a member.
    pub fn to_fields_v1(&self) -> Value {
        Value::Object(self.emit(false))
    }

    fn emit(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self {
            out.insert(".".into(), Value::Object(Map::new()));
        }
        let elements: BTreeSet<&Element> =
            self.members.iter().chain(self.children.keys()).collect();
        for element in elements {
            let inner = match self.children.get(element) {
                Some(child) => child.emit(self.members.contains(element)),
                None => Map::new(),
            };
            out.insert(element.to_key(), Value::Object(inner));
        }
        out
    }

    pub fn from_fields_v1(fields: &Value) -> Result<FieldSet, String> {
        FieldSet::read(fields).map(|(set, _)| set)
    }

    /// The paths below a FieldsV1 node, and whether the node itself is a member: it is when it
    /// says so with `"."`, or when nothing is below it.
    fn read(node: &Value) -> Result<(FieldSet, bool), String> {
        let Value::Object(map) = node else {
            return Err(format!("expected an object in FieldsV1, found {node}"));
        };
        let mut set = FieldSet::default();
        let mut member = false;
        for (key, value) in map {
            if key == "." {
                member = true;
                continue;
            }
            let Some(element) = Element::from_key(key)? else {
                continue;
            };
            let (below, child_member) = FieldSet::read(value)?;
            if child_member {
                set.members.insert(element.clone());
            }
            if !below.is_empty() {
                let merged = match set.children.remove(&element) {
                    Some(earlier) => earlier.union(&below),
                    None => below,
                };
                set.children.insert(element, merged);
            }
        }
        member |= set.is_empty();
        Ok((set, member))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_v1_round_trips_in_kube_order() {
        let text = r#"{"f:metadata":{"f:finalizers":{".":{},"v:\"b\"":{},"v:\"a<\"":{}},"f:labels":{"f:app":{}}},"f:status":{".":{},"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:type":{}}}},"i:0":{}}"#;
        let set = FieldSet::from_fields_v1(&serde_json::from_str(text).unwrap()).unwrap();
        assert_eq!(
            set.to_fields_v1().to_string(),
            r#"{"f:metadata":{"f:finalizers":{".":{},"v:\"a\\u003c\"":{},"v:\"b\"":{}},"f:labels":{"f:app":{}}},"f:status":{".":{},"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:type":{}}}},"i:0":{}}"#
        );
        let paths: Vec<String> = set.paths().iter().map(|p| path_text(p)).collect();
        assert!(paths.contains(&r#".status.conditions[type="Ready"].type"#.to_string()));
        assert!(paths.contains(&r#".metadata.finalizers[="b"]"#.to_string()));
        assert!(FieldSet::from_fields_v1(&json!({"x": {}})).is_err());
    }

    #[test]
    fn set_operations() {
        let set = |v: Value| FieldSet::from_fields_v1(&v).unwrap();
        let a = set(json!({"f:spec": {".": {}, "f:greeting": {}, "f:suspend": {}}}));
        let b = set(json!({"f:spec": {"f:greeting": {}}}));
        assert_eq!(
            a.difference(&b),
            set(json!({"f:spec": {".": {}, "f:suspend": {}}}))
        );
        assert_eq!(a.intersection(&b), b);
        assert_eq!(b.union(&a), a);
        assert!(
            a.recursive_difference(&set(json!({"f:spec": {}})))
                .is_empty()
        );
        assert_eq!(
            b.with_named_fields(),
            set(json!({"f:spec": {".": {}, "f:greeting": {}}}))
        );
    }
}
