//! Real toolchain images for the walkthrough examples (issue 10) and the
//! self-hosted frontend build (issue 13): a minimal Debian root made with
//! `debootstrap --variant=minbase` from the system's Debian mirror, and the
//! same root with a toolchain's packages installed in a chroot (a JDK, Go,
//! Node.js with npm, nginx on bookworm; on sid, rustc and cargo with the
//! arm64 standard library and the aarch64 cross gcc and libc).
//! Each root is packed once per machine into `<cache>/toolchains/` (its file
//! name carries a digest of the package list, so a changed list makes a new
//! one) and imported into the main lane's engine under `toolchains/…` when
//! the engine lacks it.
//!
//! Not a general image builder: the images only serve the examples, their
//! differential twins and the root `stagecraft.yaml`, which build with no
//! network inside `run` steps. Nothing is pulled; nothing here reaches anything but the mirror.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::dockerd::docker_cmd;
use super::host::{cmd, fail, log, run, succeeds, Error, Result};
use super::{suite, Config, LanePaths};

const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// One toolchain image: its tag, the Debian suite of its root, a foreign
/// architecture apt may install packages of, the packages added to the
/// minimal root, and the `docker import --change` lines it gets.
pub struct Toolchain {
    pub image: &'static str,
    suite: &'static str,
    foreign_arch: Option<&'static str>,
    packages: &'static [&'static str],
    changes: &'static [&'static str],
}

