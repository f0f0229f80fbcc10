//! `artifacts` → one copy per artifact after the steps (independent layers
//! merged on top when `link: true` and the engine has MergeOp).

use crate::diag::Diagnostic;
use crate::spec::model::Artifact;

use super::copy::{apply_layer, copy_options, destination, for_source, is_glob, source_path};
use super::uses::{Reading, Use};
use super::{Compiler, StageCtx};

/// Compiles the artifacts the stage's conditions keep.
pub(super) fn compile_artifacts(
    c: &mut Compiler<'_, '_>,
    ctx: &mut StageCtx<'_, '_>,
    artifacts: &[&Artifact],
) -> Result<(), Diagnostic> {
    for a in artifacts {
        ctx.step_no += 1;
        let from = ctx.source_state(c, &a.from)?;
        let path = source_path(&ctx.expand_path(&a.path)?);
        let dest = destination(ctx, a.to.as_ref(), false)?;
        let opts = copy_options(ctx, a.chmod.as_ref(), a.chown.as_ref())?;
        let from_name = ctx.expand(&a.from)?;
        if !is_glob(&path) {
            c.uses.push(Use::StagePath {
                reading: Reading::Artifact,
                from: from_name.clone(),
                path: path.clone(),
                at: a.path.span,
            });
        }
        let text = format!("ARTIFACT {from_name}:{path} {dest}");
        let files = llb::FileOp::new().copy(&from, &path, &dest, for_source(&opts, is_glob(&path)));
        let state = apply_layer(
            ctx,
            files,
            &opts,
            a.link,
            c.input.features.merge_op,
            &text,
            a.span,
        );
        ctx.commit_layer(state, text);
    }
    Ok(())
}
