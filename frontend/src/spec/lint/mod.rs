//! Lint rules: checks of a valid spec that warn instead of failing the
//! build. One file per rule, one row in [`RULES`]; each rule's code,
//! severity and documentation are in the registry (`diag::codes`).
//!
//! Rules run at parse time on the converted stages, after the cross-stage
//! checks; they only add diagnostics. This module does NOT decide what is an
//! error: those checks live in `convert` and `validate`.

mod secrets_in_arg_or_env;

use super::convert::{Cx, Draft};

/// A rule: reads the draft, pushes its findings onto `cx`.
type Rule = fn(&Draft, &mut Cx<'_>);

/// Every rule, in the order they run.
const RULES: &[Rule] = &[secrets_in_arg_or_env::check];

/// Runs every rule.
pub(crate) fn lint(draft: &Draft, cx: &mut Cx<'_>) {
    for rule in RULES {
        rule(draft, cx);
    }
}
