//! Which arguments reach a `run` step (language 1.1): those its command
//! names and those its stage declares, nothing else. Checked through the
//! engine's cache: a step whose inputs did not change is `CACHED`.

use e2e::{case, unique, workdir, write_files, Build, Case, Engine, Feature};

/// The progress ids (`#7`) of the vertices whose name contains `needle`.
fn vertex_ids(b: &Build, needle: &str) -> Vec<String> {
    let mut ids: Vec<String> = b
        .log
        .lines()
        .filter(|l| l.contains(needle) && l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn is_cached(b: &Build, id: &str) -> bool {
    b.log.lines().any(|l| l == format!("{id} CACHED"))
}

pub fn a_build_arg_used_only_by_a_label_leaves_every_run_step_cached(engine: &Engine) {
    let dir = workdir("run-args-label");
    let marker = unique("label-only");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nargs:\n  VERSION: \"1\"\n  MARKER: {marker}\nstages:\n  deps:\n    from: busybox\n    steps:\n      - run: echo \"$MARKER\" > /deps\n  app:\n    from: deps\n    steps:\n      - run: echo app-{marker} > /app\n    image:\n      labels:\n        version: ${{VERSION}}\n"
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let (b, out) = engine.export(&dir, &["--build-arg", "VERSION=1"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("deps")).unwrap(),
        format!("{marker}\n"),
        "a named argument reaches its step"
    );
    let (b, _) = engine.export(&dir, &["--build-arg", "VERSION=2"]);
    b.assert_ok();
    let runs = vertex_ids(&b, "] RUN echo");
    assert_eq!(runs.len(), 2, "two run steps in:\n{}", b.log);
    for id in &runs {
        assert!(
            is_cached(&b, id),
            "{id} re-ran after a label-only --build-arg:\n{}",
            b.log
        );
    }
    // A stage that declares the argument does receive it.
    let declared = spec.replace(
        "  app:\n    from: deps\n",
        "  app:\n    from: deps\n    args:\n      VERSION:\n",
    );
    let declared = declared.replace(
        "> /app",
        "> /app && echo \"v=$(env | grep -c ^VERSION=)\" > /seen",
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &declared)]);
    let (b, out) = engine.export(&dir, &["--build-arg", "VERSION=3"]);
    b.assert_ok();
    assert_eq!(std::fs::read_to_string(out.join("seen")).unwrap(), "v=1\n");
}

pub fn a_build_platform_stage_naming_no_target_argument_is_solved_once(engine: &Engine) {
    let dir = workdir("run-args-platform");
    let marker = unique("once");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  tool:\n    from: busybox\n    platform: ${{BUILDPLATFORM}}\n    steps:\n      - run: mkdir -p /out && echo {marker} > /out/tool\n  arch:\n    from: busybox\n    platform: ${{BUILDPLATFORM}}\n    steps:\n      - run: mkdir -p /out && echo \"$TARGETARCH {marker}\" > /out/arch\n  dist:\n    from: scratch\n    artifacts:\n      - {{ from: tool, path: /out/tool, to: /tool }}\n      - {{ from: arch, path: /out/arch, to: /arch }}\n"
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let (b, out) = engine.export(&dir, &["--platform", "linux/amd64,linux/arm64"]);
    b.assert_ok();
    assert_eq!(
        vertex_ids(&b, &format!("echo {marker} > /out/tool")).len(),
        1,
        "the tool stage is one vertex for both platforms:\n{}",
        b.log
    );
    assert_eq!(
        vertex_ids(&b, "> /out/arch").len(),
        2,
        "a command naming $TARGETARCH is built per platform:\n{}",
        b.log
    );
    for arch in ["amd64", "arm64"] {
        let dir = out.join(format!("linux_{arch}"));
        assert_eq!(
            std::fs::read_to_string(dir.join("tool")).unwrap(),
            format!("{marker}\n")
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("arch")).unwrap(),
            format!("{arch} {marker}\n"),
            "$TARGETARCH reaches the command without a declaration"
        );
    }
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "a_build_arg_used_only_by_a_label_leaves_every_run_step_cached",
            &[Feature::Buildx],
            a_build_arg_used_only_by_a_label_leaves_every_run_step_cached,
        ),
        case(
            "a_build_platform_stage_naming_no_target_argument_is_solved_once",
            &[Feature::Buildx, Feature::MultiPlatform],
            a_build_platform_stage_naming_no_target_argument_is_solved_once,
        ),
    ]
}
