//! The LLB graph: vertices ([`Node`]), their outputs ([`Output`]) and the
//! filesystem [`State`] a frontend threads through its steps.
//!
//! A node owns its op (source, exec, file, merge), its inputs, the platform
//! and constraints it runs with, and its metadata (description, cache policy,
//! caps, source location). Nodes are immutable and shared with `Arc`, so a
//! graph is a DAG that marshals deterministically. This module does not
//! encode anything; see [`crate::marshal`].

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::exec::ExecWithPlan;
use crate::file::FileOp;
use crate::merge::Merge;
use crate::platform::Platform;
use crate::source::Source;

/// What a vertex does.
#[derive(Debug, Clone)]
pub enum OpKind {
    Source(Source),
    /// Boxed: an exec is much larger than the other kinds.
    Exec(Box<ExecWithPlan>),
    File(FileOp),
    Merge(Merge),
    /// Another definition's ops, ending at this node's output.
    Definition(Arc<crate::definition::Imported>),
}

/// A vertex of the graph.
#[derive(Debug)]
pub struct Node {
    pub(crate) kind: OpKind,
    pub(crate) inputs: Vec<Output>,
    pub(crate) constraints: Constraints,
    pub(crate) meta: OpMeta,
}

impl Node {
    pub(crate) fn new(
        kind: OpKind,
        inputs: Vec<Output>,
        constraints: Constraints,
        meta: OpMeta,
    ) -> Arc<Self> {
        Arc::new(Self {
            kind,
            inputs,
            constraints,
            meta,
        })
    }
}

/// Dropping a graph walks it with an explicit stack: the default drop of a
/// chain of `Arc<Node>`s recurses once per op, and 100,000 ops in a chain
/// would overflow a thread's stack.
impl Drop for Node {
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.inputs);
        while let Some(output) = stack.pop() {
            // The last owner of an input takes its inputs over; others just
            // decrement the count.
            if let Some(mut node) = Arc::into_inner(output.node) {
                stack.append(&mut node.inputs);
            }
        }
    }
}

/// One output of a vertex: exec ops have one per writable mount.
#[derive(Debug, Clone)]
pub struct Output {
    pub(crate) node: Arc<Node>,
    pub(crate) index: i64,
}

impl Output {
    pub(crate) fn new(node: Arc<Node>, index: i64) -> Self {
        Self { node, index }
    }

    /// A stable identity for deduplicating inputs while building (pointer plus index).
    pub(crate) fn identity(&self) -> (usize, i64) {
        (Arc::as_ptr(&self.node) as usize, self.index)
    }
}

/// The inputs of an op being built: each distinct output once, in first-use order.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    list: Vec<Output>,
}

impl Inputs {
    /// The input index of `state` (added if new), or -1 for scratch, as ops encode it.
    pub(crate) fn index_of(&mut self, state: &State) -> i64 {
        let Some(out) = &state.output else { return -1 };
        let pos = match self
            .list
            .iter()
            .position(|i| i.identity() == out.identity())
        {
            Some(pos) => pos,
            None => {
                self.list.push(out.clone());
                self.list.len() - 1
            }
        };
        i64::try_from(pos).unwrap_or(i64::MAX)
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn into_vec(self) -> Vec<Output> {
        self.list
    }
}

/// A filesystem: either empty (`scratch`) or the output of a vertex.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub(crate) output: Option<Output>,
}

impl State {
    /// The empty filesystem.
    pub fn scratch() -> Self {
        Self { output: None }
    }

    pub(crate) fn from_output(output: Output) -> Self {
        Self {
            output: Some(output),
        }
    }

    /// The vertex output behind this state, if it is not scratch.
    pub fn output(&self) -> Option<&Output> {
        self.output.as_ref()
    }

    pub fn is_scratch(&self) -> bool {
        self.output.is_none()
    }
}

/// Where and how an op runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    pub platform: Option<Platform>,
    /// Worker filters; BuildKit accepts an empty list.
    pub worker_filter: Vec<String>,
}

impl Constraints {
    pub fn for_platform(platform: &Platform) -> Self {
        Self {
            platform: Some(platform.clone()),
            worker_filter: Vec::new(),
        }
    }
}

/// A location in a source file (1-based lines and columns, end inclusive),
/// attached to ops so that build errors point at the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub file: Arc<SourceMap>,
    pub ranges: Vec<Range>,
}

/// A line/column range; BuildKit prints the lines it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start_line: u32,
    pub start_col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

/// A source file that ops may point into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMap {
    pub filename: String,
    pub language: String,
    pub data: Vec<u8>,
}

impl SourceMap {
    pub fn new(filename: &str, language: &str, data: &[u8]) -> Arc<Self> {
        Arc::new(Self {
            filename: filename.to_owned(),
            language: language.to_owned(),
            data: data.to_vec(),
        })
    }

    /// A location covering whole lines `start..=end`.
    pub fn lines(self: &Arc<Self>, start: u32, end: u32) -> SourceLocation {
        SourceLocation {
            file: Arc::clone(self),
            ranges: vec![Range {
                start_line: start,
                start_col: 1,
                end_line: end.max(start),
                end_col: 1,
            }],
        }
    }
}

/// A progress group (BuildKit's `pb.ProgressGroup`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressGroup {
    pub id: String,
    pub name: String,
    pub weak: bool,
}

/// Metadata of an op; part of the definition but not of the op digest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpMeta {
    /// Shown in the progress output (`llb.customname`) and other descriptions.
    pub description: BTreeMap<String, String>,
    pub ignore_cache: bool,
    pub caps: BTreeMap<String, bool>,
    /// Vertices of one group show as one line in the progress output.
    pub progress_group: Option<ProgressGroup>,
    pub location: Option<SourceLocation>,
}

impl OpMeta {
    /// Sets the name shown for this op in the progress output.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.description
            .insert("llb.customname".to_owned(), name.into());
        self
    }

    /// Puts the op in progress group `id` named `name`; a `weak` member
    /// shows its progress under the group's other (strong) member.
    pub fn with_progress_group(
        mut self,
        id: impl Into<String>,
        name: impl Into<String>,
        weak: bool,
    ) -> Self {
        self.progress_group = Some(ProgressGroup {
            id: id.into(),
            name: name.into(),
            weak,
        });
        self
    }

    pub fn with_ignore_cache(mut self, ignore: bool) -> Self {
        self.ignore_cache = ignore;
        self
    }

    pub fn with_location(mut self, location: Option<SourceLocation>) -> Self {
        self.location = location;
        self
    }

    pub fn with_description(mut self, key: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        // Never marshal empty attribute values: engines treat them inconsistently.
        if !value.is_empty() {
            self.description.insert(key.to_owned(), value);
        }
        self
    }

    pub(crate) fn add_cap(&mut self, cap: &str) {
        self.caps.insert(cap.to_owned(), true);
    }
}
