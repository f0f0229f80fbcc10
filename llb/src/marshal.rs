//! Deterministic marshalling of a graph to a `pb::Definition`.
//!
//! Ops are encoded in depth-first post-order (inputs before the ops that use
//! them), deduplicated by digest, with the terminal op (one input, no op)
//! last. Metadata and source locations are keyed by op digest in BTreeMaps,
//! so the same graph always gives the same bytes. Nothing here is random or
//! time-based.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bollard_buildkit_proto::pb;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::caps;
use crate::op::{Node, OpKind, State};

/// A graph that cannot be marshalled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarshalError {
    #[error("cannot marshal an empty (scratch) state as a definition")]
    Scratch,
}

/// Encodes an op byte for byte as BuildKit's Go code does, so that the same
/// op has the same digest whichever frontend made it: its plain fields
/// (`inputs`, `platform`, `constraints`) first, then the `op` oneof. prost
/// puts the oneof (tags 2–7) in tag order, before `platform` (10); both are
/// valid protobuf, but the engine re-encodes ops it rewrites (source
/// policies), and then finds neither our source locations nor shared cache
/// under our digests.
pub fn encode_op(op: &pb::Op) -> Vec<u8> {
    use prost::encoding::message;
    let mut out = Vec::with_capacity(op.encoded_len());
    for input in &op.inputs {
        message::encode(1, input, &mut out);
    }
    if let Some(platform) = &op.platform {
        message::encode(10, platform, &mut out);
    }
    if let Some(constraints) = &op.constraints {
        message::encode(11, constraints, &mut out);
    }
    if let Some(kind) = &op.op {
        kind.encode(&mut out);
    }
    out
}

/// The digest of marshalled op bytes, as BuildKit computes it.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

struct Marshaller {
    /// node pointer → digest, so shared nodes are encoded once.
    seen: BTreeMap<usize, String>,
    digests: BTreeSet<String>,
    def: Vec<Vec<u8>>,
    metadata: BTreeMap<String, pb::OpMetadata>,
    locations: BTreeMap<String, pb::Locations>,
    infos: Vec<pb::SourceInfo>,
    /// source file pointer → index in `infos`, so each op's location costs
    /// a lookup, not a comparison of whole files.
    info_index: BTreeMap<usize, usize>,
}

/// Marshals the graph ending at `state` to a definition.
pub fn marshal(state: &State) -> Result<pb::Definition, MarshalError> {
    let output = state.output.as_ref().ok_or(MarshalError::Scratch)?;
    let mut m = Marshaller {
        seen: BTreeMap::new(),
        digests: BTreeSet::new(),
        def: Vec::new(),
        metadata: BTreeMap::new(),
        locations: BTreeMap::new(),
        infos: Vec::new(),
        info_index: BTreeMap::new(),
    };
    let root = m.visit(&output.node);
    let terminal = pb::Op {
        inputs: vec![pb::Input {
            digest: root,
            index: output.index,
        }],
        ..Default::default()
    };
    m.def.push(encode_op(&terminal));
    let source = if m.locations.is_empty() {
        None
    } else {
        Some(pb::Source {
            locations: m.locations,
            infos: m.infos,
        })
    };
    Ok(pb::Definition {
        def: m.def,
        metadata: m.metadata,
        source,
    })
}

impl Marshaller {
    /// Encodes `root` and everything it depends on, inputs before the ops
    /// that use them, in the order a recursive depth-first walk would take;
    /// with an explicit stack, so a chain of 100,000 ops needs no deep call
    /// stack. Returns the root's digest.
    fn visit(&mut self, root: &Arc<Node>) -> String {
        // (node, its inputs are already on the stack above it)
        let mut stack: Vec<(&Arc<Node>, bool)> = vec![(root, false)];
        while let Some((node, expanded)) = stack.pop() {
            let key = Arc::as_ptr(node) as usize;
            if self.seen.contains_key(&key) {
                continue;
            }
            if !expanded {
                stack.push((node, true));
                // Reversed: the first input is encoded first.
                for input in node.inputs.iter().rev() {
                    if !self.seen.contains_key(&(Arc::as_ptr(&input.node) as usize)) {
                        stack.push((&input.node, false));
                    }
                }
                continue;
            }
            let dgst = self.encode(node);
            self.seen.insert(key, dgst);
        }
        self.seen
            .get(&(Arc::as_ptr(root) as usize))
            .cloned()
            .unwrap_or_default()
    }

