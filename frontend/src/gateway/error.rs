//! Errors of the gateway session, and their conversion to the `google.rpc.Status`
//! a frontend returns so that buildx shows them to the user.
//!
//! A status may carry the spec's source and the offending range (BuildKit's
//! `errdefs.Source`); buildx then prints the spec lines around the error. The
//! message itself also names `file:line:col`, so engines that drop details
//! still point at the right place.

use bollard_buildkit_proto::google::{protobuf::Any, rpc::Status};
use bollard_buildkit_proto::pb;
use prost::Message;

/// BuildKit's `errdefs.Source`, declared here because the proto crate does not ship it.
#[derive(Clone, PartialEq, Message)]
pub struct ErrdefsSource {
    #[prost(message, optional, tag = "1")]
    pub info: Option<pb::SourceInfo>,
    #[prost(message, repeated, tag = "2")]
    pub ranges: Vec<pb::Range>,
}

/// The type URL BuildKit registers `errdefs.Source` under (its protobuf full name).
pub const ERRDEFS_SOURCE_TYPE_URL: &str = "errdefs.Source";

/// A place in the spec, for error details and warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRange {
    pub filename: String,
    pub data: Vec<u8>,
    pub start_line: u32,
    pub start_col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

impl SourceRange {
    pub fn info(&self) -> pb::SourceInfo {
        pb::SourceInfo {
            filename: self.filename.clone(),
            data: self.data.clone(),
            definition: None,
            language: "YAML".to_owned(),
        }
    }

    pub fn range(&self) -> pb::Range {
        let pos = |l: u32, c: u32| pb::Position {
            line: i32::try_from(l).unwrap_or(i32::MAX),
            character: i32::try_from(c).unwrap_or(i32::MAX),
        };
        pb::Range {
            start: Some(pos(self.start_line, self.start_col)),
            end: Some(pos(self.end_line, self.end_col)),
        }
    }
}

/// Something went wrong talking to the engine.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("cannot connect to BuildKit over stdio: {0}")]
    Connect(String),
    #[error("{call} failed: {}", status.message())]
    Rpc {
        call: &'static str,
        status: Box<tonic::Status>,
    },
    /// A solve failed; the engine's status (with our source location added) is returned as is.
    #[error("{}", status.message)]
    Solve { status: Box<Status> },
    #[error("cannot resolve image `{reference}`: {}", status.message())]
    Resolve {
        reference: String,
        status: Box<tonic::Status>,
    },
}

/// Whether the engine answered that a path is not there: gRPC `NotFound`,
/// or the "no such file or directory" of BuildKit's file calls.
pub fn is_not_found(s: &tonic::Status) -> bool {
    s.code() == tonic::Code::NotFound || s.message().contains("no such file or directory")
}

impl GatewayError {
    /// A file call that failed because the path is not there.
    pub fn is_missing_file(&self) -> bool {
        matches!(self, Self::Rpc { status, .. } if is_not_found(status))
    }

    pub fn rpc(call: &'static str, status: tonic::Status) -> Self {
        Self::Rpc {
            call,
            status: Box::new(status),
        }
    }

    /// The engine's status when a solve failed: returned unchanged, it keeps
    /// the details (vertex, source location, exit code) buildx shows.
    pub fn engine_status(&self) -> Option<Status> {
        match self {
            Self::Solve { status } => Some((**status).clone()),
            _ => None,
        }
    }
}

/// The `google.rpc.Status` behind a tonic status, details included.
pub fn engine_status(status: &tonic::Status) -> Status {
    let details = status.details();
    let decoded = if details.is_empty() {
        None
    } else {
        Status::decode(details).ok()
    };
    decoded.unwrap_or_else(|| Status {
        code: status.code() as i32,
        message: status.message().to_owned(),
        details: Vec::new(),
    })
}

/// gRPC codes we use (`google.rpc.Code`).
pub mod code {
    pub const UNKNOWN: i32 = 2;
    pub const INVALID_ARGUMENT: i32 = 3;
    pub const NOT_FOUND: i32 = 5;
    pub const UNIMPLEMENTED: i32 = 12;
}

