//! Reads `matrix:` (language 1.1) and makes a matrix stage's instances: one
//! stage per combination of the listed values (in the order the keys are
//! written, the first key varying slowest), less the combinations an
//! `exclude` entry matches, each named `<stage>-<value>-<value>…` and
//! carrying its values as fixed stage arguments ([`Instance`]).
//!
//! Not here: a `needs` entry naming the matrix stage (every instance) and
//! the errors for its bare name elsewhere, which need every stage read
//! (`super::expand_matrix_needs` and `spec::graph`).

use super::reader::Cx;
use crate::diag::{Code, Diagnostic, Span, Spanned};
use crate::spec::model::{Instance, KeyValues, Stage};
use crate::spec::raw::{Node, Value};
use crate::spec::validate;

/// The most instances one matrix stage may have.
pub(crate) const MAX_INSTANCES: usize = 256;

/// A stage's `matrix:` as written.
pub(crate) struct Matrix {
    /// Each variable with its values, in the order written.
    vars: Vec<(Spanned<String>, Vec<Spanned<String>>)>,
    /// Each `exclude` entry: where it is, and its variables' values.
    excludes: Vec<(Span, KeyValues)>,
    span: Span,
}

/// Reads `matrix:` of stage `stage`.
pub(super) fn read(cx: &mut Cx<'_>, node: &Node) -> Option<Matrix> {
    let Value::Map(entries) = &node.value else {
        cx.wrong_type(
            node,
            "matrix",
            "a mapping of variable names to lists of values",
        );
        return None;
    };
    let before = cx.diags.len();
    let mut m = Matrix {
        vars: Vec::new(),
        excludes: Vec::new(),
        span: node.span,
    };
    let mut exclude: Option<&Node> = None;
    for (k, v) in entries {
        let Some(name) = cx.string(k, "matrix") else {
            continue;
        };
        if name.value == "exclude" {
            exclude = Some(v);
            continue;
        }
        if let Some((first, _)) = m.vars.iter().find(|(n, _)| n.value == name.value) {
            cx.push(
                Diagnostic::new(
                    Code::DuplicateKey,
                    format!("duplicate matrix variable `{}`", name.value),
                    k.span,
                )
                .with_label(first.span, "first defined here"),
            );
            continue;
        }
        if let Err(msg) = validate::check_arg_name(&name.value) {
            cx.push(Diagnostic::new(Code::InvalidName, msg, k.span));
            continue;
        }
        let Value::Seq(items) = &v.value else {
            cx.wrong_type(v, &name.value, "a list of values");
            continue;
        };
        if items.is_empty() {
            cx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("matrix variable `{}` lists no value", name.value),
                    v.span,
                )
                .with_help("list the values, one instance is made for each"),
            );
            continue;
        }
        let mut values: Vec<Spanned<String>> = Vec::new();
        for item in items {
            if matches!(item.value, Value::Seq(_) | Value::Map(_) | Value::Null) {
                cx.wrong_type(item, &name.value, "a value");
                continue;
            }
            let Some(value) = cx.string(item, &name.value) else {
                continue;
            };
            if let Some(first) = values.iter().find(|x| x.value == value.value) {
                cx.push(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        format!("`{}` lists the value `{}` twice", name.value, value.value),
                        value.span,
                    )
                    .with_label(first.span, "first listed here"),
                );
                continue;
            }
            values.push(value);
        }
        m.vars.push((name, values));
    }
    if m.vars.is_empty() && cx.diags.len() == before {
        cx.push(
            Diagnostic::new(Code::InvalidValue, "`matrix` names no variable", node.span)
                .with_help("write `matrix: {NAME: [value, …]}`"),
        );
    }
    if let Some(ex) = exclude {
        read_excludes(cx, ex, &mut m);
    }
    (cx.diags.len() == before).then_some(m)
}

fn read_excludes(cx: &mut Cx<'_>, node: &Node, m: &mut Matrix) {
    let Value::Seq(items) = &node.value else {
        cx.wrong_type(
            node,
            "exclude",
            "a list of mappings of matrix variables to values",
        );
        return;
    };
    for item in items {
        let Value::Map(entries) = &item.value else {
            cx.wrong_type(item, "exclude", "a mapping of matrix variables to values");
            continue;
        };
        let mut pairs: KeyValues = Vec::new();
        for (k, v) in entries {
            let (Some(name), Some(value)) = (cx.string(k, "exclude"), cx.string(v, "exclude"))
            else {
                continue;
            };
            let Some((_, values)) = m.vars.iter().find(|(n, _)| n.value == name.value) else {
                let names: Vec<String> = m
                    .vars
                    .iter()
                    .map(|(n, _)| format!("`{}`", n.value))
                    .collect();
                cx.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "`exclude` names `{}`, which is no matrix variable",
                            name.value
                        ),
                        k.span,
                    )
                    .with_help(format!("the matrix variables are {}", names.join(", "))),
                );
                continue;
            };
            if !values.iter().any(|x| x.value == value.value) {
                let listed: Vec<String> = values.iter().map(|x| format!("`{}`", x.value)).collect();
                cx.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "`exclude` gives `{}` the value `{}`, which the matrix does not list",
                            name.value, value.value
                        ),
                        value.span,
                    )
                    .with_help(format!(
                        "`{}` is one of {}",
                        name.value,
                        listed.join(", ")
                    )),
                );
                continue;
            }
            pairs.push((name, value));
        }
        if entries.is_empty() {
            cx.push(
                Diagnostic::new(Code::InvalidValue, "an empty `exclude` entry", item.span)
                    .with_help("an entry names the values of the combinations to leave out"),
            );
            continue;
        }
        m.excludes.push((item.span, pairs));
    }
}

