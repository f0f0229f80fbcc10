//! Named contexts (`--build-context NAME=…`), parsed once by kind.

/// A `--build-context NAME=…` value as BuildKit passes it (the frontend
/// option `context:NAME`), by kind: the one switch over context kinds, as
/// BuildKit's `dockerui/namedcontext.go` has. `compile::context` compiles
/// each kind in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedContext {
    /// The value as passed, for messages.
    pub raw: String,
    pub kind: ContextKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextKind {
    /// `docker-image://REF`: an image (its reference).
    Image(String),
    /// `local:NAME`: a directory the client sends as the local source `NAME`.
    Local(String),
    /// `git://…`: a git repository.
    Git,
    /// `http://…` or `https://…`: a file or tarball.
    Http,
    /// `oci-layout://…`: an OCI layout the client sends.
    OciLayout,
    /// `input:NAME`: another frontend's result.
    Input,
    /// A value of no kind BuildKit defines.
    Unknown,
}

impl NamedContext {
    pub fn parse(value: &str) -> Self {
        let kind = if let Some(r) = value.strip_prefix("docker-image://") {
            ContextKind::Image(r.to_owned())
        } else if let Some(name) = value.strip_prefix("local:") {
            ContextKind::Local(name.to_owned())
        } else if value.starts_with("git://") {
            ContextKind::Git
        } else if value.starts_with("http://") || value.starts_with("https://") {
            ContextKind::Http
        } else if value.starts_with("oci-layout://") {
            ContextKind::OciLayout
        } else if value.starts_with("input:") {
            ContextKind::Input
        } else {
            ContextKind::Unknown
        };
        Self {
            raw: value.to_owned(),
            kind,
        }
    }

    /// The image a `docker-image://` context names.
    pub fn image(&self) -> Option<&str> {
        match &self.kind {
            ContextKind::Image(r) => Some(r),
            ContextKind::Local(_)
            | ContextKind::Git
            | ContextKind::Http
            | ContextKind::OciLayout
            | ContextKind::Input
            | ContextKind::Unknown => None,
        }
    }
}
