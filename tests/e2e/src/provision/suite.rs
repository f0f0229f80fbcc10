//! Engines from a Debian suite: the suite's `docker.io`, `docker-cli`,
//! `docker-buildx` and `containerd` packages, downloaded with a private apt
//! universe (its own sources list and lists directory: the system's apt
//! state is only read, never changed) and unpacked into
//! `<cache>/<suite>/root`; and the `PATH` directory a dockerd from it runs
//! with, which decides the containerd, runc and tini it uses.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::host::{cmd, fail, log, ok, output, run, Error, Result};
use super::Config;

/// Packages taken from the suite. runc is NOT taken: sid's runc needs glibc
/// ≥ 2.38; bookworm's runc works with these engines.
const SUITE_PACKAGES: &[&str] = &["docker.io", "docker-cli", "docker-buildx", "containerd"];

/// The unpacked suite.
pub fn root(cfg: &Config, suite: &str) -> PathBuf {
    cfg.engine_cache.join(suite).join("root")
}

/// `(URI, keyring)` of the system's Debian mirror (read, never modified).
pub(super) fn debian_mirror() -> (String, String) {
    let mut uri = String::new();
    let mut key = String::new();
    if let Ok(text) = std::fs::read_to_string("/etc/apt/sources.list.d/debian.sources") {
        // deb822: the first stanza whose URIs look like the main archive.
        for stanza in text.split("\n\n") {
            let field = |name: &str| {
                stanza
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_owned())
            };
            let Some(u) =
                field("URIs:").and_then(|u| u.split_whitespace().next().map(str::to_owned))
            else {
                continue;
            };
            if u.contains("security") {
                continue;
            }
            uri = u;
            key = field("Signed-By:")
                .filter(|k| k.starts_with('/'))
                .unwrap_or_default();
            break;
        }
    }
    if uri.is_empty() {
        if let Ok(text) = std::fs::read_to_string("/etc/apt/sources.list") {
            uri = text
                .lines()
                .filter(|l| l.starts_with("deb ") && !l.contains("security"))
                .flat_map(str::split_whitespace)
                .find(|w| w.starts_with("http://") || w.starts_with("https://"))
                .unwrap_or_default()
                .to_owned();
        }
    }
    if uri.is_empty() {
        uri = "http://deb.debian.org/debian".to_owned();
    }
    if key.is_empty() {
        key = "/usr/share/keyrings/debian-archive-keyring.gpg".to_owned();
    }
    (uri, key)
}

