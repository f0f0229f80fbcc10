//! Fetching the specs a spec imports (language 1.1 `imports:`), for a
//! build: files beside the spec from the place the spec was read (the
//! client's `dockerfile` directory, or the remote build context), files of
//! git repositories and of images from sources the engine fetches.
//!
//! Each round solves the sources the [`Loader`] wants (one local source
//! for all the files beside the spec, one source per repository or image)
//! and reads the files from them; imported specs may import others, so
//! rounds repeat until nothing is wanted (at most `imports::MAX_DEPTH`).
//!
//! Not here: what an import means (`spec::imports`), or the offline
//! reading from disk (`super::offline_imports`).

use std::collections::BTreeMap;

use llb::op::{Constraints, OpMeta};
use llb::reference::Reference;
use llb::source;

use crate::diag::Span;
use crate::gateway::{Evaluate, Gateway};
use crate::lock::Lock;
use crate::options::BuildOptions;
use crate::spec::imports::{Loader, Location};
use crate::spec::model::Spec;

use super::{BuildFailure, MAX_SPEC_BYTES};

/// Where the spec itself was read from, for the files beside it.
pub(super) enum SpecPlace {
    /// The client's local source named by the `dockerfile` option.
    Local,
    /// The solved remote build context (its ref).
    Remote(String),
}

/// `spec` with its imports read and linked, and the source file that
/// renders diagnostics in any of its files; the spec as it is when it has
/// no imports.
pub(super) async fn load(
    gw: &Gateway,
    opts: &BuildOptions,
    place: &SpecPlace,
    spec: Spec,
    lock: Option<&Lock>,
) -> Result<(Spec, Vec<(Location, Span)>), BuildFailure> {
    if spec.imports.is_empty() {
        return Ok((spec, Vec::new()));
    }
    let mut loader = Loader::new(spec, &opts.filename, opts);
    loop {
        let wanted = loader.requests();
        if wanted.is_empty() {
            break;
        }
        // Files beside the spec in one local source; each repository or
        // image (with its ref or checksum) once.
        let mut beside: Vec<(usize, String)> = Vec::new();
        let mut remote: BTreeMap<Location, Vec<(usize, String)>> = BTreeMap::new();
        for (id, location) in wanted {
            match &location {
                Location::Beside(path) => beside.push((id, path.clone())),
                Location::Git { path, .. } | Location::Image { path, .. } => {
                    let path = path.clone();
                    remote
                        .entry(source_key(&location))
                        .or_default()
                        .push((id, path));
                }
            }
        }
        let mut reads = Vec::new();
        if !beside.is_empty() {
            reads.push(read_beside(gw, opts, place, beside));
        }
        for (key, files) in remote {
            reads.push(Box::pin(read_remote(gw, key, files, lock)) as ReadFuture<'_>);
        }
        for (id, bytes) in futures::future::join_all(reads).await.into_iter().flatten() {
            loader.provide(id, bytes);
        }
    }
    let sources = loader.remote_sources();
    loader
        .finish()
        .map(|spec| (spec, sources))
        .map_err(|(src, diags)| BuildFailure::from_diagnostics(&diags, &src))
}

/// The files' results, by request number.
type Reads = Vec<(usize, Result<Vec<u8>, String>)>;

type ReadFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Reads> + 'a>>;

/// A git or image location without its path: the source the files are in.
fn source_key(location: &Location) -> Location {
    match location {
        Location::Git {
            url,
            ref_,
            checksum,
            ..
        } => Location::Git {
            url: url.clone(),
            ref_: ref_.clone(),
            checksum: checksum.clone(),
            path: String::new(),
        },
        Location::Image { reference, .. } => Location::Image {
            reference: reference.clone(),
            path: String::new(),
        },
        Location::Beside(_) => location.clone(),
    }
}

/// Files beside the spec: from the client's spec directory (only those
/// files are sent), or from the remote build context.
fn read_beside<'a>(
    gw: &'a Gateway,
    opts: &'a BuildOptions,
    place: &'a SpecPlace,
    files: Vec<(usize, String)>,
) -> ReadFuture<'a> {
    Box::pin(async move {
        let reference = match place {
            SpecPlace::Remote(r) => Ok(r.clone()),
            SpecPlace::Local => {
                let paths: Vec<String> = files.iter().map(|(_, p)| p.clone()).collect();
                let local = source::local(
                    &opts.spec_local,
                    &source::LocalOptions {
                        session_id: opts.local_session(&opts.spec_local).to_owned(),
                        shared_key_hint: opts.filename.clone(),
                        include_patterns: paths.clone(),
                        follow_paths: paths,
                        ..Default::default()
                    },
                    Constraints::default(),
                    OpMeta::default().with_name(crate::progress::imports_beside(&opts.filename)),
                );
                solve(gw, &local).await
            }
        };
        read_all(gw, reference, files).await
    })
}

