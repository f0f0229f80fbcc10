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
use crate::spec::model::{ArgDecl, ArgType, Spec};

pub const DESCRIBE: &str = "frontend.subrequests.describe";
pub const OUTLINE: &str = "frontend.outline";
pub const TARGETS: &str = "frontend.targets";
pub const LINT: &str = "frontend.lint";
/// The lock file (language 1.1: `--call=lock`), answered by `build::lock`.
pub const LOCK: &str = "frontend.lock";
/// The stage graph (language 1.1: `--call=graph`).
pub const GRAPH: &str = "frontend.graph";

/// An unknown subrequest.
#[derive(Debug, thiserror::Error)]
#[error("unsupported subrequest `{0}`: this frontend answers {DESCRIBE}, {OUTLINE}, {TARGETS}, {LINT}, {GRAPH} and {LOCK}")]
pub struct Unsupported(pub String);

/// A location as BuildKit's `pb.Location` marshals to JSON: zero fields are
/// left out (`sourceIndex` 0, `character` 0), as Go's `omitempty` does.
fn location(span: Span) -> Value {
    range_location(span.line, span.col)
}

fn range_location(line: u32, col: u32) -> Value {
    let position = || {
        let mut p = Map::new();
        if line > 0 {
            p.insert("line".into(), json!(line));
        }
        if col > 0 {
            p.insert("character".into(), json!(col));
        }
        Value::Object(p)
    };
    json!({ "ranges": [{ "start": position(), "end": position() }] })
}

