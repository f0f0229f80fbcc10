//! Host helpers for provisioning: running commands with their output on
//! stderr (stdout is reserved for the env file path), time limits,
//! processes by pid file, and the machine-wide lock.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// A provisioning failure, shown as `[engine] ERROR: …`.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// `Err` with a message.
pub fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(Error(message.into()))
}

/// `[engine] …` on stderr.
pub fn log(message: &str) {
    eprintln!("[engine] {message}");
}

/// A command whose stdout goes to our stderr.
pub fn cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.stdout(Stdio::from(std::io::stderr()));
    c
}

/// Runs `c` (stdout on stderr); `Ok` when it exits 0.
pub fn run(c: &mut Command) -> Result<()> {
    let what = format!("{c:?}");
    match c.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => fail(format!("{what} failed ({s})")),
        Err(e) => fail(format!("cannot run {what}: {e}")),
    }
}

/// Whether `c` exits 0 (its output discarded).
pub fn succeeds(c: &mut Command) -> bool {
    c.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `c`'s trimmed stdout when it exits 0 within `limit`, else `None`.
pub fn output_within(c: &mut Command, limit: Duration) -> Option<String> {
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let child = c.spawn().ok()?;
    let out = wait_within(child, limit)?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `c`'s trimmed stdout when it exits 0 (no time limit).
pub fn output(c: &mut Command) -> Result<String> {
    let what = format!("{c:?}");
    let out: Output = c
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error(format!("cannot run {what}: {e}")))?;
    if !out.status.success() {
        return fail(format!("{what} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Waits for `child` at most `limit`, killing it past that.
fn wait_within(mut child: Child, limit: Duration) -> Option<Output> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return child.wait_with_output().ok(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// The pid in `file`, if any.
pub fn read_pid(file: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(file).ok()?;
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// Whether `pid` is a live process whose command line contains `needle`.
pub fn pid_matches(pid: u32, needle: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
        String::from_utf8_lossy(&c)
            .replace('\0', " ")
            .contains(needle)
    })
}

/// Whether `pid` is a zombie; `None` when there is no such process.
fn zombie_state(pid: u32) -> Option<bool> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')
        .map(|(_, rest)| rest.trim_start().starts_with('Z'))
}

/// Whether `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    zombie_state(pid) == Some(false)
}

/// Whether `pid` is a zombie.
pub fn zombie(pid: u32) -> bool {
    zombie_state(pid) == Some(true)
}

/// Sends `signal` (`TERM`, `KILL`) to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

/// Stops `pid`: TERM, then KILL after `grace`.
pub fn stop(pid: u32, grace: Duration) -> bool {
    signal(pid, "TERM");
    let deadline = Instant::now() + grace;
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
    }
    if alive(pid) {
        signal(pid, "KILL");
        return false;
    }
    true
}

/// Polls `ready` every `every` until it holds or `limit` passes.
pub fn wait_until(limit: Duration, every: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(every);
    }
}

/// Fails unless we run as root.
pub fn need_root() -> Result<()> {
    let uid = output(Command::new("id").arg("-u")).unwrap_or_default();
    if uid == "0" {
        Ok(())
    } else {
        fail("a private engine needs root (dockerd, bridges, apt-get); re-run with sudo")
    }
}

/// The machine-wide lock (engines are global), held while the file lives.
pub fn lock(path: &Path) -> Result<File> {
    let f =
        File::create(path).map_err(|e| Error(format!("cannot open {}: {e}", path.display())))?;
    f.lock()
        .map_err(|e| Error(format!("cannot lock {}: {e}", path.display())))?;
    Ok(f)
}

/// The last `n` lines of a log file, to stderr.
pub fn tail(file: &Path, n: usize) {
    if let Ok(text) = std::fs::read_to_string(file) {
        let lines: Vec<&str> = text.lines().collect();
        for l in &lines[lines.len().saturating_sub(n)..] {
            eprintln!("{l}");
        }
    }
}

/// `s` quoted for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-=+,@%".contains(&b))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A status's success, for `--version` probes.
pub fn ok(s: std::io::Result<ExitStatus>) -> bool {
    s.is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_plain_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("/usr/bin/docker"), "/usr/bin/docker");
        assert_eq!(shell_quote("docker buildx"), "'docker buildx'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
