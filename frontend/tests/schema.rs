//! The JSON Schema (`stagecraft schema`, committed as
//! `schema/stagecraft.schema.json`) against the reader, judged by an
//! independent validator (`check-jsonschema`, see `support`):
//! - the committed file is what the tables generate;
//! - every example (as YAML, as an editor reads it) and every valid and
//!   warning fixture (as JSON of the tree our parser reads, since the
//!   validator's YAML parser differs from ours on tabs, tags and `${…}` in
//!   flow collections) validates;
//! - typical mistakes, and every `unknown-key` and `wrong-type` fixture,
//!   are rejected;
//! - for every key of every table, a value of its type is accepted by both
//!   the reader and the schema, and a value of another type (or `null` for a
//!   required key) is refused by both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value as Json};
use stagecraft::diag::{Code, SourceFile};
use stagecraft::spec::keys::{tables, Key, Table, Ty};
use stagecraft::spec::raw::{self, Node, Value};

fn schema_path() -> PathBuf {
    support::workspace().join("schema/stagecraft.schema.json")
}

#[test]
fn committed_schema_is_generated_from_the_tables() {
    let path = schema_path();
    let fresh = stagecraft::spec::schema::text();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == fresh {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .arg("schema")
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8(out.stdout).unwrap(), fresh);
        return;
    }
    if std::env::var_os("STAGECRAFT_UPDATE_DOCS").is_some() {
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    panic!("schema/stagecraft.schema.json is stale: run STAGECRAFT_UPDATE_DOCS=1 cargo test -p stagecraft --test schema");
}

/// The JSON of the tree our YAML parser reads.
fn to_json(n: &Node) -> Json {
    match &n.value {
        Value::Null => Json::Null,
        Value::Bool(b, _) => json!(b),
        Value::Int(i, t) => i64::try_from(*i).map_or_else(|_| json!(t), |i| json!(i)),
        Value::Float(t) => t
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map_or_else(|| json!(t), |f| json!(f)),
        Value::Str(s) => json!(s),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_key()?.to_owned(), to_json(v))))
                .collect(),
        ),
    }
}

/// `dir`'s YAML files, as JSON files in `out`.
fn fixtures_as_json(dir: &str, out: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| keep(&p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let src = SourceFile::new("f.yaml", text);
            let node = raw::parse_yaml(&src).unwrap_or_else(|d| panic!("{}: {d:?}", p.display()));
            let name = p
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(".yaml", ".json");
            let target = out.join(name);
            std::fs::write(&target, to_json(&node).to_string()).unwrap();
            target
        })
        .collect()
}

/// The files the validator refused, read from its report.
fn refused(files: &[PathBuf]) -> (Vec<PathBuf>, String) {
    let (_, said) = support::validate(&schema_path(), files);
    assert!(!said.contains("Failed to parse"), "{said}");
    let bad = files
        .iter()
        .filter(|f| said.contains(&format!("{}::", f.display())))
        .cloned()
        .collect();
    (bad, said)
}

