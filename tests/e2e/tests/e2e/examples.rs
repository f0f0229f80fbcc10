//! The examples in `examples/`, built through `docker buildx build` on the real engine.

use e2e::{case, example, files_below, Case, Engine, Feature};

pub fn multistage_example_builds_runs_and_has_its_config(engine: &Engine) {
    let dir = example("multistage", engine);
    let tag = engine.tag("multistage");
    engine
        .build_image(&dir, &["-f", "stagecraft.yaml", "."], &tag)
        .assert_ok();

    let (ok, out) = engine.run(&[&tag]);
    assert!(ok, "{out}");
    assert!(
        out.contains("hello from stagecraft (user app, home /app)"),
        "{out}"
    );

    let img = engine.inspect(&tag);
    let cfg = &img["Config"];
    assert_eq!(cfg["User"], "app");
    assert_eq!(cfg["WorkingDir"], "/app");
    assert_eq!(cfg["Entrypoint"], serde_json::json!(["/app/server"]));
    assert_eq!(cfg["Cmd"], serde_json::json!(["--serve"]));
    assert!(cfg["ExposedPorts"].get("8080/tcp").is_some(), "{cfg}");
    assert_eq!(
        cfg["Labels"]["org.opencontainers.image.title"],
        "stagecraft multistage example"
    );
    let env: Vec<String> = serde_json::from_value(cfg["Env"].clone()).unwrap();
    assert!(
        env.iter()
            .any(|e| e.starts_with("PATH=") && e.contains("/bin")),
        "inherited PATH missing: {env:?}"
    );
    assert!(env.contains(&"APP_HOME=/app".to_owned()), "{env:?}");
    assert!(
        !env.iter().any(|e| e.starts_with("GREETING=")),
        "build args must not leak into the image: {env:?}"
    );
    let hc = &cfg["Healthcheck"];
    assert_eq!(
        hc["Test"],
        serde_json::json!(["CMD", "/app/server", "--check"])
    );
    assert_eq!(hc["Interval"], 30_000_000_000u64);
    assert_eq!(hc["Timeout"], 3_000_000_000u64);
    assert_eq!(hc["Retries"], 3);
    assert_eq!(img["Architecture"], "amd64");
    assert_eq!(img["Os"], "linux");
}

pub fn multistage_runtime_holds_only_the_selected_artifact(engine: &Engine) {
    let dir = example("multistage", engine);
    let (build, out) = engine.export(&dir, &[]);
    build.assert_ok();
    let files = files_below(&out);
    assert!(files.contains(&"app/server".to_owned()), "{files:?}");
    for builder_only in ["src/deps.txt", "src/src/main.sh", "deps/lock", "out/server"] {
        assert!(
            !files.contains(&builder_only.to_owned()),
            "builder file {builder_only} leaked into the runtime: {files:?}"
        );
    }
    assert!(!out.join("src").exists() && !out.join("deps").exists() && !out.join("out").exists());
    let passwd = std::fs::read_to_string(out.join("etc/passwd")).unwrap();
    assert!(passwd.contains("app:x:10001:10001"), "{passwd}");
    let server = std::fs::read_to_string(out.join("app/server")).unwrap();
    assert!(server.contains("resolved busybox-sh 1.36"), "{server}");
}

pub fn target_builder_exports_the_builder_filesystem(engine: &Engine) {
    let dir = example("multistage", engine);
    let (build, out) = engine.export(&dir, &["--target", "builder"]);
    build.assert_ok();
    for f in ["src/deps.txt", "src/src/main.sh", "deps/lock", "out/server"] {
        assert!(
            out.join(f).is_file(),
            "{f} missing from the builder export: {:?}",
            files_below(&out)
        );
    }
}

pub fn build_arg_changes_what_is_built(engine: &Engine) {
    let dir = example("multistage", engine);
    let (build, out) = engine.export(
        &dir,
        &[
            "--build-arg",
            "GREETING=bonjour",
            "--build-arg",
            "APP_NAME=other",
            "--target",
            "builder",
        ],
    );
    build.assert_ok();
    let built = std::fs::read_to_string(out.join("out/other")).unwrap();
    assert!(built.contains("GREETING='bonjour'"), "{built}");
    assert!(!out.join("out/server").exists());
}

