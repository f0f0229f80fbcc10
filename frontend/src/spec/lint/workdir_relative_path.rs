//! `workdir-relative-path`: a relative `workdir` in a stage with no absolute
//! one (the Dockerfile frontend's `WorkdirRelativePath`). It is resolved
//! against the base image's working directory, which the spec does not
//! state, so a new base image can move it.

use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::convert::{Cx, Draft};
use crate::spec::model::StepKind;

/// Whether a workdir value is relative as written (one that starts with a
/// variable may well be absolute).
fn relative(w: &Spanned<String>) -> bool {
    !w.value.starts_with('/') && !w.value.starts_with('$')
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for stage in &draft.stages {
        if stage.workdir.as_ref().is_some_and(|w| !relative(w)) {
            continue;
        }
        let run_workdirs = stage.steps.iter().filter_map(|s| match &s.kind {
            StepKind::Run(r) => r.workdir.as_ref().map(|w| ("a `run` step's `workdir`", w)),
            StepKind::Copy(_) | StepKind::Add(_) | StepKind::Mkdir(_) | StepKind::Write(_) => None,
        });
        let found = stage
            .workdir
            .iter()
            .map(|w| ("the stage's `workdir`", w))
            .chain(run_workdirs)
            .chain(
                stage
                    .image
                    .iter()
                    .filter_map(|i| i.workdir.as_ref())
                    .map(|w| ("`image.workdir`", w)),
            );
        for (what, w) in found {
            if !relative(w) {
                continue;
            }
            cx.push(
                Diagnostic::new(
                    Code::WorkdirRelativePath,
                    format!(
                        "{what} `{}` is relative, and stage `{}` sets no absolute `workdir`: it depends on the base image's working directory",
                        w.value, stage.name.value
                    ),
                    w.span,
                )
                .with_help(format!(
                    "give stage `{}` an absolute `workdir` (e.g. `workdir: /{}`)",
                    stage.name.value,
                    w.value.trim_start_matches(['.', '/', '~'])
                )),
            );
        }
    }
}
