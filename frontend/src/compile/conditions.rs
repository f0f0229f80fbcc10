//! `when:` and `unless:` (language 1.1), evaluated: whether a step, an
//! artifact, a `needs` entry or a stage is part of this build. A condition
//! sees the element's stage scope as planning has it, the arguments (with
//! `--build-arg` values) and the built-ins of the platform being compiled;
//! not the environment, which planning does not know yet.
//!
//! The one place these rules are applied: planning (what to build and
//! resolve) and the stage compiler (what to compile) both ask here, so they
//! cannot disagree. Reading the keys is `spec::convert::condition`.

use crate::diag::{did_you_mean, Code, Diagnostic, Spanned};
use crate::spec::model::{CondTerm, Condition, RefKind, Stage, StageRef};
use crate::spec::vars::Lookup;

use super::{Input, StageScope};

/// Whether the element with `cond` is kept, in `stage`'s `scope`.
pub(crate) fn holds(
    cond: &Condition,
    stage: &Stage,
    scope: &StageScope,
) -> Result<bool, Diagnostic> {
    if let Some(when) = &cond.when {
        if !matches(when, "when", stage, scope)? {
            return Ok(false);
        }
    }
    if let Some(unless) = &cond.unless {
        if matches(unless, "unless", stage, scope)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether every term's variable has one of its values.
fn matches(
    terms: &Spanned<Vec<CondTerm>>,
    key: &str,
    stage: &Stage,
    scope: &StageScope,
) -> Result<bool, Diagnostic> {
    for term in &terms.value {
        let value = match scope.condition_lookup(&term.name.value) {
            Lookup::Value(v) => v,
            Lookup::DeclaredEmpty => String::new(),
            Lookup::Undeclared => return Err(undeclared(&term.name, key, stage, scope)),
        };
        if !term.values.iter().any(|v| v.value == value) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn undeclared(name: &Spanned<String>, key: &str, stage: &Stage, scope: &StageScope) -> Diagnostic {
    let names = scope.condition_names();
    let help = if stage.env.iter().any(|(k, _)| k.value == name.value) {
        format!(
            "`{}` is an environment variable of the stage; `{key}` sees arguments and built-ins only: declare it under `args:`",
            name.value
        )
    } else if let Some(s) = did_you_mean(&name.value, names.iter().map(String::as_str)) {
        format!("did you mean `{s}`?")
    } else {
        format!("`{key}` names arguments and built-ins: declare it under `args:`")
    };
    Diagnostic::new(
        Code::UndeclaredVariable,
        format!("undeclared variable `{}` in `{key}`", name.value),
        name.span,
    )
    .with_help(help)
}

/// The scope a stage's own condition and its elements' conditions see.
pub(crate) fn scope_of(input: &Input<'_>, stage: &Stage) -> StageScope {
    StageScope::for_stage(
        input.spec,
        stage,
        input.opts,
        &input.platform,
        &input.build_platform,
    )
}

/// Whether `stage` itself is part of the build (its own `when`/`unless`).
pub(crate) fn stage_kept(input: &Input<'_>, stage: &Stage) -> Result<bool, Diagnostic> {
    if stage.cond.is_empty() {
        return Ok(true);
    }
    holds(&stage.cond, stage, &scope_of(input, stage))
}

/// The references of `stage` in elements that are kept, in spec order.
pub(crate) fn kept_references<'a>(
    stage: &'a Stage,
    scope: &StageScope,
) -> Result<Vec<StageRef<'a>>, Diagnostic> {
    let mut out = Vec::new();
    for r in stage.references() {
        let kept = match r.cond {
            Some(c) if !c.is_empty() => holds(c, stage, scope)?,
            Some(_) | None => true,
        };
        if kept {
            out.push(r);
        }
    }
    Ok(out)
}

/// Whether a reference of `user` to stage `used` (by name, expanded) is
/// followed: a `needs` entry of a stage that is left out is dropped; any
/// other reference to it is an error naming both places.
pub(crate) fn follows(
    input: &Input<'_>,
    user: &Stage,
    r: &StageRef<'_>,
    used: &Stage,
) -> Result<bool, Diagnostic> {
    if stage_kept(input, used)? {
        return Ok(true);
    }
    match r.kind {
        RefKind::Needs => Ok(false),
        RefKind::From | RefKind::Copy | RefKind::Mount | RefKind::Artifact => {
            let at = used
                .cond
                .when
                .as_ref()
                .or(used.cond.unless.as_ref())
                .map_or(used.name.span, |c| c.span);
            Err(Diagnostic::new(
                Code::StageLeftOut,
                format!(
                    "stage `{}` uses stage `{}` in `{}`, but `{}` is left out of this build by its condition",
                    user.name.value,
                    used.name.value,
                    r.kind.label(),
                    used.name.value
                ),
                r.value.span,
            )
            .with_label(at, "the condition that leaves it out")
            .with_help(
                "only a `needs` entry may name a stage that can be left out; give this element the same condition, or change the arguments",
            ))
        }
    }
}

/// The error for a target stage its own condition leaves out.
pub(crate) fn target_left_out(input: &Input<'_>, target: &Stage) -> Diagnostic {
    let at = target
        .cond
        .when
        .as_ref()
        .or(target.cond.unless.as_ref())
        .map_or(target.name.span, |c| c.span);
    let how = if input.opts.target.is_some() {
        " (from --target)"
    } else {
        ""
    };
    Diagnostic::new(
        Code::StageLeftOut,
        format!(
            "the target stage `{}`{how} is left out of this build by its condition",
            target.name.value
        ),
        at,
    )
    .with_help("build another target, or give the arguments values that keep it")
}

/// The items of `stage` (steps, artifacts) whose condition holds, in order.
pub(crate) fn kept<'a, T>(
    items: &'a [T],
    cond: impl Fn(&T) -> &Condition,
    stage: &Stage,
    scope: &StageScope,
) -> Result<Vec<&'a T>, Diagnostic> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let c = cond(item);
        if c.is_empty() || holds(c, stage, scope)? {
            out.push(item);
        }
    }
    Ok(out)
}

/// The stages of `stage`'s `needs` that this build builds: entries whose
/// condition holds, naming a stage that its own condition keeps.
pub(crate) fn needed<'a>(
    input: &Input<'a>,
    stage: &'a Stage,
    scope: &StageScope,
) -> Result<Vec<&'a str>, Diagnostic> {
    let mut out = Vec::new();
    for r in kept_references(stage, scope)? {
        if r.kind != RefKind::Needs {
            continue;
        }
        let Some(used) = input.spec.stage_in(stage.unit, &r.value.value) else {
            continue;
        };
        if follows(input, stage, &r, used)? {
            out.push(used.name.value.as_str());
        }
    }
    Ok(out)
}