pub fn scratch_stage_exports_exactly_the_artifacts_of_two_stages(engine: &Engine) {
    let dir = example("scratch-artifacts", engine);
    let (build, out) = engine.export(&dir, &[]);
    build.assert_ok();
    assert_eq!(
        files_below(&out),
        vec!["README.txt".to_owned(), "VERSION".to_owned()]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("VERSION")).unwrap(),
        "1.2.3\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("README.txt")).unwrap(),
        "documentation\n"
    );
}

pub fn caches_and_secrets_example(engine: &Engine) {
    let dir = example("caches-and-secrets", engine);
    std::fs::write(dir.join("token.txt"), "example-token-123").unwrap();
    let out = dir.join("out");
    let secret = format!("id=api_token,src={}", dir.join("token.txt").display());
    let dest = format!("type=local,dest={}", out.display());
    engine
        .build(
            &dir,
            &[
                "-f",
                "stagecraft.yaml",
                "--secret",
                &secret,
                "-o",
                &dest,
                ".",
            ],
        )
        .assert_ok();
    assert_eq!(
        files_below(&out),
        vec!["auth.log".to_owned(), "fetch.log".to_owned()]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("auth.log")).unwrap(),
        "authenticated with a token of 17 characters\n"
    );
    let log = std::fs::read_to_string(out.join("fetch.log")).unwrap();
    assert!(log.contains("zlib") && log.contains("openssl"), "{log}");
    // The outline lists the secret the target needs.
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "--call=outline", "."])
        .assert_ok()
        .assert_log_contains("api_token");
    // Without the secret the build fails: it is required.
    engine
        .build(
            &dir,
            &["-f", "stagecraft.yaml", "--no-cache", "-o", &dest, "."],
        )
        .assert_failed();
}

pub fn cross_compile_example(engine: &Engine) {
    let dir = example("cross-compile", engine);
    let out = dir.join("out");
    let dest = format!("type=local,dest={}", out.display());
    engine
        .build_to(&dir, &dest, &["--platform", "linux/amd64,linux/arm64"])
        .assert_ok();
    let arm = std::fs::read_to_string(out.join("linux_arm64/app")).unwrap();
    assert!(
        arm.contains("app for linux/arm64, built on linux/amd64"),
        "{arm}"
    );
    let amd = std::fs::read_to_string(out.join("linux_amd64/app")).unwrap();
    assert!(
        amd.contains("app for linux/amd64, built on linux/amd64"),
        "{amd}"
    );
    assert_eq!(
        files_below(&out.join("linux_arm64")),
        vec!["app".to_owned()]
    );
}

pub fn needs_tests_example(engine: &Engine) {
    let dir = example("needs-tests", engine);
    let out = dir.join("out");
    let dest = format!("type=local,dest={}", out.display());
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "-o", &dest, "."])
        .assert_ok();
    assert_eq!(files_below(&out), vec!["calc".to_owned()]);
    engine
        .build(
            &dir,
            &[
                "-f",
                "stagecraft.yaml",
                "--build-arg",
                "BREAK_TESTS=1",
                "-o",
                &dest,
                ".",
            ],
        )
        .assert_failed()
        .assert_log_contains("tests broken on purpose");
}

