//! Every frontend option key BuildKit or buildx may pass, and what this
//! frontend does with it: one table, so that nothing a user passes is
//! ignored in silence. An option that is not honoured (or not known at all)
//! becomes a warning that names it; `docs/language.md` lists the same table.
//!
//! This module does not parse values: `BuildOptions::from_opts` does.

/// What happens to an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Applied by Stagecraft.
    Honoured,
    /// Acted on by BuildKit or buildx themselves; nothing for a frontend to do.
    Engine,
}

/// Option keys, exactly as BuildKit passes them.
pub const KEYS: &[(&str, Use)] = &[
    ("filename", Use::Honoured),
    ("target", Use::Honoured),
    ("platform", Use::Honoured),
    ("multi-platform", Use::Honoured),
    ("no-cache", Use::Honoured),
    ("add-hosts", Use::Honoured),
    ("force-network-mode", Use::Honoured),
    ("cache-imports", Use::Honoured),
    ("cache-from", Use::Honoured),
    ("ulimit", Use::Honoured),
    ("shm-size", Use::Honoured),
    ("cgroup-parent", Use::Honoured),
    ("hostname", Use::Honoured),
    ("image-resolve-mode", Use::Honoured),
    ("requestid", Use::Honoured),
    ("dockerfilekey", Use::Honoured),
    ("contextkey", Use::Honoured),
    // The `# syntax=` forwarder's own keys.
    ("cmdline", Use::Engine),
    ("source", Use::Engine),
    ("frontend.caps", Use::Engine),
    // A remote build context (git or http(s) URL) and its subdirectory.
    ("context", Use::Honoured),
    ("contextsubdir", Use::Honoured),
];

/// Option key prefixes (`build-arg:NAME`, `label:NAME`, …); `attest:KIND`
/// keys go by [`ATTESTATIONS`].
pub const PREFIXES: &[(&str, Use)] = &[
    ("build-arg:", Use::Honoured),
    ("label:", Use::Honoured),
    ("context:", Use::Honoured),
    // The session of a local source (bake).
    ("local-sessionid:", Use::Honoured),
    // The image config of a frontend input (`input:NAME` contexts).
    ("input-metadata:", Use::Honoured),
    // buildx's version-control facts (`vcs:source`, `vcs:revision`,
    // `vcs:localdir:…`), which BuildKit puts in the provenance.
    ("vcs:", Use::Engine),
];

/// Attestation kinds (`attest:KIND`).
pub const ATTESTATIONS: &[(&str, Use)] = &[
    // BuildKit makes provenance itself, from the definition's source map.
    ("provenance", Use::Engine),
    // The SBOM is made by this frontend, running the scanner image.
    ("sbom", Use::Honoured),
];

/// Build arguments BuildKit defines (`--build-arg BUILDKIT_…`, and
/// `SOURCE_DATE_EPOCH`, which the engine reads to date the image and its files).
pub const BUILDKIT_ARGS: &[(&str, Use)] = &[
    ("SOURCE_DATE_EPOCH", Use::Engine),
    ("BUILDKIT_SYNTAX", Use::Engine),
    ("BUILDKIT_MULTI_PLATFORM", Use::Honoured),
    ("BUILDKIT_SANDBOX_HOSTNAME", Use::Honoured),
    ("BUILDKIT_CACHE_MOUNT_NS", Use::Honoured),
    // Read by the exporter (cache metadata in the image).
    ("BUILDKIT_INLINE_CACHE", Use::Engine),
    ("BUILDKIT_CONTEXT_KEEP_GIT_DIR", Use::Honoured),
    // Scan the build context, or stages besides the target, for the SBOM.
    ("BUILDKIT_SBOM_SCAN_CONTEXT", Use::Honoured),
    ("BUILDKIT_SBOM_SCAN_STAGE", Use::Honoured),
    // Which lint rules run, and whether they fail the build.
    ("BUILDKIT_DOCKERFILE_CHECK", Use::Honoured),
];

/// What happens to option `key`; `None` for a key of no known kind.
pub fn lookup(key: &str) -> Option<Use> {
    if let Some(arg) = key.strip_prefix("build-arg:") {
        if let Some((_, u)) = BUILDKIT_ARGS.iter().find(|(k, _)| *k == arg) {
            return Some(*u);
        }
        // An unknown `BUILDKIT_` argument is an unknown option; any other is
        // the spec's (undeclared ones are warned about by the build, which
        // knows the spec).
        return (!arg.starts_with("BUILDKIT_")).then_some(Use::Honoured);
    }
    if let Some(kind) = key.strip_prefix("attest:") {
        return ATTESTATIONS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, u)| *u);
    }
    if let Some((_, u)) = KEYS.iter().find(|(k, _)| *k == key) {
        return Some(*u);
    }
    PREFIXES
        .iter()
        .find(|(p, _)| key.starts_with(p))
        .map(|(_, u)| *u)
}

/// One warning for every option in `keys` this frontend does not know, naming it.
pub fn warnings<'a>(keys: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut out = Vec::new();
    for key in keys {
        let flag = as_flag(key);
        match lookup(key) {
            Some(Use::Honoured | Use::Engine) => {}
            None => out.push(format!(
                "{flag} is ignored: this frontend does not know the option `{key}`"
            )),
        }
    }
    out
}

/// The command-line form of an option key, for messages.
fn as_flag(key: &str) -> String {
    if let Some(arg) = key.strip_prefix("build-arg:") {
        return format!("--build-arg {arg}");
    }
    if let Some(kind) = key.strip_prefix("attest:") {
        return match kind {
            "sbom" => "--sbom".to_owned(),
            "provenance" => "--provenance".to_owned(),
            other => format!("--attest type={other}"),
        };
    }
    format!("the frontend option `{key}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warn(keys: &[&str]) -> Vec<String> {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        warnings(&keys)
    }

    #[test]
    fn honoured_and_engine_keys_give_no_warning() {
        assert!(warn(&[
            "filename",
            "ulimit",
            "build-arg:APP",
            "build-arg:BUILDKIT_SYNTAX",
            "label:x",
            "context:base",
            "input-metadata:0-base",
            "attest:provenance",
            "attest:sbom",
            "vcs:revision",
            "vcs:localdir:context",
            "cmdline",
        ])
        .is_empty());
    }

    #[test]
    fn unsupported_and_unknown_keys_are_named() {
        let w = warn(&[
            "attest:something-new",
            "build-arg:BUILDKIT_NEW_THING",
            "brand-new-key",
        ]);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(
            w[0].starts_with("--attest type=something-new is ignored"),
            "{w:?}"
        );
        assert!(w[1].contains("`build-arg:BUILDKIT_NEW_THING`"), "{w:?}");
        assert!(w[2].contains("`brand-new-key`"), "{w:?}");
    }
}
