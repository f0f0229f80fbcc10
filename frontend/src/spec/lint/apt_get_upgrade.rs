//! `apt-get-upgrade`: `apt-get upgrade` or `dist-upgrade` in a `run` step
//! (hadolint's DL3005). It upgrades every package of the base image when
//! the step runs, so what the image holds depends on the day it was built,
//! and the step's cache hides the upgrades that came since.

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

use super::words::{runs, words};

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for run in runs(draft) {
        let w = words(&run.command.value);
        // `apt-get [OPTIONS] upgrade|dist-upgrade`.
        let found = w.iter().enumerate().find_map(|(i, word)| {
            if word != "apt-get" {
                return None;
            }
            w.iter()
                .skip(i + 1)
                .find(|a| !a.starts_with('-'))
                .filter(|a| *a == "upgrade" || *a == "dist-upgrade")
                .cloned()
        });
        if let Some(what) = found {
            cx.push(
                Diagnostic::new(
                    Code::AptGetUpgrade,
                    format!(
                        "`apt-get {what}` upgrades the base image's packages when the step runs: the image then depends on the day it was built"
                    ),
                    run.command.span,
                )
                .with_help("use a newer base image, and install the packages the step needs with `apt-get install`"),
            );
        }
    }
}
