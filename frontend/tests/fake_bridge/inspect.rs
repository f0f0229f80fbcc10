//! Helpers to look into what the frontend sent: ops, sources, names, metadata.

use bollard_buildkit_proto::google::rpc::Status as RpcStatus;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{self as fpb};
use bollard_buildkit_proto::pb;
use prost::Message;
use sha2::{Digest, Sha256};
use stagecraft::gateway::error::{ErrdefsSource, ERRDEFS_SOURCE_TYPE_URL};

pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

pub fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).unwrap())
        .collect()
}

pub fn sources(def: &pb::Definition) -> Vec<pb::SourceOp> {
    ops(def)
        .into_iter()
        .filter_map(|o| match o.op {
            Some(pb::op::Op::Source(s)) => Some(s),
            _ => None,
        })
        .collect()
}

/// Whether `def` only loads local files (the spec, an ignore file): no image, no exec.
pub fn loads_only(def: &pb::Definition) -> bool {
    ops(def).iter().all(|o| match &o.op {
        Some(pb::op::Op::Source(s)) => s.identifier.starts_with("local://"),
        None => true,
        Some(_) => false,
    })
}

/// The progress name of the exec in `def` whose last argument is `arg`.
pub fn exec_name(def: &pb::Definition, arg: &str) -> Option<String> {
    def.def
        .iter()
        .find_map(|bytes| match pb::Op::decode(bytes.as_slice()).ok()?.op {
            Some(pb::op::Op::Exec(e))
                if e.meta
                    .as_ref()
                    .and_then(|m| m.args.last())
                    .is_some_and(|a| a == arg) =>
            {
                def.metadata
                    .get(&digest_of(bytes))?
                    .description
                    .get("llb.customname")
                    .cloned()
            }
            _ => None,
        })
}

pub fn metadata_json(result: &fpb::Result, key: &str) -> serde_json::Value {
    let bytes = result
        .metadata
        .get(key)
        .unwrap_or_else(|| panic!("no `{key}` in {:?}", result.metadata.keys()));
    serde_json::from_slice(bytes).unwrap()
}

pub fn platform_ids(result: &fpb::Result) -> Vec<String> {
    let v = metadata_json(result, "refs.platforms");
    v["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

pub fn source_details(status: &RpcStatus) -> Vec<ErrdefsSource> {
    status
        .details
        .iter()
        .filter(|d| d.type_url == ERRDEFS_SOURCE_TYPE_URL)
        .map(|d| ErrdefsSource::decode(d.value.as_slice()).unwrap())
        .collect()
}

/// The 1-based number of the spec line that contains `needle`.
pub fn line_of(spec: &str, needle: &str) -> i32 {
    let i = spec
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the spec"));
    i32::try_from(i + 1).unwrap()
}

pub fn start_line(src: &ErrdefsSource) -> i32 {
    src.ranges[0].start.unwrap().line
}
