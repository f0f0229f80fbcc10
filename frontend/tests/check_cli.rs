//! `stagecraft check` as CI runs it: exit codes, and the `json` and
//! `github` formats on stdout, through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::Command;

fn check(fixture: &str, format: &str) -> (bool, String, String) {
    let path = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .args(["check", "--format", format, &path])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn github_format_annotates_each_warning_and_exits_0() {
    let (ok, out, _) = check("warn/sudo-in-run.yaml", "github");
    assert!(ok, "warnings only: exit 0");
    let line = out.lines().next().unwrap_or_default();
    assert!(line.starts_with("::warning file="), "{out}");
    assert!(
        line.contains("sudo-in-run.yaml,line=7,col=14,title=sudo-in-run::`sudo` in a `run` step"),
        "{out}"
    );
}

#[test]
fn json_format_reports_errors_and_exits_1() {
    let (ok, out, _) = check("invalid/invalid-value--check-unknown-rule.yaml", "json");
    assert!(!ok, "an error: exit 1");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["errors"], 1, "{v}");
    assert_eq!(v["diagnostics"][0]["code"], "invalid-value");
    assert_eq!(v["diagnostics"][0]["line"], 1);
    assert_eq!(v["diagnostics"][0]["column"], 9);
}

#[test]
fn text_format_renders_on_stderr() {
    let (ok, out, err) = check("warn/sudo-in-run.yaml", "text");
    assert!(ok);
    assert!(out.is_empty());
    assert!(err.contains("warning[sudo-in-run]"), "{err}");
}
