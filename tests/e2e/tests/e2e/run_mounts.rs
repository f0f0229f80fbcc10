//! `run` steps with mounts and options, on the real engine: caches persist,
//! secrets are readable but never in the image, tmpfs, bind mounts, network.

use e2e::{case, files_below, workdir, write_files, Case, Engine, Feature};

pub fn cache_mount_keeps_its_content_across_builds(engine: &Engine) {
    let dir = workdir("cache-mount");
    let id = e2e::unique("e2e-cache");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nargs:\n  RUN_NO: \"1\"\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo \"run $RUN_NO\" >> /cache/log && mkdir -p /out && cp /cache/log /out/log\n        cache: [{{ target: /cache, id: {id} }}]\n  result:\n    from: scratch\n    artifacts:\n      - {{ from: a, path: /out/log, to: /log }}\n"
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    // RUN_NO values no earlier run used, so that both steps run: the engine
    // leaves cache mounts out of a step's cache key.
    let log = |run: &str| {
        let arg = format!("RUN_NO={run}-{id}");
        let (b, out) = engine.export(&dir, &["--build-arg", &arg]);
        b.assert_ok();
        std::fs::read_to_string(out.join("log"))
            .unwrap()
            .replace(&format!("-{id}"), "")
    };
    assert_eq!(log("1"), "run 1\n");
    assert_eq!(log("2"), "run 1\nrun 2\n");
}

pub fn secrets_are_readable_as_file_and_env_and_never_in_the_image(engine: &Engine) {
    let dir = workdir("secrets");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && cat /run/secrets/token > /out/from-file && echo \"$API_TOKEN\" > /out/from-env && cat /etc/custom-token > /out/from-target\n        secrets:\n          - { id: token }\n          - { id: token, env: API_TOKEN }\n          - { id: token, target: /etc/custom-token }\n";
    write_files(
        &dir,
        engine,
        &[("stagecraft.yaml", spec), ("token.txt", "s3cr3t-value")],
    );
    let secret = format!("id=token,src={}", dir.join("token.txt").display());
    let (b, out) = engine.export(&dir, &["--secret", &secret]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/from-file")).unwrap(),
        "s3cr3t-value"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("out/from-env")).unwrap(),
        "s3cr3t-value\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("out/from-target")).unwrap(),
        "s3cr3t-value"
    );
    assert!(
        !out.join("run/secrets/token").exists()
            || std::fs::read_to_string(out.join("run/secrets/token"))
                .unwrap()
                .is_empty()
    );
    assert!(
        !out.join("etc/custom-token").exists()
            || std::fs::read_to_string(out.join("etc/custom-token"))
                .unwrap()
                .is_empty()
    );
    for f in files_below(&out) {
        if f.starts_with("out/") {
            continue;
        }
        let bytes = std::fs::read(out.join(&f)).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("s3cr3t-value"),
            "secret leaked into {f}"
        );
    }
}

pub fn missing_required_secret_fails_the_build(engine: &Engine) {
    let dir = workdir("secret-required");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: cat /run/secrets/absent\n        secrets: [{ id: absent, required: true }]\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("absent");
}

pub fn tmpfs_and_bind_mounts(engine: &Engine) {
    let dir = workdir("tmpfs-bind");
    // Bind mounts are read-only unless `readwrite`; writes to a readwrite bind and to a
    // tmpfs do not reach the next step.
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  data:\n    from: busybox\n    steps:\n      - run: mkdir -p /data && echo from-stage > /data/file\n  a:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && echo t > /scratch/x && grep -q ' /scratch tmpfs' /proc/mounts && cat /mnt/stage/file > /out/stage && ! touch /mnt/stage/y 2>/dev/null && ls /mnt/img/bin/busybox > /out/img && echo rw > /mnt/rw/new\n        tmpfs: [/scratch]\n        mounts:\n          - { from: data, source: /data, target: /mnt/stage }\n          - { from: busybox, target: /mnt/img }\n          - { from: data, source: /data, target: /mnt/rw, readwrite: true }\n      - run: test ! -e /scratch/x && test ! -e /mnt/rw/new\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/stage")).unwrap(),
        "from-stage\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("out/img")).unwrap(),
        "/mnt/img/bin/busybox\n"
    );
}

