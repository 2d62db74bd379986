//! YAML as Kubernetes writes it.
//!
//! kubectl's `-o yaml` and kube-apiserver's `application/yaml` responses both go through
//! `sigs.k8s.io/yaml`: the object is written as JSON, read back as plain maps and lists, and
//! emitted by go-yaml v2. That fixes everything a reader can see: keys sorted in go-yaml's
//! natural order (`app9` before `app10`), sequences in a mapping not indented, strings plain
//! where YAML 1.1 would read them as strings, single-quoted when a plain scalar would be
//! misread (`'a: b'`), double-quoted when they hold what only escapes can write or would
//! resolve to another type (`"true"`, `"2024-01-02"`), literal blocks for several lines, and
//! long scalars folded at spaces past column 80.
//!
//! This crate writes a JSON value the same way, so that YAML from Rust matches the Go
//! programs' byte for byte.
//!
//! ```
//! let foo = serde_json::json!({
//!     "metadata": {"name": "hello", "labels": {"app10": "x", "app9": "y"}},
//!     "spec": {"greeting": "Hi: there", "ports": [80, 443], "on": "yes"},
//! });
//! assert_eq!(
//!     kube_yaml::from_json(&foo),
//!     "metadata:\n  labels:\n    app9: \"y\"\n    app10: x\n  name: hello\n\
//!      spec:\n  greeting: 'Hi: there'\n  \"on\": \"yes\"\n  ports:\n  - 80\n  - 443\n"
//! );
//! ```

mod emitter;
mod order;
mod scalar;

use serde::Serialize;
use serde_json::Value;

/// Writes `value` as sigs.k8s.io/yaml writes the same JSON.
///
/// ```
/// assert_eq!(kube_yaml::from_json(&serde_json::json!({"a": []})), "a: []\n");
/// ```
pub fn from_json(value: &Value) -> String {
    emitter::document(value)
}

/// Serializes `value` to JSON, then writes that as sigs.k8s.io/yaml does.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Spec {
///     greeting: String,
/// }
/// let yaml = kube_yaml::to_string(&Spec { greeting: "Hello".into() }).unwrap();
/// assert_eq!(yaml, "greeting: Hello\n");
/// ```
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    Ok(from_json(&serde_json::to_value(value)?))
}
