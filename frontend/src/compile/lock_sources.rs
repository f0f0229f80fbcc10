//! What a lock file pins (language 1.1): every image reference the spec's
//! stages use (`from`, `copy.from`, `mounts.from`, `artifacts.from`, after
//! expansion, a `--build-context` image in place of its name), every git
//! source of its `add` steps and every git `--build-context` they use, for the build's options and each target
//! platform; each with the first place it is written.
//!
//! Every stage counts, not only the target's: a lock serves every target of
//! the spec. Elements a condition leaves out with these options do not.
//! Imports are followed (their stages are the spec's); the git and image
//! sources of `imports:` themselves are the build's (`build::imports`).
//!
//! Not here: resolving them (`build::lock`) or reading the lock file
//! (`lock`).

use std::collections::BTreeMap;

use llb::Platform;

use crate::diag::{Diagnostic, Span};
use crate::options::{BuildOptions, ContextKind};
use crate::spec::model::{AddSource, FromRef, RefKind, Spec, StepKind};

use super::plan::{base_ref, stage_platform};
use super::{conditions, BaseRef, Input, StageScope};

/// A git source as a lock file keys it, and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitSource {
    pub url: String,
    /// The ref as written (expanded); empty: the default branch.
    pub reference: String,
    pub span: Span,
}

/// The images and git sources a lock file pins, by their lock keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockSources {
    /// Normalised image reference → where it is first written.
    pub images: BTreeMap<String, Span>,
    /// `URL#REF` → the source.
    pub git: BTreeMap<String, GitSource>,
}

/// The sources of every stage of `spec` on each of `platforms`.
pub fn lock_sources(
    spec: &Spec,
    opts: &BuildOptions,
    platforms: &[Platform],
    build_platform: &Platform,
) -> Result<LockSources, Diagnostic> {
    let mut out = LockSources::default();
    for platform in platforms {
        let input = Input::unresolved(spec, opts, platform, build_platform);
        for stage in &spec.stages {
            if !conditions::stage_kept(&input, stage)? {
                continue;
            }
            let scope = StageScope::for_stage(spec, stage, opts, platform, build_platform);
            // The stage's platform is checked as the build checks it.
            stage_platform(&input, stage, &scope)?;
            for r in conditions::kept_references(stage, &scope)? {
                if r.kind == RefKind::Needs {
                    continue;
                }
                let text = scope.expand(r.value, &spec.source)?;
                if let FromRef::Image(name) = spec.classify_from(stage.unit, &text) {
                    // A git `--build-context` in place of the name.
                    if let Some(ContextKind::Git(g)) = opts.contexts.get(name).map(|c| &c.kind) {
                        out.git
                            .entry(crate::lock::git_key(&g.url, &g.reference))
                            .or_insert(GitSource {
                                url: g.url.clone(),
                                reference: g.reference.clone(),
                                span: r.value.span,
                            });
                        continue;
                    }
                    if let Some(BaseRef::Image(reference)) = base_ref(opts, name, r.value.span)? {
                        out.images.entry(reference).or_insert(r.value.span);
                    }
                }
            }
            for step in conditions::kept(&stage.steps, |s| &s.cond, stage, &scope)? {
                let StepKind::Add(add) = &step.kind else {
                    continue;
                };
                match &add.source {
                    AddSource::Git { url, ref_, .. } => {
                        let url_text = scope.expand(url, &spec.source)?;
                        let reference = match ref_ {
                            Some(r) => scope.expand(r, &spec.source)?,
                            None => String::new(),
                        };
                        out.git
                            .entry(crate::lock::git_key(&url_text, &reference))
                            .or_insert(GitSource {
                                url: url_text,
                                reference,
                                span: url.span,
                            });
                    }
                    AddSource::Http { .. } => {}
                }
            }
        }
    }
    Ok(out)
}
