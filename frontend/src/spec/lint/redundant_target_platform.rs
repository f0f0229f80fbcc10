//! `redundant-target-platform`: a stage's `platform:` that is
//! `${TARGETPLATFORM}` or `$TARGETPLATFORM` (the Dockerfile frontend's
//! `RedundantTargetPlatform`). A stage is built for the target platform
//! unless it says otherwise, so the key only adds noise.
//!
//! Not a check of other platform values: a constant one is
//! `from-platform-flag-const-disallowed`'s.

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

/// The values that name the default.
const DEFAULTS: &[&str] = &["${TARGETPLATFORM}", "$TARGETPLATFORM"];

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for stage in &draft.stages {
        let Some(platform) = &stage.platform else {
            continue;
        };
        if !DEFAULTS.contains(&platform.value.as_str()) {
            continue;
        }
        cx.push(
            Diagnostic::new(
                Code::RedundantTargetPlatform,
                format!(
                    "`platform: {}` is the default: a stage is built for the target platform unless it says otherwise",
                    platform.value
                ),
                platform.span,
            )
            .with_help(format!(
                "remove `platform:` from stage `{}`",
                stage.name.value
            )),
        );
    }
}
