//! The buildx invocations the CI recipes of docs/ci.md make (what
//! docker/build-push-action runs): a push to a registry with a metadata file,
//! an iid file and a registry cache written, then a rebuild that imports the
//! cache. The registry is the local one the engine provisioning starts.

use e2e::{case, workdir, write_files, Case, Engine, Feature};

pub fn the_buildx_invocations_of_ci_recipes_work(engine: &Engine) {
    let dir = workdir("ci");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nargs:\n  VERSION: dev\nstages:\n  build:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && echo \"built $VERSION\" > /out/app\n  runtime:\n    from: busybox\n    artifacts:\n      - { from: build, path: /out/app, to: /app }\n    image:\n      cmd: [\"cat\", \"/app\"]\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let registry = engine.registry();
    let repo = format!("{registry}/{}", e2e::unique("stagecraft-e2e-ci"));
    let image = format!("{repo}:1");
    let cache = format!("{repo}:cache");
    let meta = dir.join("build-metadata.json");
    let iid = dir.join("image.id");
    let (meta_arg, iid_arg) = (meta.display().to_string(), iid.display().to_string());
    let cache_to = format!("type=registry,ref={cache},mode=max");
    let cache_from = format!("type=registry,ref={cache}");
    let build = |extra: &[&str]| {
        let mut args = vec![
            "-f",
            "stagecraft.yaml",
            "--build-arg",
            "VERSION=1.2.3",
            "--label",
            "org.opencontainers.image.version=1.2.3",
            "-t",
            &image,
            "--push",
            "--metadata-file",
            &meta_arg,
            "--iidfile",
            &iid_arg,
        ];
        args.extend_from_slice(extra);
        args.push(".");
        engine.build(&dir, &args)
    };
    build(&["--cache-to", &cache_to]).assert_ok();

    let metadata: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
    let digest = metadata["containerimage.digest"]
        .as_str()
        .unwrap_or_else(|| panic!("no digest in {metadata:#}"))
        .to_owned();
    assert!(digest.starts_with("sha256:"), "{metadata:#}");
    assert!(
        metadata["image.name"]
            .as_str()
            .is_some_and(|n| n.contains(&image)),
        "{metadata:#}"
    );
    let id = std::fs::read_to_string(&iid).unwrap();
    assert!(id.trim().starts_with("sha256:"), "{id}");

    // The pushed image is in the registry, with its config and label.
    let (ok, out) = engine.run(&["--pull", "always", &image]);
    assert!(ok, "{out}");
    // (`run` prints the pull's progress and the daemon's warnings too.)
    assert!(out.lines().any(|l| l == "built 1.2.3"), "{out}");
    assert!(
        out.contains("Pulling from"),
        "pulled from the registry: {out}"
    );
    let pulled = engine.inspect(&image);
    assert_eq!(
        pulled["Config"]["Labels"]["org.opencontainers.image.version"],
        "1.2.3"
    );

    // A rebuild imports the registry cache written above.
    build(&["--cache-from", &cache_from])
        .assert_ok()
        .assert_log_contains(&format!("importing cache manifest from {cache}"));
}

pub fn cases() -> Vec<Case> {
    vec![case(
        "the_buildx_invocations_of_ci_recipes_work",
        &[Feature::Buildx, Feature::CacheExport],
        the_buildx_invocations_of_ci_recipes_work,
    )]
}
