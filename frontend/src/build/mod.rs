//! Orchestration of one build: read the spec → parse and validate → plan →
//! resolve base images (concurrently) → compile per platform → solve → return.
//!
//! This and `gateway` are the only async modules. Every failure ends as one
//! [`BuildFailure`] whose message names the spec file, line and column; the
//! caller returns it to BuildKit as a gRPC status.

mod failures;
mod imports;
mod inputs;
mod lock;
mod read;

pub use read::parse_ignore;

use std::collections::BTreeMap;

use llb::{marshal, Platform};

use crate::compile::{self, BaseImage, BaseRef, EngineFeatures, ImageUse, Input};
use crate::diag::{self, Diagnostic, SourceFile};
use crate::gateway::{
    caps, error::code, Evaluate, Gateway, GatewayError, PlatformResult, SourceRange,
};
use crate::image::Image;
use crate::options::BuildOptions;
use crate::spec::{self, model::Spec};

/// Largest spec file we read (the parser's own limit).
pub use crate::spec::raw::MAX_SPEC_BYTES;

/// Why a build failed, ready to be shown to the user.
#[derive(Debug)]
pub struct BuildFailure {
    pub code: i32,
    pub message: String,
    pub source: Option<SourceRange>,
    /// The engine's own status (e.g. a failed `run` with its source location), passed through as is.
    pub engine_status: Option<Box<bollard_buildkit_proto::google::rpc::Status>>,
}

impl From<GatewayError> for BuildFailure {
    fn from(e: GatewayError) -> Self {
        let engine_status = e.engine_status().map(Box::new);
        Self {
            code: code::UNKNOWN,
            message: e.to_string(),
            source: None,
            engine_status,
        }
    }
}

impl BuildFailure {
    pub fn plain(message: impl Into<String>) -> Self {
        Self {
            code: code::INVALID_ARGUMENT,
            message: message.into(),
            source: None,
            engine_status: None,
        }
    }

    /// A failure made of spec diagnostics: all of them rendered, the first one's range attached.
    pub fn from_diagnostics(diags: &[Diagnostic], src: &SourceFile) -> Self {
        let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
        let first = errors.first().copied().or(diags.first());
        let mut message = String::new();
        for (i, d) in errors.iter().enumerate() {
            if i > 0 {
                message.push('\n');
            }
            message.push_str(&d.headline(src));
            if let Some(h) = &d.help {
                message.push_str(&format!(" (help: {h})"));
            }
        }
        let source = first.and_then(|d| source_range(d, src));
        Self {
            code: code::INVALID_ARGUMENT,
            message,
            source,
            engine_status: None,
        }
    }
}

/// Where a diagnostic points, as the engine takes it (for error details and
/// warnings); `None` for diagnostics without a location (command-line options).
pub fn source_range(d: &Diagnostic, src: &SourceFile) -> Option<SourceRange> {
    if !d.has_location() {
        return None;
    }
    let src = src.file(d.span.file);
    let end_line = src
        .text
        .get(d.span.offset..d.span.offset.saturating_add(d.span.len))
        .map_or(0, |t| t.trim_end_matches('\n').matches('\n').count());
    Some(SourceRange {
        filename: src.name.clone(),
        data: src.text.as_bytes().to_vec(),
        start_line: d.span.line,
        start_col: d.span.col,
        end_line: d
            .span
            .line
            .saturating_add(u32::try_from(end_line).unwrap_or(0)),
        end_col: d.span.col,
    })
}

/// The target platforms: `--platform`, else the engine's native platform.
fn target_platforms(gw: &Gateway, opts: &BuildOptions) -> Vec<Platform> {
    platforms_or(opts, &build_platform(gw, opts))
}

/// `--platform`'s platforms, else `build` alone.
fn platforms_or(opts: &BuildOptions, build: &Platform) -> Vec<Platform> {
    if opts.platforms.is_empty() {
        vec![build.clone()]
    } else {
        opts.platforms.clone()
    }
}

fn build_platform(gw: &Gateway, opts: &BuildOptions) -> Platform {
    opts.worker_platforms
        .first()
        .or(gw.caps.platforms.first())
        .cloned()
        .unwrap_or_else(|| Platform::new("linux", "amd64", ""))
}

