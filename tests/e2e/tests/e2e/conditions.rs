//! `when:` and `unless:` (language 1.1), through a real build: steps,
//! artifacts, stages and `needs` entries kept or left out by `--build-arg`
//! values, argument defaults and the target platform's built-ins; a stage
//! left out but used other than through `needs` fails at the use, with the
//! condition labelled.

use e2e::{case, workdir, write_files, Case, Engine, Feature};

const SPEC: &str = r#"# syntax=stagecraft:dev
version: 1
args:
  DEBUG: { type: bool, default: false }
  STRICT: { type: bool, default: false }
  MODE: { choices: [dev, prod], default: prod }
stages:
  tools:
    from: busybox
    when: { DEBUG: true }
    steps:
      - run: mkdir -p /opt && echo dlv > /opt/dlv
  strict-check:
    from: busybox
    when: { STRICT: true }
    steps:
      - run: echo strict check failed; exit 3
  app:
    from: busybox
    needs:
      - strict-check
      - { stage: tools, when: { MODE: dev } }
    steps:
      - run: mkdir -p /out && echo always > /out/always
      - run: echo "debug $DEBUG" > /out/debug
        when: { DEBUG: true }
      - write: /out/prod
        content: "prod\n"
        unless: { MODE: dev }
      - write: /out/amd64
        content: "amd64\n"
        when: { TARGETARCH: [amd64, "386"] }
      - write: /out/not-amd64
        content: "other\n"
        unless: { TARGETARCH: amd64 }
    artifacts:
      - { from: tools, path: /opt/dlv, to: /out/dlv, when: { DEBUG: true } }
"#;

fn listing(out: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out.join("out"))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

pub fn conditions_keep_or_leave_out_steps_artifacts_stages_and_needs(engine: &Engine) {
    let dir = workdir("conditions");
    write_files(&dir, engine, &[("stagecraft.yaml", SPEC)]);

    // Defaults: no debug step, no tools stage, no strict check (it would fail).
    let (b, out) = engine.export(&dir, &["--platform", "linux/amd64"]);
    b.assert_ok();
    assert_eq!(listing(&out), ["always", "amd64", "prod"], "{}", b.log);
    assert!(
        !b.log.contains("strict check failed") && !b.log.contains("[tools"),
        "a stage left out was built:\n{}",
        b.log
    );

    // DEBUG=true keeps the debug step, the tools stage and its artifact.
    let (b, out) = engine.export(
        &dir,
        &["--platform", "linux/amd64", "--build-arg", "DEBUG=true"],
    );
    b.assert_ok();
    assert_eq!(
        listing(&out),
        ["always", "amd64", "debug", "dlv", "prod"],
        "{}",
        b.log
    );
    assert_eq!(
        std::fs::read_to_string(out.join("out/debug")).unwrap(),
        "debug true\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("out/dlv")).unwrap(),
        "dlv\n"
    );

    // STRICT=true keeps the `needs` entry of the failing stage: the build fails in it.
    engine
        .export(&dir, &["--build-arg", "STRICT=true"])
        .0
        .assert_failed()
        .assert_log_contains("strict check failed")
        .assert_log_contains("exit code: 3");

    // MODE=dev leaves out the `prod` file and keeps the conditional `needs`
    // entry of `tools`, which DEBUG=false leaves out: the entry is dropped.
    let (b, out) = engine.export(
        &dir,
        &["--platform", "linux/amd64", "--build-arg", "MODE=dev"],
    );
    b.assert_ok();
    assert_eq!(listing(&out), ["always", "amd64"], "{}", b.log);
}

/// A stage its condition leaves out, used by an artifact without the same
/// condition: the build fails at the artifact, the condition labelled.
pub fn a_stage_left_out_but_copied_from_fails_at_the_use(engine: &Engine) {
    let dir = workdir("conditions-left-out");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nargs:\n  DEBUG: { type: bool, default: false }\nstages:\n  tools:\n    from: busybox\n    when: { DEBUG: true }\n  app:\n    from: busybox\n    artifacts:\n      - { from: tools, path: /bin/true, to: /usr/bin/dlv }\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:12:17: stage `app` uses stage `tools` in `artifact`, but `tools` is left out of this build by its condition")
        .assert_log_contains("only a `needs` entry may name a stage that can be left out");
    engine
        .export(&dir, &["--build-arg", "DEBUG=true"])
        .0
        .assert_ok();
}

/// Per-platform conditions on built-ins: one build of two platforms, each
/// tree with the files its `TARGETARCH` keeps (file steps only: no emulator).
pub fn per_platform_conditions_differ_between_the_platforms_of_one_build(engine: &Engine) {
    let dir = workdir("conditions-platforms");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  dist:\n    from: scratch\n    steps:\n      - write: /all\n        content: all\n      - write: /arm-only\n        content: arm\n        when: { TARGETARCH: arm64 }\n      - write: /not-arm\n        content: x86\n        unless: { TARGETARCH: [arm64, arm] }\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(&dir, &["--platform", "linux/amd64,linux/arm64"]);
    b.assert_ok();
    let names = |p: &str| {
        let mut v: Vec<String> = std::fs::read_dir(out.join(p))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("linux_amd64"), ["all", "not-arm"]);
    assert_eq!(names("linux_arm64"), ["all", "arm-only"]);
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "conditions_keep_or_leave_out_steps_artifacts_stages_and_needs",
            &[],
            conditions_keep_or_leave_out_steps_artifacts_stages_and_needs,
        ),
        case(
            "a_stage_left_out_but_copied_from_fails_at_the_use",
            &[],
            a_stage_left_out_but_copied_from_fails_at_the_use,
        ),
        case(
            "per_platform_conditions_differ_between_the_platforms_of_one_build",
            &[Feature::MultiPlatform],
            per_platform_conditions_differ_between_the_platforms_of_one_build,
        ),
    ]
}
