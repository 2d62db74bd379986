//! # foo-sdk
//!
//! The typed Rust SDK of the `demo.jeremyxu2010.me/v1beta1` API served by
//! [foo-apiserver](https://github.com/jeremyxu2010/foo-apiserver): the [`Foo`] kind
//! (cluster-scoped, with the `status` and `bar` subresources) and server-side printing.
//!
//! It builds on [kube](https://docs.rs/kube) and goes where kube stops: server-side
//! printing ([`Table`](table::Table)), the connect-style `bar` subresource, discovery of the
//! group, and errors you can `match` on.
//!
//! ## Types
//!
//! [`Foo`], [`FooSpec`], [`FooStatus`] and [`FooBar`] serialize exactly as the server
//! expects (with `apiVersion` and `kind`) and implement [`kube::Resource`] with cluster
//! scope, so they work with `kube::Api`, `kube::runtime::watcher` and `Controller` too.
//!
//! ```
//! use foo_sdk::{Foo, FooSpec};
//!
//! let foo = Foo::new("hello", FooSpec::new("Bonjour"));
//! let json = serde_json::to_value(&foo).unwrap();
//! assert_eq!(json["apiVersion"], "demo.jeremyxu2010.me/v1beta1");
//! assert_eq!(json["kind"], "Foo");
//! assert_eq!(json["spec"]["greeting"], "Bonjour");
//! ```
//!
//! ## The client
//!
//! [`FooApi`] wraps a [`kube::Client`]. Every call returns [`Result`], whose [`Error`]
//! keeps the server's `Status` and names its [`Reason`]:
//!
//! ```no_run
//! # #[cfg(feature = "client")] mod doc {
//! use foo_sdk::{BarParams, Foo, FooApi, FooSpec, PostParams, Reason};
//!
//! # async fn run() -> foo_sdk::Result<()> {
//! let foos = FooApi::try_default().await?; // KUBECONFIG, ~/.kube/config or in-cluster
//! match foos.create(&PostParams::default(), &Foo::new("hello", FooSpec::default())).await {
//!     Ok(foo) => println!("created {}", foo.name()),
//!     Err(e) if e.reason() == Some(Reason::AlreadyExists) => println!("already there"),
//!     Err(e) => return Err(e),
//! }
//! let answer = foos.bar("hello", &BarParams::new("world")).await?;
//! println!("{}", answer.message); // "Hello, world"
//! # Ok(())
//! # }
//! # }
//! ```
//!
//! | | |
//! |---|---|
//! | reads | [`get`](FooApi::get), [`get_opt`](FooApi::get_opt), [`list`](FooApi::list), [`list_all`](FooApi::list_all) |
//! | writes | [`create`](FooApi::create), [`replace`](FooApi::replace), [`patch`](FooApi::patch), [`apply`](FooApi::apply) (server-side apply), [`delete`](FooApi::delete), [`delete_collection`](FooApi::delete_collection) |
//! | status | [`get_status`](FooApi::get_status), [`patch_status`](FooApi::patch_status), [`replace_status`](FooApi::replace_status), [`apply_status`](FooApi::apply_status) |
//! | bar | [`bar`](FooApi::bar) with [`BarParams`] → [`FooBar`] |
//! | printing | [`table`](FooApi::table), [`table_with`](FooApi::table_with), [`table_page`](FooApi::table_page), [`get_table`](FooApi::get_table) → [`Table`](table::Table) |
//! | watching | [`watch`](FooApi::watch) → [`FooEvent`]s; [`watch_one`](FooApi::watch_one) for one Foo from now; [`watcher`](FooApi::watcher) (`runtime` feature) with [`watcher::WatchStreamExt`] |
//! | waiting | [`wait_for`](FooApi::wait_for) a condition, [`wait_ready`](FooApi::wait_ready) |
//! | discovery | [`discovery::discover`] and friends, [`FooApi::discover`], [`FooApi::is_served`] |
//!
//! [`FooApi::api`] gives the underlying `kube::Api<Foo>` for anything else.
//!
//! ## Server-side printing
//!
//! ```no_run
//! # #[cfg(feature = "client")] mod doc {
//! use foo_sdk::table::FooRow;
//! use foo_sdk::{FooApi, ListParams};
//!
//! # async fn run(foos: FooApi) -> foo_sdk::Result<()> {
//! // Every page is fetched (50 rows at a time) and merged into one Table.
//! let table = foos.table(&ListParams::default().limit(50)).await?;
//! print!("{}", table.to_text(false)); // as `kubectl get foos` prints it
//! // The server's columns as typed fields.
//! for foo in FooRow::from_table(&table).expect("the server's Foo columns") {
//!     println!("{}: {} bars, Ready {}", foo.name, foo.bars, foo.ready);
//! }
//! for row in &table.rows {
//!     let meta = row.partial_object().expect("rows carry their metadata");
//!     let meta = meta.map_err(foo_sdk::Error::Decode)?;
//!     println!("{:?} created {:?}", meta.metadata.name, meta.metadata.creation_timestamp);
//! }
//! # Ok(())
//! # }
//! # }
//! ```
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `client` | yes | [`FooApi`], [`Error`], [`discovery`]: the client on `kube::Client` (rustls with ring) |
//! | `runtime` | yes | [`FooApi::watcher`] on `kube::runtime` |
//! | `schema` | no | `schemars::JsonSchema` for the types |
//!
//! With `default-features = false` the crate holds the types alone, with no I/O: no HTTP
//! client, no tokio.
//!
//! Like every library built on `k8s-openapi`, foo-sdk leaves the choice of the Kubernetes
//! version to the final binary: enable one version feature of `k8s-openapi` there
//! (`k8s-openapi = { version = "0.29", default-features = false, features = ["std", "latest"] }`).
//!
//! ## Examples
//!
//! `sdk/examples/` holds `list`, `create_and_bar`, `watch`, `wait_ready` and `table`. Run them
//! against a local server:
//!
//! ```sh
//! foo-apiserver local --data-dir /tmp/foo &        # writes /tmp/foo/kubeconfig
//! KUBECONFIG=/tmp/foo/kubeconfig cargo run -p foo-sdk --example create_and_bar
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The guide links to the client, which a types-only build leaves out.
#![cfg_attr(not(feature = "client"), allow(rustdoc::broken_intra_doc_links))]

