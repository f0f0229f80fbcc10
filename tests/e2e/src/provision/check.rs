//! `check LANE`: smoke tests of a lane that is up: a build to a directory
//! and to an image, `docker run` of it, a base image from the local
//! registry, and (with the containerd image store) a multi-platform build.

use std::path::Path;
use std::process::{Command, Stdio};

use super::host::{fail, log, Error, Result};
use super::state::Instance;
use super::Config;
use crate::lanes::Lane;

fn client(i: &Instance, program: &str) -> Command {
    let mut c = Command::new(program);
    for (k, v) in i.env_vars() {
        c.env(k, v);
    }
    c
}

/// A build of `ctx` with the lane's client.
fn build(i: &Instance, ctx: &Path, args: &[&str]) -> Command {
    if i.legacy {
        let mut c = client(i, &i.docker);
        c.env("DOCKER_BUILDKIT", "1")
            .arg("build")
            .args(args)
            .arg(ctx);
        c
    } else {
        // `docker buildx` when the engine's client names no plugin binary.
        let mut parts = i.buildx.split_whitespace();
        let mut c = client(i, parts.next().unwrap_or("docker"));
        c.args(parts).arg("build").args(args).arg(ctx);
        c
    }
}

pub fn check(cfg: &Config, lane: Lane) -> Result<()> {
    let i =
        Instance::read(&cfg.state_dir.join(format!("{}.json", lane.name()))).ok_or_else(|| {
            Error(format!(
                "lane {} is not up (no .engine/{}.json)",
                lane.name(),
                lane.name()
            ))
        })?;
    let tmp = std::env::temp_dir().join(format!("stagecraft-check-{}", std::process::id()));
    let io = |e: std::io::Error| Error(format!("{}: {e}", tmp.display()));
    for d in ["a", "b", "c"] {
        std::fs::create_dir_all(tmp.join(d)).map_err(io)?;
    }
    std::fs::write(tmp.join("a/Dockerfile"), "FROM busybox\nRUN echo hi > /x\n").map_err(io)?;
    std::fs::write(
        tmp.join("b/Dockerfile"),
        format!("FROM {}/busybox\nRUN echo reg > /y\n", i.registry),
    )
    .map_err(io)?;
    std::fs::write(tmp.join("c/f.txt"), "hello\n").map_err(io)?;
    std::fs::write(
        tmp.join("c/Dockerfile"),
        "FROM scratch\nCOPY f.txt /f.txt\n",
    )
    .map_err(io)?;
    let out_a = format!("type=local,dest={}", tmp.join("out-a").display());
    let out_b = format!("type=local,dest={}", tmp.join("out-b").display());
    let mp = format!("type=oci,dest={}", tmp.join("mp.tar").display());
    let (mut pass, mut failed) = (0, 0);
    let mut t = |name: &str, mut c: Command| {
        let ok = c
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            pass += 1;
            log(&format!("ok   {name}"));
        } else {
            failed += 1;
            log(&format!("FAIL {name} ({c:?})"));
        }
    };
    t(
        "FROM busybox + RUN -> local dir",
        build(&i, &tmp.join("a"), &["-o", &out_a]),
    );
    let mut has_x = Command::new("grep");
    has_x.args(["-qx", "hi"]).arg(tmp.join("out-a/x"));
    t("  ... output has /x", has_x);
    t(
        "FROM busybox + RUN -> image",
        build(&i, &tmp.join("a"), &["-t", "stagecraft-check:a"]),
    );
    let mut run = client(&i, &i.docker);
    run.args(["run", "--rm", "stagecraft-check:a", "cat", "/x"]);
    t("docker run of the built image", run);
    t(
        &format!("FROM {}/busybox", i.registry),
        build(&i, &tmp.join("b"), &["-o", &out_b]),
    );
    // Multi-platform needs the containerd image store with the docker driver.
    if !i.legacy && i.image_store.as_deref() != Some("classic") {
        t(
            "multi-platform amd64+arm64 -> oci tar",
            build(
                &i,
                &tmp.join("c"),
                &["--platform", "linux/amd64,linux/arm64", "-o", &mp],
            ),
        );
    }
    let _ = client(&i, &i.docker)
        .args(["rmi", "stagecraft-check:a"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = std::fs::remove_dir_all(&tmp);
    log(&format!(
        "check {} ({}): {pass} passed, {failed} failed",
        lane.name(),
        i.engine
    ));
    if failed > 0 {
        return fail(format!("{failed} smoke tests failed"));
    }
    Ok(())
}
