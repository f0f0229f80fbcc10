//! What a compiled build uses that the engine supplies or checks only when
//! it builds: secrets and ssh agents of the client, entitlements, and paths
//! read from other stages, each with the expanded value and the YAML value
//! that names it. `build::failures` words an engine failure about one of
//! them at that value.
//!
//! This module records; it decides nothing about the build.

use crate::diag::Span;

/// Which entitlement a step needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entitlement {
    NetworkHost,
    SecurityInsecure,
}

impl Entitlement {
    /// The name BuildKit and `--allow` use.
    pub fn name(self) -> &'static str {
        match self {
            Self::NetworkHost => "network.host",
            Self::SecurityInsecure => "security.insecure",
        }
    }
}

/// How a path is read from another stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    Copy,
    Artifact,
}

/// One use, with the span of the value that names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Use {
    /// A `secrets:` entry with `required: true`.
    Secret { id: String, at: Span },
    /// An `ssh:` entry with `required: true`.
    Ssh { id: String, at: Span },
    /// A `network: host` or `security: insecure` step; `at` is `None`
    /// when the `--network host` option set it.
    Entitlement { what: Entitlement, at: Option<Span> },
    /// A literal path a `copy` or an artifact reads from `from` (expanded:
    /// a stage, an image or a named context).
    StagePath {
        reading: Reading,
        from: String,
        path: String,
        at: Span,
    },
}
