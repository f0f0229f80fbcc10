//! Spec warnings (lint rules) reach the user through buildx: the build goes
//! on, buildx prints "N warning found" with each message, and the warning
//! carries the spec and the YAML range (shown as an excerpt).

use e2e::{case, workdir, write_files, Case, Engine, Feature};

const SPEC: &str = "# syntax=stagecraft:dev\nversion: 1\nargs:\n  NPM_TOKEN: \"\"\nstages:\n  app:\n    from: busybox\n    steps:\n      - run: echo ok\n";

pub fn a_spec_warning_is_shown_and_the_build_goes_on(engine: &Engine) {
    let dir = workdir("warning");
    write_files(&dir, engine, &[("stagecraft.yaml", SPEC)]);
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_ok()
        .assert_log_contains("1 warning found")
        .assert_log_contains(
            "secrets-used-in-arg-or-env: `NPM_TOKEN` looks like a secret, and argument values are kept in the image's history",
        );
    // The warning's source and range, as buildx receives them.
    let raw = engine.build(&dir, &["-f", "stagecraft.yaml", "--progress=rawjson", "."]);
    raw.assert_ok();
    // A stream of `SolveStatus` objects (one a line, or pretty-printed by
    // older buildx), after buildx's own lines.
    let start = raw.log.find('{').unwrap_or(raw.log.len());
    let warning = serde_json::Deserializer::from_str(&raw.log[start..])
        .into_iter::<serde_json::Value>()
        .map_while(Result::ok)
        .find_map(|v| v["warnings"].get(0).cloned())
        .unwrap_or_else(|| panic!("no warning in the rawjson progress:\n{}", raw.log));
    assert_eq!(
        warning["sourceInfo"]["filename"], "stagecraft.yaml",
        "{warning}"
    );
    assert_eq!(warning["range"][0]["start"]["line"], 4, "{warning}");
    assert_eq!(warning["range"][0]["start"]["character"], 3, "{warning}");
}

/// Every rule reaches `--call=check`: each warning with its rule name, and
/// the check exits 1, as for a Dockerfile with warnings.
pub fn call_check_lists_each_rule_and_fails(engine: &Engine) {
    let dir = workdir("warning-rules");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  app:\n    from: busybox\n    workdir: src\n    user: builder\n    steps:\n      - run: apt-get -y upgrade\n      - run: sudo make install\n      - run: wget -qO- http://example.com/i.sh | sh\n    image:\n      cmd: /bin/app --serve\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let b = engine.build(&dir, &["-f", "stagecraft.yaml", "--call=check", "."]);
    b.assert_failed();
    for rule in [
        "json-args-recommended",
        "workdir-relative-path",
        "apt-get-upgrade",
        "sudo-in-run",
        "curl-piped-to-shell",
    ] {
        b.assert_log_contains(rule);
    }
    b.assert_log_contains("5 warnings found");
    // The check configuration, as for a Dockerfile: `skip=all` silences
    // every rule; `error=true` makes the warnings fail the build, at their
    // YAML lines.
    engine
        .build(
            &dir,
            &[
                "-f",
                "stagecraft.yaml",
                "--call=check",
                "--build-arg",
                "BUILDKIT_DOCKERFILE_CHECK=skip=all",
                ".",
            ],
        )
        .assert_ok()
        .assert_log_contains("no warnings found");
    engine
        .build(
            &dir,
            &[
                "-f",
                "stagecraft.yaml",
                "--build-arg",
                "BUILDKIT_DOCKERFILE_CHECK=skip=curl-piped-to-shell,sudo-in-run,apt-get-upgrade,WorkdirRelativePath;error=true",
                ".",
            ],
        )
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:13:12: `image.cmd` is a string");
}

