//! The spec: YAML text → validated, typed [`model::Spec`], or every diagnostic.
//!
//! The pipeline, one module per stage:
//! - [`raw`]: YAML text → a tree of spanned nodes (serde-saphyr, with limits);
//! - `convert`: nodes → model, reporting unknown keys, missing keys and wrong types;
//! - [`validate`]: the rules (value checks, and the cross-stage checks: `target`,
//!   `needs`, `from` references, cycles);
//! - [`vars`]: `${...}` expansion, which `compile` applies to the model's values.
//!
//! This module does NOT expand variables, resolve images or know about LLB:
//! the model it returns is the input of `compile`.

mod braces;
pub mod model;
pub mod raw;
pub mod validate;
pub mod vars;

mod convert;

pub use model::*;

use crate::diag::Diagnostic;

/// Parse and validate a spec. On failure, returns every error found (sorted
/// by position; warnings included), never just the first.
pub fn parse(src: SourceFile) -> Result<Spec, Vec<Diagnostic>> {
    let root = match raw::parse_yaml(&src) {
        Ok(root) => root,
        Err(d) => return Err(vec![d]),
    };
    let mut cx = convert::Cx {
        src: &src,
        diags: Vec::new(),
    };
    let draft = convert::convert(&root, &mut cx);
    validate::validate(&draft, &mut cx);
    let mut diags = cx.diags;
    diags.sort_by_key(|d| (d.span.offset, d.span.line, d.span.col));
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let (Some(version_span), false) = (draft.version_span, draft.stages.is_empty()) else {
        // Unreachable in practice: a missing version or no stages is an error above.
        return Err(diags);
    };
    let mut stage_index = std::collections::BTreeMap::new();
    for (i, stage) in draft.stages.iter().enumerate() {
        // The first of duplicate names wins (duplicates are errors above).
        stage_index.entry(stage.name.value.clone()).or_insert(i);
    }
    Ok(Spec {
        stage_index,
        source: src,
        version_span,
        args: draft.args,
        stages: draft.stages,
        target: draft.target,
        warnings: diags,
    })
}
