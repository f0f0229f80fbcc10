//! End-to-end harness: builds specs through `docker buildx build` on a real
//! engine and reads back exported files, image configs and error output.
//!
//! The engine is the one `scripts/engine.sh up` describes in `.engine/<lane>.json`
//! (typed: [`provision::state::Instance`]), and the frontend image is
//! `stagecraft:dev` (or `STAGECRAFT_IMAGE`), built by `scripts/frontend-image.sh`.
//! `scripts/test.sh` prepares both. If either is missing the tests FAIL with
//! a message saying how to prepare them: an end-to-end test never skips.
//!
//! This is test support, not product code: it panics freely on failures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod cases;
pub mod lanes;
pub mod matrix;
pub mod oci;
pub mod provision;
pub mod pty;
pub mod serve;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub use lanes::{Feature, Lane};
pub use matrix::{case, Case};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A provisioned engine.
#[derive(Debug, Clone)]
pub struct Engine {
    pub lane: Lane,
    pub env: BTreeMap<String, String>,
    pub image: String,
}

/// The result of a build.
#[derive(Debug)]
pub struct Build {
    pub success: bool,
    /// stdout and stderr of buildx, together (buildx writes progress to stderr).
    pub log: String,
}

impl Build {
    pub fn assert_ok(&self) -> &Self {
        assert!(self.success, "build failed:\n{}", self.log);
        self
    }

    pub fn assert_failed(&self) -> &Self {
        assert!(!self.success, "build unexpectedly succeeded:\n{}", self.log);
        assert!(
            !self.log.contains("exit code: 139") && !self.log.contains("panicked"),
            "the frontend crashed:\n{}",
            self.log
        );
        self
    }

    pub fn assert_log_contains(&self, needle: &str) -> &Self {
        assert!(
            self.log.contains(needle),
            "expected `{needle}` in the build output:\n{}",
            self.log
        );
        self
    }
}

