//! Reading the spec and the ignore files: from the client's local sources
//! (`dockerfile`, `context`), or from a remote build context (a git
//! repository, or an http(s) download, unpacked when it is an archive),
//! which is then the build context too.
//!
//! This module solves only sources and reads files; compilation does not
//! happen here.

use llb::op::{Constraints, OpMeta, State};
use llb::{source, CopyOptions, FileOp};

use crate::diag::SourceFile;
use crate::gateway::{error::code, Evaluate, Gateway, GatewayError};
use crate::options::{BuildOptions, ContextKind, NamedContext};
use crate::spec;

use super::{BuildFailure, MAX_SPEC_BYTES};

/// What was read before parsing.
pub(super) struct Read {
    pub src: SourceFile,
    /// `<file>.dockerignore`, beside the spec.
    pub spec_ignore: Option<Vec<u8>>,
    /// The context's `.dockerignore`; failing to read it matters only when
    /// the spec has no ignore file of its own.
    pub context_ignore: Result<Option<Vec<u8>>, BuildFailure>,
    /// The build context when it is remote (scoped to its subdirectory).
    pub remote_context: Option<State>,
    /// The definition the spec was read with (`--call=check` returns it
    /// with the source, as the Dockerfile frontend does).
    pub spec_definition: llb::pb::Definition,
    /// Where the files beside the spec are (for `imports:`).
    pub place: super::imports::SpecPlace,
    /// `<file>.lock` beside the spec (language 1.1), when there is one.
    pub lock: Option<Vec<u8>>,
}

/// Reads the spec and its ignore files, from wherever the build context is.
pub(super) async fn read(gw: &Gateway, opts: &BuildOptions) -> Result<Read, BuildFailure> {
    if let Some(ctx) = &opts.remote_context {
        return read_remote(gw, opts, ctx).await;
    }
    if !opts.context_subdir.is_empty() {
        return Err(BuildFailure::plain(format!(
            "contextsubdir={} applies to a git or http(s) build context; this build's context is a local directory (name the directory itself instead)",
            opts.context_subdir
        )));
    }
    // The context's ignore file is read alongside the spec (as the Dockerfile
    // frontend does): a round trip saved, at the cost of a read that a spec
    // with its own ignore file or a subrequest does not use.
    let (spec_read, context_ignore) =
        futures::join!(read_spec(gw, opts), read_context_ignore(gw, opts));
    let (src, spec_ignore, lock, spec_definition) = spec_read?;
    Ok(Read {
        src,
        spec_ignore,
        context_ignore,
        remote_context: None,
        spec_definition,
        place: super::imports::SpecPlace::Local,
        lock,
    })
}

/// A remote build context: the state, the spec read from it (`filename`,
/// or the download itself when it is one file that is no archive), and its
/// ignore files.
async fn read_remote(
    gw: &Gateway,
    opts: &BuildOptions,
    ctx: &NamedContext,
) -> Result<Read, BuildFailure> {
    let mut filename = opts.filename.clone();
    let mut state = match &ctx.kind {
        ContextKind::Git(g) => {
            let repo = source::git(
                &g.url,
                &g.reference,
                opts.context_keep_git_dir,
                "",
                Constraints::default(),
                OpMeta::default().with_name(crate::progress::git_context(&ctx.raw)),
            );
            scope_to(&repo, &g.subdir)
        }
        ContextKind::Http(url) => {
            let download = source::http(
                url,
                &source::HttpOptions {
                    filename: REMOTE_FILE.to_owned(),
                    ..Default::default()
                },
                Constraints::default(),
                OpMeta::default().with_name(crate::progress::REMOTE_CONTEXT),
            );
            let (r, _) = solve(gw, &download).await?;
            let head = gw
                .read_file_prefix(&r, REMOTE_FILE, Some(1024))
                .await
                .map_err(|e| {
                    BuildFailure::plain(format!("cannot read the build context {url}: {e}"))
                })?;
            if is_archive(&head) {
                FileOp::new()
                    .copy(
                        &download,
                        &format!("/{REMOTE_FILE}"),
                        "/",
                        CopyOptions {
                            attempt_unpack: true,
                            ..Default::default()
                        },
                    )
                    .apply(
                        &State::scratch(),
                        Constraints::default(),
                        OpMeta::default().with_name(crate::progress::REMOTE_CONTEXT),
                    )
            } else {
                // One file: it is the spec, as a Dockerfile URL is the Dockerfile.
                filename = REMOTE_FILE.to_owned();
                download
            }
        }
        ContextKind::Image(_)
        | ContextKind::Local(_)
        | ContextKind::OciLayout(_)
        | ContextKind::Input(_)
        | ContextKind::Unknown => {
            return Err(BuildFailure::plain(format!(
                "the build context `{}` is not a git or http(s) URL",
                ctx.raw
            )))
        }
    };
    state = scope_to(&state, &opts.context_subdir);
    let (r, spec_definition) = solve(gw, &state).await?;
    let ignore_name = format!("{filename}.dockerignore");
    let lock_name = crate::lock::file_name(&filename);
    let (bytes, spec_ignore, context_ignore, lock) = futures::join!(
        gw.read_file_prefix(&r, &filename, Some(MAX_SPEC_BYTES + 1)),
        gw.read_file(&r, &ignore_name),
        gw.read_file(&r, ".dockerignore"),
        gw.read_file_prefix(&r, &lock_name, Some(MAX_SPEC_BYTES + 1))
    );
    let src = decode_spec(
        &filename,
        bytes,
        &format!(" from the build context {}", ctx.raw),
    )?;
    Ok(Read {
        src,
        // Missing ignore files are not errors.
        spec_ignore: spec_ignore.ok(),
        context_ignore: Ok(context_ignore.ok()),
        remote_context: Some(state),
        spec_definition,
        place: super::imports::SpecPlace::Remote(r),
        lock: optional(&lock_name, lock)?,
    })
}

