//! `sudo-in-run`: `sudo` in a `run` step (hadolint's DL3004). A step runs
//! as its `user` (or the stage's); `sudo` needs a configured sudoers file,
//! hides which user a step runs as, and keeps a setuid tool in the image.

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

use super::words::{runs, words};

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for run in runs(draft) {
        if words(&run.command.value).iter().any(|w| w == "sudo") {
            cx.push(
                Diagnostic::new(
                    Code::SudoInRun,
                    "`sudo` in a `run` step: the step already runs as a user the spec chooses",
                    run.command.span,
                )
                .with_help("set `user: root` on this step (or the stage) and drop `sudo`"),
            );
        }
    }
}