/// `--build-arg` names that no `args` of the spec declares (BuildKit's own
/// `BUILDKIT_*` arguments aside): a Dockerfile build warns about those too.
pub fn undeclared_build_args<'a>(spec: &Spec, opts: &'a BuildOptions) -> Vec<&'a str> {
    let mut declared: std::collections::BTreeSet<String> = spec
        .args
        .iter()
        .chain(
            spec.stages
                .iter()
                .filter(|s| s.unit == 0)
                .flat_map(|s| s.args.iter()),
        )
        .map(|a| a.name.value.clone())
        .collect();
    // An imported spec's arguments are `PREFIX.NAME` (language 1.1).
    for (i, unit) in spec.units.iter().enumerate() {
        let id = u16::try_from(i + 1).unwrap_or(u16::MAX);
        let stages = spec.stages.iter().filter(|s| s.unit == id);
        for a in unit.args.iter().chain(stages.flat_map(|s| s.args.iter())) {
            declared.insert(format!("{}.{}", unit.prefix, a.name.value));
        }
    }
    opts.build_args
        .keys()
        .map(String::as_str)
        .filter(|k| {
            !declared.contains(*k)
                && !k.starts_with("BUILDKIT_")
                && !crate::options::keys::BUILDKIT_ARGS
                    .iter()
                    .any(|(name, _)| name == k)
                && *k != crate::lock::MODE_ARG
        })
        .collect()
}

/// Resolves every base image of every platform concurrently.
async fn resolve_images(
    gw: &Gateway,
    wanted: Vec<((BaseRef, Platform), ImageUse)>,
    pins: &BTreeMap<String, String>,
    src: &SourceFile,
) -> Result<BTreeMap<(BaseRef, Platform), BaseImage>, BuildFailure> {
    let calls = wanted.into_iter().map(|((base, platform), ImageUse { uses, first })| {
        let gw = gw.clone();
        async move {
            let (name, resolved) = match &base {
                // The lock file's digest, when it pins the reference.
                BaseRef::Image(reference) => (
                    reference.clone(),
                    match pins.get(reference) {
                        Some(digest) => gw.resolve_image_config(&format!("{reference}@{digest}"), &platform).await,
                        None => gw.resolve_image_config(reference, &platform).await,
                    }
                    .map_err(|e| failures::unresolved_image(e, reference, first, src))?,
                ),
                BaseRef::Layout(context, layout) => {
                    let reference = layout
                        .image_reference(context)
                        .map_err(|e| {
                            BuildFailure::plain(format!(
                                "--build-context {context}=oci-layout://…: the context name is no image name: {e}"
                            ))
                        })?
                        .to_string();
                    let log = crate::progress::oci_layout_metadata(context, &reference);
                    let resolved = gw
                        .resolve_layout_config(&reference, &layout.store, log, &platform)
                        .await
                        .map_err(|e| {
                            failures::unresolved_layout(e, context, &layout.digest, first, src)
                        })?;
                    (reference, resolved)
                }
            };
            let config = Image::from_base(&name, &resolved.config, &platform)
                .map_err(|e| BuildFailure::plain(e.to_string()))?;
            let stated = Image::stated_platform(&resolved.config);
            // A pinned image's source is the lock's digest: an engine with
            // the classic image store answers for a local image with no
            // digest, and the bare tag would build what it names now.
            let digest = match &base {
                BaseRef::Image(reference) => pins.get(reference).cloned(),
                BaseRef::Layout(..) => None,
            }
            .unwrap_or(resolved.digest);
            Ok::<_, BuildFailure>((
                (base, platform),
                BaseImage {
                    config,
                    digest,
                    platform: stated,
                    uses,
                },
            ))
        }
    });
    futures::future::try_join_all(calls)
        .await
        .map(|v| v.into_iter().collect())
}

/// The `--sbom` scanner, resolved (none without `--sbom`).
async fn resolve_scanner(
    gw: &Gateway,
    opts: &BuildOptions,
    platform: &Platform,
) -> Result<Option<crate::sbom::Scanner>, BuildFailure> {
    let Some(request) = &opts.sbom else {
        return Ok(None);
    };
    if !gw.caps.gateway(crate::gateway::caps::ATTESTATIONS) {
        // The engine makes the SBOM itself, as before frontends could.
        send_warning(
            gw,
            &format!(
                "--sbom: this engine takes no attestations from a frontend (gateway cap `{}`); it scans the result itself, and BUILDKIT_SBOM_SCAN_STAGE and BUILDKIT_SBOM_SCAN_CONTEXT are ignored",
                crate::gateway::caps::ATTESTATIONS
            ),
            &[],
            None,
        )
        .await;
        return Ok(None);
    }
    let reference = llb::reference::Reference::parse(&request.generator).map_err(|e| {
        BuildFailure::plain(format!("--sbom generator `{}`: {e}", request.generator))
    })?;
    let name = reference.to_string();
    let resolved = gw
        .resolve_image_config(&name, platform)
        .await
        .map_err(|e| {
            BuildFailure::plain(format!("--sbom: cannot resolve the scanner image: {e}"))
        })?;
    let config = Image::from_base(&name, &resolved.config, platform)
        .map_err(|e| BuildFailure::plain(e.to_string()))?;
    crate::sbom::Scanner::new(request, reference, resolved.digest, config)
        .map(Some)
        .map_err(|e| BuildFailure::plain(e.to_string()))
}

