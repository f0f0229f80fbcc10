//! `json-args-recommended`: an `image.entrypoint` or `image.cmd` written as
//! a string (the Dockerfile frontend's `JSONArgsRecommended`). A string runs
//! under `/bin/sh -c`, so the process is the shell's child and does not get
//! the signals (`SIGTERM` on `docker stop`) sent to the container.

use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::convert::{Cx, Draft};
use crate::spec::model::Command;

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for stage in &draft.stages {
        let Some(image) = &stage.image else { continue };
        for (key, value) in [("entrypoint", &image.entrypoint), ("cmd", &image.cmd)] {
            let Some(Spanned {
                value: Command::Shell(text),
                span,
            }) = value
            else {
                continue;
            };
            cx.push(
                Diagnostic::new(
                    Code::JsonArgsRecommended,
                    format!(
                        "`image.{key}` is a string: it runs as `/bin/sh -c`, so the process does not receive the signals sent to the container"
                    ),
                    *span,
                )
                .with_help(format!(
                    "write it as a list: `{key}: {}`",
                    as_list(text)
                )),
            );
        }
    }
}

/// A suggestion of the list form: the words of `text` (an approximation
/// when the string uses shell syntax).
fn as_list(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\\\"")))
        .collect();
    format!("[{}]", words.join(", "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_suggestion_lists_the_words() {
        assert_eq!(
            super::as_list("exec /bin/app --x"),
            r#"["exec", "/bin/app", "--x"]"#
        );
    }
}
