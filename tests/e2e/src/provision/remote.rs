//! The remote lane's network: a namespace of its own for its dockerd, joined
//! to the host by a veth pair, and the registry's address on that pair (a
//! second docker-registry on the same storage), so that the engine pulls
//! the frontend image over the network like any remote builder.
//!
//! Every address here is on the veth pair this module makes; nothing
//! leaves the machine.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::host::{
    cmd, fail, log, pid_matches, read_pid, run, stop, succeeds, tail, wait_until, Error, Result,
};
use super::images::{curl_ok, REGISTRY_RUN};
use super::Config;

/// The namespace the remote engine runs in.
pub const NETNS: &str = "stagecraft-remote";
const HOST_IF: &str = "sc-rhost";
const NS_IF: &str = "sc-rns";
/// The host's end of the pair, and the engine's.
pub const HOST_ADDR: &str = "172.31.250.1";
pub const ENGINE_ADDR: &str = "172.31.250.2";
/// The registry as the remote engine reaches it.
pub const REGISTRY: &str = "172.31.250.1:5000";
/// The engine's API, as clients reach it.
pub const ENGINE_TCP: &str = "tcp://172.31.250.2:2375";

fn in_ns(args: &[&str]) -> Command {
    let mut c = cmd("ip");
    c.args(["netns", "exec", NETNS]).args(args);
    c
}

/// Makes the namespace and the veth pair (idempotent).
pub fn ensure_netns() -> Result<()> {
    let exists = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .any(|w| w == NETNS)
        })
        .unwrap_or(false);
    if !exists {
        log(&format!("creating network namespace {NETNS}"));
        run(cmd("ip").args(["netns", "add", NETNS]))?;
    }
    if !succeeds(Command::new("ip").args(["link", "show", HOST_IF])) {
        log(&format!(
            "creating veth {HOST_IF} ({HOST_ADDR}) <-> {NS_IF} ({ENGINE_ADDR}) in {NETNS}"
        ));
        run(cmd("ip").args([
            "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF,
        ]))?;
        run(cmd("ip").args(["link", "set", NS_IF, "netns", NETNS]))?;
        run(cmd("ip").args(["addr", "add", &format!("{HOST_ADDR}/30"), "dev", HOST_IF]))?;
        run(cmd("ip").args(["link", "set", HOST_IF, "up"]))?;
        run(&mut in_ns(&[
            "ip",
            "addr",
            "add",
            &format!("{ENGINE_ADDR}/30"),
            "dev",
            NS_IF,
        ]))?;
        run(&mut in_ns(&["ip", "link", "set", NS_IF, "up"]))?;
        run(&mut in_ns(&["ip", "link", "set", "lo", "up"]))?;
    }
    Ok(())
}

/// Removes the namespace (and so the veth pair).
pub fn remove_netns() {
    if succeeds(Command::new("ip").args(["link", "show", HOST_IF])) {
        let _ = succeeds(Command::new("ip").args(["link", "del", HOST_IF]));
    }
    if succeeds(Command::new("ip").args(["netns", "pids", NETNS])) {
        log(&format!("removing network namespace {NETNS}"));
        let _ = succeeds(Command::new("ip").args(["netns", "del", NETNS]));
    }
}

fn registry_answers() -> bool {
    curl_ok(&[], &format!("http://{REGISTRY}/v2/"))
}

/// A second docker-registry on the host's end of the pair, serving the
/// same storage as the one on 127.0.0.1:5000 (started first).
pub fn ensure_registry(cfg: &Config) -> Result<()> {
    if registry_answers() {
        return Ok(());
    }
    let io = |e: std::io::Error| Error(format!("starting the remote lane's registry: {e}"));
    let run_dir = Path::new(REGISTRY_RUN);
    std::fs::create_dir_all(run_dir).map_err(io)?;
    let config = run_dir.join("remote.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {REGISTRY}\n",
            cfg.engine_data.join("registry").display()
        ),
    )
    .map_err(io)?;
    log(&format!(
        "starting docker-registry on {REGISTRY} (the remote lane's view)"
    ));
    let logfile = cfg.state_dir.join("registry-remote.log");
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
    std::fs::write(run_dir.join("registry-remote.pid"), child.id().to_string()).map_err(io)?;
    let up = wait_until(Duration::from_secs(10), Duration::from_millis(250), || {
        registry_answers() || matches!(child.try_wait(), Ok(Some(_)))
    });
    if up && registry_answers() {
        return Ok(());
    }
    tail(&logfile, 20);
    fail(format!("docker-registry did not come up on {REGISTRY}"))
}

/// Stops the second registry, if we started it.
pub fn stop_registry() {
    let pidfile = Path::new(REGISTRY_RUN).join("registry-remote.pid");
    if let Some(pid) = read_pid(&pidfile) {
        if pid_matches(pid, &format!("{REGISTRY_RUN}/remote.yml")) {
            log(&format!(
                "stopping docker-registry on {REGISTRY} (pid {pid})"
            ));
            stop(pid, Duration::from_secs(5));
        }
    }
    let _ = std::fs::remove_file(pidfile);
}