/// The spec as read (`where_` says from where, for the message when it
/// cannot be), decoded; an encoding error is a diagnostic of the spec.
fn decode_spec(
    filename: &str,
    bytes: Result<Vec<u8>, GatewayError>,
    where_: &str,
) -> Result<SourceFile, BuildFailure> {
    let bytes = bytes.map_err(|e| BuildFailure {
        code: code::NOT_FOUND,
        message: format!("cannot read the spec `{filename}`{where_}: {e}"),
        source: None,
        engine_status: None,
    })?;
    match spec::decode(filename.to_owned(), bytes) {
        (src, None) => Ok(src),
        (src, Some(d)) => Err(BuildFailure::from_diagnostics(&[d], &src)),
    }
}

/// The file a downloaded build context is saved as, as the Dockerfile
/// frontend saves it.
const REMOTE_FILE: &str = "context";

/// `state` with directory `dir` as its root (all of it for `""`).
fn scope_to(state: &State, dir: &str) -> State {
    let dir = dir.trim_matches('/');
    if dir.is_empty() {
        return state.clone();
    }
    FileOp::new()
        .copy(state, &format!("/{dir}"), "/", CopyOptions::default())
        .apply(
            &State::scratch(),
            Constraints::default(),
            OpMeta::default().with_name(crate::progress::context_subdir(dir)),
        )
}

/// Solves `state` at once (its caps checked first); returns the ref and
/// the definition.
async fn solve(gw: &Gateway, state: &State) -> Result<(String, llb::pb::Definition), BuildFailure> {
    let def = super::checked_definition(state, &gw.caps)?;
    Ok((gw.solve(def.clone(), Evaluate::Now).await?, def))
}

/// Whether the first bytes of a download are an archive BuildKit unpacks:
/// gzip, bzip2 or xz magic, or a tar header with a valid checksum.
pub fn is_archive(head: &[u8]) -> bool {
    const MAGIC: [&[u8]; 3] = [
        &[0x1F, 0x8B, 0x08],
        &[0x42, 0x5A, 0x68],
        &[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00],
    ];
    if MAGIC.iter().any(|m| head.starts_with(m)) {
        return true;
    }
    let Some(header) = head.get(..512) else {
        return false;
    };
    let Some(field) = header.get(148..156) else {
        return false;
    };
    let text: String = field
        .iter()
        .map(|&b| b as char)
        .filter(|c| c.is_ascii_digit())
        .collect();
    let Ok(expected) = u64::from_str_radix(&text, 8) else {
        return false;
    };
    !text.is_empty() && tar_checksum(header) == expected
}

/// A tar header's checksum: its bytes summed, the checksum field counted as spaces.
fn tar_checksum(header: &[u8]) -> u64 {
    header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum()
}

