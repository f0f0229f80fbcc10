//! Engine failures in the spec's terms: the engine's answer to a request
//! the frontend made, recognised from its gRPC code and message, rewritten
//! as one sentence about the YAML value that caused it, with the fix, and
//! the engine's own text kept below it (`caused by: …`), so nothing is
//! hidden. Each kind is a registry code (`diag::codes`, phase `build`).
//!
//! This module decides no failure; it words the ones the engine reports.

use llb::Platform;

use bollard_buildkit_proto::google::rpc::Status;
use prost::Message;

use crate::compile::uses::{Entitlement, Reading, Use};
use crate::compile::{ignore, Compiled};
use crate::diag::{Code, Diagnostic, SourceFile, Span};
use crate::gateway::error::{ErrdefsSource, ERRDEFS_SOURCE_TYPE_URL};
use crate::gateway::{caps, Evaluate, Gateway, GatewayError};
use crate::options::BuildOptions;
use crate::spec::model::{FromRef, Spec};

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

/// A failed resolution of the image of an OCI-layout context
/// (`--build-context NAME=oci-layout://…`), named by the `from:` value at `at`.
pub(super) fn unresolved_layout(
    e: GatewayError,
    context: &str,
    digest: &str,
    at: Span,
    src: &SourceFile,
) -> BuildFailure {
    let (GatewayError::Resolve { status, .. } | GatewayError::Rpc { status, .. }) = &e else {
        return e.into();
    };
    let engine = status.message();
    let d = Diagnostic::new(
        Code::ImageUnavailable,
        format!("build context `{context}` is an OCI layout without the image `{digest}`"),
        at,
    )
    .with_help(format!(
        "buildx reads the layout on the client: check that the directory of `--build-context {context}=oci-layout://DIR[:TAG][@DIGEST]` holds an OCI layout (`index.json`) with that image"
    ));
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
        let checks = c.context_sources.iter().map(|cs| {
            let id = id.clone();
            async move {
                let found = if cs.glob {
                    let (dir, pattern) = cs.path.rsplit_once('/').unwrap_or(("", &cs.path));
                    let dir = if dir.is_empty() { "/" } else { dir };
                    gw.dir_has_match(&id, dir, pattern).await?
                } else {
                    gw.exists(&id, &cs.path).await?
                };
                Ok::<_, GatewayError>((cs, found))
            }
        });
        for (cs, found) in futures::future::try_join_all(checks).await? {
            let source = &cs.value;
            if found || missing.iter().any(|d| d.span == source.span) {
                continue;
            }
            let relative = cs.path.trim_start_matches('/');
            let (message, excluded) = if cs.glob {
                let why = if opts.context_excludes.is_empty() {
                    String::new()
                } else {
                    format!(" (that {} leaves in it)", opts.context_ignore_file)
                };
                (
                    format!(
                        "`copy: {}`: no file of the build context{why} matches `{relative}`",
                        source.value
                    ),
                    false,
                )
            } else {
                let excluded = ignore::excluded(&opts.context_excludes, relative);
                let why = if excluded {
                    format!(", because {} excludes it", opts.context_ignore_file)
                } else {
                    String::new()
                };
                (
                    format!(
                        "`copy: {}`: the build context has no `{relative}`{why}",
                        source.value
                    ),
                    excluded,
                )
            };
            missing.push(
                Diagnostic::new(Code::ContextFileMissing, message, source.span)
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

/// A failure of the target's build about something it uses
/// (`compile::uses`: a secret or ssh agent not given, an entitlement not
/// granted, a path another stage lacks), worded at the YAML value that names
/// it, with the engine's text after `caused by:`. `None` for any other
/// failure (a `run` that exited non-zero among them): its engine message,
/// located by the source map, stands.
pub(super) fn explain_use<'u>(
    status: &Status,
    uses: &'u [Use],
    spec: &Spec,
    opts: &BuildOptions,
    src: &SourceFile,
) -> Option<BuildFailure> {
    let engine = status.message.as_str();
    let lines = failed_lines(status);
    // Of several uses that fit, the one inside the failed op's YAML range.
    let pick = |fits: Vec<(&'u Use, Span)>| pick(fits, lines);
    let diagnostics: Vec<Diagnostic> = if let Some(found) = entitlement_failure(engine, uses) {
        found
    } else if let Some(id) = between(engine, "secret ", ": not found") {
        let fits = uses.iter().filter_map(|u| match u {
            Use::Secret { id: i, at } if i == id => Some((u, *at)),
            _other => None,
        });
        let (_, at) = pick(fits.collect())?;
        vec![Diagnostic::new(
            Code::SecretNotProvided,
            format!("secret `{id}` was not given to the build"),
            at,
        )
        .with_help(format!(
            "pass it with `--secret id={id},src=FILE` or `--secret id={id},env=VARIABLE`; with `required: false` the step runs without it"
        ))]
    } else if let Some(id) = ssh_id(engine) {
        let fits = uses.iter().filter_map(|u| match u {
            Use::Ssh { id: i, at } if i == id => Some((u, *at)),
            _other => None,
        });
        let (_, at) = pick(fits.collect())?;
        let flag = if id == "default" {
            "`--ssh default` (your agent, `$SSH_AUTH_SOCK`) or `--ssh default=PATH` (a key file)"
                .to_owned()
        } else {
            format!("`--ssh {id}=PATH` (an agent socket or a key file)")
        };
        vec![Diagnostic::new(
            Code::SshNotProvided,
            format!("ssh agent `{id}` was not forwarded to the build"),
            at,
        )
        .with_help(format!(
            "pass {flag}; with `required: false` the step runs without it"
        ))]
    } else if let Some(path) = missing_checksum_path(engine) {
        let fits = uses.iter().filter_map(|u| match u {
            Use::StagePath { path: p, at, .. } if p == path => Some((u, *at)),
            _other => None,
        });
        let (
            Use::StagePath {
                reading,
                from,
                path,
                at,
            },
            _,
        ) = pick(fits.collect())?
        else {
            return None;
        };
        let (noun, look) = match (spec.classify_from(at.file, from), opts.contexts.contains_key(from.as_str())) {
            (FromRef::Stage(_), _) => (
                "stage",
                format!("a path in a stage is absolute in its filesystem after its steps: check that a step of `{from}` creates it (`docker buildx build --target {from} --output type=local,dest=DIR .` shows what it has)"),
            ),
            (FromRef::Image(_), true) => (
                "build context",
                format!("check the path in the context given by `--build-context {from}=…`"),
            ),
            (FromRef::Image(_), false) => (
                "image",
                format!("check the path in the image (`docker run --rm --entrypoint ls {from} -la DIR` lists a directory)"),
            ),
            (FromRef::Scratch, _) => ("", "`scratch` is empty: name the stage or image that has the path".to_owned()),
        };
        let what = match reading {
            Reading::Copy => "copy",
            Reading::Artifact => "artifact",
        };
        let source = if noun.is_empty() {
            "`scratch`".to_owned()
        } else {
            format!("{noun} `{from}`")
        };
        vec![Diagnostic::new(
            Code::StagePathMissing,
            format!("{what} `{path}`: {source} has no `{path}`"),
            *at,
        )
        .with_help(look)]
    } else {
        return None;
    };
    let mut failure = BuildFailure::from_diagnostics(&diagnostics, src);
    failure.message.push_str(&format!("\ncaused by: {engine}"));
    failure.code = status.code;
    Some(failure)
}

/// Of the uses that fit a failure, the one inside the failed op's YAML
/// lines, else the first.
fn pick(fits: Vec<(&Use, Span)>, lines: Option<(u32, u32)>) -> Option<(&Use, Span)> {
    fits.iter()
        .find(|(_, at)| lines.is_some_and(|(a, b)| (a..=b).contains(&at.line)))
        .or(fits.first())
        .cloned()
}

/// Every step that needs an entitlement the engine refused: BuildKit checks
/// them all before it builds anything, and names the first it refuses.
fn entitlement_failure(engine: &str, uses: &[Use]) -> Option<Vec<Diagnostic>> {
    let refused = [Entitlement::NetworkHost, Entitlement::SecurityInsecure]
        .into_iter()
        .find(|e| engine.contains(&format!("{} is not allowed", e.name())))?;
    let mut found: Vec<Diagnostic> = Vec::new();
    for u in uses {
        let Use::Entitlement { what, at } = u else {
            continue;
        };
        if *what != refused || found.iter().any(|d| Some(d.span) == *at) {
            continue;
        }
        let name = refused.name();
        let (value, builder) = match refused {
            Entitlement::NetworkHost => {
                ("network: host", "--allow-insecure-entitlement network.host")
            }
            Entitlement::SecurityInsecure => (
                "security: insecure",
                "--allow-insecure-entitlement security.insecure",
            ),
        };
        let help = format!(
            "pass `--allow {name}` to `docker buildx build`; a `docker-container` builder must also be created with `--buildkitd-flags '{builder}'`"
        );
        found.push(match at {
            Some(at) => Diagnostic::new(
                Code::EntitlementNotGranted,
                format!("`{value}` needs the `{name}` entitlement, which this build was not granted"),
                *at,
            ),
            // Set by the option, not the spec: no YAML location.
            None => Diagnostic::new(
                Code::EntitlementNotGranted,
                format!("option `--network host` needs the `{name}` entitlement, which this build was not granted"),
                Span::default(),
            ),
        }
        .with_help(help));
    }
    (!found.is_empty()).then_some(found)
}

/// The text between `before` and the first `after` that follows it.
fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = text.find(before)? + before.len();
    let rest = &text[start..];
    Some(&rest[..rest.find(after)?]).filter(|s| !s.is_empty() && !s.contains(char::is_whitespace))
}

/// The id of an ssh agent the client did not forward: `unset ssh forward
/// key ID` (BuildKit 0.9 and later), `no SSH key "ID" forwarded` (older).
fn ssh_id(engine: &str) -> Option<&str> {
    if let Some(start) = engine.find("unset ssh forward key ") {
        let rest = &engine[start + "unset ssh forward key ".len()..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ':')
            .unwrap_or(rest.len());
        return Some(&rest[..end]).filter(|s| !s.is_empty());
    }
    between(engine, "no SSH key \"", "\" forwarded")
}

/// The path of `failed to calculate checksum of ref …: "/PATH": not found`:
/// a copy's source the engine did not find.
fn missing_checksum_path(engine: &str) -> Option<&str> {
    if !engine.contains("failed to calculate checksum") {
        return None;
    }
    let end = engine.rfind("\": not found")?;
    let start = engine[..end].rfind(": \"")? + 3;
    Some(&engine[start..end])
}

/// The first and last YAML line of the failed op, from the engine's
/// `errdefs.Source` detail (our source map's ranges).
fn failed_lines(status: &Status) -> Option<(u32, u32)> {
    status
        .details
        .iter()
        .filter(|d| d.type_url.ends_with(ERRDEFS_SOURCE_TYPE_URL))
        .filter_map(|d| ErrdefsSource::decode(d.value.as_slice()).ok())
        .flat_map(|s| s.ranges)
        .find_map(|r| {
            let line = |p: Option<bollard_buildkit_proto::pb::Position>| {
                p.and_then(|p| u32::try_from(p.line).ok())
            };
            Some((line(r.start)?, line(r.end)?))
        })
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

    #[test]
    fn engine_messages_about_uses_are_read() {
        assert_eq!(
            between("secret tok: not found", "secret ", ": not found"),
            Some("tok")
        );
        assert_eq!(
            between("secret : not found", "secret ", ": not found"),
            None
        );
        assert_eq!(ssh_id("unset ssh forward key default"), Some("default"));
        assert_eq!(ssh_id("unset ssh forward key deploy: x"), Some("deploy"));
        assert_eq!(
            ssh_id("no SSH key \"git\" forwarded from the client"),
            Some("git")
        );
        assert_eq!(ssh_id("exit code: 1"), None);
        let checksum = "failed to compute cache key: failed to calculate checksum of ref a::b: \"/out/ap\": not found";
        assert_eq!(missing_checksum_path(checksum), Some("/out/ap"));
        assert_eq!(missing_checksum_path("\"/x\": not found"), None);
    }

    #[test]
    fn entitlement_failures_name_every_step_that_needs_it() {
        let at = |line| Span {
            offset: 0,
            len: 4,
            line,
            col: 18,
            file: 0,
        };
        let uses = [
            Use::Entitlement {
                what: Entitlement::NetworkHost,
                at: Some(at(8)),
            },
            Use::Entitlement {
                what: Entitlement::SecurityInsecure,
                at: Some(at(9)),
            },
            Use::Entitlement {
                what: Entitlement::NetworkHost,
                at: Some(at(12)),
            },
            Use::Entitlement {
                what: Entitlement::NetworkHost,
                at: None,
            },
        ];
        let found =
            entitlement_failure("failed to load LLB: network.host is not allowed", &uses).unwrap();
        let lines: Vec<u32> = found.iter().map(|d| d.span.line).collect();
        assert_eq!(lines, [8, 12, 0]);
        assert!(found[2].message.starts_with("option `--network host`"));
        assert!(entitlement_failure("exit code: 1", &uses).is_none());
    }
}