pub mod age;
mod foo;
pub mod table;
mod wire;

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod discovery;
#[cfg(feature = "client")]
mod error;

pub use foo::{Foo, FooBar, FooSpec, FooStatus};
/// What the rows of a Table carry: beside the other request parameters.
#[doc(no_inline)]
pub use table::IncludeObject;

#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub use client::{BarParams, Bookmark, DEFAULT_FIELD_MANAGER, Deletion, FooApi, FooEvent};
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub use error::{ApiError, Error, Reason, Result};

/// The request parameters of [`FooApi`]'s methods, re-exported from kube so that callers
/// need not depend on it (or match its version) themselves.
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
#[doc(no_inline)]
pub use kube::api::{
    DeleteParams, ListParams, ObjectList, Patch, PatchParams, PostParams, Preconditions,
    PropagationPolicy, ValidationDirective, VersionMatch, WatchParams,
};

/// The `kube::Client` that [`FooApi`] is built on.
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
#[doc(no_inline)]
pub use kube::Client;

/// The `Status` kept by [`ApiError`], with its details and causes.
#[doc(no_inline)]
pub use kube::core::response::{Status, StatusCause, StatusDetails};

/// The `kube::runtime::watcher` types used by [`FooApi::watcher`], and the extension trait
/// of its stream, so that a program needs no `kube` dependency of its own for them.
///
/// ```no_run
/// use foo_sdk::watcher::{self, WatchStreamExt};
/// use foo_sdk::FooApi;
/// use futures::TryStreamExt;
///
/// # async fn run(foos: FooApi) -> Result<(), watcher::Error> {
/// let mut changed = Box::pin(foos.watcher(watcher::Config::default()).default_backoff().applied_objects());
/// while let Some(foo) = changed.try_next().await? {
///     println!("{} has {} bars", foo.name(), foo.bar_count());
/// }
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
pub mod watcher {
    #[doc(no_inline)]
    pub use kube::runtime::WatchStreamExt;
    #[doc(no_inline)]
    pub use kube::runtime::watcher::{Config, Error, Event, InitialListStrategy, ListSemantic};
}

/// The crates whose types appear in this crate's API, re-exported so that callers can use
/// the very versions foo-sdk was built with.
pub mod deps {
    #[doc(no_inline)]
    pub use k8s_openapi;
    #[doc(no_inline)]
    pub use kube;
    #[cfg(feature = "schema")]
    #[cfg_attr(docsrs, doc(cfg(feature = "schema")))]
    #[doc(no_inline)]
    pub use schemars;
}

/// The API group served by foo-apiserver.
pub const GROUP: &str = "demo.jeremyxu2010.me";
/// The only (and preferred) version of the group.
pub const VERSION: &str = "v1beta1";
/// `group/version`, the `apiVersion` of every object of the group.
pub const API_VERSION: &str = "demo.jeremyxu2010.me/v1beta1";
/// The kind of [`Foo`].
pub const KIND: &str = "Foo";
/// The plural resource name of [`Foo`], as in URLs (`/apis/<group>/<version>/foos`).
pub const PLURAL: &str = "foos";
/// The singular resource name of [`Foo`].
pub const SINGULAR: &str = "foo";
/// The short name of [`Foo`] (`kubectl get fo`).
pub const SHORT_NAME: &str = "fo";
/// The kind that the `bar` subresource answers with ([`FooBar`]).
pub const BAR_KIND: &str = "FooBar";
/// The name of the connect-style subresource that [`FooApi::bar`] calls.
pub const BAR_SUBRESOURCE: &str = "bar";
/// The greeting the server fills in when `spec.greeting` is empty.
pub const DEFAULT_GREETING: &str = "Hello";
/// The `arg1` the server uses when `bar` is called without one.
pub const DEFAULT_ARG1: &str = "world";
/// The type of the condition that the controller keeps in [`FooStatus::conditions`].
pub const CONDITION_READY: &str = "Ready";
/// The `Ready` condition's reason for an active Foo (status `True`).
pub const REASON_RECONCILED: &str = "Reconciled";
/// The `Ready` condition's reason for a suspended Foo (status `False`).
pub const REASON_SUSPENDED: &str = "Suspended";
