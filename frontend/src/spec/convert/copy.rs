//! Reads a `copy` step. Compiled by `compile::copy`.

use super::reader::{Cx, Fields};
use crate::diag::{Code, Diagnostic};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};

/// The keys of a `copy` step.
pub(crate) const KEYS: &[&str] = &[
    "copy", "from", "to", "chmod", "chown", "include", "exclude", "parents", "link",
];

/// Reads a `copy` step (`value` is the source or sources).
pub(crate) fn read(cx: &mut Cx<'_>, f: &Fields<'_>, value: &Node) -> Option<Copy> {
    let sources = cx.one_or_many(value, "copy", Cx::path);
    if sources.is_empty() && matches!(value.value, Value::Seq(_)) {
        cx.push(Diagnostic::new(
            Code::InvalidValue,
            "`copy` has no sources",
            value.span,
        ));
    }
    let from = cx.opt(f, "from", Cx::path);
    let to = cx.opt(f, "to", Cx::path);
    let chmod = cx.opt(f, "chmod", Cx::file_mode);
    let chown = cx.opt(f, "chown", Cx::chown);
    let include = f
        .get("include")
        .map(|n| cx.one_or_many(n, "include", Cx::expandable))
        .unwrap_or_default();
    let exclude = f
        .get("exclude")
        .map(|n| cx.one_or_many(n, "exclude", Cx::expandable))
        .unwrap_or_default();
    let parents = cx.flag(f, "parents", false);
    let link = cx.flag(f, "link", false);
    Some(Copy {
        sources,
        from,
        to,
        chmod,
        chown,
        include,
        exclude,
        parents,
        link,
    })
}
