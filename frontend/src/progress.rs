//! The progress names Stagecraft gives its ops (what buildx prints for each
//! vertex), in one place: `compile` and `build` write them, and
//! `gateway::error` reads a failing op's name back to explain its error in
//! spec terms. Nothing else parses them.

/// The prefix of an `add: {url}` download's name.
const DOWNLOAD: &str = "[internal] download ";

/// `[internal] download URL`: an `add: {url}` source.
pub fn download(url: &str) -> String {
    format!("{DOWNLOAD}{url}")
}

/// The URL of a [`download`] name.
pub fn downloaded_url(name: &str) -> Option<&str> {
    name.strip_prefix(DOWNLOAD)
}

/// `[internal] git URL`: an `add: {git}` source.
pub fn git(url: &str) -> String {
    format!("[internal] git {url}")
}

/// The URL of a [`git`] name.
pub fn git_url(name: &str) -> Option<&str> {
    name.strip_prefix("[internal] git ")
}

/// `[internal] load metadata for REF`: resolving a base image's config.
pub fn load_metadata(reference: &str) -> String {
    format!("[internal] load metadata for {reference}")
}

/// `[internal] image REF`: an image a copy or mount reads from.
pub fn image(reference: &str) -> String {
    format!("[internal] image {reference}")
}

/// An image several `from:` values use (stages' bases, copies, mounts): one
/// vertex, named without a stage, as the Dockerfile frontend names a base
/// image that stages share.
pub fn shared_image(pinned: &str) -> String {
    format!("FROM {pinned}")
}

/// The main build context's source.
pub const BUILD_CONTEXT: &str = "[internal] load build context";

/// A named context's source (`--build-context NAME=…`).
pub fn named_context(name: &str) -> String {
    format!("[context {name}] load")
}

/// An `oci-layout://` context's image, as the Dockerfile frontend names it.
pub fn oci_layout(name: &str) -> String {
    format!("[context {name}] OCI load from client")
}

/// Resolving an `oci-layout://` context's image config.
pub fn oci_layout_metadata(name: &str, reference: &str) -> String {
    format!("[context {name}] load metadata for {reference}")
}

/// A git repository that is the build context.
pub fn git_context(url: &str) -> String {
    format!("[internal] load git source {url}")
}

/// A download that is the build context.
pub const REMOTE_CONTEXT: &str = "[internal] load remote build context";

/// A remote build context scoped to a directory (`#REF:SUBDIR`, `contextsubdir`).
pub fn context_subdir(dir: &str) -> String {
    format!("[internal] build context {dir}")
}

/// The SBOM scan of the result for platform `id`, as BuildKit names it.
pub fn sbom(id: &str, scanner: &str) -> String {
    format!("[{id}] generating sbom using {scanner}")
}

/// The spec's own source (the spec and its ignore file).
pub fn build_definition(filename: &str) -> String {
    format!("[internal] load build definition from {filename}")
}

/// The specs imported from beside the spec (`imports:` with a `spec` path only).
pub fn imports_beside(filename: &str) -> String {
    format!("[internal] load specs imported by {filename}")
}

/// A repository or image a spec imports specs from.
pub fn import_source(source: &crate::spec::imports::Location) -> String {
    format!(
        "[internal] load imported spec from {}",
        source.source_name()
    )
}

/// A git source checked out for its commit (`--call=lock`).
pub fn lock_git(source: &str) -> String {
    format!("[internal] lock git {source}")
}

/// The context's `.dockerignore`.
pub const DOCKERIGNORE: &str = "[internal] load .dockerignore";

/// `[STAGE N/TOTAL] WHAT`: a step of a stage (`FROM`, `WORKDIR`, `RUN`, …).
pub fn step(stage: &str, n: usize, total: usize, what: &str) -> String {
    format!("[{stage} {n}/{total}] {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_name_gives_back_its_url() {
        let name = download("https://example.com/a.tgz");
        assert_eq!(downloaded_url(&name), Some("https://example.com/a.tgz"));
        assert_eq!(downloaded_url(&git("https://example.com/r.git")), None);
    }
}
