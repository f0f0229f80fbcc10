//! `mkdir` steps → a FileOp mkdir with parents, mode and owner.

use llb::FileOp;

use super::{resolve_path, StageCtx};
use crate::diag::{Diagnostic, Span};
use crate::spec::model::Mkdir;

pub(crate) fn compile_mkdir(
    ctx: &mut StageCtx<'_, '_>,
    m: &Mkdir,
    span: Span,
) -> Result<(), Diagnostic> {
    let path = resolve_path(&ctx.workdir, &ctx.expand_path(&m.path)?);
    let mode = m.chmod.as_ref().map_or(0o755, |c| c.value.bits);
    let owner = ctx.chown(m.chown.as_ref())?;
    let text = format!("MKDIR {path}");
    let meta = ctx.meta(&text, span);
    let state =
        FileOp::new()
            .mkdir(&path, mode, true, owner)
            .apply(&ctx.state, ctx.constraints(), meta);
    ctx.commit_layer(state, text);
    Ok(())
}
