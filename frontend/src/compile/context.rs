//! The build context and the named contexts (`--build-context NAME=…`):
//! the one place each context kind of [`ContextKind`] becomes LLB.

use llb::op::{Constraints, OpMeta, State};
use llb::source::LocalOptions;
use llb::{source, FileOp};

use crate::diag::{Code, Diagnostic, Span};
use crate::options::{ContextKind, NamedContext};

use super::*;

impl Compiler<'_, '_> {
    /// The build context (`local://context`), created once.
    pub(crate) fn context(&mut self) -> State {
        if let Some(c) = &self.context {
            return c.clone();
        }
        let opts = LocalOptions {
            session_id: self.input.opts.session_id.clone(),
            shared_key_hint: self.input.opts.context_local.clone(),
            exclude_patterns: self.input.opts.context_excludes.clone(),
            follow_paths: self.context_follow.clone(),
            ..Default::default()
        };
        let st = source::local(
            &self.input.opts.context_local,
            &opts,
            Constraints::default(),
            OpMeta::default().with_name(crate::progress::BUILD_CONTEXT),
        );
        self.context = Some(st.clone());
        st
    }

    /// A named build context (`--build-context name=…`).
    pub(crate) fn named_context(
        &mut self,
        name: &str,
        ctx: &NamedContext,
        span: Span,
    ) -> Result<State, Diagnostic> {
        match &ctx.kind {
            ContextKind::Image(image) => {
                let reference = parse_reference(image, span)?;
                Ok(source::image_resolved(
                    &reference,
                    self.input.opts.resolve_mode.as_str(),
                    Constraints::for_platform(&self.input.platform),
                    OpMeta::default(),
                ))
            }
            ContextKind::Local(local) => {
                let opts = LocalOptions {
                    session_id: self.input.opts.session_id.clone(),
                    shared_key_hint: local.clone(),
                    ..Default::default()
                };
                Ok(source::local(
                    local,
                    &opts,
                    Constraints::default(),
                    OpMeta::default().with_name(crate::progress::named_context(name)),
                ))
            }
            ContextKind::Git(g) => {
                let repo = source::git(
                    &g.url,
                    &g.reference,
                    self.input.opts.context_keep_git_dir,
                    "",
                    Constraints::default(),
                    OpMeta::default().with_name(crate::progress::named_context(name)),
                );
                if g.subdir.is_empty() {
                    return Ok(repo);
                }
                // `#REF:SUBDIR`: that directory is the context's root, as
                // BuildKit scopes a git context to its subdirectory.
                Ok(FileOp::new()
                    .copy(&repo, &format!("/{}", g.subdir), "/", Default::default())
                    .apply(
                        &State::scratch(),
                        Constraints::default(),
                        OpMeta::default().with_name(format!(
                            "{} {}",
                            crate::progress::named_context(name),
                            g.subdir
                        )),
                    ))
            }
            ContextKind::Http(url) => Ok(source::http(
                url,
                &Default::default(),
                Constraints::default(),
                OpMeta::default().with_name(crate::progress::named_context(name)),
            )),
            ContextKind::OciLayout
            | ContextKind::Input
            | ContextKind::Unknown => Err(Diagnostic::new(
                Code::UnsupportedContext,
                format!(
                    "build context `{name}={}` is not supported yet (use a local directory, docker-image://, a git URL or an http(s) URL)",
                    ctx.raw
                ),
                span,
            )),
        }
    }
}
