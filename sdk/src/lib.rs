//! foo-sdk: the types of the `demo.jeremyxu2010.me/v1beta1` API (`Foo`, `FooBar`) and the
//! `meta.k8s.io` server-side printing types (`Table`), usable with `kube::Api`.
#![deny(missing_docs)]

mod foo;
pub mod table;

pub use foo::{Foo, FooBar, FooSpec, FooStatus};

/// The API group served by foo-apiserver.
pub const GROUP: &str = "demo.jeremyxu2010.me";
/// The only (and preferred) version of the group.
pub const VERSION: &str = "v1beta1";
/// `group/version`, the `apiVersion` of every object of the group.
pub const API_VERSION: &str = "demo.jeremyxu2010.me/v1beta1";
