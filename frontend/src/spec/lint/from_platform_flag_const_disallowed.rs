//! `from-platform-flag-const-disallowed`: a stage's `platform:` that is a
//! constant (`linux/amd64`), not a variable (the Dockerfile frontend's
//! `FromPlatformFlagConstDisallowed`). The stage is then built for that
//! platform whatever `--platform` asks for, and a multi-platform build
//! gives every platform the same stage.
//!
//! As in the Dockerfile frontend, a stage whose name says its platform
//! (`build-amd64` with `linux/amd64`) is not reported: it is meant for it.
//! Not a check of `${TARGETPLATFORM}` (`redundant-target-platform`).

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

/// Whether `name` says the platform `os/arch[/variant]`: it contains its
/// architecture (the second part) or its last part.
fn named_for(name: &str, platform: &str) -> bool {
    let parts = [platform.split('/').nth(1), platform.rsplit('/').next()];
    parts
        .into_iter()
        .flatten()
        .any(|p| !p.is_empty() && name.contains(p))
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for stage in &draft.stages {
        let Some(platform) = &stage.platform else {
            continue;
        };
        if platform.value.contains('$') || named_for(&stage.name.value, &platform.value) {
            continue;
        }
        cx.push(
            Diagnostic::new(
                Code::FromPlatformFlagConstDisallowed,
                format!(
                    "`platform: {}` is a constant: stage `{}` is built for it whatever `--platform` asks for",
                    platform.value, stage.name.value
                ),
                platform.span,
            )
            .with_help(
                "use `${BUILDPLATFORM}` for a stage that runs build tools, or remove `platform:` to build for the target platform",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::named_for;

    #[test]
    fn a_stage_named_for_its_architecture_is_meant_for_it() {
        assert!(named_for("build-amd64", "linux/amd64"));
        assert!(named_for("armv7", "linux/arm/v7"));
        assert!(named_for("arm", "linux/arm/v7"));
        assert!(!named_for("build", "linux/amd64"));
        assert!(!named_for("linux", "linux/amd64"));
    }
}
