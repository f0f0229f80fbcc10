//! `copy`, `add` and `mkdir` on the real engine.

use std::process::Command;

use e2e::serve::{self, commit, git};

use e2e::{case, files_below, workdir, write_files, Case, Engine, Feature};

pub fn copy_globs_chmod_chown_include_exclude_parents_and_from_image(engine: &Engine) {
    let dir = workdir("copy-features");
    let spec = r#"# syntax=stagecraft:dev
version: 1
stages:
  a:
    from: busybox
    workdir: /w
    steps:
      - copy: ["src/*.txt"]
        to: globbed/
      - copy: src/run.sh
        to: /bin/run-it
        chmod: "0750"
        chown: "1234:5678"
      - copy: src
        to: filtered/
        include: ["*.txt", "*.md"]
        exclude: ["b.*"]
      - copy: ["src/deep/**/*.md"]
        to: kept/
        parents: true
      - copy: src
        to: parented/
        parents: true
        include: ["*.txt"]
      - copy: /bin/busybox
        from: busybox
        to: /copied/busybox
      - copy: src/a.txt
        to: linked/a.txt
        link: true
      - mkdir: /made/deep/dir
      - mkdir: { path: /private, chmod: "0700", chown: "1000:1000" }
      - run: |
          mkdir -p /out
          stat -c '%a %u %g' /bin/run-it > /out/run-it.stat
          stat -c '%a %u %g' /private > /out/private.stat
          test -d /made/deep/dir && echo yes > /out/mkdir
          ls /w/globbed | sort > /out/globbed
          ls /w/filtered | sort > /out/filtered
          find /w/kept -type f | sort > /out/kept
          find /w/parented -type f | sort > /out/parented
          test -x /copied/busybox && echo yes > /out/from-image
          cat /w/linked/a.txt > /out/linked
"#;
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", spec),
            ("src/a.txt", "a\n"),
            ("src/b.txt", "b\n"),
            ("src/c.md", "c\n"),
            ("src/run.sh", "#!/bin/sh\necho run\n"),
            ("src/deep/x/y.md", "y\n"),
            ("src/deep/z.txt", "z\n"),
        ],
    );
    let (b, out) = engine.export(&dir, &["--target", "a"]);
    b.assert_ok();
    let read = |f: &str| std::fs::read_to_string(out.join("out").join(f)).unwrap();
    assert_eq!(read("run-it.stat"), "750 1234 5678\n");
    assert_eq!(read("private.stat"), "700 1000 1000\n");
    assert_eq!(read("mkdir"), "yes\n");
    assert_eq!(read("globbed"), "a.txt\nb.txt\n");
    assert_eq!(read("filtered"), "a.txt\nc.md\n");
    assert_eq!(read("kept"), "/w/kept/src/deep/x/y.md\n");
    assert_eq!(
        read("parented"),
        "/w/parented/src/a.txt\n/w/parented/src/b.txt\n"
    );
    assert_eq!(read("from-image"), "yes\n");
    assert_eq!(read("linked"), "a\n");
}

pub fn copy_chown_by_name_uses_the_stage_users(engine: &Engine) {
    let dir = workdir("copy-chown-name");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo 'app:x:4321:4321::/:/bin/sh' >> /etc/passwd && echo 'grp:x:8765:' >> /etc/group\n      - copy: f.txt\n        to: /f.txt\n        chown: app:grp\n      - run: mkdir -p /out && stat -c '%u %g' /f.txt > /out/stat\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec), ("f.txt", "f")]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/stat")).unwrap(),
        "4321 8765\n"
    );
}

