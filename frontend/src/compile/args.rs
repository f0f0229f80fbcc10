//! Typed arguments at build time (language 1.1): each `--build-arg` value
//! of an argument with a `type` or `choices` must be one of its values, and
//! a `required` argument must be given one; checked for the top-level
//! arguments and those of the stages the build compiles, before anything
//! is compiled. Errors point at the declaration and name the option.
//!
//! Not the static checks of a declaration (a default of the wrong type, a
//! required argument with a default): the reader makes those
//! (`spec::convert`). Values are not changed here: they reach variables as
//! given.

use crate::diag::{Code, Diagnostic};
use crate::options::BuildOptions;
use crate::spec::model::{ArgDecl, Spec, Stage};
use crate::spec::validate::check_arg_value;

/// The arguments of the spec and of `stages`, checked against the build's
/// `--build-arg` values.
pub(super) fn check(spec: &Spec, stages: &[&Stage], opts: &BuildOptions) -> Result<(), Diagnostic> {
    let decls = spec.args.iter().chain(stages.iter().flat_map(|s| &s.args));
    for d in decls {
        check_one(d, opts)?;
    }
    Ok(())
}

fn check_one(d: &ArgDecl, opts: &BuildOptions) -> Result<(), Diagnostic> {
    let name = &d.name.value;
    match opts.build_args.get(name) {
        Some(value) => check_arg_value(d.ty, &d.choices, value).map_err(|why| {
            Diagnostic::new(
                Code::ArgValueInvalid,
                format!("`--build-arg {name}={value}`: `{value}` is not a value of `{name}`"),
                d.name.span,
            )
            .with_help(why)
        }),
        None if d.required => Err(Diagnostic::new(
            Code::ArgRequired,
            format!("`{name}` is required: the build gave it no value"),
            d.name.span,
        )
        .with_help(format!(
            "pass `--build-arg {name}=…` to `docker buildx build`"
        ))),
        None => Ok(()),
    }
}
