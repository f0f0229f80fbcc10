//! `imports:` (language 1.1), through a real build: a spec beside the spec
//! (sent by the client from the spec's directory, nested imports too), a
//! spec in a git repository at a ref (pinned by a checksum), and a spec in
//! an image of the lane's registry. Imported stages take their spec's
//! arguments from `--build-arg ALIAS.NAME`, else the import's `args`,
//! else their defaults; plain `--build-arg`s do not reach them; errors in
//! an imported file name that file and line.

use e2e::serve::{self, commit, git};
use e2e::{case, unique, workdir, write_files, Case, Engine, Feature};

const SPEC: &str = r#"# syntax=stagecraft:dev
version: 1
args:
  WHO: world
imports:
  lib: { spec: ci/lib.yaml, args: { GREETING: "hello ${WHO}" } }
stages:
  app:
    from: lib.greeter
    steps:
      - run: echo "app from $(cat /greeting)" > /app.txt
    artifacts:
      - { from: lib.deep, path: /deep.txt, to: /deep.txt }
  out:
    from: scratch
    artifacts:
      - { from: app, path: /greeting, to: /greeting }
      - { from: app, path: /app.txt, to: /app.txt }
      - { from: app, path: /deep.txt, to: /deep.txt }
"#;

const LIB: &str = r#"version: 1
args:
  GREETING: lib default
  MOOD: calm
imports:
  inner: { spec: inner/deep.yaml, args: { MOOD: "${MOOD}" } }
stages:
  greeter:
    from: busybox
    steps:
      - run: echo "$GREETING" > /greeting
  deep:
    from: inner.base
"#;

const DEEP: &str = r#"version: 1
args:
  MOOD: unset
stages:
  base:
    from: busybox
    steps:
      - run: echo "deep $MOOD" > /deep.txt
"#;

pub fn imports_beside_the_spec_build_with_their_args(engine: &Engine) {
    let dir = workdir("imports-beside");
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", SPEC),
            ("ci/lib.yaml", LIB),
            ("ci/inner/deep.yaml", DEEP),
        ],
    );
    let read = |out: &std::path::Path, f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(read(&out, "greeting"), "hello world\n");
    assert_eq!(read(&out, "app.txt"), "app from hello world\n");
    assert_eq!(read(&out, "deep.txt"), "deep calm\n");
    // Progress names imported stages by their full names.
    b.assert_log_contains("[lib.greeter 2/2] RUN echo \"$GREETING\" > /greeting")
        .assert_log_contains("[lib.inner.base 2/2] RUN");

    // `--build-arg ALIAS.NAME` wins over the import's `args`; a plain
    // `--build-arg` of an imported argument's name does not reach it, and
    // a top-level one reaches the import's values.
    let (b, out) = engine.export(
        &dir,
        &["--build-arg", "WHO=you", "--build-arg", "MOOD=plain"],
    );
    b.assert_ok();
    assert_eq!(read(&out, "greeting"), "hello you\n");
    assert_eq!(read(&out, "deep.txt"), "deep calm\n");
    let (b, out) = engine.export(
        &dir,
        &[
            "--build-arg",
            "lib.GREETING=overridden",
            "--build-arg",
            "lib.inner.MOOD=nested",
        ],
    );
    b.assert_ok();
    assert_eq!(read(&out, "greeting"), "overridden\n");
    assert_eq!(read(&out, "deep.txt"), "deep nested\n");

    // A spec in a subdirectory: its imports are beside it, not in the
    // context's root (`-f specs/stagecraft.yaml`).
    let sub = workdir("imports-beside-subdir");
    write_files(
        &sub,
        engine,
        &[
            ("specs/stagecraft.yaml", SPEC),
            ("specs/ci/lib.yaml", LIB),
            ("specs/ci/inner/deep.yaml", DEEP),
        ],
    );
    let out_dir = sub.join("out");
    let dest = format!("type=local,dest={}", out_dir.display());
    engine
        .build(&sub, &["-f", "specs/stagecraft.yaml", "-o", &dest, "."])
        .assert_ok();
    assert_eq!(read(&out_dir, "deep.txt"), "deep calm\n");
}

