//! `unreachable-stage` (experimental): a stage that the default target
//! does not reach (through `from`, `needs`, copies, mounts and artifacts),
//! that no other stage uses, and that has no `description`. Such a stage
//! is built only with `--target`; without a description, `--call=targets`
//! cannot say what it is for, and it is most often left over.
//!
//! Not reported: stages with a `description` (alternative targets say what
//! they are), stages another stage uses. Experimental because specs with
//! several targets are common.

use std::collections::BTreeSet;

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    let Some(target) = draft.default_target() else {
        return;
    };
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut todo = vec![target];
    while let Some(s) = todo.pop() {
        if !reached.insert(s.name.value.as_str()) {
            continue;
        }
        todo.extend(
            s.references()
                .iter()
                .filter_map(|r| draft.stage(&r.value.value)),
        );
    }
    let used: BTreeSet<&str> = draft
        .stages
        .iter()
        .flat_map(|s| {
            s.references()
                .into_iter()
                .filter(|r| r.value.value != s.name.value)
                .map(|r| r.value.value.as_str())
                .collect::<Vec<_>>()
        })
        .collect();
    for s in &draft.stages {
        let n = s.name.value.as_str();
        if reached.contains(n) || used.contains(n) || s.description.is_some() {
            continue;
        }
        // The instances of a matrix stage share its name's span: one
        // finding for the matrix stage (deduplicated by `spec::analyse`).
        let message = match &s.matrix {
            Some(m) => format!(
                "instances of matrix stage `{}` are not built by the default target `{}`, and no stage uses them",
                m.of.value, target.name.value
            ),
            None => format!(
                "stage `{n}` is not built by the default target `{}`, and no stage uses it",
                target.name.value
            ),
        };
        cx.push(
            Diagnostic::new(Code::UnreachableStage, message, s.name.span).with_help(format!(
                "remove it, use it from another stage, or give it a `description` if it is meant for `--target {n}`"
            )),
        );
    }
}
