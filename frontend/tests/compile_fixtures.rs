//! Golden tests for `compile`: every valid fixture and every example compiles
//! (offline: base images are taken as empty configs) to a readable LLB dump
//! and image config, twice, with byte-identical results.
//!
//! Adding a case = adding a file under `fixtures/valid/` or `examples/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use prost::Message;
use stagecraft::build::compile_offline;
use stagecraft::compile::EngineFeatures;
use stagecraft::diag::SourceFile;
use stagecraft::options::BuildOptions;

fn compile(path: &Path, merge_op: bool) -> (Vec<u8>, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let src = SourceFile::new("stagecraft.yaml", text);
    let mut opts = BTreeMap::new();
    opts.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    let mut opts = BuildOptions::from_opts(&opts).unwrap();
    // Imports beside the spec are read from its directory.
    opts.spec_dir = path.parent().map(Path::to_path_buf);
    let results = compile_offline(
        src,
        &opts,
        EngineFeatures {
            merge_op,
            check_globs: true,
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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
    (bytes, dump)
}

fn check(path: &Path) {
    let (a, dump) = compile(path, false);
    let (b, _) = compile(path, false);
    assert_eq!(
        a,
        b,
        "{}: compiling twice gave different bytes",
        path.display()
    );
    let (merged, merged_dump) = compile(path, true);
    assert_eq!(merged, compile(path, true).0);
    insta::assert_snapshot!(format!("{dump}\n# with MergeOp\n{merged_dump}"));
}

#[test]
fn valid_fixtures_compile_deterministically() {
    insta::glob!("fixtures/valid/*.yaml", check);
}

#[test]
fn examples_compile_deterministically() {
    insta::glob!("../../examples", "*/stagecraft.yaml", check);
}