/// Sends a warning. One that cannot be delivered is logged (stderr: the
/// daemon log) and never fails the build.
async fn send_warning(gw: &Gateway, message: &str, detail: &[&str], source: Option<&SourceRange>) {
    if let Err(e) = gw.warn(message, detail, source).await {
        eprintln!("stagecraft: cannot send a warning: {e}");
    }
}

/// The whole build, from options to `Return`.
pub async fn run(gw: &Gateway, opts: &BuildOptions) -> Result<(), BuildFailure> {
    let read = read::read(gw, opts).await?;
    gw.timings.mark("read");
    let definition = read.spec_definition.clone();
    match build(gw, opts, read).await {
        // `--call=check` answers a failing spec with BuildKit's lint result
        // (its `buildError`, and the spec's source with its definition), as
        // the Dockerfile frontend does.
        Err(f)
            if opts.request_id.as_deref() == Some(crate::subrequests::LINT)
                && f.engine_status.is_none() =>
        {
            eprintln!("stagecraft: {}", f.message);
            gw.return_metadata(crate::subrequests::lint_error(
                &f.message,
                f.source.as_ref(),
                Some(&definition),
            ))
            .await?;
            Ok(())
        }
        other => other,
    }
}

/// Warnings of lint rules, each with its help and YAML range.
async fn send_diagnostics(gw: &Gateway, diags: &[Diagnostic], src: &SourceFile) {
    for d in diags {
        let detail: Vec<&str> = d.help.iter().map(String::as_str).collect();
        send_warning(
            gw,
            &format!("{}: {}", d.code, d.message),
            &detail,
            source_range(d, src).as_ref(),
        )
        .await;
    }
}