/// The facts `scripts/engine.sh up` wrote about a lane's engine, as the
/// environment its clients need.
fn engine_env(path: &Path) -> BTreeMap<String, String> {
    let instance = provision::state::Instance::read(path).unwrap_or_else(|| {
        panic!(
            "no engine facts at {}.\nRun `scripts/test.sh` (it provisions the engines and the frontend image), \
             or `scripts/engine.sh up main && scripts/frontend-image.sh` first.",
            path.display()
        )
    });
    instance
        .env_vars()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Engine {
    /// The engine of `lane`, loaded once per test process.
    pub fn for_lane(lane: Lane) -> &'static Engine {
        static ENGINES: [OnceLock<Engine>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let slot = Lane::ALL.iter().position(|l| *l == lane).unwrap_or(0);
        ENGINES[slot].get_or_init(|| Engine::load(lane))
    }

    /// Reads the lane's env file and checks that the frontend image is there.
    fn load(lane: Lane) -> Self {
        // `STAGECRAFT_ENGINE_ENV` (main only) names the env file; the facts
        // are beside it.
        let path = std::env::var("STAGECRAFT_ENGINE_ENV")
            .ok()
            .filter(|_| lane == Lane::Main)
            .map(|p| PathBuf::from(p).with_extension("json"))
            .unwrap_or_else(|| repo().join(".engine").join(format!("{}.json", lane.name())));
        let env = engine_env(&path);
        // A lane whose engine pulls the frontend from a registry names it.
        let image = env
            .get("STAGECRAFT_LANE_IMAGE")
            .cloned()
            .or_else(|| std::env::var("STAGECRAFT_IMAGE").ok())
            .unwrap_or_else(|| "stagecraft:dev".to_owned());
        let engine = Self { lane, env, image };
        let out = engine.docker(&["image", "inspect", "--format", "{{.Id}}", &engine.image]);
        assert!(
            out.status.success(),
            "the frontend image `{}` is not on the {} engine ({}): run `scripts/frontend-image.sh` with the engine env sourced.\n{}",
            engine.image,
            lane.name(),
            engine.env.get("DOCKER_HOST").cloned().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr)
        );
        engine
    }

    pub fn is_legacy(&self) -> bool {
        self.env.get("STAGECRAFT_LEGACY").is_some_and(|v| v == "1")
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the engine's docker client.
    pub fn docker(&self, args: &[&str]) -> Output {
        let docker = self
            .env
            .get("STAGECRAFT_DOCKER")
            .cloned()
            .unwrap_or_else(|| "docker".to_owned());
        self.command(&docker).args(args).output().unwrap()
    }

    /// `docker buildx build ARGS` in `dir` (or `DOCKER_BUILDKIT=1 docker build` on the legacy lane).
    pub fn build(&self, dir: &Path, args: &[&str]) -> Build {
        let out = if self.is_legacy() {
            let docker = self
                .env
                .get("STAGECRAFT_DOCKER")
                .cloned()
                .unwrap_or_else(|| "docker".to_owned());
            self.command(&docker)
                .env("DOCKER_BUILDKIT", "1")
                .arg("build")
                .arg("--progress=plain")
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap()
        } else {
            self.buildx_command()
                .arg("build")
                .arg("--progress=plain")
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap()
        };
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Build {
            success: out.status.success(),
            log,
        }
    }

    /// The lane's buildx: the plugin binary, else `docker buildx`.
    fn buildx_command(&self) -> Command {
        let (argv, _) = self.buildx_argv();
        let mut cmd = self.command(&argv[0]);
        cmd.args(&argv[1..]);
        cmd
    }

    /// The argv and environment that run the lane's buildx (buildx lanes only).
    pub fn buildx_argv(&self) -> (Vec<String>, Vec<(String, String)>) {
        let buildx = self
            .env
            .get("STAGECRAFT_BUILDX")
            .cloned()
            .unwrap_or_default();
        let argv = if buildx.is_empty() {
            vec!["docker".to_owned(), "buildx".to_owned()]
        } else {
            vec![buildx]
        };
        let env = self
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (argv, env)
    }

    /// `docker buildx bake ARGS` in `dir` (buildx lanes only).
    pub fn bake(&self, dir: &Path, args: &[&str]) -> Build {
        let out = self
            .buildx_command()
            .arg("bake")
            .arg("--progress=plain")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        Build {
            success: out.status.success(),
            log: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// Builds `ARGS` into the engine's image store as `tag`: `--load -t tag`
    /// with buildx, `-t tag` with the legacy client (which always loads).
    pub fn build_image(&self, dir: &Path, args: &[&str], tag: &str) -> Build {
        let mut full: Vec<&str> = if self.is_legacy() {
            vec!["-t", tag]
        } else {
            vec!["--load", "-t", tag]
        };
        full.extend_from_slice(args);
        self.build(dir, &full)
    }

    /// Builds `stagecraft.yaml` in `dir` with `extra` options to the output
    /// `dest` (`-o DEST`, e.g. `type=oci,dest=…`).
    pub fn build_to(&self, dir: &Path, dest: &str, extra: &[&str]) -> Build {
        let mut args = vec!["-f", "stagecraft.yaml"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", dest, "."]);
        self.build(dir, &args)
    }

    /// Builds `stagecraft.yaml` in `dir` with `extra` options and exports the
    /// result to `dir/out` (emptied first): `-o type=local,dest=dir/out`.
    pub fn export(&self, dir: &Path, extra: &[&str]) -> (Build, PathBuf) {
        let out = dir.join("out");
        let _ = std::fs::remove_dir_all(&out);
        let dest = format!("type=local,dest={}", out.display());
        let mut args = vec!["-f", "stagecraft.yaml", "-o", dest.as_str()];
        args.extend_from_slice(extra);
        args.push(".");
        (self.build(dir, &args), out)
    }

    /// The config of image `tag` as `docker image inspect` reports it.
    pub fn inspect(&self, tag: &str) -> serde_json::Value {
        let out = self.docker(&["image", "inspect", tag]);
        assert!(
            out.status.success(),
            "inspect {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v[0].clone()
    }

    /// `docker run --rm ARGS`, returning (success, stdout + stderr).
    pub fn run(&self, args: &[&str]) -> (bool, String) {
        let mut full = vec!["run", "--rm"];
        full.extend_from_slice(args);
        let out = self.docker(&full);
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// The registry the lane's engine pushes to and pulls from
    /// (`STAGECRAFT_REGISTRY`; the remote lane reaches it at another address).
    pub fn registry(&self) -> String {
        self.env
            .get("STAGECRAFT_REGISTRY")
            .cloned()
            .unwrap_or_else(|| "127.0.0.1:5000".to_owned())
    }

    /// Builds `dir`'s Dockerfile and pushes it to the registry as `image`:
    /// `--push` with buildx; the legacy client builds into its store, then
    /// `docker push`es.
    pub fn push_image(&self, dir: &Path, image: &str) {
        if self.is_legacy() {
            self.build_image(dir, &["."], image).assert_ok();
            let out = self.docker(&["push", "-q", image]);
            assert!(
                out.status.success(),
                "docker push {image}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            self.build(dir, &["-t", image, "--push", "."]).assert_ok();
        }
    }

    /// A unique image tag for a test.
    pub fn tag(&self, name: &str) -> String {
        format!(
            "stagecraft-e2e/{name}:{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        )
    }
}

/// The lock file a `--call=lock` build printed (buildx shows the
/// subrequest's `result.txt`): its lines from `version: 1` on.
pub fn lock_of(log: &str) -> String {
    log.lines()
        .skip_while(|l| *l != "version: 1")
        .take_while(|l| {
            *l == "version: 1"
                || l.starts_with("images:")
                || l.starts_with("git:")
                || l.starts_with("  ")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A name no earlier run used (engines keep cache mounts across runs and
/// pids repeat): `prefix-<pid>-<nanoseconds since the epoch>`.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// A scratch directory for one test, under target/e2e.
pub fn workdir(name: &str) -> PathBuf {
    let dir = repo().join("target/e2e").join(format!(
        "{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `files` (path → content) under `dir`; a spec's `# syntax=` line is set to the frontend image.
pub fn write_files(dir: &Path, engine: &Engine, files: &[(&str, &str)]) {
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let content = content.replace(
            "# syntax=stagecraft:dev",
            &format!("# syntax={}", engine.image),
        );
        std::fs::write(p, content).unwrap();
    }
}

/// Copies an example folder into a scratch directory, pointing its `# syntax=` at the frontend image.
pub fn example(name: &str, engine: &Engine) -> PathBuf {
    let dir = workdir(name);
    copy_dir(&repo().join("examples").join(name), &dir, engine);
    dir
}

fn copy_dir(from: &Path, to: &Path, engine: &Engine) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&entry.path(), &dest, engine);
        } else if entry.file_name() == "stagecraft.yaml" {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            std::fs::write(
                &dest,
                text.replace(
                    "# syntax=stagecraft:dev",
                    &format!("# syntax={}", engine.image),
                ),
            )
            .unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Every file (not directory) below `dir`, as sorted relative paths.
pub fn files_below(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let ft = entry.file_type().unwrap();
            if ft.is_dir() {
                walk(base, &entry.path(), out);
            } else {
                out.push(
                    entry
                        .path()
                        .strip_prefix(base)
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
