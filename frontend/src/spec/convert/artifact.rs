//! Reads one entry of a stage's `artifacts`. Compiled by `compile::artifacts`.

use super::reader::Cx;
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::Node;

/// An entry of `artifacts`.
pub(crate) const ARTIFACT: Table = Table {
    name: "artifact",
    doc: "Files this stage takes from a stage, an image or a named context, after its steps.",
    keys: &[
        Key::req("from", Ty::Path, "A stage, an image reference or a named context.").example(r#""build""#),
        Key::req("path", Ty::Path, "The path in `from`; a glob is allowed.").example(r#""/out/app""#),
        Key::opt("to", Ty::Path, "The destination; default: the working directory."),
        Key::opt("chmod", Ty::Str, "The files' mode, in octal."),
        Key::opt("chown", Ty::Path, "The files' owner: `user[:group]`."),
        Key::opt(
            "link",
            Ty::Bool,
            "Copy into a layer of its own, independent of the stage's base: changing the base does not copy it again.",
        )
        .default("true"),
        super::condition::WHEN,
        super::condition::UNLESS,
    ],
    exactly_one_of: &[],
};

pub(super) fn artifact(cx: &mut Cx<'_>, node: &Node) -> Option<Artifact> {
    let what = "an artifact";
    let f = cx.fields(node, "artifacts", what, &ARTIFACT, &|_| None)?;
    let from = cx.req(&f, "from", what, Cx::path);
    let path = cx.req(&f, "path", what, Cx::path);
    let to = cx.opt(&f, "to", Cx::path);
    let chmod = cx.opt(&f, "chmod", Cx::file_mode);
    let chown = cx.opt(&f, "chown", Cx::chown);
    let link = cx.flag(&f, "link", true);
    Some(Artifact {
        from: from?,
        path: path?,
        to,
        chmod,
        chown,
        link,
        cond: super::condition::read(cx, &f),
        span: node.span,
    })
}
