//! Engine failures in the spec's terms: the engine's answer to a request
//! the frontend made, recognised from its gRPC code and message, rewritten
//! as one sentence about the YAML value that caused it, with the fix, and
//! the engine's own text kept below it (`caused by: …`), so nothing is
//! hidden. Each kind is a registry code (`diag::codes`, phase `build`).
//!
//! This module decides no failure; it words the ones the engine reports.

use llb::Platform;

use crate::compile::{ignore, Compiled};
use crate::diag::{Code, Diagnostic, SourceFile, Span};
use crate::gateway::{caps, Evaluate, Gateway, GatewayError};
use crate::options::BuildOptions;

use super::{checked_definition, BuildFailure};

/// Why an image could not be resolved, from the engine's status.
enum Unresolved {
    NotFound,
    Denied,
    Unreachable,
    Other,
}

fn classify(code: tonic::Code, message: &str) -> Unresolved {
    let m = message.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if any(&[
        "unauthorized",
        "authentication required",
        "denied",
        "forbidden",
        "401",
        "403",
    ]) {
        Unresolved::Denied
    } else if code == tonic::Code::NotFound
        || any(&["not found", "manifest unknown", "name unknown", "no such"])
            && !any(&["no such host"])
    {
        Unresolved::NotFound
    } else if any(&[
        "connection refused",
        "no such host",
        "i/o timeout",
        "dial tcp",
        "tls:",
        "server gave http response",
        "network is unreachable",
        "connection reset",
    ]) {
        Unresolved::Unreachable
    } else {
        Unresolved::Other
    }
}

/// The registry host of an image reference (`docker.io` when it names none).
fn registry(reference: &str) -> &str {
    match reference.split_once('/') {
        Some((host, _)) if host.contains(['.', ':']) || host == "localhost" => host,
        Some(_) | None => "docker.io",
    }
}

/// A failed resolution of `reference`, named by the `from:` value at `at`.
pub(super) fn unresolved_image(
    e: GatewayError,
    reference: &str,
    at: Span,
    src: &SourceFile,
) -> BuildFailure {
    let GatewayError::Resolve { status, .. } = &e else {
        return e.into();
    };
    let engine = status.message();
    let host = registry(reference);
    let (sentence, help) = match classify(status.code(), engine) {
        Unresolved::NotFound => (
            format!("image `{reference}` does not exist in registry `{host}`"),
            "check the repository name and the tag (`docker buildx imagetools inspect REF` lists what a registry has)".to_owned(),
        ),
        Unresolved::Denied => (
            format!("registry `{host}` refused access to image `{reference}`: it does not exist, or it needs a login"),
            format!("check the name, and log in with `docker login {host}` if the repository is private"),
        ),
        Unresolved::Unreachable => (
            format!("registry `{host}` of image `{reference}` cannot be reached"),
            "check the address and the network; an engine in a container or on another host resolves `localhost` and names as it sees them".to_owned(),
        ),
        Unresolved::Other => (
            format!("image `{reference}` cannot be resolved"),
            "the engine's message below says why".to_owned(),
        ),
    };
    let d = Diagnostic::new(Code::ImageUnavailable, sentence, at).with_help(help);
    let mut failure = BuildFailure::from_diagnostics(&[d], src);
    failure.message.push_str(&format!("\ncaused by: {engine}"));
    failure.code = i32::from(status.code());
    failure
}

/// Fails the build when a `copy` names a path the build context does not
/// have: checked before the target is returned (the target is built
/// lazily, so the engine's "failed to calculate checksum … not found" would
/// otherwise be all the user sees). Without the engine's `statfile` cap the
/// check is left out, and the engine's message stands.
pub(super) async fn missing_context_files(
    gw: &Gateway,
    compiled: &[(Platform, Compiled)],
    opts: &BuildOptions,
    src: &SourceFile,
) -> Result<(), BuildFailure> {
    if !gw.caps.gateway(caps::STAT_FILE) {
        return Ok(());
    }
    let mut missing: Vec<Diagnostic> = Vec::new();
    // Platforms usually read the same context for the same copies: checked once.
    let mut checked = Vec::new();
    for (_, c) in compiled {
        let Some(context) = c.context.as_ref().filter(|_| !c.context_sources.is_empty()) else {
            continue;
        };
        let def = checked_definition(context, &gw.caps)?;
        let key = (def.def.clone(), c.context_sources.as_slice());
        if checked.contains(&key) {
            continue;
        }
        checked.push(key);
        let id = gw.solve(def, Evaluate::Now).await?;
        let checks = c.context_sources.iter().map(|(source, path)| {
            let id = id.clone();
            async move { Ok::<_, GatewayError>((source, path, gw.exists(&id, path).await?)) }
        });
        for (source, path, found) in futures::future::try_join_all(checks).await? {
            if found || missing.iter().any(|d| d.span == source.span) {
                continue;
            }
            let relative = path.trim_start_matches('/');
            let excluded = ignore::excluded(&opts.context_excludes, relative);
            let why = if excluded {
                format!(", because {} excludes it", opts.context_ignore_file)
            } else {
                String::new()
            };
            missing.push(
                Diagnostic::new(
                    Code::ContextFileMissing,
                    format!("`copy: {}`: the build context has no `{relative}`{why}", source.value),
                    source.span,
                )
                .with_help(if excluded {
                    format!("remove the pattern that matches it from {}, or add `!{relative}` after it", opts.context_ignore_file)
                } else {
                    "`copy` paths are relative to the build context: the directory or URL given to `docker buildx build` (`.` for the current directory)".to_owned()
                }),
            );
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(BuildFailure::from_diagnostics(&missing, src))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_messages_are_classified() {
        let not_found = "failed to resolve source metadata for 127.0.0.1:5000/x:1: 127.0.0.1:5000/x:1: not found";
        assert!(matches!(
            classify(tonic::Code::Unknown, not_found),
            Unresolved::NotFound
        ));
        let refused = "failed to do request: Head \"http://127.0.0.1:5999/v2/x/manifests/1\": dial tcp 127.0.0.1:5999: connect: connection refused";
        assert!(matches!(
            classify(tonic::Code::Unknown, refused),
            Unresolved::Unreachable
        ));
        let host = "dial tcp: lookup nohost.invalid: no such host";
        assert!(matches!(
            classify(tonic::Code::Unknown, host),
            Unresolved::Unreachable
        ));
        let denied = "pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed";
        assert!(matches!(
            classify(tonic::Code::Unknown, denied),
            Unresolved::Denied
        ));
        assert_eq!(registry("127.0.0.1:5000/x:1"), "127.0.0.1:5000");
        assert_eq!(registry("library/alpine"), "docker.io");
        assert_eq!(registry("alpine"), "docker.io");
        assert_eq!(registry("localhost/x"), "localhost");
    }
}
