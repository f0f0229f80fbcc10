//! Subrequests (`docker buildx build --call=outline|targets|check`, and the
//! older `--print`): answers computed from the spec alone, returned as
//! metadata (`result.json`, `result.txt`, `version`) instead of an image.
//!
//! The JSON shapes are BuildKit's (`frontend/subrequests/*`), so buildx can
//! print them. Nothing here solves or builds anything.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::diag::Span;
use crate::options::BuildOptions;
use crate::spec::model::Spec;

pub const DESCRIBE: &str = "frontend.subrequests.describe";
pub const OUTLINE: &str = "frontend.outline";
pub const TARGETS: &str = "frontend.targets";
pub const LINT: &str = "frontend.lint";

/// An unknown subrequest.
#[derive(Debug, thiserror::Error)]
#[error("unsupported subrequest `{0}`: this frontend answers {DESCRIBE}, {OUTLINE}, {TARGETS} and {LINT}")]
pub struct Unsupported(pub String);

fn location(span: Span) -> Value {
    json!({
        "sourceIndex": 0,
        "ranges": [{ "start": { "line": span.line, "character": span.col }, "end": { "line": span.line, "character": span.col } }]
    })
}

fn pretty(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_default()
}

/// Answers `request` for `spec`. `target` is the stage the build would
/// make and `needed` the stages it needs (the outline lists only their
/// secrets, ssh ids and caches).
pub fn answer(
    request: &str,
    spec: &Spec,
    opts: &BuildOptions,
    target: &str,
    needed: &BTreeSet<String>,
) -> Result<BTreeMap<String, Vec<u8>>, Unsupported> {
    let mut meta = BTreeMap::new();
    let source = spec.source.text.as_bytes();
    match request {
        DESCRIBE => {
            let reqs = json!([
                { "name": OUTLINE, "version": "1.0.0", "type": "rpc", "description": "List all parameters current build takes", "opts": [{"name": "target", "description": "Target build stage"}], "metadata": [{"name": "result.json"}] },
                { "name": TARGETS, "version": "1.0.0", "type": "rpc", "description": "List all targets current build supports", "opts": [], "metadata": [{"name": "result.json"}] },
                { "name": LINT, "version": "1.0.0", "type": "rpc", "description": "Check the spec", "opts": [], "metadata": [{"name": "result.json"}, {"name": "result.txt"}, {"name": "result.statuscode"}] },
                { "name": DESCRIBE, "version": "1.0.0", "type": "rpc", "description": "List available subrequest types", "opts": [], "metadata": [{"name": "result.json"}] },
            ]);
            let text: String = reqs
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r.get("name").and_then(Value::as_str))
                        .map(|n| format!("{n}\n"))
                        .collect()
                })
                .unwrap_or_default();
            meta.insert("result.json".into(), pretty(&reqs));
            meta.insert("result.txt".into(), text.into_bytes());
            meta.insert("version".into(), b"1.0.0".to_vec());
        }
        TARGETS => {
            let targets: Vec<Value> = spec
                .stages
                .iter()
                .map(|s| {
                    let mut t = Map::new();
                    t.insert("name".into(), json!(s.name.value));
                    if s.name.value == target {
                        t.insert("default".into(), json!(true));
                    }
                    if let Some(d) = &s.description {
                        t.insert("description".into(), json!(d.value));
                    }
                    t.insert("base".into(), json!(s.from.value));
                    if let Some(p) = &s.platform {
                        t.insert("platform".into(), json!(p.value));
                    }
                    t.insert("Location".into(), location(s.name.span));
                    Value::Object(t)
                })
                .collect();
            meta.insert(
                "result.json".into(),
                pretty(&json!({ "Targets": targets, "Sources": [source] })),
            );
            meta.insert("version".into(), b"1.0.0".to_vec());
        }
        OUTLINE => {
            let stage = spec.stage(target);
            let mut args = Vec::new();
            for a in spec
                .args
                .iter()
                .chain(stage.iter().flat_map(|s| s.args.iter()))
            {
                let value = opts
                    .build_args
                    .get(&a.name.value)
                    .cloned()
                    .or_else(|| a.default.as_ref().map(|d| d.value.clone()));
                args.push(json!({
                    "Name": a.name.value,
                    "Description": a.description.as_ref().map(|d| d.value.clone()).unwrap_or_default(),
                    "Value": value.unwrap_or_default(),
                    "Location": location(a.name.span),
                }));
            }
            let (mut secrets, mut ssh, mut cache) = (Vec::new(), Vec::new(), Vec::new());
            let mut seen = BTreeSet::new();
            for s in spec
                .stages
                .iter()
                .filter(|s| needed.contains(&s.name.value))
            {
                for step in &s.steps {
                    let (step_secrets, step_ssh, step_cache) = step.kind.mounts();
                    for m in step_secrets {
                        if seen.insert(("secret", m.id.value.clone())) {
                            secrets.push(json!({ "Name": m.id.value, "Required": m.required, "Location": location(m.span) }));
                        }
                    }
                    for m in step_ssh {
                        if seen.insert(("ssh", m.id.value.clone())) {
                            ssh.push(json!({ "Name": m.id.value, "Required": m.required, "Location": location(m.span) }));
                        }
                    }
                    for m in step_cache {
                        let id =
                            m.id.as_ref()
                                .map_or(m.target.value.clone(), |i| i.value.clone());
                        if seen.insert(("cache", id.clone())) {
                            cache.push(json!({ "ID": id, "Location": location(m.span) }));
                        }
                    }
                }
            }
            let mut outline = Map::new();
            outline.insert("name".into(), json!(target));
            if let Some(d) = stage.and_then(|s| s.description.as_ref()) {
                outline.insert("description".into(), json!(d.value));
            }
            for (k, v) in [
                ("args", args),
                ("secrets", secrets),
                ("ssh", ssh),
                ("cache", cache),
            ] {
                outline.insert(k.into(), Value::Array(v));
            }
            outline.insert("sources".into(), json!([source]));
            let outline = Value::Object(outline);
            meta.insert("result.json".into(), pretty(&outline));
            meta.insert("version".into(), b"1.0.0".to_vec());
        }
        LINT => {
            let warnings: Vec<Value> = spec
                .warnings
                .iter()
                .map(|w| json!({ "ruleName": w.code.name(), "description": w.message, "detail": w.message, "location": location(w.span) }))
                .collect();
            let status = if warnings.is_empty() { 0 } else { 1 };
            let text: String = spec
                .warnings
                .iter()
                .map(|w| format!("{}\n", w.headline(&spec.source)))
                .collect();
            let results = json!({
                "warnings": warnings,
                "sources": [{ "fileName": spec.source.name, "language": "YAML", "data": source }],
            });
            meta.insert("result.json".into(), pretty(&results));
            meta.insert("result.txt".into(), text.into_bytes());
            meta.insert("result.statuscode".into(), status.to_string().into_bytes());
            meta.insert("version".into(), b"1.0.0".to_vec());
        }
        other => return Err(Unsupported(other.to_owned())),
    }
    Ok(meta)
}
