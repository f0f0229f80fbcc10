//! Reads a `mkdir` step. Compiled by `compile::mkdir`.

use super::reader::{Cx, Fields};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};

/// The keys of a `mkdir` step.
pub(crate) const KEYS: &[&str] = &["mkdir"];
/// The keys inside its mapping (`mkdir: {path, …}`).
pub(crate) const INNER_KEYS: &[&str] = &["path", "chmod", "chown"];

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
    let f = cx.fields(node, "mkdir", what, INNER_KEYS, &|_| None)?;
    let path = cx.req(&f, "path", what, Cx::path);
    let chmod = cx.opt(&f, "chmod", Cx::file_mode);
    let chown = cx.opt(&f, "chown", Cx::chown);
    Some(Mkdir {
        path: path?,
        chmod,
        chown,
    })
}
