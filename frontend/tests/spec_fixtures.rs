//! Golden tests for `spec::parse`: one YAML file per case.
//!
//! - `fixtures/valid/*.yaml` must parse; the snapshot is the model's debug dump
//!   (spans shown as `@line:col`).
//! - `fixtures/invalid/*.yaml` must fail; the snapshot is the rendered
//!   diagnostics. The file name starts with the diagnostic code it
//!   demonstrates (`<code>.yaml` or `<code>--<variant>.yaml`), and the test
//!   checks that this code is among the diagnostics.
//! - `fixtures/warn/*.yaml` must parse with at least one warning whose code
//!   starts the file name (as for `invalid/`); the snapshot is the rendered
//!   warnings.
//!
//! Adding a case = adding a file, then reviewing the new snapshot
//! (`INSTA_UPDATE=always` or `cargo insta review`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use stagecraft::diag::{render, SourceFile};
use stagecraft::spec;
use std::path::Path;

/// The fixture's source, or the diagnostic its bytes alone give (not UTF-8).
fn load(path: &Path) -> (SourceFile, Option<stagecraft::diag::Diagnostic>) {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    spec::decode(name, bytes)
}

fn parse(
    path: &Path,
) -> (
    SourceFile,
    Result<spec::Spec, Vec<stagecraft::diag::Diagnostic>>,
) {
    match load(path) {
        (src, Some(d)) => (src, Err(vec![d])),
        (src, None) => {
            let parsed = spec::parse(src.clone());
            (src, parsed)
        }
    }
}

#[test]
fn valid_fixtures() {
    insta::glob!("fixtures/valid/*.yaml", |path| {
        let (src, parsed) = parse(path);
        match parsed {
            Ok(spec) => insta::assert_snapshot!(format!("{spec:#?}")),
            Err(diags) => panic!("{} should be valid:\n{}", src.name, render(&diags, &src)),
        }
    });
}

#[test]
fn invalid_fixtures() {
    insta::glob!("fixtures/invalid/*.yaml", |path| {
        let (src, parsed) = parse(path);
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let code = stem.split("--").next().unwrap_or(&stem).to_string();
        match parsed {
            Ok(_) => panic!("{} should be invalid", src.name),
            Err(diags) => {
                assert!(
                    diags.iter().any(|d| d.code == code),
                    "{}: expected a `{code}` diagnostic, got:\n{}",
                    src.name,
                    render(&diags, &src)
                );
                let headlines: Vec<String> = diags.iter().map(|d| d.headline(&src)).collect();
                insta::assert_snapshot!(format!(
                    "{}\n\n{}",
                    headlines.join("\n"),
                    render(&diags, &src)
                ));
            }
        }
    });
}

#[test]
fn warn_fixtures() {
    insta::glob!("fixtures/warn/*.yaml", |path| {
        let (src, parsed) = parse(path);
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let code = stem.split("--").next().unwrap_or(&stem).to_string();
        match parsed {
            Err(diags) => panic!("{} should parse:\n{}", src.name, render(&diags, &src)),
            Ok(spec) => {
                assert!(
                    spec.warnings.iter().any(
                        |d| d.code == code && d.severity == stagecraft::diag::Severity::Warning
                    ),
                    "{}: expected a `{code}` warning, got:\n{}",
                    src.name,
                    render(&spec.warnings, &src)
                );
                insta::assert_snapshot!(render(&spec.warnings, &src));
            }
        }
    });
}
