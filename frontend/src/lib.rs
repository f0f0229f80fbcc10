//! Stagecraft: a BuildKit frontend that compiles a YAML build spec to LLB.
//!
//! The pipeline, one module per stage: `spec` (YAML → validated model, with
//! diagnostics), `compile` (model + options → LLB), `image` (OCI image config),
//! `gateway` (the LLBBridge session), `build` (orchestration); `timings` (phase times for the daemon log).

pub mod build;
pub mod compile;
pub mod diag;
pub mod dockerfile;
pub mod gateway;
pub mod image;
pub mod lock;
pub mod lsp;
pub mod options;
pub mod progress;
pub mod sbom;
pub mod spec;
pub mod stage_graph;
pub(crate) mod steps;
pub mod subrequests;
pub mod timings;
pub mod version;
