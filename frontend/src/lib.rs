//! Stagecraft: a BuildKit frontend that compiles a YAML build spec to LLB.
//!
//! The pipeline, one module per stage: `spec` (YAML → validated model, with
//! diagnostics), `compile` (model + options → LLB), `image` (OCI image config),
//! `gateway` (the LLBBridge session), `build` (orchestration).

pub mod diag;
pub mod spec;
pub mod gateway;
pub mod options;
pub mod image;
pub mod compile;
pub mod build;
pub mod subrequests;
