//! Lint rules: checks of a valid spec that warn instead of failing the
//! build. One file per rule, one row in [`RULES`]; each rule's code,
//! severity and documentation are in the registry (`diag::codes`).
//!
//! Rules run at parse time on the converted stages, after the cross-stage
//! checks; they only add diagnostics. Every rule runs; `config` then drops
//! what is skipped, and what the experimental rules found unless they are
//! turned on. This module does NOT decide what is an
//! error: those checks live in `convert` and `validate`.

mod apt_get_missing_yes;
mod apt_get_no_install_recommends;
mod apt_get_upgrade;
mod artifact_copies_directory;
mod base_image_unpinned;
mod cd_in_run;
pub mod config;
mod copy_before_install;
mod curl_piped_to_shell;
mod from_platform_flag_const_disallowed;
mod image_ref;
mod invalid_default_arg_in_from;
mod json_args_recommended;
mod package_install_without_cache;
mod redundant_target_platform;
mod reserved_stage_name;
mod runs_as_root;
mod sdk_runtime_image;
mod secrets_in_arg_or_env;
mod sudo_in_run;
mod unreachable_stage;
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
    cd_in_run::check,
    apt_get_missing_yes::check,
    package_install_without_cache::check,
    copy_before_install::check,
    artifact_copies_directory::check,
    sdk_runtime_image::check,
    reserved_stage_name::check,
    redundant_target_platform::check,
    from_platform_flag_const_disallowed::check,
    invalid_default_arg_in_from::check,
    apt_get_no_install_recommends::check,
    base_image_unpinned::check,
    runs_as_root::check,
    unreachable_stage::check,
];

/// Runs every rule.
pub(crate) fn lint(draft: &Draft, cx: &mut Cx<'_>) {
    for rule in RULES {
        rule(draft, cx);
    }
}