pub fn bind_mount_from_a_named_context(engine: &Engine) {
    let dir = workdir("bind-named-context");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && cat /mnt/extra/hello.txt > /out/hello\n        mounts:\n          - { from: extra, target: /mnt/extra }\n";
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", spec),
            ("extra/hello.txt", "named context\n"),
        ],
    );
    let ctx = format!("extra={}", dir.join("extra").display());
    let (b, out) = engine.export(&dir, &["--build-context", &ctx]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/hello")).unwrap(),
        "named context\n"
    );
}

pub fn network_none_has_no_network_and_host_needs_the_entitlement(engine: &Engine) {
    let dir = workdir("network");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: |\n          mkdir -p /out && tail -n +3 /proc/net/dev | wc -l > /out/links\n        network: none\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    // Only the loopback interface exists without a network.
    assert_eq!(
        std::fs::read_to_string(out.join("out/links"))
            .unwrap()
            .trim(),
        "1"
    );

    let host = workdir("network-host");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo host\n        network: host\n";
    write_files(&host, engine, &[("stagecraft.yaml", spec)]);
    engine
        .export(&host, &[])
        .0
        .assert_failed()
        .assert_log_contains("network.host");
}

pub fn ssh_mount_forwards_the_agent_and_required_ssh_fails_without_it(engine: &Engine) {
    let dir = workdir("ssh");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && test -S \"$SSH_AUTH_SOCK\" && echo \"$SSH_AUTH_SOCK\" > /out/sock && test -S /run/custom.sock && echo yes > /out/custom\n        ssh:\n          - { id: default, required: true }\n          - { id: default, target: /run/custom.sock }\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let sock = dir.join("agent.sock");
    let mut agent = std::process::Command::new("ssh-agent")
        .args(["-D", "-a", sock.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let ssh = format!("default={}", sock.display());
    let (b, out) = engine.export(&dir, &["--ssh", &ssh]);
    let _ = agent.kill();
    let _ = agent.wait();
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/sock")).unwrap(),
        "/run/buildkit/ssh_agent.0\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("out/custom")).unwrap(),
        "yes\n"
    );
    engine.export(&dir, &["--no-cache"]).0.assert_failed();
}

pub fn insecure_needs_the_entitlement_and_network_option_applies(engine: &Engine) {
    let dir = workdir("insecure");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo insecure\n        security: insecure\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("security.insecure");

    let net = workdir("network-option");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: |\n          mkdir -p /out && tail -n +3 /proc/net/dev | wc -l > /out/links\n";
    write_files(&net, engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(&net, &["--network", "none"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/links"))
            .unwrap()
            .trim(),
        "1"
    );
}

/// With `--allow security.insecure` (and a daemon that grants it), a
/// `security: insecure` step runs with every capability, where a
/// `security: sandbox` step (the default) has the engine's default set.
pub fn insecure_step_runs_with_every_capability(engine: &Engine) {
    let dir = workdir("insecure-granted");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && grep CapEff /proc/self/status > /out/insecure\n        security: insecure\n      - run: grep CapEff /proc/self/status > /out/sandbox\n        security: sandbox\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(&dir, &["--allow", "security.insecure"]);
    b.assert_ok();
    let caps = |f: &str| {
        let text = std::fs::read_to_string(out.join("out").join(f)).unwrap();
        let hex = text.split_whitespace().nth(1).unwrap().to_owned();
        u64::from_str_radix(&hex, 16).unwrap()
    };
    let (insecure, sandbox) = (caps("insecure"), caps("sandbox"));
    // CAP_SYS_ADMIN (21) only in the insecure step; every default cap in both.
    assert!(insecure & (1 << 21) != 0, "insecure: {insecure:x}");
    assert!(sandbox & (1 << 21) == 0, "sandbox: {sandbox:x}");
    assert_eq!(insecure & sandbox, sandbox, "{insecure:x} {sandbox:x}");
}

pub fn step_options_and_full_cache_and_tmpfs_forms(engine: &Engine) {
    let dir = workdir("step-options");
    let id = e2e::unique("e2e-owned-cache");
    let spec = format!(
        r#"# syntax=stagecraft:dev
version: 1
args:
  CACHE_ID: {id}
stages:
  a:
    from: busybox
    workdir: /w
    steps:
      - run: echo 'builder:x:2000:2000::/:/bin/sh' >> /etc/passwd && mkdir -p /out /w/sub && chmod 0777 /out
      - run: id -u > /out/uid && pwd > /out/pwd && echo "$STEP_VAR" > /out/env
        description: "step with its own env, workdir and user"
        env:
          STEP_VAR: only-here
        workdir: sub
        user: builder
      - run: echo "${{STEP_VAR:-unset}}" > /out/env-after && stat -c '%a %u %g' /owned > /out/cache-stat && df -k /small | tail -1 | awk '{{print $2}}' > /out/tmpfs-kb
        cache:
          - {{ target: /owned, id: "${{CACHE_ID}}", sharing: private, mode: "0700", uid: 2000, gid: 2000 }}
        tmpfs:
          - {{ target: /small, size: 2m }}
      - run: if touch /ro/x 2>/dev/null; then echo writable; else echo readonly; fi > /out/ro
        cache:
          - {{ target: /ro, id: "${{CACHE_ID}}-ro", readonly: true }}
"#
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok()
        .assert_log_contains("step with its own env, workdir and user");
    let read = |f: &str| std::fs::read_to_string(out.join("out").join(f)).unwrap();
    assert_eq!(read("uid"), "2000\n");
    assert_eq!(read("pwd"), "/w/sub\n");
    assert_eq!(read("env"), "only-here\n");
    assert_eq!(
        read("env-after"),
        "unset\n",
        "step env is for that step only"
    );
    assert_eq!(read("cache-stat"), "700 2000 2000\n");
    assert_eq!(read("tmpfs-kb"), "2048\n");
    assert_eq!(read("ro"), "readonly\n");
}

/// A bind mount without `from` is the build context; only its `source`
/// is sent (and `.dockerignore` applies).
pub fn a_mount_without_from_binds_the_build_context(engine: &Engine) {
    let dir = workdir("context-bind");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && cat /mnt/ctx/a.txt > /out/a && ls -a /mnt/ctx > /out/ls && ! touch /mnt/ctx/new 2>/dev/null\n        mounts: [{ source: /data, target: /mnt/ctx }]\n  result:\n    from: scratch\n    artifacts:\n      - { from: a, path: /out, to: / }\n";
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", spec),
            ("data/a.txt", "from the context\n"),
            ("data/ignored.txt", "ignored\n"),
            ("other/b.txt", "not mounted\n"),
            (".dockerignore", "data/ignored.txt\n"),
        ],
    );
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("a")).unwrap(),
        "from the context\n"
    );
    let listing = std::fs::read_to_string(out.join("ls")).unwrap();
    let names: Vec<&str> = listing.lines().filter(|l| !l.starts_with('.')).collect();
    assert_eq!(
        names,
        ["a.txt"],
        "only the mounted directory, less .dockerignore"
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "a_mount_without_from_binds_the_build_context",
            &[],
            a_mount_without_from_binds_the_build_context,
        ),
        case(
            "cache_mount_keeps_its_content_across_builds",
            &[Feature::Buildx],
            cache_mount_keeps_its_content_across_builds,
        ),
        case(
            "secrets_are_readable_as_file_and_env_and_never_in_the_image",
            &[Feature::Buildx],
            secrets_are_readable_as_file_and_env_and_never_in_the_image,
        ),
        case(
            "missing_required_secret_fails_the_build",
            &[Feature::Buildx],
            missing_required_secret_fails_the_build,
        ),
        case(
            "tmpfs_and_bind_mounts",
            &[Feature::Buildx],
            tmpfs_and_bind_mounts,
        ),
        case(
            "bind_mount_from_a_named_context",
            &[Feature::Buildx, Feature::BuildContexts],
            bind_mount_from_a_named_context,
        ),
        case(
            "network_none_has_no_network_and_host_needs_the_entitlement",
            &[Feature::Buildx],
            network_none_has_no_network_and_host_needs_the_entitlement,
        ),
        case(
            "ssh_mount_forwards_the_agent_and_required_ssh_fails_without_it",
            &[Feature::Buildx],
            ssh_mount_forwards_the_agent_and_required_ssh_fails_without_it,
        ),
        case(
            "insecure_needs_the_entitlement_and_network_option_applies",
            &[Feature::Buildx],
            insecure_needs_the_entitlement_and_network_option_applies,
        ),
        case(
            "insecure_step_runs_with_every_capability",
            &[Feature::Buildx, Feature::InsecureEntitlement],
            insecure_step_runs_with_every_capability,
        ),
        case(
            "step_options_and_full_cache_and_tmpfs_forms",
            &[Feature::Buildx],
            step_options_and_full_cache_and_tmpfs_forms,
        ),
    ]
}
