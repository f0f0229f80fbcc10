//! `copy` steps → FileOp copies from the build context, a stage, an image or
//! a named context, with `link` layers merged when the engine can.

use llb::file::CopyOptions;
use llb::{merge, FileOp, State};

use super::uses::{Reading, Use};
use super::{resolve_path, Compiler, ContextSource, StageCtx};
use crate::diag::{Diagnostic, Span, Spanned};
use crate::spec::model::{Copy, FileMode};

/// Copy options from `chmod`/`chown` values.
pub(super) fn copy_options(
    ctx: &StageCtx<'_, '_>,
    chmod: Option<&Spanned<FileMode>>,
    chown: Option<&Spanned<String>>,
) -> Result<CopyOptions, Diagnostic> {
    Ok(CopyOptions {
        mode: chmod.map(|m| m.value.bits),
        owner: ctx.chown(chown)?,
        ..Default::default()
    })
}

/// A copy source as the Dockerfile frontend writes it: absolute and clean
/// (`/scripts/` is `/scripts`; a directory's contents are copied either way),
/// so the same copy is the same op and cache key.
pub(super) fn source_path(src: &str) -> String {
    let abs = resolve_path("/", src);
    match abs.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed.to_owned(),
        _ => abs,
    }
}

/// Whether a source is a glob (BuildKit's wildcard characters).
pub(super) fn is_glob(src: &str) -> bool {
    src.contains(['*', '?', '['])
}

/// The options of one source, with `allowEmptyWildcard` as the Dockerfile
/// frontend's copies have it (so the op is the Dockerfile's) unless `strict`.
/// On a literal path it has no effect: the path must exist (the engine fails
/// computing its checksum). A glob that matches nothing is an error
/// (docs/language.md), where a Dockerfile copies nothing: a glob from the
/// build context is checked before the target is returned
/// ([`super::ContextSource`]); any other glob is `strict`.
pub(super) fn for_source(opts: &CopyOptions, strict: bool) -> CopyOptions {
    CopyOptions {
        allow_empty_wildcard: !strict,
        ..opts.clone()
    }
}

/// Whether a glob can be checked by reading one directory: its wildcards
/// are in its last component only.
pub(super) fn checkable_glob(path: &str) -> bool {
    let (dir, _) = path.rsplit_once('/').unwrap_or(("", path));
    !is_glob(dir)
}

/// The destination of a copy: `to` against the working directory, default the directory itself.
pub(super) fn destination(
    ctx: &StageCtx<'_, '_>,
    to: Option<&Spanned<String>>,
    many: bool,
) -> Result<String, Diagnostic> {
    let mut dest = match to {
        Some(t) => resolve_path(&ctx.workdir, &ctx.expand_path(t)?),
        None => resolve_path(&ctx.workdir, "./"),
    };
    if many && !dest.ends_with('/') {
        dest.push('/');
    }
    Ok(dest)
}

/// The stage with `files` applied: on top of it, or as an independent layer
/// merged on top. A layer built on scratch has no `/etc/passwd`, so copies
/// that chown by name are applied on top of the stage instead.
///
/// As the Dockerfile frontend shows a linked copy: the copy onto scratch and
/// the merge (named `LINK …`) are one progress group, shown as one line.
pub(super) fn apply_layer(
    ctx: &StageCtx<'_, '_>,
    files: FileOp,
    opts: &CopyOptions,
    link: bool,
    merge_op: bool,
    text: &str,
    span: Span,
) -> State {
    let meta = ctx.meta(text, span);
    let by_name = opts.owner.as_ref().is_some_and(|o| {
        matches!(o.user, Some(llb::UserOpt::Name(_)))
            || matches!(o.group, Some(llb::UserOpt::Name(_)))
    });
    // As the Dockerfile frontend: a `chmod` copy is applied on the stage even
    // when linked, so that existing parent directories keep their mode and
    // owner (a merged layer's parents would replace them).
    if link && merge_op && !by_name && opts.mode.is_none() {
        // Deterministic, and distinct per platform (each platform's
        // definition is solved on its own).
        let group = format!("{} {} {}", ctx.stage.name.value, ctx.step_no, ctx.platform);
        let name = crate::progress::step(&ctx.stage.name.value, ctx.step_no, ctx.step_count, text);
        let layer = files.apply(
            &State::scratch(),
            ctx.constraints(),
            meta.with_progress_group(&group, &name, true),
        );
        let merge_meta = ctx
            .meta(&format!("LINK {text}"), span)
            .with_progress_group(group, name, false);
        merge::merge(&[ctx.state.clone(), layer], ctx.constraints(), merge_meta)
    } else {
        files.apply(&ctx.state, ctx.constraints(), meta)
    }
}

