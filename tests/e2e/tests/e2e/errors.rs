//! Bad specs fail with one clear message naming the spec's file, line and
//! column, shown to the user by buildx; a failing `run` shows its YAML line.

use e2e::{case, unique, workdir, write_files, Case, Engine, Feature};

fn fails_with(engine: &Engine, name: &str, spec: &str, expected: &[&str]) {
    let dir = workdir(name);
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let build = engine.build(&dir, &["-f", "stagecraft.yaml", "."]);
    build.assert_failed();
    for e in expected {
        build.assert_log_contains(e);
    }
}

pub fn yaml_syntax_error(engine: &Engine) {
    fails_with(
        engine,
        "yaml-syntax",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps: [\n",
        &["stagecraft.yaml:6:12", "unclosed bracket"],
    );
}

pub fn unknown_key_with_suggestion_and_source_excerpt(engine: &Engine) {
    fails_with(
        engine,
        "unknown-key",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    form: busybox\n",
        &[
            "stagecraft.yaml:5:5: unknown key `form` (did you mean `from`?)",
            ">>>     form: busybox",
        ],
    );
}

pub fn wrong_type(engine: &Engine) {
    fails_with(
        engine,
        "wrong-type",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps: hello\n",
        &["stagecraft.yaml:6:12: wrong type for `steps`: expected a list"],
    );
}

pub fn unknown_stage_with_suggestion(engine: &Engine) {
    fails_with(
        engine,
        "unknown-stage",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  build:\n    from: busybox\n  b:\n    from: biuld\n",
        &["stagecraft.yaml:7:11: unknown stage `biuld` in `from` (did you mean `build`?)"],
    );
}

pub fn unknown_target_stage(engine: &Engine) {
    let dir = workdir("unknown-target");
    write_files(
        &dir,
        engine,
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

pub fn cycle_names_its_stages(engine: &Engine) {
    fails_with(
        engine,
        "stage-cycle",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: b\n  b:\n    from: a\n",
        &["stagecraft.yaml:5:11", "`a -> b -> a`"],
    );
}

pub fn step_with_no_kind(engine: &Engine) {
    fails_with(
        engine,
        "step-kind-missing",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - description: x\n",
        &["stagecraft.yaml:7:9: step has no kind"],
    );
}

pub fn step_with_two_kinds(engine: &Engine) {
    fails_with(
        engine,
        "step-kind-ambiguous",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo\n        copy: x\n",
        &["stagecraft.yaml:8:9: step has two kinds, `run` and `copy`"],
    );
}

pub fn undeclared_variable_with_closest_name(engine: &Engine) {
    fails_with(
        engine,
        "undeclared-variable",
        "# syntax=stagecraft:dev\nversion: 1\nargs:\n  VERSION: \"1\"\nstages:\n  a:\n    from: busybox\n    workdir: /app/${VERSON}\n",
        &["stagecraft.yaml:8:19", "`VERSON`", "`VERSION`"],
    );
}

pub fn failing_run_shows_its_yaml_line(engine: &Engine) {
    fails_with(
        engine,
        "failing-run",
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo fine\n      - run: exit 3\n      - run: echo never\n",
        &["exit code: 3", "stagecraft.yaml:8", ">>>       - run: exit 3"],
    );
}

/// The same message on every lane, the legacy client included.
pub fn spec_errors_name_file_line_and_column(engine: &Engine) {
    let dir = workdir("spec-error");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  build:\n    form: busybox\n",
        )],
    );
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:5:5: unknown key `form` (did you mean `from`?)");
}

/// Images the engine cannot resolve fail at their `from:` line, in a
/// sentence with the fix, the engine's own text below it.
pub fn unresolvable_images_fail_at_their_from_line(engine: &Engine) {
    let registry = engine.registry();
    let missing = format!("{registry}/stagecraft-e2e/does-not-exist:1");
    let spec = format!("# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n  b:\n    from: {missing}\n    steps:\n      - copy: /bin/sh\n        from: a\n");
    fails_with(
        engine,
        "image-missing",
        &spec,
        &[
            &format!(
                "stagecraft.yaml:7:11: image `{missing}` does not exist in registry `{registry}`"
            ),
            "caused by: ",
            "not found",
            &format!(">>>     from: {missing}"),
        ],
    );
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - copy: /x\n        from: 127.0.0.1:5999/nothing:1\n";
    fails_with(
        engine,
        "registry-unreachable",
        spec,
        &[
            "stagecraft.yaml:8:15: registry `127.0.0.1:5999` of image `127.0.0.1:5999/nothing:1` cannot be reached",
            "caused by: ",
            "connection refused",
            ">>>         from: 127.0.0.1:5999/nothing:1",
        ],
    );
}

