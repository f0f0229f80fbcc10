//! `--call=lock` and the lock file (language 1.1), through a real build:
//! the lock names every image (resolved to the registry's digest) and git
//! source (resolved to its commit) the spec uses, imports followed, sorted,
//! the same bytes twice; a lock file beside the spec pins them (the tag and
//! the git tag moved since, the build still uses what was locked);
//! `STAGECRAFT_LOCK=ignore` builds as if there were none; a reference the
//! lock lacks is a `lock-missing` warning, an error with `strict`; a
//! malformed lock is an error at its line. Imports and git
//! `--build-context`s are locked and pinned too. A hand-written lock pins
//! images on every lane (the remote and legacy ones included) and git
//! sources on every lane that reaches the host's git daemon.

use std::path::{Path, PathBuf};

use e2e::serve::{self, commit, git};
use e2e::{case, lock_of, unique, workdir, write_files, Case, Engine, Feature};

/// Pushes an image whose `/which` says `which` as `image` to the registry.
fn push(engine: &Engine, image: &str, which: &str) {
    let dir = workdir(&format!("lock-image-{which}"));
    write_files(
        &dir,
        engine,
        &[(
            "Dockerfile",
            &format!("FROM busybox\nRUN echo {which} > /which\n"),
        )],
    );
    engine.push_image(&dir, image);
}

/// A repository with `file` saying `text` on `main`, tagged `v1`, served by
/// a git daemon: (root, work tree, daemon, `git://` URL, first commit).
fn served_repo(
    name: &str,
    file: &str,
    text: &str,
) -> (PathBuf, PathBuf, serve::Server, String, String) {
    let root = workdir(name);
    let work = root.join("work");
    let path = work.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(&path, text).unwrap();
    commit(&work, "first");
    git(&work, &["tag", "v1"]);
    let first_commit = git(&work, &["rev-parse", "HEAD"]);
    let (daemon, port) = serve::git_daemon(&root, &work);
    let repo = format!("git://127.0.0.1:{port}/repo.git");
    (root, work, daemon, repo, first_commit)
}

/// Builds `dir` (no cache) with `STAGECRAFT_LOCK=strict`, then `ignore`:
/// `file` of the output says `locked`, then `moved`; no `lock-missing`.
fn pinned_then_ignored(engine: &Engine, dir: &Path, file: &str, locked: &str, moved: &str) {
    for (mode, expected) in [("strict", locked), ("ignore", moved)] {
        let arg = format!("STAGECRAFT_LOCK={mode}");
        let (b, out) = engine.export(dir, &["--no-cache", "--build-arg", &arg]);
        b.assert_ok();
        assert_eq!(
            std::fs::read_to_string(out.join(file)).unwrap(),
            expected,
            "{arg}: {}",
            b.log
        );
        assert!(!b.log.contains("lock-missing"), "{}", b.log);
    }
}

/// Moves `main` and the tag `v1` to a new commit where `file` says `text`,
/// and force-pushes both to the served repository.
fn move_tag(root: &Path, work: &Path, file: &str, text: &str) {
    std::fs::write(work.join(file), text).unwrap();
    commit(work, "moved");
    git(work, &["tag", "-f", "v1"]);
    git(
        work,
        &[
            "push",
            "-q",
            "-f",
            root.join("repo.git").to_str().unwrap(),
            "main",
            "v1",
        ],
    );
}

