//! Reads a `write` step (language 1.1). Compiled by `compile::write`.

use super::reader::{Cx, Fields};
use crate::diag::Spanned;
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};

/// A `write` step.
pub(crate) const STEP: Table = Table {
    name: "write-step",
    doc: "Writes a file from inline text (a Dockerfile's `COPY <<EOF`); its parents are created.",
    keys: &[
        Key::req(
            "write",
            Ty::Path,
            "The file to write; relative paths are taken from the working directory.",
        )
        .example(r#""/etc/app/app.conf""#),
        Key::req(
            "content",
            Ty::Str,
            "The file's content, byte for byte as YAML gives it (`|` keeps the final newline).",
        ),
        Key::opt("chmod", Ty::Str, "The file's mode, in octal.")
            .default(r#""0644""#)
            .example(r#""0755""#),
        Key::opt("chown", Ty::Path, "The file's owner: `user[:group]`.").example(r#""app:app""#),
        Key::opt(
            "expand",
            Ty::Bool,
            "Expand `${…}` in `content` as in other values.",
        )
        .default("false"),
        super::condition::WHEN,
        super::condition::UNLESS,
    ],
    exactly_one_of: &[],
};

/// Reads a `write` step (`value` is its path).
pub(crate) fn read(cx: &mut Cx<'_>, f: &Fields<'_>, value: &Node) -> Option<Write> {
    let path = cx.path(value, "write");
    let content = cx.req(f, "content", "a `write` step", content);
    let chmod = cx.opt(f, "chmod", Cx::file_mode);
    let chown = cx.opt(f, "chown", Cx::chown);
    let expand = cx.flag(f, "expand", false);
    let content = content?;
    if expand && !cx.syntax_ok(&content) {
        return None;
    }
    Some(Write {
        path: path?,
        content,
        chmod,
        chown,
        expand,
    })
}

/// The content: any string (a NUL included: a file may hold one); a
/// number or boolean gives its source text, as other strings do.
fn content(cx: &mut Cx<'_>, node: &Node, key: &str) -> Option<Spanned<String>> {
    match &node.value {
        Value::Str(s) => Some(Spanned::new(s.clone(), node.span)),
        Value::Int(_, t) | Value::Float(t) | Value::Bool(_, t) => {
            Some(Spanned::new(t.clone(), node.span))
        }
        Value::Null | Value::Seq(_) | Value::Map(_) => {
            cx.wrong_type(node, key, "a string");
            None
        }
    }
}
