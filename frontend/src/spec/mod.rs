//! The spec: YAML text → validated, typed [`model::Spec`], or every diagnostic.
//!
//! The pipeline, one module per stage:
//! - [`raw`]: YAML text → a tree of spanned nodes (serde-saphyr, with limits);
//! - `convert`: nodes → model, reporting unknown keys, missing keys and wrong types;
//! - [`validate`]: the value rules (also used by `compile` after expansion);
//! - `graph`: the cross-stage checks (`target`, `needs`, `from` references, cycles);
//! - `lint`: rules that warn about a valid spec (one file each);
//! - [`vars`]: `${...}` expansion, which `compile` applies to the model's values.
//!
//! This module does NOT expand variables, resolve images or know about LLB:
//! the model it returns is the input of `compile`.

mod braces;
pub(crate) mod graph;
pub mod imports;
pub mod keys;
mod lint;
pub mod model;
pub mod raw;
pub mod schema;
pub mod validate;
pub mod vars;

pub(crate) mod convert;

pub use model::*;

pub use crate::diag::SourceFile;
use crate::diag::{Code, Diagnostic};

/// The spec file from its bytes, as read (at most [`raw::MAX_SPEC_BYTES`] + 1
/// of them: readers stop there). The second value is the reason the bytes
/// cannot be a spec: too large, or not UTF-8 (the diagnostic then points at
/// the line and column of the first invalid byte, in a lossy copy of the text
/// kept for rendering).
pub fn decode(name: String, bytes: Vec<u8>) -> (SourceFile, Option<Diagnostic>) {
    if bytes.len() > raw::MAX_SPEC_BYTES {
        let head = String::from_utf8_lossy(bytes.get(..200).unwrap_or(&bytes)).into_owned();
        let src = SourceFile::new(name, head);
        let d = Diagnostic::new(
            Code::YamlLimit,
            format!(
                "the spec is larger than {} MiB ({} bytes), the largest spec accepted",
                raw::MAX_SPEC_BYTES >> 20,
                raw::MAX_SPEC_BYTES
            ),
            src.span_at(0, 0),
        )
        .with_help("a build spec is small: split generated content into files the steps copy");
        return (src, Some(d));
    }
    match String::from_utf8(bytes) {
        Ok(text) => (SourceFile::new(name, text), None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bad = e.as_bytes().get(at).copied().unwrap_or(0);
            let src = SourceFile::new(name, String::from_utf8_lossy(e.as_bytes()).into_owned());
            // The lossy copy is the same up to `at`: the offset is exact there.
            let d = Diagnostic::new(
                Code::InvalidUtf8,
                format!("the spec is not valid UTF-8: byte 0x{bad:02x} at offset {at}"),
                src.span_at(at, 1),
            )
            .with_help("save the file as UTF-8");
            (src, Some(d))
        }
    }
}

/// Parse and validate a spec. On failure, returns every error found (sorted
/// by position; warnings included), never just the first.
pub fn parse(src: SourceFile) -> Result<Spec, Vec<Diagnostic>> {
    parse_with_contexts(src, &std::collections::BTreeSet::new())
}

/// [`parse`] for a build with these named contexts (`--build-context
/// NAME=…`): a `from` naming one of them is no typo of a stage name.
pub fn parse_with_contexts(
    src: SourceFile,
    contexts: &std::collections::BTreeSet<String>,
) -> Result<Spec, Vec<Diagnostic>> {
    parse_for_build(src, contexts, None)
}

/// [`parse_with_contexts`] with the lint configuration a build passes
/// (`BUILDKIT_DOCKERFILE_CHECK`, which wins over the spec's `# check=`).
pub fn parse_for_build(
    src: SourceFile,
    contexts: &std::collections::BTreeSet<String>,
    check: Option<&str>,
) -> Result<Spec, Vec<Diagnostic>> {
    let Analysis { draft, diags, .. } = analyse(&src, contexts, check);
    let Some(draft) = draft else {
        return Err(diags);
    };
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
        matrices: draft.matrices,
        imports: draft.imports,
        units: Vec::new(),
        warnings: diags,
    })
}

/// What the lint rules that need the build found (`compile::lint`), as the
/// check configuration wants them: skipped, experimental or errors with
/// `error=true`, as [`parse_for_build`] treats the spec's own rules. (A bad
/// configuration failed the parse already; the default one applies here.)
pub fn apply_check(
    src: &SourceFile,
    check: Option<&str>,
    found: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    lint::config::resolve(src, check)
        .unwrap_or_default()
        .apply(found)
}

/// Everything known about a spec, valid or not: its tree (unless the YAML
/// is broken), the stages that could be read, and every diagnostic, sorted
/// by position. The language server works on this; builds on [`Spec`].
pub(crate) struct Analysis {
    pub root: Option<raw::Node>,
    pub draft: Option<convert::Draft>,
    pub diags: Vec<Diagnostic>,
}

/// Reads, checks and lints a spec, keeping whatever could be read.
pub(crate) fn analyse(
    src: &SourceFile,
    contexts: &std::collections::BTreeSet<String>,
    check: Option<&str>,
) -> Analysis {
    let root = match raw::parse_yaml(src) {
        Ok(root) => root,
        Err(d) => {
            return Analysis {
                root: None,
                draft: None,
                diags: vec![d],
            }
        }
    };
    let mut cx = convert::Cx {
        src,
        diags: Vec::new(),
        defaults: Default::default(),
    };
    let draft = convert::convert(&root, &mut cx);
    graph::check(&draft, contexts, &mut cx);
    let before = cx.diags.len();
    lint::lint(&draft, &mut cx);
    // What the rules found, as the check configuration wants it (a bad
    // configuration is an error, and the default one applies).
    let found = cx.diags.split_off(before);
    match lint::config::resolve(src, check) {
        Ok(cfg) => cx.diags.extend(cfg.apply(found)),
        Err(d) => {
            cx.diags
                .extend(lint::config::CheckConfig::default().apply(found));
            cx.diags.push(d);
        }
    }
    let mut diags = cx.diags;
    diags.sort_by_key(|d| (d.span.offset, d.span.line, d.span.col));
    // The instances of a matrix stage (language 1.1) share its values: a
    // finding about one of them is reported once, not once per instance.
    let mut seen = std::collections::BTreeSet::new();
    diags.retain(|d| seen.insert((d.span.offset, d.span.len, d.code, d.message.clone())));
    Analysis {
        root: Some(root),
        draft: Some(draft),
        diags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_context_is_no_typo_of_a_stage_name() {
        let text = "version: 1\nstages:\n  out:\n    from: scratch\n    steps:\n      - copy: /a\n        from: sub\n";
        let src = || SourceFile::new("s.yaml".to_owned(), text.to_owned());
        let typo = parse(src()).map(|_| ()).unwrap_err();
        assert!(typo.iter().any(|d| d.code == "unknown-stage"), "{typo:?}");
        let contexts = std::collections::BTreeSet::from(["sub".to_owned()]);
        assert!(parse_with_contexts(src(), &contexts).is_ok());
    }
}
