//! The build context and the named contexts (`--build-context NAME=…`):
//! the one place each context kind of [`ContextKind`] becomes LLB.

use llb::op::{Constraints, OpMeta, State};
use llb::source::LocalOptions;
use llb::{source, FileOp};

use crate::diag::{Code, Diagnostic, Span};
use crate::options::{ContextKind, NamedContext, OciLayout};

use super::*;

/// The name of the file an `http(s)://` context downloads to.
pub const HTTP_CONTEXT_FILE: &str = "context";

/// A frontend input (another frontend's result that the client passes, as
/// bake does for `target:` contexts): its filesystem, and the image config
/// the client gave for it, if any.
#[derive(Debug, Clone)]
pub struct FrontendInput {
    pub state: State,
    /// `containerimage.config` of its `input-metadata:` option.
    pub config: Option<Vec<u8>>,
}

impl Compiler<'_, '_> {
    /// The build context (`local://context`), created once.
    pub(crate) fn context(&mut self) -> State {
        if let Some(c) = &self.context {
            return c.clone();
        }
        if let Some(remote) = &self.input.remote_context {
            // The ignore file's patterns apply to a remote context too.
            let excludes = &self.input.opts.context_excludes;
            let st = if excludes.is_empty() {
                remote.clone()
            } else {
                FileOp::new()
                    .copy(
                        remote,
                        "/",
                        "/",
                        llb::CopyOptions {
                            exclude_patterns: excludes.clone(),
                            ..Default::default()
                        },
                    )
                    .apply(
                        &State::scratch(),
                        Constraints::default(),
                        OpMeta::default().with_name(crate::progress::BUILD_CONTEXT),
                    )
            };
            self.context = Some(st.clone());
            return st;
        }
        let opts = LocalOptions {
            session_id: self
                .input
                .opts
                .local_session(&self.input.opts.context_local)
                .to_owned(),
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

    /// The image config a frontend input named by context `name` comes
    /// with (bake passes a target's config); none for any other context.
    pub(crate) fn named_context_image(
        &self,
        name: &str,
        ctx: &NamedContext,
        platform: &Platform,
        span: Span,
    ) -> Result<Option<Image>, Diagnostic> {
        let config = match ctx.input() {
            Some(input) => self
                .input
                .inputs
                .get(input)
                .ok_or_else(|| missing_input(name, ctx, span))?
                .config
                .as_deref(),
            None => None,
        };
        config
            .map(|bytes| {
                Image::from_base(name, bytes, platform).map_err(|e| {
                    Diagnostic::new(
                        Code::UnsupportedContext,
                        format!("build context `{name}={}`: {e}", ctx.raw),
                        span,
                    )
                })
            })
            .transpose()
    }

    /// An image of an `oci-layout://` context `name`, for `platform`: named
    /// after the context and pinned to the layout's digest, as the
    /// Dockerfile frontend names it.
    pub(crate) fn oci_layout(
        &self,
        name: &str,
        layout: &OciLayout,
        platform: &Platform,
        span: Span,
    ) -> Result<State, Diagnostic> {
        let reference = layout
            .image_reference(name)
            .map_err(|e| Diagnostic::new(Code::InvalidImage, e.to_string(), span))?;
        Ok(source::oci_layout(
            &reference,
            &self.input.opts.session_id,
            &layout.store,
            Constraints::for_platform(platform),
            OpMeta::default().with_name(crate::progress::oci_layout(name)),
        ))
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
                    session_id: self.input.opts.local_session(local).to_owned(),
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
                // A lock file's commit for this context (language 1.1) is
                // the ref fetched.
                let reference = self
                    .input
                    .opts
                    .locked_git
                    .get(&crate::lock::git_key(&g.url, &g.reference))
                    .unwrap_or(&g.reference);
                let repo = source::git(
                    &g.url,
                    reference,
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
            // One file named `context`, as the Dockerfile frontend names it
            // (so a bake file's contexts give both frontends the same files).
            ContextKind::Http(url) => Ok(source::http(
                url,
                &source::HttpOptions {
                    filename: HTTP_CONTEXT_FILE.to_owned(),
                    ..Default::default()
                },
                Constraints::default(),
                OpMeta::default().with_name(crate::progress::named_context(name)),
            )),
            ContextKind::Input(input) => self
                .input
                .inputs
                .get(input)
                .map(|i| i.state.clone())
                .ok_or_else(|| missing_input(name, ctx, span)),
            ContextKind::OciLayout(layout) => {
                self.oci_layout(name, layout, &self.input.platform, span)
            }
            ContextKind::Unknown => Err(Diagnostic::new(
                Code::UnsupportedContext,
                format!(
                    "build context `{name}={}` is not supported yet (use a local directory, docker-image://, a git URL, an http(s) URL, oci-layout:// or a bake target)",
                    ctx.raw
                ),
                span,
            )),
        }
    }
}

/// An `input:NAME` context whose input the client did not pass.
fn missing_input(name: &str, ctx: &NamedContext, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnsupportedContext,
        format!(
            "build context `{name}={}` names a frontend input the client did not pass",
            ctx.raw
        ),
        span,
    )
}
