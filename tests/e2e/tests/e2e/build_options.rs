//! Build options: `--no-cache`, labels, hosts, `--call`, `--build-arg` warnings, `--cache-from`.

use e2e::{case, workdir, write_files, Case, Engine, Feature};

pub fn no_cache_reruns_steps_and_labels_hosts_and_config_keys_apply(engine: &Engine) {
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
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
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

pub fn call_targets_outline_and_check(engine: &Engine) {
    let dir = e2e::example("multistage", engine);
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
        engine,
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

pub fn undeclared_build_args_warn_and_shell_is_inherited(engine: &Engine) {
    let dir = workdir("warn-shell");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  base:\n    from: busybox\n    shell: [\"/bin/sh\", \"-euc\"]\n  child:\n    from: base\n    steps:\n      - run: mkdir -p /out && echo \"$-\" > /out/flags\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(
        &dir,
        &[
            "--build-arg",
            "NOT_DECLARED=1",
            "--build-arg",
            "SOURCE_DATE_EPOCH=0",
        ],
    );
    b.assert_ok()
        .assert_log_contains("--build-arg NOT_DECLARED is not declared");
    // The engine reads it (it dates the image): no warning.
    assert!(
        !b.log.contains("SOURCE_DATE_EPOCH is not declared"),
        "{}",
        b.log
    );
    let flags = std::fs::read_to_string(out.join("out/flags")).unwrap();
    assert!(
        flags.contains('e') && flags.contains('u'),
        "the child stage runs with its base's shell: {flags}"
    );
}

pub fn cache_from_imports_a_registry_cache(engine: &Engine) {
    let dir = workdir("cache-from");
    let marker = format!(
        "stagecraft-cache-{}-{}",
        std::process::id(),
        dir.file_name().unwrap().to_string_lossy()
    );
    let spec = format!("# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && cat /proc/sys/kernel/random/uuid > /out/stamp && echo {marker}\n");
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let registry = engine.registry();
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
    prune(engine);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_ne!(
        std::fs::read_to_string(out.join("out/stamp")).unwrap(),
        first,
        "the local cache was pruned"
    );
    prune(engine);
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

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "no_cache_reruns_steps_and_labels_hosts_and_config_keys_apply",
            &[Feature::Buildx],
            no_cache_reruns_steps_and_labels_hosts_and_config_keys_apply,
        ),
        case(
            "call_targets_outline_and_check",
            &[Feature::Buildx, Feature::Call],
            call_targets_outline_and_check,
        ),
        case(
            "undeclared_build_args_warn_and_shell_is_inherited",
            &[Feature::Buildx],
            undeclared_build_args_warn_and_shell_is_inherited,
        ),
        case(
            "cache_from_imports_a_registry_cache",
            &[Feature::Buildx, Feature::CacheExport],
            cache_from_imports_a_registry_cache,
        ),
    ]
}
