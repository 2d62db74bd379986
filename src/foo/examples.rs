//! Foo's examples in the API reference, beside the kubectl ones every kind gets: the plugin,
//! and foo-sdk (an example of the SDK's own, which its tests build).

use aggregated_apiserver::docs::Example;

/// A session of `kubectl foo`.
const PLUGIN: &str = "\
kubectl foo create hello --greeting Bonjour --labels team=a
kubectl foo list
kubectl foo bar hello --arg1 you
kubectl foo status hello
kubectl foo suspend hello
kubectl foo delete hello --yes
";

/// The examples shown in Foo's section of the reference.
pub fn examples() -> Vec<Example> {
    vec![
        Example {
            kind: "Foo",
            caption: "kubectl foo (the plugin)".into(),
            code: PLUGIN.into(),
        },
        Example {
            kind: "Foo",
            caption: "Rust, with foo-sdk (sdk/examples/create_and_bar.rs)".into(),
            code: include_str!("../../sdk/examples/create_and_bar.rs").into(),
        },
    ]
}
