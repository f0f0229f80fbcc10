//! A lane's private dockerd: its bridge, its start (detached, with its own
//! socket, pid file, data root and exec root) and its stop (by pid file,
//! with the containerd it manages and anything left mounted below its
//! roots).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::host::{
    alive, cmd, fail, log, output, output_within, pid_matches, read_pid, run, stop, succeeds, tail,
    zombie, Error, Result,
};
use super::{LanePaths, READY_TIMEOUT};

/// How to start one dockerd.
pub struct Launch<'a> {
    pub dockerd: &'a Path,
    /// The PATH it runs with (its containerd, runc, tini, docker-proxy).
    pub path: String,
    /// The client that checks it answers.
    pub docker: &'a Path,
    pub data_root: PathBuf,
    /// `daemon.json`.
    pub config: String,
    pub extra_flags: &'a [&'a str],
    /// A network namespace to run in (the remote lane): dockerd then makes
    /// its own bridge there (`bip` in `config`).
    pub netns: Option<&'a str>,
    /// Another address to listen on (`tcp://ADDR:PORT`).
    pub tcp: Option<&'a str>,
}

/// The running dockerd's pid (recognised by its exec root on the command line).
pub fn pid(p: &LanePaths) -> Option<u32> {
    read_pid(&p.pidfile).filter(|pid| pid_matches(*pid, &p.exec_root.display().to_string()))
}

/// `docker version` against the lane's socket with `docker`, within `limit`.
pub fn server_version(p: &LanePaths, docker: &Path, limit: Duration) -> Option<String> {
    output_within(
        docker_cmd(p, docker)
            .arg("version")
            .arg("--format")
            .arg("{{.Server.Version}}"),
        limit,
    )
}

/// The lane's docker client with a clean docker environment.
pub fn docker_cmd(p: &LanePaths, docker: &Path) -> Command {
    let mut c = cmd(docker);
    c.env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .env("DOCKER_HOST", format!("unix://{}", p.sock.display()))
        .env("DOCKER_CONFIG", &p.cli_config);
    c
}

fn ensure_bridge(p: &LanePaths) -> Result<()> {
    let bridge = p.net.bridge;
    if !succeeds(Command::new("ip").args(["link", "show", bridge])) {
        let net = format!(
            "{}.0/24",
            p.net.cidr.rsplit_once('.').map_or(p.net.cidr, |(a, _)| a)
        );
        let routed =
            output(Command::new("ip").args(["-4", "route", "show", &net])).unwrap_or_default();
        if !routed.is_empty() {
            return fail(format!(
                "subnet {net} already routed on this host; cannot create bridge {bridge}"
            ));
        }
        log(&format!("creating bridge {bridge} ({})", p.net.cidr));
        run(cmd("ip").args(["link", "add", bridge, "type", "bridge"]))?;
    }
    let addrs =
        output(Command::new("ip").args(["-4", "addr", "show", "dev", bridge])).unwrap_or_default();
    if !addrs.contains(&format!("inet {} ", p.net.cidr)) {
        run(cmd("ip").args(["addr", "flush", "dev", bridge]))?;
        run(cmd("ip").args(["addr", "add", p.net.cidr, "dev", bridge]))?;
    }
    run(cmd("ip").args(["link", "set", bridge, "up"]))
}

pub fn remove_bridge(p: &LanePaths) {
    if succeeds(Command::new("ip").args(["link", "show", p.net.bridge])) {
        log(&format!("removing bridge {}", p.net.bridge));
        let _ = succeeds(Command::new("ip").args(["link", "del", p.net.bridge]));
    }
}

/// Removes the pid files of a lane's earlier daemons that no longer run. A
/// pid is reused by the system: dockerd 20.10 takes a live process of the
/// pid in `containerd.pid` for its containerd and waits for a socket that
/// never comes (seen after a host ran for hours).
fn remove_stale_pid_files(p: &LanePaths) {
    let root = p.exec_root.display().to_string();
    for file in [
        p.exec_root.join("containerd").join("containerd.pid"),
        p.exec_root.join("docker.pid"),
    ] {
        if read_pid(&file).is_some_and(|pid| !pid_matches(pid, &root)) {
            log(&format!("removing stale {}", file.display()));
            let _ = std::fs::remove_file(&file);
        }
    }
}

/// Reads the daemon's metadata databases (containerd's `meta.db`,
/// BuildKit's `*.db`) once, front to back, so that they are in the page
/// cache when the daemon opens them. Opened cold, a `meta.db` of 200 MB
/// took containerd past dockerd's 60 s limit for it to start (`waiting for
/// response from boltdb open`, then `timeout waiting for containerd to
/// start`); read sequentially first, it opens in seconds.
fn warm_databases(data_root: &Path) {
    let dirs = [
        data_root.join("containerd/daemon/io.containerd.metadata.v1.bolt"),
        data_root.join("buildkit"),
    ];
    let started = std::time::Instant::now();
    let mut bytes = 0;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "db") {
                if let Ok(mut f) = std::fs::File::open(&path) {
                    bytes += std::io::copy(&mut f, &mut std::io::sink()).unwrap_or(0);
                }
            }
        }
    }
    if bytes > 0 {
        log(&format!(
            "read {} MB of the daemon's databases ahead of its start ({}s)",
            bytes / 1_000_000,
            started.elapsed().as_secs()
        ));
    }
}

