//! One stage's compilation: its base (`from`), env, user, workdir, then
//! each step through the step-kind table (`crate::steps`), its artifacts and
//! its image config. [`StageCtx`] is the state the step compilers share.

use std::sync::Arc;

use llb::op::{Constraints, OpMeta, SourceLocation, SourceMap, State};
use llb::{source, FileOp, Platform};

use crate::diag::{Code, Diagnostic, Span, Spanned};
use crate::image::{EnvList, Image};
use crate::spec::model::{FromRef, Stage};

use super::plan::{base_ref, stage_platform};
use super::*;

/// A compiled stage: its filesystem, config and scope.
#[derive(Debug, Clone)]
pub(crate) struct StageResult {
    pub(crate) state: State,
    pub(crate) image: Image,
    /// The config of the image the stage's `from:` chain starts at (none
    /// for scratch or a context of files): the exporter keeps that image's
    /// history as it is under `SOURCE_DATE_EPOCH`.
    pub(crate) base: Option<Image>,
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
    pub(crate) source_map: Arc<Vec<Arc<SourceMap>>>,
    /// The environment the stage starts from (its base's), in its order.
    pub(crate) base_env: Vec<String>,
    /// The stage's `env`, expanded, in the order written.
    pub(crate) stage_env: Vec<(String, String)>,
}

impl StageCtx<'_, '_> {
    /// The step replaced the stage's filesystem with `state`: its history
    /// entry has a layer. With [`Self::commit_config`], the one rule for
    /// history: an entry is `empty_layer` exactly when the step changed only
    /// the config. No other code writes history.
    pub(crate) fn commit_layer(&mut self, state: State, created_by: String) {
        self.state = state;
        self.image.add_history(created_by, false);
    }

    /// The step changed only the image config: its history entry has no layer.
    pub(crate) fn commit_config(&mut self, created_by: String) {
        self.image.add_history(created_by, true);
    }

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
            .with_name(crate::progress::step(
                &self.stage.name.value,
                self.step_no,
                self.step_count,
                what,
            ))
            .with_ignore_cache(self.input.opts.no_cache_for(&self.stage.name.value))
            .with_location(Some(self.location(span)))
    }

    pub(crate) fn location(&self, span: Span) -> SourceLocation {
        let src = self.input.spec.source.file(span.file);
        let end_offset = span.offset.saturating_add(span.len.saturating_sub(1));
        let end_line = src
            .text
            .get(span.offset..end_offset.max(span.offset))
            .map_or(0, |t| t.matches('\n').count());
        let end = span
            .line
            .saturating_add(u32::try_from(end_line).unwrap_or(0));
        let file = self
            .source_map
            .get(usize::from(span.file))
            .or(self.source_map.first());
        match file {
            Some(map) => map.lines(span.line, end),
            // Never: the list starts with the spec's own file.
            None => SourceMap::new("", "YAML", b"").lines(span.line, end),
        }
    }

    /// The filesystem of a `from:` value (stage, image or named context) for copies and mounts.
    pub(crate) fn source_state(
        &self,
        compiler: &mut Compiler<'_, '_>,
        from: &Spanned<String>,
    ) -> Result<State, Diagnostic> {
        let text = self.expand(from)?;
        match self.input.spec.classify_from(self.stage.unit, &text) {
            FromRef::Stage(s) => compiler.stage(s),
            FromRef::Scratch => Ok(State::scratch()),
            FromRef::Image(r) => {
                // An image the plan resolved: pinned, the same vertex as
                // every other use of it.
                if let Some(BaseRef::Image(text)) = base_ref(self.input.opts, r, from.span)? {
                    let key = (BaseRef::Image(text.clone()), self.platform.clone());
                    if let Some(base) = self.input.images.get(&key) {
                        let reference = parse_reference(&text, from.span)?;
                        return Ok(pinned_image(
                            &reference,
                            base,
                            self.input.opts.resolve_mode.as_str(),
                            &self.platform,
                            |pinned| {
                                if base.uses > 1 {
                                    crate::progress::shared_image(pinned)
                                } else {
                                    crate::progress::image(pinned)
                                }
                            },
                        ));
                    }
                }
                if let Some(ctx) = self.input.opts.contexts.get(r) {
                    return compiler.named_context(r, ctx, from.span);
                }
                // Not planned (its name came from the base image's
                // environment): resolved by the engine.
                let reference = parse_reference(r, from.span)?;
                Ok(source::image_resolved(
                    &reference,
                    self.input.opts.resolve_mode.as_str(),
                    self.constraints(),
                    OpMeta::default().with_name(crate::progress::image(&reference.to_string())),
                ))
            }
        }
    }
}

/// The source of a resolved image, pinned to the resolved digest as the
/// Dockerfile frontend pins it: the definition then names exactly what was
/// resolved, and every use of the image is one op. `name` gets the pinned
/// reference.
fn pinned_image(
    reference: &llb::reference::Reference,
    base: &BaseImage,
    resolve_mode: &str,
    platform: &Platform,
    name: impl FnOnce(&str) -> String,
) -> State {
    let mut pinned = reference.clone();
    if !base.digest.is_empty() {
        pinned.digest = Some(base.digest.clone());
    }
    source::image_resolved(
        &pinned,
        resolve_mode,
        Constraints::for_platform(platform),
        OpMeta::default().with_name(name(&pinned.to_string())),
    )
}

