//! Captures the Dockerfile frontend's LLB for the differential suite's
//! cache pairs (issue 14), for `frontend/tests/dockerfile_llb.rs` to compare
//! Stagecraft's offline compilation with, without an engine.
//!
//! Run with the main lane's engine up (`scripts/engine.sh up main`, its env
//! sourced): `cargo run -p e2e --bin golden-llb`. For every case that builds
//! alike and is not `cache-differs:`, it builds the Dockerfile through the
//! engine's Dockerfile frontend with `--provenance=mode=max` and writes
//! `dockerfile.llb` beside it: the digest of every op of the definition
//! (read from the provenance's `digestMapping`), except those that read the
//! build context, which are counted (`context-ops: N`): their digests
//! depend on the build's session id, which the provenance leaves out. The base image it resolved, `busybox`, is written to
//! `tests/e2e/differential/busybox.oci.json` (reference, manifest digest,
//! the config's bytes), so that the offline compilation resolves it the same.
//!
//! This is a tool, not a test: what it writes is committed, and the test
//! that reads it fails when Stagecraft's ops stop being the Dockerfile's.
//! Like a test, it stops at the first thing that is not as expected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use e2e::{cases, workdir, Engine, Lane};

fn main() {
    let engine = Engine::for_lane(Lane::Main);
    let mut bases = BTreeSet::new();
    for dir in cases::dirs() {
        let case = cases::read_case(&dir).unwrap();
        let golden = dir.join("dockerfile.llb");
        if !case.offline_pair() || case.cache_differs.is_some() {
            let _ = std::fs::remove_file(&golden);
            continue;
        }
        let args = case.args;
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let out = workdir(&format!("golden-{name}"));
        let dest = format!("type=local,dest={}", out.join("out").display());
        let mut a: Vec<&str> = vec!["--provenance=mode=max", "-f", "Dockerfile", "-o", &dest];
        a.extend(args.iter().map(String::as_str));
        a.push(".");
        engine.build(&dir, &a).assert_ok();
        let provenance: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join("out/provenance.json")).expect("provenance.json"),
        )
        .unwrap();
        let (text, base) = golden_text(&name, &provenance);
        bases.extend(base);
        std::fs::write(&golden, text).unwrap();
        eprintln!("wrote {}", golden.display());
    }
    for base in bases {
        write_base(engine, &cases::root(), &base);
    }
}

/// Finds `key` anywhere in `v` (the provenance's layout varies by version).
fn find<'v>(v: &'v serde_json::Value, key: &str) -> Option<&'v serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => {
            m.get(key).or_else(|| m.values().find_map(|x| find(x, key)))
        }
        serde_json::Value::Array(a) => a.iter().find_map(|x| find(x, key)),
        _ => None,
    }
}

/// The golden file's text, and the images the definition pulls.
fn golden_text(name: &str, provenance: &serde_json::Value) -> (String, Vec<String>) {
    let defs = find(provenance, "llbDefinition")
        .and_then(|d| d.as_array())
        .expect("llbDefinition (mode=max)");
    let mapping = find(provenance, "digestMapping")
        .and_then(|m| m.as_object())
        .expect("digestMapping");
    let mut text = format!(
        "# The Dockerfile frontend's ops for {name}/Dockerfile (Docker 28.5, BuildKit 0.25), from\n\
         # its provenance. Written by `cargo run -p e2e --bin golden-llb`, read by\n\
         # frontend/tests/dockerfile_llb.rs.\n"
    );
    let mut images = Vec::new();
    let mut ops = Vec::new();
    // The ops below a `local://` source: the provenance leaves out that
    // source's session attribute, which its digest (and so theirs) depends
    // on, so those are counted, not listed.
    let mut below_context: BTreeSet<String> = BTreeSet::new();
    let mut context_ops = 0;
    for d in defs {
        let id = d["id"].as_str().unwrap_or_default();
        let op = &d["op"]["Op"];
        if op.as_object().is_none_or(|o| o.is_empty()) {
            continue; // the terminal op
        }
        let local = op["source"]["identifier"]
            .as_str()
            .is_some_and(|i| i.starts_with("local://"));
        let inputs_below = d["inputs"].as_array().is_some_and(|inputs| {
            inputs.iter().any(|i| {
                let step = i
                    .as_str()
                    .unwrap_or_default()
                    .split(':')
                    .next()
                    .unwrap_or_default();
                below_context.contains(step)
            })
        });
        if local || inputs_below {
            below_context.insert(id.to_owned());
            context_ops += 1;
            continue;
        }
        if let Some(image) = op["source"]["identifier"]
            .as_str()
            .and_then(|i| i.strip_prefix("docker-image://"))
        {
            images.push(image.to_owned());
        }
        let digest = mapping
            .iter()
            .find(|(_, v)| v.as_str() == Some(id))
            .map(|(k, _)| k.clone())
            .expect("every op in digestMapping");
        ops.push(digest);
    }
    ops.sort();
    for d in ops {
        let _ = writeln!(text, "op: {d}");
    }
    if context_ops > 0 {
        let _ = writeln!(text, "context-ops: {context_ops}");
    }
    (text, images)
}

/// Writes the config of `image` (`REF@DIGEST`) as the engine holds it.
fn write_base(engine: &Engine, root: &Path, image: &str) {
    let (reference, digest) = image.split_once('@').expect("a pinned reference");
    assert_eq!(
        reference, "docker.io/library/busybox:latest",
        "the golden files expect busybox alone as a base"
    );
    let dir = workdir("golden-base");
    let tar = dir.join("busybox.tar");
    let out = engine.docker(&["save", "-o", &tar.to_string_lossy(), "busybox:latest"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let blob = |d: &str| {
        std::fs::read(
            dir.join("blobs/sha256")
                .join(d.trim_start_matches("sha256:")),
        )
        .unwrap()
    };
    // The pinned digest is the index's or the manifest's; the config is the
    // amd64 manifest's.
    let mut doc: serde_json::Value = serde_json::from_slice(&blob(digest)).unwrap();
    if let Some(manifests) = doc["manifests"].as_array() {
        let m = manifests
            .iter()
            .find(|m| m["platform"]["architecture"] == "amd64" || m["platform"].is_null())
            .expect("an amd64 manifest");
        doc = serde_json::from_slice(&blob(m["digest"].as_str().unwrap())).unwrap();
    }
    let config = blob(doc["config"]["digest"].as_str().expect("a config"));
    let file = serde_json::json!({
        "reference": reference,
        "digest": digest,
        "config": String::from_utf8(config).unwrap(),
    });
    let path = root.join("busybox.oci.json");
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap() + "\n").unwrap();
    eprintln!("wrote {}", path.display());
}
