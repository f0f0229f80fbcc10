//! Shared by the integration tests that validate JSON with an independent
//! validator: `check-jsonschema` (PyPI), which `scripts/tools.sh` installs
//! into `.tools/venv`. A missing validator fails the test, never skips it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `check-jsonschema` executable: `$STAGECRAFT_CHECK_JSONSCHEMA`, or the
/// one `scripts/tools.sh` installs.
fn validator() -> PathBuf {
    let path = std::env::var_os("STAGECRAFT_CHECK_JSONSCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".tools/venv/bin/check-jsonschema"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/tools.sh (scripts/test.sh does)",
        path.display()
    );
    path
}

/// Runs `check-jsonschema --schemafile SCHEMA FILES…`: whether every file
/// validates, and what the validator said. Patterns are ECMAScript's
/// without the `u` flag: the published SARIF 2.1.0 schema has a pattern
/// (`run.language`) that only that dialect accepts.
pub fn validate(schema: &Path, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new(validator())
        .args(["--regex-variant", "nonunicode"])
        .arg("--schemafile")
        .arg(schema)
        .args(files)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A fresh directory for one test's files.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