/// The images, the minimal root first (the others are made from it).
pub const TOOLCHAINS: &[Toolchain] = &[
    Toolchain {
        image: "toolchains/debian:bookworm",
        suite: "bookworm",
        foreign_arch: None,
        packages: &[],
        changes: &[r#"CMD ["bash"]"#],
    },
    Toolchain {
        image: "toolchains/jdk:17",
        suite: "bookworm",
        foreign_arch: None,
        // binutils: jlink --strip-debug runs objcopy (as eclipse-temurin images have it).
        packages: &["openjdk-17-jdk-headless", "binutils"],
        changes: &[
            "ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64",
            r#"CMD ["jshell"]"#,
        ],
    },
    Toolchain {
        image: "toolchains/golang:1.19",
        suite: "bookworm",
        foreign_arch: None,
        packages: &["golang-go"],
        changes: &[r#"CMD ["bash"]"#],
    },
    Toolchain {
        image: "toolchains/node:18",
        suite: "bookworm",
        foreign_arch: None,
        packages: &["nodejs", "npm"],
        changes: &[r#"CMD ["node"]"#],
    },
    Toolchain {
        image: "toolchains/nginx:1.22",
        suite: "bookworm",
        foreign_arch: None,
        packages: &["nginx-light"],
        changes: &[
            "EXPOSE 80",
            r#"STOPSIGNAL SIGQUIT"#,
            r#"CMD ["nginx", "-g", "daemon off;"]"#,
        ],
    },
    Toolchain {
        image: "toolchains/rust-cross:sid",
        // Sid's rustc (1.97) packages the arm64 standard library, which the
        // host's rustup cannot download: the self-hosted build cross-compiles
        // the frontend for linux/arm64 with it (issue 13).
        suite: "sid",
        foreign_arch: Some("arm64"),
        packages: &[
            "rustc",
            "cargo",
            "libstd-rust-dev",
            "libstd-rust-dev:arm64",
            "gcc",
            "libc6-dev",
            "gcc-aarch64-linux-gnu",
            "libc6-dev-arm64-cross",
        ],
        changes: &[r#"CMD ["bash"]"#],
    },
];

/// FNV-1a of the suite, the foreign architecture and the package list: the
/// tarball's name.
fn tag_of(t: &Toolchain) -> String {
    let text = match t.foreign_arch {
        None => format!("{} {}", t.suite, t.packages.join(" ")),
        Some(arch) => format!("{} {arch} {}", t.suite, t.packages.join(" ")),
    };
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let name = t.image.replace(['/', ':'], "-");
    format!("{name}-{hash:016x}.tar")
}

fn io(what: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error(format!("{}: {e}", what.display()))
}

/// Unmounts `/proc` of a root if it is mounted there (left by a killed run too).
fn unmount_proc(root: &Path) {
    let proc = root.join("proc");
    if succeeds(Command::new("mountpoint").arg("-q").arg(&proc)) {
        let _ = Command::new("umount").arg("-l").arg(&proc).status();
    }
}

fn remove_root(root: &Path) -> Result<()> {
    unmount_proc(root);
    match std::fs::remove_dir_all(root) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => fail(format!("{}: {e}", root.display())),
    }
}

/// Empties what apt leaves behind, so the images hold the packages only.
fn trim(root: &Path) -> Result<()> {
    for dir in ["var/cache/apt", "var/lib/apt/lists", "var/log/apt", "tmp"] {
        let d = root.join(dir);
        if let Ok(list) = std::fs::read_dir(&d) {
            for e in list.filter_map(std::result::Result::ok) {
                let p = e.path();
                let gone = if p.is_dir() && !p.is_symlink() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
                gone.map_err(io(&p))?;
            }
        }
    }
    // The engine gives every container its own.
    std::fs::write(root.join("etc/resolv.conf"), "").map_err(io(root))?;
    std::fs::write(root.join("etc/hostname"), "").map_err(io(root))?;
    Ok(())
}

fn pack(root: &Path, tar: &Path) -> Result<()> {
    let partial = tar.with_extension("tar.tmp");
    run(cmd("tar")
        .arg("-C")
        .arg(root)
        .args(["--numeric-owner", "--sort=name", "--xattrs", "-cf"])
        .arg(&partial)
        .arg("."))?;
    std::fs::rename(&partial, tar).map_err(io(tar))
}

/// The minimal root of `suite`, unpacked in `work/base-<suite>` (made again
/// when absent).
fn base_root(work: &Path, suite: &str) -> Result<PathBuf> {
    let root = work.join(format!("base-{suite}"));
    if root.join(".complete").exists() {
        return Ok(root);
    }
    remove_root(&root)?;
    let (mirror, keyring) = suite::debian_mirror();
    log(&format!(
        "debootstrap --variant=minbase {suite} (toolchain images)"
    ));
    run(cmd("debootstrap")
        .args(["--variant=minbase", &format!("--keyring={keyring}"), suite])
        .arg(&root)
        .arg(&mirror)
        .stderr(Stdio::from(std::io::stderr())))?;
    std::fs::write(root.join(".complete"), "").map_err(io(&root))?;
    Ok(root)
}

/// Installs the toolchain's packages into a copy of the minimal root, in a
/// chroot.
fn install(base: &Path, root: &Path, t: &Toolchain) -> Result<()> {
    let packages = t.packages;
    remove_root(root)?;
    run(cmd("cp").arg("-a").arg(base).arg(root))?;
    let _ = std::fs::remove_file(root.join(".complete"));
    if packages.is_empty() {
        return Ok(());
    }
    std::fs::copy("/etc/resolv.conf", root.join("etc/resolv.conf")).map_err(io(root))?;
    run(cmd("mount")
        .args(["-t", "proc", "proc"])
        .arg(root.join("proc")))?;
    // The mirror's sid Release file can be past its Valid-Until against
    // this machine's clock; the packages are still the signed ones.
    let foreign = t
        .foreign_arch
        .map(|a| format!("dpkg --add-architecture {a} && "))
        .unwrap_or_default();
    let script = format!(
        "{foreign}apt-get -o Acquire::Check-Valid-Until=false update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends {} && apt-get clean",
        packages.join(" ")
    );
    let installed = run(cmd("chroot").arg(root).args(["sh", "-c", &script]));
    unmount_proc(root);
    installed
}

/// The tarball of one toolchain image, made when absent.
fn tarball(cfg: &Config, t: &Toolchain) -> Result<PathBuf> {
    let dir = cfg.engine_cache.join("toolchains");
    let tar = dir.join(tag_of(t));
    if std::fs::metadata(&tar).is_ok_and(|m| m.len() > 0) && !cfg.refresh {
        return Ok(tar);
    }
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let work = dir.join(".work");
    let base = base_root(&work, t.suite)?;
    let root = work.join("root");
    log(&format!(
        "making {} from Debian {} packages: {}",
        t.image,
        t.suite,
        if t.packages.is_empty() {
            "minbase".to_owned()
        } else {
            t.packages.join(" ")
        }
    ));
    install(&base, &root, t)?;
    trim(&root)?;
    pack(&root, &tar)?;
    remove_root(&root)?;
    Ok(tar)
}

/// Imports every toolchain image the lane's engine lacks.
pub fn ensure(cfg: &Config, p: &LanePaths, docker: &Path) -> Result<()> {
    let mut made = false;
    for t in TOOLCHAINS {
        if succeeds(docker_cmd(p, docker).args(["image", "inspect", t.image])) {
            continue;
        }
        let tar = tarball(cfg, t)?;
        made = true;
        log(&format!("importing {} ({})", t.image, p.lane.name()));
        let mut c = docker_cmd(p, docker);
        c.arg("import")
            .arg("--change")
            .arg(format!("ENV PATH={PATH}"));
        for change in t.changes {
            c.arg("--change").arg(change);
        }
        run(c.arg(&tar).arg(t.image).stdout(Stdio::null()))?;
    }
    if made {
        let suites: std::collections::BTreeSet<&str> = TOOLCHAINS.iter().map(|t| t.suite).collect();
        for suite in suites {
            remove_root(
                &cfg.engine_cache
                    .join(format!("toolchains/.work/base-{suite}")),
            )?;
        }
    }
    Ok(())
}
