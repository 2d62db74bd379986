#![deny(missing_docs)]
//! The machinery of a Kubernetes aggregated API server, for any kind: storage (embedded or
//! etcd) with a watch cache in front, a generic registry driven by a kind's [`registry::Strategy`],
//! discovery, OpenAPI, patches and server-side apply, authentication, authorization, audit and
//! the request filters, over TLS.

mod access;
pub mod admission;
pub mod audit;
pub mod authn;
pub mod authz;
mod body;
pub mod builder;
mod discovery;
pub mod docs;
mod filters;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod handlers;
pub mod kubeconfig;
mod memory;
mod metrics;
mod negotiate;
mod offload;
pub mod openapi;
pub mod options;
pub mod pki;
pub mod registry;
pub mod request;
pub mod resource;
mod selector;
mod server;
mod sites;
pub mod status;
pub mod storage;
mod tls;
pub mod validation;

#[cfg(test)]
mod testing;

pub use builder::ApiServer;