#[test]
fn examples_and_valid_fixtures_validate() {
    let out = support::scratch_dir("schema-valid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(support::workspace().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path().join("stagecraft.yaml"))
        .filter(|p| p.exists())
        .collect();
    assert!(files.len() >= 5, "{files:?}");
    files.extend(fixtures_as_json("valid", &out, |_| true));
    files.extend(fixtures_as_json("warn", &out, |_| true));
    let (valid, said) = support::validate(&schema_path(), &files);
    assert!(valid, "{said}");
}

#[test]
fn unknown_key_and_wrong_type_fixtures_are_refused() {
    let out = support::scratch_dir("schema-invalid");
    // What JSON cannot say: keys that are no scalars (dropped from the
    // JSON tree), and floats without a fraction (`3.0` is the number 3).
    const NOT_IN_JSON: &[&str] = &[
        "wrong-type--complex-key-in-stages.yaml",
        "wrong-type--mapping-key-in-env.yaml",
        "wrong-type--null-key-in-env.yaml",
        "wrong-type--healthcheck-retries-float.yaml",
        "wrong-type--version-float.yaml",
    ];
    let files = fixtures_as_json("invalid", &out, |n| {
        (n.starts_with("unknown-key--") || n.starts_with("wrong-type--"))
            && !NOT_IN_JSON.contains(&n)
    });
    assert!(files.len() > 20, "{}", files.len());
    let (bad, said) = refused(&files);
    let accepted: Vec<_> = files.iter().filter(|f| !bad.contains(f)).collect();
    assert!(
        accepted.is_empty(),
        "accepted by the schema: {accepted:?}\n{said}"
    );
}

/// Typical mistakes, as a user writes them in an editor.
const MISTAKES: &[(&str, &str)] = &[
    ("typo-from", "version: 1\nstages:\n  a:\n    form: alpine\n"),
    ("typo-top", "version: 1\nstage:\n  a:\n    from: alpine\n"),
    ("version-string", "version: \"1\"\nstages:\n  a:\n    from: alpine\n"),
    ("version-2", "version: 2\nstages:\n  a:\n    from: alpine\n"),
    ("steps-not-list", "version: 1\nstages:\n  a:\n    from: alpine\n    steps:\n      run: make\n"),
    ("no-kind", "version: 1\nstages:\n  a:\n    from: alpine\n    steps:\n      - rn: make\n"),
    ("two-kinds", "version: 1\nstages:\n  a:\n    from: alpine\n    steps:\n      - run: make\n        copy: .\n"),
    ("option-of-other-kind", "version: 1\nstages:\n  a:\n    from: alpine\n    steps:\n      - copy: .\n        network: none\n"),
    ("bad-choice", "version: 1\nstages:\n  a:\n    from: alpine\n    steps:\n      - run: make\n        network: hots\n"),
    ("bool-as-string", "version: 1\nstages:\n  a:\n    from: alpine\n    steps:\n      - copy: .\n        link: \"yes\"\n"),
    ("needs-string", "version: 1\nstages:\n  t:\n    from: alpine\n  a:\n    from: alpine\n    needs: t\n"),
    ("add-url-and-git", "version: 1\nstages:\n  a:\n    from: alpine\n    steps:\n      - add: {url: https://e.x/f, git: https://e.x/r.git}\n"),
    ("add-option-beside", "version: 1\nstages:\n  a:\n    from: alpine\n    steps:\n      - add: {url: https://e.x/f}\n        checksum: sha256:00\n"),
    ("stage-name-upper", "version: 1\nstages:\n  Build:\n    from: alpine\n"),
    ("stage-scratch", "version: 1\nstages:\n  scratch:\n    from: alpine\n"),
    ("missing-from", "version: 1\nstages:\n  a:\n    workdir: /src\n"),
    ("env-list", "version: 1\nstages:\n  a:\n    from: alpine\n    env: [A=1]\n"),
    ("arg-name", "version: 1\nargs:\n  GO-VERSION: \"1\"\nstages:\n  a:\n    from: alpine\n"),
    ("artifact-no-path", "version: 1\nstages:\n  a:\n    from: alpine\n    artifacts:\n      - from: a\n"),
    ("healthcheck-string", "version: 1\nstages:\n  a:\n    from: alpine\n    image:\n      healthcheck: off\n"),
];

#[test]
fn typical_mistakes_are_refused_by_the_schema_and_the_reader() {
    let out = support::scratch_dir("schema-mistakes");
    let files: Vec<PathBuf> = MISTAKES
        .iter()
        .map(|(name, text)| {
            let src = SourceFile::new(format!("{name}.yaml"), *text);
            assert!(
                stagecraft::spec::parse(src).is_err(),
                "the reader accepts {name}"
            );
            let p = out.join(format!("{name}.yaml"));
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect();
    let (bad, said) = refused(&files);
    let accepted: Vec<_> = files.iter().filter(|f| !bad.contains(f)).collect();
    assert!(
        accepted.is_empty(),
        "accepted by the schema: {accepted:?}\n{said}"
    );
}

/// A minimal valid mapping of `t`.
fn minimal(t: &Table) -> Map<String, Json> {
    let mut m: Map<String, Json> = t
        .keys
        .iter()
        .filter(|k| k.required)
        .map(|k| (k.name.to_owned(), sample(&k.ty)))
        .collect();
    if let Some(first) = t.exactly_one_of.first().and_then(|n| t.key(n)) {
        m.insert(first.name.to_owned(), sample(&first.ty));
    }
    m
}

/// A value of type `ty`.
fn sample(ty: &Ty) -> Json {
    match ty {
        Ty::Version => json!(1),
        Ty::Str | Ty::Path => json!("x"),
        Ty::Bool => json!(true),
        Ty::UInt => json!(1),
        Ty::Command => json!(["true"]),
        Ty::Strings | Ty::OneOrMany => json!(["x"]),
        Ty::KeyValues => json!({ "A": "x" }),
        Ty::Choice(options) => json!(options[0]),
        Ty::Table(t) => Json::Object(minimal(t)),
        Ty::PathOr(_) => json!("/x"),
        Ty::NoneOr(_) => json!("none"),
        Ty::List(item) => json!([sample(item)]),
        Ty::Args(_) => json!({ "A": "x" }),
        Ty::Stages(_) => json!({ "a": { "from": "scratch" } }),
        Ty::Steps => json!([{ "run": "true" }]),
        Ty::Condition => json!({ "A": ["x", "y"] }),
        Ty::Matrix => json!({ "A": ["x", "y"] }),
        Ty::Imports(_) => json!({ "lib": { "spec": "lib.yaml" } }),
    }
}

/// A value that is not of type `ty`.
fn wrong(ty: &Ty) -> Json {
    match ty {
        Ty::Version => json!("1"),
        Ty::Str | Ty::Path | Ty::Command | Ty::OneOrMany => json!({ "a": "b" }),
        Ty::Bool => json!("yes"),
        Ty::UInt => json!("x"),
        Ty::Strings | Ty::List(_) | Ty::Steps => json!("x"),
        Ty::KeyValues
        | Ty::Table(_)
        | Ty::PathOr(_)
        | Ty::Args(_)
        | Ty::Stages(_)
        | Ty::Condition
        | Ty::Matrix
        | Ty::Imports(_) => {
            json!(["x"])
        }
        Ty::Choice(_) => json!("zzz"),
        Ty::NoneOr(_) => json!("x"),
    }
}

fn merged(mut base: Map<String, Json>, body: &Map<String, Json>) -> Json {
    for (k, v) in body {
        base.insert(k.clone(), v.clone());
    }
    Json::Object(base)
}

fn obj(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m,
        other => panic!("{other}"),
    }
}

/// A whole spec holding a mapping of table `t` whose keys include `body`.
fn host(t: &Table, body: &Map<String, Json>) -> Json {
    let stage = |s: Json| json!({ "version": 1, "stages": { "b": { "from": "scratch" }, "a": s } });
    let step = |s: Json| stage(json!({ "from": "scratch", "steps": [s] }));
    let run_with = |key: &str, m: Json| step(json!({ "run": "true", key: [m] }));
    let mut body = body.clone();
    match t.name {
        "spec" => merged(
            obj(json!({ "version": 1, "stages": { "a": { "from": "scratch" } } })),
            &body,
        ),
        "arg" => {
            json!({ "version": 1, "args": { "A": Json::Object(body) }, "stages": { "a": { "from": "scratch" } } })
        }
        "stage" => stage(merged(obj(json!({ "from": "scratch" })), &body)),
        "run-step" => step(merged(obj(json!({ "run": "true" })), &body)),
        "cache-mount" => run_with("cache", merged(minimal(t), &body)),
        "secret-mount" => run_with("secrets", merged(minimal(t), &body)),
        "ssh-mount" => run_with("ssh", merged(minimal(t), &body)),
        "tmpfs-mount" => run_with("tmpfs", merged(minimal(t), &body)),
        "bind-mount" => run_with("mounts", merged(minimal(t), &body)),
        "copy-step" => step(merged(obj(json!({ "copy": "." })), &body)),
        "add-step" => step(merged(minimal(t), &body)),
        "add" => {
            let mut base = minimal(t);
            if body.contains_key("git") {
                base.remove("url");
            }
            step(json!({ "add": merged(base, &body) }))
        }
        "mkdir-step" => step(merged(minimal(t), &body)),
        "mkdir" => step(json!({ "mkdir": merged(minimal(t), &body) })),
        "write-step" => step(merged(minimal(t), &body)),
        "artifact" => stage(
            json!({ "from": "scratch", "artifacts": [merged(obj(json!({ "from": "b", "path": "/x" })), &body)] }),
        ),
        "image" => {
            stage(json!({ "from": "scratch", "image": Json::Object(std::mem::take(&mut body)) }))
        }
        "healthcheck" => stage(
            json!({ "from": "scratch", "image": { "healthcheck": merged(minimal(t), &body) } }),
        ),
        "defaults" => stage(json!({ "from": "scratch", "defaults": Json::Object(body) })),
        "run-defaults" => {
            stage(json!({ "from": "scratch", "defaults": { "run": Json::Object(body) } }))
        }
        "copy-defaults" => {
            stage(json!({ "from": "scratch", "defaults": { "copy": Json::Object(body) } }))
        }
        "need" => stage(
            json!({ "from": "scratch", "needs": [merged(obj(json!({ "stage": "b" })), &body)] }),
        ),
        "import" => json!({
            "version": 1,
            "imports": { "lib": merged(minimal(t), &body) },
            "stages": { "a": { "from": "scratch" } }
        }),
        other => panic!("no host for table `{other}`: add one here"),
    }
}

/// Whether the reader reports a shape problem (the schema's business).
fn shape_errors(doc: &Json) -> Vec<String> {
    let src = SourceFile::new("k.yaml", doc.to_string());
    match stagecraft::spec::parse(src) {
        Ok(_) => Vec::new(),
        Err(diags) => diags
            .iter()
            .filter(|d| {
                matches!(
                    d.code,
                    Code::WrongType
                        | Code::UnknownKey
                        | Code::MissingKey
                        | Code::UnsupportedVersion
                        | Code::StepKindMissing
                )
            })
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect(),
    }
}

fn refused_by_reader(doc: &Json) -> bool {
    stagecraft::spec::parse(SourceFile::new("k.yaml", doc.to_string())).is_err()
}

#[test]
fn schema_and_reader_agree_on_every_key() {
    let out = support::scratch_dir("schema-keys");
    let mut accepted = Vec::new();
    let mut refused_files = Vec::new();
    let write = |name: String, doc: &Json| {
        let p = out.join(format!("{name}.json"));
        std::fs::write(&p, doc.to_string()).unwrap();
        p
    };
    for t in tables() {
        for k in t.keys {
            let Key { name, ty, .. } = *k;
            let required = k.required || t.exactly_one_of.contains(&name);
            let good = host(t, &obj(json!({ name: sample(&ty) })));
            let errors = shape_errors(&good);
            assert!(
                errors.is_empty(),
                "{}.{name}: the reader refuses {good}: {errors:?}",
                t.name
            );
            accepted.push(write(format!("{}--{name}--good", t.name), &good));
            let bad = host(t, &obj(json!({ name: wrong(&ty) })));
            assert!(
                refused_by_reader(&bad),
                "{}.{name}: the reader accepts {bad}",
                t.name
            );
            refused_files.push(write(format!("{}--{name}--bad", t.name), &bad));
            let null = host(t, &obj(json!({ name: null })));
            if required {
                assert!(
                    refused_by_reader(&null),
                    "{}.{name}: the reader accepts null",
                    t.name
                );
                refused_files.push(write(format!("{}--{name}--null", t.name), &null));
            } else {
                assert!(
                    shape_errors(&null).is_empty(),
                    "{}.{name}: the reader refuses null",
                    t.name
                );
                accepted.push(write(format!("{}--{name}--null", t.name), &null));
            }
        }
    }
    let (valid, said) = support::validate(&schema_path(), &accepted);
    assert!(valid, "{said}");
    let (bad, said) = refused(&refused_files);
    let missed: Vec<_> = refused_files.iter().filter(|f| !bad.contains(f)).collect();
    assert!(
        missed.is_empty(),
        "accepted by the schema: {missed:?}\n{said}"
    );
}
