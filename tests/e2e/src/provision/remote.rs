//! The remote lane's network: a namespace of its own for its dockerd, joined
//! to the host by a veth pair, and the registry's address on that pair (a
//! second docker-registry on the same storage), so that the engine pulls
//! the frontend image over the network like any remote builder.
//!
//! Every address here is on the veth pair this module makes; nothing
//! leaves the machine.

use std::process::Command;

use super::host::{cmd, log, run, succeeds, Result};
use super::images::{serve_registry, stop_registry_of, RegistryFiles};
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

/// Whether the namespace exists (`ip netns pids` answers only for one that does).
fn netns_exists() -> bool {
    succeeds(Command::new("ip").args(["netns", "pids", NETNS]))
}

/// Makes the namespace and the veth pair (idempotent).
pub fn ensure_netns() -> Result<()> {
    if !netns_exists() {
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
    if netns_exists() {
        log(&format!("removing network namespace {NETNS}"));
        let _ = succeeds(Command::new("ip").args(["netns", "del", NETNS]));
    }
}

/// A second docker-registry on the host's end of the pair, serving the
/// same storage as the one on 127.0.0.1:5000.
pub fn ensure_registry(cfg: &Config) -> Result<()> {
    serve_registry(cfg, REGISTRY, &FILES)
}

/// Stops the second registry, if we started it.
pub fn stop_registry() {
    stop_registry_of(&FILES);
}

const FILES: RegistryFiles = RegistryFiles {
    config: "remote.yml",
    pid: "registry-remote.pid",
    log: "registry-remote.log",
};
