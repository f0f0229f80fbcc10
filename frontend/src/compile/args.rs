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
use crate::spec::model::{ArgDecl, Spec, Stage, Unit};
use crate::spec::validate::check_arg_value;

/// The arguments of the spec and of `stages`, checked against the build's
/// `--build-arg` values; for a stage of an imported spec (language 1.1),
/// that spec's arguments against `--build-arg PREFIX.NAME` and its import's
/// `args`.
pub(super) fn check(spec: &Spec, stages: &[&Stage], opts: &BuildOptions) -> Result<(), Diagnostic> {
    for d in spec
        .args
        .iter()
        .chain(stages.iter().filter(|s| s.unit == 0).flat_map(|s| &s.args))
    {
        let given = opts.build_args.get(&d.name.value);
        check_one(
            d,
            given.map(|v| (v, format!("--build-arg {}", d.name.value))),
        )?;
    }
    let mut units: Vec<u16> = stages.iter().map(|s| s.unit).filter(|u| *u != 0).collect();
    units.sort_unstable();
    units.dedup();
    for unit in units.into_iter().filter_map(|u| spec.unit(u)) {
        let own = stages
            .iter()
            .filter(|s| spec.unit(s.unit).is_some_and(|u| std::ptr::eq(u, unit)));
        for d in &unit.args {
            let name = &d.name.value;
            let given = match (unit.build_arg(opts, name), unit.given.get(name)) {
                (Some(v), _) => Some((v, format!("--build-arg {}.{name}", unit.prefix))),
                (None, Some(v)) => Some((v, format!("the import's `args: {{{name}: …}}`"))),
                (None, None) => None,
            };
            check_one(d, given).map_err(|e| for_unit(e, unit, &d.name.value, true))?;
        }
        for d in own.flat_map(|s| &s.args) {
            let given = unit
                .build_arg(opts, &d.name.value)
                .map(|v| (v, format!("--build-arg {}.{}", unit.prefix, d.name.value)));
            check_one(d, given).map_err(|e| for_unit(e, unit, &d.name.value, false))?;
        }
    }
    Ok(())
}

/// An imported spec's argument: the help names the option that sets it.
/// (`top`: a top-level argument, which the import's `args` can give too).
fn for_unit(mut d: Diagnostic, unit: &Unit, name: &str, top: bool) -> Diagnostic {
    if d.code == Code::ArgRequired {
        let option = format!(
            "`--build-arg {}.{name}=…` to `docker buildx build`",
            unit.prefix
        );
        d.help = Some(if top {
            format!("pass {option}, or give it in the import's `args`")
        } else {
            format!("pass {option}")
        });
    }
    d
}

/// One declaration and the value the build gives it, with where that value
/// comes from (`--build-arg NAME`).
fn check_one(d: &ArgDecl, given: Option<(&String, String)>) -> Result<(), Diagnostic> {
    let name = &d.name.value;
    match given {
        Some((value, how)) => check_arg_value(d.ty, &d.choices, value).map_err(|why| {
            Diagnostic::new(
                Code::ArgValueInvalid,
                if how.starts_with("--") {
                    format!("`{how}={value}`: `{value}` is not a value of `{name}`")
                } else {
                    format!("{how} gives `{value}`, which is not a value of `{name}`")
                },
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
