//! `apt-get-no-install-recommends`: `apt-get install` (or `apt install`)
//! without `--no-install-recommends` (hadolint's DL3015). apt then also
//! installs every package the requested ones recommend: a larger image,
//! more to patch, and packages nobody asked for.
//!
//! Not reported: an install that turns recommends off another way
//! (`-o APT::Install-Recommends=false`). The rule does not read apt's
//! configuration files in the base image.

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

use super::words::{calls, runs, words};

/// The apt program whose install keeps recommends on, in `words`.
fn recommends(words: &[String]) -> Option<&'static str> {
    ["apt-get", "apt"].into_iter().find(|program| {
        calls(words, program).iter().any(|c| {
            c.starts_with(&["install"])
                && !c.has("--no-install-recommends")
                && !c.args.iter().any(|a| a.contains("Install-Recommends"))
        })
    })
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for run in runs(draft) {
        let Some(program) = recommends(&words(&run.command.value)) else {
            continue;
        };
        cx.push(
            Diagnostic::new(
                Code::AptGetNoInstallRecommends,
                format!(
                    "`{program} install` without `--no-install-recommends`: apt also installs the packages these recommend"
                ),
                run.command.span,
            )
            .with_help(format!(
                "add `--no-install-recommends` (`{program} install -y --no-install-recommends …`) and name what you need"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::Command;

    fn found(text: &str) -> Option<&'static str> {
        recommends(&words(&Command::Shell(text.into())))
    }

    #[test]
    fn installs_without_the_option_are_found() {
        assert_eq!(
            found("apt-get update && apt-get install -y curl"),
            Some("apt-get")
        );
        assert_eq!(found("apt install -y make"), Some("apt"));
        assert_eq!(
            found("apt-get install -y --no-install-recommends curl"),
            None
        );
        assert_eq!(
            found("apt-get -o APT::Install-Recommends=false install -y x"),
            None
        );
        assert_eq!(found("apt-get update"), None);
    }
}