/// Starts the lane's dockerd and waits until it answers; once more if it
/// exits or does not answer the first time (a daemon whose store opens
/// slowly the first time opens from the page cache the second).
pub fn start(p: &LanePaths, l: &Launch<'_>) -> Result<()> {
    warm_databases(&l.data_root);
    match start_once(p, l) {
        Ok(()) => Ok(()),
        Err(e) => {
            log(&format!("{e}; starting it once more"));
            start_once(p, l)
        }
    }
}

fn start_once(p: &LanePaths, l: &Launch<'_>) -> Result<()> {
    let io = |e: std::io::Error| Error(format!("{e}"));
    for d in [&p.run_dir, &p.exec_root, &l.data_root, &p.state_dir] {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    let daemon_json = p.run_dir.join("daemon.json");
    std::fs::write(&daemon_json, format!("{}\n", l.config)).map_err(io)?;
    remove_stale_pid_files(p);
    if l.netns.is_none() {
        ensure_bridge(p)?;
    }
    log(&format!(
        "starting dockerd ({}) -> log {}",
        p.lane.name(),
        p.log.display()
    ));
    use std::io::Write as _;
    let mut logf = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&p.log)
        .map_err(io)?;
    let _ = writeln!(
        logf,
        "\n===== engine up {}: starting {}",
        p.lane.name(),
        l.dockerd.display()
    );
    let err = logf.try_clone().map_err(io)?;
    // setsid: the daemon outlives us, in a session of its own.
    let mut launcher = Command::new("setsid");
    launcher
        .env_clear()
        .env("PATH", &l.path)
        .env("HOME", "/root")
        .env("LANG", "C.UTF-8");
    if let Some(ns) = l.netns {
        // nsenter enters only the network namespace: `ip netns exec` would
        // also remount /sys, hiding the cgroup mounts dockerd needs.
        launcher
            .arg("nsenter")
            .arg(format!("--net=/run/netns/{ns}"))
            .arg("--");
    }
    launcher
        .arg(l.dockerd)
        .arg("--config-file")
        .arg(&daemon_json)
        .arg("--host")
        .arg(format!("unix://{}", p.sock.display()))
        .arg("--pidfile")
        .arg(&p.pidfile)
        .arg("--data-root")
        .arg(&l.data_root)
        .arg("--exec-root")
        .arg(&p.exec_root);
    if l.netns.is_none() {
        launcher.arg("--bridge").arg(p.net.bridge);
    }
    if let Some(tcp) = l.tcp {
        launcher.arg("--host").arg(tcp);
    }
    let mut launcher = launcher
        .arg("--iptables=false")
        .arg("--ip-forward=false")
        .args(l.extra_flags)
        .stdin(Stdio::null())
        .stdout(Stdio::from(logf))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| Error(format!("cannot start {}: {e}", l.dockerd.display())))?;
    let started = std::time::Instant::now();
    let mut exited = false;
    let ready = super::host::wait_until(READY_TIMEOUT, Duration::from_millis(500), || {
        if server_version(p, l.docker, Duration::from_secs(5)).is_some() {
            return true;
        }
        exited = matches!(launcher.try_wait(), Ok(Some(_))) && pid(p).is_none();
        exited
    });
    if ready && !exited {
        log(&format!(
            "dockerd ({}) ready after ~{}s (pid {})",
            p.lane.name(),
            started.elapsed().as_secs(),
            pid(p).map_or_else(|| "?".to_owned(), |x| x.to_string())
        ));
        return Ok(());
    }
    log(&format!(
        "dockerd ({}) {}; last log lines:",
        p.lane.name(),
        if exited {
            "exited".to_owned()
        } else {
            format!("not ready after {}s", READY_TIMEOUT.as_secs())
        }
    ));
    tail(&p.log, 25);
    stop_daemon(p);
    fail(format!("dockerd ({}) did not start", p.lane.name()))
}

/// Stops the lane's dockerd and its containerd, unmounts what is left, and
/// removes the pid file, socket and instance facts.
pub fn stop_daemon(p: &LanePaths) {
    if let Some(pid) = pid(p) {
        log(&format!("stopping dockerd ({}, pid {pid})", p.lane.name()));
        if !stop(pid, Duration::from_secs(30)) {
            log(&format!(
                "dockerd ({}) did not stop in 30s; killed",
                p.lane.name()
            ));
        }
    }
    // dockerd normally stops its containerd; make sure (pid file under the exec root).
    let ctd_pidfile = p.exec_root.join("containerd/containerd.pid");
    if let Some(ctd) = read_pid(&ctd_pidfile) {
        if pid_matches(ctd, &p.exec_root.display().to_string()) && alive(ctd) {
            log(&format!(
                "stopping leftover containerd ({}, pid {ctd})",
                p.lane.name()
            ));
            stop(ctd, Duration::from_secs(10));
        }
        // A crashed dockerd's containerd may linger as a zombie (pid 1 here
        // reaps lazily); a new dockerd would wait for that pid to go away.
        if zombie(ctd) {
            let _ = std::fs::remove_file(&ctd_pidfile);
        }
    }
    // Unmount anything left below our roots, deepest first.
    let roots = [
        p.exec_root.display().to_string(),
        p.data_prefix.display().to_string(),
    ];
    let mut mounts: Vec<String> = std::fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .filter(|m| roots.iter().any(|r| m.starts_with(r.as_str())))
        .collect();
    mounts.sort();
    for m in mounts.iter().rev() {
        let _ = succeeds(Command::new("umount").args(["-l", m]));
    }
    for f in [&p.pidfile, &p.sock, &p.instance] {
        let _ = std::fs::remove_file(f);
    }
}
