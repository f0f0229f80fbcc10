//! Planning: which stage is the target, which stages it needs in which
//! order (one walk over [`Stage::references`], expanded), and which base
//! images to resolve. No LLB is made here.

use std::collections::{BTreeMap, BTreeSet};

use llb::Platform;

use crate::diag::{Code, Diagnostic, Span};
use crate::options::{BuildOptions, ContextKind};
use crate::spec::model::{FromRef, RefKind, Spec, Stage};

use super::*;

/// The stage to build: `--target`, else `target:`, else the last stage.
pub fn target_stage<'a>(spec: &'a Spec, opts: &BuildOptions) -> Result<&'a Stage, Diagnostic> {
    match &opts.target {
        Some(t) => spec.stage(t).ok_or_else(|| {
            if let Some(d) = crate::spec::graph::bare_matrix(
                &spec.matrices,
                t,
                Span::default(),
                " (from --target)",
            ) {
                return d;
            }
            let names: Vec<&str> = spec.stages.iter().map(|s| s.name.value.as_str()).collect();
            let mut d = Diagnostic::new(
                Code::UnknownTarget,
                format!("target stage `{t}` does not exist (from --target)"),
                Span::default(),
            );
            if let Some(s) = crate::diag::did_you_mean(t, names.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                d = d.with_help(format!("stages are: {}", names.join(", ")));
            }
            d
        }),
        None => spec.default_target().ok_or_else(|| {
            Diagnostic::new(
                Code::MissingKey,
                "the spec has no stages",
                spec.version_span,
            )
        }),
    }
}

/// A stage's platform: its `platform:` (expanded), else the target platform.
pub(super) fn stage_platform(
    input: &Input<'_>,
    stage: &Stage,
    scope: &StageScope,
) -> Result<Platform, Diagnostic> {
    match &stage.platform {
        None => Ok(input.platform.clone()),
        Some(p) => {
            let text = scope.expand(p, &input.spec.source)?;
            Platform::parse(&text)
                .map_err(|e| Diagnostic::new(Code::InvalidValue, e.to_string(), p.span))
        }
    }
}

/// Finds the target and the base images that need resolving.
pub fn plan(
    spec: &Spec,
    opts: &BuildOptions,
    platform: &Platform,
    build_platform: &Platform,
) -> Result<Plan, Diagnostic> {
    let target = target_stage(spec, opts)?;
    let input = Input::unresolved(spec, opts, platform, build_platform);
    let mut images = BTreeMap::new();
    let mut stages = BTreeSet::new();
    for (stage, _) in build_order(&input, target)? {
        stages.insert(stage.name.value.clone());
        let scope = StageScope::for_stage(spec, stage, opts, platform, build_platform);
        let stage_platform = stage_platform(&input, stage, &scope)?;
        // Every image the stage starts from or takes files from: each is
        // resolved once and pinned, so all its uses are one vertex.
        for r in conditions::kept_references(stage, &scope)? {
            if r.kind == RefKind::Needs {
                continue;
            }
            let text = scope.expand(r.value, &spec.source)?;
            if let FromRef::Image(name) = spec.classify_from(stage.unit, &text) {
                if let Some(base) = base_ref(opts, name, r.value.span)? {
                    images
                        .entry((base, stage_platform.clone()))
                        .or_insert(ImageUse {
                            uses: 0,
                            first: r.value.span,
                        })
                        .uses += 1;
                }
            }
        }
    }
    Ok(Plan {
        target: target.name.value.clone(),
        stages,
        images,
    })
}