/// Builds the status returned to BuildKit for a failed build.
pub fn status(code: i32, message: &str, source: Option<&SourceRange>) -> Status {
    let details = source
        .map(|s| {
            let detail = ErrdefsSource {
                info: Some(s.info()),
                ranges: vec![s.range()],
            };
            vec![Any {
                type_url: ERRDEFS_SOURCE_TYPE_URL.to_owned(),
                value: detail.encode_to_vec(),
            }]
        })
        .unwrap_or_default();
    Status {
        code,
        message: message.to_owned(),
        details,
    }
}

/// The digest of the failing vertex named in an engine status (`errdefs.Vertex`, JSON or protobuf encoded).
fn failed_vertex(status: &Status) -> Option<String> {
    status
        .details
        .iter()
        .find(|d| d.type_url.contains("errdefs.Vertex"))
        .and_then(|d| {
            if d.type_url.ends_with("+json") {
                let v: serde_json::Value = serde_json::from_slice(&d.value).ok()?;
                v.get("digest")?.as_str().map(str::to_owned)
            } else {
                #[derive(Clone, PartialEq, Message)]
                struct Vertex {
                    #[prost(string, tag = "1")]
                    digest: String,
                }
                Vertex::decode(d.value.as_slice()).ok().map(|v| v.digest)
            }
        })
}

/// The progress name of the failing op (`errdefs.Solve` detail, JSON
/// encoded, from BuildKit 0.2x; Docker 26.1 sends only `errdefs.Vertex`).
fn failed_op_name(status: &Status) -> Option<String> {
    let d = status
        .details
        .iter()
        .find(|d| d.type_url.contains("errdefs.Solve") && d.type_url.ends_with("+json"))?;
    let v: serde_json::Value = serde_json::from_slice(&d.value).ok()?;
    v.get("description")?
        .get("llb.customname")?
        .as_str()
        .map(str::to_owned)
}

/// Why a download failed, from the engine's message.
fn download_failure(message: &str) -> String {
    let m = message.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if let Some(code) = message
        .split("invalid response status ")
        .nth(1)
        .and_then(|r| r.get(..3))
    {
        format!("the server answered HTTP {code}")
    } else if any(&["x509", "tls:", "certificate"]) {
        "the server's TLS certificate is not trusted".to_owned()
    } else if any(&[
        "connection refused",
        "no such host",
        "i/o timeout",
        "dial tcp",
        "network is unreachable",
        "connection reset",
    ]) {
        "the server cannot be reached".to_owned()
    } else {
        "see the engine's message below".to_owned()
    }
}

/// Why a git source failed, from the engine's message (git's own words).
fn git_failure(message: &str) -> String {
    let m = message.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if any(&[
        "does not contain ref",
        "couldn't find remote ref",
        "unknown revision",
        "did not match any",
        "not our ref",
        "no such ref",
    ]) {
        "the repository has no such `ref` (branch, tag or commit)".to_owned()
    } else if any(&[
        "authentication failed",
        "permission denied",
        "could not read username",
        "terminal prompts disabled",
    ]) {
        "the repository needs credentials: pass a token with `--secret id=GIT_AUTH_TOKEN,env=…` or an agent with `--ssh default`".to_owned()
    } else if any(&[
        "connection refused",
        "no such host",
        "i/o timeout",
        "could not resolve host",
        "unable to connect",
        "network is unreachable",
    ]) {
        "the server cannot be reached".to_owned()
    } else if any(&[
        "repository not found",
        "does not appear to be a git repository",
        "not found",
    ]) {
        "the repository does not exist there".to_owned()
    } else {
        "see the engine's message below".to_owned()
    }
}