/// Errors in imports, in the build's error: a file that is not there, a
/// stage an import lacks, and a typo inside an imported file (named with
/// its line).
pub fn import_errors_name_the_file_and_line(engine: &Engine) {
    let dir = workdir("imports-missing");
    let spec = SPEC.replace("ci/lib.yaml", "ci/nowhere.yaml");
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("cannot read the spec of import `lib` (`ci/nowhere.yaml`)")
        .assert_log_contains("stagecraft.yaml:6");

    let dir = workdir("imports-unknown-stage");
    let spec = SPEC.replace("from: lib.greeter", "from: lib.greter");
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", &spec),
            ("ci/lib.yaml", LIB),
            ("ci/inner/deep.yaml", DEEP),
        ],
    );
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("import `lib` has no stage `greter` (did you mean `lib.greeter`?)");

    let dir = workdir("imports-typo-inside");
    let deep = DEEP.replace("      - run:", "      - rnu:");
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", SPEC),
            ("ci/lib.yaml", LIB),
            ("ci/inner/deep.yaml", &deep),
        ],
    );
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("unknown step kind `rnu`")
        .assert_log_contains("ci/inner/deep.yaml:8");
}

/// A spec in a git repository, at a tag, pinned by its commit; a wrong
/// commit fails at the import. With the repository as the build context,
/// imports beside the spec are read from it.
pub fn git_imports_read_the_spec_at_a_ref(engine: &Engine) {
    let root = workdir("imports-git-served");
    let work = root.join("work");
    std::fs::create_dir_all(work.join("specs")).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(
        work.join("specs/base.yaml"),
        DEEP.replace("deep $MOOD", "v1 $MOOD"),
    )
    .unwrap();
    commit(&work, "v1");
    git(&work, &["tag", "v1"]);
    let v1 = git(&work, &["rev-parse", "HEAD"]);
    std::fs::write(
        work.join("specs/base.yaml"),
        DEEP.replace("deep $MOOD", "v2 $MOOD"),
    )
    .unwrap();
    // A spec with imports in the repository, for the repository as the
    // build context: its imports are read from there.
    write_files(
        &work.join("ctx"),
        engine,
        &[
            ("stagecraft.yaml", SPEC),
            ("ci/lib.yaml", LIB),
            ("ci/inner/deep.yaml", DEEP),
        ],
    );
    commit(&work, "v2");
    let (_daemon, port) = serve::git_daemon(&root, &work);
    let spec = |ref_: &str, checksum: &str| {
        format!(
            "# syntax=stagecraft:dev\nversion: 1\nimports:\n  shared: {{ git: \"git://127.0.0.1:{port}/repo.git\", ref: {ref_}, checksum: \"{checksum}\", spec: specs/base.yaml, args: {{ MOOD: pinned }} }}\nstages:\n  out:\n    from: scratch\n    artifacts:\n      - {{ from: shared.base, path: /deep.txt, to: /deep.txt }}\n"
        )
    };
    let dir = workdir("imports-git");
    write_files(&dir, engine, &[("stagecraft.yaml", &spec("v1", &v1))]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("deep.txt")).unwrap(),
        "v1 pinned\n"
    );
    b.assert_log_contains(&format!(
        "[internal] load imported spec from git git://127.0.0.1:{port}/repo.git#v1"
    ));
    let remote = workdir("imports-git-context");
    let out_dir = remote.join("out");
    let dest = format!("type=local,dest={}", out_dir.display());
    let url = format!("git://127.0.0.1:{port}/repo.git#main:ctx");
    engine
        .build(&remote, &["-f", "stagecraft.yaml", "-o", &dest, &url])
        .assert_ok();
    assert_eq!(
        std::fs::read_to_string(out_dir.join("deep.txt")).unwrap(),
        "deep calm\n"
    );

    let bad = workdir("imports-git-bad");
    write_files(
        &bad,
        engine,
        &[("stagecraft.yaml", &spec("v1", &"0".repeat(40)))],
    );
    engine
        .export(&bad, &[])
        .0
        .assert_failed()
        .assert_log_contains("cannot read the spec of import `shared`")
        .assert_log_contains(&"0".repeat(40));
}

