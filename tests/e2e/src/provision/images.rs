//! What every engine gets: `busybox:latest` (as `docker.io/library/busybox`)
//! and `alpine:3.20`, imported from a busybox-static rootfs (nothing can be
//! pulled here); and the local registry on 127.0.0.1:5000, shared by all
//! lanes, holding `127.0.0.1:5000/busybox:latest`.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::dockerd::docker_cmd;
use super::host::{
    fail, log, output, pid_matches, read_pid, run, stop, succeeds, tail, wait_until, Error, Result,
};
use super::{Config, LanePaths, REGISTRY_ADDR};

const ROOTFS_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const REGISTRY_RUN: &str = "/run/stagecraft-registry";

/// A busybox-static rootfs tarball, built once per busybox version.
fn rootfs_tar(cfg: &Config) -> Result<PathBuf> {
    let version =
        output(Command::new("dpkg-query").args(["-W", "-f", "${Version}", "busybox-static"]))?;
    let safe: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let tar = cfg
        .engine_cache
        .join("rootfs")
        .join(format!("busybox-static-{safe}.tar"));
    if std::fs::metadata(&tar).is_ok_and(|m| m.len() > 0) {
        return Ok(tar);
    }
    let io = |e: std::io::Error| Error(format!("building the busybox rootfs: {e}"));
    let tmp = std::env::temp_dir().join(format!("stagecraft-rootfs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    for d in [
        "bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "root", "home", "var",
    ] {
        std::fs::create_dir_all(tmp.join(d)).map_err(io)?;
    }
    std::fs::copy("/bin/busybox", tmp.join("bin/busybox")).map_err(io)?;
    // Every applet as /bin/<applet> (like the official image), plus the
    // usual full paths (/usr/bin/env...) where not taken.
    for applet in output(Command::new("/bin/busybox").arg("--list"))?.lines() {
        if applet != "busybox" {
            let _ = symlink("busybox", tmp.join("bin").join(applet));
        }
    }
    for full in output(Command::new("/bin/busybox").arg("--list-full"))?.lines() {
        let at = tmp.join(full);
        if at.symlink_metadata().is_err() {
            let _ = symlink("/bin/busybox", at);
        }
    }
    std::fs::write(
        tmp.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    )
    .map_err(io)?;
    std::fs::write(tmp.join("etc/group"), "root:x:0:\nnobody:x:65534:\n").map_err(io)?;
    std::fs::set_permissions(tmp.join("tmp"), std::fs::Permissions::from_mode(0o1777))
        .map_err(io)?;
    std::fs::set_permissions(tmp.join("root"), std::fs::Permissions::from_mode(0o700))
        .map_err(io)?;
    std::fs::create_dir_all(tar.parent().unwrap_or(Path::new("/"))).map_err(io)?;
    let partial = tar.with_extension("tar.tmp");
    run(Command::new("tar")
        .arg("-C")
        .arg(&tmp)
        .args([
            "--numeric-owner",
            "--owner=0",
            "--group=0",
            "--sort=name",
            "--mtime=2000-01-01",
            "-cf",
        ])
        .arg(&partial)
        .arg("."))?;
    std::fs::rename(&partial, &tar).map_err(io)?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(tar)
}

/// The tags `ensure_images` gives the busybox rootfs.
const ROOTFS_TAGS: [&str; 2] = ["busybox:latest", "alpine:3.20"];

/// Imports the rootfs as busybox:latest and alpine:3.20 unless both exist.
pub fn ensure_images(cfg: &Config, p: &LanePaths, docker: &Path) -> Result<()> {
    let has = |tag: &str| succeeds(docker_cmd(p, docker).args(["image", "inspect", tag]));
    if ROOTFS_TAGS.iter().all(|t| has(t)) {
        return Ok(());
    }
    let tar = rootfs_tar(cfg)?;
    log(&format!(
        "importing busybox rootfs as busybox:latest, alpine:3.20 ({})",
        p.lane.name()
    ));
    run(docker_cmd(p, docker)
        .arg("import")
        .arg("--change")
        .arg(format!("ENV PATH={ROOTFS_PATH}"))
        .arg("--change")
        .arg(r#"CMD ["sh"]"#)
        .arg(&tar)
        .arg("docker.io/library/busybox:latest")
        .stdout(Stdio::null()))?;
    for tag in ROOTFS_TAGS {
        run(docker_cmd(p, docker).args(["tag", "docker.io/library/busybox:latest", tag]))?;
    }
    Ok(())
}

/// Removes every image of a lane's store but those provisioning gives it
/// (busybox, alpine, the toolchains, the registry's busybox) and the
/// frontend image under test, and every dangling one. The end-to-end suite
/// tags an image per case and the docker driver keeps each untagged result:
/// left there, a thousand of them slowed the daemon's start past its limit
/// (containerd and BuildKit open every record) and each run added more.
pub fn forget_test_images(p: &LanePaths, docker: &Path) -> Result<()> {
    let listed = output(
        docker_cmd(p, docker)
            .args([
                "image",
                "ls",
                "--filter",
                "dangling=false",
                "--format",
                "{{.Repository}}:{{.Tag}}",
            ])
            .stdout(Stdio::piped()),
    )?;
    let provisioned = |r: &str| {
        ROOTFS_TAGS.contains(&r)
            || r == "stagecraft:dev"
            || r == format!("{REGISTRY_ADDR}/busybox:latest")
            || super::toolchains::TOOLCHAINS.iter().any(|t| t.image == r)
    };
    let gone: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|r| !r.is_empty() && !r.contains("<none>") && !provisioned(r))
        .collect();
    let started = std::time::Instant::now();
    for chunk in gone.chunks(100) {
        run(docker_cmd(p, docker)
            .args(["rmi", "--force"])
            .args(chunk)
            .stdout(Stdio::null()))?;
    }
    run(docker_cmd(p, docker)
        .args(["image", "prune", "--force"])
        .stdout(Stdio::null()))?;
    log(&format!(
        "removed {} images earlier runs left and the dangling ones ({}, {}s)",
        gone.len(),
        p.lane.name(),
        started.elapsed().as_secs()
    ));
    Ok(())
}

fn curl_ok(args: &[&str], url: &str) -> bool {
    succeeds(
        Command::new("curl")
            .args(["-fsS", "-m", "5", "-o", "/dev/null"])
            .args(args)
            .arg(url),
    )
}

pub fn registry_answers() -> bool {
    registry_answers_on(REGISTRY_ADDR)
}

/// Whether a registry answers on `addr`.
pub(super) fn registry_answers_on(addr: &str) -> bool {
    curl_ok(&[], &format!("http://{addr}/v2/"))
}

/// The files of one registry process: its config and pid file (in
/// `/run/stagecraft-registry`) and its log (in `.engine/`).
pub(super) struct RegistryFiles {
    pub config: &'static str,
    pub pid: &'static str,
    pub log: &'static str,
}

/// The registry on 127.0.0.1:5000.
const MAIN_REGISTRY: RegistryFiles = RegistryFiles {
    config: "config.yml",
    pid: "registry.pid",
    log: "registry.log",
};

/// Starts Debian's docker-registry on 127.0.0.1:5000 unless one answers.
pub fn ensure_registry(cfg: &Config) -> Result<()> {
    serve_registry(cfg, REGISTRY_ADDR, &MAIN_REGISTRY)
}

/// A docker-registry on `addr`, serving the project's registry storage,
/// unless one answers there.
pub(super) fn serve_registry(cfg: &Config, addr: &str, files: &RegistryFiles) -> Result<()> {
    if registry_answers_on(addr) {
        return Ok(());
    }
    if !succeeds(Command::new("sh").args(["-c", "command -v docker-registry"])) {
        return fail("docker-registry not installed");
    }
    let store = cfg.engine_data.join("registry");
    let run_dir = Path::new(REGISTRY_RUN);
    let io = |e: std::io::Error| Error(format!("starting the registry on {addr}: {e}"));
    std::fs::create_dir_all(run_dir).map_err(io)?;
    std::fs::create_dir_all(&store).map_err(io)?;
    std::fs::create_dir_all(&cfg.state_dir).map_err(io)?;
    let config = run_dir.join(files.config);
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
            store.display()
        ),
    )
    .map_err(io)?;
    log(&format!(
        "starting docker-registry on {addr} (storage {})",
        store.display()
    ));
    let logfile = cfg.state_dir.join(files.log);
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&logfile)
        .map_err(io)?;
    let err = out.try_clone().map_err(io)?;
    let mut child = Command::new("setsid")
        .args(["docker-registry", "serve"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(io)?;
    std::fs::write(run_dir.join(files.pid), child.id().to_string()).map_err(io)?;
    let up = wait_until(Duration::from_secs(10), Duration::from_millis(250), || {
        registry_answers_on(addr) || matches!(child.try_wait(), Ok(Some(_)))
    });
    if up && registry_answers_on(addr) {
        return Ok(());
    }
    tail(&logfile, 20);
    fail(format!("docker-registry did not come up on {addr}"))
}

/// Stops a registry we started, by its files.
pub(super) fn stop_registry_of(files: &RegistryFiles) {
    let pidfile = Path::new(REGISTRY_RUN).join(files.pid);
    if let Some(pid) = read_pid(&pidfile) {
        if pid_matches(pid, &format!("{REGISTRY_RUN}/{}", files.config)) {
            log(&format!("stopping docker-registry (pid {pid})"));
            stop(pid, Duration::from_secs(5));
        }
    }
    let _ = std::fs::remove_file(pidfile);
}

pub fn stop_registry() {
    stop_registry_of(&MAIN_REGISTRY);
}

/// Makes sure 127.0.0.1:5000/busybox:latest exists (pushed from this lane).
pub fn ensure_registry_busybox(p: &LanePaths, docker: &Path) -> Result<()> {
    let accept = [
        "-I",
        "-H",
        "Accept: application/vnd.docker.distribution.manifest.v2+json",
        "-H",
        "Accept: application/vnd.oci.image.manifest.v1+json",
        "-H",
        "Accept: application/vnd.oci.image.index.v1+json",
    ];
    if curl_ok(
        &accept,
        &format!("http://{REGISTRY_ADDR}/v2/busybox/manifests/latest"),
    ) {
        return Ok(());
    }
    log(&format!(
        "pushing busybox to {REGISTRY_ADDR}/busybox:latest ({})",
        p.lane.name()
    ));
    let remote = format!("{REGISTRY_ADDR}/busybox:latest");
    run(docker_cmd(p, docker).args(["tag", "busybox:latest", &remote]))?;
    run(docker_cmd(p, docker)
        .args(["push", &remote])
        .stdout(Stdio::null()))
}
