//! Lint rules: checks of a valid spec that warn instead of failing the
//! build. One file per rule, one row in [`RULES`]; each rule's code,
//! severity and documentation are in the registry (`diag::codes`).
//!
//! Rules run at parse time on the converted stages, after the cross-stage
//! checks; they only add diagnostics. This module does NOT decide what is an
//! error: those checks live in `convert` and `validate`.

mod apt_get_upgrade;
pub mod config;
mod curl_piped_to_shell;
mod json_args_recommended;
mod secrets_in_arg_or_env;
mod sudo_in_run;
mod words;
mod workdir_relative_path;

use super::convert::{Cx, Draft};

/// A rule: reads the draft, pushes its findings onto `cx`.
type Rule = fn(&Draft, &mut Cx<'_>);

/// Every rule, in the order they run.
const RULES: &[Rule] = &[
    secrets_in_arg_or_env::check,
    json_args_recommended::check,
    workdir_relative_path::check,
    apt_get_upgrade::check,
    sudo_in_run::check,
    curl_piped_to_shell::check,
];

/// Runs every rule.
pub(crate) fn lint(draft: &Draft, cx: &mut Cx<'_>) {
    for rule in RULES {
        rule(draft, cx);
    }
}
