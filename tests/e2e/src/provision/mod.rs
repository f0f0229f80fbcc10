//! Engine provisioning: one `up`, `down`, `env` and `check` per lane of
//! [`crate::lanes`], behind `scripts/engine.sh` (a thin wrapper around the
//! `engine` binary of this crate).
//!
//! - `main`: an engine the caller already has (a reachable Docker with
//!   buildx), unless `STAGECRAFT_PRIVATE_ENGINE=1`; else a private dockerd
//!   from Debian sid (trixie when sid's binaries do not run here) with the
//!   containerd image store.
//! - `legacy`: bookworm's own Docker 20.10, always private.
//! - `docker26`: trixie's Docker 26.1 with the classic image store, always
//!   private.
//! - `remote`: main's Docker from sid (or trixie) in a network namespace of
//!   its own ([`remote`]), reached over TCP, pulling from the registry over
//!   the namespace's link; always private.
//!
//! Every private lane has its own bridge, subnet, data root, exec root,
//! socket and pid file, so all can run at once; they share one registry on
//! 127.0.0.1:5000. Facts about a running engine are typed ([`state`]).
//! Files: [`host`] (processes, locks), [`suite`] (Debian packages),
//! [`dockerd`] (a lane's daemon), [`images`] (busybox images, the registry),
//! [`toolchains`] (Debian-made JDK, Go, Node.js and nginx images for main).
//! The private engines need root.

pub mod check;
pub mod dockerd;
pub mod host;
pub mod images;
pub mod remote;
pub mod state;
pub mod suite;
pub mod toolchains;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::lanes::Lane;
use host::{fail, log, output, output_within, Result};
use state::Instance;
use suite::ContainerdMode;

pub const REGISTRY_ADDR: &str = "127.0.0.1:5000";
const GLOBAL_LOCK: &str = "/run/stagecraft-engine.lock";
/// How long a started dockerd may take to answer. Its start grows with the
/// data root it opens (seen: 23 s for a main lane holding a thousand images
/// an earlier suite left; containerd's own 60 s limit, inside dockerd, was
/// passed once with a cold `meta.db`).
pub const READY_TIMEOUT: Duration = Duration::from_secs(300);
const HOST_PACKAGES: &[&str] = &[
    "docker.io",
    "docker-registry",
    "busybox-static",
    "iproute2",
    "curl",
    "debootstrap",
    // Runs the self-hosted build's linux/arm64 frontend binary (issue 13).
    "qemu-user-static",
];
const DOCKER26_SUITE: &str = "trixie";

/// The knobs, from the environment.
pub struct Config {
    /// `.engine/` of this checkout: env files, logs, CLI configs.
    pub state_dir: PathBuf,
    /// Unpacked suites (`STAGECRAFT_ENGINE_CACHE`, `/opt/stagecraft-engine`).
    pub engine_cache: PathBuf,
    /// Data roots and registry storage (`STAGECRAFT_ENGINE_DATA`).
    pub engine_data: PathBuf,
    /// Suites to try for main (`STAGECRAFT_MAIN_SUITES`, "sid trixie").
    pub main_suites: Vec<String>,
    pub main_containerd: ContainerdMode,
    pub docker26_containerd: ContainerdMode,
    /// Re-download the suites (`STAGECRAFT_ENGINE_REFRESH=1`).
    pub refresh: bool,
    /// Never reuse the caller's engine (`STAGECRAFT_PRIVATE_ENGINE=1`).
    pub private_only: bool,
}

impl Config {
    pub fn from_env(repo: &Path) -> Result<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Ok(Self {
            state_dir: repo.join(".engine"),
            engine_cache: var("STAGECRAFT_ENGINE_CACHE")
                .map_or_else(|| PathBuf::from("/opt/stagecraft-engine"), PathBuf::from),
            engine_data: var("STAGECRAFT_ENGINE_DATA").map_or_else(
                || PathBuf::from("/var/lib/stagecraft-engine"),
                PathBuf::from,
            ),
            main_suites: var("STAGECRAFT_MAIN_SUITES")
                .unwrap_or_else(|| "sid trixie".to_owned())
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            main_containerd: ContainerdMode::parse(
                "STAGECRAFT_MAIN_CONTAINERD",
                &var("STAGECRAFT_MAIN_CONTAINERD").unwrap_or_else(|| "auto".to_owned()),
            )?,
            docker26_containerd: ContainerdMode::parse(
                "STAGECRAFT_DOCKER26_CONTAINERD",
                &var("STAGECRAFT_DOCKER26_CONTAINERD").unwrap_or_else(|| "auto".to_owned()),
            )?,
            refresh: var("STAGECRAFT_ENGINE_REFRESH").is_some_and(|v| v == "1"),
            private_only: var("STAGECRAFT_PRIVATE_ENGINE").is_some_and(|v| v == "1"),
        })
    }
}