/// A copy of a path the build context does not have fails at the copy's
/// value, saying so (and naming the ignore file when it excludes the path),
/// before anything is built.
pub fn missing_context_files_fail_at_their_copy(engine: &Engine) {
    let dir = workdir("context-missing");
    write_files(
        &dir,
        engine,
        &[
            (
                "stagecraft.yaml",
                "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - copy: [present.txt, nothere.txt]\n        to: /x/\n      - copy: local.env\n        to: /x/\n",
            ),
            ("present.txt", "here\n"),
            ("local.env", "A=1\n"),
            (".dockerignore", "*.env\n"),
        ],
    );
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:7:29: `copy: nothere.txt`: the build context has no `nothere.txt`")
        .assert_log_contains("`copy: local.env`: the build context has no `local.env`, because .dockerignore excludes it")
        .assert_log_contains(">>>       - copy: [present.txt, nothere.txt]");
}

/// A glob that matches nothing is an error (where a Dockerfile's `COPY`
/// copies nothing): from the build context at its value, checked before the
/// target is returned (the copy itself allows an empty match, as the
/// Dockerfile frontend's does, so that the op is the same); from a stage by
/// the copy. A glob that matches copies what it matches.
pub fn globs_that_match_nothing_fail(engine: &Engine) {
    let dir = workdir("glob-matches-nothing");
    write_files(
        &dir,
        engine,
        &[
            (
                "stagecraft.yaml",
                "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - copy: [\"*.txt\", \"conf/*.ini\"]\n        to: /x/\n      - copy: \"*.md\"\n        to: /x/\n",
            ),
            ("a.txt", "a\n"),
            ("conf/b.ini", "b\n"),
            ("notes.env", "n\n"),
        ],
    );
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains(
            "stagecraft.yaml:9:16: `copy: *.md`: no file of the build context matches `*.md`",
        )
        .assert_log_contains(">>>       - copy: \"*.md\"");
    std::fs::write(dir.join("c.md"), "c\n").unwrap();
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    for f in ["a.txt", "b.ini", "c.md"] {
        assert!(out.join("x").join(f).is_file(), "/x/{f} copied:\n{}", b.log);
    }
    let dir = workdir("glob-from-stage-matches-nothing");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  build:\n    from: busybox\n    steps:\n      - run: mkdir /out && echo built > /out/app\n  a:\n    from: busybox\n    steps:\n      - copy: \"/out/*.so\"\n        from: build\n        to: /lib/\n",
        )],
    );
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains(">>>       - copy: \"/out/*.so\"");
}

/// A required secret or ssh agent the build was not given fails at its
/// entry, naming the flag that gives it; given, the same spec builds.
pub fn missing_secrets_and_ssh_name_their_flags(engine: &Engine) {
    let dir = workdir("secret-missing");
    // A step that built once is cached, and a cached step needs no secret
    // (as in a Dockerfile): each run of the test has a step of its own.
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: test \"$(cat /run/secrets/tok)\" = s3cr3t && echo {}\n        secrets:\n          - id: tok\n            required: true\n",
        unique("secret")
    );
    write_files(
        &dir,
        engine,
        &[("stagecraft.yaml", &spec), ("tok.txt", "s3cr3t")],
    );
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:9:17: secret `tok` was not given to the build")
        .assert_log_contains(
            "pass it with `--secret id=tok,src=FILE` or `--secret id=tok,env=VARIABLE`",
        )
        .assert_log_contains("caused by: secret tok: not found")
        .assert_log_contains(">>>           - id: tok");
    engine
        .build(
            &dir,
            &[
                "--secret",
                "id=tok,src=tok.txt",
                "-f",
                "stagecraft.yaml",
                ".",
            ],
        )
        .assert_ok();

    let dir = workdir("ssh-missing");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo fine\n      - run: ls \"$SSH_AUTH_SOCK\"\n        ssh:\n          - id: deploy\n            required: true\n",
        )],
    );
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains(
            "stagecraft.yaml:10:17: ssh agent `deploy` was not forwarded to the build",
        )
        .assert_log_contains("pass `--ssh deploy=PATH` (an agent socket or a key file)")
        .assert_log_contains("caused by: ")
        .assert_log_contains(">>>           - id: deploy");
}

/// A step that needs an entitlement the build was not granted fails at its
/// `network:` value, naming `--allow`; with `--allow` the same spec builds.
pub fn entitlements_not_granted_name_the_allow_flag(engine: &Engine) {
    let dir = workdir("entitlement");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo on the host network\n        network: host\n",
        )],
    );
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:8:18: `network: host` needs the `network.host` entitlement, which this build was not granted")
        .assert_log_contains("pass `--allow network.host` to `docker buildx build`")
        .assert_log_contains("caused by: ")
        .assert_log_contains("network.host is not allowed")
        .assert_log_contains(">>>         network: host");
    engine
        .build(
            &dir,
            &["--allow", "network.host", "-f", "stagecraft.yaml", "."],
        )
        .assert_ok();
}

