//! Source ops: the leaves of a graph (images, local directories, git
//! repositories, http files).
//!
//! Attribute keys are spelled as in BuildKit. Attributes are only set when they
//! have a value, so a definition never carries an empty attribute. Nothing here
//! resolves images or reads files; that is the engine's work.

use std::collections::BTreeMap;

use crate::caps;
use crate::op::{Constraints, Node, OpKind, OpMeta, Output, State};
use crate::reference::Reference;

pub const ATTR_IMAGE_RESOLVE_MODE: &str = "image.resolvemode";
pub const ATTR_LOCAL_SESSION_ID: &str = "local.session";
pub const ATTR_LOCAL_SHARED_KEY_HINT: &str = "local.sharedkeyhint";
pub const ATTR_LOCAL_INCLUDE_PATTERNS: &str = "local.includepattern";
pub const ATTR_LOCAL_EXCLUDE_PATTERNS: &str = "local.excludepatterns";
pub const ATTR_LOCAL_FOLLOW_PATHS: &str = "local.followpaths";
pub const ATTR_LOCAL_DIFFER: &str = "local.differ";
pub const ATTR_KEEP_GIT_DIR: &str = "git.keepgitdir";
pub const ATTR_GIT_FULL_URL: &str = "git.fullurl";
pub const ATTR_GIT_AUTH_TOKEN_SECRET: &str = "git.authtokensecret";
pub const ATTR_GIT_AUTH_HEADER_SECRET: &str = "git.authheadersecret";
/// The secrets an http(s) git remote's credentials come from, as BuildKit's
/// client names them for every git source (`GIT_AUTH_TOKEN`,
/// `GIT_AUTH_HEADER`: `--secret id=GIT_AUTH_TOKEN,env=…` passes a token).
pub const GIT_AUTH_TOKEN_SECRET: &str = "GIT_AUTH_TOKEN";
pub const GIT_AUTH_HEADER_SECRET: &str = "GIT_AUTH_HEADER";
pub const ATTR_GIT_CHECKSUM: &str = "git.checksum";
pub const ATTR_OCI_SESSION_ID: &str = "oci.session";
pub const ATTR_OCI_STORE_ID: &str = "oci.store";
pub const ATTR_HTTP_CHECKSUM: &str = "http.checksum";
pub const ATTR_HTTP_FILENAME: &str = "http.filename";
pub const ATTR_HTTP_PERM: &str = "http.perm";
pub const ATTR_HTTP_UID: &str = "http.uid";
pub const ATTR_HTTP_GID: &str = "http.gid";

/// A source op: an identifier (`docker-image://…`, `local://…`) and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub identifier: String,
    pub attrs: BTreeMap<String, String>,
}

impl Source {
    /// Whether the source is the same on every platform: BuildKit's client
    /// marshals every source but an image (`docker-image://`,
    /// `oci-layout://`) without a platform, so that local, http(s) and git
    /// sources are the Dockerfile frontend's ops on any platform.
    pub fn platform_independent(&self) -> bool {
        !["docker-image://", "oci-layout://"]
            .iter()
            .any(|p| self.identifier.starts_with(p))
    }

    fn state(self, constraints: Constraints, mut meta: OpMeta, caps: &[&str]) -> State {
        for cap in caps {
            meta.add_cap(cap);
        }
        let node = Node::new(OpKind::Source(self), Vec::new(), constraints, meta);
        State::from_output(Output::new(node, 0))
    }

    fn attr(mut self, key: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        if !value.is_empty() {
            self.attrs.insert(key.to_owned(), value);
        }
        self
    }
}

/// An image from a registry or the engine's image store.
pub fn image(reference: &Reference, constraints: Constraints, meta: OpMeta) -> State {
    image_resolved(reference, "default", constraints, meta)
}

/// An image resolved with `mode` (`default`, `pull` or `local`): as BuildKit's
/// client, the attribute is written only for a mode other than `default`, and
/// `pull` (which the engine must enforce) needs its cap.
pub fn image_resolved(
    reference: &Reference,
    mode: &str,
    constraints: Constraints,
    meta: OpMeta,
) -> State {
    let mut attrs = BTreeMap::new();
    let mut needs = vec![caps::SOURCE_IMAGE];
    if mode != "default" {
        attrs.insert(ATTR_IMAGE_RESOLVE_MODE.to_owned(), mode.to_owned());
        if mode == "pull" {
            needs.push(caps::SOURCE_IMAGE_RESOLVE_MODE);
        }
    }
    let source = Source {
        identifier: format!("docker-image://{reference}"),
        attrs,
    };
    source.state(constraints, meta, &needs)
}

/// Options of a local directory source (the build context, named contexts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalOptions {
    pub session_id: String,
    pub shared_key_hint: String,
    pub include_patterns: Vec<String>,
    pub exclude_patterns: Vec<String>,
    pub follow_paths: Vec<String>,
}

