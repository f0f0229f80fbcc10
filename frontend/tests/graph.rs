//! `stagecraft graph` and `--call=graph` (language 1.1): the stage graph of
//! the target, as Mermaid, DOT and JSON, snapshotted for every example and
//! for a spec with every kind of edge, each rendered twice to the same
//! bytes; and the CLI, through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use stagecraft::build::graph_offline;
use stagecraft::diag::SourceFile;
use stagecraft::options::BuildOptions;
use stagecraft::stage_graph::GraphFormat;

fn render_all(path: &Path, extra: &[(&str, &str)]) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut opts = BTreeMap::new();
    opts.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    for (k, v) in extra {
        opts.insert((*k).to_owned(), (*v).to_owned());
    }
    let mut opts = BuildOptions::from_opts(&opts).unwrap();
    // Imports beside the spec are read from its directory.
    opts.spec_dir = path.parent().map(Path::to_path_buf);
    let src = SourceFile::new("stagecraft.yaml", text);
    let g = graph_offline(src.clone(), &opts).unwrap_or_else(|e| panic!("{e}"));
    let again = graph_offline(src, &opts).unwrap();
    let mut out = String::new();
    for f in [GraphFormat::Mermaid, GraphFormat::Dot, GraphFormat::Json] {
        assert_eq!(g.render(f), again.render(f), "deterministic");
        out.push_str(&g.render(f));
    }
    out
}

#[test]
fn examples_graphs() {
    insta::glob!("../../examples", "*/stagecraft.yaml", |path| {
        insta::assert_snapshot!(render_all(path, &[]));
    });
}

#[test]
fn every_kind_of_edge() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph/every-edge.yaml");
    let out = render_all(&path, &[("context:extra", "local:extra")]);
    for label in ["from", "copy", "mount", "artifact", "needs"] {
        assert!(out.contains(&format!("-->|{label}|")), "{label}:\n{out}");
    }
    assert!(out.contains("\"kind\": \"context\""), "{out}");
    insta::assert_snapshot!(out);
}

/// `when`/`unless` decided with the build's arguments: the elements left
/// out, and what only they used, are not in the graph.
#[test]
fn conditions_are_decided_as_the_build_decides_them() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/when-unless.yaml");
    let plain = render_all(&path, &[]);
    assert!(!plain.contains("tools"), "{plain}");
    assert!(
        plain.contains("lint") && !plain.contains("\"test\""),
        "{plain}"
    );
    let debug = render_all(
        &path,
        &[("build-arg:DEBUG", "true"), ("build-arg:LINT", "false")],
    );
    assert!(
        debug.contains("-->|artifact|") && debug.contains("-->|copy|"),
        "{debug}"
    );
    assert!(!debug.contains("lint"), "{debug}");
    insta::assert_snapshot!(format!("{plain}\n# DEBUG=true LINT=false\n{debug}"));
}

#[test]
fn the_cli_prints_each_format() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/needs-tests/stagecraft.yaml");
    for (format, start) in [
        ("mermaid", "flowchart LR\n"),
        ("dot", "digraph stages {\n"),
        ("json", "{\n"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagecraft"))
            .args(["graph", "--format", format])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with(start),
            "{format}"
        );
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["graph", "--target", "nope"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}
