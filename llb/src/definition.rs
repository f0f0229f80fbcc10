//! A definition made elsewhere (another frontend's result, passed to this one
//! as a frontend input) used as a [`State`]: its ops are copied into the
//! definitions that use it, byte for byte, with their metadata.
//!
//! This module does not check or rewrite the imported ops; the engine made
//! them and validates them when they are solved again.

use std::collections::BTreeMap;
use std::sync::Arc;

use bollard_buildkit_proto::pb;
use prost::Message;

use crate::marshal::digest;
use crate::op::{Constraints, Node, OpKind, OpMeta, Output, State};

/// The ops of an imported definition, without its terminal op.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// (digest, encoded op), inputs before the ops that use them, as the
    /// definition listed them.
    pub(crate) ops: Vec<(String, Vec<u8>)>,
    pub(crate) metadata: BTreeMap<String, pb::OpMetadata>,
    /// The digest of the op whose output the definition ends at.
    pub(crate) root: String,
    /// Its source map (the files and ranges its ops came from), if any.
    pub(crate) source: Option<pb::Source>,
}

/// A definition that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the definition has no ops")]
    Empty,
    #[error("the definition's last op is not a terminal op with one input: {0}")]
    NoTerminal(String),
}

/// The state a definition ends at; `scratch` for a definition of scratch (a
/// terminal op with no input).
pub fn import(def: &pb::Definition) -> Result<State, ImportError> {
    let (last, rest) = def.def.split_last().ok_or(ImportError::Empty)?;
    let terminal =
        pb::Op::decode(last.as_slice()).map_err(|e| ImportError::NoTerminal(e.to_string()))?;
    if terminal.op.is_some() || terminal.inputs.len() > 1 {
        return Err(ImportError::NoTerminal(format!(
            "{} inputs, op {}",
            terminal.inputs.len(),
            if terminal.op.is_some() {
                "set"
            } else {
                "unset"
            }
        )));
    }
    let Some(input) = terminal.inputs.first() else {
        return Ok(State::scratch());
    };
    let imported = Imported {
        ops: rest.iter().map(|b| (digest(b), b.clone())).collect(),
        metadata: def
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        root: input.digest.clone(),
        source: def.source.clone(),
    };
    let node = Node::new(
        OpKind::Definition(Arc::new(imported)),
        Vec::new(),
        Constraints::default(),
        OpMeta::default(),
    );
    Ok(State::from_output(Output::new(node, input.index)))
}

/// The definitions of `def`'s source ops whose identifier starts with one of
/// `schemes` (e.g. `https://`), each alone (the op and a terminal), with its
/// metadata and source locations: a frontend solves them ahead of the rest to
/// report their failures itself.
pub fn sources_alone(def: &pb::Definition, schemes: &[&str]) -> Vec<pb::Definition> {
    let mut out = Vec::new();
    for bytes in &def.def {
        let Ok(op) = pb::Op::decode(bytes.as_slice()) else {
            continue;
        };
        let Some(pb::op::Op::Source(source)) = &op.op else {
            continue;
        };
        if !schemes.iter().any(|s| source.identifier.starts_with(s)) {
            continue;
        }
        let dgst = digest(bytes);
        let terminal = pb::Op {
            inputs: vec![pb::Input {
                digest: dgst.clone(),
                index: 0,
            }],
            ..Default::default()
        };
        let source_map = def.source.as_ref().and_then(|src| {
            let locations = src.locations.get(&dgst)?;
            Some(pb::Source {
                locations: std::iter::once((dgst.clone(), locations.clone())).collect(),
                infos: src.infos.clone(),
            })
        });
        out.push(pb::Definition {
            def: vec![bytes.clone(), crate::marshal::encode_op(&terminal)],
            metadata: def
                .metadata
                .get(&dgst)
                .map(|m| (dgst.clone(), m.clone()))
                .into_iter()
                .collect(),
            source: source_map,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::FileOp;
    use crate::marshal::marshal;

    #[test]
    fn an_imported_definition_marshals_to_the_same_ops_and_can_be_built_on() {
        let base = FileOp::new().mkdir("/a", 0o755, false, None).apply(
            &State::scratch(),
            Constraints::default(),
            OpMeta::default().with_name("mkdir"),
        );
        let def = marshal(&base).unwrap();
        let st = import(&def).unwrap();
        assert_eq!(marshal(&st).unwrap(), def);
        let on_top = FileOp::new().mkdir("/a/b", 0o755, false, None).apply(
            &st,
            Constraints::default(),
            OpMeta::default(),
        );
        let both = marshal(&on_top).unwrap();
        // The imported op, then the new one, then the terminal.
        assert_eq!(both.def.len(), 3);
        assert_eq!(both.def[0], def.def[0]);
        assert!(both.metadata.contains_key(&digest(&def.def[0])));
    }

    #[test]
    fn sources_alone_picks_the_source_ops_of_a_scheme() {
        let file = crate::source::http(
            "https://example.com/f",
            &Default::default(),
            Constraints::default(),
            OpMeta::default().with_name("download"),
        );
        let copied = FileOp::new()
            .copy(&file, "/f", "/f", Default::default())
            .apply(&State::scratch(), Constraints::default(), OpMeta::default());
        let def = marshal(&copied).unwrap();
        let alone = sources_alone(&def, &["https://"]);
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0], marshal(&file).unwrap());
        assert!(sources_alone(&def, &["git://"]).is_empty());
    }

    #[test]
    fn a_definition_without_a_terminal_op_is_refused() {
        assert!(matches!(
            import(&pb::Definition::default()),
            Err(ImportError::Empty)
        ));
        let def = marshal(&FileOp::new().mkdir("/a", 0o755, false, None).apply(
            &State::scratch(),
            Constraints::default(),
            OpMeta::default(),
        ))
        .unwrap();
        let mut cut = def.clone();
        cut.def.pop();
        assert!(matches!(import(&cut), Err(ImportError::NoTerminal(_))));
    }
}