/// A lane's network: bridges, subnets and address pools differ so that all
/// lanes can run at once.
pub struct LaneNet {
    pub bridge: &'static str,
    pub cidr: &'static str,
    pub addr_pool: &'static str,
}

fn net(lane: Lane) -> LaneNet {
    match lane {
        Lane::Main => LaneNet {
            bridge: "sc-main0",
            cidr: "172.31.240.1/24",
            addr_pool: "172.30.0.0/17",
        },
        Lane::Legacy => LaneNet {
            bridge: "sc-legacy0",
            cidr: "172.31.241.1/24",
            addr_pool: "172.30.128.0/17",
        },
        Lane::Docker26 => LaneNet {
            bridge: "sc-docker26-0",
            cidr: "172.31.242.1/24",
            addr_pool: "172.29.0.0/17",
        },
        // Made by the dockerd itself, inside the remote lane's namespace.
        Lane::Remote => LaneNet {
            bridge: "docker0",
            cidr: "172.31.243.1/24",
            addr_pool: "172.28.0.0/17",
        },
    }
}

/// Where a lane's engine keeps its things.
pub struct LanePaths {
    pub lane: Lane,
    pub net: LaneNet,
    pub state_dir: PathBuf,
    /// `/run/stagecraft-<lane>`: socket, pid file, exec root, instance facts.
    pub run_dir: PathBuf,
    pub sock: PathBuf,
    pub pidfile: PathBuf,
    pub exec_root: PathBuf,
    /// The facts about the running engine (JSON).
    pub instance: PathBuf,
    pub log: PathBuf,
    pub cli_config: PathBuf,
    /// Data roots start with this (`<data>/<lane>`, `<data>/main-<suite>`).
    pub data_prefix: PathBuf,
}

impl LanePaths {
    pub fn new(cfg: &Config, lane: Lane) -> Self {
        let name = lane.name();
        let run_dir = PathBuf::from(format!("/run/stagecraft-{name}"));
        Self {
            lane,
            net: net(lane),
            state_dir: cfg.state_dir.clone(),
            sock: run_dir.join("docker.sock"),
            pidfile: run_dir.join("docker.pid"),
            exec_root: run_dir.join("exec"),
            instance: run_dir.join("instance.json"),
            log: cfg.state_dir.join(format!("{name}-dockerd.log")),
            cli_config: cfg.state_dir.join(format!("{name}-docker-config")),
            data_prefix: cfg.engine_data.join(name),
            run_dir,
        }
    }

    fn pool_json(&self) -> String {
        format!(
            "\"default-address-pools\": [{{\"base\": \"{}\", \"size\": 24}}]",
            self.net.addr_pool
        )
    }
}

/// The running instance of the lane, if its dockerd is ours and answers.
fn running(p: &LanePaths) -> Option<Instance> {
    dockerd::pid(p)?;
    let i = Instance::read(&p.instance)?;
    dockerd::server_version(p, Path::new(&i.docker), Duration::from_secs(10))?;
    Some(i)
}

fn ensure_host_packages() -> Result<()> {
    let missing: Vec<&str> = HOST_PACKAGES
        .iter()
        .copied()
        .filter(|p| !host::succeeds(Command::new("dpkg").args(["-s", p])))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    log(&format!("installing host packages: {}", missing.join(" ")));
    host::run(host::cmd("apt-get").args(["update", "-q"]))?;
    // policy-rc.d on these machines keeps the system docker.service from
    // starting; we never use the system service anyway.
    host::run(
        host::cmd("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q"])
            .args(&missing),
    )
}

