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
        pb::SourceInfo { filename: self.filename.clone(), data: self.data.clone(), definition: None, language: "YAML".to_owned() }
    }

    pub fn range(&self) -> pb::Range {
        let pos = |l: u32, c: u32| pb::Position {
            line: i32::try_from(l).unwrap_or(i32::MAX),
            character: i32::try_from(c).unwrap_or(i32::MAX),
        };
        pb::Range { start: Some(pos(self.start_line, self.start_col)), end: Some(pos(self.end_line, self.end_col)) }
    }
}

/// Something went wrong talking to the engine.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("cannot connect to BuildKit over stdio: {0}")]
    Connect(String),
    #[error("{call} failed: {}", status.message())]
    Rpc { call: &'static str, status: Box<tonic::Status> },
    #[error("cannot resolve image `{reference}`: {}", status.message())]
    Resolve { reference: String, status: Box<tonic::Status> },
}

impl GatewayError {
    pub fn rpc(call: &'static str, status: tonic::Status) -> Self {
        Self::Rpc { call, status: Box::new(status) }
    }
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
            let detail = ErrdefsSource { info: Some(s.info()), ranges: vec![s.range()] };
            vec![Any { type_url: ERRDEFS_SOURCE_TYPE_URL.to_owned(), value: detail.encode_to_vec() }]
        })
        .unwrap_or_default();
    Status { code, message: message.to_owned(), details }
}
