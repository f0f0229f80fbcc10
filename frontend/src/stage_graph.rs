//! The stage graph of a target (language 1.1): `--call=graph` (the
//! `frontend.graph` subrequest) and the offline `stagecraft graph`. Nodes
//! are the stages the target reaches and the images and named contexts
//! they start from or take files from; edges go from what is used to the
//! stage that uses it, labelled `from`, `copy`, `artifact`, `mount` or
//! `needs`. References are expanded with the build's arguments and
//! platform, as the build expands them. Rendered as a Mermaid flowchart,
//! Graphviz DOT or JSON, each deterministic.
//!
//! Not the build order or the cross-stage checks (`compile::plan`,
//! `spec::graph`): this only describes what a reader of the spec sees.

use std::collections::{BTreeMap, BTreeSet};

use llb::Platform;
use serde_json::json;

use crate::compile::{conditions, target_stage, EngineFeatures, Input};
use crate::diag::Diagnostic;
use crate::options::BuildOptions;
use crate::spec::model::{FromRef, Spec};

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    Stage,
    Image,
    /// A named build context (`--build-context NAME=…`).
    Context,
}

impl NodeKind {
    fn name(self) -> &'static str {
        match self {
            NodeKind::Stage => "stage",
            NodeKind::Image => "image",
            NodeKind::Context => "context",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    /// The stage name, or the image reference or context name as expanded.
    pub name: String,
}

impl Node {
    /// `stage:build`, `image:golang:1.23`: unique in the graph.
    pub fn id(&self) -> String {
        format!("{}:{}", self.kind.name(), self.name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Indexes into `Graph::nodes`: what is used, and the stage using it.
    pub from: usize,
    pub to: usize,
    pub label: &'static str,
}

#[derive(Clone, Debug)]
pub struct Graph {
    /// The target is node 0.
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    Json,
}

/// The graph of the build's target on `platform`.
pub fn graph(
    spec: &Spec,
    opts: &BuildOptions,
    platform: &Platform,
    build_platform: &Platform,
) -> Result<Graph, Diagnostic> {
    let target = target_stage(spec, opts)?;
    let (images, inputs) = (BTreeMap::new(), BTreeMap::new());
    let input = Input {
        spec,
        opts,
        platform: platform.clone(),
        build_platform: build_platform.clone(),
        images: &images,
        inputs: &inputs,
        remote_context: None,
        features: EngineFeatures::default(),
    };
    if !conditions::stage_kept(&input, target)? {
        return Err(conditions::target_left_out(&input, target));
    }
    let mut g = Graph {
        nodes: vec![Node {
            kind: NodeKind::Stage,
            name: target.name.value.clone(),
        }],
        edges: Vec::new(),
    };
    // Where each node is, and the edges made: looked up, not scanned, so
    // that the graph of a spec with thousands of stages costs linear time.
    let mut index: BTreeMap<(NodeKind, String), usize> = BTreeMap::new();
    index.insert((NodeKind::Stage, target.name.value.clone()), 0);
    let mut made: BTreeSet<(usize, usize, &'static str)> = BTreeSet::new();
    let mut next = 0;
    while let Some(node) = g.nodes.get(next).cloned() {
        let to = next;
        next += 1;
        if node.kind != NodeKind::Stage {
            continue;
        }
        let Some(stage) = spec.stage(&node.name) else {
            continue;
        };
        // The references the build follows: those its conditions keep.
        let scope = conditions::scope_of(&input, stage);
        for r in conditions::kept_references(stage, &scope)? {
            let label = r.kind.label();
            let text = scope.expand(r.value, &spec.source)?;
            if let Some(d) =
                crate::spec::graph::bare_matrix(&spec.matrices, &text, r.value.span, "")
            {
                return Err(d);
            }
            let used = match spec.classify_from(stage.unit, &text) {
                FromRef::Stage(s) => {
                    let follows = match spec.stage(s) {
                        Some(used) => conditions::follows(&input, stage, &r, used)?,
                        None => true,
                    };
                    if !follows {
                        continue;
                    }
                    Node {
                        kind: NodeKind::Stage,
                        name: s.to_owned(),
                    }
                }
                FromRef::Scratch => continue,
                FromRef::Image(i) if opts.contexts.contains_key(i) => Node {
                    kind: NodeKind::Context,
                    name: i.to_owned(),
                },
                FromRef::Image(i) => Node {
                    kind: NodeKind::Image,
                    name: i.to_owned(),
                },
            };
            let from = *index
                .entry((used.kind, used.name.clone()))
                .or_insert_with(|| {
                    g.nodes.push(used);
                    g.nodes.len() - 1
                });
            if made.insert((from, to, label)) {
                g.edges.push(Edge { from, to, label });
            }
        }
    }
    Ok(g)
}

/// Text in double quotes for Mermaid (`"` as `#quot;`).
fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

/// Text in double quotes for DOT.
fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

impl Graph {
    /// The graph in `format`, ending with a newline.
    pub fn render(&self, format: GraphFormat) -> String {
        match format {
            GraphFormat::Mermaid => self.mermaid(),
            GraphFormat::Dot => self.dot(),
            GraphFormat::Json => {
                let mut text = serde_json::to_string_pretty(&self.json()).unwrap_or_default();
                text.push('\n');
                text
            }
        }
    }

    /// A Mermaid `flowchart`: stages as boxes, images and contexts as
    /// rounded nodes, the target in bold.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let label = mermaid_text(&n.name);
            out.push_str(&match n.kind {
                NodeKind::Stage => format!("  n{i}[\"{label}\"]\n"),
                NodeKind::Image => format!("  n{i}([\"{label}\"])\n"),
                NodeKind::Context => format!("  n{i}[/\"{label}\"/]\n"),
            });
        }
        for e in &self.edges {
            out.push_str(&format!("  n{} -->|{}| n{}\n", e.from, e.label, e.to));
        }
        out.push_str("  classDef target stroke-width:3px\n  class n0 target\n");
        out
    }

    /// Graphviz DOT.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph stages {\n  rankdir=LR;\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let shape = match n.kind {
                NodeKind::Stage => "box",
                NodeKind::Image => "ellipse",
                NodeKind::Context => "folder",
            };
            let bold = if i == 0 { ", penwidth=3" } else { "" };
            out.push_str(&format!(
                "  \"{}\" [label=\"{}\", shape={shape}{bold}];\n",
                dot_text(&n.id()),
                dot_text(&n.name)
            ));
        }
        for e in &self.edges {
            out.push_str(&format!(
                "  \"{}\" -> \"{}\" [label=\"{}\"];\n",
                dot_text(&self.id_of(e.from)),
                dot_text(&self.id_of(e.to)),
                e.label
            ));
        }
        out.push_str("}\n");
        out
    }

    /// `{"target", "nodes": [{id, kind, name}], "edges": [{from, to, label}]}`.
    pub fn json(&self) -> serde_json::Value {
        let nodes: Vec<_> = self
            .nodes
            .iter()
            .map(|n| json!({ "id": n.id(), "kind": n.kind.name(), "name": n.name }))
            .collect();
        let edges: Vec<_> = self
            .edges
            .iter()
            .map(|e| {
                json!({
                    "from": self.id_of(e.from),
                    "to": self.id_of(e.to),
                    "label": e.label,
                })
            })
            .collect();
        let target = self
            .nodes
            .first()
            .map(|n| n.name.as_str())
            .unwrap_or_default();
        json!({ "target": target, "nodes": nodes, "edges": edges })
    }

    fn id_of(&self, i: usize) -> String {
        self.nodes.get(i).map(Node::id).unwrap_or_default()
    }
}