/// An instance name's part for `value`: lower-cased, every character
/// outside `[a-z0-9_.-]` replaced by `-`.
fn name_part(value: &str) -> String {
    value
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The instances of matrix stage `stage`, in order; errors (too many, a
/// variable that is also a stage argument, an `exclude` entry that leaves
/// nothing out) are reported on `cx`.
pub(super) fn instances(cx: &mut Cx<'_>, stage: &Stage, m: &Matrix) -> Vec<Stage> {
    let before = cx.diags.len();
    for (name, _) in &m.vars {
        if let Some(arg) = stage.args.iter().find(|a| a.name.value == name.value) {
            cx.push(
                Diagnostic::new(
                    Code::DuplicateKey,
                    format!(
                        "`{}` is both a matrix variable and an argument of the stage",
                        name.value
                    ),
                    name.span,
                )
                .with_label(arg.name.span, "the argument")
                .with_help("a matrix variable is a stage argument already: remove one of them"),
            );
        }
    }
    // The number of combinations, before exclusions, without overflow.
    let total = m
        .vars
        .iter()
        .try_fold(1usize, |n, (_, values)| n.checked_mul(values.len()))
        .filter(|n| *n <= MAX_INSTANCES.saturating_mul(MAX_INSTANCES));
    let Some(total) = total else {
        cx.push(too_many(m.span, None));
        return Vec::new();
    };
    let mut combos: Vec<Vec<&Spanned<String>>> = Vec::with_capacity(total.min(MAX_INSTANCES));
    let Some(first) = m.vars.first().and_then(|(_, values)| values.first()) else {
        return Vec::new();
    };
    let mut used = vec![false; m.excludes.len()];
    for i in 0..total {
        let mut rest = i;
        let mut combo: Vec<&Spanned<String>> = vec![first; m.vars.len()];
        for (slot, (_, values)) in m.vars.iter().enumerate().rev() {
            if let (Some(c), Some(v)) = (combo.get_mut(slot), values.get(rest % values.len())) {
                *c = v;
            }
            rest /= values.len();
        }
        let excluded = m.excludes.iter().enumerate().find(|(_, (_, pairs))| {
            pairs.iter().all(|(n, v)| {
                m.vars
                    .iter()
                    .position(|(name, _)| name.value == n.value)
                    .and_then(|p| combo.get(p))
                    .is_some_and(|c| c.value == v.value)
            })
        });
        match excluded {
            Some((e, _)) => {
                if let Some(u) = used.get_mut(e) {
                    *u = true;
                }
            }
            None => combos.push(combo),
        }
    }
    for ((span, _), used) in m.excludes.iter().zip(&used) {
        if !used {
            cx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    "this `exclude` entry leaves out no combination",
                    *span,
                )
                .with_help("an earlier entry leaves out the same combinations: remove it"),
            );
        }
    }
    if combos.len() > MAX_INSTANCES {
        cx.push(too_many(m.span, Some(combos.len())));
    }
    if combos.is_empty() && cx.diags.len() == before {
        cx.push(
            Diagnostic::new(
                Code::InvalidValue,
                "`exclude` leaves out every combination",
                m.span,
            )
            .with_help("a matrix stage needs at least one instance"),
        );
    }
    if cx.diags.len() != before {
        return Vec::new();
    }
    combos
        .into_iter()
        .map(|combo| {
            let mut name = stage.name.value.clone();
            for v in &combo {
                name.push('-');
                name.push_str(&name_part(&v.value));
            }
            let mut instance = stage.clone();
            instance.name = Spanned::new(name, stage.name.span);
            instance.matrix = Some(Instance {
                of: stage.name.clone(),
                values: m
                    .vars
                    .iter()
                    .zip(combo)
                    .map(|((n, _), v)| (n.clone(), v.clone()))
                    .collect(),
            });
            instance
        })
        .collect()
}

fn too_many(span: Span, count: Option<usize>) -> Diagnostic {
    let count = count.map_or_else(|| "far more".to_owned(), |n| n.to_string());
    Diagnostic::new(
        Code::InvalidValue,
        format!("`matrix` makes {count} instances; at most {MAX_INSTANCES} are allowed"),
        span,
    )
    .with_help("list fewer values, or leave combinations out with `exclude`")
}
