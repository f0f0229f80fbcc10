//! Reads one entry of a stage's `artifacts`. Compiled by `compile::artifacts`.

use super::reader::Cx;
use crate::spec::model::*;
use crate::spec::raw::Node;

const ARTIFACT_KEYS: &[&str] = &["from", "path", "to", "chmod", "chown", "link"];

pub(super) fn artifact(cx: &mut Cx<'_>, node: &Node) -> Option<Artifact> {
    let what = "an artifact";
    let f = cx.fields(node, "artifacts", what, ARTIFACT_KEYS, &|_| None)?;
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
        span: node.span,
    })
}
