//! Reads a `mkdir` step. Compiled by `compile::mkdir`.

use super::reader::{Cx, Fields};
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};

/// A `mkdir` step.
pub(crate) const STEP: Table = Table {
    name: "mkdir-step",
    doc: "Creates a directory, and its parents.",
    keys: &[
        Key::req(
            "mkdir",
            Ty::PathOr(&INNER),
            "The directory: a path, or `{path, chmod, chown}`.",
        ),
        super::condition::WHEN,
        super::condition::UNLESS,
    ],
    exactly_one_of: &[],
};

/// The mapping of a `mkdir` step (`mkdir: {path, …}`).
pub(crate) const INNER: Table = Table {
    name: "mkdir",
    doc: "A directory to create.",
    keys: &[
        Key::req("path", Ty::Path, "The directory."),
        Key::opt("chmod", Ty::Str, "Its mode, in octal."),
        Key::opt("chown", Ty::Path, "Its owner: `user[:group]`."),
    ],
    exactly_one_of: &[],
};

/// Reads a `mkdir` step (`node` is its path or mapping).
pub(crate) fn read(cx: &mut Cx<'_>, _: &Fields<'_>, node: &Node) -> Option<Mkdir> {
    if !matches!(node.value, Value::Map(_)) {
        let path = cx.path(node, "mkdir")?;
        return Some(Mkdir {
            path,
            chmod: None,
            chown: None,
        });
    }
    let what = "a `mkdir` step";
    let f = cx.fields(node, "mkdir", what, &INNER, &|_| None)?;
    let path = cx.req(&f, "path", what, Cx::path);
    let chmod = cx.opt(&f, "chmod", Cx::file_mode);
    let chown = cx.opt(&f, "chown", Cx::chown);
    Some(Mkdir {
        path: path?,
        chmod,
        chown,
    })
}
