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
    /// A git repository: `git://…`, `ssh://…`, `git@host:…`, or an
    /// `http(s)://` URL whose path ends in `.git`; `#REF:SUBDIR` picks a
    /// branch, tag or commit and a directory in it.
    Git(GitContext),
    /// `http://…` or `https://…` (not a git URL): one downloaded file.
    Http(String),
    /// `oci-layout://STORE[:TAG]@DIGEST`: an image in an OCI layout the
    /// client holds (buildx names the layout's content store `STORE` in the
    /// session and pins the digest).
    OciLayout(OciLayout),
    /// `input:NAME`: another frontend's result, passed as the frontend
    /// input `NAME` (bake's `target:` contexts).
    Input(String),
    /// A value of no kind BuildKit defines.
    Unknown,
}

/// An `oci-layout://` context.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OciLayout {
    /// The session's content store that holds the layout.
    pub store: String,
    /// `sha256:…`: the image (index or manifest) in it.
    pub digest: String,
}

impl OciLayout {
    /// The reference the layout's image goes by, as the Dockerfile frontend
    /// names it: the context's name, pinned to the layout's digest.
    pub fn image_reference(
        &self,
        context: &str,
    ) -> Result<llb::reference::Reference, llb::reference::ReferenceError> {
        let mut reference = llb::reference::Reference::parse(context)?;
        reference.tag = None;
        reference.digest = Some(self.digest.clone());
        Ok(reference)
    }
}

/// A git context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitContext {
    /// The remote, without the fragment.
    pub url: String,
    /// Branch, tag or commit; empty for the default branch.
    pub reference: String,
    /// A directory of the repository to use as the context's root; empty for all of it.
    pub subdir: String,
}

/// Whether `url` (without its fragment) names a git repository, as BuildKit
/// recognises one.
fn is_git(url: &str) -> bool {
    if url.starts_with("git://") || url.starts_with("ssh://") || url.starts_with("git@") {
        return true;
    }
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    rest.split(['?', '#'])
        .next()
        .unwrap_or(rest)
        .ends_with(".git")
}

/// `STORE[:TAG]@sha256:HEX`, as buildx passes an `oci-layout://` context.
/// The digest is required: without it the layout's content is not pinned.
fn parse_oci_layout(rest: &str) -> Option<OciLayout> {
    let (name, digest) = rest.rsplit_once('@')?;
    let hex = digest.strip_prefix("sha256:")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // A tag after the store's name (not a port: the store is no host).
    let store = name.rsplit_once(':').map_or(name, |(s, _)| s);
    if store.is_empty() {
        return None;
    }
    Some(OciLayout {
        store: store.to_owned(),
        digest: digest.to_owned(),
    })
}

impl NamedContext {
    pub fn parse(value: &str) -> Self {
        let (url, fragment) = value.split_once('#').unwrap_or((value, ""));
        let kind = if let Some(r) = value.strip_prefix("docker-image://") {
            ContextKind::Image(r.to_owned())
        } else if let Some(name) = value.strip_prefix("local:") {
            ContextKind::Local(name.to_owned())
        } else if is_git(url) {
            let (reference, subdir) = fragment.split_once(':').unwrap_or((fragment, ""));
            ContextKind::Git(GitContext {
                url: url.to_owned(),
                reference: reference.to_owned(),
                subdir: subdir.trim_matches('/').to_owned(),
            })
        } else if value.starts_with("http://") || value.starts_with("https://") {
            ContextKind::Http(value.to_owned())
        } else if let Some(rest) = value.strip_prefix("oci-layout://") {
            match parse_oci_layout(rest) {
                Some(layout) => ContextKind::OciLayout(layout),
                None => ContextKind::Unknown,
            }
        } else if let Some(name) = value.strip_prefix("input:") {
            ContextKind::Input(name.to_owned())
        } else {
            ContextKind::Unknown
        };
        Self {
            raw: value.to_owned(),
            kind,
        }
    }

    /// The frontend input an `input:` context names.
    pub fn input(&self) -> Option<&str> {
        match &self.kind {
            ContextKind::Input(name) => Some(name),
            ContextKind::Image(_)
            | ContextKind::Local(_)
            | ContextKind::Git(_)
            | ContextKind::Http(_)
            | ContextKind::OciLayout(_)
            | ContextKind::Unknown => None,
        }
    }

    /// The image a `docker-image://` context names.
    pub fn image(&self) -> Option<&str> {
        match &self.kind {
            ContextKind::Image(r) => Some(r),
            ContextKind::Local(_)
            | ContextKind::Git(_)
            | ContextKind::Http(_)
            | ContextKind::OciLayout(_)
            | ContextKind::Input(_)
            | ContextKind::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(v: &str) -> Option<GitContext> {
        match NamedContext::parse(v).kind {
            ContextKind::Git(g) => Some(g),
            _ => None,
        }
    }

    #[test]
    fn git_urls_in_the_forms_buildkit_recognises() {
        let g = git("git://h:9418/repo.git#v1:sub/dir/").unwrap();
        assert_eq!(
            (g.url.as_str(), g.reference.as_str(), g.subdir.as_str()),
            ("git://h:9418/repo.git", "v1", "sub/dir")
        );
        assert_eq!(
            git("https://github.com/moby/buildkit.git")
                .unwrap()
                .reference,
            ""
        );
        assert!(git("git@github.com:moby/buildkit.git#main").is_some());
        assert!(git("ssh://git@h/r").is_some());
        let d = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(
            NamedContext::parse(&format!("oci-layout://k3x9:latest@{d}")).kind,
            ContextKind::OciLayout(OciLayout {
                store: "k3x9".to_owned(),
                digest: d.clone()
            })
        );
        assert_eq!(
            NamedContext::parse("oci-layout://k3x9:latest").kind,
            ContextKind::Unknown,
            "no digest"
        );
        assert!(git("https://example.com/tool.tar.gz").is_none());
        assert_eq!(
            NamedContext::parse("https://example.com/tool.tar.gz").kind,
            ContextKind::Http("https://example.com/tool.tar.gz".to_owned())
        );
    }
}