pub fn add_http_checks_the_checksum(engine: &Engine) {
    let served = workdir("http-served");
    std::fs::write(served.join("tool.txt"), "downloaded tool\n").unwrap();
    let (_server, port) = serve::http(&served);
    let good = "sha256:6c3f0ad4e9e84b3b5a8f5b5d3f4bd8b1c9b5f1b6b0f0b0c5f4d5b3b9c2b7a6f1";
    let actual = {
        let out = Command::new("sha256sum")
            .arg(served.join("tool.txt"))
            .output()
            .unwrap();
        format!(
            "sha256:{}",
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .next()
                .unwrap()
        )
    };
    assert_ne!(good, actual);
    let url = format!("http://127.0.0.1:{port}/tool.txt");
    let spec = |sum: &str| {
        format!(
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n    steps:\n      - add: {{ url: \"{url}\", checksum: \"{sum}\", to: /tools/, chmod: \"0755\" }}\n"
        )
    };
    let dir = workdir("add-http");
    write_files(&dir, engine, &[("stagecraft.yaml", &spec(&actual))]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("tools/tool.txt")).unwrap(),
        "downloaded tool\n"
    );

    let bad = workdir("add-http-bad");
    write_files(&bad, engine, &[("stagecraft.yaml", &spec(good))]);
    engine
        .export(&bad, &[])
        .0
        .assert_failed()
        .assert_log_contains("checksum mismatch for `")
        .assert_log_contains("` but the download is `sha256:")
        .assert_log_contains("caused by: ")
        .assert_log_contains(">>>       - add:");
}

pub fn add_git_with_ref_and_keep_git_dir(engine: &Engine) {
    let root = workdir("git-served");
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("hello.txt"), "v1\n").unwrap();
    commit(&work, "v1");
    git(&work, &["tag", "v1"]);
    let v1_commit = git(&work, &["rev-parse", "HEAD"]);
    std::fs::write(work.join("hello.txt"), "v2\n").unwrap();
    commit(&work, "v2");
    let (_daemon, port) = serve::git_daemon(&root, &work);
    let spec = format!(
        "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n    steps:\n      - add: {{ git: \"git://127.0.0.1:{port}/repo.git\", ref: v1, to: /v1 }}\n      - add: {{ git: \"git://127.0.0.1:{port}/repo.git\", ref: main, to: /main, keep_git_dir: true }}\n"
    );
    let dir = workdir("add-git");
    write_files(&dir, engine, &[("stagecraft.yaml", &spec)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("v1/hello.txt")).unwrap(),
        "v1\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("main/hello.txt")).unwrap(),
        "v2\n"
    );
    assert!(!out.join("v1/.git").exists(), "{:?}", files_below(&out));
    assert!(out.join("main/.git").exists(), "{:?}", files_below(&out));

    // A checksum pins the commit the ref must be at.
    let pinned = |sum: &str| {
        format!(
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n    steps:\n      - add: {{ git: \"git://127.0.0.1:{port}/repo.git\", ref: v1, checksum: \"{sum}\", to: /v1 }}\n"
        )
    };
    let ok = workdir("add-git-checksum");
    write_files(&ok, engine, &[("stagecraft.yaml", &pinned(&v1_commit))]);
    let (b, out) = engine.export(&ok, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("v1/hello.txt")).unwrap(),
        "v1\n"
    );
    let bad = workdir("add-git-checksum-bad");
    write_files(
        &bad,
        engine,
        &[("stagecraft.yaml", &pinned(&"0".repeat(40)))],
    );
    engine
        .export(&bad, &[])
        .0
        .assert_failed()
        .assert_log_contains(&"0".repeat(40));
}

/// A download the server refuses and a git ref the repository lacks fail
/// in a sentence at their `add` line, the engine's text kept below it.
pub fn add_failures_say_what_failed(engine: &Engine) {
    let served = workdir("http-served-empty");
    let (_server, port) = serve::http(&served);
    let url = format!("http://127.0.0.1:{port}/missing.txt");
    let dir = workdir("add-http-404");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            &format!("# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n    steps:\n      - add: {{ url: \"{url}\", to: /tools/ }}\n"),
        )],
    );
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains(&format!(
            "download of `{url}` failed: the server answered HTTP 404"
        ))
        .assert_log_contains("caused by: ")
        .assert_log_contains(">>>       - add:");

    let root = workdir("git-served-refs");
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("hello.txt"), "v1\n").unwrap();
    commit(&work, "v1");
    let (_daemon, port) = serve::git_daemon(&root, &work);
    let repo = format!("git://127.0.0.1:{port}/repo.git");
    let dir = workdir("add-git-no-ref");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            &format!("# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n    steps:\n      - add: {{ git: \"{repo}\", ref: no-such-branch, to: /src }}\n"),
        )],
    );
    engine
        .export(&dir, &[])
        .0
        .assert_failed()
        .assert_log_contains(&format!(
            "git source `{repo}` failed: the repository has no such `ref`"
        ))
        .assert_log_contains("caused by: ")
        .assert_log_contains(">>>       - add:");
}

/// `write` (language 1.1): a file from inline text, byte for byte, with
/// its parents created, its mode (default 0644) and owner (by name too),
/// relative to the workdir, and `${…}` expanded only with `expand: true`.
pub fn write_steps_write_files_byte_for_byte(engine: &Engine) {
    let dir = workdir("write-steps");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nargs:\n  PORT: \"8080\"\nstages:\n  a:\n    from: busybox\n    workdir: /srv\n    steps:\n      - run: echo 'app:x:4321:4321::/:/bin/sh' >> /etc/passwd && echo 'app:x:4321:' >> /etc/group\n      - write: /etc/app/app.conf\n        content: |\n          port=${PORT}\n          cost=$$5\n      - write: banner.txt\n        content: \"port ${PORT}, cost $$5\"\n        expand: true\n        chmod: \"0600\"\n        chown: app:app\n      - write: /empty\n        content: \"\"\n      - run: mkdir -p /out && stat -c '%a %u:%g' /etc/app /etc/app/app.conf /srv/banner.txt /empty > /out/stat && cp /etc/app/app.conf /srv/banner.txt /out/\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    b.assert_log_contains("WRITE /etc/app/app.conf");
    let read = |p: &str| std::fs::read_to_string(out.join(p)).unwrap();
    assert_eq!(
        read("out/app.conf"),
        "port=${PORT}\ncost=$$5\n",
        "written as it is"
    );
    assert_eq!(read("out/banner.txt"), "port 8080, cost $5", "expanded");
    assert_eq!(
        read("out/stat"),
        "755 0:0\n644 0:0\n600 4321:4321\n644 0:0\n"
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "write_steps_write_files_byte_for_byte",
            &[Feature::Buildx],
            write_steps_write_files_byte_for_byte,
        ),
        case(
            "copy_globs_chmod_chown_include_exclude_parents_and_from_image",
            &[Feature::Buildx],
            copy_globs_chmod_chown_include_exclude_parents_and_from_image,
        ),
        case(
            "copy_chown_by_name_uses_the_stage_users",
            &[Feature::Buildx],
            copy_chown_by_name_uses_the_stage_users,
        ),
        case(
            "add_http_checks_the_checksum",
            &[Feature::Buildx, Feature::FailedOpDetails],
            add_http_checks_the_checksum,
        ),
        case(
            "add_failures_say_what_failed",
            &[Feature::Buildx, Feature::FailedOpDetails],
            add_failures_say_what_failed,
        ),
        case(
            "add_git_with_ref_and_keep_git_dir",
            &[Feature::Buildx, Feature::GitChecksum],
            add_git_with_ref_and_keep_git_dir,
        ),
    ]
}