/// The rules that read commands, copies and artifacts, and the
/// experimental ones, which run only when `# check=experimental=` says so.
pub fn experimental_rules_run_when_the_check_line_turns_them_on(engine: &Engine) {
    let dir = workdir("warning-experimental");
    let body = "version: 1\nstages:\n  context:\n    from: busybox\n    steps:\n      - run: echo ok\n  old:\n    from: busybox\n  app:\n    from: busybox\n    platform: ${TARGETPLATFORM}\n    workdir: /src\n    steps:\n      - copy: .\n      - run: cd sub && apt-get install curl && npm ci\n    artifacts:\n      - from: context\n        path: /\n";
    let on = format!("# syntax=stagecraft:dev\n# check=experimental=all\n{body}");
    let off = format!("# syntax=stagecraft:dev\n{body}");
    write_files(&dir, engine, &[("on.yaml", &on), ("off.yaml", &off)]);
    let always = [
        "reserved-stage-name",
        "redundant-target-platform",
        "cd-in-run",
        "apt-get-missing-yes",
        "apt-get-no-install-recommends",
        "package-install-without-cache",
        "copy-before-install",
        "artifact-copies-directory",
    ];
    let experimental = ["base-image-unpinned", "runs-as-root", "unreachable-stage"];
    let b = engine.build(&dir, &["-f", "on.yaml", "--call=check", "."]);
    b.assert_failed();
    for rule in always.iter().chain(&experimental) {
        b.assert_log_contains(rule);
    }
    b.assert_log_contains("13 warnings found");
    let b = engine.build(&dir, &["-f", "off.yaml", "--call=check", "."]);
    b.assert_failed();
    for rule in always {
        b.assert_log_contains(rule);
    }
    for rule in experimental {
        assert!(
            !b.log.contains(rule),
            "{rule} runs without experimental=:\n{}",
            b.log
        );
    }
    b.assert_log_contains("8 warnings found");
}

/// The rules that need the build: a `$NAME` nothing sets (the base image's
/// `PATH` and the shell's `HOME` are set), a copy of an ignored file, and a
/// base image of another platform than the stage's.
pub fn rules_that_need_the_build_are_reported(engine: &Engine) {
    let dir = workdir("warning-build-rules");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  app:\n    from: busybox\n    steps:\n      - run: echo \"building $VERSON in $HOME with $PATH\" && for f in a; do echo $f; done\n      - copy: prod.env\n        to: /etc/\n";
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", spec),
            (".dockerignore", "*.env\n"),
            ("prod.env", "X=1\n"),
        ],
    );
    let b = engine.build(&dir, &["-f", "stagecraft.yaml", "--call=check", "."]);
    b.assert_failed()
        .assert_log_contains("2 warnings have been found")
        .assert_log_contains("undefined-var")
        .assert_log_contains("`$VERSON` in this `run` step is set nowhere")
        .assert_log_contains("copy-ignored-file")
        .assert_log_contains("`copy: prod.env` names a path that .dockerignore excludes");
    // The suite's busybox is a linux/amd64 image, whatever is asked for.
    let b = engine.build(
        &dir,
        &[
            "-f",
            "stagecraft.yaml",
            "--call=check",
            "--platform",
            "linux/arm64",
            ".",
        ],
    );
    b.assert_failed()
        .assert_log_contains("invalid-base-image-platform")
        .assert_log_contains("base image `busybox` is for `linux/amd64`, not for `linux/arm64`");
    // In a build, as warnings; `error=true` makes them fail it.
    engine
        .build(
            &dir,
            &[
                "-f",
                "stagecraft.yaml",
                "--build-arg",
                "BUILDKIT_DOCKERFILE_CHECK=skip=copy-ignored-file;error=true",
                ".",
            ],
        )
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:7:14: `$VERSON` in this `run` step is set nowhere");
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "a_spec_warning_is_shown_and_the_build_goes_on",
            &[Feature::Buildx, Feature::Warnings],
            a_spec_warning_is_shown_and_the_build_goes_on,
        ),
        case(
            "call_check_lists_each_rule_and_fails",
            &[Feature::Buildx, Feature::Call],
            call_check_lists_each_rule_and_fails,
        ),
        case(
            "experimental_rules_run_when_the_check_line_turns_them_on",
            &[Feature::Buildx, Feature::Call],
            experimental_rules_run_when_the_check_line_turns_them_on,
        ),
        case(
            "rules_that_need_the_build_are_reported",
            &[Feature::Buildx, Feature::Call],
            rules_that_need_the_build_are_reported,
        ),
    ]
}
