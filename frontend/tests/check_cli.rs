//! `stagecraft check` as CI runs it: exit codes, and the `json`, `sarif`
//! and `github` formats on stdout, through the real binary. The SARIF logs
//! are validated against the SARIF 2.1.0 schema by `check-jsonschema`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::Command;

mod support;

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

#[test]
fn sarif_format_validates_against_the_sarif_2_1_0_schema() {
    let schema = support::workspace().join("frontend/tests/schemas/sarif-2.1.0.json");
    let dir = support::scratch_dir("sarif");
    let mut logs = Vec::new();
    for (fixture, passes) in [
        ("warn/sudo-in-run.yaml", true),
        ("invalid/invalid-value--check-unknown-rule.yaml", false),
        ("valid/alias-as-key.yaml", true),
    ] {
        let (ok, out, _) = check(fixture, "sarif");
        assert_eq!(ok, passes, "{fixture}");
        let path = dir.join(format!("{}.sarif", logs.len()));
        std::fs::write(&path, &out).unwrap();
        logs.push(path);
    }
    let (valid, said) = support::validate(&schema, &logs);
    assert!(valid, "{said}");

    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&logs[0]).unwrap()).unwrap();
    let run = &log["runs"][0];
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "sudo-in-run");
    assert_eq!(result["level"], "warning");
    let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
    assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "sudo-in-run");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(7), Some(14))
    );
    assert_eq!(
        (region["endLine"].as_u64(), region["endColumn"].as_u64()),
        (Some(7), Some(42))
    );
    assert!(run["results"].as_array().is_some());

    // The validator does reject a log that breaks the schema.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("loud");
    let path = dir.join("broken.sarif");
    std::fs::write(&path, broken.to_string()).unwrap();
    let (valid, said) = support::validate(&schema, &[path]);
    assert!(!valid, "{said}");
}