/// The build of a spec that was read.
async fn build(gw: &Gateway, opts: &BuildOptions, read: read::Read) -> Result<(), BuildFailure> {
    let read::Read {
        src,
        spec_ignore,
        context_ignore,
        remote_context,
        spec_definition,
        place,
        lock: lock_bytes,
    } = read;
    let lock_mode = crate::lock::Mode::of(opts).map_err(BuildFailure::plain)?;
    let is_lock = opts.request_id.as_deref() == Some(crate::subrequests::LOCK);
    // `--call=lock` makes the lock file: it reads none.
    let lock = match is_lock {
        true => None,
        false => lock::read(opts, lock_mode, lock_bytes)?,
    };
    let spec: Spec = spec::parse_for_build(
        src.clone(),
        &opts.contexts.keys().cloned().collect(),
        opts.build_args
            .get("BUILDKIT_DOCKERFILE_CHECK")
            .map(String::as_str),
    )
    .map_err(|d| BuildFailure::from_diagnostics(&d, &src))?;
    let (mut spec, import_sources) = imports::load(gw, opts, &place, spec, lock.as_ref()).await?;
    // The spec's source knows its imported files from here on.
    let src = spec.source.clone();
    let platforms = target_platforms(gw, opts);
    let build = build_platform(gw, opts);
    let lock_sources = || lock::sources(&spec, opts, &platforms, &build, &import_sources);
    if is_lock {
        let sources = lock_sources()?;
        let first = platforms.first().unwrap_or(&build);
        gw.return_metadata(lock::answer(gw, &sources, first, &src).await?)
            .await?;
        return Ok(());
    }
    // A lock file pins what it names and warns about the rest.
    let mut opts = opts.clone();
    let no_pins = BTreeMap::new();
    let image_pins = lock.as_ref().map_or(&no_pins, |l| &l.images);
    if let Some(l) = &lock {
        let missing = lock::missing(
            l,
            &lock_sources()?,
            lock_mode,
            &crate::lock::file_name(&opts.filename),
        );
        if missing.iter().any(Diagnostic::is_error) {
            return Err(BuildFailure::from_diagnostics(&missing, &src));
        }
        spec.warnings.extend(missing);
        opts.locked_git = l.git.clone();
    }
    let opts = &opts;
    let fail = |d: Diagnostic| BuildFailure::from_diagnostics(&[d], &src);
    let answer = |spec: &Spec, request: &str| {
        let target = compile::target_stage(spec, opts).map_err(fail)?;
        // The stages the target needs on any platform (for the outline's secrets, ssh, caches).
        let mut needed = std::collections::BTreeSet::new();
        for p in &platforms {
            needed.extend(compile::plan(spec, opts, p, &build).map_err(fail)?.stages);
        }
        let graph = match (request, platforms.first()) {
            (crate::subrequests::GRAPH, Some(p)) => {
                Some(crate::stage_graph::graph(spec, opts, p, &build).map_err(fail)?)
            }
            _ => None,
        };
        crate::subrequests::answer(
            request,
            spec,
            opts,
            &target.name.value,
            &needed,
            Some(&spec_definition),
            graph.as_ref(),
        )
        .map_err(|e| BuildFailure {
            code: code::UNIMPLEMENTED,
            ..BuildFailure::plain(e.to_string())
        })
    };
    // A check compiles everything (so compile-time errors such as undeclared
    // variables are found) but solves nothing; other subrequests need only the spec.
    let lint = opts.request_id.as_deref() == Some(crate::subrequests::LINT);
    if let Some(request) = opts.request_id.as_deref().filter(|_| !lint) {
        gw.return_metadata(answer(&spec, request)?).await?;
        return Ok(());
    }
    // The spec's warnings, each at its YAML range (buildx prints the excerpt).
    send_diagnostics(gw, &spec.warnings, &src).await;
    // Options this frontend does not honour, each by name (options::keys).
    for message in &opts.ignored {
        send_warning(gw, message, &[], None).await;
    }
    if opts.multi_platform == Some(false) && platforms.len() > 1 {
        return Err(BuildFailure::plain(format!(
            "--platform names {} platforms, but multi-platform results are turned off (multi-platform=false or BUILDKIT_MULTI_PLATFORM=0)",
            platforms.len()
        )));
    }
    for name in undeclared_build_args(&spec, opts) {
        let message = format!(
            "--build-arg {name} is not declared in any `args` of {}; it is ignored",
            src.name
        );
        send_warning(gw, &message, &[], None).await;
    }
    let (ignore, ignore_file) = match spec_ignore {
        Some(i) => (Some(i), format!("{}.dockerignore", opts.filename)),
        None => (context_ignore?, ".dockerignore".to_owned()),
    };
    let mut opts = opts.clone();
    opts.context_excludes = ignore.as_deref().map(parse_ignore).unwrap_or_default();
    opts.context_ignore_file = ignore_file;
    let opts = &opts;
    // Each image once, with its most uses in any one platform's plan.
    let mut wanted: BTreeMap<(BaseRef, Platform), ImageUse> = BTreeMap::new();
    for p in &platforms {
        let plan = compile::plan(&spec, opts, p, &build).map_err(fail)?;
        for (key, u) in plan.images {
            let w = wanted.entry(key).or_insert(u);
            w.uses = w.uses.max(u.uses);
        }
    }
    gw.timings.mark("parse");
    // The SBOM scanner is resolved with the base images: a scanner that
    // cannot be had fails the build before anything is built.
    let (images, inputs, scanner) = futures::try_join!(
        resolve_images(gw, wanted.into_iter().collect(), image_pins, &src),
        inputs::frontend_inputs(gw, opts),
        resolve_scanner(gw, opts, &build)
    )?;
    gw.timings.mark("resolve");
    let features = EngineFeatures {
        merge_op: gw.caps.llb(llb::caps::MERGE_OP),
        check_globs: gw.caps.gateway(caps::READ_DIR),
    };
    let mut compiled = Vec::new();
    for p in &platforms {
        let input = Input {
            spec: &spec,
            opts,
            platform: p.clone(),
            build_platform: build.clone(),
            images: &images,
            inputs: &inputs,
            remote_context: remote_context.clone(),
            features,
        };
        compiled.push((p.clone(), compile::compile(&input).map_err(fail)?));
    }
    // What the lint rules that need the build found, once for all
    // platforms, as the check configuration wants them.
    let mut found: Vec<Diagnostic> = Vec::new();
    // Findings in imported specs are their authors' (`stagecraft check` on
    // that file), as the imported specs' own warnings are.
    for d in compiled
        .iter()
        .flat_map(|(_, c)| &c.warnings)
        .filter(|d| d.span.file == 0)
    {
        if !found
            .iter()
            .any(|f| f.code == d.code && f.span == d.span && f.message == d.message)
        {
            found.push(d.clone());
        }
    }
    let check = opts
        .build_args
        .get("BUILDKIT_DOCKERFILE_CHECK")
        .map(String::as_str);
    let found = spec::apply_check(&src, check, found);
    if found.iter().any(Diagnostic::is_error) {
        return Err(BuildFailure::from_diagnostics(&found, &src));
    }
    if lint {
        spec.warnings.extend(found);
        spec.warnings
            .sort_by_key(|d| (d.span.offset, d.span.line, d.span.col));
        gw.return_metadata(answer(&spec, crate::subrequests::LINT)?)
            .await?;
        return Ok(());
    }
    send_diagnostics(gw, &found, &src).await;
    failures::missing_context_files(gw, &compiled, opts, &src).await?;
    let scanner = scanner.as_ref();
    let (spec, src) = (&spec, &src);
    let solves = compiled.into_iter().map(|(platform, c)| {
        let gw = gw.clone();
        async move {
            // The target and the stages it `needs` build together (the engine
            // shares common work); a failure in any fails the build.
            let uses = &c.uses;
            let needs = c.needs.iter().map(|need| {
                let gw = gw.clone();
                async move {
                    let def = checked_definition(need, &gw.caps)?;
                    gw.solve(def, Evaluate::Now)
                        .await
                        .map_err(|e| explained(e, uses, spec, opts, src))?;
                    Ok::<_, BuildFailure>(())
                }
            });
            let target = async {
                if c.state.is_scratch() {
                    return Ok(String::new());
                }
                let def = checked_definition(&c.state, &gw.caps)?;
                // Downloads and git sources first, each alone, so that a failed one is
                // explained here at its YAML line; then the target.
                let downloads =
                    llb::definition::sources_alone(&def, &["http://", "https://", "git://"])
                        .into_iter()
                        .map(|d| {
                            let gw = gw.clone();
                            async move { gw.solve(d, Evaluate::Now).await }
                        });
                futures::future::try_join_all(downloads).await?;
                // The target is solved lazily, as the Dockerfile frontend
                // returns it; when it uses a secret, an ssh agent or an
                // entitlement it is also built here by reading its root
                // (`builds_target_here`), so that a failure about what it
                // uses is worded at its YAML value. Any other failure (a
                // `run` that exited non-zero) is left to the engine: it
                // reports the failure it remembers from this build, without
                // running the step again, when the exporter evaluates the
                // returned ref.
                let id = gw.solve(def, Evaluate::Lazily).await?;
                if builds_target_here(&gw.caps, &c.uses) {
                    if let Err(e) = gw.build_lazy(&id).await {
                        if let Some(f) = explain(&e, &c.uses, spec, opts, src) {
                            return Err(f);
                        }
                    }
                }
                Ok::<_, BuildFailure>(id)
            };
            // The SBOM: the scanner run on the result and the extras,
            // returned unevaluated like the result.
            let sbom = async {
                let Some(scanner) = scanner else {
                    return Ok(Vec::new());
                };
                let scan = scanner.scan(&platform.to_string(), &c.state, &c.scan_extras, &platform);
                let def = checked_definition(&scan, &gw.caps)?;
                let r = gw.solve(def, Evaluate::Lazily).await?;
                Ok::<_, BuildFailure>(vec![crate::sbom::attestation(&r)])
            };
            let ((ref_id, _), attestations) = futures::future::try_join(
                futures::future::try_join(target, futures::future::try_join_all(needs)),
                sbom,
            )
            .await?;
            Ok::<_, BuildFailure>(PlatformResult {
                platform,
                ref_id,
                config: c.image.to_json(),
                base_config: c.base.as_ref().map(Image::to_json),
                attestations,
            })
        }
    });
    gw.timings.mark("compile");
    let results = futures::future::try_join_all(solves).await?;
    gw.timings.mark("solve");
    let as_map = opts.multi_platform == Some(true) || results.len() > 1;
    gw.return_result(results, BTreeMap::new(), as_map).await?;
    Ok(())
}

