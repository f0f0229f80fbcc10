//! `undefined-var`: a string-form `run` command uses `$NAME` or `${NAME}`
//! where `NAME` is no argument in scope, no built-in, no variable of the
//! stage's or its base image's environment (nor the step's `env`), no
//! variable the shell sets itself, and the command does not set it (an
//! assignment, `for NAME in`, `read NAME`). The shell expands it to the
//! empty string. The Dockerfile frontend's `UndefinedVar`, applied to the
//! shell commands a Dockerfile's check leaves out.
//!
//! Not checked: list-form commands (no shell expands them), names inside
//! single quotes (the shell does not expand them: `awk '{print $NF}'`).
//! The command is read as words, not parsed: a name set in a way the rule
//! does not know (a sourced file, `eval`) may be reported.

use crate::diag::{did_you_mean, Code, Diagnostic, Spanned};
use crate::spec::model::Command;

/// Variables a POSIX shell or bash sets itself, and ones every process has.
const SHELL_VARS: &[&str] = &[
    "HOME",
    "PATH",
    "PWD",
    "OLDPWD",
    "SHELL",
    "USER",
    "LOGNAME",
    "HOSTNAME",
    "IFS",
    "PS1",
    "PS2",
    "PS4",
    "PPID",
    "OPTARG",
    "OPTIND",
    "LINENO",
    "RANDOM",
    "SECONDS",
    "UID",
    "EUID",
    "SHLVL",
    "REPLY",
    "TERM",
    "TMPDIR",
    "LANG",
    "BASH",
    "BASHPID",
    "BASH_VERSION",
    "BASH_SOURCE",
    "FUNCNAME",
    "PIPESTATUS",
    "HOSTTYPE",
    "OSTYPE",
    "MACHTYPE",
    "GROUPS",
];

fn name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn name_len(s: &[u8]) -> usize {
    s.iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count()
}

/// The names `$NAME`/`${NAME` the shell expands in `text`: outside single
/// quotes, not after a backslash, not `$$`.
fn used(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut single) = (0, false);
    while let Some(&c) = b.get(i) {
        match c {
            b'\'' => single = !single,
            b'\\' if !single => i += 1,
            b'$' if !single => {
                let start = if b.get(i + 1) == Some(&b'{') {
                    i + 2
                } else {
                    i + 1
                };
                if b.get(start) == Some(&b'$') {
                    i = start;
                } else if b.get(start).copied().is_some_and(name_start) {
                    let len = name_len(b.get(start..).unwrap_or(&[]));
                    if let Some(n) = text.get(start..start + len) {
                        out.push(n);
                    }
                    i = start + len;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The names the command sets: `NAME=…` words, `for NAME`, `read … NAME…`,
/// `getopts OPTS NAME`, `local`/`export`/`readonly`/`declare NAME`.
fn set(text: &str) -> Vec<&str> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '`'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    let is_name =
        |w: &str| w.bytes().next().is_some_and(name_start) && name_len(w.as_bytes()) == w.len();
    for (i, w) in words.iter().enumerate() {
        if let Some((n, _)) = w.split_once('=') {
            if is_name(n) {
                out.push(n);
            }
        }
        let next = words.get(i + 1..).unwrap_or(&[]);
        match *w {
            "for" | "local" | "export" | "readonly" | "declare" | "typeset" | "unset" => {
                out.extend(
                    next.iter()
                        .take_while(|n| is_name(n) || n.starts_with('-') || n.contains('='))
                        .filter(|n| is_name(n)),
                );
            }
            "read" => out.extend(
                next.iter()
                    .skip_while(|n| n.starts_with('-'))
                    .take_while(|n| is_name(n)),
            ),
            "getopts" => out.extend(next.get(1).filter(|n| is_name(n))),
            _ => {}
        }
    }
    out
}

/// The finding for a `run` command, given whether a name is known (in
/// scope, in the environment, or set by the step's `env`) and every known
/// name (for a suggestion).
pub(crate) fn check(
    command: &Spanned<Command>,
    known: impl Fn(&str) -> bool,
    names: &[String],
) -> Option<Diagnostic> {
    let Command::Shell(text) = &command.value else {
        return None;
    };
    let assigned = set(text);
    let mut undefined: Vec<&str> = used(text)
        .into_iter()
        .filter(|n| !known(n) && !SHELL_VARS.contains(n) && !assigned.contains(n))
        .collect();
    undefined.dedup();
    let first = *undefined.first()?;
    let list = undefined
        .iter()
        .map(|n| format!("`${n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = match did_you_mean(first, names.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `${s}`? Otherwise declare `{first}` in `args` (and pass `--build-arg {first}=…`) or set it in `env`"),
        None => format!("declare `{first}` in `args` (and pass `--build-arg {first}=…`), or set it in the stage's or the step's `env`"),
    };
    Some(
        Diagnostic::new(
            Code::UndefinedVar,
            format!("{list} in this `run` step is set nowhere: no argument, no variable of the stage's or the base image's environment, and the command does not set it, so the shell expands it to nothing"),
            command.span,
        )
        .with_help(help),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_shell_expands() {
        assert_eq!(
            used("echo $A ${B} '$C' \\$D $$E \"$F\" $1"),
            ["A", "B", "F"]
        );
        assert_eq!(used("awk '{print $NF}' f"), Vec::<&str>::new());
    }

    #[test]
    fn names_the_command_sets() {
        let s = set(
            "X=1 make; for f in *; do echo $f; done; read -r line; export Y=2 Z; getopts ab opt",
        );
        for n in ["X", "f", "line", "Y", "Z", "opt"] {
            assert!(s.contains(&n), "{n} in {s:?}");
        }
    }

    #[test]
    fn an_unknown_name_is_found_with_a_suggestion() {
        let cmd = Spanned::new(
            Command::Shell("echo $VERSON $HOME $APP".into()),
            crate::diag::Span::default(),
        );
        let names = vec!["VERSION".to_owned(), "APP".to_owned()];
        let d = check(&cmd, |n| names.iter().any(|k| k == n), &names)
            .unwrap_or_else(|| panic!("found"));
        assert!(
            d.message.starts_with("`$VERSON` in this `run` step"),
            "{}",
            d.message
        );
        assert!(d
            .help
            .unwrap_or_default()
            .starts_with("did you mean `$VERSION`?"));
        assert!(check(&cmd, |_| true, &names).is_none());
    }
}
