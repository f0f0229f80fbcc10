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
mod args;
mod artifacts;
pub(crate) mod conditions;
mod context;
pub(crate) mod copy;
pub(crate) mod ignore;
mod image;
mod lint;
pub mod lock_sources;
pub(crate) mod mkdir;
mod plan;
pub(crate) mod run;
pub mod scope;
mod stage;
pub mod uses;
pub(crate) mod write;

pub use context::FrontendInput;
use plan::build_order;
pub use plan::{plan, target_stage};
pub(crate) use stage::StageCtx;
use stage::StageResult;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use llb::op::{SourceMap, State};
use llb::reference::Reference;
use llb::Platform;

use crate::diag::{Code, Diagnostic, Span, Spanned};
use crate::image::Image;
use crate::options::BuildOptions;
use crate::spec::model::Spec;
pub use scope::StageScope;

/// What the engine can do, as far as compilation cares.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineFeatures {
    /// MergeOp is available: `link: true` artifacts become independent layers.
    pub merge_op: bool,
    /// The gateway reads directories (`readdir`): a glob copied from the
    /// build context is checked to match before the target is returned, so
    /// its copy can allow an empty match, as the Dockerfile frontend's does.
    pub check_globs: bool,
}

/// A path or glob a `copy` reads from the build context, with the value
/// that names it, for `build` to check before the target is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextSource {
    pub value: Spanned<String>,
    /// Absolute in the context.
    pub path: String,
    /// `path` is a glob whose last component alone has wildcards.
    pub glob: bool,
}

/// What [`plan`] found: the target and the base images its stages need.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: String,
    /// The stages the target needs, itself included.
    pub stages: BTreeSet<String>,
    /// Images the stages start from or take files from, per platform they
    /// are needed for, with the number of their uses.
    pub images: BTreeMap<(BaseRef, Platform), ImageUse>,
}

/// How a plan uses an image: how many `from:` values name it, and the
/// first of them (where a failure to resolve it is reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageUse {
    pub uses: usize,
    pub first: Span,
}

/// Where a base image's config is resolved from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum BaseRef {
    /// A registry (or the engine's image store), by normalised reference.
    Image(String),
    /// An OCI layout the client holds (an `oci-layout://` context), by
    /// context name and layout.
    Layout(String, crate::options::OciLayout),
}

/// A compiled target.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub state: State,
    pub image: Image,
    /// The config of the image the target starts at, returned as
    /// `containerimage.base.config` (the exporter keeps its history dates
    /// under `SOURCE_DATE_EPOCH`, as for a Dockerfile).
    pub base: Option<Image>,
    /// The stages that had to build, in build order.
    pub stages: Vec<String>,
    /// States that must build for the result to be valid though nothing is taken from them (`needs`).
    pub needs: Vec<State>,
    /// What an SBOM scans besides the result, by name (`--sbom` only):
    /// stages marked with `BUILDKIT_SBOM_SCAN_STAGE`, and the build context
    /// (`context`) with `BUILDKIT_SBOM_SCAN_CONTEXT`.
    pub scan_extras: Vec<(String, State)>,
    /// What the lint rules that need the build found (`compile::lint`),
    /// before the check configuration filters them.
    pub warnings: Vec<Diagnostic>,
    /// The build context as the steps read it, and the literal paths its
    /// copies name (with the source values), for `build` to check before
    /// the target is returned.
    pub context: Option<State>,
    pub context_sources: Vec<ContextSource>,
    /// Secrets, ssh agents, entitlements and other stages' paths the
    /// build uses, for `build` to word the engine's failures about them.
    pub uses: Vec<uses::Use>,
}

/// A resolved base image: its config and the digest its source is pinned to.
#[derive(Debug, Clone)]
pub struct BaseImage {
    pub config: Image,
    /// `sha256:…`; empty when unknown (offline compilation).
    pub digest: String,
    /// The platform the registry's config states (before the config is
    /// stamped with the stage's); none when unknown (offline compilation).
    pub platform: Option<Platform>,
    /// How many `from:` values of the build name it (its vertex is named
    /// after a stage's step only when one does).
    pub uses: usize,
}

/// Inputs of one platform's compilation.
pub struct Input<'a> {
    pub spec: &'a Spec,
    pub opts: &'a BuildOptions,
    pub platform: Platform,
    pub build_platform: Platform,
    /// Configs of resolved base images, by (normalised reference, platform).
    pub images: &'a BTreeMap<(BaseRef, Platform), BaseImage>,
    /// Frontend inputs (`input:NAME` contexts), by input name.
    pub inputs: &'a BTreeMap<String, FrontendInput>,
    /// The build context when it is a git repository or a download, not
    /// the client's local directory.
    pub remote_context: Option<State>,
    pub features: EngineFeatures,
}

impl<'a> Input<'a> {
    /// The input of the passes that read a spec before the engine answers
    /// (the plan, the lock's sources): no resolved images, no frontend
    /// inputs, no engine features.
    pub fn unresolved(
        spec: &'a Spec,
        opts: &'a BuildOptions,
        platform: &Platform,
        build_platform: &Platform,
    ) -> Self {
        static NO_IMAGES: BTreeMap<(BaseRef, Platform), BaseImage> = BTreeMap::new();
        static NO_INPUTS: BTreeMap<String, FrontendInput> = BTreeMap::new();
        Input {
            spec,
            opts,
            platform: platform.clone(),
            build_platform: build_platform.clone(),
            images: &NO_IMAGES,
            inputs: &NO_INPUTS,
            remote_context: None,
            features: EngineFeatures::default(),
        }
    }
}

