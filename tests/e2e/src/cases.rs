//! The differential suite's cases (`tests/e2e/differential/*/`): the case
//! directories and the `case.txt` each one has, read in one place for the
//! suites that use them (`differential`, `cache_interop`) and the
//! `golden-llb` tool. What the keys mean is documented on the
//! `differential` suite. Not the suites themselves: no build happens here.

use std::path::{Path, PathBuf};

use crate::repo;

/// The suite's root.
pub fn root() -> PathBuf {
    repo().join("tests/e2e/differential")
}

/// Every case directory, sorted.
pub fn dirs() -> Vec<PathBuf> {
    let root = root();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// One case's `case.txt`.
#[derive(Debug, Default)]
pub struct CaseFile {
    pub why: String,
    pub args: Vec<String>,
    pub fails: Option<String>,
    pub platforms: Option<String>,
    /// Config keys whose difference is by design (`differs: config.KEY reason`).
    pub differs: Vec<String>,
    /// Paths whose difference is by design (`differs: /PATH reason`).
    pub differs_at: Vec<String>,
    /// The converter refuses the Dockerfile, saying this (`convert-fails: TEXT`).
    pub convert_fails: Option<String>,
    /// Why the spec's ops are not the Dockerfile's, by design, so that the
    /// two do not share the cache (`cache-differs: reason`; the cache suite,
    /// `cache_interop`, checks that they indeed do not).
    pub cache_differs: Option<String>,
    /// The build context's files come from this directory of the
    /// repository (`context: examples/NAME`: an example's Dockerfile twin),
    /// with the case's own files on top.
    pub context: Option<String>,
    /// The case builds on the toolchain images the main lane provisions
    /// (`toolchains: which`), so it is no cache pair: the cache suites start
    /// every pair from a fresh busybox.
    pub toolchains: Option<String>,
    /// Servers both builds fetch from (`serve: http` serves the case's
    /// `http/` directory, `serve: git` commits its `git/` directory to a
    /// repository a git daemon serves); `{http}` and `{git}` in `args`
    /// become their URLs.
    pub serve: Vec<String>,
    /// An ssh agent both builds get as `--ssh default=SOCKET` (`ssh: default`).
    pub ssh: bool,
    /// The file the Dockerfile frontend builds instead of `Dockerfile`
    /// (`oracle: FILE reason`): the same build spelled without a flag the
    /// engine's built-in frontend lacks, while the converter gets the original.
    pub oracle: Option<String>,
}

impl CaseFile {
    /// Whether the cache suites take the case: it builds alike on busybox,
    /// from the same Dockerfile.
    pub fn cache_pair(&self) -> bool {
        self.builds_alike() && self.toolchains.is_none() && self.oracle.is_none()
    }

    /// Whether the registry cache suite takes the case: a cache pair that
    /// fetches from no server on the host's loopback (the remote lane's
    /// engine cannot reach it).
    pub fn registry_pair(&self) -> bool {
        self.cache_pair() && self.serve.is_empty()
    }

    /// Whether the offline comparison (`golden-llb`, `dockerfile_llb.rs`)
    /// takes the case: a cache pair whose definition depends on nothing
    /// but the Dockerfile and its build arguments and target (no server's
    /// port, no ssh agent, no named context or entitlement).
    pub fn offline_pair(&self) -> bool {
        let mut args = self.args.iter();
        let mut plain = true;
        while let Some(a) = args.next() {
            plain &= matches!(a.as_str(), "--build-arg" | "--target" | "--secret");
            args.next();
        }
        self.cache_pair() && self.serve.is_empty() && !self.ssh && plain
    }

    /// Whether the case builds alike from the Dockerfile and its spec, on one platform.
    pub fn builds_alike(&self) -> bool {
        self.fails.is_none()
            && self.convert_fails.is_none()
            && self.platforms.is_none()
            && self.differs.is_empty()
            && self.differs_at.is_empty()
    }
}

pub fn read_case(dir: &Path) -> Result<CaseFile, String> {
    let path = dir.join("case.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut case = CaseFile::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("{}: `{line}` is no `key: value`", path.display()))?;
        let value = value.trim().to_owned();
        match key.trim() {
            "why" => case.why = value,
            "args" => case.args = value.split_whitespace().map(str::to_owned).collect(),
            "fails" => case.fails = Some(value),
            "platforms" => case.platforms = Some(value),
            "differs" => {
                let what = value.split_whitespace().next().unwrap_or_default();
                if let Some(key) = what.strip_prefix("config.") {
                    case.differs.push(key.to_owned());
                } else if let Some(p) = what.strip_prefix('/') {
                    case.differs_at.push(p.to_owned());
                } else {
                    return Err(format!(
                        "{}: `differs: config.KEY reason` or `differs: /PATH reason`",
                        path.display()
                    ));
                }
            }
            "convert-fails" => case.convert_fails = Some(value),
            "cache-differs" => case.cache_differs = Some(value),
            "context" => case.context = Some(value),
            "toolchains" => case.toolchains = Some(value),
            "serve" => match value.as_str() {
                "http" | "git" => case.serve.push(value),
                other => {
                    return Err(format!(
                        "{}: `serve: {other}`: `serve: http` or `serve: git`",
                        path.display()
                    ))
                }
            },
            "ssh" if value == "default" => case.ssh = true,
            "ssh" => return Err(format!("{}: `ssh: default` only", path.display())),
            "oracle" => {
                case.oracle = Some(
                    value
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                )
            }
            other => return Err(format!("{}: unknown key `{other}`", path.display())),
        }
    }
    if case.why.is_empty() {
        return Err(format!("{}: no `why:`", path.display()));
    }
    Ok(case)
}
