//! `spec::parse` and `diag::render` must never panic, whatever the input:
//! every prefix of every fixture, a few byte-level mutations, and odd inputs.
//! Also checks a few rendering details (multi-byte text, CRLF, long lines).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use stagecraft::diag::{render, Diagnostic, SourceFile};
use stagecraft::spec;
use std::path::PathBuf;

fn fixtures() -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for dir in ["valid", "invalid"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                // Files that are not UTF-8 are covered by the corpus test.
                if let Ok(text) = String::from_utf8(std::fs::read(&path).unwrap()) {
                    out.push((name, text));
                }
            }
        }
    }
    out.sort();
    out
}

/// Parse, and render whatever comes out; every diagnostic must have a location.
fn check(name: &str, text: &str) {
    let src = SourceFile::new(name, text);
    match spec::parse(src.clone()) {
        Ok(spec) => {
            assert!(spec.default_target().is_some(), "{name}: no default target");
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "{name}: error without diagnostics");
            for d in &diags {
                assert!(d.span.line >= 1 && d.span.col >= 1, "{name}: {d:?}");
                assert!(d.span.offset + d.span.len <= text.len(), "{name}: {d:?}");
                let _ = d.headline(&src);
            }
            let _ = render(&diags, &src);
        }
    }
}

#[test]
fn every_prefix_of_every_fixture() {
    // The alias-bomb fixture costs a full limit's worth of work per parse.
    for (name, text) in fixtures()
        .into_iter()
        .filter(|(n, _)| !n.starts_with("yaml-limit"))
    {
        // Every boundary of the small files; every 5th of the large ones (time).
        let stride = if text.len() > 1000 { 5 } else { 1 };
        for (i, _) in text.char_indices().step_by(stride) {
            check(&name, &text[..i]);
        }
    }
}

#[test]
fn byte_mutations() {
    let replacements = [
        "", "{", "}", "[", "]", ":", "-", "\"", "'", "&a", "*a", "\t", "\n", "$", "${", "é", "\r\n",
    ];
    for (name, text) in fixtures()
        .into_iter()
        .filter(|(n, _)| !n.starts_with("yaml-limit"))
    {
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(7).collect();
        for (n, &i) in boundaries.iter().enumerate() {
            let r = replacements[n % replacements.len()];
            let next = text[i..].chars().next().map_or(i, |c| i + c.len_utf8());
            let mutated = format!("{}{}{}", &text[..i], r, &text[next..]);
            check(&name, &mutated);
        }
    }
}

#[test]
fn odd_inputs() {
    for text in [
        "", "~", "null", "[]", "42", "\"str\"", "---\n...\n", "version: 1\n", "version: 1\nstages: []\n",
        "version: 1\nstages: {}\n", "version: 1\nstages:\n  a:\n", "version: 1\nstages: {a: {from: a}}\n",
        "version: 1\nstages: {a: {from: b}, b: {from: a}}\n", "? [a]\n: b\n", "version: 1\nstages: {1: {from: x}}\n",
        "version: 1\r\nstages:\r\n  a:\r\n    form: x\r\n", "\u{feff}version: 1\nstages: {a: {from: x}}\n",
        "version: 1\nstages: {a: {from: x, steps: [{run: [1, true, ~]}]}}\n", "!!binary aGVsbG8=\n",
        "version: !custom 1\n", "version: 1\nstages:\n  a:\n    from: x\n    steps:\n      - run: ok\n        cache: [{target: /c, uid: -1, gid: 99999999999}]\n",
    ] {
        check("odd.yaml", text);
    }
}

fn one_error(text: &str) -> (Diagnostic, SourceFile) {
    let src = SourceFile::new("s.yaml", text);
    let mut diags = spec::parse(src.clone()).unwrap_err();
    assert_eq!(diags.len(), 1, "{}", render(&diags, &src));
    (diags.remove(0), src)
}

#[test]
fn columns_count_characters_and_crlf_is_fine() {
    let (d, src) =
        one_error("version: 1\r\nstages:\r\n  a:\r\n    from: x\r\n    dèscription: é\r\n");
    assert_eq!((d.span.line, d.span.col), (5, 5));
    assert_eq!(
        d.message,
        "unknown key `dèscription` (did you mean `description`?)"
    );
    let out = render(&[d], &src);
    assert!(
        out.contains("5 |     dèscription: é\n  |     ^^^^^^^^^^^\n"),
        "{out}"
    );
    assert!(!out.contains('\r'));
}

#[test]
fn long_lines_are_windowed() {
    let long = "x".repeat(150);
    let (d, src) = one_error(&format!(
        "version: 1\nstages:\n  a:\n    from: alpine\n    description: {long}\n    nope: 1\n"
    ));
    let out = render(&[d], &src);
    assert!(out.contains("nope"), "{out}");
    let (d, src) = one_error(&format!(
        "version: 1\nstages: {{a: {{from: alpine, description: {long}, nope: 1}}}}\n"
    ));
    let out = render(&[d], &src);
    for line in out.lines().filter(|l| !l.contains("help:")) {
        assert!(line.chars().count() <= 120, "{out}");
    }
    assert!(out.contains("...") && out.contains("^^^^"), "{out}");
}

#[test]
fn expansion_spans_point_inside_the_yaml_value() {
    use stagecraft::spec::vars::expand;
    use std::collections::BTreeMap;
    let text = "version: 1\nargs: {APP: x}\nstages:\n  a:\n    from: alpine\n    workdir: /src/$APPP/x\n    user: \"u-${APPP}\"\n";
    let spec = spec::parse(SourceFile::new("s.yaml", text)).unwrap();
    let scope: BTreeMap<String, Option<String>> =
        [("APP".to_string(), Some("x".to_string()))].into();
    let stage = &spec.stages[0];
    let d = expand(stage.workdir.as_ref().unwrap(), &scope, &spec.source).unwrap_err();
    assert_eq!((d.span.line, d.span.col, d.span.len), (6, 19, 5));
    assert_eq!(
        d.headline(&spec.source),
        "s.yaml:6:19: undeclared variable `APPP`"
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `APP`?"));
    let d = expand(stage.user.as_ref().unwrap(), &scope, &spec.source).unwrap_err();
    assert_eq!((d.span.line, d.span.col, d.span.len), (7, 14, 7));
}
