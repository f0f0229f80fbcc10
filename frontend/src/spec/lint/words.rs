//! The words of a `run` command, for the rules that look for commands in
//! it: split at white space and at the shell's `|`, `;`, `&`, `(` and `)`,
//! each of `|` and `;` kept as a word of its own. Not a shell parser:
//! quotes and expansions are not interpreted.

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

/// The `run` steps of the draft, with their stage's name.
pub(super) fn runs(
    draft: &crate::spec::convert::Draft,
) -> impl Iterator<Item = &crate::spec::model::Run> {
    draft.stages.iter().flat_map(|stage| {
        stage.steps.iter().filter_map(|s| match &s.kind {
            crate::spec::model::StepKind::Run(r) => Some(r),
            crate::spec::model::StepKind::Copy(_)
            | crate::spec::model::StepKind::Add(_)
            | crate::spec::model::StepKind::Mkdir(_) => None,
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
