//! Golden tests of the lock file's diagnostics (language 1.1), offline:
//! `lock-invalid` for malformed lock files (each at its line and column)
//! and `lock-missing` for sources a lock does not name (warnings, errors
//! with `STAGECRAFT_LOCK=strict`), rendered as a build reports them.
//!
//! A git source the lock pins compiles to its commit, the same bytes twice
//! (golden LLB dump). Resolving images and pinning them through an engine
//! is in the end-to-end suite
//! (`tests/e2e/tests/e2e/lock.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use prost::Message;
use stagecraft::build::{compile_offline, lock_findings_offline};
use stagecraft::compile::EngineFeatures;
use stagecraft::diag::SourceFile;
use stagecraft::options::BuildOptions;

const SPEC: &str = "# syntax=stagecraft:dev
version: 1
args:
  BASE: alpine:3.20
  WITH_APP: { type: bool, default: false }
stages:
  tools:
    from: ${BASE}
    steps:
      - add: { git: \"https://git.example/tools.git\", ref: v1, to: /src }
  app:
    from: busybox
    steps:
      - copy: /src
        from: tools
        to: /src
      - copy: /bin/sh
        from: \"registry.example:5000/base:1\"
        to: /sh
    when: { WITH_APP: true }
";

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn options(args: &[(&str, &str)]) -> BuildOptions {
    let mut opts = BTreeMap::new();
    opts.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    for (k, v) in args {
        opts.insert(format!("build-arg:{k}"), (*v).to_owned());
    }
    BuildOptions::from_opts(&opts).unwrap()
}

fn findings(lock: &str, args: &[(&str, &str)]) -> String {
    let src = SourceFile::new("stagecraft.yaml", SPEC);
    match lock_findings_offline(&src, lock, &options(args)) {
        Ok(text) => text,
        Err(text) => format!("FAILS\n{text}"),
    }
}

fn full_lock() -> String {
    format!(
        "version: 1\nimages:\n  docker.io/library/alpine:3.20: {DIGEST}\n  docker.io/library/busybox:latest: {DIGEST}\n  registry.example:5000/base:1: {DIGEST}\ngit:\n  \"https://git.example/tools.git#v1\": {COMMIT}\n"
    )
}

#[test]
fn a_lock_naming_every_source_reports_nothing() {
    assert_eq!(findings(&full_lock(), &[("WITH_APP", "true")]), "");
}

#[test]
fn sources_the_lock_lacks_are_warnings_or_strict_errors() {
    let lock =
        format!("version: 1\nimages:\n  docker.io/library/busybox:latest: {DIGEST}\ngit: {{}}\n");
    insta::assert_snapshot!("missing", findings(&lock, &[("WITH_APP", "true")]));
    insta::assert_snapshot!(
        "missing_strict",
        findings(
            &lock,
            &[("WITH_APP", "true"), ("STAGECRAFT_LOCK", "strict")]
        )
    );
    // The arguments decide what is used: another base, the app left out.
    insta::assert_snapshot!(
        "missing_other_args",
        findings(&full_lock(), &[("BASE", "alpine:3.21")])
    );
    // Ignore: as if there were no lock file, even a malformed one.
    assert_eq!(findings("images: [", &[("STAGECRAFT_LOCK", "ignore")]), "");
}

#[test]
fn malformed_lock_files_are_errors_at_their_line() {
    let cases = [
        ("not_yaml", "version: 1\nimages: [\n".to_owned()),
        ("not_a_mapping", "- version: 1\n".to_owned()),
        ("no_version", "images: {}\ngit: {}\n".to_owned()),
        ("version_2", "version: 2\nimages: {}\ngit: {}\n".to_owned()),
        ("unknown_key", "version: 1\nimage: {}\n".to_owned()),
        (
            "bad_digest",
            "version: 1\nimages:\n  busybox: sha256:beef\n".to_owned(),
        ),
        (
            "bad_commit",
            "version: 1\ngit:\n  \"https://git.example/tools.git#v1\": main\n".to_owned(),
        ),
        (
            "images_a_list",
            "version: 1\nimages: [busybox]\n".to_owned(),
        ),
    ];
    for (name, lock) in cases {
        insta::assert_snapshot!(format!("invalid_{name}"), findings(&lock, &[]));
    }
    assert!(
        findings("version: 1\n", &[("STAGECRAFT_LOCK", "sometimes")])
            .contains("--build-arg STAGECRAFT_LOCK=sometimes")
    );
}

/// The LLB dump and bytes of `SPEC`'s `tools` stage with the lock's git
/// commits in `locked` (as the build sets them once it has read the lock).
fn compiled(locked: &[(&str, &str)]) -> (String, Vec<u8>) {
    let mut opts = options(&[]);
    opts.target = Some("tools".to_owned());
    for (k, v) in locked {
        opts.locked_git.insert((*k).to_owned(), (*v).to_owned());
    }
    let src = SourceFile::new("stagecraft.yaml", SPEC);
    let mut dump = String::new();
    let mut bytes = Vec::new();
    for (_, def, image) in compile_offline(src, &opts, EngineFeatures::default()).unwrap() {
        dump.push_str(&llb::dump::dump(&def));
        bytes.extend(def.encode_to_vec());
        bytes.extend(image.to_json());
    }
    (dump, bytes)
}

#[test]
fn a_locked_git_source_compiles_to_its_commit_the_same_bytes_twice() {
    let key = "https://git.example/tools.git#v1";
    let (dump, bytes) = compiled(&[(key, COMMIT)]);
    assert_eq!(
        bytes,
        compiled(&[(key, COMMIT)]).1,
        "compiling twice gave different bytes"
    );
    assert!(
        dump.contains(&format!("git.example/tools.git#{COMMIT}")),
        "{dump}"
    );
    assert!(!dump.contains("tools.git#v1"), "{dump}");
    let (unlocked, _) = compiled(&[]);
    assert!(unlocked.contains("git.example/tools.git#v1"), "{unlocked}");
    insta::assert_snapshot!(dump);
}
