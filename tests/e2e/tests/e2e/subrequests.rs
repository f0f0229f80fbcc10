//! `--call=targets|outline|check,format=json` in BuildKit's own shapes: the
//! Dockerfile frontend answers the same question for an equivalent
//! Dockerfile on the same engine, and every JSON path of its answer (with
//! the type of its value) must exist in ours, so that a `jq` expression
//! written against the Dockerfile frontend's output works on ours.

use std::collections::BTreeMap;

use e2e::{case, workdir, write_files, Case, Engine, Feature};

const SPEC: &str = "# syntax=stagecraft:dev\nversion: 1\nargs:\n  APP: { default: server, description: \"the app\" }\n  GITHUB_TOKEN: \"\"\nstages:\n  build:\n    description: compiles it\n    from: busybox\n    steps:\n      - run: echo $APP\n        secrets: [{ id: tok, required: true }]\n        ssh: [{ id: default }]\n  runtime:\n    from: busybox\n    artifacts:\n      - { from: build, path: /etc/hostname, to: /x }\n";

const DOCKERFILE: &str = "# compiles it\nFROM busybox AS build\n# the app\nARG APP=server\nARG GITHUB_TOKEN\nRUN --mount=type=secret,id=tok,required=true --mount=type=ssh echo $APP\nFROM busybox AS runtime\nCOPY --from=build /etc/hostname /x\n";

/// Every JSON path of `v` (`.targets[].name`) with the type of its value.
fn paths(v: &serde_json::Value, at: &str, out: &mut BTreeMap<String, &'static str>) {
    use serde_json::Value;
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    out.insert(at.to_owned(), kind);
    match v {
        Value::Array(items) => {
            for i in items {
                paths(i, &format!("{at}[]"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                paths(x, &format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// The JSON answer of `--call=CALL,format=json` for `file`.
pub(crate) fn call(
    engine: &Engine,
    dir: &std::path::Path,
    call: &str,
    file: &str,
) -> serde_json::Value {
    let b = engine.build(
        dir,
        &[&format!("--call={call},format=json"), "-f", file, "."],
    );
    let start = b
        .log
        .find('{')
        .unwrap_or_else(|| panic!("no JSON from --call={call} -f {file}:\n{}", b.log));
    serde_json::Deserializer::from_str(&b.log[start..])
        .into_iter::<serde_json::Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("bad JSON from --call={call} -f {file}:\n{}", b.log))
}

/// Paths with the keys of a definition's metadata (op digests, then cap
/// and description names, which may hold dots) replaced by placeholders.
fn generic_keys(paths: BTreeMap<String, &'static str>) -> BTreeMap<String, &'static str> {
    paths
        .into_iter()
        .map(|(p, kind)| {
            if !p.contains(".definition.metadata.") {
                return (p, kind);
            }
            let mut out: Vec<&str> = Vec::new();
            let mut prev = "";
            for part in p.split('.') {
                match prev {
                    "metadata" => out.push("<digest>"),
                    "caps" | "description" => {
                        out.push("<name>");
                        break;
                    }
                    _ => out.push(part),
                }
                prev = part;
            }
            (out.join("."), kind)
        })
        .collect()
}

/// Every path of the Dockerfile frontend's answer is in ours, with its type.
fn assert_covers(ours: &serde_json::Value, theirs: &serde_json::Value, what: &str) {
    let (mut o, mut t) = (BTreeMap::new(), BTreeMap::new());
    paths(ours, "", &mut o);
    paths(theirs, "", &mut t);
    // The definition that loaded the source is keyed by op digests, and its
    // metadata by cap and description names, which differ with the source:
    // those keys are compared as placeholders.
    let (o, t) = (generic_keys(o), generic_keys(t));
    // Not compared: a warning's `url` (a page on docs.docker.com;
    // Stagecraft's rules have no published page, and BuildKit leaves an
    // empty URL out), and the definition's `Source` (the Dockerfile
    // frontend's holds one empty location entry for its load op; the op
    // that loads the spec has no location, so ours has no source map).
    let missing: Vec<String> = t
        .iter()
        .filter(|(p, _)| *p != ".warnings[].url" && !p.starts_with(".sources[].definition.Source"))
        .filter(|(p, kind)| o.get(*p) != Some(kind) && !(**kind == "null" && o.contains_key(*p)))
        .map(|(p, kind)| format!("{p} ({kind}; ours: {:?})", o.get(p)))
        .collect();
    assert!(
        missing.is_empty(),
        "{what}: paths of the Dockerfile frontend's answer missing from ours:\n{}\nours: {ours:#}",
        missing.join("\n")
    );
}

pub fn targets_outline_and_check_answer_in_buildkit_shapes(engine: &Engine) {
    let dir = workdir("subrequest-shapes");
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", SPEC),
            ("Dockerfile", DOCKERFILE),
            (
                "bad.yaml",
                "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    form: busybox\n",
            ),
            ("Dockerfile.bad", "FROM busybox\nFOO bar\n"),
        ],
    );
    for c in ["targets", "outline", "check"] {
        let ours = call(engine, &dir, c, "stagecraft.yaml");
        let theirs = call(engine, &dir, c, "Dockerfile");
        assert_covers(&ours, &theirs, c);
    }
    let ours = call(engine, &dir, "check", "bad.yaml");
    let theirs = call(engine, &dir, "check", "Dockerfile.bad");
    assert_covers(&ours, &theirs, "check of a bad spec");
    assert_eq!(
        ours["buildError"]["location"]["ranges"][0]["start"]["line"], 5,
        "{ours:#}"
    );
    // The exit codes agree too: 1 for an error.
    assert!(
        !engine
            .build(&dir, &["--call=check", "-f", "bad.yaml", "."])
            .success
    );
}

/// `--call=graph` (language 1.1) prints the target's stage graph as a
/// Mermaid flowchart, and `--call=graph,format=json` as JSON: through
/// buildx, the same bytes as the offline `stagecraft graph` (the library's
/// `graph_offline`) for the same spec, target and build arguments.
pub fn graph_prints_the_stage_graph_as_offline(engine: &Engine) {
    let dir = e2e::example("multistage", engine);
    let spec = std::fs::read_to_string(dir.join("stagecraft.yaml")).unwrap();
    let mut raw = BTreeMap::new();
    raw.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    raw.insert("target".to_owned(), "runtime".to_owned());
    let opts = stagecraft::options::BuildOptions::from_opts(&raw).unwrap();
    let offline = stagecraft::build::graph_offline(
        stagecraft::diag::SourceFile::new("stagecraft.yaml", spec),
        &opts,
    )
    .unwrap();
    let text = engine.build(
        &dir,
        &[
            "--call=graph",
            "--target",
            "runtime",
            "-f",
            "stagecraft.yaml",
            ".",
        ],
    );
    text.assert_ok();
    assert!(
        text.log.contains(&offline.mermaid()),
        "--call=graph is not `stagecraft graph`'s Mermaid:\n{}\nexpected:\n{}",
        text.log,
        offline.mermaid()
    );
    assert!(offline.mermaid().contains("-->|artifact|"));
    let json = call(engine, &dir, "graph", "stagecraft.yaml");
    assert_eq!(json, offline.json(), "{json:#}");
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "targets_outline_and_check_answer_in_buildkit_shapes",
            &[Feature::Buildx, Feature::Call],
            targets_outline_and_check_answer_in_buildkit_shapes,
        ),
        case(
            "graph_prints_the_stage_graph_as_offline",
            &[Feature::Buildx, Feature::Call],
            graph_prints_the_stage_graph_as_offline,
        ),
    ]
}
