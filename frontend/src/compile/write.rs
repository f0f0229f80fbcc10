//! `write` steps (language 1.1) → the content as a file on scratch, copied
//! into place with the step's mode and owner, parents created: what the
//! Dockerfile frontend does for `COPY <<EOF`, so that a converted heredoc
//! gives the same file, parent directories included.

use llb::{FileOp, OpMeta, State};

use super::copy::copy_options;
use super::{resolve_path, StageCtx};
use crate::diag::{Code, Diagnostic, Span};
use crate::spec::model::Write;

/// The mode of a written file without `chmod`.
const DEFAULT_MODE: u32 = 0o644;

pub(crate) fn compile_write(
    ctx: &mut StageCtx<'_, '_>,
    w: &Write,
    span: Span,
) -> Result<(), Diagnostic> {
    let written = ctx.expand_path(&w.path)?;
    if written.ends_with('/') {
        return Err(Diagnostic::new(
            Code::InvalidValue,
            format!("`write: {written}` ends with `/`: it names a directory, not a file"),
            w.path.span,
        )
        .with_help("name the file to write, e.g. `/etc/app/app.conf`"));
    }
    let path = resolve_path(&ctx.workdir, &written);
    let content = if w.expand {
        ctx.expand(&w.content)?
    } else {
        w.content.value.clone()
    };
    let name = path
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("file");
    let inline = FileOp::new()
        .mkfile(&format!("/{name}"), DEFAULT_MODE, content.as_bytes(), None)
        .apply(
            &State::scratch(),
            ctx.constraints(),
            OpMeta::default().with_name("[internal] preparing inline document"),
        );
    let mut opts = copy_options(ctx, w.chmod.as_ref(), w.chown.as_ref())?;
    // One file, copied as itself (the Dockerfile frontend's heredoc copy).
    opts.follow_symlinks = false;
    opts.dir_copy_contents = false;
    opts.allow_wildcard = false;
    let text = format!("WRITE {path}");
    let meta = ctx.meta(&text, span);
    let state = FileOp::new()
        .copy(&inline, &format!("/{name}"), &path, opts)
        .apply(&ctx.state, ctx.constraints(), meta);
    ctx.commit_layer(state, text);
    Ok(())
}
