//! Golden tests for `imports:` (language 1.1), offline: each case is a
//! directory under `fixtures/imports/` with a `stagecraft.yaml` and the
//! files it imports. A case named `ok-…` compiles (twice, to the same
//! bytes) and its LLB dump and image config are snapshotted; a case named
//! `err-…` fails, and its rendered diagnostics (naming the imported file
//! where the problem is) are snapshotted. A `# options:` line gives
//! `--build-arg K=V` and `--target T`.
//!
//! The engine's side (files beside the spec sent by the client, git and
//! image imports) is in the end-to-end suite (`tests/e2e/tests/imports.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use prost::Message;
use stagecraft::build::compile_offline;
use stagecraft::compile::EngineFeatures;
use stagecraft::options::BuildOptions;
use stagecraft::spec;

fn options(path: &Path, text: &str) -> BuildOptions {
    let mut opts = BTreeMap::new();
    opts.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    if let Some(line) = text.lines().find_map(|l| l.strip_prefix("# options:")) {
        let mut words = line.split_whitespace();
        while let Some(w) = words.next() {
            let value = words
                .next()
                .unwrap_or_else(|| panic!("{w} without a value"));
            match w {
                "--build-arg" => {
                    let (k, v) = value.split_once('=').unwrap();
                    opts.insert(format!("build-arg:{k}"), v.to_owned());
                }
                "--target" => {
                    opts.insert("target".to_owned(), value.to_owned());
                }
                other => panic!("{}: unknown option {other}", path.display()),
            }
        }
    }
    let mut opts = BuildOptions::from_opts(&opts).unwrap();
    opts.spec_dir = Some(path.parent().unwrap().to_path_buf());
    opts
}

fn compile(path: &Path) -> Result<(Vec<u8>, String), String> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let opts = options(path, &text);
    let (src, problem) = spec::decode("stagecraft.yaml".into(), bytes);
    assert!(problem.is_none(), "{}", path.display());
    let results = compile_offline(
        src,
        &opts,
        EngineFeatures {
            merge_op: true,
            check_globs: true,
        },
    )?;
    let mut bytes = Vec::new();
    let mut dump = String::new();
    for (platform, def, image) in results {
        bytes.extend(def.encode_to_vec());
        bytes.extend(image.to_json());
        dump.push_str(&format!(
            "# platform {platform}\n{}# image config\n{}\n",
            llb::dump::dump(&def),
            String::from_utf8_lossy(&image.to_json())
        ));
    }
    Ok((bytes, dump))
}

#[test]
fn import_cases_compile_or_fail_as_snapshotted() {
    insta::glob!("fixtures/imports", "*/stagecraft.yaml", |path| {
        let case = path
            .parent()
            .and_then(Path::file_name)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        match (case.starts_with("ok-"), compile(path)) {
            (true, Ok((bytes, dump))) => {
                let (again, _) = compile(path).unwrap();
                assert_eq!(bytes, again, "{case}: compiling twice gave different bytes");
                insta::assert_snapshot!(dump);
            }
            (false, Err(rendered)) => insta::assert_snapshot!(rendered),
            (true, Err(rendered)) => panic!("{case} fails:\n{rendered}"),
            (false, Ok(_)) => panic!("{case} compiles"),
        }
    });
}

/// `stagecraft check` follows imports beside the spec: an error in an
/// imported file fails it, named with that file's path.
#[test]
fn check_reports_errors_of_imported_files_at_their_path() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imports/err-in-imported-file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["check", "--format", "json"])
        .arg(dir.join("stagecraft.yaml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "step-kind-missing");
    assert_eq!(d["line"], 6);
    let file = d["file"].as_str().unwrap();
    assert!(file.ends_with("err-in-imported-file/lib.yaml"), "{file}");
}

/// The stage graph shows imported stages by their full names, nested
/// imports too, with the edges inside the imported specs.
#[test]
fn the_graph_shows_imported_stages() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/imports/ok-nested/stagecraft.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let opts = options(&path, &text);
    let (src, _) = spec::decode("stagecraft.yaml".into(), text.into_bytes());
    let graph = stagecraft::build::graph_offline(src, &opts).unwrap();
    let mermaid = graph.render(stagecraft::stage_graph::GraphFormat::Mermaid);
    for node in [
        "\"app\"",
        "\"outer.middle\"",
        "\"outer.check\"",
        "\"outer.inner.base\"",
    ] {
        assert!(mermaid.contains(node), "{node} missing:\n{mermaid}");
    }
    assert!(mermaid.contains("-->|needs|"), "{mermaid}");
}
