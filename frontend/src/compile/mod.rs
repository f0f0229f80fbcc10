//! Compiles a validated spec plus build options to LLB and an image config.
//!
//! The pipeline per target platform: [`plan`] finds the target, the stages it
//! needs and the base images to resolve; the caller resolves those images
//! (concurrently, in `build`); [`compile`] then turns each needed stage into
//! a [`State`], one file per step kind (`run`, `copy`, `add`, `mkdir`,
//! `artifacts`), and writes the target's image config.
//!
//! `compile` never sees YAML and does no IO. Errors are diagnostics with the
//! span of the offending value.

pub(crate) mod add;
mod artifacts;
pub(crate) mod copy;
pub(crate) mod mkdir;
pub(crate) mod run;
pub mod scope;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use llb::op::{Constraints, OpMeta, SourceLocation, SourceMap, State};
use llb::reference::Reference;
use llb::source::LocalOptions;
use llb::{source, FileOp, Platform};

use crate::diag::{Code, Diagnostic, Span, Spanned};
use crate::image::{EnvList, Image};
use crate::options::BuildOptions;
use crate::spec::model::{FromRef, RefKind, Spec, Stage};
pub use scope::StageScope;

/// What the engine can do, as far as compilation cares.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineFeatures {
    /// MergeOp is available: `link: true` artifacts become independent layers.
    pub merge_op: bool,
}

/// What [`plan`] found: the target and the base images its stages need.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: String,
    /// The stages the target needs, itself included.
    pub stages: BTreeSet<String>,
    /// Normalised references of base images, per platform they are needed for.
    pub images: BTreeSet<(String, Platform)>,
}

/// A compiled target.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub state: State,
    pub image: Image,
    /// The stages that had to build, in build order.
    pub stages: Vec<String>,
    /// States that must build for the result to be valid though nothing is taken from them (`needs`).
    pub needs: Vec<State>,
}

/// A resolved base image: its config and the digest its source is pinned to.
#[derive(Debug, Clone)]
pub struct BaseImage {
    pub config: Image,
    /// `sha256:…`; empty when unknown (offline compilation).
    pub digest: String,
}

/// Inputs of one platform's compilation.
pub struct Input<'a> {
    pub spec: &'a Spec,
    pub opts: &'a BuildOptions,
    pub platform: Platform,
    pub build_platform: Platform,
    /// Configs of resolved base images, by (normalised reference, platform).
    pub images: &'a BTreeMap<(String, Platform), BaseImage>,
    pub features: EngineFeatures,
}

