//! Reads `when:` and `unless:` (language 1.1), the keys every step, artifact,
//! stage and `needs` entry takes, and the mapping form of a `needs` entry.
//! A condition is a mapping of variable names to a value or a list of
//! values; booleans and integers are kept in their string form (`true`,
//! `false`, decimal), as the contract compares them.
//!
//! Evaluated by `compile::conditions`, with the build's arguments and
//! platform: this module only reads and checks the shape.

use super::reader::{Cx, Fields};
use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::{CondTerm, Condition, Need};
use crate::spec::raw::{Node, Value};
use crate::spec::validate;

/// The `when` key of a step, an artifact, a stage or a `needs` entry.
pub(crate) const WHEN: Key = Key::opt(
    "when",
    Ty::Condition,
    "Keep this only if every named argument or built-in has the value, or one of the listed values (compared as strings).",
)
.example(r#"{"TARGETARCH": ["amd64", "arm64"]}"#);

/// The `unless` key of a step, an artifact, a stage or a `needs` entry.
pub(crate) const UNLESS: Key = Key::opt(
    "unless",
    Ty::Condition,
    "Leave this out if every named argument or built-in has the value, or one of the listed values; with `when`, both must hold.",
)
.example(r#"{"DEBUG": true}"#);

/// A `needs` entry written as a mapping.
pub(crate) const NEED: Table = Table {
    name: "need",
    doc: "A stage that must build before this one, with a condition.",
    keys: &[
        Key::req(
            "stage",
            Ty::Path,
            "The stage (every instance of a matrix stage).",
        ),
        WHEN,
        UNLESS,
    ],
    exactly_one_of: &[],
};

/// The `when` and `unless` of a mapping whose table has both keys.
pub(super) fn read(cx: &mut Cx<'_>, f: &Fields<'_>) -> Condition {
    let mut read = |key: &str| {
        let terms = terms(cx, f.get(key)?, key)?;
        // Spanned at the key: a flow mapping's span is its first character.
        Some(Spanned::new(
            terms.value,
            f.key_span(key).unwrap_or(terms.span),
        ))
    };
    Condition {
        when: read("when"),
        unless: read("unless"),
    }
}

/// A `needs` entry: a stage name, or `{stage, when, unless}`.
pub(super) fn need(cx: &mut Cx<'_>, node: &Node) -> Option<Need> {
    if !matches!(node.value, Value::Map(_)) {
        return cx.string(node, "needs").map(|stage| Need {
            stage,
            cond: Condition::default(),
        });
    }
    let f = cx.fields(node, "needs", "a `needs` entry", &NEED, &|_| None)?;
    let cond = read(cx, &f);
    let Some(stage) = f.get("stage") else {
        cx.missing(node.span, "stage", "a `needs` entry");
        return None;
    };
    Some(Need {
        stage: cx.string(stage, "stage")?,
        cond,
    })
}

fn terms(cx: &mut Cx<'_>, node: &Node, key: &str) -> Option<Spanned<Vec<CondTerm>>> {
    let Value::Map(entries) = &node.value else {
        cx.wrong_type(node, key, "a mapping of variable names to values");
        return None;
    };
    if entries.is_empty() {
        cx.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("`{key}` names no variable"),
                node.span,
            )
            .with_help(format!("write `{key}: {{NAME: value}}`, or remove `{key}`")),
        );
        return None;
    }
    let mut out: Vec<CondTerm> = Vec::new();
    let before = cx.diags.len();
    for (k, v) in entries {
        let Some(name) = cx.string(k, key) else {
            continue;
        };
        if let Some(first) = out.iter().find(|t| t.name.value == name.value) {
            cx.push(
                Diagnostic::new(
                    Code::DuplicateKey,
                    format!("duplicate variable `{}` in `{key}`", name.value),
                    k.span,
                )
                .with_label(first.name.span, "first named here"),
            );
            continue;
        }
        if let Err(msg) = validate::check_arg_name(&name.value) {
            cx.push(Diagnostic::new(Code::InvalidName, msg, k.span));
            continue;
        }
        let values = match &v.value {
            Value::Seq(items) if items.is_empty() => {
                cx.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("`{}` in `{key}` lists no value", name.value),
                        v.span,
                    )
                    .with_help("list the values that make the condition hold"),
                );
                continue;
            }
            Value::Seq(items) => items.iter().filter_map(|i| value(cx, i, key)).collect(),
            _ => value(cx, v, key).into_iter().collect(),
        };
        out.push(CondTerm { name, values });
    }
    (cx.diags.len() == before).then(|| Spanned::new(out, node.span))
}

/// One value: a scalar in its string form.
fn value(cx: &mut Cx<'_>, node: &Node, key: &str) -> Option<Spanned<String>> {
    match &node.value {
        Value::Bool(b, _) => Some(Spanned::new(b.to_string(), node.span)),
        Value::Int(i, _) => Some(Spanned::new(i.to_string(), node.span)),
        Value::Null | Value::Seq(_) | Value::Map(_) => {
            cx.wrong_type(node, key, "a value or a list of values");
            None
        }
        Value::Str(_) | Value::Float(_) => cx.string(node, key),
    }
}
