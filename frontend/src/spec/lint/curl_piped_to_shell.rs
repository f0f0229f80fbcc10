//! `curl-piped-to-shell`: a download piped straight into a shell in a `run`
//! step (`curl … | sh`, `wget -O- … | bash`). The step runs whatever the
//! server sends, unchecked, and the cache keeps the first answer.

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

use super::words::{runs, words, PIPE};

const DOWNLOADERS: &[&str] = &["curl", "wget"];
const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ash", "ksh"];

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for run in runs(draft) {
        let w = words(&run.command.value);
        // A pipeline whose first command downloads and whose next is a shell.
        let mut downloading = false;
        let mut found = None;
        for (i, word) in w.iter().enumerate() {
            if DOWNLOADERS.contains(&word.as_str()) {
                downloading = true;
            } else if word == ";" {
                downloading = false;
            } else if word == PIPE && downloading {
                let next = w.get(i + 1).map(|n| n.rsplit('/').next().unwrap_or(n));
                if let Some(shell) = next.filter(|n| SHELLS.contains(n)) {
                    found = Some(shell.to_owned());
                    break;
                }
            }
        }
        if let Some(shell) = found {
            cx.push(
                Diagnostic::new(
                    Code::CurlPipedToShell,
                    format!(
                        "a download is piped to `{shell}`: the step runs whatever the server sends, unchecked"
                    ),
                    run.command.span,
                )
                .with_help("fetch it with an `add` step that has a `checksum:`, then run the file"),
            );
        }
    }
}