/// Whether the frontend builds the target before returning it, to word a
/// failure about what it uses: only when it uses a required secret or ssh
/// agent or needs an entitlement (the engine checks those only as it runs
/// the step), and only on engines seen to keep a failed step's state after
/// the frontend built the target (MergeOp and `exec.validexitcode`: Docker
/// 28.5's BuildKit 0.25; Docker 26.1 with its classic image store loses it).
///
/// Any target is not built here: a `run` that fails while the frontend
/// builds it leaves `buildx debug --on error` a failed step whose state the
/// frontend's request held, and the debug shell sometimes cannot start
/// (`failed to commit … snapshot … does not exist`, seen on Docker 28.5
/// too). So a path missing in another stage is worded only when the target
/// is built here for one of the reasons above; otherwise the engine's
/// message stands, with the YAML excerpt of the step.
fn builds_target_here(caps: &crate::gateway::EngineCaps, uses: &[compile::uses::Use]) -> bool {
    use compile::uses::Use;
    let checked_only_by_running = uses.iter().any(|u| match u {
        Use::Secret { .. } | Use::Ssh { .. } | Use::Entitlement { .. } => true,
        Use::StagePath { .. } => false,
    });
    checked_only_by_running
        && caps.gateway(caps::STAT_FILE)
        && caps.llb("mergeop")
        && caps.llb("exec.validexitcode")
}

