//! The spec's tree seen through the key tables: every key node of the
//! document with the table entry it is (for hover), found by walking the
//! tree from the top level's table the way the reader does.
//!
//! It knows only shapes; stage and variable references are in `navigate`.

use crate::spec::keys::{Key, Table, Ty};
use crate::spec::raw::{Node, Value};
use crate::steps::STEP_KINDS;

/// A key of the document and what it is.
#[derive(Clone, Copy)]
pub(super) struct KeyNode<'n> {
    pub node: &'n Node,
    pub key: &'static Key,
}

/// Every known key in the document under `root`, in document order.
pub(super) fn keys(root: &Node) -> Vec<KeyNode<'_>> {
    let mut out = Vec::new();
    table(root, &crate::spec::convert::TOP, &mut out);
    out
}

fn table<'n>(node: &'n Node, t: &'static Table, out: &mut Vec<KeyNode<'n>>) {
    let Value::Map(entries) = &node.value else {
        return;
    };
    for (k, v) in entries {
        if let Some(key) = k.as_key().and_then(|name| t.key(name)) {
            out.push(KeyNode { node: k, key });
            value(v, &key.ty, out);
        }
    }
}

fn value<'n>(node: &'n Node, ty: &Ty, out: &mut Vec<KeyNode<'n>>) {
    match ty {
        Ty::Table(t) | Ty::PathOr(t) | Ty::NoneOr(t) => table(node, t, out),
        Ty::List(item) => {
            if let Value::Seq(items) = &node.value {
                for i in items {
                    value(i, item, out);
                }
            }
        }
        Ty::Args(t) | Ty::Stages(t) | Ty::Imports(t) => {
            if let Value::Map(entries) = &node.value {
                for (_, v) in entries {
                    table(v, t, out);
                }
            }
        }
        Ty::Steps => {
            if let Value::Seq(items) = &node.value {
                for i in items {
                    if let Some(kind) = step_kind(i) {
                        table(i, kind, out);
                    }
                }
            }
        }
        Ty::Version
        | Ty::Str
        | Ty::Path
        | Ty::Bool
        | Ty::UInt
        | Ty::Command
        | Ty::Strings
        | Ty::OneOrMany
        | Ty::KeyValues
        | Ty::Choice(_)
        | Ty::Condition
        | Ty::Matrix => {}
    }
}

/// The table of a step, by its (first) kind key.
fn step_kind(item: &Node) -> Option<&'static Table> {
    let Value::Map(entries) = &item.value else {
        return None;
    };
    entries.iter().find_map(|(k, _)| {
        let name = k.as_key()?;
        STEP_KINDS.iter().find(|d| d.name == name).map(|d| d.table)
    })
}

/// The key whose name covers byte `offset`.
pub(super) fn key_at(root: &Node, offset: usize) -> Option<KeyNode<'_>> {
    keys(root)
        .into_iter()
        .find(|k| k.node.span.range().contains(&offset))
}
