//! A server under test, as the load generator reaches it: where it listens, how to trust it
//! and prove who we are, what collection it serves and what an object of it looks like, and
//! which process to measure.

use serde_json::{Value, json};

/// The version both Flunder servers are measured in (v1alpha1, the version they store, is
/// deprecated: each of its answers carries a warning).
pub const FLUNDER_API_VERSION: &str = "wardle.example.com/v1beta1";
pub const FLUNDER_NAMESPACE: &str = "default";
/// The Flunders every Flunder server is measured on.
pub const FLUNDERS: &str = "/apis/wardle.example.com/v1beta1/namespaces/default/flunders";

/// The API a collection serves, which decides the bodies written to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `demo.jeremyxu2010.me/v1beta1` Foo (cluster-scoped), or a CRD of the same shape under
    /// another group.
    Foo { api_version: &'static str },
    /// The `wardle.example.com/v1beta1` Flunder (namespaced) of sample-apiserver and
    /// wardle-apiserver, in namespace `default`.
    Flunder,
    /// The static-JSON server: every GET answers the same Foo; nothing can be written.
    Static,
}

impl Shape {
    /// A new object named `name`, about the size of a Foo as users write it.
    pub fn object(&self, name: &str) -> Value {
        let foo = |api_version: &str| {
            json!({
                "apiVersion": api_version,
                "kind": "Foo",
                "metadata": {"name": name, "labels": {"bench": "true", "app": "foo"}},
                "spec": {"greeting": "hello from the benchmark", "suspend": false},
            })
        };
        match self {
            Shape::Foo { api_version } => foo(api_version),
            Shape::Static => foo("demo.jeremyxu2010.me/v1beta1"),
            Shape::Flunder => json!({
                "apiVersion": FLUNDER_API_VERSION,
                "kind": "Flunder",
                "metadata": {
                    "name": name,
                    "namespace": FLUNDER_NAMESPACE,
                    "labels": {"bench": "true", "app": "foo"},
                },
                "spec": {
                    "flunderReference": "hello-from-the-benchmark",
                    "referenceType": "Flunder",
                },
            }),
        }
    }

    /// Whether objects can be created, updated and patched.
    pub fn writable(&self) -> bool {
        !matches!(self, Shape::Static)
    }
}

/// One server under test.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// How tables and plots name it: "foo (embedded)", "sample-apiserver", …
    pub name: String,
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    /// The CA (or self-signed certificate) the serving certificate is checked against.
    pub ca_pem: String,
    /// The name the serving certificate is checked for ("localhost", "127.0.0.1", …).
    pub server_name: String,
    /// The client certificate and key the load generator presents (a user in
    /// `system:masters`, so that no authorization webhook is in the measured path).
    pub client_cert_pem: String,
    pub client_key_pem: String,
    /// The collection's path, e.g. `/apis/demo.jeremyxu2010.me/v1beta1/foos`.
    pub collection: String,
    pub shape: Shape,
    /// The process whose CPU time and RSS are reported (None: not measured, e.g. a server
    /// reached through kube-apiserver).
    pub pid: Option<u32>,
}

impl Endpoint {
    /// The path of one object of the collection.
    pub fn object_path(&self, name: &str) -> String {
        format!("{}/{name}", self.collection)
    }
}