fn parse_reference(text: &str, span: Span) -> Result<Reference, Diagnostic> {
    Reference::parse(text).map_err(|e| Diagnostic::new(Code::InvalidImage, e.to_string(), span))
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
    /// The base image config of each stage other stages start `from:`.
    bases: BTreeMap<String, Option<Image>>,
    /// How many stages still to compile start `from` each stage: the last
    /// one takes the config instead of a copy, so a chain costs no copies.
    from_uses: BTreeMap<String, usize>,
    order: Vec<String>,
    pub(crate) needs: Vec<State>,
    /// The spec's file, then each imported file (a span's `file` is its index).
    source_map: Arc<Vec<Arc<SourceMap>>>,
    context: Option<State>,
    /// What the steps read from the build context, as BuildKit follow paths
    /// relative to its root (`""` for the whole context).
    pub(crate) context_paths: BTreeSet<String>,
    /// The follow paths the context source is created with (none: all of it).
    context_follow: Vec<String>,
    /// What the compile-time lint rules found (`compile::lint`).
    pub(crate) warnings: Vec<Diagnostic>,
    /// The literal paths the copies from the build context name.
    pub(crate) context_sources: Vec<ContextSource>,
    pub(crate) uses: Vec<uses::Use>,
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
    // No path: the context is not read. `""`: all of it is; and an SBOM of
    // the context scans all of it.
    let whole = first
        .scan_extras
        .iter()
        .any(|(name, _)| name == SCAN_CONTEXT);
    if paths.is_empty() || paths.contains("") || whole {
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
    let built: Vec<&crate::spec::model::Stage> = order.iter().map(|(stage, _)| *stage).collect();
    args::check(input.spec, &built, input.opts)?;
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
        bases: BTreeMap::new(),
        from_uses,
        order: Vec::new(),
        needs: Vec::new(),
        source_map: Arc::new(
            std::iter::once(src)
                .chain(src.imported.iter())
                .map(|f| SourceMap::new(&f.name, "YAML", f.text.as_bytes()))
                .collect(),
        ),
        context: None,
        context_paths: BTreeSet::new(),
        context_follow,
        warnings: Vec::new(),
        context_sources: Vec::new(),
        uses: Vec::new(),
    };
    let mut result = None;
    for (stage, _) in order {
        let StageResult { state, image, base } = c.compile_stage(stage)?;
        let name = stage.name.value.clone();
        if stage.name.value == target.name.value {
            result = Some((state.clone(), image, base));
        } else if c.from_uses.get(&name).is_some_and(|n| *n > 0) {
            c.images.insert(name.clone(), image);
            c.bases.insert(name.clone(), base);
        }
        c.done.insert(name.clone(), state);
        c.order.push(name);
    }
    let Some((state, mut image, base)) = result else {
        return Err(Diagnostic::new(
            Code::UnknownStage,
            format!("unknown stage `{}`", target.name.value),
            target.name.span,
        ));
    };
    for (k, v) in &input.opts.labels {
        image.config.labels.insert(k.clone(), v.clone());
    }
    let scan_extras = if input.opts.sbom.is_some() {
        scan_extras(&mut c, target)?
    } else {
        Vec::new()
    };
    let compiled = Compiled {
        state,
        image,
        base,
        stages: c.order,
        needs: c.needs,
        scan_extras,
        warnings: c.warnings,
        context: c.context,
        context_sources: c.context_sources,
        uses: c.uses,
    };
    Ok((compiled, c.context_paths))
}

/// The name an SBOM gives the build context among what it scans.
pub const SCAN_CONTEXT: &str = "context";

/// Whether a `BUILDKIT_SBOM_SCAN_*` value turns scanning on (Go's booleans;
/// anything else is off).
fn scan_on(value: Option<&str>) -> bool {
    value.is_some_and(|v| crate::options::go_bool("", v).unwrap_or(false))
}

/// The stages (besides the target) and the context an SBOM scans: a stage
/// whose `BUILDKIT_SBOM_SCAN_STAGE` argument is true (a `--build-arg` of
/// that name marks every stage that does not declare it), and the build
/// context when `BUILDKIT_SBOM_SCAN_CONTEXT` is true (a top-level argument
/// or `--build-arg`).
fn scan_extras(
    c: &mut Compiler<'_, '_>,
    target: &crate::spec::model::Stage,
) -> Result<Vec<(String, State)>, Diagnostic> {
    let input = c.input;
    let arg = |name: &str| input.opts.build_args.get(name).map(String::as_str);
    let mut out = Vec::new();
    for name in c.order.clone() {
        if name == target.name.value {
            continue;
        }
        let Some(stage) = input.spec.stage(&name) else {
            continue;
        };
        let scope = StageScope::for_stage(
            input.spec,
            stage,
            input.opts,
            &input.platform,
            &input.build_platform,
        );
        let declared = stage
            .args
            .iter()
            .chain(&input.spec.args)
            .any(|a| a.name.value == "BUILDKIT_SBOM_SCAN_STAGE");
        let value = if declared {
            scope.arg("BUILDKIT_SBOM_SCAN_STAGE")
        } else {
            arg("BUILDKIT_SBOM_SCAN_STAGE")
        };
        if scan_on(value) {
            out.push((name.clone(), c.stage(&name)?));
        }
    }
    let context_value = arg("BUILDKIT_SBOM_SCAN_CONTEXT").or_else(|| {
        input
            .spec
            .args
            .iter()
            .find(|a| a.name.value == "BUILDKIT_SBOM_SCAN_CONTEXT")
            .and_then(|a| a.default.as_ref().map(|v| v.value.as_str()))
    });
    if scan_on(context_value) {
        out.push((SCAN_CONTEXT.to_owned(), c.context()));
    }
    Ok(out)
}

impl<'a, 'b> Compiler<'a, 'b> {
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