/// The language 1.1 imports example: each service's spec beside its code,
/// the shared check imported by both, the release assembled from their
/// stages; the release's VERSION reaches every service through its
/// import's `args`, a service's own argument through `--build-arg
/// greeter.GREETING`.
/// The lock workflow of `examples/lock-workflow`: `--call=lock` saved as
/// `stagecraft.yaml.lock`, then a strict build pins busybox to the locked
/// digest; a lock without it fails the strict build at the spec's line.
pub fn lock_workflow_example_locks_then_builds_strictly(engine: &Engine) {
    let dir = example("lock-workflow", engine);
    let b = engine.build(&dir, &["--call=lock", "-f", "stagecraft.yaml", "."]);
    b.assert_ok();
    let lock = e2e::lock_of(&b.log);
    assert!(
        lock.starts_with("version: 1\nimages:\n  docker.io/library/busybox:latest: sha256:")
            && lock.ends_with("git: {}\n"),
        "{}",
        b.log
    );
    let digest = lock
        .lines()
        .find_map(|l| l.strip_prefix("  docker.io/library/busybox:latest: "))
        .unwrap()
        .to_owned();
    std::fs::write(dir.join("stagecraft.yaml.lock"), &lock).unwrap();
    let (b, out) = engine.export(&dir, &["--build-arg", "STAGECRAFT_LOCK=strict"]);
    b.assert_ok()
        .assert_log_contains(&format!("docker.io/library/busybox:latest@{digest}"));
    assert!(!b.log.contains("lock-missing"), "{}", b.log);
    let hello = std::fs::read_to_string(out.join("usr/local/bin/hello")).unwrap();
    assert!(hello.contains("hello from 1.0.0"), "{hello}");

    std::fs::write(
        dir.join("stagecraft.yaml.lock"),
        "version: 1\nimages: {}\ngit: {}\n",
    )
    .unwrap();
    engine
        .export(&dir, &["--build-arg", "STAGECRAFT_LOCK=strict"])
        .0
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:16:")
        .assert_log_contains("`docker.io/library/busybox:latest` is not in stagecraft.yaml.lock");
}

pub fn monorepo_example_builds_each_service_through_imports(engine: &Engine) {
    let dir = example("monorepo-imports", engine);
    let (b, out) = engine.export(&dir, &["--no-cache"]);
    b.assert_ok();
    let files = files_below(&out);
    for f in ["usr/local/bin/greeter", "srv/www/index.html"] {
        assert!(files.contains(&f.to_owned()), "{f} missing: {files:?}");
    }
    for ran in [
        "shell check passed: services/greeter/greeter.sh",
        "shell check passed: services/site/render.sh",
        "greeter tests passed",
        "site tests passed",
    ] {
        b.assert_log_contains(ran);
    }
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    assert!(read("usr/local/bin/greeter").contains("hello, ${1:-you} (greeter 1.0.0)"));
    assert!(read("srv/www/index.html").contains("version 1.0.0"));

    let (b, out) = engine.export(
        &dir,
        &[
            "--build-arg",
            "VERSION=2.0.0",
            "--build-arg",
            "greeter.GREETING=hi",
        ],
    );
    b.assert_ok();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    assert!(read("usr/local/bin/greeter").contains("hi, ${1:-you} (greeter 2.0.0)"));
    assert!(read("srv/www/index.html").contains("version 2.0.0"));
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "lock_workflow_example_locks_then_builds_strictly",
            &[Feature::Buildx, Feature::Call],
            lock_workflow_example_locks_then_builds_strictly,
        ),
        case(
            "monorepo_example_builds_each_service_through_imports",
            &[],
            monorepo_example_builds_each_service_through_imports,
        ),
        case(
            "multistage_example_builds_runs_and_has_its_config",
            &[],
            multistage_example_builds_runs_and_has_its_config,
        ),
        case(
            "multistage_runtime_holds_only_the_selected_artifact",
            &[Feature::Buildx],
            multistage_runtime_holds_only_the_selected_artifact,
        ),
        case(
            "target_builder_exports_the_builder_filesystem",
            &[Feature::Buildx],
            target_builder_exports_the_builder_filesystem,
        ),
        case(
            "build_arg_changes_what_is_built",
            &[Feature::Buildx],
            build_arg_changes_what_is_built,
        ),
        case(
            "scratch_stage_exports_exactly_the_artifacts_of_two_stages",
            &[Feature::Buildx],
            scratch_stage_exports_exactly_the_artifacts_of_two_stages,
        ),
        case(
            "caches_and_secrets_example",
            &[Feature::Buildx, Feature::Call],
            caches_and_secrets_example,
        ),
        case(
            "cross_compile_example",
            &[Feature::Buildx, Feature::MultiPlatform],
            cross_compile_example,
        ),
        case(
            "needs_tests_example",
            &[Feature::Buildx],
            needs_tests_example,
        ),
    ]
}
