//! Merge ops: the union of several filesystems, later ones on top.
//!
//! A merge lets a layer be reused on top of any base without re-copying
//! (`COPY --link`). Engines may lack it (Docker 20.10; Docker 26 with the
//! classic image store): whether to use it is the caller's decision, based
//! on the engine's caps. This module only builds the vertex.

use crate::caps;
use crate::op::{Constraints, Node, OpKind, OpMeta, State};

/// The merge op's payload (its inputs live on the node).
#[derive(Debug, Clone, Default)]
pub struct Merge;

/// Merges `states` in order; scratch inputs are dropped. One input is returned as is.
pub fn merge(states: &[State], constraints: Constraints, mut meta: OpMeta) -> State {
    let inputs: Vec<_> = states.iter().filter_map(|s| s.output.clone()).collect();
    match inputs.len() {
        0 => State::scratch(),
        1 => states
            .iter()
            .find(|s| !s.is_scratch())
            .cloned()
            .unwrap_or_default(),
        _ => {
            meta.add_cap(caps::MERGE_OP);
            let node = Node::new(OpKind::Merge(Merge), inputs, constraints, meta);
            State::from_output(crate::op::Output::new(node, 0))
        }
    }
}