/// A path that a `copy` or an artifact takes from another stage, and that
/// the stage does not have, fails at the path's value: in a target the
/// frontend builds (it uses a secret) worded with the stage's name; in any
/// other target (returned unbuilt, for `buildx debug`) with the engine's
/// message at the same YAML line.
pub fn missing_stage_paths_fail_at_their_value(engine: &Engine) {
    let dir = workdir("stage-path-missing");
    write_files(
        &dir,
        engine,
        &[
            (
                "stagecraft.yaml",
                "# syntax=stagecraft:dev\nversion: 1\nstages:\n  build:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && echo built > /out/app\n  app:\n    from: busybox\n    steps:\n      - run: test -s /run/secrets/token\n        secrets:\n          - id: token\n            required: true\n    artifacts:\n      - from: build\n        path: /out/ap\n",
            ),
            ("token.txt", "s3cret"),
        ],
    );
    engine
        .build(
            &dir,
            &[
                "--secret",
                "id=token,src=token.txt",
                "-f",
                "stagecraft.yaml",
                ".",
            ],
        )
        .assert_failed()
        .assert_log_contains(
            "stagecraft.yaml:17:15: artifact `/out/ap`: stage `build` has no `/out/ap`",
        )
        .assert_log_contains("check that a step of `build` creates it")
        .assert_log_contains("caused by: ")
        .assert_log_contains(">>>         path: /out/ap");
    let dir = workdir("copy-from-missing");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  build:\n    from: busybox\n    steps:\n      - run: echo built > /app\n  app:\n    from: busybox\n    steps:\n      - copy: [app, lib]\n        from: build\n        to: /srv/\n",
        )],
    );
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains("\"/lib\": not found")
        .assert_log_contains(">>>       - copy: [app, lib]");
}

/// A failing `run` is reported by the engine (exit code, the command, its
/// YAML line) and runs once: the frontend's attempt to build the target and
/// the engine's report of it are one execution.
pub fn a_failing_run_runs_once(engine: &Engine) {
    let dir = workdir("failing-run-once");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo marker-$((6*7)) && exit 5\n",
        )],
    );
    let build = engine.build(&dir, &["--progress=plain", "-f", "stagecraft.yaml", "."]);
    build
        .assert_failed()
        .assert_log_contains("exit code: 5")
        .assert_log_contains(">>>       - run: echo marker-$((6*7)) && exit 5");
    // Progress lines of a vertex start with `#N `; the error summary repeats
    // the output without that prefix.
    let runs = build
        .log
        .lines()
        .filter(|l| l.starts_with('#') && l.ends_with(" marker-42"))
        .count();
    assert_eq!(runs, 1, "the failing run ran {runs} times:\n{}", build.log);
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "missing_secrets_and_ssh_name_their_flags",
            // The engines on which the frontend builds the target (build::builds_target_here).
            &[Feature::Buildx, Feature::MergeOp],
            missing_secrets_and_ssh_name_their_flags,
        ),
        case(
            "entitlements_not_granted_name_the_allow_flag",
            // The engines on which the frontend builds the target (build::builds_target_here).
            &[Feature::Buildx, Feature::MergeOp],
            entitlements_not_granted_name_the_allow_flag,
        ),
        case(
            "missing_stage_paths_fail_at_their_value",
            // The engines on which the frontend builds the target (build::builds_target_here).
            &[Feature::Buildx, Feature::MergeOp],
            missing_stage_paths_fail_at_their_value,
        ),
        case(
            "a_failing_run_runs_once",
            &[Feature::Buildx],
            a_failing_run_runs_once,
        ),
        case(
            "missing_context_files_fail_at_their_copy",
            &[Feature::Buildx],
            missing_context_files_fail_at_their_copy,
        ),
        case(
            "globs_that_match_nothing_fail",
            &[Feature::Buildx],
            globs_that_match_nothing_fail,
        ),
        case(
            "unresolvable_images_fail_at_their_from_line",
            &[Feature::Buildx],
            unresolvable_images_fail_at_their_from_line,
        ),
        case(
            "spec_errors_name_file_line_and_column",
            &[],
            spec_errors_name_file_line_and_column,
        ),
        case("yaml_syntax_error", &[Feature::Buildx], yaml_syntax_error),
        case(
            "unknown_key_with_suggestion_and_source_excerpt",
            &[Feature::Buildx],
            unknown_key_with_suggestion_and_source_excerpt,
        ),
        case("wrong_type", &[Feature::Buildx], wrong_type),
        case(
            "unknown_stage_with_suggestion",
            &[Feature::Buildx],
            unknown_stage_with_suggestion,
        ),
        case(
            "unknown_target_stage",
            &[Feature::Buildx],
            unknown_target_stage,
        ),
        case(
            "cycle_names_its_stages",
            &[Feature::Buildx],
            cycle_names_its_stages,
        ),
        case("step_with_no_kind", &[Feature::Buildx], step_with_no_kind),
        case(
            "step_with_two_kinds",
            &[Feature::Buildx],
            step_with_two_kinds,
        ),
        case(
            "undeclared_variable_with_closest_name",
            &[Feature::Buildx],
            undeclared_variable_with_closest_name,
        ),
        case(
            "failing_run_shows_its_yaml_line",
            &[Feature::Buildx],
            failing_run_shows_its_yaml_line,
        ),
    ]
}
