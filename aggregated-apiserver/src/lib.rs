#![deny(missing_docs)]
//! The machinery of a Kubernetes aggregated API server, for any kind: storage (embedded or
//! etcd) with a watch cache in front, a generic registry driven by a kind's [`registry::Strategy`],
//! discovery, OpenAPI, patches and server-side apply, authentication, authorization, audit and
//! the request filters, over TLS.

pub mod access;
pub mod admission;
pub mod audit;
pub mod authn;
pub mod authz;
pub mod body;
pub mod builder;
pub mod discovery;
pub mod filters;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod handlers;
pub mod kubeconfig;
pub mod memory;
pub mod metrics;
pub mod negotiate;
pub mod offload;
pub mod openapi;
pub mod options;
pub mod pki;
pub mod registry;
pub mod request;
pub mod resource;
pub mod selector;
pub mod server;
pub mod status;
pub mod storage;
pub mod tls;
pub mod validation;

#[cfg(test)]
mod testing;

pub use builder::ApiServer;
