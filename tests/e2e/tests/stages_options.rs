//! Stage keys, image config keys and build options on the real engine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use e2e::{files_below, workdir, write_files, Engine};

#[test]
fn a_failing_needs_stage_fails_the_build() {
    let engine = Engine::main();
    let dir = workdir("needs");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  test:\n    from: busybox\n    steps:\n      - run: echo testing && exit 7\n  app:\n    from: scratch\n    needs: [test]\n    steps:\n      - copy: a.txt\n        to: /a.txt\n";
    write_files(&dir, &engine, &[("stagecraft.yaml", spec), ("a.txt", "a")]);
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("exit code: 7")
        .assert_log_contains(">>>       - run: echo testing && exit 7");
    let ok = spec.replace("exit 7", "exit 0");
    write_files(&dir, &engine, &[("stagecraft.yaml", &ok)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok().assert_log_contains("echo testing");
    assert_eq!(files_below(&out), vec!["a.txt".to_owned()]);
}

#[test]
fn multi_platform_exports_one_tree_per_platform_and_an_oci_index() {
    let engine = Engine::main();
    let dir = workdir("multi-platform");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  dist:\n    from: scratch\n    steps:\n      - copy: \"arch/${TARGETARCH}.txt\"\n        to: /arch.txt\n      - copy: common.txt\n        to: /\n";
    write_files(
        &dir,
        &engine,
        &[
            ("stagecraft.yaml", spec),
            ("arch/amd64.txt", "amd64\n"),
            ("arch/arm64.txt", "arm64\n"),
            ("common.txt", "c\n"),
        ],
    );
    let (b, out) = engine.export(&dir, &["--platform", "linux/amd64,linux/arm64"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("linux_amd64/arch.txt")).unwrap(),
        "amd64\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("linux_arm64/arch.txt")).unwrap(),
        "arm64\n"
    );
    assert!(out.join("linux_arm64/common.txt").exists());

    let oci = dir.join("image.tar");
    let dest = format!("type=oci,dest={}", oci.display());
    engine
        .build(
            &dir,
            &[
                "-f",
                "stagecraft.yaml",
                "--platform",
                "linux/amd64,linux/arm64",
                "-o",
                &dest,
                ".",
            ],
        )
        .assert_ok();
    let listing = std::process::Command::new("tar")
        .args(["-xOf", oci.to_str().unwrap(), "index.json"])
        .output()
        .unwrap();
    let index: serde_json::Value = serde_json::from_slice(&listing.stdout).unwrap();
    // The index points at a nested index (or lists manifests) with both platforms.
    let text = index.to_string();
    let nested = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .replace("sha256:", "blobs/sha256/");
    let blob = std::process::Command::new("tar")
        .args(["-xOf", oci.to_str().unwrap(), &nested])
        .output()
        .unwrap();
    let nested: serde_json::Value = serde_json::from_slice(&blob.stdout).unwrap();
    let mut archs: Vec<String> = nested["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["platform"]["architecture"].as_str().map(str::to_owned))
        .filter(|a| a != "unknown")
        .collect();
    archs.sort();
    assert_eq!(
        archs,
        vec!["amd64".to_owned(), "arm64".to_owned()],
        "{text} {nested}"
    );
}

#[test]
fn stage_platform_with_buildplatform_cross_builds() {
    let engine = Engine::main();
    let dir = workdir("buildplatform");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  builder:\n    from: busybox\n    platform: ${BUILDPLATFORM}\n    args:\n      TARGETARCH:\n      BUILDARCH:\n    steps:\n      - run: mkdir -p /out && echo \"built on $BUILDARCH for $TARGETARCH\" > /out/info\n  dist:\n    from: scratch\n    artifacts:\n      - { from: builder, path: /out/info, to: /info }\n";
    write_files(&dir, &engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(&dir, &["--platform", "linux/arm64"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("info")).unwrap(),
        "built on amd64 for arm64\n"
    );
}

#[test]
fn a_named_context_replaces_an_image_in_from() {
    let engine = Engine::main();
    let dir = workdir("named-context-image");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: example.com/base:1\n    steps:\n      - copy: marker.txt\n        to: /marker.txt\n";
    write_files(
        &dir,
        &engine,
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

#[test]
fn dockerignored_files_never_reach_a_copy() {
    let engine = Engine::main();
    let dir = workdir("dockerignore");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n    steps:\n      - copy: .\n        to: /ctx/\n";
    write_files(
        &dir,
        &engine,
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
        &engine,
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

#[test]
fn no_cache_reruns_steps_and_labels_hosts_and_config_keys_apply() {
    let engine = Engine::main();
    let dir = workdir("options");
    let spec = r#"# syntax=stagecraft:dev
version: 1
stages:
  base:
    from: busybox
    image:
      cmd: ["inherited"]
  app:
    from: base
    shell: ["/bin/sh", "-ec"]
    steps:
      - run: mkdir -p /out && cat /proc/sys/kernel/random/uuid > /out/stamp && cat /etc/hosts > /out/hosts
    image:
      entrypoint: "exec /bin/app"
      volumes: [/data]
      stop_signal: SIGINT
      healthcheck: none
"#;
    write_files(&dir, &engine, &[("stagecraft.yaml", spec)]);
    let tag = engine.tag("options");
    let args = [
        "-f",
        "stagecraft.yaml",
        "--load",
        "-t",
        tag.as_str(),
        "--label",
        "org.example.from-cli=yes",
        "--add-host",
        "db.internal:10.1.2.3",
        ".",
    ];
    engine.build(&dir, &args).assert_ok();
    let img = engine.inspect(&tag);
    let cfg = &img["Config"];
    assert_eq!(cfg["Labels"]["org.example.from-cli"], "yes");
    assert_eq!(
        cfg["Entrypoint"],
        serde_json::json!(["/bin/sh", "-ec", "exec /bin/app"])
    );
    assert!(
        cfg["Cmd"].is_null(),
        "entrypoint clears the inherited cmd: {cfg}"
    );
    assert!(cfg["Volumes"].get("/data").is_some(), "{cfg}");
    assert_eq!(cfg["StopSignal"], "SIGINT");
    assert_eq!(cfg["Healthcheck"]["Test"], serde_json::json!(["NONE"]));
    let history = engine.docker(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", &tag]);
    let history = String::from_utf8_lossy(&history.stdout).to_string();
    assert!(history.contains("RUN mkdir -p /out"), "{history}");

    let (b, out) = engine.export(&dir, &["--add-host", "db.internal:10.1.2.3"]);
    b.assert_ok();
    assert!(std::fs::read_to_string(out.join("out/hosts"))
        .unwrap()
        .contains("10.1.2.3"));
    let first = std::fs::read_to_string(out.join("out/stamp")).unwrap();
    let (b, out) = engine.export(&dir, &["--add-host", "db.internal:10.1.2.3"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/stamp")).unwrap(),
        first,
        "cached"
    );
    let (b, out) = engine.export(&dir, &["--add-host", "db.internal:10.1.2.3", "--no-cache"]);
    b.assert_ok();
    assert_ne!(
        std::fs::read_to_string(out.join("out/stamp")).unwrap(),
        first,
        "--no-cache reruns"
    );
    let again = std::fs::read_to_string(out.join("out/stamp")).unwrap();
    let (b, out) = engine.export(
        &dir,
        &[
            "--add-host",
            "db.internal:10.1.2.3",
            "--no-cache-filter",
            "base",
        ],
    );
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/stamp")).unwrap(),
        again,
        "only `base` is rebuilt"
    );
    let (b, out) = engine.export(
        &dir,
        &[
            "--add-host",
            "db.internal:10.1.2.3",
            "--no-cache-filter",
            "app",
        ],
    );
    b.assert_ok();
    assert_ne!(
        std::fs::read_to_string(out.join("out/stamp")).unwrap(),
        again,
        "`app` is rebuilt"
    );
}

#[test]
fn call_targets_outline_and_check() {
    let engine = Engine::main();
    let dir = e2e::example("multistage", &engine);
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "--call=targets", "."])
        .assert_ok()
        .assert_log_contains("runtime (default)")
        .assert_log_contains("resolve dependencies, then build the app");
    engine
        .build(
            &dir,
            &[
                "-f",
                "stagecraft.yaml",
                "--call=outline",
                "--build-arg",
                "GREETING=hi",
                ".",
            ],
        )
        .assert_ok()
        .assert_log_contains("APP_NAME")
        .assert_log_contains("name of the built program");
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "--call=check", "."])
        .assert_ok()
        .assert_log_contains("no warnings found");
    let bad = workdir("call-check-bad");
    write_files(
        &bad,
        &engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox:${NOPE}\n",
        )],
    );
    engine
        .build(&bad, &["-f", "stagecraft.yaml", "--call=check", "."])
        .assert_failed()
        .assert_log_contains("`NOPE`");
}

#[test]
fn variable_forms_expand_and_args_reach_run_steps() {
    let engine = Engine::main();
    let dir = workdir("variables");
    let spec = r#"# syntax=stagecraft:dev
version: 1
args:
  NAME: world
  EMPTY:
  VERSION: { default: "1.0", description: "the version" }
stages:
  a:
    from: busybox
    args:
      LOCAL: local-value
    env:
      GREETING: hello-${NAME}
    workdir: /w/${NAME:-unused}/${MISSING:-fallback}/${NAME:+alt}${EMPTY:+never}
    steps:
      - run: mkdir -p /out && pwd > /out/pwd && echo "$GREETING $NAME $LOCAL $VERSION" > /out/run && echo '$$NAME' > /out/literal
      - copy: "$${literal}.txt"
        to: /out/
"#;
    write_files(
        &dir,
        &engine,
        &[("stagecraft.yaml", spec), ("${literal}.txt", "dollar\n")],
    );
    let (b, out) = engine.export(&dir, &["--build-arg", "VERSION=2.0"]);
    b.assert_ok();
    let read = |f: &str| std::fs::read_to_string(out.join("out").join(f)).unwrap();
    assert_eq!(read("pwd"), "/w/world/fallback/alt\n");
    assert_eq!(read("run"), "hello-world world local-value 2.0\n");
    assert_eq!(read("literal"), "$$NAME\n", "run commands are not expanded");
    assert_eq!(read("${literal}.txt"), "dollar\n");

    let bad = workdir("variables-required");
    write_files(&bad, &engine, &[("stagecraft.yaml", "# syntax=stagecraft:dev\nversion: 1\nargs:\n  TOKEN:\nstages:\n  a:\n    from: busybox\n    workdir: /${TOKEN:?set TOKEN with --build-arg}\n")]);
    engine
        .build(&bad, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains("set TOKEN with --build-arg");
}

#[test]
fn cache_from_imports_a_registry_cache() {
    let engine = Engine::main();
    let dir = workdir("cache-from");
    let marker = format!(
        "stagecraft-cache-{}-{}",
        std::process::id(),
        dir.file_name().unwrap().to_string_lossy()
    );
    let spec = format!("# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && cat /proc/sys/kernel/random/uuid > /out/stamp && echo {marker}\n");
    write_files(&dir, &engine, &[("stagecraft.yaml", &spec)]);
    let registry = engine
        .env
        .get("STAGECRAFT_REGISTRY")
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:5000".to_owned());
    let cache = format!("{registry}/stagecraft-e2e-cache:{}", std::process::id());
    let (b, out) = engine.export(
        &dir,
        &["--cache-to", &format!("type=registry,ref={cache},mode=max")],
    );
    b.assert_ok();
    let first = std::fs::read_to_string(out.join("out/stamp")).unwrap();
    // Drop the local cache of that step only (other tests run concurrently).
    let prune = |engine: &Engine| {
        let out = engine.docker(&[
            "builder",
            "prune",
            "-af",
            "--filter",
            &format!("description~={marker}"),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    prune(&engine);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_ne!(
        std::fs::read_to_string(out.join("out/stamp")).unwrap(),
        first,
        "the local cache was pruned"
    );
    prune(&engine);
    let (b, out) = engine.export(
        &dir,
        &["--cache-from", &format!("type=registry,ref={cache}")],
    );
    b.assert_ok()
        .assert_log_contains("importing cache manifest");
    assert_eq!(
        std::fs::read_to_string(out.join("out/stamp")).unwrap(),
        first,
        "the step came from the imported cache"
    );
}

#[test]
fn linked_artifacts_are_not_recopied_when_the_base_changes() {
    let engine = Engine::main();
    let dir = workdir("link-merge");
    let marker = format!(
        "link-{}-{}",
        std::process::id(),
        dir.file_name().unwrap().to_string_lossy()
    );
    // Two bases with different content: the image, and a stage that adds a file to it.
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nargs:\n  BASE: busybox\nstages:\n  build:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && echo {marker} > /out/artifact\n  other-base:\n    from: busybox\n    steps:\n      - run: echo {marker} > /other-base\n  runtime:\n    from: ${{BASE}}\n    artifacts:\n      - {{ from: build, path: /out/artifact, to: /artifact }}\n"
    );
    write_files(&dir, &engine, &[("stagecraft.yaml", &spec)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("artifact")).unwrap(),
        format!("{marker}\n")
    );
    assert!(!out.join("other-base").exists());
    let (b, out) = engine.export(&dir, &["--build-arg", "BASE=other-base"]);
    b.assert_ok();
    assert!(out.join("other-base").exists(), "the base changed");
    assert_eq!(
        std::fs::read_to_string(out.join("artifact")).unwrap(),
        format!("{marker}\n")
    );
    // The artifact layer does not depend on the base: it comes from the cache.
    let log = &b.log;
    let step = log
        .lines()
        .find(|l| l.contains("ARTIFACT build:/out/artifact"))
        .unwrap_or_else(|| panic!("{log}"));
    let id = step.split_whitespace().next().unwrap().to_owned();
    assert!(
        log.lines().any(|l| l.starts_with(&format!("{id} CACHED"))),
        "artifact re-copied after a base change:\n{log}"
    );
}

#[test]
fn undeclared_build_args_warn_and_shell_is_inherited() {
    let engine = Engine::main();
    let dir = workdir("warn-shell");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  base:\n    from: busybox\n    shell: [\"/bin/sh\", \"-euc\"]\n  child:\n    from: base\n    steps:\n      - run: mkdir -p /out && echo \"$-\" > /out/flags\n";
    write_files(&dir, &engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(&dir, &["--build-arg", "NOT_DECLARED=1"]);
    b.assert_ok()
        .assert_log_contains("--build-arg NOT_DECLARED is not declared");
    let flags = std::fs::read_to_string(out.join("out/flags")).unwrap();
    assert!(
        flags.contains('e') && flags.contains('u'),
        "the child stage runs with its base's shell: {flags}"
    );
}

#[test]
fn a_docker_image_context_in_from_brings_its_config() {
    let engine = Engine::main();
    let dir = workdir("context-image-config");
    let spec =
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: example.com/runtime:1\n";
    write_files(&dir, &engine, &[("stagecraft.yaml", spec)]);
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
