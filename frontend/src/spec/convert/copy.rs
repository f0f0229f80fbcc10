//! Reads a `copy` step. Compiled by `compile::copy`.

use super::reader::{Cx, Fields};
use crate::diag::{Code, Diagnostic};
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};

/// A `copy` step.
pub(crate) const STEP: Table = Table {
    name: "copy-step",
    doc: "Copies files from the build context, a stage, an image or a named context.",
    keys: &[
        Key::req(
            "copy",
            Ty::OneOrMany,
            "The source path or paths; globs allowed.",
        )
        .example(r#"["go.mod", "go.sum"]"#),
        Key::opt(
            "from",
            Ty::Path,
            "A stage, an image reference or a named context; default: the build context.",
        ),
        Key::opt(
            "to",
            Ty::Path,
            "The destination; default: the working directory.",
        ),
        Key::opt("chmod", Ty::Str, "The copied files' mode, in octal.").example(r#""0755""#),
        Key::opt(
            "chown",
            Ty::Path,
            "The copied files' owner: `user[:group]`.",
        )
        .example(r#""app:app""#),
        Key::opt(
            "include",
            Ty::OneOrMany,
            "Only the files matching these globs.",
        ),
        Key::opt(
            "exclude",
            Ty::OneOrMany,
            "Not the files matching these globs.",
        ),
        Key::opt(
            "parents",
            Ty::Bool,
            "Keep the sources' directory structure under `to`.",
        )
        .default("false"),
        Key::opt(
            "link",
            Ty::Bool,
            "Copy into a layer of its own, independent of the stage's base (`COPY --link`).",
        )
        .default("false"),
    ],
    exactly_one_of: &[],
};

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
