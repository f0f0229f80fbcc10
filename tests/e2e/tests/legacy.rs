//! Docker 20.10 (embedded BuildKit ≈0.8, no MergeOp, capitalised worker
//! JSON, `null`s in image configs) through `DOCKER_BUILDKIT=1 docker build`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use e2e::{example, workdir, write_files, Engine};

#[test]
fn legacy_engine_builds_and_runs_the_multistage_example() {
    let engine = Engine::lane("legacy");
    assert!(engine.is_legacy());
    let dir = example("multistage", &engine);
    let tag = engine.tag("legacy-multistage");
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "-t", &tag, "."])
        .assert_ok();
    let (ok, out) = engine.run(&[&tag]);
    assert!(ok, "{out}");
    assert!(
        out.contains("hello from stagecraft (user app, home /app)"),
        "{out}"
    );
    let cfg = &engine.inspect(&tag)["Config"];
    assert_eq!(cfg["User"], "app");
    assert_eq!(cfg["Entrypoint"], serde_json::json!(["/app/server"]));
    assert!(cfg["ExposedPorts"].get("8080/tcp").is_some(), "{cfg}");
}

#[test]
fn legacy_engine_shows_spec_errors_with_their_location() {
    let engine = Engine::lane("legacy");
    let dir = workdir("legacy-error");
    write_files(
        &dir,
        &engine,
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