/// A spec in an image (pushed to the lane's registry).
pub fn image_imports_read_the_spec_from_an_image(engine: &Engine) {
    let registry = engine.registry();
    let image = format!("{registry}/specs-{}:1", unique("imports"));
    let specs = workdir("imports-image-specs");
    write_files(
        &specs,
        engine,
        &[
            (
                "Dockerfile",
                "FROM scratch\nCOPY tools.yaml /specs/stagecraft.yaml\n",
            ),
            (
                "tools.yaml",
                &DEEP.replace("deep $MOOD", "from the image, $MOOD"),
            ),
        ],
    );
    engine.push_image(&specs, &image);
    let dir = workdir("imports-image");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nimports:\n  tools: {{ image: \"{image}\", spec: /specs/stagecraft.yaml }}\nstages:\n  out:\n    from: scratch\n    artifacts:\n      - {{ from: tools.base, path: /deep.txt, to: /deep.txt }}\n"
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("deep.txt")).unwrap(),
        "from the image, unset\n"
    );
    // A path the image lacks fails at the import's `spec`.
    let missing = workdir("imports-image-missing");
    write_files(
        &missing,
        engine,
        &[(
            "stagecraft.yaml",
            &spec.replace("/specs/stagecraft.yaml", "/nowhere.yaml"),
        )],
    );
    engine
        .export(&missing, &[])
        .0
        .assert_failed()
        .assert_log_contains(&format!(
            "cannot read the spec of import `tools` (`/nowhere.yaml (image {image})`)"
        ));
}

/// `--call=targets` lists the imported stages too (each can be a target),
/// the spec's own last stage as the default; `--call=outline` lists the
/// imported arguments.
pub fn targets_list_imported_stages(engine: &Engine) {
    let dir = workdir("imports-targets");
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", SPEC),
            ("ci/lib.yaml", LIB),
            ("ci/inner/deep.yaml", DEEP),
        ],
    );
    let b = engine.build(&dir, &["--call=targets", "-f", "stagecraft.yaml", "."]);
    b.assert_ok();
    for name in [
        "app",
        "out (default)",
        "lib.greeter",
        "lib.deep",
        "lib.inner.base",
    ] {
        b.assert_log_contains(name);
    }
    // The outline lists the arguments of the imports the target uses, as
    // `--build-arg ALIAS.NAME` sets them, with the values they take.
    let b = engine.build(
        &dir,
        &[
            "--call=outline",
            "--build-arg",
            "lib.inner.MOOD=sunny",
            "-f",
            "stagecraft.yaml",
            ".",
        ],
    );
    b.assert_ok();
    b.assert_log_contains("lib.GREETING")
        .assert_log_contains("hello world")
        .assert_log_contains("lib.inner.MOOD")
        .assert_log_contains("sunny");
    // An imported stage is a target.
    let (b, out) = engine.export(&dir, &["--target", "lib.inner.base"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("deep.txt")).unwrap(),
        "deep calm\n"
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "imports_beside_the_spec_build_with_their_args",
            &[],
            imports_beside_the_spec_build_with_their_args,
        ),
        case(
            "import_errors_name_the_file_and_line",
            &[],
            import_errors_name_the_file_and_line,
        ),
        case(
            "targets_list_imported_stages",
            &[Feature::Buildx, Feature::Call],
            targets_list_imported_stages,
        ),
        case(
            "git_imports_read_the_spec_at_a_ref",
            &[Feature::Buildx, Feature::GitChecksum],
            git_imports_read_the_spec_at_a_ref,
        ),
        case(
            "image_imports_read_the_spec_from_an_image",
            &[],
            image_imports_read_the_spec_from_an_image,
        ),
    ]
}
