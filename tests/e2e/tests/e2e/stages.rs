//! Stage keys: `needs`, variables in stage and step values, linked artifacts across base changes.

use e2e::{case, files_below, workdir, write_files, Case, Engine, Feature};

pub fn a_failing_needs_stage_fails_the_build(engine: &Engine) {
    let dir = workdir("needs");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  test:\n    from: busybox\n    steps:\n      - run: echo testing && exit 7\n  app:\n    from: scratch\n    needs: [test]\n    steps:\n      - copy: a.txt\n        to: /a.txt\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec), ("a.txt", "a")]);
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("exit code: 7")
        .assert_log_contains(">>>       - run: echo testing && exit 7");
    let ok = spec.replace("exit 7", "exit 0");
    write_files(&dir, engine, &[("stagecraft.yaml", &ok)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok().assert_log_contains("echo testing");
    assert_eq!(files_below(&out), vec!["a.txt".to_owned()]);
}

pub fn variable_forms_expand_and_args_reach_run_steps(engine: &Engine) {
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
        engine,
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
    write_files(&bad, engine, &[("stagecraft.yaml", "# syntax=stagecraft:dev\nversion: 1\nargs:\n  TOKEN:\nstages:\n  a:\n    from: busybox\n    workdir: /${TOKEN:?set TOKEN with --build-arg}\n")]);
    engine
        .build(&bad, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains("set TOKEN with --build-arg");
}

pub fn linked_artifacts_are_not_recopied_when_the_base_changes(engine: &Engine) {
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
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("artifact")).unwrap(),
        format!("{marker}\n")
    );
    assert!(!out.join("other-base").exists());
    let (b, out) = engine.export(
        &dir,
        &["--build-arg", "BASE=other-base", "--progress=rawjson"],
    );
    b.assert_ok();
    assert!(out.join("other-base").exists(), "the base changed");
    assert_eq!(
        std::fs::read_to_string(out.join("artifact")).unwrap(),
        format!("{marker}\n")
    );
    // The artifact layer does not depend on the base: its copy comes from the
    // cache, and only the `LINK` merge onto the new base runs (buildx shows the
    // two as one progress line, so the vertices are read from rawjson).
    let log = &b.log;
    let start = log.find('{').unwrap_or(log.len());
    let mut copy_cached = None;
    let mut merge_seen = false;
    for status in serde_json::Deserializer::from_str(&log[start..])
        .into_iter::<serde_json::Value>()
        .map_while(Result::ok)
    {
        for v in status["vertexes"].as_array().into_iter().flatten() {
            let name = v["name"].as_str().unwrap_or_default();
            if name == "[runtime 2/2] ARTIFACT build:/out/artifact /artifact" {
                if v["cached"].as_bool() == Some(true) {
                    copy_cached = Some(true);
                } else if v.get("completed").is_some() {
                    copy_cached.get_or_insert(false);
                }
            }
            merge_seen |= name == "[runtime 2/2] LINK ARTIFACT build:/out/artifact /artifact";
        }
    }
    assert_eq!(
        copy_cached,
        Some(true),
        "artifact re-copied after a base change:\n{log}"
    );
    assert!(merge_seen, "the LINK merge onto the new base:\n{log}");
}

/// An image that two stages start from and a copy and a mount read is
/// resolved once, pinned, and shown as one vertex named as the Dockerfile
/// frontend names a shared base (`FROM REF[@DIGEST]`, no stage); an image only
/// one stage starts from keeps the `[stage 1/n] FROM` name.
pub fn an_image_used_by_several_stages_is_one_vertex(engine: &Engine) {
    let dir = workdir("shared-base-vertex");
    // An image of this test's own (busybox under a new name): the engine
    // shares a vertex between concurrent builds and shows the name of the
    // first, so another test's busybox would lend its name.
    let image = engine.tag("shared-base");
    let tagged = engine.docker(&["tag", "busybox", &image]);
    assert!(tagged.status.success(), "{tagged:?}");
    let spec = format!("# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: {image}\n    steps:\n      - run: echo a > /a\n        mounts: [{{ from: {image}, target: /m }}]\n  b:\n    from: {image}\n    steps:\n      - copy: /a\n        from: a\n        to: /a\n      - copy: /bin/true\n        from: {image}\n        to: /t\n");
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert!(out.join("t").exists() && out.join("a").exists());
    let names: std::collections::BTreeSet<&str> = b
        .log
        .lines()
        .filter(|l| l.starts_with('#') && l.contains(&image) && !l.contains(" resolve "))
        .filter_map(|l| l.split_once(' ').map(|(_, n)| n))
        .filter(|n| !n.starts_with("[internal] load metadata"))
        .collect();
    assert_eq!(
        names.len(),
        1,
        "one vertex for the image: {names:?}\n{}",
        b.log
    );
    let name = names.iter().next().unwrap();
    assert!(
        // Pinned where the engine reports the digest (not the classic
        // image store's local images).
        name.starts_with(&format!("FROM docker.io/{image}")),
        "{name}"
    );

    let single = format!("# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: {image}\n    steps:\n      - run: echo single > /a\n");
    write_files(&dir, engine, &[("stagecraft.yaml", &single)]);
    let (b, _) = engine.export(&dir, &[]);
    b.assert_ok();
    b.assert_log_contains(&format!("[a 1/2] FROM docker.io/{image}"));
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "an_image_used_by_several_stages_is_one_vertex",
            &[Feature::Buildx],
            an_image_used_by_several_stages_is_one_vertex,
        ),
        case(
            "a_failing_needs_stage_fails_the_build",
            &[Feature::Buildx],
            a_failing_needs_stage_fails_the_build,
        ),
        case(
            "variable_forms_expand_and_args_reach_run_steps",
            &[Feature::Buildx],
            variable_forms_expand_and_args_reach_run_steps,
        ),
        case(
            "linked_artifacts_are_not_recopied_when_the_base_changes",
            &[Feature::Buildx, Feature::MergeOp],
            linked_artifacts_are_not_recopied_when_the_base_changes,
        ),
    ]
}