/// Downloads and unpacks the suite's packages (cached: a complete unpack is
/// marked `.complete` and reused unless `STAGECRAFT_ENGINE_REFRESH=1`).
pub fn fetch(cfg: &Config, suite: &str) -> Result<()> {
    let dest = cfg.engine_cache.join(suite);
    if dest.join(".complete").exists() && !cfg.refresh {
        return Ok(());
    }
    let (uri, key) = debian_mirror();
    let work = cfg.engine_cache.join(format!(".work-{suite}"));
    let _ = std::fs::remove_dir_all(&work);
    let result = fetch_into(suite, &uri, &key, &work, &dest);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn fetch_into(suite: &str, uri: &str, key: &str, work: &Path, dest: &Path) -> Result<()> {
    let io = |e: std::io::Error| Error(format!("{}: {e}", work.display()));
    for d in ["lists/partial", "archives/partial", "debs", "preferences.d"] {
        std::fs::create_dir_all(work.join(d)).map_err(io)?;
    }
    std::fs::write(
        work.join("sources.list"),
        format!("deb [signed-by={key}] {uri} {suite} main\n"),
    )
    .map_err(io)?;
    let opts: Vec<String> = [
        format!(
            "Dir::Etc::sourcelist={}",
            work.join("sources.list").display()
        ),
        "Dir::Etc::sourceparts=-".to_owned(),
        "Dir::Etc::preferences=/dev/null".to_owned(),
        format!(
            "Dir::Etc::preferencesparts={}",
            work.join("preferences.d").display()
        ),
        format!("Dir::State::Lists={}", work.join("lists").display()),
        format!("Dir::Cache::archives={}", work.join("archives").display()),
        "Dir::Cache::pkgcache=".to_owned(),
        "Dir::Cache::srcpkgcache=".to_owned(),
        "APT::Sandbox::User=root".to_owned(),
        "Acquire::Languages=none".to_owned(),
    ]
    .into_iter()
    .flat_map(|o| ["-o".to_owned(), o])
    .chain(["-q".to_owned()])
    .collect();
    log(&format!(
        "fetching engine packages from Debian {suite} ({uri})"
    ));
    run(cmd("apt-get").args(&opts).arg("update"))
        .map_err(|e| Error(format!("apt-get update for {suite} failed: {e}")))?;
    for p in SUITE_PACKAGES {
        let got = run(cmd("apt-get")
            .args(&opts)
            .arg("download")
            .arg(p)
            .current_dir(work.join("debs")));
        // docker-cli is a separate package only in newer suites.
        if let Err(e) = got {
            if *p != "docker-cli" {
                return fail(format!("apt-get download {p} ({suite}) failed: {e}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(dest);
    std::fs::create_dir_all(dest.join("root")).map_err(io)?;
    let mut debs: Vec<PathBuf> = std::fs::read_dir(work.join("debs"))
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    debs.sort();
    let mut versions = String::new();
    for deb in &debs {
        run(cmd("dpkg-deb").arg("-x").arg(deb).arg(dest.join("root")))?;
        versions.push_str(&output(
            Command::new("dpkg-deb")
                .arg("-W")
                .arg("--showformat=${Package} ${Version}\n")
                .arg(deb),
        )?);
        versions.push('\n');
    }
    std::fs::write(dest.join("versions"), &versions).map_err(io)?;
    std::fs::write(dest.join(".complete"), "").map_err(io)?;
    log(&format!(
        "unpacked {} into {}",
        versions.trim().replace('\n', ","),
        dest.display()
    ));
    Ok(())
}

/// Whether the suite's binaries run on this host (an older glibc: no).
pub fn probe(cfg: &Config, suite: &str) -> bool {
    let r = root(cfg, suite);
    let quiet = |p: PathBuf, arg: &str| {
        ok(Command::new(p)
            .arg(arg)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status())
    };
    quiet(r.join("usr/sbin/dockerd"), "--version")
        && quiet(
            r.join("usr/libexec/docker/cli-plugins/docker-buildx"),
            "version",
        )
        && quiet(r.join("usr/bin/docker"), "--version")
}

/// Which containerd a suite's dockerd runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerdMode {
    /// The suite's own, if it runs here.
    Auto,
    Suite,
    System,
}

impl ContainerdMode {
    pub fn parse(knob: &str, value: &str) -> Result<Self> {
        match value {
            "auto" => Ok(Self::Auto),
            "suite" => Ok(Self::Suite),
            "system" => Ok(Self::System),
            other => fail(format!(
                "{knob} must be auto, suite or system, not `{other}`"
            )),
        }
    }
}

/// Builds `<cache>/<suite>/<bindir>`: the PATH dockerd runs with. Each lane
/// has its own, so that neither rebuilds the other's while it runs.
pub fn make_bin(cfg: &Config, suite: &str, bindir: &str, mode: ContainerdMode) -> Result<PathBuf> {
    let r = root(cfg, suite);
    let b = cfg.engine_cache.join(suite).join(bindir);
    let suite_containerd = match mode {
        ContainerdMode::Suite => true,
        ContainerdMode::System => false,
        ContainerdMode::Auto => ok(Command::new(r.join("usr/bin/containerd"))
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()),
    };
    let _ = std::fs::remove_dir_all(&b);
    std::fs::create_dir_all(&b).map_err(|e| Error(format!("{}: {e}", b.display())))?;
    let ctd = |name: &str| {
        if suite_containerd {
            r.join("usr/bin").join(name)
        } else {
            Path::new("/usr/bin").join(name)
        }
    };
    let links: Vec<(PathBuf, &str)> = vec![
        (r.join("usr/sbin/dockerd"), "dockerd"),
        (r.join("usr/sbin/docker-proxy"), "docker-proxy"),
        (r.join("usr/bin/docker"), "docker"),
        (ctd("containerd"), "containerd"),
        (ctd("containerd-shim-runc-v2"), "containerd-shim-runc-v2"),
        (ctd("ctr"), "ctr"),
        // bookworm's runc and tini (see SUITE_PACKAGES).
        (PathBuf::from("/usr/sbin/runc"), "runc"),
        (PathBuf::from("/usr/bin/docker-init"), "docker-init"),
    ];
    for (target, name) in links {
        symlink(&target, b.join(name)).map_err(|e| Error(format!("symlink {name}: {e}")))?;
    }
    Ok(b)
}
