//! The cross-stage checks, run on the converted stages: `target`, `needs`
//! and `from` references (through [`super::model::Stage::references`]), and
//! cycles.
//!
//! A `from` value (stage `from`, copy/artifact/mount `from`) names a stage if
//! it is one; otherwise `scratch` or an image reference. To catch typos, a
//! value that is none of these, contains no `/`, `:`, `@` or `$`, and is within
//! two edits of a stage name is reported as `unknown-stage`.

use super::convert::{Cx, Draft};
use super::model::{RefKind, Span};
use crate::diag::{did_you_mean, Code, Diagnostic};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// The error for the bare name of a matrix stage (language 1.1) where one
/// stage is meant (`from`, `copy`, `artifacts`, `mounts`, the target);
/// none when `name` is no matrix stage. `how` says where the name came
/// from when it is not written at `span` (` (from --target)`).
pub(crate) fn bare_matrix(
    matrices: &BTreeMap<String, Vec<String>>,
    name: &str,
    span: Span,
    how: &str,
) -> Option<Diagnostic> {
    let instances = matrices.get(name)?;
    let list: Vec<String> = instances.iter().map(|i| format!("`{i}`")).collect();
    Some(
        Diagnostic::new(
            Code::MatrixStageName,
            format!("`{name}`{how} is a matrix stage: name one of its instances"),
            span,
        )
        .with_help(format!("its instances are {}", list.join(", "))),
    )
}

/// Cross-stage checks on the converted stages.
pub(crate) fn check(draft: &Draft, contexts: &BTreeSet<String>, cx: &mut Cx<'_>) {
    let names: Vec<&str> = draft.stage_names.iter().map(|n| n.value.as_str()).collect();
    let known: BTreeSet<&str> = names.iter().copied().collect();
    if let Some(t) = &draft.target {
        if let Some(d) = bare_matrix(&draft.matrices, &t.value, t.span, "") {
            cx.diags.push(d);
        } else if !known.contains(t.value.as_str()) && !draft.names_import(&t.value) {
            cx.diags
                .push(unknown_stage(&t.value, t.span, "target", &names, false));
        }
    }
    // Stage names by length in characters, and the verdict for each value
    // that is not a stage (most are the same few image names): a typo check
    // compares a value with the names of about its length, once.
    let mut by_len: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for n in &names {
        by_len.entry(n.chars().count()).or_default().push(n);
    }
    let mut typo: HashMap<&str, bool> = HashMap::new();
    // Stage → (stage it depends on, where), for the cycle check.
    let mut edges: Vec<(&str, &str, Span)> = Vec::new();
    for stage in &draft.stages {
        let me = stage.name.value.as_str();
        let refs = stage.references();
        // Every `from` first, then `needs` (the order the cycle check has
        // always seen its edges in).
        for r in refs.iter().filter(|r| r.kind != RefKind::Needs) {
            let (v, span) = (r.value.value.as_str(), r.value.span);
            if let Some(d) = bare_matrix(&draft.matrices, v, span, "") {
                cx.diags.push(d);
            } else if known.contains(v) {
                edges.push((me, v, span));
            } else if draft.names_import(v) {
                // A stage of an import: checked when the import is linked.
            } else if !contexts.contains(v)
                && *typo
                    .entry(v)
                    .or_insert_with(|| looks_like_stage_typo(v, &by_len))
            {
                cx.diags.push(unknown_stage(v, span, "from", &names, true));
            }
        }
        for need in refs
            .iter()
            .filter(|r| r.kind == RefKind::Needs)
            .map(|r| r.value)
        {
            if known.contains(need.value.as_str()) {
                edges.push((me, need.value.as_str(), need.span));
            } else if !draft.names_import(&need.value) {
                cx.diags.push(unknown_stage(
                    &need.value,
                    need.span,
                    "needs",
                    &names,
                    false,
                ));
            }
        }
    }
    cycles(
        &draft
            .stages
            .iter()
            .map(|s| s.name.value.as_str())
            .collect::<Vec<_>>(),
        &edges,
        cx,
    );
}

/// Not a stage, `scratch` or an obvious image reference, and close to a
/// stage name (`names` by length: only names within two characters of the
/// value's length can be within distance two).
fn looks_like_stage_typo(v: &str, names: &BTreeMap<usize, Vec<&str>>) -> bool {
    if v == "scratch" || v.contains(['/', ':', '@', '$']) {
        return false;
    }
    let len = v.chars().count();
    if len > crate::diag::MAX_SUGGESTION_CHARS {
        return false;
    }
    names
        .range(len.saturating_sub(2)..=len + 2)
        .flat_map(|(_, ns)| ns.iter())
        .any(|n| {
            let d = strsim::damerau_levenshtein(v, n);
            d <= 2 && d < len.min(n.chars().count())
        })
}

