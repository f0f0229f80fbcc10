//! The bad-input corpus: every fixture states its outcome on an `# expect:`
//! line, and this test holds the code to it.
//!
//! - `# expect: ok` — the spec parses, and compiles with the `# options:`
//!   line's options (`--build-arg K=V`, `--target T`, `--platform P`);
//! - `# expect: error CODE at LINE:COL` — parsing fails with a `CODE`
//!   diagnostic at exactly that place (`at` is absent for whole-file
//!   problems);
//! - `# expect: compile error CODE at LINE:COL` — parsing succeeds and
//!   compiling fails so.
//!
//! Directories: `valid/`, `invalid/`, `compile-invalid/`, and `large/` (big
//! inputs, each checked and compiled well under a second in a release build;
//! here only their outcome is checked). `pending/` holds inputs whose
//! outcome is still wrong (see CORPUS-FINDINGS.md); they are not run.
//! Files are read as bytes: invalid UTF-8 is part of the corpus.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use stagecraft::build::compile_offline;
use stagecraft::compile::EngineFeatures;
use stagecraft::diag::{render, Diagnostic};
use stagecraft::options::BuildOptions;
use stagecraft::spec;

#[derive(Debug, PartialEq)]
enum Expect {
    Ok,
    Error {
        compile: bool,
        code: String,
        at: Option<(u32, u32)>,
    },
}

fn expectation(text: &str) -> Option<Expect> {
    let line = text
        .lines()
        .take(4)
        .find_map(|l| l.split_once("# expect:"))?
        .1
        .trim();
    if line.starts_with("ok") {
        return Some(Expect::Ok);
    }
    let (compile, rest) = match line.strip_prefix("compile error ") {
        Some(r) => (true, r),
        None => (false, line.strip_prefix("error ")?),
    };
    let mut words = rest.split_whitespace();
    let code = words.next()?.trim_end_matches([';', ',', '.']).to_owned();
    let at = match (words.next(), words.next()) {
        (Some("at"), Some(pos)) => {
            let pos = pos.trim_end_matches(|c: char| !c.is_ascii_digit());
            let (l, c) = pos.split_once(':')?;
            Some((l.parse().ok()?, c.parse().ok()?))
        }
        _ => None,
    };
    Some(Expect::Error { compile, code, at })
}

fn options(text: &str) -> BTreeMap<String, String> {
    let mut raw = BTreeMap::new();
    raw.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    let Some(line) = text
        .lines()
        .take(6)
        .find_map(|l| l.split_once("# options:"))
    else {
        return raw;
    };
    let mut words = line.1.split_whitespace();
    while let Some(flag) = words.next() {
        let value = words.next().unwrap_or_default().to_owned();
        match flag {
            "--build-arg" => {
                let (k, v) = value.split_once('=').unwrap_or((&value, ""));
                raw.insert(format!("build-arg:{k}"), v.to_owned());
            }
            "--target" => {
                raw.insert("target".to_owned(), value);
            }
            "--platform" => {
                raw.insert("platform".to_owned(), value);
            }
            other => panic!("unknown option {other} in an `# options:` line"),
        }
    }
    raw
}

fn files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    out.sort();
    out
}

fn has(diags: &[Diagnostic], code: &str, at: Option<(u32, u32)>) -> bool {
    diags
        .iter()
        .any(|d| d.code == code && at.is_none_or(|(l, c)| d.span.line == l && d.span.col == c))
}

