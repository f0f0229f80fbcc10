//! Engine failures in the spec's terms: the engine's answer to a request
//! the frontend made, recognised from its gRPC code and message, rewritten
//! as one sentence about the YAML value that caused it, with the fix, and
//! the engine's own text kept below it (`caused by: …`), so nothing is
//! hidden. Each kind is a registry code (`diag::codes`, phase `build`).
//!
//! This module decides no failure; it words the ones the engine reports.

use crate::diag::{Code, Diagnostic, SourceFile, Span};
use crate::gateway::GatewayError;

use super::BuildFailure;

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