/// Rewrites engine messages that are terse about what went wrong in spec
/// terms: one sentence, the engine's text kept after `caused by:`. The
/// registry's `download-failed`, `checksum-mismatch` and `git-source-failed`
/// document these messages.
fn explain(status: &mut Status, def: &pb::Definition) {
    // The engine names the failing op by its progress name (`errdefs.Solve`)
    // or only by its digest (`errdefs.Vertex`: Docker 26.1), whose progress
    // name the definition's metadata holds.
    let name = failed_op_name(status)
        .or_else(|| {
            let digest = failed_vertex(status)?;
            def.metadata
                .get(&digest)?
                .description
                .get("llb.customname")
                .cloned()
        })
        .unwrap_or_default();
    if let Some(url) = crate::progress::downloaded_url(&name) {
        status.message = match status.message.strip_prefix("digest mismatch ") {
            Some(rest) => {
                let (actual, expected) = rest.split_once(": ").unwrap_or((rest, "?"));
                format!(
                    "checksum mismatch for `{url}`: the spec expects `{expected}` but the download is `{actual}`\ncaused by: {}",
                    status.message
                )
            }
            None => format!(
                "download of `{url}` failed: {}\ncaused by: {}",
                download_failure(&status.message),
                status.message
            ),
        };
    } else if let Some(url) = crate::progress::git_url(&name) {
        status.message = format!(
            "git source `{url}` failed: {}\ncaused by: {}",
            git_failure(&status.message),
            status.message
        );
    }
}

/// Adds the spec location of the failing op (from the definition's source map)
/// to an engine status, unless the engine already attached one, so that buildx
/// prints the YAML lines of a failing `run`.
pub fn attach_source(status: &mut Status, def: &pb::Definition) {
    explain(status, def);
    if status
        .details
        .iter()
        .any(|d| d.type_url.contains("errdefs.Source"))
    {
        return;
    }
    // Ops are encoded as BuildKit encodes them (`llb::marshal::encode_op`),
    // so the engine's vertex digest is ours; an engine that rewrites an op
    // in another way (a source policy that changes it) reports a digest of
    // its own, so fall back to the op's unique progress name.
    let by_name = || {
        let name = failed_op_name(status)?;
        def.metadata
            .iter()
            .find(|(_, md)| md.description.get("llb.customname") == Some(&name))
            .map(|(d, _)| d.clone())
    };
    let located = failed_vertex(status)
        .map(|d| op_locations(def, &d))
        .filter(|l| !l.is_empty())
        .or_else(|| by_name().map(|d| op_locations(def, &d)))
        .unwrap_or_default();
    for (info, ranges) in located {
        let detail = ErrdefsSource {
            info: Some(info.clone()),
            ranges: ranges.to_vec(),
        };
        status.details.push(Any {
            type_url: ERRDEFS_SOURCE_TYPE_URL.to_owned(),
            value: detail.encode_to_vec(),
        });
    }
}

/// The spec locations the definition's source map gives op `digest`: each
/// source file with the ranges in it.
pub fn op_locations<'d>(
    def: &'d pb::Definition,
    digest: &str,
) -> Vec<(&'d pb::SourceInfo, &'d [pb::Range])> {
    let Some(source) = &def.source else {
        return Vec::new();
    };
    let Some(locs) = source.locations.get(digest) else {
        return Vec::new();
    };
    locs.locations
        .iter()
        .filter_map(|loc| {
            let info = usize::try_from(loc.source_index)
                .ok()
                .and_then(|i| source.infos.get(i))?;
            Some((info, loc.ranges.as_slice()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_and_git_failures_in_a_sentence() {
        assert_eq!(
            download_failure("invalid response status 404"),
            "the server answered HTTP 404"
        );
        assert_eq!(
            download_failure(
                "Get \"http://127.0.0.1:1/x\": dial tcp 127.0.0.1:1: connect: connection refused"
            ),
            "the server cannot be reached"
        );
        assert!(
            git_failure("fatal: couldn't find remote ref refs/heads/nope")
                .contains("no such `ref`")
        );
        assert!(
            git_failure("repository does not contain ref nope, output: \"\"")
                .contains("no such `ref`")
        );
        assert!(
            git_failure("fatal: repository 'http://x/y.git/' not found").contains("does not exist")
        );
        assert!(git_failure("fatal: Authentication failed for 'https://x'").contains("credentials"));
    }
}
