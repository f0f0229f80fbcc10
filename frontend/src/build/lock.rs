//! The lock file in a build (language 1.1): `--call=lock` resolves every
//! image reference and git source the spec uses (imports followed) and
//! prints the lock file; a build with a lock file beside the spec reads it,
//! pins what it names and warns (`lock-missing`, an error with
//! `STAGECRAFT_LOCK=strict`) about what it does not.
//!
//! Images are resolved with `ResolveImageConfig` (the digest the registry
//! or image store resolves the reference to: an index's for a multi-platform
//! image, so one digest pins every platform); a git source's commit is read
//! from its checkout (`.git/HEAD`, kept with `keep_git_dir`).
//!
//! Not here: the file's format (`lock`), which sources a spec uses
//! (`compile::lock_sources`), how pins reach LLB (`resolve_images`,
//! `compile::add`, `build::imports`).

use std::collections::BTreeMap;

use llb::op::{Constraints, OpMeta};
use llb::{source, Platform};

use crate::compile::lock_sources::{lock_sources, LockSources};
use crate::diag::{Code, Diagnostic, Severity, SourceFile, Span};
use crate::gateway::{Evaluate, Gateway};
use crate::lock::{self, Lock, Mode};
use crate::options::BuildOptions;
use crate::spec::imports::Location;
use crate::spec::model::Spec;

use super::BuildFailure;

/// Every source a lock names for this build: the spec's stages' (every
/// target platform) and its imports' (`imports`: the git and image
/// locations imports were read from, with the import's place).
pub(super) fn sources(
    spec: &Spec,
    opts: &BuildOptions,
    platforms: &[Platform],
    build: &Platform,
    imports: &[(Location, Span)],
) -> Result<LockSources, BuildFailure> {
    let mut all = lock_sources(spec, opts, platforms, build)
        .map_err(|d| BuildFailure::from_diagnostics(&[d], &spec.source))?;
    for (location, span) in imports {
        match location {
            Location::Git { url, ref_, .. } => {
                let reference = ref_.clone().unwrap_or_default();
                all.git.entry(lock::git_key(url, &reference)).or_insert(
                    crate::compile::lock_sources::GitSource {
                        url: url.clone(),
                        reference,
                        span: *span,
                    },
                );
            }
            Location::Image { reference, .. } => {
                if let Some(normal) = normalised(reference) {
                    all.images.entry(normal).or_insert(*span);
                }
            }
            Location::Beside(_) => {}
        }
    }
    Ok(all)
}

/// An image reference as lock files key it (`docker.io/library/x:tag`).
pub(super) fn normalised(reference: &str) -> Option<String> {
    llb::reference::Reference::parse(reference)
        .ok()
        .map(|r| r.to_string())
}

/// `--call=lock`: every source resolved, as the lock file's text.
pub(super) async fn answer(
    gw: &Gateway,
    sources: &LockSources,
    platform: &Platform,
    src: &SourceFile,
) -> Result<BTreeMap<String, Vec<u8>>, BuildFailure> {
    let images = sources.images.iter().map(|(reference, span)| async move {
        let resolved = gw
            .resolve_image_config(reference, platform)
            .await
            .map_err(|e| super::failures::unresolved_image(e, reference, *span, src))?;
        Ok::<_, BuildFailure>((reference.clone(), resolved.digest))
    });
    let commits = sources.git.iter().map(|(key, g)| async move {
        let commit = commit_of(gw, &g.url, &g.reference).await.map_err(|why| {
            let mut d = Diagnostic::new(
                Code::LockMissing,
                format!("cannot lock the git source `{key}`: {why}"),
                g.span,
            );
            d.severity = Severity::Error;
            BuildFailure::from_diagnostics(&[d], src)
        })?;
        Ok::<_, BuildFailure>((key.clone(), commit))
    });
    let (images, commits) = futures::join!(
        futures::future::try_join_all(images),
        futures::future::try_join_all(commits)
    );
    let lock = Lock {
        images: images?.into_iter().collect(),
        git: commits?.into_iter().collect(),
    };
    let mut meta = BTreeMap::new();
    meta.insert("result.txt".to_owned(), lock.render().into_bytes());
    meta.insert("version".to_owned(), b"1.0.0".to_vec());
    Ok(meta)
}

/// The commit `reference` of the repository at `url` is at: its checkout,
/// with the git directory kept, says (`.git/HEAD`, or the ref it names).
async fn commit_of(gw: &Gateway, url: &str, reference: &str) -> Result<String, String> {
    let state = source::git(
        url,
        reference,
        true,
        "",
        Constraints::default(),
        OpMeta::default().with_name(crate::progress::lock_git(&lock::git_key(url, reference))),
    );
    let def = super::checked_definition(&state, &gw.caps).map_err(|f| f.message)?;
    let r = gw
        .solve(def, Evaluate::Now)
        .await
        .map_err(|e| e.to_string())?;
    let read = |path: String| {
        let r = &r;
        async move {
            gw.read_file(r, &path)
                .await
                .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
                .map_err(|e| e.to_string())
        }
    };
    let head = read(".git/HEAD".to_owned()).await?;
    let commit = match head.strip_prefix("ref: ") {
        Some(name) => read(format!(".git/{name}")).await?,
        None => head,
    };
    if (commit.len() == 40 || commit.len() == 64) && commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(commit.to_ascii_lowercase())
    } else {
        Err(format!("the checkout's HEAD is `{commit}`, not a commit"))
    }
}

/// The lock file beside the spec, read as `mode` says (`None`: no lock
/// file, or `STAGECRAFT_LOCK=ignore`).
pub(super) fn read(
    opts: &BuildOptions,
    mode: Mode,
    bytes: Option<Vec<u8>>,
) -> Result<Option<Lock>, BuildFailure> {
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    if mode == Mode::Ignore {
        return Ok(None);
    }
    let (src, bad) = crate::spec::decode(lock::file_name(&opts.filename), bytes);
    if let Some(d) = bad {
        return Err(BuildFailure::from_diagnostics(&[d], &src));
    }
    Lock::read(&src)
        .map(Some)
        .map_err(|d| BuildFailure::from_diagnostics(&d, &src))
}

/// `lock-missing` for every source of `sources` that `lock` does not name
/// (errors with `STAGECRAFT_LOCK=strict`).
pub(super) fn missing(
    lock: &Lock,
    sources: &LockSources,
    mode: Mode,
    lock_name: &str,
) -> Vec<Diagnostic> {
    let help = "make the lock file again with `docker buildx build --call=lock …`";
    let mut out = Vec::new();
    for (reference, span) in &sources.images {
        if !lock.images.contains_key(reference) {
            out.push(
                Diagnostic::new(
                    Code::LockMissing,
                    format!("`{reference}` is not in {lock_name}: it is not pinned"),
                    *span,
                )
                .with_help(help),
            );
        }
    }
    for (key, g) in &sources.git {
        if !lock.git.contains_key(key) {
            out.push(
                Diagnostic::new(
                    Code::LockMissing,
                    format!("the git source `{key}` is not in {lock_name}: it is not pinned"),
                    g.span,
                )
                .with_help(help),
            );
        }
    }
    if mode == Mode::Strict {
        for d in &mut out {
            d.severity = Severity::Error;
            d.help = Some(format!(
                "{help}; `STAGECRAFT_LOCK=strict` makes an unpinned source an error"
            ));
        }
    }
    out.sort_by_key(|d| (d.span.file, d.span.offset));
    out
}