pub(crate) fn compile_copy(
    c: &mut Compiler<'_, '_>,
    ctx: &mut StageCtx<'_, '_>,
    cp: &Copy,
    span: Span,
) -> Result<(), Diagnostic> {
    let from = match &cp.from {
        Some(f) => ctx.source_state(c, f)?,
        None => c.context(),
    };
    let dest = destination(ctx, cp.to.as_ref(), cp.sources.len() > 1 || cp.parents)?;
    let mut opts = copy_options(ctx, cp.chmod.as_ref(), cp.chown.as_ref())?;
    for p in &cp.include {
        opts.include_patterns.push(ctx.expand(p)?);
    }
    for p in &cp.exclude {
        opts.exclude_patterns.push(ctx.expand(p)?);
    }
    let mut files = FileOp::new();
    let mut shown = Vec::new();
    for s in &cp.sources {
        let src = ctx.expand_path(s)?;
        shown.push(src.clone());
        let abs = source_path(&src);
        let glob = is_glob(&src);
        // A glob that matches nothing is refused: before the target is
        // returned for one from the context, else by the copy itself.
        let strict = match &cp.from {
            None if !glob || (c.input.features.check_globs && checkable_glob(&abs)) => {
                c.context_sources.push(ContextSource {
                    value: s.clone(),
                    path: abs.clone(),
                    glob,
                });
                false
            }
            None => true,
            Some(from) => {
                if !glob {
                    c.uses.push(Use::StagePath {
                        reading: Reading::Copy,
                        from: ctx.expand(from)?,
                        path: abs.clone(),
                        at: s.span,
                    });
                }
                glob
            }
        };
        if cp.from.is_none() {
            c.warnings.extend(super::lint::copy_ignored_file::check(
                &c.input.opts.context_excludes,
                s,
                &src,
                &c.input.opts.context_ignore_file,
            ));
        }
        if cp.parents {
            // Keep each match's path relative to the source root: copy the root,
            // filtered to what the source (a path or glob) selects.
            let mut o = opts.clone();
            o.include_patterns = parents_includes(&abs, &opts.include_patterns);
            if cp.from.is_none() {
                c.context_paths.extend(o.include_patterns.iter().cloned());
            }
            files = files.copy(&from, "/", &dest, o);
        } else {
            if cp.from.is_none() {
                c.context_paths
                    .insert(abs.trim_start_matches('/').trim_end_matches('/').to_owned());
            }
            files = files.copy(&from, &abs, &dest, for_source(&opts, strict));
        }
    }
    let text = format!("COPY {} {dest}", shown.join(" "));
    let state = apply_layer(
        ctx,
        files,
        &opts,
        cp.link,
        c.input.features.merge_op,
        &text,
        span,
    );
    ctx.commit_layer(state, text);
    Ok(())
}

/// Include patterns for a `parents: true` copy of `source` (absolute, may be
/// a glob) from the source's root. A path source with `include` patterns
/// (relative to the source, as without `parents`) gives those patterns under
/// it; otherwise the source itself is the pattern. Include patterns cannot
/// narrow a glob source further (BuildKit ORs them), so there they are not
/// used: the glob already says which files to take.
fn parents_includes(source: &str, include: &[String]) -> Vec<String> {
    let pattern = source.trim_start_matches('/').trim_end_matches('/');
    let is_glob = pattern.contains(['*', '?', '[']);
    if include.is_empty() || is_glob {
        return if pattern.is_empty() {
            include.to_vec()
        } else {
            vec![pattern.to_owned()]
        };
    }
    include
        .iter()
        .map(|p| {
            if pattern.is_empty() {
                p.clone()
            } else {
                format!("{pattern}/{p}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parents_includes;

    #[test]
    fn parents_keep_the_source_and_scope_includes_to_it() {
        let inc = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(parents_includes("/src/**/*.go", &[]), inc(&["src/**/*.go"]));
        assert_eq!(
            parents_includes("/src/", &inc(&["*.txt", "**/*.md"])),
            inc(&["src/*.txt", "src/**/*.md"])
        );
        assert_eq!(
            parents_includes("/src/**/*.go", &inc(&["*.go"])),
            inc(&["src/**/*.go"])
        );
        assert_eq!(parents_includes("/", &inc(&["*.md"])), inc(&["*.md"]));
        assert!(parents_includes("/", &[]).is_empty());
    }
}