/// An engine failure worded by `failures::explain_use` when it is about
/// something the build uses.
fn explain(
    e: &GatewayError,
    uses: &[compile::uses::Use],
    spec: &Spec,
    opts: &BuildOptions,
    src: &SourceFile,
) -> Option<BuildFailure> {
    let GatewayError::Solve { status } = e else {
        return None;
    };
    failures::explain_use(status, uses, spec, opts, src)
}

/// [`explain`], or the failure as the engine reported it.
fn explained(
    e: GatewayError,
    uses: &[compile::uses::Use],
    spec: &Spec,
    opts: &BuildOptions,
    src: &SourceFile,
) -> BuildFailure {
    explain(&e, uses, spec, opts, src).unwrap_or_else(|| e.into())
}

/// One frontend session: options from the gateway environment, the build,
/// and its outcome returned to BuildKit (a failure as a status whose message
/// and details buildx shows). The outer error means talking to BuildKit
/// failed; the inner result is the build's outcome, already reported.
pub async fn serve(
    gw: &mut Gateway,
    env: &BTreeMap<String, String>,
) -> Result<Result<(), BuildFailure>, GatewayError> {
    let (outcome, lint) = match BuildOptions::from_env(env) {
        Ok(opts) => {
            gw.session_id = opts.session_id.clone();
            gw.cache_imports = opts.cache_imports.clone();
            gw.resolve_mode = opts.resolve_mode.as_str();
            let lint = opts.request_id.as_deref() == Some(crate::subrequests::LINT);
            (run(gw, &opts).await, lint)
        }
        Err(e) => (Err(BuildFailure::plain(e.to_string())), false),
    };
    gw.timings.mark("build");
    if let Err(f) = &outcome {
        // stderr reaches the daemon log only; the user sees the returned status.
        eprintln!("stagecraft: {}", f.message);
        if lint && f.engine_status.is_none() {
            // `--call=check` answers a failing spec with BuildKit's lint
            // result (its `buildError`), as the Dockerfile frontend does.
            gw.return_metadata(crate::subrequests::lint_error(
                &f.message,
                f.source.as_ref(),
                None,
            ))
            .await?;
        } else {
            let status = f.engine_status.as_deref().cloned().unwrap_or_else(|| {
                crate::gateway::error::status(f.code, &f.message, f.source.as_ref())
            });
            gw.return_error(status).await?;
        }
    }
    gw.timings.mark("return");
    eprintln!("{}", gw.timings.line());
    Ok(outcome)
}

/// Compiles without an engine, for `stagecraft compile` and snapshot tests:
/// base images are taken as empty configs.
pub fn compile_offline(
    src: SourceFile,
    opts: &BuildOptions,
    features: EngineFeatures,
) -> Result<Vec<(Platform, llb::pb::Definition, Image)>, String> {
    compile_offline_with(src, opts, features, &|_| None)
}

/// The stage graph of the target offline (`stagecraft graph`), on the first
/// target platform (the build platform, `linux/amd64` here, by default).
pub fn graph_offline(
    src: SourceFile,
    opts: &BuildOptions,
) -> Result<crate::stage_graph::Graph, String> {
    let (spec, build) = offline_spec(&src, opts)?;
    let src = spec.source.clone();
    let platform = opts
        .platforms
        .first()
        .cloned()
        .unwrap_or_else(|| build.clone());
    crate::stage_graph::graph(&spec, opts, &platform, &build).map_err(|d| diag::render(&[d], &src))
}

/// The spec of an offline command, parsed with the options' named
/// contexts, and the build platform (the first worker's, else `linux/amd64`).
fn offline_spec(src: &SourceFile, opts: &BuildOptions) -> Result<(Spec, Platform), String> {
    let contexts = opts.contexts.keys().cloned().collect();
    let spec =
        spec::parse_with_contexts(src.clone(), &contexts).map_err(|d| diag::render(&d, src))?;
    let spec = offline_imports(spec, opts)?;
    let build = opts
        .worker_platforms
        .first()
        .cloned()
        .unwrap_or_else(|| Platform::new("linux", "amd64", ""));
    Ok((spec, build))
}