/// Files of one repository or image, at the commit or digest the lock
/// file pins it to, if any.
async fn read_remote(
    gw: &Gateway,
    key: Location,
    files: Vec<(usize, String)>,
    lock: Option<&Lock>,
) -> Reads {
    let state = match &key {
        Location::Git {
            url,
            ref_,
            checksum,
            ..
        } => Ok(source::git(
            url,
            lock.and_then(|l| {
                l.git
                    .get(&crate::lock::git_key(url, ref_.as_deref().unwrap_or("")))
            })
            .map_or(ref_.as_deref().unwrap_or(""), String::as_str),
            false,
            checksum.as_deref().unwrap_or(""),
            Constraints::default(),
            OpMeta::default().with_name(crate::progress::import_source(&key)),
        )),
        Location::Image { reference, .. } => Reference::parse(&pinned(reference, lock))
            .map(|r| {
                source::image(
                    &r,
                    Constraints::default(),
                    OpMeta::default().with_name(crate::progress::import_source(&key)),
                )
            })
            .map_err(|e| format!("`{reference}` is not an image reference: {e}")),
        Location::Beside(_) => Err("not a remote source".to_owned()),
    };
    let reference = match state {
        Ok(s) => solve(gw, &s).await,
        Err(e) => Err(e),
    };
    read_all(gw, reference, files).await
}

/// An image reference with the lock file's digest, if it pins it.
fn pinned(reference: &str, lock: Option<&Lock>) -> String {
    let digest = super::lock::normalised(reference)
        .and_then(|n| lock.and_then(|l| l.images.get(&n)).map(|d| (n, d)));
    match digest {
        Some((normal, d)) => format!("{normal}@{d}"),
        None => reference.to_owned(),
    }
}

/// Solves `state` at once, its caps checked; the error as the import's reason.
async fn solve(gw: &Gateway, state: &llb::op::State) -> Result<String, String> {
    let def = super::checked_definition(state, &gw.caps).map_err(|f| f.message)?;
    gw.solve(def, Evaluate::Now)
        .await
        .map_err(|e| e.to_string())
}

/// Reads each file of a solved source (a failed solve fails them all).
async fn read_all(
    gw: &Gateway,
    reference: Result<String, String>,
    files: Vec<(usize, String)>,
) -> Reads {
    let reference = match reference {
        Ok(r) => r,
        Err(why) => {
            return files
                .into_iter()
                .map(|(id, _)| (id, Err(why.clone())))
                .collect()
        }
    };
    let reads = files.iter().map(|(_, path)| {
        let reference = &reference;
        async move {
            gw.read_file_prefix(reference, path, Some(MAX_SPEC_BYTES + 1))
                .await
                .map_err(|e| e.to_string())
        }
    });
    let bytes = futures::future::join_all(reads).await;
    files.into_iter().map(|(id, _)| id).zip(bytes).collect()
}
