//! Reads a `copy` step. Compiled by `compile::copy`.

use super::defaults::CopyOptions;
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
        super::defaults::STEP_KEY,
        super::condition::WHEN,
        super::condition::UNLESS,
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
    let own = options(cx, f);
    let o = if super::defaults::taken(cx, f) {
        own.over(&cx.defaults.copy)
    } else {
        own
    };
    Some(Copy {
        sources,
        from,
        to: o.to,
        chmod: o.chmod,
        chown: o.chown,
        include: o.include.unwrap_or_default(),
        exclude: o.exclude.unwrap_or_default(),
        parents: o.parents.unwrap_or(false),
        link: o.link.unwrap_or(false),
    })
}

/// A `copy` step's options but its sources and `from`, as written: the
/// step's own, or those of a `defaults.copy`.
pub(crate) fn options(cx: &mut Cx<'_>, f: &Fields<'_>) -> CopyOptions {
    CopyOptions {
        to: cx.opt(f, "to", Cx::path),
        chmod: cx.opt(f, "chmod", Cx::file_mode),
        chown: cx.opt(f, "chown", Cx::chown),
        include: f
            .get("include")
            .map(|n| cx.one_or_many(n, "include", Cx::expandable)),
        exclude: f
            .get("exclude")
            .map(|n| cx.one_or_many(n, "exclude", Cx::expandable)),
        parents: cx.opt(f, "parents", Cx::boolean),
        link: cx.opt(f, "link", Cx::boolean),
    }
}