fn unknown_stage(v: &str, span: Span, key: &str, names: &[&str], may_be_image: bool) -> Diagnostic {
    let suggestion = did_you_mean(v, names.iter().copied());
    let message = match suggestion {
        Some(s) => format!("unknown stage `{v}` in `{key}` (did you mean `{s}`?)"),
        None => format!("unknown stage `{v}` in `{key}`"),
    };
    let d = Diagnostic::new(Code::UnknownStage, message, span);
    if may_be_image {
        d.with_help(format!(
            "if `{v}` is an image, write it with a tag or registry, e.g. `{v}:latest`"
        ))
    } else {
        d.with_help(format!(
            "stages in this spec: {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// Report each cycle between stages once, as `a -> b -> a`.
fn cycles(order: &[&str], edges: &[(&str, &str, Span)], cx: &mut Cx<'_>) {
    let mut reported: BTreeSet<Vec<&str>> = BTreeSet::new();
    // Edges by source, in spec order.
    let mut out: HashMap<&str, Vec<(&str, Span)>> = HashMap::new();
    for &(from, to, span) in edges {
        out.entry(from).or_default().push((to, span));
    }
    let on_cycle = on_a_cycle(order, &out);
    for &start in order.iter().filter(|s| on_cycle.contains(*s)) {
        // Breadth-first from `start` for the shortest path back to it.
        let mut parent: HashMap<&str, (&str, Span)> = HashMap::new();
        let mut queue: VecDeque<&str> = VecDeque::from([start]);
        let mut closing: Option<(&str, Span)> = None;
        'search: while let Some(node) = queue.pop_front() {
            for &(to, span) in out.get(node).map_or(&[][..], Vec::as_slice) {
                let from = node;
                if to == start {
                    closing = Some((from, span));
                    break 'search;
                }
                if !parent.contains_key(to) {
                    parent.insert(to, (from, span));
                    queue.push_back(to);
                }
            }
        }
        let Some((last, last_span)) = closing else {
            continue;
        };
        // Walk back from `last` to `start`: the hops in reverse.
        let mut hops: Vec<(&str, &str, Span)> = vec![(last, start, last_span)];
        let mut at = last;
        while at != start {
            let Some(&(p, span)) = parent.get(at) else {
                break;
            };
            hops.push((p, at, span));
            at = p;
        }
        hops.reverse();
        let mut key: Vec<&str> = hops.iter().map(|h| h.0).collect();
        key.sort_unstable();
        if !reported.insert(key) {
            continue;
        }
        let path: Vec<&str> = hops.iter().map(|h| h.0).chain([start]).collect();
        let Some(&(first_from, first_to, first_span)) = hops.first() else {
            continue;
        };
        let mut d = Diagnostic::new(
            Code::StageCycle,
            format!(
                "stages depend on each other in a cycle: `{}`",
                path.join(" -> ")
            ),
            first_span,
        );
        let _ = (first_from, first_to);
        for &(from, to, span) in hops.iter().skip(1) {
            d = d.with_label(span, format!("`{from}` depends on `{to}` here"));
        }
        cx.diags
            .push(d.with_help("a stage cannot depend on itself, directly or through other stages"));
    }
}

/// The stages that lie on some cycle: members of a strongly connected
/// component with more than one stage, or with an edge to itself (Tarjan's
/// algorithm, with an explicit stack).
fn on_a_cycle<'s>(
    order: &[&'s str],
    out: &HashMap<&'s str, Vec<(&'s str, Span)>>,
) -> BTreeSet<&'s str> {
    let succ = |n: &'s str| out.get(n).map_or(&[][..], Vec::as_slice);
    let mut index: HashMap<&str, (usize, usize)> = HashMap::new(); // (index, lowlink)
    let mut on_stack: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<&str> = Vec::new();
    let mut result = BTreeSet::new();
    let mut next_index = 0;
    for &root in order {
        if index.contains_key(root) {
            continue;
        }
        // (node, next successor to look at)
        let mut work: Vec<(&str, usize)> = vec![(root, 0)];
        index.insert(root, (next_index, next_index));
        next_index += 1;
        stack.push(root);
        on_stack.insert(root);
        while let Some(&mut (node, ref mut i)) = work.last_mut() {
            if let Some(&(to, _)) = succ(node).get(*i) {
                *i += 1;
                if let Some(&(to_index, _)) = index.get(to) {
                    if on_stack.contains(to) {
                        if let Some(e) = index.get_mut(node) {
                            e.1 = e.1.min(to_index);
                        }
                    }
                } else {
                    index.insert(to, (next_index, next_index));
                    next_index += 1;
                    stack.push(to);
                    on_stack.insert(to);
                    work.push((to, 0));
                }
                continue;
            }
            work.pop();
            let (node_index, node_low) = index.get(node).copied().unwrap_or_default();
            if let Some(&(parent, _)) = work.last() {
                if let Some(e) = index.get_mut(parent) {
                    e.1 = e.1.min(node_low);
                }
            }
            if node_low == node_index {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack.remove(member);
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                let self_loop = succ(node).iter().any(|&(to, _)| to == node);
                if component.len() > 1 || self_loop {
                    result.extend(component);
                }
            }
        }
    }
    result
}