/// Solves a local source (`local://<name>`) restricted to `files` and returns its ref.
async fn solve_local_files(
    gw: &Gateway,
    opts: &BuildOptions,
    name: &str,
    key_hint: &str,
    files: Vec<String>,
    progress: String,
) -> Result<(String, llb::pb::Definition), BuildFailure> {
    let local = llb::source::local(
        name,
        &llb::source::LocalOptions {
            session_id: opts.local_session(name).to_owned(),
            shared_key_hint: key_hint.to_owned(),
            include_patterns: files.clone(),
            follow_paths: files,
            ..Default::default()
        },
        Default::default(),
        llb::OpMeta::default().with_name(progress),
    );
    solve(gw, &local).await
}

/// The spec, its ignore file and lock file if any, and the definition
/// they were read with.
type SpecFiles = (
    SourceFile,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    llb::pb::Definition,
);

/// Reads the spec named by the `filename` option from the spec's local
/// source, and the ignore file beside it (`<file>.dockerignore`) if any.
async fn read_spec(gw: &Gateway, opts: &BuildOptions) -> Result<SpecFiles, BuildFailure> {
    let ignore_name = format!("{}.dockerignore", opts.filename);
    let lock_name = crate::lock::file_name(&opts.filename);
    let (r, def) = solve_local_files(
        gw,
        opts,
        &opts.spec_local,
        &opts.filename,
        vec![
            opts.filename.clone(),
            ignore_name.clone(),
            lock_name.clone(),
        ],
        crate::progress::build_definition(&opts.filename),
    )
    .await?;
    // The spec, its ignore file and its lock file in one round trip.
    let (bytes, ignore, lock) = futures::join!(
        gw.read_file_prefix(&r, &opts.filename, Some(MAX_SPEC_BYTES + 1)),
        gw.read_file(&r, &ignore_name),
        gw.read_file_prefix(&r, &lock_name, Some(MAX_SPEC_BYTES + 1))
    );
    let src = decode_spec(&opts.filename, bytes, "")?;
    // A missing ignore file is not an error.
    Ok((src, ignore.ok(), optional(&lock_name, lock)?, def))
}

/// A file beside the spec that may be absent (the lock file): a missing one
/// is `None` (the build is not locked); any other failure to read it is an
/// error naming it, never taken for no file.
fn optional(
    name: &str,
    read: Result<Vec<u8>, GatewayError>,
) -> Result<Option<Vec<u8>>, BuildFailure> {
    match read {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.is_missing_file() => Ok(None),
        Err(e) => Err(BuildFailure::plain(format!("cannot read `{name}`: {e}"))),
    }
}

/// The context's `.dockerignore`, if any (read alongside the spec; used only
/// when the spec has no ignore file of its own).
async fn read_context_ignore(
    gw: &Gateway,
    opts: &BuildOptions,
) -> Result<Option<Vec<u8>>, BuildFailure> {
    let (r, _) = solve_local_files(
        gw,
        opts,
        &opts.context_local,
        &opts.context_local,
        vec![".dockerignore".to_owned()],
        crate::progress::DOCKERIGNORE.to_owned(),
    )
    .await?;
    Ok(gw.read_file(&r, ".dockerignore").await.ok())
}

/// Patterns of an ignore file: one per line, `#` comments and blank lines skipped.
pub fn parse_ignore(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (neg, pat) = l.strip_prefix('!').map_or(("", l), |p| ("!", p.trim()));
            let pat = pat.trim_start_matches('/');
            format!("{neg}{}", if pat.is_empty() { "." } else { pat })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{is_archive, tar_checksum};

    #[test]
    fn archives_are_recognised_by_magic_or_tar_checksum() {
        assert!(is_archive(&[0x1F, 0x8B, 0x08, 0]));
        assert!(!is_archive(b"# syntax=stagecraft\nversion: 1\n"));
        let mut tar = vec![0u8; 1024];
        tar[..5].copy_from_slice(b"a.txt");
        tar[156] = b'0';
        let sum = tar_checksum(&tar[..512]);
        let field = format!("{sum:06o}\0 ");
        tar[148..156].copy_from_slice(field.as_bytes());
        assert!(is_archive(&tar));
        tar[0] = b'b';
        assert!(!is_archive(&tar), "a bad checksum");
    }
}