/// Versions of a started engine, from its client and buildx.
fn versions(
    p: &LanePaths,
    docker: &Path,
    buildx: Option<&Path>,
) -> Result<(String, Option<String>, Option<String>)> {
    let dockerd = dockerd::server_version(p, docker, Duration::from_secs(10))
        .ok_or_else(|| host::Error("the engine does not answer `docker version`".to_owned()))?;
    let containerd = output_within(
        dockerd::docker_cmd(p, docker).args([
            "version",
            "--format",
            "{{range .Server.Components}}{{if eq .Name \"containerd\"}}{{.Version}}{{end}}{{end}}",
        ]),
        Duration::from_secs(10),
    )
    .filter(|v| !v.is_empty());
    let buildx = match buildx {
        Some(b) => Some(
            output(Command::new(b).arg("version"))?
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned(),
        ),
        None => None,
    };
    Ok((dockerd, containerd, buildx))
}

/// A suite-based private engine (main from sid/trixie, docker26 from trixie).
fn up_suite(
    cfg: &Config,
    p: &LanePaths,
    suites: &[String],
    bindir: &str,
    mode: ContainerdMode,
    snapshotter: bool,
) -> Result<Instance> {
    for suite_name in suites {
        if let Err(e) = suite::fetch(cfg, suite_name) {
            log(&format!(
                "could not fetch {suite_name} ({e}); trying the next suite"
            ));
            continue;
        }
        if !suite::probe(cfg, suite_name) {
            log(&format!(
                "{suite_name}'s binaries do not run on this host; trying the next suite"
            ));
            continue;
        }
        let bin = suite::make_bin(cfg, suite_name, bindir, mode)?;
        let r = suite::root(cfg, suite_name);
        let docker = r.join("usr/bin/docker");
        let buildx = r.join("usr/libexec/docker/cli-plugins/docker-buildx");
        // Per-suite data root for main: an older dockerd never opens a newer one's data.
        let data_root = if p.lane == Lane::Main {
            cfg.engine_data.join(format!("main-{suite_name}"))
        } else {
            p.data_prefix.clone()
        };
        let features = if snapshotter {
            "\"features\": {\"containerd-snapshotter\": true}, "
        } else {
            ""
        };
        // The remote lane: its own bridge in its namespace, the registry
        // over the namespace's link, the API on TCP.
        let remote = p.lane == Lane::Remote;
        let remote_config = if remote {
            format!(
                "\"bip\": \"{}\", \"insecure-registries\": [\"{}\"], ",
                p.net.cidr,
                remote::REGISTRY
            )
        } else {
            String::new()
        };
        // main grants `security: insecure` when a build asks with `--allow
        // security.insecure` (the differential suite's case shows its effect).
        let builder = if p.lane == Lane::Main {
            "\"builder\": {\"entitlements\": {\"security-insecure\": true}}, "
        } else {
            ""
        };
        let launch = dockerd::Launch {
            dockerd: &bin.join("dockerd"),
            path: format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", bin.display()),
            docker: &docker,
            data_root,
            config: format!(
                "{{{features}{remote_config}{builder}\"shutdown-timeout\": 5, {}}}",
                p.pool_json()
            ),
            extra_flags: &["--ip6tables=false"],
            netns: remote.then_some(remote::NETNS),
            tcp: remote.then_some(remote::ENGINE_TCP),
        };
        // A suite whose binaries run but whose daemon does not start is an
        // error, never a reason to fall back to an older suite: main on
        // trixie would run the suite on buildx 0.13, which lacks `--call`.
        dockerd::start(p, &launch)?;
        let (dockerd_version, containerd_version, buildx_version) =
            versions(p, &docker, Some(&buildx))?;
        return Ok(Instance {
            lane: p.lane.name().to_owned(),
            docker_host: if remote {
                remote::ENGINE_TCP.to_owned()
            } else {
                format!("unix://{}", p.sock.display())
            },
            docker: docker.display().to_string(),
            buildx: buildx.display().to_string(),
            engine: format!("{}/{dockerd_version}", p.lane.name()),
            dockerd_version,
            buildx_version,
            containerd_version,
            suite: Some(suite_name.clone()),
            log: Some(p.log.clone()),
            image_store: Some(if snapshotter { "containerd" } else { "classic" }.to_owned()),
            legacy: false,
            external: false,
            docker_config: None,
            registry: if remote {
                remote::REGISTRY.to_owned()
            } else {
                REGISTRY_ADDR.to_owned()
            },
            lane_image: remote.then(|| format!("{}/stagecraft:dev", remote::REGISTRY)),
        });
    }
    fail(format!(
        "no {} engine could be started (tried: {})",
        p.lane.name(),
        suites.join(" ")
    ))
}

