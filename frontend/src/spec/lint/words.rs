//! The words of a `run` command, for the rules that look for commands in
//! it: split at white space and at the shell's `|`, `;`, `&`, `(` and `)`,
//! each of `|` and `;` kept as a word of its own; and the calls of a
//! program among them ([`calls`]). Not a shell parser: quotes and
//! expansions are not interpreted.

use crate::spec::model::Command;

/// A separator that ends a command in a pipeline or list.
pub(super) const PIPE: &str = "|";

pub(super) fn words(command: &Command) -> Vec<String> {
    let text = match command {
        Command::Shell(s) => s.clone(),
        Command::Exec(args) => args
            .iter()
            .map(|a| a.value.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        match c {
            '|' | ';' | '&' | '(' | ')' => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                if c == '|' {
                    out.push(PIPE.to_owned());
                } else if c == ';' {
                    out.push(";".to_owned());
                }
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// One call of a program in a command's words.
pub(super) struct Call<'w> {
    /// The words after the program, up to the next `;` or `|` (a `&&` is no
    /// word: the words of the commands after it are included).
    pub(super) args: &'w [String],
}

impl Call<'_> {
    /// Whether its operands (the arguments that are not options) start
    /// with `words`.
    pub(super) fn starts_with(&self, words: &[&str]) -> bool {
        let mut operands = self.args.iter().filter(|a| !a.starts_with('-'));
        words
            .iter()
            .all(|w| operands.next().is_some_and(|o| o == w))
    }

    /// Whether one of its arguments is `word`.
    pub(super) fn has(&self, word: &str) -> bool {
        self.args.iter().any(|a| a == word)
    }
}

/// The last component of a path: `/usr/bin/pip` → `pip`.
fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Every call of `program` (compared with the last component of a word's
/// path) in `words` (from [`words`]).
pub(super) fn calls<'w>(words: &'w [String], program: &str) -> Vec<Call<'w>> {
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if program_name(w) != program {
            continue;
        }
        let rest = words.get(i + 1..).unwrap_or(&[]);
        let end = rest
            .iter()
            .position(|a| a == PIPE || a == ";")
            .unwrap_or(rest.len());
        out.push(Call {
            args: rest.get(..end).unwrap_or(rest),
        });
    }
    out
}

/// The `run` steps of the draft, with their stage's name.
pub(super) fn runs(
    draft: &crate::spec::convert::Draft,
) -> impl Iterator<Item = &crate::spec::model::Run> {
    draft.stages.iter().flat_map(|stage| {
        stage.steps.iter().filter_map(|s| match &s.kind {
            crate::spec::model::StepKind::Run(r) => Some(r),
            crate::spec::model::StepKind::Copy(_)
            | crate::spec::model::StepKind::Add(_)
            | crate::spec::model::StepKind::Mkdir(_)
            | crate::spec::model::StepKind::Write(_) => None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_and_lists_split_words() {
        let w = words(&Command::Shell(
            "curl -fsSL x|sh && apt-get  upgrade;(sudo ls)".into(),
        ));
        assert_eq!(
            w,
            ["curl", "-fsSL", "x", "|", "sh", "apt-get", "upgrade", ";", "sudo", "ls"]
        );
    }
}
