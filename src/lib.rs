pub mod cli;
pub mod controller;
pub mod foo;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod manifests;
pub mod run;
