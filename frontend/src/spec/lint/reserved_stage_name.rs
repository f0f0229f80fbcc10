//! `reserved-stage-name`: a stage named `context` (the Dockerfile
//! frontend's `ReservedStageName`). BuildKit gives that name to the build
//! context (the frontend's input of that name), so a stage of that name
//! and the build context are easy to take for each other.
//!
//! Not the check of `scratch`, the other reserved name: a stage named
//! `scratch` is an error (`invalid-stage-name`, in `validate`).

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

/// Names that are valid stage names but mean something else to BuildKit.
const RESERVED: &[&str] = &["context"];

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for name in &draft.stage_names {
        if !RESERVED.contains(&name.value.as_str()) {
            continue;
        }
        cx.push(
            Diagnostic::new(
                Code::ReservedStageName,
                format!(
                    "stage name `{}` is reserved: it is BuildKit's name for the build context",
                    name.value
                ),
                name.span,
            )
            .with_help(format!(
                "rename the stage (e.g. `{}-files`), and the `from:` values that name it",
                name.value
            )),
        );
    }
}