fn up_legacy(cfg: &Config, p: &LanePaths) -> Result<Instance> {
    // bookworm's dockerd runs with bookworm's containerd, runc and tini from PATH.
    let docker = Path::new("/usr/bin/docker");
    let launch = dockerd::Launch {
        dockerd: Path::new("/usr/sbin/dockerd"),
        path: "/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
        docker,
        data_root: cfg.engine_data.join("legacy"),
        config: format!("{{\"shutdown-timeout\": 5, {}}}", p.pool_json()),
        extra_flags: &[],
        netns: None,
        tcp: None,
    };
    dockerd::start(p, &launch)?;
    let (v, _, _) = versions(p, docker, None)?;
    Ok(Instance {
        lane: "legacy".to_owned(),
        docker_host: format!("unix://{}", p.sock.display()),
        docker: docker.display().to_string(),
        buildx: String::new(),
        engine: format!("legacy/{v}"),
        dockerd_version: v,
        buildx_version: None,
        containerd_version: None,
        suite: Some("bookworm".to_owned()),
        log: Some(p.log.clone()),
        image_store: Some("classic".to_owned()),
        legacy: true,
        external: false,
        docker_config: None,
        registry: REGISTRY_ADDR.to_owned(),
        lane_image: None,
    })
}

/// The caller's own engine, if `docker info` and `docker buildx version`
/// work with their settings (and it is not one of ours).
fn external_engine() -> Option<Instance> {
    if std::env::var("DOCKER_HOST").is_ok_and(|h| h.starts_with("unix:///run/stagecraft-")) {
        return None;
    }
    let limit = Duration::from_secs(15);
    output_within(Command::new("docker").arg("info"), limit)?;
    output_within(Command::new("docker").args(["buildx", "version"]), limit)?;
    let docker = output(Command::new("sh").args(["-c", "command -v docker"])).ok()?;
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            output_within(
                Command::new("docker").args([
                    "context",
                    "inspect",
                    "--format",
                    "{{.Endpoints.docker.Host}}",
                ]),
                limit,
            )
        })?;
    let version = output_within(
        Command::new("docker").args(["version", "--format", "{{.Server.Version}}"]),
        limit,
    )?;
    // The buildx plugin binary itself when docker names it.
    let buildx = output_within(
        Command::new("docker").args([
            "info",
            "--format",
            "{{range .ClientInfo.Plugins}}{{if eq .Name \"buildx\"}}{{.Path}}{{end}}{{end}}",
        ]),
        limit,
    )
    .filter(|b| Path::new(b).is_file())
    .unwrap_or_else(|| format!("{docker} buildx"));
    log(&format!(
        "using the already reachable engine at {host} (dockerd {version})"
    ));
    Some(Instance {
        lane: "main".to_owned(),
        docker_host: host,
        docker,
        buildx,
        engine: format!("main/external/{version}"),
        dockerd_version: version,
        buildx_version: None,
        containerd_version: None,
        suite: None,
        log: None,
        image_store: None,
        legacy: false,
        external: true,
        docker_config: None,
        registry: REGISTRY_ADDR.to_owned(),
        lane_image: None,
    })
}

