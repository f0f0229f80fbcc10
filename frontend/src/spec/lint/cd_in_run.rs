//! `cd-in-run`: `cd` as a command of a `run` step (hadolint's DL3003). The
//! step's working directory is then hidden in its command, and the change
//! ends with the step; `workdir:` on the step (or the stage) says where it
//! runs, and creates the directory if it is missing.
//!
//! Not a shell parser: commands are found at the start of the text and
//! after `;`, `&&`, `||`, `|`, `&` and line breaks, outside quotes and
//! comments. A `cd` in a subshell (`(cd dir && make)`, `$(cd … && pwd)`)
//! changes nothing outside it and is not reported; neither is `cd` as an
//! argument (`echo cd`). A list command is reported when its program is `cd`.

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};
use crate::spec::model::Command;

use super::words::runs;

/// Words that may stand before a command without being one.
const PREFIXES: &[&str] = &[
    "if", "then", "else", "elif", "while", "until", "do", "!", "{", "}",
];

/// One word of a shell command line.
struct Word {
    text: String,
    /// Whether it is the program of a command (not an argument).
    command: bool,
    /// How many parentheses enclose it.
    depth: usize,
}

/// `NAME=value`: an assignment before a command.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        name.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// Ends the word being read, if any.
fn end(out: &mut Vec<Word>, word: &mut String, at_command: &mut bool, depth: usize) {
    if word.is_empty() {
        return;
    }
    let text = std::mem::take(word);
    let command = *at_command && !PREFIXES.contains(&text.as_str()) && !is_assignment(&text);
    if command {
        *at_command = false;
    }
    out.push(Word {
        text,
        command,
        depth,
    });
}

/// The words of a shell command line, with their role.
fn shell_words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut at_command = true;
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    for c in text.chars() {
        if comment {
            if c == '\n' {
                comment = false;
                at_command = true;
            }
        } else if escaped {
            escaped = false;
            if c != '\n' {
                word.push(c);
            }
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else {
                word.push(c);
            }
        } else {
            match c {
                '\\' => escaped = true,
                '\'' | '"' => quote = Some(c),
                '#' if word.is_empty() => comment = true,
                '(' => {
                    // `(` or `$(`: what stands before it is no word.
                    word.clear();
                    depth += 1;
                    at_command = true;
                }
                ')' => {
                    end(&mut out, &mut word, &mut at_command, depth);
                    depth = depth.saturating_sub(1);
                    at_command = false;
                }
                ';' | '|' | '&' | '\n' => {
                    end(&mut out, &mut word, &mut at_command, depth);
                    at_command = true;
                }
                c if c.is_whitespace() => end(&mut out, &mut word, &mut at_command, depth),
                c => word.push(c),
            }
        }
    }
    end(&mut out, &mut word, &mut at_command, depth);
    out
}

/// The first `cd` of a shell command line outside subshells: `Some` of its
/// directory, when the next word is one.
fn cd_in_shell(text: &str) -> Option<Option<String>> {
    let words = shell_words(text);
    let at = words
        .iter()
        .position(|w| w.command && w.depth == 0 && w.text == "cd")?;
    let dir = words
        .get(at + 1)
        .filter(|w| !w.command && w.depth == 0 && !w.text.starts_with('-'))
        .map(|w| w.text.clone());
    Some(dir)
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for run in runs(draft) {
        let found = match &run.command.value {
            Command::Shell(text) => cd_in_shell(text),
            Command::Exec(argv) => argv
                .split_first()
                .filter(|(program, _)| program.value == "cd")
                .map(|(_, args)| args.first().map(|a| a.value.clone())),
        };
        let Some(dir) = found else { continue };
        let help = match dir.filter(|d| d.starts_with('/') && !d.contains('$')) {
            Some(d) => format!("set `workdir: {d}` on this step (or the stage) and drop the `cd`"),
            None => {
                "set `workdir:` on this step (or the stage) to the directory, and drop the `cd`"
                    .to_owned()
            }
        };
        cx.push(
            Diagnostic::new(
                Code::CdInRun,
                "`cd` in a `run` step: the step's working directory is hidden in its command",
                run.command.span,
            )
            .with_help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::cd_in_shell;

    #[test]
    fn cd_is_found_where_a_command_starts() {
        let dir = |d: &str| Some(Some(d.to_owned()));
        assert_eq!(cd_in_shell("cd /src && make"), dir("/src"));
        assert_eq!(cd_in_shell("make; cd /x"), dir("/x"));
        assert_eq!(cd_in_shell("false || cd /x"), dir("/x"));
        assert_eq!(cd_in_shell("ls | cd /x"), dir("/x"));
        assert_eq!(cd_in_shell("set -e\ncd build"), dir("build"));
        assert_eq!(cd_in_shell("if true; then cd /x; fi"), dir("/x"));
        assert_eq!(cd_in_shell("X=1 cd /x"), dir("/x"));
        assert_eq!(cd_in_shell("cd"), Some(None));
    }

    #[test]
    fn cd_as_an_argument_in_quotes_or_in_a_subshell_is_not() {
        for text in [
            "echo cd /x",
            "echo 'a; cd /x'",
            "echo \"a && cd /x\"",
            "(cd /x && make)",
            "DIR=$(cd /x && pwd) make",
            "make # then cd /x",
            "abcd /x",
        ] {
            assert_eq!(cd_in_shell(text), None, "{text}");
        }
    }
}
