//! Things a build fetches from the host's loopback (the engine can reach it;
//! `run` steps cannot): an HTTP file server and a git daemon serving a
//! repository made for the test. Each server is stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A child process killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port`.
pub fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("nothing listens on 127.0.0.1:{port}");
}

/// Starts `cmd` (quiet) and waits until it listens on `port`.
fn listening(cmd: &mut Command, port: u16) -> Server {
    let server = Server(
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port);
    server
}

/// Serves `dir` over HTTP on 127.0.0.1; returns the server and its port.
pub fn http(dir: &Path) -> (Server, u16) {
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.args([
        "-m",
        "http.server",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
    ])
    .current_dir(dir);
    (listening(&mut cmd, port), port)
}

/// Runs git in `dir`; returns its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Commits every file in `work` with message `message`.
pub fn commit(work: &Path, message: &str) {
    git(work, &["add", "."]);
    git(
        work,
        &[
            "-c",
            "user.email=t@e",
            "-c",
            "user.name=t",
            "commit",
            "-qm",
            message,
        ],
    );
}

/// A bare clone of the repository in `work` as `<root>/repo.git`, served
/// by a git daemon on 127.0.0.1; returns the server and its port
/// (`git://127.0.0.1:PORT/repo.git`).
pub fn git_daemon(root: &Path, work: &Path) -> (Server, u16) {
    let repo: PathBuf = root.join("repo.git");
    git(
        root,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            repo.to_str().unwrap(),
        ],
    );
    let port = free_port();
    let mut cmd = Command::new("git");
    cmd.args([
        "daemon",
        "--reuseaddr",
        "--export-all",
        "--listen=127.0.0.1",
        &format!("--port={port}"),
        &format!("--base-path={}", root.display()),
    ])
    .arg(root);
    (listening(&mut cmd, port), port)
}
