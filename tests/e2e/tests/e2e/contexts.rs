//! The build context and named contexts: `.dockerignore`, `--build-context` in place of an image or as files.

use e2e::serve::{self, commit, git};
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

/// `--build-context NAME=git://…#REF:SUBDIR` and `NAME=http://…/FILE`:
/// a repository (at a ref, scoped to a directory, `.git` kept only with
/// `BUILDKIT_CONTEXT_KEEP_GIT_DIR=1`) and a downloaded file (named
/// `context`, as the Dockerfile frontend names it), each usable as a `copy`
/// source.
pub fn git_and_http_contexts_are_named_contexts(engine: &Engine) {
    let root = workdir("git-context");
    let work = root.join("work");
    std::fs::create_dir_all(work.join("sub")).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("sub/in-sub.txt"), "v1 in sub\n").unwrap();
    std::fs::write(work.join("top.txt"), "v1 top\n").unwrap();
    commit(&work, "v1");
    git(&work, &["tag", "v1"]);
    std::fs::write(work.join("top.txt"), "v2 top\n").unwrap();
    commit(&work, "v2");
    let (_daemon, port) = serve::git_daemon(&root, &work);
    let served = root.join("served");
    std::fs::create_dir_all(&served).unwrap();
    std::fs::write(served.join("tool.txt"), "downloaded\n").unwrap();
    let (_http, http_port) = serve::http(&served);

    let dir = workdir("git-context-build");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  out:\n    from: scratch\n    steps:\n      - copy: /top.txt\n        from: repo\n        to: /main/\n      - copy: /in-sub.txt\n        from: sub\n        to: /sub/\n      - copy: /context\n        from: file\n        to: /file/tool.txt\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let repo = format!("repo=git://127.0.0.1:{port}/repo.git");
    let sub = format!("sub=git://127.0.0.1:{port}/repo.git#v1:sub");
    let file = format!("file=http://127.0.0.1:{http_port}/tool.txt");
    let (b, out) = engine.export(
        &dir,
        &[
            "--build-context",
            &repo,
            "--build-context",
            &sub,
            "--build-context",
            &file,
        ],
    );
    b.assert_ok();
    let read = |p: &str| std::fs::read_to_string(out.join(p)).unwrap();
    assert_eq!(read("main/top.txt"), "v2 top\n", "the default branch");
    assert_eq!(read("sub/in-sub.txt"), "v1 in sub\n", "v1, scoped to sub/");
    assert_eq!(read("file/tool.txt"), "downloaded\n");

    // `.git` only with BUILDKIT_CONTEXT_KEEP_GIT_DIR=1.
    let keep = workdir("git-context-keep");
    write_files(
        &keep,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  out:\n    from: scratch\n    steps:\n      - copy: /\n        from: repo\n        to: /r/\n",
        )],
    );
    let (b, out) = engine.export(&keep, &["--build-context", &repo]);
    b.assert_ok();
    assert!(!out.join("r/.git").exists(), "{:?}", files_below(&out));
    let (b, out) = engine.export(
        &keep,
        &[
            "--build-context",
            &repo,
            "--build-arg",
            "BUILDKIT_CONTEXT_KEEP_GIT_DIR=1",
        ],
    );
    b.assert_ok();
    assert!(out.join("r/.git").exists(), "{:?}", files_below(&out));
}

/// bake's `contexts = { NAME = "target:OTHER" }`: the other target's result
/// (from the Dockerfile frontend or this one) reaches the spec as the frontend
/// input buildx names `input:…`, with the image config of a Dockerfile
/// target (its ENV and WORKDIR apply in a stage `from:` it), and each
/// target's own local sources come from the session bake gives it.
pub fn bake_target_contexts_are_frontend_inputs(engine: &Engine) {
    let dir = workdir("bake-target-contexts");
    let bake = r#"target "dbase" {
  dockerfile = "base.Dockerfile"
}
target "tools" {
  dockerfile = "tools.yaml"
}
target "app" {
  dockerfile = "stagecraft.yaml"
  contexts = {
    base = "target:dbase"
    tools = "target:tools"
  }
  output = ["type=local,dest=out"]
}
"#;
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  app:\n    from: base\n    steps:\n      - run: echo \"$FOO $(pwd)\" > seen.txt\n      - copy: /tool.txt\n        from: tools\n        to: /w/\n      - copy: app.txt\n        to: /w/\n";
    let tools = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  t:\n    from: busybox\n    steps:\n      - run: echo tool > /tool.txt\n";
    write_files(
        &dir,
        engine,
        &[
            ("docker-bake.hcl", bake),
            (
                "base.Dockerfile",
                "FROM busybox\nENV FOO=from-dockerfile\nWORKDIR /w\nRUN echo base > /w/base.txt\n",
            ),
            ("tools.yaml", tools),
            ("stagecraft.yaml", spec),
            ("app.txt", "app\n"),
        ],
    );
    let _ = std::fs::remove_dir_all(dir.join("out"));
    let b = engine.bake(&dir, &["app"]);
    b.assert_ok();
    assert!(
        !b.log.contains("is ignored"),
        "no option is ignored:\n{}",
        b.log
    );
    let read = |p: &str| std::fs::read_to_string(dir.join("out").join(p)).unwrap();
    assert_eq!(
        read("w/seen.txt"),
        "from-dockerfile /w\n",
        "ENV and WORKDIR of the Dockerfile target"
    );
    assert_eq!(read("w/base.txt"), "base\n");
    assert_eq!(read("w/tool.txt"), "tool\n", "a stagecraft target's result");
    assert_eq!(read("w/app.txt"), "app\n", "the app target's own context");
}

