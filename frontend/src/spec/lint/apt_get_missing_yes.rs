//! `apt-get-missing-yes`: `apt-get install` (or `apt install`) without
//! `-y` in a `run` step (hadolint's DL3014). A build has no terminal: apt
//! asks "Do you want to continue?" as soon as a package brings others,
//! reads no answer, and the step fails.
//!
//! Not a shell parser: the options are the words after `apt-get` up to the
//! next `;` or `|` (see `words`), so a `-y` of a later command after `&&`
//! counts. An `APT::Get::Assume-Yes` setting in the image's configuration
//! is not seen.

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

use super::words::{calls, runs, words};

const PROGRAMS: &[&str] = &["apt-get", "apt"];

/// Whether `arg` answers apt's prompt: `-y`, `--yes`, `--assume-yes`, a
/// group of short options with `y` (`-qy`), `-qq` and `-q=2` (which imply
/// `-y`), or `-o APT::Get::Assume-Yes=true`.
fn answers_yes(arg: &str) -> bool {
    if arg == "--yes" || arg.to_ascii_lowercase().contains("assume-yes") {
        return true;
    }
    match arg.strip_prefix('-') {
        Some(short) if !short.starts_with('-') => {
            short == "q=2"
                || (short.chars().all(|c| c.is_ascii_alphabetic())
                    && (short.contains('y') || short.starts_with("qq")))
        }
        Some(_) | None => arg == "--quiet=2",
    }
}

/// The program of the first `install` without an answer in `words`.
fn unanswered(words: &[String]) -> Option<&'static str> {
    PROGRAMS.iter().copied().find(|p| {
        calls(words, p)
            .iter()
            .any(|c| c.starts_with(&["install"]) && !c.args.iter().any(|a| answers_yes(a)))
    })
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for run in runs(draft) {
        let Some(program) = unanswered(&words(&run.command.value)) else {
            continue;
        };
        cx.push(
            Diagnostic::new(
                Code::AptGetMissingYes,
                format!(
                    "`{program} install` without `-y`: a build has no terminal, so {program} stops at its confirmation prompt and the step fails"
                ),
                run.command.span,
            )
            .with_help(format!("answer the prompt with `-y`: `{program} install -y …`")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::Command;

    fn found(text: &str) -> Option<&'static str> {
        unanswered(&words(&Command::Shell(text.into())))
    }

    #[test]
    fn yes_in_any_of_its_spellings_answers() {
        for ok in [
            "apt-get install -y curl",
            "apt-get -y install curl",
            "apt-get install --yes curl",
            "apt-get install --assume-yes curl",
            "apt-get install -qy curl",
            "apt-get -qq install curl",
            "apt-get -o APT::Get::Assume-Yes=true install curl",
            "apt-get update && apt-get install -y --no-install-recommends curl",
            "apt-get update",
        ] {
            assert_eq!(found(ok), None, "{ok}");
        }
        assert_eq!(found("apt-get install curl"), Some("apt-get"));
        assert_eq!(
            found("apt-get update && apt-get install -q curl"),
            Some("apt-get")
        );
        assert_eq!(found("apt install curl"), Some("apt"));
    }
}