/// The outcome of one file, or why it differs from its `# expect:` line.
fn run(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let lossy = String::from_utf8_lossy(&bytes).into_owned();
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    let expect = expectation(&lossy).unwrap_or_else(|| {
        // Older fixtures name their code in the file name.
        if path.parent().is_some_and(|p| p.ends_with("valid")) {
            Expect::Ok
        } else {
            Expect::Error {
                compile: false,
                code: stem.split("--").next().unwrap_or(&stem).to_owned(),
                at: None,
            }
        }
    });
    let (src, problem) = spec::decode("stagecraft.yaml".into(), bytes);
    let parsed = match problem {
        Some(d) => Err(vec![d]),
        None => spec::parse(src.clone()),
    };
    let opts =
        BuildOptions::from_opts(&options(&lossy)).map_err(|e| format!("{name}: options: {e}"))?;
    match (&expect, parsed) {
        (
            Expect::Error {
                compile: false,
                code,
                at,
            },
            Err(diags),
        ) => {
            if has(&diags, code, *at) {
                Ok(())
            } else {
                Err(format!(
                    "{name}: expected {code} at {at:?}, got:\n{}",
                    render(&diags, &src)
                ))
            }
        }
        (
            Expect::Error {
                compile: false,
                code,
                ..
            },
            Ok(_),
        ) => Err(format!(
            "{name}: expected {code} when parsing, but it parses"
        )),
        (_, Err(diags)) => Err(format!(
            "{name}: expected {expect:?}, got:\n{}",
            render(&diags, &src)
        )),
        (Expect::Ok, Ok(_)) => compile_offline(
            src,
            &opts,
            EngineFeatures {
                merge_op: true,
                check_globs: true,
            },
        )
        .map(|_| ())
        .map_err(|e| format!("{name}: expected to compile, got:\n{e}")),
        (
            Expect::Error {
                compile: true,
                code,
                at,
            },
            Ok(_),
        ) => match compile_offline(
            src,
            &opts,
            EngineFeatures {
                merge_op: true,
                check_globs: true,
            },
        ) {
            Ok(_) => Err(format!(
                "{name}: expected compile error {code}, but it compiles"
            )),
            Err(rendered) => {
                let head = rendered.lines().next().unwrap_or_default().to_owned();
                let place = rendered.lines().nth(1).unwrap_or_default().to_owned();
                let code_ok = head.starts_with(&format!("error[{code}]"));
                let at_ok = at.is_none_or(|(l, c)| place.ends_with(&format!(":{l}:{c}")));
                if code_ok && at_ok {
                    Ok(())
                } else {
                    Err(format!(
                        "{name}: expected compile error {code} at {at:?}, got:\n{rendered}"
                    ))
                }
            }
        },
    }
}

#[test]
fn every_fixture_has_the_outcome_it_states() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in ["valid", "invalid", "compile-invalid", "large"] {
        for path in files(dir) {
            count += 1;
            if let Err(e) = run(&path) {
                failures.push(format!("{dir}/{e}"));
            }
        }
    }
    assert!(count >= 300, "the corpus has {count} files");
    assert!(
        failures.is_empty(),
        "{} of {count} fixtures differ from their `# expect:` line:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Every error in the corpus has a location, except those about options.
#[test]
fn every_diagnostic_has_a_location() {
    for dir in ["invalid", "large"] {
        for path in files(dir) {
            let (src, problem) = spec::decode("f.yaml".into(), std::fs::read(&path).unwrap());
            let diags = match problem {
                Some(d) => vec![d],
                None => spec::parse(src.clone()).err().unwrap_or_default(),
            };
            for d in &diags {
                assert!(
                    d.has_location(),
                    "{}: a diagnostic without a location:\n{}",
                    path.display(),
                    render(std::slice::from_ref(d), &src)
                );
            }
        }
    }
}

#[test]
fn expect_lines_parse() {
    assert_eq!(expectation("# expect: ok; fine"), Some(Expect::Ok));
    assert_eq!(
        expectation("# syntax=x\n# expect: compile error invalid-image at 7:11\n"),
        Some(Expect::Error {
            compile: true,
            code: "invalid-image".into(),
            at: Some((7, 11))
        })
    );
    assert_eq!(
        expectation("# expect: error yaml-limit\n"),
        Some(Expect::Error {
            compile: false,
            code: "yaml-limit".into(),
            at: None
        })
    );
}

/// `pending/` holds inputs whose outcome is still wrong. One that has its
/// stated outcome now belongs with the others: this fails until it is moved.
#[test]
fn pending_fixtures_are_still_pending() {
    let fixed: Vec<String> = files("pending")
        .iter()
        .filter(|p| run(p).is_ok())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        fixed.is_empty(),
        "these pending fixtures now have their stated outcome; move them to valid/, invalid/ or compile-invalid/:\n{}",
        fixed.join("\n")
    );
}

/// Every compile error of `compile-invalid/`, rendered as buildx shows it:
/// a golden snapshot per fixture, so a change of wording, location or help
/// is seen in review.
#[test]
fn compile_errors_render_as_snapshotted() {
    insta::glob!("fixtures/compile-invalid/*.yaml", |path| {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let opts = BuildOptions::from_opts(&options(&text)).unwrap();
        let (src, problem) = spec::decode("stagecraft.yaml".into(), bytes);
        assert!(problem.is_none(), "{}", path.display());
        let rendered = compile_offline(
            src,
            &opts,
            EngineFeatures {
                merge_op: true,
                check_globs: true,
            },
        )
        .err()
        .unwrap_or_else(|| panic!("{} compiles", path.display()));
        insta::assert_snapshot!(rendered);
    });
}