/// Source bytes as Go's `encoding/json` marshals `[]byte`: base64.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Inserts `key: value` unless `value` is empty (Go's `omitempty`).
fn put_str(m: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        m.insert(key.into(), json!(value));
    }
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
    spec_definition: Option<&llb::pb::Definition>,
    graph: Option<&crate::stage_graph::Graph>,
) -> Result<BTreeMap<String, Vec<u8>>, Unsupported> {
    let mut meta = BTreeMap::new();
    let source = spec.source.text.as_bytes();
    match request {
        DESCRIBE => {
            let reqs = json!([
                { "name": OUTLINE, "version": "1.0.0", "type": "rpc", "description": "List all parameters current build takes", "opts": [{"name": "target", "description": "Target build stage"}], "metadata": [{"name": "result.json"}] },
                { "name": TARGETS, "version": "1.0.0", "type": "rpc", "description": "List all targets current build supports", "opts": [], "metadata": [{"name": "result.json"}] },
                { "name": LINT, "version": "1.0.0", "type": "rpc", "description": "Check the spec", "opts": [], "metadata": [{"name": "result.json"}, {"name": "result.txt"}, {"name": "result.statuscode"}] },
                { "name": GRAPH, "version": "1.0.0", "type": "rpc", "description": "Show the stage graph of the target", "opts": [{"name": "target", "description": "Target build stage"}], "metadata": [{"name": "result.json"}, {"name": "result.txt"}] },
                { "name": LOCK, "version": "1.0.0", "type": "rpc", "description": "Print the lock file of the spec: every image digest and git commit it uses", "opts": [], "metadata": [{"name": "result.txt"}] },
                { "name": DESCRIBE, "version": "1.0.0", "type": "rpc", "description": format!("List available subrequest types (stagecraft {})", crate::version::long()), "opts": [], "metadata": [{"name": "result.json"}], "frontend": crate::version::json() },
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
            let mut text = String::from("TARGET\tDESCRIPTION\n");
            let targets: Vec<Value> = spec
                .stages
                .iter()
                .map(|s| {
                    let mut t = Map::new();
                    t.insert("name".into(), json!(s.name.value));
                    let description = s.description.as_ref().map_or("", |d| d.value.as_str());
                    if s.name.value == target {
                        t.insert("default".into(), json!(true));
                        text.push_str(&format!("{} (default)\t{description}\n", s.name.value));
                    } else {
                        text.push_str(&format!("{}\t{description}\n", s.name.value));
                    }
                    put_str(&mut t, "description", description);
                    put_str(&mut t, "base", &s.from.value);
                    if let Some(p) = &s.platform {
                        put_str(&mut t, "platform", &p.value);
                    }
                    put_location(&mut t, s.name.span);
                    Value::Object(t)
                })
                .collect();
            meta.insert(
                "result.json".into(),
                pretty(&json!({ "targets": targets, "sources": [base64(source)] })),
            );
            meta.insert("result.txt".into(), text.into_bytes());
            meta.insert("version".into(), b"1.0.0".to_vec());
        }
        GRAPH => {
            let g = graph.ok_or_else(|| Unsupported(request.to_owned()))?;
            meta.insert("result.json".into(), pretty(&g.json()));
            meta.insert("result.txt".into(), g.mermaid().into_bytes());
            meta.insert("version".into(), b"1.0.0".to_vec());
        }
        OUTLINE => {
            let stage = spec.stage(target);
            // The spec's arguments, the target's own, then those of each
            // import a needed stage is in, as `--build-arg PREFIX.NAME`
            // sets them (language 1.1 imports).
            let mut declared: Vec<(String, &ArgDecl, Option<String>)> = Vec::new();
            for a in &spec.args {
                declared.push((
                    a.name.value.clone(),
                    a,
                    opts.build_args.get(&a.name.value).cloned(),
                ));
            }
            if let Some(s) = stage {
                for a in &s.args {
                    match spec.unit(s.unit) {
                        None => declared.push((
                            a.name.value.clone(),
                            a,
                            opts.build_args.get(&a.name.value).cloned(),
                        )),
                        Some(u) => declared.push((
                            format!("{}.{}", u.prefix, a.name.value),
                            a,
                            u.build_arg(opts, &a.name.value).cloned(),
                        )),
                    }
                }
            }
            for (i, u) in spec.units.iter().enumerate() {
                let id = u16::try_from(i + 1).unwrap_or(u16::MAX);
                if !spec
                    .stages
                    .iter()
                    .any(|s| s.unit == id && needed.contains(&s.name.value))
                {
                    continue;
                }
                for a in &u.args {
                    declared.push((
                        format!("{}.{}", u.prefix, a.name.value),
                        a,
                        u.value_of(opts, &a.name.value).cloned(),
                    ));
                }
            }
            let mut args = Vec::new();
            for (name, a, given) in declared {
                let value = given.or_else(|| a.default.as_ref().map(|d| d.value.clone()));
                let mut arg = Map::new();
                arg.insert("name".into(), json!(name));
                put_str(&mut arg, "description", &arg_description(a));
                put_str(&mut arg, "value", value.as_deref().unwrap_or_default());
                put_location(&mut arg, a.name.span);
                // Language 1.1: beside BuildKit's fields, only when declared.
                if a.ty != ArgType::String {
                    arg.insert("type".into(), json!(a.ty.name()));
                }
                if !a.choices.is_empty() {
                    arg.insert("choices".into(), json!(a.choices));
                }
                if a.required {
                    arg.insert("required".into(), json!(true));
                }
                args.push(Value::Object(arg));
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
                            secrets.push(named(&m.id.value, m.required, m.span));
                        }
                    }
                    for m in step_ssh {
                        if seen.insert(("ssh", m.id.value.clone())) {
                            ssh.push(named(&m.id.value, m.required, m.span));
                        }
                    }
                    for m in step_cache {
                        let id =
                            m.id.as_ref()
                                .map_or(m.target.value.clone(), |i| i.value.clone());
                        if seen.insert(("cache", id.clone())) {
                            let mut entry = Map::new();
                            entry.insert("ID".into(), json!(id));
                            put_location(&mut entry, m.span);
                            cache.push(Value::Object(entry));
                        }
                    }
                }
            }
            let mut outline = Map::new();
            outline.insert("name".into(), json!(target));
            if let Some(d) = stage.and_then(|s| s.description.as_ref()) {
                outline.insert("description".into(), json!(d.value));
            }
            let mut text = format!("TARGET: {target}\n");
            if !args.is_empty() {
                text.push_str("\nBUILD ARG\tVALUE\tDESCRIPTION\n");
                for a in &args {
                    let f = |k: &str| {
                        a.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    };
                    text.push_str(&format!(
                        "{}\t{}\t{}\n",
                        f("name"),
                        f("value"),
                        f("description")
                    ));
                }
            }
            for (title, list) in [("SECRET", &secrets), ("SSH", &ssh)] {
                if !list.is_empty() {
                    text.push_str(&format!("\n{title}\tREQUIRED\n"));
                    for m in list {
                        let name = m.get("name").and_then(Value::as_str).unwrap_or_default();
                        let required = m.get("required").is_some();
                        text.push_str(&format!("{name}\t{}\n", if required { "true" } else { "" }));
                    }
                }
            }
            // Empty lists are left out, as BuildKit's `omitempty` does.
            for (k, v) in [
                ("args", args),
                ("secrets", secrets),
                ("ssh", ssh),
                ("cache", cache),
            ] {
                if !v.is_empty() {
                    outline.insert(k.into(), Value::Array(v));
                }
            }
            outline.insert("sources".into(), json!([base64(source)]));
            // Beside BuildKit's fields: which frontend answered.
            outline.insert("frontend".into(), crate::version::json());
            let outline = Value::Object(outline);
            meta.insert("result.json".into(), pretty(&outline));
            meta.insert("result.txt".into(), text.into_bytes());
            meta.insert("version".into(), b"1.0.0".to_vec());
        }
        LINT => {
            let warnings: Vec<Value> = spec
                .warnings
                .iter()
                .map(|w| {
                    json!({
                        "ruleName": w.code.name(),
                        "description": w.code.info().summary,
                        "detail": w.message,
                        "location": location(w.span),
                    })
                })
                .collect();
            let status = if warnings.is_empty() { 0 } else { 1 };
            let text: String = spec
                .warnings
                .iter()
                .map(|w| format!("{}\n", w.headline(&spec.source)))
                .collect();
            let src = source_json(&spec.source.name, source, spec_definition);
            let results = json!({ "warnings": warnings, "sources": [src] });
            meta.insert("result.json".into(), pretty(&results));
            meta.insert("result.txt".into(), text.into_bytes());
            meta.insert("result.statuscode".into(), status.to_string().into_bytes());
            meta.insert("version".into(), b"1.0.0".to_vec());
        }
        other => return Err(Unsupported(other.to_owned())),
    }
    Ok(meta)
}