/// The stage to build: `--target`, else `target:`, else the last stage.
pub fn target_stage<'a>(spec: &'a Spec, opts: &BuildOptions) -> Result<&'a Stage, Diagnostic> {
    match &opts.target {
        Some(t) => spec.stage(t).ok_or_else(|| {
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
fn stage_platform(
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

fn parse_reference(text: &str, span: Span) -> Result<Reference, Diagnostic> {
    Reference::parse(text).map_err(|e| Diagnostic::new(Code::InvalidImage, e.to_string(), span))
}

/// Finds the target and the base images that need resolving.
pub fn plan(
    spec: &Spec,
    opts: &BuildOptions,
    platform: &Platform,
    build_platform: &Platform,
) -> Result<Plan, Diagnostic> {
    let target = target_stage(spec, opts)?;
    let empty = BTreeMap::new();
    let input = Input {
        spec,
        opts,
        platform: platform.clone(),
        build_platform: build_platform.clone(),
        images: &empty,
        features: EngineFeatures::default(),
    };
    let mut images = BTreeSet::new();
    let mut stages = BTreeSet::new();
    for (stage, base) in build_order(&input, target)? {
        stages.insert(stage.name.value.clone());
        if base.is_some() {
            continue;
        }
        let scope = StageScope::for_stage(spec, stage, opts, platform, build_platform);
        let from = scope.expand(&stage.from, &spec.source)?;
        if let FromRef::Image(r) = spec.classify_from(&from) {
            if let Some(image) = base_image_name(opts, r) {
                let reference = parse_reference(image, stage.from.span)?;
                images.insert((
                    reference.to_string(),
                    stage_platform(&input, stage, &scope)?,
                ));
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
/// image a `--build-context name=docker-image://…` puts in its place; `None`
/// for a local-directory context (which has no image config to resolve).
fn base_image_name<'a>(opts: &'a BuildOptions, name: &'a str) -> Option<&'a str> {
    match opts.contexts.get(name) {
        None => Some(name),
        Some(ctx) => ctx.strip_prefix("docker-image://"),
    }
}

/// Stages that `stage` takes files from or needs (besides its `from`), expanded.
fn dependencies(spec: &Spec, stage: &Stage, scope: &StageScope) -> Result<Vec<String>, Diagnostic> {
    let mut out = Vec::new();
    for r in stage.references() {
        if r.kind == RefKind::From {
            continue;
        }
        let text = scope.expand(r.value, &spec.source)?;
        if let FromRef::Stage(s) = spec.classify_from(&text) {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

/// A compiled stage: its filesystem, config and scope.
#[derive(Debug, Clone)]
pub(crate) struct StageResult {
    pub(crate) state: State,
    pub(crate) image: Image,
}

/// Per-stage compilation state, shared by the step compilers.
pub(crate) struct StageCtx<'a, 'b> {
    pub(crate) input: &'b Input<'a>,
    pub(crate) stage: &'a Stage,
    pub(crate) scope: StageScope,
    pub(crate) state: State,
    pub(crate) image: Image,
    pub(crate) platform: Platform,
    pub(crate) workdir: String,
    pub(crate) user: String,
    pub(crate) step_no: usize,
    pub(crate) step_count: usize,
    pub(crate) source_map: Arc<SourceMap>,
}

impl StageCtx<'_, '_> {
    pub(crate) fn constraints(&self) -> Constraints {
        Constraints::for_platform(&self.platform)
    }

    pub(crate) fn expand(&self, text: &Spanned<String>) -> Result<String, Diagnostic> {
        self.scope.expand(text, &self.input.spec.source)
    }

    /// Expands a path, which may not end up empty (a literal `""` is refused
    /// when the spec is read; `$EMPTY` would silently mean `/` or the workdir).
    pub(crate) fn expand_path(&self, text: &Spanned<String>) -> Result<String, Diagnostic> {
        let value = self.expand(text)?;
        if value.is_empty() {
            return Err(Diagnostic::new(
                Code::InvalidValue,
                format!("`{}` expands to an empty path", text.value),
                text.span,
            )
            .with_help("give the variable a value, or a default: `${NAME:-path}`"));
        }
        Ok(value)
    }

    /// Expands a value and checks the result with one of `spec::validate`'s
    /// rules (the same rule the reader applies to values without variables).
    pub(crate) fn expand_checked(
        &self,
        text: &Spanned<String>,
        check: fn(&str) -> Result<(), String>,
    ) -> Result<String, Diagnostic> {
        let value = self.expand(text)?;
        check(&value).map_err(|m| Diagnostic::new(Code::InvalidValue, m, text.span))?;
        Ok(value)
    }

    /// The owner of a `chown` value, expanded and checked.
    pub(crate) fn chown(
        &self,
        chown: Option<&Spanned<String>>,
    ) -> Result<Option<llb::file::ChownOpt>, Diagnostic> {
        chown
            .map(|c| {
                self.expand_checked(c, crate::spec::validate::check_chown)
                    .map(|t| llb::file::ChownOpt::parse(&t))
            })
            .transpose()
    }

    /// Op metadata: progress name `[stage n/m] what`, cache policy and YAML location.
    pub(crate) fn meta(&self, what: &str, span: Span) -> OpMeta {
        OpMeta::default()
            .with_name(format!(
                "[{} {}/{}] {}",
                self.stage.name.value, self.step_no, self.step_count, what
            ))
            .with_ignore_cache(self.input.opts.no_cache_for(&self.stage.name.value))
            .with_location(Some(self.location(span)))
    }

    pub(crate) fn location(&self, span: Span) -> SourceLocation {
        let src = &self.input.spec.source;
        let end_offset = span.offset.saturating_add(span.len.saturating_sub(1));
        let end_line = src
            .text
            .get(span.offset..end_offset.max(span.offset))
            .map_or(0, |t| t.matches('\n').count());
        let end = span
            .line
            .saturating_add(u32::try_from(end_line).unwrap_or(0));
        self.source_map.lines(span.line, end)
    }

    /// The filesystem of a `from:` value (stage, image or named context) for copies and mounts.
    pub(crate) fn source_state(
        &self,
        compiler: &mut Compiler<'_, '_>,
        from: &Spanned<String>,
    ) -> Result<State, Diagnostic> {
        let text = self.expand(from)?;
        match self.input.spec.classify_from(&text) {
            FromRef::Stage(s) => compiler.stage(s),
            FromRef::Scratch => Ok(State::scratch()),
            FromRef::Image(r) => {
                if let Some(ctx) = self.input.opts.contexts.get(r) {
                    return compiler.named_context(r, ctx, from.span);
                }
                let reference = parse_reference(r, from.span)?;
                Ok(source::image(
                    &reference,
                    self.constraints(),
                    OpMeta::default().with_name(format!("[internal] image {reference}")),
                ))
            }
        }
    }
}

/// Joins `path` to `base` unless it is absolute, and cleans `.` and `..`.
pub fn resolve_path(base: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{base}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if (path.ends_with('/') || path.ends_with("/.") || path == ".") && out != "/" {
        out.push('/');
    }
    out
}

/// Compiles stages on demand, each once.
pub(crate) struct Compiler<'a, 'b> {
    pub(crate) input: &'b Input<'a>,
    /// The filesystem of every stage compiled so far.
    done: BTreeMap<String, State>,
    /// The image config of compiled stages that other stages still start `from`.
    images: BTreeMap<String, Image>,
    /// How many stages still to compile start `from` each stage: the last
    /// one takes the config instead of a copy, so a chain costs no copies.
    from_uses: BTreeMap<String, usize>,
    order: Vec<String>,
    pub(crate) needs: Vec<State>,
    source_map: Arc<SourceMap>,
    context: Option<State>,
    /// What the steps read from the build context, as BuildKit follow paths
    /// relative to its root (`""` for the whole context).
    pub(crate) context_paths: BTreeSet<String>,
    /// The follow paths the context source is created with (none: all of it).
    context_follow: Vec<String>,
}

/// Compiles the target stage for one platform.
///
/// The build context is sent only in part, as the Dockerfile frontend does:
/// its source op carries follow paths for exactly what the steps copy from
/// it. Those paths are only known once every step's values are expanded, and
/// the context's op must exist before the steps that use it, so a spec that
/// reads the context is compiled twice: once to collect the paths, then with
/// them. (Compiling is cheap next to transferring a context.)
pub fn compile(input: &Input<'_>) -> Result<Compiled, Diagnostic> {
    let (first, paths) = compile_with(input, Vec::new())?;
    // No path: the context is not read. `""`: all of it is.
    if paths.is_empty() || paths.contains("") {
        return Ok(first);
    }
    let (compiled, _) = compile_with(input, paths.into_iter().collect())?;
    Ok(compiled)
}

/// One compilation with the context filtered to `context_follow`; also
/// returns the context paths the steps read (every read of the context is a
/// copy that records its path).
fn compile_with(
    input: &Input<'_>,
    context_follow: Vec<String>,
) -> Result<(Compiled, BTreeSet<String>), Diagnostic> {
    let target = target_stage(input.spec, input.opts)?;
    let src = &input.spec.source;
    let order = build_order(input, target)?;
    let mut from_uses = BTreeMap::new();
    for (_, from) in &order {
        if let Some(base) = from {
            *from_uses.entry(base.clone()).or_insert(0) += 1;
        }
    }
    let mut c = Compiler {
        input,
        done: BTreeMap::new(),
        images: BTreeMap::new(),
        from_uses,
        order: Vec::new(),
        needs: Vec::new(),
        source_map: SourceMap::new(&src.name, "YAML", src.text.as_bytes()),
        context: None,
        context_paths: BTreeSet::new(),
        context_follow,
    };
    let mut result = None;
    for (stage, _) in order {
        let StageResult { state, image } = c.compile_stage(stage)?;
        let name = stage.name.value.clone();
        if stage.name.value == target.name.value {
            result = Some((state.clone(), image));
        } else if c.from_uses.get(&name).is_some_and(|n| *n > 0) {
            c.images.insert(name.clone(), image);
        }
        c.done.insert(name.clone(), state);
        c.order.push(name);
    }
    let Some((state, mut image)) = result else {
        return Err(Diagnostic::new(
            Code::UnknownStage,
            format!("unknown stage `{}`", target.name.value),
            target.name.span,
        ));
    };
    for (k, v) in &input.opts.labels {
        image.config.labels.insert(k.clone(), v.clone());
    }
    let compiled = Compiled {
        state,
        image,
        stages: c.order,
        needs: c.needs,
    };
    Ok((compiled, c.context_paths))
}

/// The stages the target needs, each after every stage it depends on (its
/// `from`, then `needs`, then the sources of its steps and artifacts, in
/// spec order: the order a recursive walk would compile them in), with the
/// stage each one starts `from`. An explicit stack, so that a 100,000-stage
/// chain needs no deep call stack.
fn build_order<'a>(
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
    let expand = |stage: &'a Stage| -> Result<(Vec<String>, Option<String>), Diagnostic> {
        let scope = StageScope::for_stage(
            spec,
            stage,
            input.opts,
            &input.platform,
            &input.build_platform,
        );
        let from = scope.expand(&stage.from, &spec.source)?;
        let base = match spec.classify_from(&from) {
            FromRef::Stage(s) => Some(s.to_owned()),
            FromRef::Scratch | FromRef::Image(_) => None,
        };
        let mut deps: Vec<String> = base.iter().cloned().collect();
        deps.extend(dependencies(spec, stage, &scope)?);
        Ok((deps, base))
    };
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

impl<'a, 'b> Compiler<'a, 'b> {
    /// The build context (`local://context`), created once.
    pub(crate) fn context(&mut self) -> State {
        if let Some(c) = &self.context {
            return c.clone();
        }
        let opts = LocalOptions {
            session_id: self.input.opts.session_id.clone(),
            shared_key_hint: self.input.opts.context_local.clone(),
            exclude_patterns: self.input.opts.context_excludes.clone(),
            follow_paths: self.context_follow.clone(),
            ..Default::default()
        };
        let st = source::local(
            &self.input.opts.context_local,
            &opts,
            Constraints::default(),
            OpMeta::default().with_name("[internal] load build context"),
        );
        self.context = Some(st.clone());
        st
    }

    /// A named build context (`--build-context name=…`).
    pub(crate) fn named_context(
        &mut self,
        name: &str,
        value: &str,
        span: Span,
    ) -> Result<State, Diagnostic> {
        if let Some(image) = value.strip_prefix("docker-image://") {
            let reference = parse_reference(image, span)?;
            return Ok(source::image(
                &reference,
                Constraints::for_platform(&self.input.platform),
                OpMeta::default(),
            ));
        }
        if let Some(local) = value.strip_prefix("local:") {
            let opts = LocalOptions {
                session_id: self.input.opts.session_id.clone(),
                shared_key_hint: local.to_owned(),
                ..Default::default()
            };
            return Ok(source::local(
                local,
                &opts,
                Constraints::default(),
                OpMeta::default().with_name(format!("[context {name}] load")),
            ));
        }
        Err(Diagnostic::new(
            Code::UnsupportedContext,
            format!("build context `{name}={value}` is not supported yet (use a local directory or docker-image://)"),
            span,
        ))
    }

    /// The filesystem of stage `name`, compiled before the stages that use
    /// it (see [`build_order`]).
    pub(crate) fn stage(&self, name: &str) -> Result<State, Diagnostic> {
        self.done.get(name).cloned().ok_or_else(|| {
            Diagnostic::new(
                Code::UnknownStage,
                format!("unknown stage `{name}`"),
                self.input.spec.version_span,
            )
        })
    }

    /// The image config of stage `name`, for a stage that starts `from` it:
    /// the last such stage takes it, the others get a copy.
    fn base_image(&mut self, name: &str) -> Result<Image, Diagnostic> {
        let uses = self.from_uses.entry(name.to_owned()).or_insert(0);
        *uses = uses.saturating_sub(1);
        let image = if *uses == 0 {
            self.images.remove(name)
        } else {
            self.images.get(name).cloned()
        };
        image.ok_or_else(|| {
            Diagnostic::new(
                Code::UnknownStage,
                format!("unknown stage `{name}`"),
                self.input.spec.version_span,
            )
        })
    }

    fn compile_stage(&mut self, stage: &'a Stage) -> Result<StageResult, Diagnostic> {
        let input = self.input;
        let spec = input.spec;
        // TARGET* stay the build's target even in a stage with its own
        // platform (cross-compilation on ${BUILDPLATFORM}), as in a Dockerfile.
        let mut scope = StageScope::for_stage(
            spec,
            stage,
            input.opts,
            &input.platform,
            &input.build_platform,
        );
        let platform = stage_platform(input, stage, &scope)?;
        let from = scope.expand(&stage.from, &spec.source)?;
        let (state, mut image) = match spec.classify_from(&from) {
            FromRef::Stage(s) => (self.stage(s)?, self.base_image(s)?),
            FromRef::Scratch => (State::scratch(), Image::scratch(&platform)),
            FromRef::Image(r) => match base_image_name(input.opts, r) {
                None => {
                    let ctx = input.opts.contexts.get(r).map_or("", String::as_str);
                    (
                        self.named_context(r, ctx, stage.from.span)?,
                        Image::scratch(&platform),
                    )
                }
                Some(image_name) => {
                    let reference = parse_reference(image_name, stage.from.span)?;
                    let key = (reference.to_string(), platform.clone());
                    let base = input.images.get(&key).cloned().ok_or_else(|| {
                        Diagnostic::new(
                            Code::UnresolvedImage,
                            format!("image `{reference}` was not resolved"),
                            stage.from.span,
                        )
                    })?;
                    let meta = OpMeta::default().with_name(format!(
                        "[{} 1/{}] FROM {reference}",
                        stage.name.value,
                        step_total(stage)
                    ));
                    // Pin the resolved digest, as the Dockerfile frontend does: the
                    // definition then names exactly what was resolved, and the engine
                    // does not rewrite the source (which would change op digests).
                    let mut pinned = reference.clone();
                    if !base.digest.is_empty() {
                        pinned.digest = Some(base.digest.clone());
                    }
                    (
                        source::image(&pinned, Constraints::for_platform(&platform), meta),
                        base.config,
                    )
                }
            },
        };
        image.architecture = platform.architecture.clone();
        image.os = platform.os.clone();
        image.variant = platform.variant.clone();
        for (k, v) in image.env_pairs() {
            scope.set_env(&k, &v);
        }
        let mut ctx = StageCtx {
            input,
            stage,
            scope,
            state,
            image,
            platform: platform.clone(),
            workdir: String::new(),
            user: String::new(),
            step_no: 1,
            step_count: step_total(stage),
            source_map: Arc::clone(&self.source_map),
        };
        ctx.workdir = if ctx.image.config.working_dir.is_empty() {
            "/".to_owned()
        } else {
            ctx.image.config.working_dir.clone()
        };
        ctx.user = ctx.image.config.user.clone();
        let mut env = EnvList::new(std::mem::take(&mut ctx.image.config.env));
        for (k, v) in &stage.env {
            let value = ctx.expand(v)?;
            ctx.scope.set_env(&k.value, &value);
            env.set(&k.value, &value);
            ctx.image
                .add_history(format!("ENV {}={}", k.value, value), true);
        }
        ctx.image.config.env = env.into_vec();
        if let Some(sh) = &stage.shell {
            ctx.image.config.shell = sh.value.iter().map(|a| a.value.clone()).collect();
        }
        if let Some(u) = &stage.user {
            ctx.user = ctx.expand(u)?;
            ctx.image.config.user = ctx.user.clone();
        }
        if let Some(w) = &stage.workdir {
            let dir = ctx.expand_path(w)?;
            ctx.workdir = resolve_path(&ctx.workdir, &dir);
            ctx.image.config.working_dir = ctx.workdir.clone();
            ctx.step_no += 1;
            let meta = ctx.meta(&format!("WORKDIR {}", ctx.workdir), w.span);
            ctx.state = FileOp::new().mkdir(&ctx.workdir, 0o755, true, None).apply(
                &ctx.state,
                ctx.constraints(),
                meta,
            );
            ctx.image
                .add_history(format!("WORKDIR {}", ctx.workdir), false);
        }
        for need in &stage.needs {
            let dep = self.stage(&need.value)?;
            if !dep.is_scratch() {
                self.needs.push(dep);
            }
        }
        for step in &stage.steps {
            ctx.step_no += 1;
            step.kind.compile(self, &mut ctx, step.span)?;
        }
        artifacts::compile_artifacts(self, &mut ctx)?;
        if let Some(img) = &stage.image {
            artifacts::apply_image_config(&mut ctx, img)?;
        }
        Ok(StageResult {
            state: ctx.state,
            image: ctx.image,
        })
    }
}

/// Progress numbering: FROM, WORKDIR, steps, artifacts.
fn step_total(stage: &Stage) -> usize {
    1 + usize::from(stage.workdir.is_some()) + stage.steps.len() + stage.artifacts.len()
}

#[cfg(test)]
mod tests {
    use super::resolve_path;

    #[test]
    fn resolves_paths() {
        assert_eq!(resolve_path("/src", "out"), "/src/out");
        assert_eq!(resolve_path("/src", "/out"), "/out");
        assert_eq!(resolve_path("/src", "./"), "/src/");
        assert_eq!(resolve_path("/src", "."), "/src/");
        assert_eq!(resolve_path("/", "."), "/");
        assert_eq!(resolve_path("/a/b", "../c/"), "/a/c/");
    }
}
