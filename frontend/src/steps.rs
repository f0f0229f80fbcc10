//! The step kinds: one entry each, with its name, its keys, its reader and
//! its compiler. Every dispatch over step kinds goes through this file: the
//! reader's (by name, [`STEP_KINDS`]) and, on the model, the compiler's and
//! the stage references' (exhaustive matches on [`StepKind`], so a new kind
//! that is not handled does not compile).
//!
//! A kind's reader lives in `spec/convert/<kind>.rs`, its compiler in
//! `compile/<kind>.rs`, its model type in `spec/model.rs`.
//! This module does no reading or compiling of its own.

use crate::compile::{self, Compiler, StageCtx};
use crate::diag::{Diagnostic, Span, Spanned};
use crate::spec::convert::{self as read, Cx, Fields};
use crate::spec::keys::Table;
use crate::spec::model::{CacheMount, RefKind, SecretMount, SshMount, StepKind};
use crate::spec::raw::Node;

/// One step kind, as the reader sees it.
pub(crate) struct StepKindDef {
    /// The key that makes a step of this kind (`- run: …`).
    pub name: &'static str,
    /// "a" or "an", for "a `run` step".
    pub article: &'static str,
    /// Every key a step of this kind may have, its own name included.
    pub table: &'static Table,
    /// The kind's own mapping (`add: {url: …}`), for the hint when one of
    /// its keys is written beside it.
    pub inner: Option<&'static Table>,
    /// Reads the step: the value of the kind key, and the step's other keys.
    pub read: fn(&mut Cx<'_>, &Fields<'_>, &Node) -> Option<StepKind>,
}

/// Every step kind, in the order the docs and messages list them.
pub(crate) const STEP_KINDS: &[StepKindDef] = &[
    StepKindDef {
        name: "run",
        article: "a",
        table: &read::RUN_STEP,
        inner: None,
        read: |cx, f, v| read::read_run(cx, f, v).map(StepKind::Run),
    },
    StepKindDef {
        name: "copy",
        article: "a",
        table: &read::COPY_STEP,
        inner: None,
        read: |cx, f, v| read::read_copy(cx, f, v).map(StepKind::Copy),
    },
    StepKindDef {
        name: "add",
        article: "an",
        table: &read::ADD_STEP,
        inner: Some(&read::ADD_INNER),
        read: |cx, f, v| read::read_add(cx, f, v).map(StepKind::Add),
    },
    StepKindDef {
        name: "mkdir",
        article: "a",
        table: &read::MKDIR_STEP,
        inner: Some(&read::MKDIR_INNER),
        read: |cx, f, v| read::read_mkdir(cx, f, v).map(StepKind::Mkdir),
    },
    StepKindDef {
        name: "write",
        article: "a",
        table: &read::WRITE_STEP,
        inner: None,
        read: |cx, f, v| read::read_write(cx, f, v).map(StepKind::Write),
    },
];

/// The kind named `name`.
pub(crate) fn kind(name: &str) -> Option<&'static StepKindDef> {
    STEP_KINDS.iter().find(|k| k.name == name)
}

/// "`run`, `copy`, `add`, `mkdir` or `write`".
pub(crate) fn names_one_of() -> String {
    let names: Vec<String> = STEP_KINDS.iter().map(|k| format!("`{}`", k.name)).collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl StepKind {
    /// The kind's name, as written in the spec.
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Run(_) => "run",
            StepKind::Copy(_) => "copy",
            StepKind::Add(_) => "add",
            StepKind::Mkdir(_) => "mkdir",
            StepKind::Write(_) => "write",
        }
    }

    /// The `from:` values of the step: stages, images or named contexts it
    /// reads (a copy's source, a run's bind mounts), in spec order.
    pub fn sources(&self) -> Vec<(RefKind, &Spanned<String>)> {
        match self {
            StepKind::Run(r) => r
                .mounts
                .iter()
                .filter_map(|m| m.from.as_ref())
                .map(|f| (RefKind::Mount, f))
                .collect(),
            StepKind::Copy(c) => c.from.iter().map(|f| (RefKind::Copy, f)).collect(),
            StepKind::Add(_) | StepKind::Mkdir(_) | StepKind::Write(_) => Vec::new(),
        }
    }

    /// The secrets, ssh agents and caches the step mounts (for the outline).
    pub fn mounts(&self) -> (&[SecretMount], &[SshMount], &[CacheMount]) {
        match self {
            StepKind::Run(r) => (&r.secrets, &r.ssh, &r.cache),
            StepKind::Copy(_) | StepKind::Add(_) | StepKind::Mkdir(_) | StepKind::Write(_) => {
                (&[], &[], &[])
            }
        }
    }

    /// Compiles the step onto its stage.
    pub(crate) fn compile(
        &self,
        c: &mut Compiler<'_, '_>,
        ctx: &mut StageCtx<'_, '_>,
        span: Span,
    ) -> Result<(), Diagnostic> {
        match self {
            StepKind::Run(r) => compile::run::compile_run(c, ctx, r, span),
            StepKind::Copy(cp) => compile::copy::compile_copy(c, ctx, cp, span),
            StepKind::Add(a) => compile::add::compile_add(ctx, a, span),
            StepKind::Mkdir(m) => compile::mkdir::compile_mkdir(ctx, m, span),
            StepKind::Write(w) => compile::write::compile_write(ctx, w, span),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_lists_its_own_key_and_a_unique_name() {
        for (i, k) in STEP_KINDS.iter().enumerate() {
            assert!(k.table.key(k.name).is_some(), "{}", k.name);
            assert!(
                STEP_KINDS[..i].iter().all(|o| o.name != k.name),
                "{}",
                k.name
            );
        }
        assert_eq!(names_one_of(), "`run`, `copy`, `add`, `mkdir` or `write`");
    }
}
