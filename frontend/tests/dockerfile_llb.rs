//! The LLB of a converted Dockerfile is the Dockerfile frontend's, op for op
//! (issue 14), checked without an engine: every cache pair of the
//! differential suite (`tests/e2e/differential/*/dockerfile.llb`, the op
//! digests the engine's Dockerfile frontend made for it, captured by
//! `cargo run -p e2e --bin golden-llb`) is converted with `stagecraft
//! convert` and compiled offline with the same base image (its config from
//! `busybox.oci.json`), build arguments and target, and must give exactly
//! those ops. The ops that read the build context are only counted: their
//! digests depend on the build's session id, which the provenance the
//! golden digests come from leaves out (the engine suite compares them). The engine's cache keys are made from
//! the ops, so this is the cache sharing `e2e::cache_interop` proves on the
//! engine, seen without a build.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use stagecraft::build::compile_offline_with;
use stagecraft::compile::EngineFeatures;
use stagecraft::diag::SourceFile;
use stagecraft::dockerfile::{convert, ConvertOptions};
use stagecraft::options::BuildOptions;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/differential")
}

/// The golden file: the op digests, and how many ops read the build
/// context (their digests depend on the build's session, which the
/// provenance they were read from leaves out).
fn golden(path: &Path) -> (BTreeSet<String>, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut ops = BTreeSet::new();
    let mut context_ops = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some(n) = line.strip_prefix("context-ops: ") {
            context_ops = n.parse().unwrap();
        } else if let Some(d) = line.strip_prefix("op: ") {
            ops.insert(d.to_owned());
        } else {
            panic!(
                "{}: `{line}` is no `op:` or `context-ops:` line",
                path.display()
            );
        }
    }
    (ops, context_ops)
}

/// The digests of a definition's ops (not the terminal one), and how many
/// of them read the build context (a `local://` source and what is built on it).
fn ops_of(def: &llb::pb::Definition) -> (BTreeSet<String>, usize) {
    use prost::Message;
    let ops = def.def.iter().take(def.def.len().saturating_sub(1));
    let mut below: BTreeSet<String> = BTreeSet::new();
    let mut digests = BTreeSet::new();
    for bytes in ops {
        let op = llb::pb::Op::decode(bytes.as_slice()).unwrap();
        let digest = llb::marshal::digest(bytes);
        let local = matches!(&op.op, Some(llb::pb::op::Op::Source(s)) if s.identifier.starts_with("local://"));
        if local || op.inputs.iter().any(|i| below.contains(&i.digest)) {
            below.insert(digest);
        } else {
            digests.insert(digest);
        }
    }
    (digests, below.len())
}

/// The build options a case's `args:` give (build arguments and target).
fn options(dir: &Path) -> BuildOptions {
    let case = std::fs::read_to_string(dir.join("case.txt")).unwrap();
    let args: Vec<&str> = case
        .lines()
        .filter_map(|l| l.strip_prefix("args:"))
        .flat_map(str::split_whitespace)
        .collect();
    let mut opts = BTreeMap::new();
    opts.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    // As buildx's docker driver asks (the engine's own image store first).
    opts.insert("image-resolve-mode".to_owned(), "local".to_owned());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{a} has a value"));
        match *a {
            "--build-arg" => {
                let (k, v) = value.split_once('=').unwrap();
                opts.insert(format!("build-arg:{k}"), v.to_owned());
            }
            "--target" => {
                opts.insert("target".to_owned(), (*value).to_owned());
            }
            // Secrets do not change the definition.
            "--secret" => {}
            other => panic!("{}: `args: {other}` is not read here", dir.display()),
        }
    }
    BuildOptions::from_opts(&opts).unwrap()
}

#[test]
fn converted_dockerfiles_compile_to_the_dockerfile_frontends_ops() {
    let base: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("busybox.oci.json")).unwrap()).unwrap();
    let reference = base["reference"].as_str().unwrap().to_owned();
    let digest = base["digest"].as_str().unwrap().to_owned();
    let config = base["config"].as_str().unwrap().as_bytes().to_vec();
    let resolve = |r: &str| (r == reference).then(|| (config.clone(), digest.clone()));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("dockerfile.llb").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 30, "only {} golden files", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        let (want, want_context) = golden(&dir.join("dockerfile.llb"));
        let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
        let spec = convert(
            &dockerfile,
            &ConvertOptions {
                syntax: "stagecraft:dev".to_owned(),
                source_name: "Dockerfile".to_owned(),
                lenient: false,
            },
        )
        .unwrap_or_else(|e| panic!("{}: convert: {}", dir.display(), e.message));
        let src = SourceFile::new("stagecraft.yaml", spec);
        let features = EngineFeatures {
            merge_op: true,
            check_globs: true,
        };
        let results = compile_offline_with(src, &options(dir), features, &resolve)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut got = BTreeSet::new();
        let mut got_context = 0;
        let mut dumps = String::new();
        for (_, def, _) in &results {
            let (ops, context) = ops_of(def);
            got.extend(ops);
            got_context += context;
            dumps.push_str(&llb::dump::dump(def));
        }
        if got != want || got_context != want_context {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let only_us: Vec<_> = got.difference(&want).collect();
            failures.push(format!(
                "## {name}: {} ops only the Dockerfile frontend's, {} only ours {only_us:?}; \
                 {want_context} ops read the build context there, {got_context} here\n{dumps}",
                want.difference(&got).count(),
                only_us.len(),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} converted Dockerfiles compile to other ops than the Dockerfile frontend's \
         (compare with the provenance of a build: --provenance=mode=max):\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
