//! A conversation with an interactive command through a pseudo-terminal
//! (util-linux `script`), for what only runs on a terminal, such as
//! `docker buildx debug`'s shell.
//!
//! It waits for each expected text before it sends the next line, so no
//! step depends on timing; the whole conversation has a deadline, after which
//! the command is killed and the transcript so far is returned.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `argv` on a terminal; for each `(wait_for, send)`, waits until the
/// output so far contains `wait_for`, then types `send`. Returns the whole
/// output (terminal escapes included) and whether every expected text came.
pub fn converse(
    envs: &[(String, String)],
    dir: &std::path::Path,
    argv: &[String],
    exchanges: &[(&str, &str)],
    deadline: Duration,
) -> (String, bool) {
    let line = argv
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = Command::new("script")
        .args(["-qefc", &line, "/dev/null"])
        .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take();
    let started = Instant::now();
    let mut out = Vec::new();
    let mut all_came = true;
    for (wait_for, send) in exchanges {
        if !read_until(&rx, &mut out, wait_for, started + deadline) {
            all_came = false;
            break;
        }
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(send.as_bytes());
            let _ = stdin.flush();
        }
    }
    // The end of input ends the conversation; then the command has until
    // the deadline to finish.
    drop(stdin);
    while Instant::now() < started + deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(chunk) => out.extend(chunk),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if child.try_wait().ok().flatten().is_none() {
        let _ = child.kill();
    }
    let _ = child.wait();
    (String::from_utf8_lossy(&out).into_owned(), all_came)
}

fn read_until(
    rx: &mpsc::Receiver<Vec<u8>>,
    out: &mut Vec<u8>,
    needle: &str,
    until: Instant,
) -> bool {
    loop {
        if String::from_utf8_lossy(out).contains(needle) {
            return true;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        match rx.recv_timeout(left.min(Duration::from_millis(500))) {
            Ok(chunk) => out.extend(chunk),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return String::from_utf8_lossy(out).contains(needle)
            }
        }
    }
}