pub fn a_lock_file_pins_images_and_git_sources(engine: &Engine) {
    let registry = engine.registry();
    let image = format!("{registry}/lock-{}:1", unique("base"));
    push(engine, &image, "first");

    let (root, work, _daemon, repo, first_commit) =
        served_repo("lock-git-served", "version.txt", "v1 at first\n");

    let dir = workdir("lock");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  app:\n    from: \"{image}\"\n    steps:\n      - add: {{ git: \"{repo}\", ref: v1, to: /src }}\n  out:\n    from: scratch\n    artifacts:\n      - {{ from: app, path: /which, to: /which }}\n      - {{ from: app, path: /src/version.txt, to: /version.txt }}\n"
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let lock_call = || {
        let b = engine.build(&dir, &["--call=lock", "-f", "stagecraft.yaml", "."]);
        b.assert_ok();
        b
    };
    let b = lock_call();
    let lock_text = lock_of(&b.log);
    let image_key = image.clone();
    assert!(lock_text.starts_with("version: 1\nimages:\n"), "{}", b.log);
    assert!(
        lock_text.contains(&format!("  {image_key}: sha256:")),
        "{lock_text}"
    );
    assert!(
        lock_text.contains(&format!("git:\n  \"{repo}#v1\": {first_commit}\n")),
        "{lock_text}"
    );
    // The same spec and registry state give the same bytes.
    assert!(lock_call().log.contains(&lock_text));
    std::fs::write(dir.join("stagecraft.yaml.lock"), &lock_text).unwrap();

    // The tag and the git tag move on.
    push(engine, &image, "second");
    move_tag(&root, &work, "version.txt", "v1 moved\n");

    // Locked: what the lock names, no warning.
    let (b, out) = engine.export(&dir, &["--no-cache"]);
    b.assert_ok();
    let read = |out: &std::path::Path, f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    assert_eq!(read(&out, "which"), "first\n", "{}", b.log);
    assert_eq!(read(&out, "version.txt"), "v1 at first\n", "{}", b.log);
    assert!(!b.log.contains("lock-missing"), "{}", b.log);

    // Ignored: what the tags say now.
    let (b, out) = engine.export(
        &dir,
        &["--no-cache", "--build-arg", "STAGECRAFT_LOCK=ignore"],
    );
    b.assert_ok();
    assert_eq!(read(&out, "which"), "second\n", "{}", b.log);
    assert_eq!(read(&out, "version.txt"), "v1 moved\n", "{}", b.log);

    // A reference the lock lacks: a warning, an error with strict.
    let partial: String = lock_text
        .lines()
        .filter(|l| !l.contains(&repo))
        .map(|l| {
            if l == "git:" {
                "git: {}\n".to_owned()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(dir.join("stagecraft.yaml.lock"), &partial).unwrap();
    let (b, _) = engine.export(&dir, &[]);
    b.assert_ok().assert_log_contains(&format!(
        "lock-missing: the git source `{repo}#v1` is not in stagecraft.yaml.lock: it is not pinned"
    ));
    engine
        .export(&dir, &["--build-arg", "STAGECRAFT_LOCK=strict"])
        .0
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:7:")
        .assert_log_contains("`STAGECRAFT_LOCK=strict` makes an unpinned source an error");

    // A malformed lock file: an error at its line.
    std::fs::write(
        dir.join("stagecraft.yaml.lock"),
        "version: 1\nimages:\n  busybox: sha256:beef\n",
    )
    .unwrap();
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains("stagecraft.yaml.lock:3:12: `sha256:beef` is not a digest");
    engine
        .export(&dir, &["--build-arg", "STAGECRAFT_LOCK=sometimes"])
        .0
        .assert_failed()
        .assert_log_contains(
            "--build-arg STAGECRAFT_LOCK=sometimes: the lock modes are `strict` and `ignore`",
        );
}

/// Imports are followed: the lock names the images of imported stages
/// and the repository an import is read from.
pub fn the_lock_follows_imports(engine: &Engine) {
    let root = workdir("lock-imports-served");
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(
        work.join("base.yaml"),
        "version: 1\nstages:\n  base:\n    from: busybox\n    steps:\n      - run: echo shared > /shared\n",
    )
    .unwrap();
    commit(&work, "base");
    let commit_id = git(&work, &["rev-parse", "HEAD"]);
    let (_daemon, port) = serve::git_daemon(&root, &work);
    let repo = format!("git://127.0.0.1:{port}/repo.git");
    let dir = workdir("lock-imports");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nimports:\n  shared: {{ git: \"{repo}\", ref: main, spec: base.yaml }}\nstages:\n  out:\n    from: scratch\n    artifacts:\n      - {{ from: shared.base, path: /shared, to: /shared }}\n"
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let b = engine.build(&dir, &["--call=lock", "-f", "stagecraft.yaml", "."]);
    b.assert_ok()
        .assert_log_contains("  docker.io/library/busybox:latest: sha256:")
        .assert_log_contains(&format!("  \"{repo}#main\": {commit_id}"));
    std::fs::write(dir.join("stagecraft.yaml.lock"), lock_of(&b.log)).unwrap();

    // The imported spec changes on main: the locked import is still read
    // at the locked commit.
    std::fs::write(
        work.join("base.yaml"),
        "version: 1\nstages:\n  base:\n    from: busybox\n    steps:\n      - run: echo moved > /shared\n",
    )
    .unwrap();
    commit(&work, "moved");
    git(
        &work,
        &[
            "push",
            "-q",
            root.join("repo.git").to_str().unwrap(),
            "main",
        ],
    );
    let (b, out) = engine.export(&dir, &["--no-cache"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("shared")).unwrap(),
        "shared\n",
        "{}",
        b.log
    );
    assert!(!b.log.contains("lock-missing"), "{}", b.log);
    let (b, out) = engine.export(&dir, &["--build-arg", "STAGECRAFT_LOCK=ignore"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("shared")).unwrap(),
        "moved\n",
        "{}",
        b.log
    );
}

/// A git `--build-context` the spec uses is locked (run `--call=lock`
/// with the same contexts) and pinned, its `:SUBDIR` kept.
pub fn the_lock_pins_git_build_contexts(engine: &Engine) {
    let (root, work, _daemon, repo, first_commit) =
        served_repo("lock-context-served", "sub/in-sub.txt", "v1 in sub\n");
    let context = format!("sub={repo}#v1:sub");

    let dir = workdir("lock-context");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  out:\n    from: scratch\n    steps:\n      - copy: /in-sub.txt\n        from: sub\n        to: /sub/\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let b = engine.build(
        &dir,
        &[
            "--call=lock",
            "--build-context",
            &context,
            "-f",
            "stagecraft.yaml",
            ".",
        ],
    );
    b.assert_ok()
        .assert_log_contains(&format!("git:\n  \"{repo}#v1\": {first_commit}\n"));
    std::fs::write(dir.join("stagecraft.yaml.lock"), lock_of(&b.log)).unwrap();

    move_tag(&root, &work, "sub/in-sub.txt", "v1 moved\n");
    let (b, out) = engine.export(&dir, &["--no-cache", "--build-context", &context]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("sub/in-sub.txt")).unwrap(),
        "v1 in sub\n",
        "{}",
        b.log
    );
    assert!(!b.log.contains("lock-missing"), "{}", b.log);

    // Another context of the same name is not in the lock.
    let other = format!("sub={repo}#main:sub");
    engine
        .export(
            &dir,
            &[
                "--build-context",
                &other,
                "--build-arg",
                "STAGECRAFT_LOCK=strict",
            ],
        )
        .0
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:8:")
        .assert_log_contains(&format!("`{repo}#main`"));
}

/// A lock file written by hand (engines whose client has no `--call`, and
/// the remote engine): the registry's digest of a tag pins it after the tag
/// moves on.
pub fn a_hand_written_lock_pins_an_image(engine: &Engine) {
    let registry = engine.registry();
    let name = format!("lock-{}", unique("hand"));
    let image = format!("{registry}/{name}:1");
    push(engine, &image, "first");
    // The digest the registry serves the tag by.
    let out = std::process::Command::new("curl")
        .args(["-sfI", "-H"])
        .arg(
            "Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
        )
        .arg(format!("http://{registry}/v2/{name}/manifests/1"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let headers = String::from_utf8(out.stdout).unwrap();
    let digest = headers
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("docker-content-digest:")
                .then(|| l.split_once(':').unwrap().1.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no digest in {headers}"));
    push(engine, &image, "second");

    let dir = workdir("lock-hand");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  app:\n    from: \"{image}\"\n  out:\n    from: scratch\n    artifacts:\n      - {{ from: app, path: /which, to: /which }}\n"
    );
    let lock = format!("version: 1\nimages:\n  {image}: {digest}\ngit: {{}}\n");
    write_files(
        &dir,
        engine,
        &[("stagecraft.yaml", &spec), ("stagecraft.yaml.lock", &lock)],
    );
    pinned_then_ignored(engine, &dir, "which", "first\n", "second\n");
}

/// A hand-written lock pins a git source to its commit after the tag
/// moves on, on every engine that reaches the host's git daemon (the ref
/// fetched is the commit: no `source.git.checksum` cap needed).
pub fn a_hand_written_lock_pins_a_git_source(engine: &Engine) {
    let (root, work, _daemon, repo, first_commit) =
        served_repo("lock-hand-git-served", "version.txt", "v1 at first\n");
    let dir = workdir("lock-hand-git");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  out:\n    from: scratch\n    steps:\n      - add: {{ git: \"{repo}\", ref: v1, to: /src }}\n"
    );
    let lock = format!("version: 1\nimages: {{}}\ngit:\n  \"{repo}#v1\": {first_commit}\n");
    write_files(
        &dir,
        engine,
        &[("stagecraft.yaml", &spec), ("stagecraft.yaml.lock", &lock)],
    );
    move_tag(&root, &work, "version.txt", "v1 moved\n");
    pinned_then_ignored(
        engine,
        &dir,
        "src/version.txt",
        "v1 at first\n",
        "v1 moved\n",
    );
}

/// A hand-written lock pins a git import: the imported spec is read at
/// the locked commit after the tag moves on, on every engine that reaches
/// the host's git daemon.
pub fn a_hand_written_lock_pins_a_git_import(engine: &Engine) {
    let imported = |says: &str| {
        format!("version: 1\nstages:\n  base:\n    from: scratch\n    steps:\n      - write: /says\n        content: {says}\n")
    };
    let (root, work, _daemon, repo, first_commit) =
        served_repo("lock-hand-import-served", "base.yaml", &imported("first"));
    let dir = workdir("lock-hand-import");
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nimports:\n  shared: {{ git: \"{repo}\", ref: v1, spec: base.yaml }}\nstages:\n  out:\n    from: scratch\n    artifacts:\n      - {{ from: shared.base, path: /says, to: /says }}\n"
    );
    let lock = format!("version: 1\nimages: {{}}\ngit:\n  \"{repo}#v1\": {first_commit}\n");
    write_files(
        &dir,
        engine,
        &[("stagecraft.yaml", &spec), ("stagecraft.yaml.lock", &lock)],
    );
    move_tag(&root, &work, "base.yaml", &imported("moved"));
    pinned_then_ignored(engine, &dir, "says", "first", "moved");
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "a_lock_file_pins_images_and_git_sources",
            &[Feature::Buildx, Feature::Call, Feature::GitChecksum],
            a_lock_file_pins_images_and_git_sources,
        ),
        case(
            "the_lock_follows_imports",
            &[Feature::Buildx, Feature::Call],
            the_lock_follows_imports,
        ),
        case(
            "a_hand_written_lock_pins_an_image",
            &[],
            a_hand_written_lock_pins_an_image,
        ),
        case(
            "a_hand_written_lock_pins_a_git_source",
            &[Feature::HostServers],
            a_hand_written_lock_pins_a_git_source,
        ),
        case(
            "a_hand_written_lock_pins_a_git_import",
            &[Feature::HostServers],
            a_hand_written_lock_pins_a_git_import,
        ),
        case(
            "the_lock_pins_git_build_contexts",
            &[Feature::Buildx, Feature::Call],
            the_lock_pins_git_build_contexts,
        ),
    ]
}