/// The image a stage's `from: <name>` starts from: the name itself, or the
/// image a `--build-context name=docker-image://…` or `oci-layout://…` puts
/// in its place; `None` for a context of files (which has no image config to
/// resolve).
pub(super) fn base_ref(
    opts: &BuildOptions,
    name: &str,
    span: Span,
) -> Result<Option<BaseRef>, Diagnostic> {
    let image = match opts.contexts.get(name).map(|c| &c.kind) {
        None => name,
        Some(ContextKind::Image(image)) => image,
        Some(ContextKind::OciLayout(layout)) => {
            return Ok(Some(BaseRef::Layout(name.to_owned(), layout.clone())))
        }
        Some(
            ContextKind::Local(_)
            | ContextKind::Git(_)
            | ContextKind::Http(_)
            | ContextKind::Input(_)
            | ContextKind::Unknown,
        ) => return Ok(None),
    };
    Ok(Some(BaseRef::Image(
        parse_reference(image, span)?.to_string(),
    )))
}

/// The stages `stage` starts from, needs, or takes files from, expanded, in
/// the order of [`Stage::references`], with the one it starts `from`: only
/// those of elements its conditions keep, and not a `needs` entry of a stage
/// that its own condition leaves out (any other use of such a stage is an
/// error).
pub(super) fn dependencies(
    input: &Input<'_>,
    stage: &Stage,
) -> Result<(Vec<String>, Option<String>), Diagnostic> {
    let spec = input.spec;
    let scope = conditions::scope_of(input, stage);
    let mut deps = Vec::new();
    let mut base = None;
    for r in conditions::kept_references(stage, &scope)? {
        let text = scope.expand(r.value, &spec.source)?;
        if let Some(d) = crate::spec::graph::bare_matrix(&spec.matrices, &text, r.value.span, "") {
            return Err(d);
        }
        let FromRef::Stage(s) = spec.classify_from(stage.unit, &text) else {
            continue;
        };
        let Some(used) = spec.stage(s) else {
            continue;
        };
        if !conditions::follows(input, stage, &r, used)? {
            continue;
        }
        if r.kind == RefKind::From {
            base = Some(s.to_owned());
        }
        deps.push(s.to_owned());
    }
    Ok((deps, base))
}

/// The stages the target needs, each after every stage it depends on (its
/// `from`, then `needs`, then the sources of its steps and artifacts, in
/// spec order: the order a recursive walk would compile them in), with the
/// stage each one starts `from`. An explicit stack, so that a 100,000-stage
/// chain needs no deep call stack.
pub(super) fn build_order<'a>(
    input: &Input<'a>,
    target: &'a Stage,
) -> Result<Vec<(&'a Stage, Option<String>)>, Diagnostic> {
    let spec = input.spec;
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        InProgress,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    let mut order = Vec::new();
    // (stage, its dependencies once expanded, the next one to visit)
    let mut stack: Vec<(&'a Stage, Vec<String>, Option<String>, usize)> = Vec::new();
    let expand = |stage: &'a Stage| dependencies(input, stage);
    if !conditions::stage_kept(input, target)? {
        return Err(conditions::target_left_out(input, target));
    }
    let (deps, base) = expand(target)?;
    marks.insert(&target.name.value, Mark::InProgress);
    stack.push((target, deps, base, 0));
    while let Some((stage, deps, _, next)) = stack.last_mut() {
        let Some(dep) = deps.get(*next).cloned() else {
            let Some((stage, _, base, _)) = stack.pop() else {
                break;
            };
            marks.insert(&stage.name.value, Mark::Done);
            order.push((stage, base));
            continue;
        };
        *next += 1;
        let stage: &'a Stage = stage;
        let Some(dep_stage) = spec.stage(&dep) else {
            return Err(Diagnostic::new(
                Code::UnknownStage,
                format!("unknown stage `{dep}`"),
                stage.name.span,
            ));
        };
        match marks.get(dep_stage.name.value.as_str()) {
            Some(Mark::Done) => {}
            Some(Mark::InProgress) => {
                return Err(Diagnostic::new(
                    Code::StageCycle,
                    format!("stage `{dep}` depends on itself"),
                    dep_stage.name.span,
                ));
            }
            None => {
                let (deps, base) = expand(dep_stage)?;
                marks.insert(&dep_stage.name.value, Mark::InProgress);
                stack.push((dep_stage, deps, base, 0));
            }
        }
    }
    Ok(order)
}