/// `up LANE`: starts or reuses the lane's engine; returns the env file.
pub fn up(cfg: &Config, lane: Lane) -> Result<PathBuf> {
    std::fs::create_dir_all(&cfg.state_dir).map_err(|e| host::Error(e.to_string()))?;
    let p = LanePaths::new(cfg, lane);
    if lane == Lane::Main && !cfg.private_only {
        if let Some(mut i) = external_engine() {
            if !images::registry_answers() {
                if host::succeeds(Command::new("sh").args(["-c", "command -v docker-registry"])) {
                    images::ensure_registry(cfg)?;
                } else {
                    log("no registry on 127.0.0.1:5000 and docker-registry not installed: STAGECRAFT_REGISTRY left empty");
                    i.registry = String::new();
                }
            }
            return i.write_lane_files(&cfg.state_dir, lane);
        }
    }
    host::need_root()?;
    let _lock = host::lock(Path::new(GLOBAL_LOCK))?;
    ensure_host_packages()?;
    for d in [&cfg.engine_cache, &cfg.engine_data] {
        std::fs::create_dir_all(d).map_err(|e| host::Error(e.to_string()))?;
    }
    std::fs::create_dir_all(&p.cli_config).map_err(|e| host::Error(e.to_string()))?;
    let instance = match running(&p) {
        Some(i) => {
            log(&format!("{} engine already running; reusing", lane.name()));
            i
        }
        None => {
            dockerd::stop_daemon(&p); // clear a half-dead instance, if any
            let i = match lane {
                Lane::Main => {
                    up_suite(cfg, &p, &cfg.main_suites, "bin", cfg.main_containerd, true)?
                }
                Lane::Legacy => up_legacy(cfg, &p)?,
                Lane::Docker26 => up_suite(
                    cfg,
                    &p,
                    &[DOCKER26_SUITE.to_owned()],
                    "bin-docker26",
                    cfg.docker26_containerd,
                    false,
                )?,
                Lane::Remote => {
                    remote::ensure_netns()?;
                    up_suite(
                        cfg,
                        &p,
                        &cfg.main_suites,
                        "bin-remote",
                        cfg.main_containerd,
                        true,
                    )?
                }
            };
            i.write(&p.instance)?;
            // A fresh daemon: what earlier suites left in its store goes.
            images::forget_test_images(&p, Path::new(&i.docker))?;
            i
        }
    };
    let docker = PathBuf::from(&instance.docker);
    images::ensure_images(cfg, &p, &docker)?;
    if lane == Lane::Main {
        toolchains::ensure(cfg, &p, &docker)?;
    }
    images::ensure_registry(cfg)?;
    if lane == Lane::Remote {
        // It reaches the registry over its link, not on 127.0.0.1.
        remote::ensure_registry(cfg)?;
    } else {
        images::ensure_registry_busybox(&p, &docker)?;
    }
    let instance = with_cli_config(&p, instance)?;
    let env = instance.write_lane_files(&cfg.state_dir, lane)?;
    log(&format!("{} engine up: {}", lane.name(), instance.engine));
    Ok(env)
}

/// The per-checkout docker CLI config, with buildx as a CLI plugin.
fn with_cli_config(p: &LanePaths, mut i: Instance) -> Result<Instance> {
    let io = |e: std::io::Error| host::Error(format!("{}: {e}", p.cli_config.display()));
    let plugins = p.cli_config.join("cli-plugins");
    std::fs::create_dir_all(&plugins).map_err(io)?;
    let link = plugins.join("docker-buildx");
    let _ = std::fs::remove_file(&link);
    if !i.buildx.is_empty() {
        std::os::unix::fs::symlink(&i.buildx, &link).map_err(io)?;
    }
    let config = p.cli_config.join("config.json");
    if !config.exists() {
        std::fs::write(&config, "{}\n").map_err(io)?;
    }
    i.docker_config = Some(p.cli_config.clone());
    Ok(i)
}

/// `down LANE|all`: stops what `up` started (the registry with the last lane).
pub fn down(cfg: &Config, lanes: &[Lane], all: bool) -> Result<()> {
    host::need_root()?;
    let _lock = host::lock(Path::new(GLOBAL_LOCK))?;
    for lane in lanes {
        let p = LanePaths::new(cfg, *lane);
        dockerd::stop_daemon(&p);
        if *lane == Lane::Remote {
            remote::stop_registry();
            remote::remove_netns();
        } else {
            dockerd::remove_bridge(&p);
        }
        for ext in ["env", "json"] {
            let _ = std::fs::remove_file(cfg.state_dir.join(format!("{}.{ext}", lane.name())));
        }
    }
    let others = Lane::ALL
        .iter()
        .any(|l| dockerd::pid(&LanePaths::new(cfg, *l)).is_some());
    if all || !others {
        images::stop_registry();
    }
    Ok(())
}

/// `env LANE`: the env file, if the lane is up and answers.
pub fn env(cfg: &Config, lane: Lane) -> Option<PathBuf> {
    let file = cfg.state_dir.join(format!("{}.env", lane.name()));
    let i = Instance::read(&cfg.state_dir.join(format!("{}.json", lane.name())))?;
    let mut c = Command::new(&i.docker);
    for (k, v) in i.env_vars() {
        c.env(k, v);
    }
    output_within(
        c.args(["version", "--format", "{{.Server.Version}}"]),
        Duration::from_secs(10),
    )?;
    file.exists().then_some(file)
}
