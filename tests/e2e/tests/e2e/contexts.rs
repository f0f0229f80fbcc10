//! The build context and named contexts: `.dockerignore`, `--build-context` in place of an image or as files.

use e2e::{case, files_below, workdir, write_files, Case, Engine, Feature};

pub fn a_named_context_replaces_an_image_in_from(engine: &Engine) {
    let dir = workdir("named-context-image");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: example.com/base:1\n    steps:\n      - copy: marker.txt\n        to: /marker.txt\n";
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", spec),
            ("marker.txt", "m\n"),
            ("base/from-base.txt", "base\n"),
        ],
    );
    let ctx = format!("example.com/base:1={}", dir.join("base").display());
    let (b, out) = engine.export(&dir, &["--build-context", &ctx]);
    b.assert_ok();
    assert_eq!(
        files_below(&out),
        vec!["from-base.txt".to_owned(), "marker.txt".to_owned()]
    );

    let ctx = "example.com/base:1=docker-image://busybox";
    let (b, out) = engine.export(&dir, &["--build-context", ctx]);
    b.assert_ok();
    assert!(out.join("bin/busybox").exists());
}

pub fn dockerignored_files_never_reach_a_copy(engine: &Engine) {
    let dir = workdir("dockerignore");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n    steps:\n      - copy: .\n        to: /ctx/\n";
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", spec),
            (".dockerignore", "# comment\nsecret.txt\n*.log\n!keep.log\n"),
            ("secret.txt", "s"),
            ("a.log", "l"),
            ("keep.log", "k"),
            ("ok.txt", "o"),
        ],
    );
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    let files = files_below(&out.join("ctx"));
    assert!(
        files.contains(&"ok.txt".to_owned()) && files.contains(&"keep.log".to_owned()),
        "{files:?}"
    );
    assert!(
        !files.contains(&"secret.txt".to_owned()) && !files.contains(&"a.log".to_owned()),
        "{files:?}"
    );

    // <file>.dockerignore takes precedence over .dockerignore.
    write_files(
        &dir,
        engine,
        &[("stagecraft.yaml.dockerignore", "ok.txt\n")],
    );
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    let files = files_below(&out.join("ctx"));
    assert!(
        !files.contains(&"ok.txt".to_owned()) && files.contains(&"secret.txt".to_owned()),
        "{files:?}"
    );
}

pub fn a_docker_image_context_in_from_brings_its_config(engine: &Engine) {
    let dir = workdir("context-image-config");
    let spec =
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: example.com/runtime:1\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let tag = engine.tag("context-image-config");
    engine
        .build(
            &dir,
            &[
                "-f",
                "stagecraft.yaml",
                "--build-context",
                "example.com/runtime:1=docker-image://busybox",
                "--load",
                "-t",
                &tag,
                ".",
            ],
        )
        .assert_ok();
    let cfg = &engine.inspect(&tag)["Config"];
    assert_eq!(
        cfg["Cmd"],
        serde_json::json!(["sh"]),
        "busybox's config is inherited: {cfg}"
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "a_named_context_replaces_an_image_in_from",
            &[Feature::Buildx, Feature::BuildContexts],
            a_named_context_replaces_an_image_in_from,
        ),
        case(
            "dockerignored_files_never_reach_a_copy",
            &[Feature::Buildx],
            dockerignored_files_never_reach_a_copy,
        ),
        case(
            "a_docker_image_context_in_from_brings_its_config",
            &[Feature::Buildx, Feature::BuildContexts],
            a_docker_image_context_in_from_brings_its_config,
        ),
    ]
}