/// What a build with `lock` (a lock file's text) beside `src` reports
/// before it resolves anything, without an engine: the lock's own errors
/// (`lock-invalid`), else the `lock-missing` findings for these options
/// (errors under `STAGECRAFT_LOCK=strict`), rendered; empty when all is
/// pinned. For the snapshot tests of the lock's diagnostics.
pub fn lock_findings_offline(
    src: &SourceFile,
    lock: &str,
    opts: &BuildOptions,
) -> Result<String, String> {
    let mode = crate::lock::Mode::of(opts)?;
    let Some(lock) =
        lock::read(opts, mode, Some(lock.as_bytes().to_vec())).map_err(|f| f.message)?
    else {
        return Ok(String::new());
    };
    let (spec, build) = offline_spec(src, opts)?;
    let platforms = platforms_or(opts, &build);
    let sources = lock::sources(&spec, opts, &platforms, &build, &[]).map_err(|f| f.message)?;
    let missing = lock::missing(
        &lock,
        &sources,
        mode,
        &crate::lock::file_name(&opts.filename),
    );
    Ok(diag::render(&missing, &spec.source))
}

/// `spec` with its imports read from disk (beside the spec, in
/// `opts.spec_dir`); git and image imports are read only by a build.
pub fn offline_imports(spec: Spec, opts: &BuildOptions) -> Result<Spec, String> {
    offline_imports_checked(spec, opts).map_err(|(src, diags)| diag::render(&diags, &src))
}

/// [`offline_imports`], its failure as diagnostics and the file that
/// renders them (`stagecraft check` reports them in any format).
pub fn offline_imports_checked(
    spec: Spec,
    opts: &BuildOptions,
) -> Result<Spec, (SourceFile, Vec<Diagnostic>)> {
    if spec.imports.is_empty() {
        return Ok(spec);
    }
    let mut loader = spec::imports::Loader::new(spec, &opts.filename, opts);
    loop {
        let wanted = loader.requests();
        if wanted.is_empty() {
            break;
        }
        for (id, location) in wanted {
            let bytes = match (&location, &opts.spec_dir) {
                (spec::imports::Location::Beside(path), Some(dir)) => {
                    read_prefix(&dir.join(path)).map_err(|e| e.to_string())
                }
                (spec::imports::Location::Beside(_), None) => {
                    Err("no directory to read it from offline".to_owned())
                }
                (spec::imports::Location::Git { .. } | spec::imports::Location::Image { .. }, _) => Err(
                    "git and image imports are read by a build (`docker buildx build`), not offline".to_owned(),
                ),
            };
            loader.provide(id, bytes);
        }
    }
    loader.finish()
}

/// A file's first `MAX_SPEC_BYTES + 1` bytes (enough to tell it is too large).
fn read_prefix(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_SPEC_BYTES).unwrap_or(u64::MAX);
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Resolves a normalised image reference offline: the config's bytes (as the
/// registry serves them) and the manifest digest, or `None`.
pub type OfflineResolver<'r> = &'r dyn Fn(&str) -> Option<(Vec<u8>, String)>;

/// [`compile_offline`] with base images as a registry would resolve them:
/// `resolve` gives a normalised reference's config (the registry's bytes)
/// and manifest digest, or `None` for an empty config. For tests that
/// compare the LLB with another frontend's for the same images.
pub fn compile_offline_with(
    src: SourceFile,
    opts: &BuildOptions,
    features: EngineFeatures,
    resolve: OfflineResolver<'_>,
) -> Result<Vec<(Platform, llb::pb::Definition, Image)>, String> {
    let (spec, build) = offline_spec(&src, opts)?;
    compile_spec_offline(&spec, &build, opts, features, resolve)
}

/// [`compile_offline_with`] for a spec already parsed (and its imports
/// linked), on build platform `build`: for the fuzzer, which links imports
/// from its input instead of a directory.
pub fn compile_spec_offline(
    spec: &Spec,
    build: &Platform,
    opts: &BuildOptions,
    features: EngineFeatures,
    resolve: OfflineResolver<'_>,
) -> Result<Vec<(Platform, llb::pb::Definition, Image)>, String> {
    let src = spec.source.clone();
    let platforms = platforms_or(opts, build);
    let mut out = Vec::new();
    for p in &platforms {
        let plan = compile::plan(spec, opts, p, build).map_err(|d| diag::render(&[d], &src))?;
        let images: BTreeMap<(BaseRef, Platform), BaseImage> = plan
            .images
            .into_iter()
            .map(|((r, pl), ImageUse { uses, .. })| {
                let resolved = match &r {
                    BaseRef::Image(reference) => resolve(reference).map(|b| (reference, b)),
                    BaseRef::Layout(..) => None,
                };
                let base = match resolved {
                    Some((name, (bytes, digest))) => BaseImage {
                        config: Image::from_base(name, &bytes, &pl).map_err(|e| e.to_string())?,
                        digest,
                        platform: Image::stated_platform(&bytes),
                        uses,
                    },
                    None => BaseImage {
                        config: Image::scratch(&pl),
                        digest: String::new(),
                        platform: None,
                        uses,
                    },
                };
                Ok(((r, pl), base))
            })
            .collect::<Result<_, String>>()?;
        let input = Input {
            spec,
            opts,
            platform: p.clone(),
            build_platform: build.clone(),
            images: &images,
            inputs: &BTreeMap::new(),
            remote_context: None,
            features,
        };
        let c = compile::compile(&input).map_err(|d| diag::render(&[d], &src))?;
        let def = if c.state.is_scratch() {
            llb::pb::Definition::default()
        } else {
            marshal(&c.state).map_err(|e| e.to_string())?
        };
        out.push((p.clone(), def, c.image));
    }
    Ok(out)
}

