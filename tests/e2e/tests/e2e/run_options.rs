//! Build options that shape every `run` step (`--ulimit`, `--shm-size`,
//! `--cgroup-parent`, `BUILDKIT_SANDBOX_HOSTNAME`, `BUILDKIT_CACHE_MOUNT_NS`),
//! `--pull`, `BUILDKIT_MULTI_PLATFORM`, and the warning for an option this
//! frontend does not honour. The Dockerfile frontend on the same engine is
//! the oracle: the same probe runs in both, and what it sees must match.

use e2e::{case, files_below, workdir, write_files, Case, Engine, Feature};

const PROBE: &str = "mkdir -p /out && ulimit -n > /out/nofile && df -k /dev/shm | tail -n 1 | awk '{print $1, $2}' > /out/shm && hostname > /out/hostname && grep -c '/x-e2e.slice/' /proc/self/cgroup > /out/cgroup";

const OPTIONS: &[&str] = &[
    "--no-cache",
    "--ulimit",
    "nofile=1234:1234",
    "--shm-size",
    "96m",
    "--cgroup-parent",
    "x-e2e.slice",
    "--build-arg",
    "BUILDKIT_SANDBOX_HOSTNAME=probe-host",
];

pub fn run_step_options_match_the_dockerfile_frontend(engine: &Engine) {
    let dir = workdir("run-options");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  probe:\n    from: busybox\n    steps:\n      - run: {PROBE:?}\n  result:\n    from: scratch\n    artifacts:\n      - {{ from: probe, path: /out, to: / }}\n"
    );
    let dockerfile =
        format!("FROM busybox AS probe\nRUN {PROBE}\nFROM scratch\nCOPY --from=probe /out /\n");
    write_files(
        &dir,
        engine,
        &[("stagecraft.yaml", &spec), ("Dockerfile", &dockerfile)],
    );
    let read = |file: &str| -> Vec<(String, String)> {
        let out = dir.join(format!("out-{file}"));
        let dest = format!("type=local,dest={}", out.display());
        let mut args = vec!["-f", file];
        args.extend_from_slice(OPTIONS);
        args.extend_from_slice(&["-o", &dest, "."]);
        engine.build(&dir, &args).assert_ok();
        files_below(&out)
            .into_iter()
            .map(|f| {
                let text = std::fs::read_to_string(out.join(&f)).unwrap();
                (f, text)
            })
            .collect()
    };
    let ours = read("stagecraft.yaml");
    let twin = read("Dockerfile");
    assert_eq!(
        ours, twin,
        "the spec's run step sees what the Dockerfile's RUN sees"
    );
    let get = |k: &str| {
        ours.iter()
            .find(|(f, _)| f == k)
            .map(|(_, t)| t.trim().to_owned())
    };
    assert_eq!(get("nofile").as_deref(), Some("1234"));
    assert_eq!(get("shm").as_deref(), Some("tmpfs 98304"));
    assert_eq!(get("hostname").as_deref(), Some("probe-host"));
    assert_ne!(
        get("cgroup").as_deref(),
        Some("0"),
        "the step runs below the parent cgroup"
    );
}

pub fn cache_mount_namespaces_keep_caches_apart(engine: &Engine) {
    let dir = workdir("cache-ns");
    let id = e2e::unique("e2e-ns-cache");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nargs:\n  RUN_NO: \"1\"\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo \"run $RUN_NO\" >> /cache/log && mkdir -p /out && cp /cache/log /out/log\n        cache: [{{ target: /cache, id: {id} }}]\n  result:\n    from: scratch\n    artifacts:\n      - {{ from: a, path: /out/log, to: /log }}\n"
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    // Each build's RUN_NO is new (the cache id is unique to this run), so its
    // step runs: the engine leaves cache mounts out of a step's cache key,
    // and a cached result would hide which cache the step saw.
    let log = |ns: &str, run: &str| {
        let ns_arg = format!("BUILDKIT_CACHE_MOUNT_NS={ns}");
        let run_arg = format!("RUN_NO={run}-{id}");
        let (b, out) = engine.export(&dir, &["--build-arg", &ns_arg, "--build-arg", &run_arg]);
        b.assert_ok();
        std::fs::read_to_string(out.join("log"))
            .unwrap()
            .replace(&format!("-{id}"), "")
    };
    assert_eq!(log("one", "1"), "run 1\n");
    assert_eq!(log("two", "2"), "run 2\n", "another namespace starts empty");
    assert_eq!(
        log("one", "3"),
        "run 1\nrun 3\n",
        "the first namespace kept its cache"
    );
}

pub fn pull_resolves_base_images_from_the_registry(engine: &Engine) {
    // busybox:latest exists only in the engine's image store (imported, never
    // pushed to docker.io): with --pull it must be looked up in the registry.
    let dir = workdir("pull");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo ok\n",
        )],
    );
    engine.export(&dir, &[]).0.assert_ok();
    engine
        .export(&dir, &["--pull"])
        .0
        .assert_failed()
        .assert_log_contains("docker.io/library/busybox:latest");
}

pub fn multi_platform_argument_exports_one_platform_as_a_platform_directory(engine: &Engine) {
    let dir = workdir("multi-platform-arg");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo hi > /hi\n  result:\n    from: scratch\n    artifacts:\n      - { from: a, path: /hi, to: /hi }\n",
        )],
    );
    let (b, out) = engine.export(&dir, &["--build-arg", "BUILDKIT_MULTI_PLATFORM=1"]);
    b.assert_ok();
    assert_eq!(files_below(&out), ["linux_amd64/hi"]);
}

pub fn an_option_this_frontend_does_not_know_is_named_in_a_warning(engine: &Engine) {
    let dir = workdir("unknown-option");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n",
        )],
    );
    engine
        .export(&dir, &["--build-arg", "BUILDKIT_NOT_A_THING=1"])
        .0
        .assert_ok()
        .assert_log_contains("--build-arg BUILDKIT_NOT_A_THING is ignored");
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "run_step_options_match_the_dockerfile_frontend",
            &[Feature::Buildx],
            run_step_options_match_the_dockerfile_frontend,
        ),
        case(
            "cache_mount_namespaces_keep_caches_apart",
            &[],
            cache_mount_namespaces_keep_caches_apart,
        ),
        case(
            "pull_resolves_base_images_from_the_registry",
            &[Feature::Buildx],
            pull_resolves_base_images_from_the_registry,
        ),
        case(
            "multi_platform_argument_exports_one_platform_as_a_platform_directory",
            &[Feature::Buildx],
            multi_platform_argument_exports_one_platform_as_a_platform_directory,
        ),
        case(
            "an_option_this_frontend_does_not_know_is_named_in_a_warning",
            &[Feature::Buildx, Feature::Warnings],
            an_option_this_frontend_does_not_know_is_named_in_a_warning,
        ),
    ]
}
