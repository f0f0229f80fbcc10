//! Typed, deterministic BuildKit LLB.
//!
//! This crate builds LLB graphs — [`SourceOp`](source), [`ExecOp`](exec),
//! [`FileOp`](file) and [`MergeOp`](merge) vertices connected by [`Output`]s —
//! and marshals them to a `pb::Definition` whose bytes depend only on the graph
//! (see [`marshal`]). It also renders a readable dump of a definition for
//! snapshot tests (see [`dump`]).
//!
//! It is not a frontend: it knows nothing of YAML, specs, the gateway or IO.
//! The protobuf types of `bollard-buildkit-proto` stay behind this API except
//! for the final `Definition`.

pub mod caps;
pub mod definition;
pub mod dump;
pub mod exec;
pub mod file;
pub mod marshal;
pub mod merge;
pub mod op;
pub mod platform;
pub mod reference;
pub mod source;

pub use bollard_buildkit_proto::pb;
pub use exec::{Exec, Mount, NetMode, SecurityMode};
pub use file::{ChownOpt, CopyOptions, FileOp, UserOpt};
pub use marshal::{marshal, MarshalError};
pub use op::{Constraints, OpMeta, Output, SourceLocation, SourceMap, State};
pub use platform::Platform;
