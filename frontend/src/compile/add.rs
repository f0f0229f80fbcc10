//! `add` steps → an http or git source copied into the stage.
//!
//! The engine verifies `checksum` (http: the file's sha256; git: the commit).

use llb::op::OpMeta;
use llb::source::{self, HttpOptions};

use super::copy::{copy_options, destination};
use super::StageCtx;
use crate::diag::{Diagnostic, Span};
use crate::spec::model::{Add, AddSource};

pub(crate) fn compile_add(
    ctx: &mut StageCtx<'_, '_>,
    a: &Add,
    span: Span,
) -> Result<(), Diagnostic> {
    // A download or a checkout is copied as the Dockerfile frontend copies
    // it (no wildcard, no symlink following, the path itself), so that the
    // same `ADD` is the same op and cache key.
    let opts = llb::file::CopyOptions {
        follow_symlinks: false,
        dir_copy_contents: false,
        allow_wildcard: false,
        ..copy_options(ctx, a.chmod.as_ref(), a.chown.as_ref())?
    };
    let (state, src, text) = match &a.source {
        AddSource::Http { url, checksum } => {
            let url_text = ctx.expand_checked(url, crate::spec::validate::check_http_url)?;
            let filename = url_text
                .split(['?', '#'])
                .next()
                .and_then(|u| u.trim_end_matches('/').rsplit('/').next())
                .filter(|f| !f.is_empty() && !f.contains(':'))
                .unwrap_or("download")
                .to_owned();
            let http = HttpOptions {
                checksum: match checksum {
                    Some(c) => ctx.expand(c)?,
                    None => String::new(),
                },
                filename: filename.clone(),
                ..Default::default()
            };
            let st = source::http(
                &url_text,
                &http,
                ctx.constraints(),
                OpMeta::default()
                    .with_name(crate::progress::download(&url_text))
                    .with_location(Some(ctx.location(span))),
            );
            (st, format!("/{filename}"), format!("ADD {url_text}"))
        }
        AddSource::Git {
            url,
            ref_,
            keep_git_dir,
            checksum,
        } => {
            let url_text = ctx.expand(url)?;
            let reference = match ref_ {
                Some(r) => ctx.expand(r)?,
                None => String::new(),
            };
            // A lock file's commit for this source (language 1.1) is the
            // ref fetched.
            let reference = ctx
                .input
                .opts
                .locked_git
                .get(&crate::lock::git_key(&url_text, &reference))
                .cloned()
                .unwrap_or(reference);
            let checksum = match checksum {
                Some(c) => ctx.expand(c)?,
                None => String::new(),
            };
            // The engine checks out `ref` and fails unless it is at `checksum`.
            let st = source::git(
                &url_text,
                &reference,
                *keep_git_dir,
                &checksum,
                ctx.constraints(),
                OpMeta::default()
                    .with_name(crate::progress::git(&url_text))
                    .with_location(Some(ctx.location(span))),
            );
            (st, "/".to_owned(), format!("ADD {url_text}"))
        }
    };
    let dest = destination(ctx, a.to.as_ref(), false)?;
    let meta = ctx.meta(&format!("{text} {dest}"), span);
    let state = llb::FileOp::new().copy(&state, &src, &dest, opts).apply(
        &ctx.state,
        ctx.constraints(),
        meta,
    );
    ctx.commit_layer(state, format!("{text} {dest}"));
    Ok(())
}