/// What an LLB cap means to a user, for "the engine lacks …" messages.
fn cap_feature(cap: &str) -> &str {
    use llb::caps;
    match cap {
        caps::EXEC_SECRET_ENV => "secrets exposed as environment variables (`secrets: [{env: …}]`)",
        caps::EXEC_MOUNT_CACHE_SHARING => "cache mount sharing modes",
        caps::EXEC_MOUNT_TMPFS_SIZE => "tmpfs mounts with a size",
        caps::EXEC_MOUNT_SSH => "ssh agent mounts",
        caps::EXEC_MOUNT_SECRET => "secret mounts",
        caps::EXEC_META_NETWORK => "per-step network modes",
        caps::EXEC_META_SECURITY => "insecure steps",
        caps::FILE_COPY_INCLUDE_EXCLUDE_PATTERNS => "copy `include`/`exclude` patterns",
        caps::SOURCE_GIT_FULL_URL | caps::SOURCE_GIT_KEEP_DIR => "git sources with these options",
        caps::SOURCE_HTTP_CHECKSUM => "http sources with a checksum",
        caps::SOURCE_GIT_CHECKSUM => "git sources pinned to a commit (`add: {git, checksum}`)",
        caps::MERGE_OP => "merged layers (MergeOp)",
        caps::SOURCE_IMAGE_RESOLVE_MODE => {
            "`--pull` (base images always resolved from the registry)"
        }
        caps::EXEC_META_ULIMIT => "`--ulimit` for `run` steps",
        caps::EXEC_META_CGROUP_PARENT => "`--cgroup-parent` for `run` steps",
        // Any other cap is named as BuildKit names it.
        other => other,
    }
}

/// Checks every op's caps against what the engine announced in `Ping`, so
/// that a missing feature fails with its name and the YAML line that needs
/// it rather than with an engine-internal error. Engines that announce no
/// LLB caps at all are not checked.
/// The definition of `state`, its LLB caps checked against the engine's
/// (every definition this frontend solves goes through here).
fn checked_definition(
    state: &llb::State,
    engine: &crate::gateway::EngineCaps,
) -> Result<llb::pb::Definition, BuildFailure> {
    let def = marshal(state).map_err(|e| BuildFailure::plain(e.to_string()))?;
    check_caps(&def, engine)?;
    Ok(def)
}

pub fn check_caps(
    def: &llb::pb::Definition,
    engine: &crate::gateway::EngineCaps,
) -> Result<(), BuildFailure> {
    if engine.llb.is_empty() {
        return Ok(());
    }
    for (digest, md) in &def.metadata {
        let Some(missing) = md.caps.keys().find(|c| !engine.llb(c)) else {
            continue;
        };
        let located = crate::gateway::error::op_locations(def, digest);
        let location = located.first().and_then(|(info, ranges)| {
            let range = ranges.first()?;
            let line = |p: &Option<llb::pb::Position>| {
                p.as_ref().map_or(0, |p| u32::try_from(p.line).unwrap_or(0))
            };
            Some(SourceRange {
                filename: info.filename.clone(),
                data: info.data.clone(),
                start_line: line(&range.start),
                start_col: 1,
                end_line: line(&range.end),
                end_col: 1,
            })
        });
        let at = location
            .as_ref()
            .map(|l| format!("{}:{}: ", l.filename, l.start_line))
            .unwrap_or_default();
        return Err(BuildFailure {
            code: code::UNIMPLEMENTED,
            message: format!(
                "{at}this engine does not support {} (BuildKit cap `{missing}`); use a newer Docker Engine or BuildKit",
                cap_feature(missing)
            ),
            source: location,
            engine_status: None,
        });
    }
    Ok(())
}