/// A source of a lint result (`pb.SourceInfo`): the spec, base64, and the
/// definition that read it, if known.
fn source_json(filename: &str, data: &[u8], definition: Option<&llb::pb::Definition>) -> Value {
    let mut src = Map::new();
    src.insert("filename".into(), json!(filename));
    src.insert("data".into(), json!(base64(data)));
    if let Some(def) = definition {
        src.insert("definition".into(), definition_json(def));
    }
    src.insert("language".into(), json!("YAML"));
    Value::Object(src)
}

/// A definition as BuildKit's Go types marshal it to JSON: `def` (each op,
/// base64) and `metadata` by digest (`description`, `caps`, … omitted when
/// empty).
fn definition_json(def: &llb::pb::Definition) -> Value {
    let metadata: Map<String, Value> = def
        .metadata
        .iter()
        .map(|(digest, md)| {
            let mut m = Map::new();
            if md.ignore_cache {
                m.insert("ignore_cache".into(), json!(true));
            }
            if !md.description.is_empty() {
                let d: BTreeMap<&String, &String> = md.description.iter().collect();
                m.insert("description".into(), json!(d));
            }
            if !md.caps.is_empty() {
                let c: BTreeMap<&String, &bool> = md.caps.iter().collect();
                m.insert("caps".into(), json!(c));
            }
            if let Some(g) = &md.progress_group {
                m.insert(
                    "progress_group".into(),
                    json!({ "id": g.id, "name": g.name, "weak": g.weak }),
                );
            }
            (digest.clone(), Value::Object(m))
        })
        .collect();
    json!({
        "def": def.def.iter().map(|op| base64(op)).collect::<Vec<_>>(),
        "metadata": metadata,
    })
}

/// A secret or ssh entry of the outline.
fn named(name: &str, required: bool, span: Span) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if required {
        m.insert("required".into(), json!(true));
    }
    put_location(&mut m, span);
    Value::Object(m)
}

/// `location` in `m` for a span of the spec: the outline's source is the
/// spec alone, so a value written in an imported file has none.
fn put_location(m: &mut Map<String, Value>, span: Span) {
    if span.file == 0 {
        m.insert("location".into(), location(span));
    }
}

/// The answer to `--call=check` when the spec fails: BuildKit's lint result
/// with its `buildError` (the first error and where it is), and status 1.
pub fn lint_error(
    message: &str,
    source: Option<&crate::gateway::SourceRange>,
    definition: Option<&llb::pb::Definition>,
) -> BTreeMap<String, Vec<u8>> {
    let first = message.lines().next().unwrap_or(message);
    let mut error = Map::new();
    error.insert("message".into(), json!(first));
    let mut sources = Vec::new();
    if let Some(s) = source {
        error.insert("location".into(), range_location(s.start_line, s.start_col));
        sources.push(source_json(&s.filename, &s.data, definition));
    }
    let results =
        json!({ "warnings": null, "sources": sources, "buildError": Value::Object(error) });
    let mut meta = BTreeMap::new();
    meta.insert("result.json".into(), pretty(&results));
    meta.insert("result.txt".into(), format!("{message}\n").into_bytes());
    meta.insert("result.statuscode".into(), b"1".to_vec());
    meta.insert("version".into(), b"1.0.0".to_vec());
    meta
}

/// An argument's description for `--call=outline`, with its type, choices
/// and requiredness after it (language 1.1): `jobs to run (int)`,
/// `(one of: dev, prod; required)`.
fn arg_description(a: &crate::spec::model::ArgDecl) -> String {
    let mut traits = Vec::new();
    if a.ty != ArgType::String {
        traits.push(a.ty.name().to_owned());
    }
    if !a.choices.is_empty() {
        traits.push(format!("one of: {}", a.choices.join(", ")));
    }
    if a.required {
        traits.push("required".to_owned());
    }
    let text = a.description.as_ref().map_or("", |d| d.value.as_str());
    match (text.is_empty(), traits.is_empty()) {
        (_, true) => text.to_owned(),
        (true, false) => format!("({})", traits.join("; ")),
        (false, false) => format!("{text} ({})", traits.join("; ")),
    }
}