/// A directory sent by the client, e.g. `local://context`.
pub fn local(name: &str, opts: &LocalOptions, constraints: Constraints, meta: OpMeta) -> State {
    let json = |v: &[String]| {
        if v.is_empty() {
            String::new()
        } else {
            json_array(v)
        }
    };
    let source = Source {
        identifier: format!("local://{name}"),
        attrs: BTreeMap::new(),
    }
    .attr(ATTR_LOCAL_SESSION_ID, opts.session_id.clone())
    .attr(ATTR_LOCAL_SHARED_KEY_HINT, opts.shared_key_hint.clone())
    .attr(ATTR_LOCAL_INCLUDE_PATTERNS, json(&opts.include_patterns))
    .attr(ATTR_LOCAL_EXCLUDE_PATTERNS, json(&opts.exclude_patterns))
    .attr(ATTR_LOCAL_FOLLOW_PATHS, json(&opts.follow_paths));
    let mut caps = vec![caps::SOURCE_LOCAL];
    for (key, cap) in [
        (ATTR_LOCAL_SESSION_ID, caps::SOURCE_LOCAL_SESSION_ID),
        (
            ATTR_LOCAL_SHARED_KEY_HINT,
            caps::SOURCE_LOCAL_SHARED_KEY_HINT,
        ),
        (
            ATTR_LOCAL_INCLUDE_PATTERNS,
            caps::SOURCE_LOCAL_INCLUDE_PATTERNS,
        ),
        (
            ATTR_LOCAL_EXCLUDE_PATTERNS,
            caps::SOURCE_LOCAL_EXCLUDE_PATTERNS,
        ),
        (ATTR_LOCAL_FOLLOW_PATHS, caps::SOURCE_LOCAL_FOLLOW_PATHS),
    ] {
        if source.attrs.contains_key(key) {
            caps.push(cap);
        }
    }
    source.state(constraints, meta, &caps)
}

/// A git repository at a ref (`git://host/path#ref` style identifier);
/// a non-empty `checksum` is the commit the engine must find there.
pub fn git(
    remote: &str,
    reference: &str,
    keep_git_dir: bool,
    checksum: &str,
    constraints: Constraints,
    meta: OpMeta,
) -> State {
    let (identifier, full_url) = git_identifier(remote);
    let id = if reference.is_empty() {
        identifier
    } else {
        format!("{identifier}#{reference}")
    };
    let mut source = Source {
        identifier: format!("git://{id}"),
        attrs: BTreeMap::new(),
    }
    .attr(ATTR_GIT_FULL_URL, full_url)
    .attr(ATTR_GIT_AUTH_HEADER_SECRET, GIT_AUTH_HEADER_SECRET)
    .attr(ATTR_GIT_AUTH_TOKEN_SECRET, GIT_AUTH_TOKEN_SECRET);
    let mut caps = vec![caps::SOURCE_GIT, caps::SOURCE_GIT_FULL_URL];
    if keep_git_dir {
        source = source.attr(ATTR_KEEP_GIT_DIR, "true");
        caps.push(caps::SOURCE_GIT_KEEP_DIR);
    }
    if !checksum.is_empty() {
        source = source.attr(ATTR_GIT_CHECKSUM, checksum);
        caps.push(caps::SOURCE_GIT_CHECKSUM);
    }
    source.state(constraints, meta, &caps)
}

/// BuildKit's git identifiers drop the scheme; the full URL travels in an attribute.
fn git_identifier(remote: &str) -> (String, String) {
    let without_scheme = remote.split_once("://").map_or(remote, |(_, rest)| rest);
    let without_git = without_scheme.trim_end_matches('/');
    (without_git.to_owned(), remote.to_owned())
}

/// Options of an http source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpOptions {
    /// `sha256:<hex>`; the engine fails the build when the download differs.
    pub checksum: String,
    pub filename: String,
    pub perm: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// A file downloaded over http(s).
pub fn http(url: &str, opts: &HttpOptions, constraints: Constraints, meta: OpMeta) -> State {
    let num = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let source = Source {
        identifier: url.to_owned(),
        attrs: BTreeMap::new(),
    }
    .attr(ATTR_HTTP_CHECKSUM, opts.checksum.clone())
    .attr(ATTR_HTTP_FILENAME, opts.filename.clone())
    .attr(
        ATTR_HTTP_PERM,
        opts.perm
            .map(|p| format!("{p:o}"))
            .map(|s| format!("0{s}"))
            .unwrap_or_default(),
    )
    .attr(ATTR_HTTP_UID, num(opts.uid))
    .attr(ATTR_HTTP_GID, num(opts.gid));
    let mut caps = vec![caps::SOURCE_HTTP];
    if source.attrs.contains_key(ATTR_HTTP_CHECKSUM) {
        caps.push(caps::SOURCE_HTTP_CHECKSUM);
    }
    if source.attrs.contains_key(ATTR_HTTP_PERM) {
        caps.push(caps::SOURCE_HTTP_PERM);
    }
    if source.attrs.contains_key(ATTR_HTTP_UID) || source.attrs.contains_key(ATTR_HTTP_GID) {
        caps.push(caps::SOURCE_HTTP_UID_GID);
    }
    source.state(constraints, meta, &caps)
}

/// An image in an OCI layout that the client holds: content store `store`
/// of session `session_id`. `reference` names the image and must carry the
/// digest that pins it in the layout.
pub fn oci_layout(
    reference: &Reference,
    session_id: &str,
    store: &str,
    constraints: Constraints,
    meta: OpMeta,
) -> State {
    Source {
        identifier: format!("oci-layout://{reference}"),
        attrs: BTreeMap::new(),
    }
    .attr(ATTR_OCI_SESSION_ID, session_id)
    .attr(ATTR_OCI_STORE_ID, store)
    .state(constraints, meta, &[caps::SOURCE_OCI_LAYOUT])
}

/// A JSON array of strings, escaped by hand to keep this crate free of serde.
pub(crate) fn json_array(items: &[String]) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}