impl<'a> Compiler<'a, '_> {
    pub(super) fn compile_stage(&mut self, stage: &'a Stage) -> Result<StageResult, Diagnostic> {
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
        // The elements this build keeps (`when`/`unless`), decided on the
        // scope planning saw, as planning decided them.
        let steps = conditions::kept(&stage.steps, |s| &s.cond, stage, &scope)?;
        let artifacts = conditions::kept(&stage.artifacts, |a| &a.cond, stage, &scope)?;
        let needed = conditions::needed(input, stage, &scope)?;
        let total = step_total(stage, steps.len(), artifacts.len());
        let from = scope.expand(&stage.from, &spec.source)?;
        // The stage's filesystem, its image config, and the config of the
        // image its `from:` chain starts at (for `containerimage.base.config`).
        let (state, mut image, base) = match spec.classify_from(stage.unit, &from) {
            FromRef::Stage(s) => (
                self.stage(s)?,
                self.base_image(s)?,
                self.bases.get(s).cloned().flatten(),
            ),
            FromRef::Scratch => (State::scratch(), Image::scratch(&platform), None),
            FromRef::Image(r) => match base_ref(input.opts, r, stage.from.span)? {
                // A named context of files: its files, and a frontend input's config.
                None => match input.opts.contexts.get(r) {
                    Some(ctx) => {
                        let own = self.named_context_image(r, ctx, &platform, stage.from.span)?;
                        let image = own.clone().unwrap_or_else(|| Image::scratch(&platform));
                        (self.named_context(r, ctx, stage.from.span)?, image, own)
                    }
                    None => (State::scratch(), Image::scratch(&platform), None),
                },
                Some(base_ref) => {
                    let key = (base_ref.clone(), platform.clone());
                    let base = input.images.get(&key).cloned().ok_or_else(|| {
                        Diagnostic::new(
                            Code::UnresolvedImage,
                            format!("the base image of `from: {r}` was not resolved"),
                            stage.from.span,
                        )
                    })?;
                    self.warnings
                        .extend(super::lint::invalid_base_image_platform::check(
                            &stage.from,
                            r,
                            &base,
                            &platform,
                        ));
                    let state = match base_ref {
                        BaseRef::Image(text) => {
                            let reference = parse_reference(&text, stage.from.span)?;
                            pinned_image(
                                &reference,
                                &base,
                                input.opts.resolve_mode.as_str(),
                                &platform,
                                |pinned| {
                                    if base.uses > 1 {
                                        crate::progress::shared_image(pinned)
                                    } else {
                                        crate::progress::step(
                                            &stage.name.value,
                                            1,
                                            total,
                                            &format!("FROM {reference}"),
                                        )
                                    }
                                },
                            )
                        }
                        BaseRef::Layout(_, layout) => {
                            self.oci_layout(r, &layout, &platform, stage.from.span)?
                        }
                    };
                    (state, base.config.clone(), Some(base.config))
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
            step_count: total,
            source_map: Arc::clone(&self.source_map),
            base_env: Vec::new(),
            stage_env: Vec::new(),
        };
        ctx.workdir = if ctx.image.config.working_dir.is_empty() {
            "/".to_owned()
        } else {
            ctx.image.config.working_dir.clone()
        };
        ctx.user = ctx.image.config.user.clone();
        ctx.base_env = ctx.image.config.env.clone();
        let mut env = EnvList::new(std::mem::take(&mut ctx.image.config.env));
        for (k, v) in &stage.env {
            let value = ctx.expand(v)?;
            ctx.scope.set_env(&k.value, &value);
            env.set(&k.value, &value);
            ctx.stage_env.push((k.value.clone(), value.clone()));
            ctx.commit_config(format!("ENV {}={}", k.value, value));
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
            let state = FileOp::new().mkdir(&ctx.workdir, 0o755, true, None).apply(
                &ctx.state,
                ctx.constraints(),
                meta,
            );
            ctx.commit_layer(state, format!("WORKDIR {}", ctx.workdir));
        }
        for need in needed {
            let dep = self.stage(need)?;
            if !dep.is_scratch() {
                self.needs.push(dep);
            }
        }
        for step in steps {
            ctx.step_no += 1;
            step.kind.compile(self, &mut ctx, step.span)?;
        }
        artifacts::compile_artifacts(self, &mut ctx, &artifacts)?;
        if let Some(img) = &stage.image {
            image::apply_image_config(&mut ctx, img)?;
        }
        Ok(StageResult {
            state: ctx.state,
            image: ctx.image,
            base,
        })
    }
}

/// Progress numbering: FROM, WORKDIR, the steps and artifacts kept.
fn step_total(stage: &Stage, steps: usize, artifacts: usize) -> usize {
    1 + usize::from(stage.workdir.is_some()) + steps + artifacts
}