    /// Encodes one node whose inputs are all encoded.
    fn encode(&mut self, node: &Node) -> String {
        let inputs: Vec<pb::Input> = node
            .inputs
            .iter()
            .map(|i| pb::Input {
                digest: self
                    .seen
                    .get(&(Arc::as_ptr(&i.node) as usize))
                    .cloned()
                    .unwrap_or_default(),
                index: i.index,
            })
            .collect();
        // File and merge ops are not platform specific: BuildKit's client
        // marshals them without one, so the same op has the same digest (and
        // cache key) as the Dockerfile frontend's, on any platform.
        // Nor is a source other than an image (`Source::platform_independent`).
        let platform = match &node.kind {
            OpKind::Source(s) if s.platform_independent() => None,
            OpKind::Source(_) | OpKind::Exec(_) | OpKind::Definition(_) => {
                node.constraints.platform.as_ref().map(|p| p.to_pb())
            }
            OpKind::File(_) | OpKind::Merge(_) => None,
        };
        let op = pb::Op {
            inputs,
            platform: platform.clone(),
            constraints: Some(pb::WorkerConstraints {
                filter: node.constraints.worker_filter.clone(),
            }),
            op: Some(match &node.kind {
                OpKind::Source(s) => pb::op::Op::Source(pb::SourceOp {
                    identifier: s.identifier.clone(),
                    attrs: s.attrs.clone(),
                }),
                OpKind::Exec(e) => pb::op::Op::Exec(e.exec.to_pb(&e.plan)),
                OpKind::File(f) => pb::op::Op::File(pb::FileOp {
                    actions: f.planned.clone(),
                }),
                // Copied as they are; nothing of this node is encoded.
                OpKind::Definition(imported) => return self.encode_imported(imported),
                OpKind::Merge(_) => pb::op::Op::Merge(pb::MergeOp {
                    inputs: (0..node.inputs.len())
                        .map(|i| pb::MergeInput {
                            input: i64::try_from(i).unwrap_or(0),
                        })
                        .collect(),
                }),
            }),
        };
        let bytes = encode_op(&op);
        let dgst = digest(&bytes);
        if self.digests.insert(dgst.clone()) {
            self.def.push(bytes);
            self.metadata
                .insert(dgst.clone(), self.op_metadata(node, platform.is_some()));
            if let Some(loc) = &node.meta.location {
                self.add_location(&dgst, loc);
            }
        }
        dgst
    }

    /// Copies an imported definition's ops and their metadata; returns the
    /// digest of the op it ends at.
    fn encode_imported(&mut self, imported: &crate::definition::Imported) -> String {
        for (dgst, bytes) in &imported.ops {
            if self.digests.insert(dgst.clone()) {
                self.def.push(bytes.clone());
                if let Some(meta) = imported.metadata.get(dgst) {
                    self.metadata.insert(dgst.clone(), meta.clone());
                }
            }
        }
        if let Some(source) = &imported.source {
            // Each file once: the imported indexes are remapped onto ours.
            let index: Vec<i32> = source
                .infos
                .iter()
                .map(|info| {
                    let i = match self.infos.iter().position(|i| i == info) {
                        Some(i) => i,
                        None => {
                            self.infos.push(info.clone());
                            self.infos.len() - 1
                        }
                    };
                    i32::try_from(i).unwrap_or(i32::MAX)
                })
                .collect();
            for (dgst, locs) in &source.locations {
                let entry = self.locations.entry(dgst.clone()).or_default();
                if !entry.locations.is_empty() {
                    continue;
                }
                for loc in &locs.locations {
                    let mut loc = loc.clone();
                    let at = usize::try_from(loc.source_index).ok();
                    loc.source_index = at.and_then(|i| index.get(i)).copied().unwrap_or(-1);
                    entry.locations.push(loc);
                }
            }
        }
        imported.root.clone()
    }

    fn op_metadata(&self, node: &Node, has_platform: bool) -> pb::OpMetadata {
        let mut caps = node.meta.caps.clone();
        if has_platform {
            caps.insert(caps::PLATFORM.to_owned(), true);
        }
        caps.insert(caps::CONSTRAINTS.to_owned(), true);
        if node.meta.ignore_cache {
            caps.insert(caps::META_IGNORE_CACHE.to_owned(), true);
        }
        if !node.meta.description.is_empty() {
            caps.insert(caps::META_DESCRIPTION.to_owned(), true);
        }
        pb::OpMetadata {
            ignore_cache: node.meta.ignore_cache,
            description: node.meta.description.clone(),
            caps,
            progress_group: node
                .meta
                .progress_group
                .as_ref()
                .map(|g| pb::ProgressGroup {
                    id: g.id.clone(),
                    name: g.name.clone(),
                    weak: g.weak,
                }),
            export_cache: None,
        }
    }

    fn add_location(&mut self, dgst: &str, loc: &crate::op::SourceLocation) {
        let ptr = Arc::as_ptr(&loc.file) as usize;
        let index = match self.info_index.get(&ptr) {
            Some(&i) => i,
            None => {
                // A file seen under another pointer (same name and text) is one file.
                let i = match self
                    .infos
                    .iter()
                    .position(|i| i.filename == loc.file.filename && i.data == loc.file.data)
                {
                    Some(i) => i,
                    None => {
                        self.infos.push(pb::SourceInfo {
                            filename: loc.file.filename.clone(),
                            data: loc.file.data.clone(),
                            definition: None,
                            language: loc.file.language.clone(),
                        });
                        self.infos.len() - 1
                    }
                };
                self.info_index.insert(ptr, i);
                i
            }
        };
        let pos = |line: u32, col: u32| pb::Position {
            line: i32::try_from(line).unwrap_or(i32::MAX),
            character: i32::try_from(col).unwrap_or(i32::MAX),
        };
        let location = pb::Location {
            source_index: i32::try_from(index).unwrap_or(i32::MAX),
            ranges: loc
                .ranges
                .iter()
                .map(|r| pb::Range {
                    start: Some(pos(r.start_line, r.start_col)),
                    end: Some(pos(r.end_line, r.end_col)),
                })
                .collect(),
        };
        self.locations
            .entry(dgst.to_owned())
            .or_default()
            .locations
            .push(location);
    }
}
