//! `copy-ignored-file`: a `copy` from the build context names a path the
//! ignore file excludes (the Dockerfile frontend's `CopyIgnoredFile`). The
//! engine never sends that path, so the copy fails with "not found", or
//! copies a directory without the excluded part.
//!
//! Not checked: sources with glob characters (what they match is known to
//! the engine only), copies `from:` anything but the build context.

use crate::compile::ignore;
use crate::diag::{Code, Diagnostic, Spanned};

/// The finding for `source` (as written), expanded to `path`, with the
/// ignore file's `patterns`.
pub(crate) fn check(
    patterns: &[String],
    source: &Spanned<String>,
    path: &str,
    ignore_file: &str,
) -> Option<Diagnostic> {
    if patterns.is_empty() || path.contains(['*', '?', '[']) {
        return None;
    }
    let relative = path.trim_start_matches("./").trim_start_matches('/');
    if relative.is_empty() || !ignore::excluded(patterns, relative) {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::CopyIgnoredFile,
            format!("`copy: {path}` names a path that {ignore_file} excludes: the build context does not have it"),
            source.span,
        )
        .with_help(format!(
            "remove the pattern that matches `{relative}` from {ignore_file}, or add `!{relative}` after it"
        )),
    )
}