/// `--build-context NAME=oci-layout://DIR`: an image in an OCI layout on
/// the client (made here by an OCI export) as a stage's base, with its
/// config, and as a `copy` source.
pub fn an_oci_layout_context_is_an_image(engine: &Engine) {
    let dir = workdir("oci-layout-context");
    write_files(
        &dir,
        engine,
        &[
            (
                "Dockerfile",
                "FROM busybox\nENV FOO=from-oci\nRUN echo oci > /oci.txt\n",
            ),
            (
                "stagecraft.yaml",
                "# syntax=stagecraft:dev\nversion: 1\nstages:\n  app:\n    from: base\n    steps:\n      - run: echo \"$FOO\" > /seen.txt\n      - copy: /oci.txt\n        from: base\n        to: /copied.txt\n",
            ),
        ],
    );
    let layout = dir.join("layout");
    let _ = std::fs::remove_dir_all(&layout);
    engine
        .build(
            &dir,
            &[
                "-o",
                &format!("type=oci,dest={},tar=false", layout.display()),
                ".",
            ],
        )
        .assert_ok();
    let ctx = format!("base=oci-layout://{}", layout.display());
    let (b, out) = engine.export(&dir, &["--build-context", &ctx]);
    b.assert_ok();
    b.assert_log_contains("[context base] OCI load from client");
    let read = |p: &str| std::fs::read_to_string(out.join(p)).unwrap();
    assert_eq!(read("seen.txt"), "from-oci\n", "the layout image's ENV");
    assert_eq!(read("copied.txt"), "oci\n");

    // A digest the layout lacks fails at the `from:` naming the context.
    let missing = format!("sha256:{}", "0".repeat(64));
    let ctx = format!("base=oci-layout://{}@{missing}", layout.display());
    engine
        .build(&dir, &["--build-context", &ctx, "-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains(&format!(
            "stagecraft.yaml:5:11: build context `base` is an OCI layout without the image `{missing}`"
        ))
        .assert_log_contains("caused by: ")
        .assert_log_contains(">>>     from: base");
}

/// The build context as a URL, as `docker buildx build URL` passes it: a
/// git repository at `#REF:SUBDIR` (the spec read from there, the
/// directory's `.dockerignore` applied), a tar.gz download (unpacked), and
/// a single downloaded file that is the spec itself.
pub fn a_git_or_http_url_is_the_build_context(engine: &Engine) {
    let root = workdir("remote-context");
    let work = root.join("work");
    std::fs::create_dir_all(work.join("sub")).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n    steps:\n      - copy: .\n        to: /ctx/\n";
    std::fs::write(work.join("sub/stagecraft.yaml"), spec).unwrap();
    std::fs::write(work.join("sub/hello.txt"), "from git\n").unwrap();
    std::fs::write(work.join("sub/secret.txt"), "ignored\n").unwrap();
    std::fs::write(work.join("sub/.dockerignore"), "secret.txt\n").unwrap();
    std::fs::write(work.join("top.txt"), "outside sub\n").unwrap();
    commit(&work, "v1");
    let (_daemon, port) = serve::git_daemon(&root, &work);
    let dir = workdir("remote-context-build");
    let out = dir.join("out");
    let dest = format!("type=local,dest={}", out.display());
    let url = format!("git://127.0.0.1:{port}/repo.git#main:sub");
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "-o", &dest, &url])
        .assert_ok();
    assert_eq!(
        files_below(&out.join("ctx")),
        vec![
            ".dockerignore".to_owned(),
            "hello.txt".to_owned(),
            "stagecraft.yaml".to_owned()
        ],
        "sub/ only, without what its .dockerignore excludes"
    );

    // A tar.gz download is unpacked; a single file is the spec.
    let served = root.join("served");
    std::fs::create_dir_all(&served).unwrap();
    let packed = std::process::Command::new("tar")
        .arg("-czf")
        .arg(served.join("ctx.tar.gz"))
        .arg("-C")
        .arg(work.join("sub"))
        .args(["stagecraft.yaml", "hello.txt"])
        .status()
        .unwrap();
    assert!(packed.success());
    std::fs::write(
        served.join("single.yaml"),
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo single > /s.txt\n",
    )
    .unwrap();
    let (_http, http_port) = serve::http(&served);
    let _ = std::fs::remove_dir_all(&out);
    let url = format!("http://127.0.0.1:{http_port}/ctx.tar.gz");
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "-o", &dest, &url])
        .assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("ctx/hello.txt")).unwrap(),
        "from git\n"
    );
    let _ = std::fs::remove_dir_all(&out);
    let url = format!("http://127.0.0.1:{http_port}/single.yaml");
    engine.build(&dir, &["-o", &dest, &url]).assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("s.txt")).unwrap(),
        "single\n"
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "a_git_or_http_url_is_the_build_context",
            &[Feature::Buildx],
            a_git_or_http_url_is_the_build_context,
        ),
        case(
            "an_oci_layout_context_is_an_image",
            &[Feature::Buildx, Feature::BuildContexts, Feature::OciExport],
            an_oci_layout_context_is_an_image,
        ),
        case(
            "bake_target_contexts_are_frontend_inputs",
            &[Feature::Buildx, Feature::BuildContexts],
            bake_target_contexts_are_frontend_inputs,
        ),
        case(
            "git_and_http_contexts_are_named_contexts",
            &[Feature::Buildx, Feature::BuildContexts],
            git_and_http_contexts_are_named_contexts,
        ),
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
