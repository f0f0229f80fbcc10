//! `matrix:` (language 1.1), through a real build: one stage, an instance
//! per combination less `exclude`, each with its values as stage arguments
//! exported to `run`; `needs` on the bare name builds every instance (one
//! failing fails the build); the bare name as a target is refused with the
//! instances listed; `--call=targets` lists the instances.

use e2e::{case, workdir, write_files, Case, Engine, Feature};

const SPEC: &str = r#"# syntax=stagecraft:dev
version: 1
stages:
  test:
    description: one per combination
    matrix:
      V: [a, B]
      N: [1, 2]
      exclude:
        - { V: B, N: 2 }
    from: busybox
    steps:
      - run: mkdir -p /out && echo "$V $N" > "/out/$V-$N" && echo "instance $V-$N ran"
  release:
    from: scratch
    needs: [test]
    artifacts:
      - { from: test-a-1, path: /out/a-1, to: /a-1 }
      - { from: test-b-1, path: /out/B-1, to: /b-1 }
"#;

pub fn a_matrix_builds_every_instance_that_needs_names(engine: &Engine) {
    let dir = workdir("matrix");
    write_files(&dir, engine, &[("stagecraft.yaml", SPEC)]);
    // No cache: every instance's `run` runs and prints, in every run of the suite.
    let (b, out) = engine.export(&dir, &["--no-cache"]);
    b.assert_ok();
    assert_eq!(std::fs::read_to_string(out.join("a-1")).unwrap(), "a 1\n");
    assert_eq!(std::fs::read_to_string(out.join("b-1")).unwrap(), "B 1\n");
    // `needs: [test]` ran every instance, the excluded one not at all.
    for ran in ["a-1", "a-2", "B-1"] {
        b.assert_log_contains(&format!("instance {ran} ran"));
    }
    assert!(
        !b.log.contains("instance B-2 ran") && !b.log.contains("[test-b-2"),
        "the excluded combination was built:\n{}",
        b.log
    );

    // The bare name is no target: the error lists the instances.
    engine
        .export(&dir, &["--target", "test"])
        .0
        .assert_failed()
        .assert_log_contains("`test` (from --target) is a matrix stage: name one of its instances")
        .assert_log_contains("`test-a-1`, `test-a-2`, `test-b-1`");
    // An instance is a target.
    let (b, out) = engine.export(&dir, &["--target", "test-a-2"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/a-2")).unwrap(),
        "a 2\n"
    );
}

/// One failing instance fails a build that `needs` the matrix stage.
pub fn a_failing_instance_fails_the_build_that_needs_the_matrix(engine: &Engine) {
    let dir = workdir("matrix-failing");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  check:\n    matrix: { CASE: [good, bad] }\n    from: busybox\n    steps:\n      - run: test \"$CASE\" = good || { echo \"case $CASE failed\"; exit 4; }\n  app:\n    from: busybox\n    needs: [check]\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("case bad failed")
        .assert_log_contains("exit code: 4");
}

/// `--call=targets` lists each instance, with the matrix stage's description.
pub fn targets_list_the_instances(engine: &Engine) {
    let dir = workdir("matrix-targets");
    write_files(&dir, engine, &[("stagecraft.yaml", SPEC)]);
    let b = engine.build(&dir, &["--call=targets", "-f", "stagecraft.yaml", "."]);
    b.assert_ok();
    for name in ["test-a-1", "test-a-2", "test-b-1"] {
        b.assert_log_contains(name);
    }
    b.assert_log_contains("one per combination");
    assert!(!b.log.contains("test-b-2"), "{}", b.log);
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "a_matrix_builds_every_instance_that_needs_names",
            &[],
            a_matrix_builds_every_instance_that_needs_names,
        ),
        case(
            "a_failing_instance_fails_the_build_that_needs_the_matrix",
            &[],
            a_failing_instance_fails_the_build_that_needs_the_matrix,
        ),
        case(
            "targets_list_the_instances",
            &[Feature::Buildx, Feature::Call],
            targets_list_the_instances,
        ),
    ]
}
