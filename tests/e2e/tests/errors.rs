//! Bad specs fail with one clear message naming the spec's file, line and
//! column, shown to the user by buildx; a failing `run` shows its YAML line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use e2e::{workdir, write_files, Engine};

fn fails_with(name: &str, spec: &str, expected: &[&str]) {
    let engine = Engine::main();
    let dir = workdir(name);
    write_files(&dir, &engine, &[("stagecraft.yaml", spec)]);
    let build = engine.build(&dir, &["-f", "stagecraft.yaml", "."]);
    build.assert_failed();
    for e in expected {
        build.assert_log_contains(e);
    }
}

#[test]
fn yaml_syntax_error() {
    fails_with(
        "yaml-syntax",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps: [\n",
        &["stagecraft.yaml:6:12", "unclosed bracket"],
    );
}

#[test]
fn unknown_key_with_suggestion_and_source_excerpt() {
    fails_with(
        "unknown-key",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    form: busybox\n",
        &[
            "stagecraft.yaml:5:5: unknown key `form` (did you mean `from`?)",
            ">>>     form: busybox",
        ],
    );
}

#[test]
fn wrong_type() {
    fails_with(
        "wrong-type",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps: hello\n",
        &["stagecraft.yaml:6:12: wrong type for `steps`: expected a list"],
    );
}

#[test]
fn unknown_stage_with_suggestion() {
    fails_with(
        "unknown-stage",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  build:\n    from: busybox\n  b:\n    from: biuld\n",
        &["stagecraft.yaml:7:11: unknown stage `biuld` in `from` (did you mean `build`?)"],
    );
}

#[test]
fn unknown_target_stage() {
    let engine = Engine::main();
    let dir = workdir("unknown-target");
    write_files(
        &dir,
        &engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  build:\n    from: busybox\n",
        )],
    );
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "--target", "biuld", "."])
        .assert_failed()
        .assert_log_contains("target stage `biuld` does not exist")
        .assert_log_contains("did you mean `build`?");
}

#[test]
fn cycle_names_its_stages() {
    fails_with(
        "stage-cycle",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: b\n  b:\n    from: a\n",
        &["stagecraft.yaml:5:11", "`a -> b -> a`"],
    );
}

#[test]
fn step_with_no_kind() {
    fails_with(
        "step-kind-missing",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - description: x\n",
        &["stagecraft.yaml:7:9: step has no kind"],
    );
}

#[test]
fn step_with_two_kinds() {
    fails_with(
        "step-kind-ambiguous",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo\n        copy: x\n",
        &["stagecraft.yaml:8:9: step has two kinds, `run` and `copy`"],
    );
}

#[test]
fn undeclared_variable_with_closest_name() {
    fails_with(
        "undeclared-variable",
        "# syntax=stagecraft:dev\nversion: 1\nargs:\n  VERSION: \"1\"\nstages:\n  a:\n    from: busybox\n    workdir: /app/${VERSON}\n",
        &["stagecraft.yaml:8:19", "`VERSON`", "`VERSION`"],
    );
}

#[test]
fn failing_run_shows_its_yaml_line() {
    fails_with(
        "failing-run",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo fine\n      - run: exit 3\n      - run: echo never\n",
        &["exit code: 3", "stagecraft.yaml:8", ">>>       - run: exit 3"],
    );
}
