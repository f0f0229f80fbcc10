//! `secrets-used-in-arg-or-env`: an argument or environment variable whose
//! name says it holds a secret (the words of the Dockerfile frontend's
//! `SecretsUsedInArgOrEnv` check). Argument values are kept in the image's
//! history and `env` in its config.

use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::convert::{Cx, Draft};

/// Words that make a name a secret's (compared without case).
const SECRET_WORDS: &[&str] = &[
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
];
/// Words that make it not one (`PUBLIC_KEY`).
const ALLOWED_WORDS: &[&str] = &["public"];

/// Whether one of the `_`-separated words of `name` is a secret word and
/// none is allowed.
fn looks_secret(name: &str) -> bool {
    let has = |words: &[&str]| {
        name.split('_')
            .any(|w| words.iter().any(|s| w.eq_ignore_ascii_case(s)))
    };
    has(SECRET_WORDS) && !has(ALLOWED_WORDS)
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    let warn = |cx: &mut Cx<'_>, name: &Spanned<String>, kept: &str| {
        if !looks_secret(&name.value) {
            return;
        }
        let id = name.value.to_ascii_lowercase();
        cx.push(
            Diagnostic::new(
                Code::SecretsUsedInArgOrEnv,
                format!("`{}` looks like a secret, and {kept}", name.value),
                name.span,
            )
            .with_help(format!(
                "pass secrets with a secret mount: `secrets: [{{id: {id}, env: {}}}]` on the `run` step that needs it, and `--secret id={id},...`",
                name.value
            )),
        );
    };
    let args = "argument values are kept in the image's history";
    let env = "`env` values are kept in the image's config";
    for a in &draft.args {
        warn(cx, &a.name, args);
    }
    for stage in &draft.stages {
        for a in &stage.args {
            warn(cx, &a.name, args);
        }
        for (k, _) in &stage.env {
            warn(cx, k, env);
        }
        for (k, _) in stage.image.iter().flat_map(|i| &i.env) {
            warn(cx, k, env);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::looks_secret;

    #[test]
    fn words_are_whole_and_case_blind() {
        for yes in [
            "NPM_TOKEN",
            "api_key",
            "AWS_SECRET_ACCESS_KEY",
            "password",
            "Auth",
        ] {
            assert!(looks_secret(yes), "{yes}");
        }
        for no in [
            "MONKEY",
            "TOKENS",
            "PUBLIC_KEY",
            "KEYBOARD",
            "PATH",
            "MYPASSWORDHERE",
        ] {
            assert!(!looks_secret(no), "{no}");
        }
    }
}
