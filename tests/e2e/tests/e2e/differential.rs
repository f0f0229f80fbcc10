//! The differential suite (issue 10): every Dockerfile under
//! `tests/e2e/differential/` is converted with `stagecraft convert`, and the
//! Dockerfile (through the engine's built-in frontend, the oracle) and the
//! converted spec (through Stagecraft) are built on the same engine. Their
//! images must be the same: the image config, and the flattened filesystem
//! of the layers (path, type, mode, numeric owner, link target, content; not
//! timestamps, and not how the files are split into layers) for every
//! platform. A case that fails must fail in both builds, with the same text
//! and, for a `run`, the same command and exit code.
//!
//! A case is a directory: its `Dockerfile`, the context files it reads, and
//! a `case.txt` of `key: value` lines: `why` (what it covers), `args` (more
//! `docker buildx build` arguments for both builds), `fails` (a text both
//! failing builds print), `platforms` (a multi-platform build),
//! `differs` (a by-design difference: `config.KEY reason` or `/PATH
//! reason`, listed in docs/migrating.md), `convert-fails` (the
//! converter refuses the Dockerfile with this text, at its line) and
//! `cache-differs` (the spec's ops are not the Dockerfile's, by design: see
//! `cache_interop`), `context` (the context's files come from this
//! directory of the repository: an example's Dockerfile twin) and
//! `toolchains` (the case builds on the toolchain images the main lane
//! provisions, so it is no cache pair), `serve` (`http` or `git`: a server
//! of the case's `http/` or `git/` directory on the host's loopback, whose
//! URL `{http}` or `{git}` in `args` names), `ssh` (`default`: an ssh agent,
//! passed as `--ssh default=…`) and `oracle` (the engine's frontend builds
//! this file instead of the `Dockerfile` it lacks a flag for).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use e2e::cases::{self, read_case, CaseFile};
use e2e::{case, oci, repo, serve, workdir, Case, Engine, Feature};

use oci::run;

/// One platform's image: its config and its filesystem, flattened.
struct Image {
    config: serde_json::Value,
    /// Path → `<mode> <uid>/<gid>[ -> target| link to target][ #hash (n bytes)]`.
    files: BTreeMap<String, String>,
}

/// Applies one layer to `files`: its whiteouts remove what lower layers
/// had, then its entries are added.
fn apply_layer(
    files: &mut BTreeMap<String, String>,
    layer: &Path,
    scratch: &Path,
) -> Result<(), String> {
    let entries: Vec<(String, String, String)> =
        oci::layer_entries(layer, &scratch.join("unpacked"))?
            .into_iter()
            .map(|e| {
                let link = e.link_text();
                // A hard link and a copy of the same file are the same image.
                let entry = oci::Entry {
                    mode: e.mode.replacen('h', "-", 1),
                    ..e.clone()
                };
                (e.path, entry.describe(), link)
            })
            .collect();
    let under = |dir: &str, path: &str| dir == "." || path.starts_with(&format!("{dir}/"));
    for (path, _, _) in &entries {
        let (dir, base) = match path.rsplit_once('/') {
            Some((d, b)) => (d.to_owned(), b),
            None => (".".to_owned(), path.as_str()),
        };
        if base == ".wh..wh..opq" {
            files.retain(|p, _| !under(&dir, p));
        } else if let Some(name) = base.strip_prefix(".wh.") {
            let gone = if dir == "." {
                name.to_owned()
            } else {
                format!("{dir}/{name}")
            };
            files.retain(|p, _| *p != gone && !under(&gone, p));
        }
    }
    for (path, entry, link) in entries {
        let base = path.rsplit('/').next().unwrap_or_default();
        if base.starts_with(".wh.") {
            continue;
        }
        let link = if link.starts_with(" link to ") {
            String::new()
        } else {
            link
        };
        files.insert(path, format!("{entry}{link}"));
    }
    Ok(())
}

/// Builds `file` in `dir` and exports it as an OCI layout, unpacked: each
/// platform's image, by platform; or the build's log when it failed.
fn build(
    engine: &Engine,
    dir: &Path,
    file: &str,
    case: &CaseFile,
    extra: &[String],
) -> Result<BTreeMap<String, Image>, String> {
    let root = workdir(&format!("differential-oci-{}", file.replace('.', "-")));
    let tarball = root.join("image.tar");
    let dest = format!("type=oci,dest={}", tarball.display());
    let mut args: Vec<&str> = vec!["-f", file, "-o", &dest];
    if let Some(p) = &case.platforms {
        args.extend(["--platform", p]);
    }
    args.extend(extra.iter().map(String::as_str));
    args.push(".");
    let b = engine.build(dir, &args);
    if !b.success {
        return Err(b.log);
    }
    oci::unpack(&tarball, &root).map_err(|e| format!("{e}\n{}", b.log))?;
    let mut images = BTreeMap::new();
    for manifest in oci::image_manifests(&root)? {
        let (config, layers) = oci::config_and_layers(&root, &manifest)?;
        let platform = ["os", "architecture", "variant"]
            .iter()
            .filter_map(|k| config[k].as_str())
            .collect::<Vec<_>>()
            .join("/");
        let mut files = BTreeMap::new();
        for (_, layer) in layers {
            apply_layer(&mut files, &layer, &root)?;
        }
        images.insert(platform, Image { config, files });
    }
    Ok(images)
}

/// What a case's builds need running on the host while they run (its
/// `serve:` servers, its `ssh:` agent), and its `args` with `{http}` and
/// `{git}` replaced by the servers' URLs and `--ssh` added. The same
/// placeholders in the case's `Dockerfile` (and oracle) are replaced too,
/// before it is converted.
pub(crate) struct Services {
    _servers: Vec<serve::Server>,
    agent: Option<std::process::Child>,
    pub(crate) args: Vec<String>,
}

impl Services {
    pub(crate) fn start(case: &CaseFile, dir: &Path) -> Result<Services, String> {
        let mut servers = Vec::new();
        let mut urls = Vec::new();
        for kind in &case.serve {
            match kind.as_str() {
                "http" => {
                    let (server, port) = serve::http(&dir.join("http"));
                    servers.push(server);
                    urls.push(("{http}", format!("http://127.0.0.1:{port}")));
                }
                "git" => {
                    let root = workdir("differential-git");
                    let work = root.join("work");
                    run(Command::new("cp").arg("-a").arg(dir.join("git")).arg(&work))?;
                    serve::git(&work, &["init", "-q", "-b", "main"]);
                    serve::commit(&work, "the case's git/ directory");
                    let (server, port) = serve::git_daemon(&root, &work);
                    servers.push(server);
                    urls.push(("{git}", format!("git://127.0.0.1:{port}/repo.git")));
                }
                other => return Err(format!("no server `{other}`")),
            }
        }
        let put = |text: &str| {
            urls.iter()
                .fold(text.to_owned(), |t, (key, url)| t.replace(key, url))
        };
        for file in std::iter::once("Dockerfile").chain(case.oracle.as_deref()) {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
            std::fs::write(&path, put(&text)).map_err(|e| format!("{file}: {e}"))?;
        }
        let mut args: Vec<String> = case.args.iter().map(|a| put(a)).collect();
        let mut agent = None;
        if case.ssh {
            let sock = workdir("differential-ssh").join("agent.sock");
            let child = Command::new("ssh-agent")
                .args(["-D", "-a"])
                .arg(&sock)
                .stdout(std::process::Stdio::null())
                .spawn()
                .map_err(|e| format!("ssh-agent: {e}"))?;
            agent = Some(child);
            for _ in 0..100 {
                if sock.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            args.extend(["--ssh".to_owned(), format!("default={}", sock.display())]);
        }
        Ok(Services {
            _servers: servers,
            agent,
            args,
        })
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        if let Some(agent) = &mut self.agent {
            let _ = agent.kill();
            let _ = agent.wait();
        }
    }
}

/// `process "…" did not complete successfully: exit code: N` in a log.
fn failed_process(log: &str) -> Option<&str> {
    let start = log.find("process \"")?;
    let rest = &log[start..];
    let end = rest.find('\n').unwrap_or(rest.len());
    Some(&rest[..end])
}

/// What differs between the two images, or nothing.
fn compare(
    ours: &BTreeMap<String, Image>,
    oracle: &BTreeMap<String, Image>,
    case: &CaseFile,
) -> Vec<String> {
    let mut diffs = Vec::new();
    let platforms = |m: &BTreeMap<String, Image>| m.keys().cloned().collect::<Vec<_>>();
    if platforms(ours) != platforms(oracle) {
        diffs.push(format!(
            "platforms: {:?} against {:?}",
            platforms(ours),
            platforms(oracle)
        ));
    }
    for (platform, o) in oracle {
        let Some(s) = ours.get(platform) else {
            continue;
        };
        for key in ["architecture", "os", "variant"] {
            if s.config[key] != o.config[key] {
                diffs.push(format!(
                    "{platform}: `{key}` {} against {}",
                    s.config[key], o.config[key]
                ));
            }
        }
        let (sc, oc) = (&s.config["config"], &o.config["config"]);
        let keys: std::collections::BTreeSet<&String> = sc
            .as_object()
            .into_iter()
            .chain(oc.as_object())
            .flat_map(|m| m.keys())
            .collect();
        for key in keys {
            if sc[key.as_str()] != oc[key.as_str()] && !case.differs.contains(key) {
                diffs.push(format!(
                    "{platform}: config `{key}`: {} against {}",
                    sc[key.as_str()],
                    oc[key.as_str()]
                ));
            }
        }
        for (path, entry) in o.files.iter().filter(|(p, _)| !case.differs_at.contains(p)) {
            match s.files.get(path) {
                None => diffs.push(format!("{platform}: missing `{path}` ({entry})")),
                Some(e) if e != entry => {
                    diffs.push(format!("{platform}: `{path}`: {e} against {entry}"))
                }
                Some(_) => {}
            }
        }
        for (path, entry) in s.files.iter().filter(|(p, _)| !case.differs_at.contains(p)) {
            if !o.files.contains_key(path) {
                diffs.push(format!("{platform}: extra `{path}` ({entry})"));
            }
        }
    }
    diffs
}

/// Runs `run` on every case of `dirs`, three at a time (each builds on
/// the engine), and gives the failures as `## NAME` and the error, sorted.
pub(crate) fn for_each_case(
    dirs: &[PathBuf],
    run: impl Fn(&Path) -> Result<(), String> + Sync,
) -> Vec<String> {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(dir) = dirs.get(i) else { break };
                if let Err(e) = run(dir) {
                    let name = dir
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    failures
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(format!("## {name}\n{e}"));
                }
            });
        }
    });
    let mut failures = failures
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    failures.sort();
    failures
}

/// Copies the case directory `source` (Dockerfile, context files, `case.txt`) into `dir`.
pub(crate) fn copy_case(source: &Path, dir: &Path) -> Result<(), String> {
    if let Some(context) = read_case(source)?.context {
        run(Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", repo().join(context).display()))
            .arg(dir))?;
    }
    run(Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", source.display()))
        .arg(dir))
    .map(|_| ())
}

/// `dockerfile` converted to a spec whose `# syntax=` is the lane's frontend image.
pub(crate) fn convert(
    dockerfile: &str,
    engine: &Engine,
) -> Result<String, stagecraft::dockerfile::ConvertError> {
    stagecraft::dockerfile::convert(
        dockerfile,
        &stagecraft::dockerfile::ConvertOptions {
            syntax: engine.image.clone(),
            source_name: "Dockerfile".to_owned(),
            lenient: false,
        },
    )
}

/// One case: `Ok` when both builds agree.
fn run_case(engine: &Engine, source: &Path) -> Result<(), String> {
    let name = source
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let case = read_case(source)?;
    let dir = workdir(&format!("differential-{name}"));
    copy_case(source, &dir)?;
    let services = Services::start(&case, &dir)?;
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).map_err(|e| e.to_string())?;
    let converted = convert(&dockerfile, engine);
    let spec = match (converted, &case.convert_fails) {
        (Ok(spec), None) => spec,
        (Err(e), Some(text)) if e.message.contains(text.as_str()) => return Ok(()),
        (Err(e), _) => return Err(format!("convert: Dockerfile:{}: {}", e.line, e.message)),
        (Ok(spec), Some(text)) => {
            return Err(format!(
                "converted, where the converter should refuse with `{text}`:\n{spec}"
            ))
        }
    };
    std::fs::write(dir.join("stagecraft.yaml"), &spec).map_err(|e| e.to_string())?;
    let oracle_file = case.oracle.as_deref().unwrap_or("Dockerfile");
    let oracle = build(engine, &dir, oracle_file, &case, &services.args);
    let ours = build(engine, &dir, "stagecraft.yaml", &case, &services.args);
    drop(services);
    match (ours, oracle, &case.fails) {
        (Ok(s), Ok(o), None) => {
            let diffs = compare(&s, &o, &case);
            if diffs.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} (ours against the Dockerfile's):\n  {}\nthe spec:\n{spec}",
                    case.why,
                    diffs.join("\n  ")
                ))
            }
        }
        (Err(s), Err(o), Some(text)) => {
            let mut problems = Vec::new();
            for (who, log) in [("ours", &s), ("the Dockerfile's", &o)] {
                if !log.contains(text.as_str()) {
                    problems.push(format!("{who} does not say `{text}`:\n{log}"));
                }
            }
            if failed_process(&s) != failed_process(&o) {
                problems.push(format!(
                    "the failed process differs: {:?} against {:?}",
                    failed_process(&s),
                    failed_process(&o)
                ));
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("\n"))
            }
        }
        (Ok(_), Ok(_), Some(text)) => Err(format!(
            "both built; the case expects a failure saying `{text}`"
        )),
        (Err(log), Ok(_), _) => Err(format!(
            "ours failed, the Dockerfile built:\n{log}\nthe spec:\n{spec}"
        )),
        (Ok(_), Err(log), _) => Err(format!("the Dockerfile failed, ours built:\n{log}")),
        (Err(s), Err(o), None) => Err(format!("both failed:\nours:\n{s}\nthe Dockerfile's:\n{o}")),
    }
}

/// The case directories, sorted.
/// Every case of the suite, three at a time; one failure lists every case
/// that differs.
pub fn converted_dockerfiles_build_the_same_images(engine: &Engine) {
    let mut dirs = cases::dirs();
    // `STAGECRAFT_DIFFERENTIAL=PART` runs only the cases whose name contains
    // PART (while working on one); CI sets nothing and runs them all.
    match std::env::var("STAGECRAFT_DIFFERENTIAL") {
        Ok(part) => {
            dirs.retain(|d| d.to_string_lossy().contains(part.as_str()));
            assert!(!dirs.is_empty(), "no differential case matches `{part}`");
        }
        Err(_) => assert!(
            dirs.len() >= 40,
            "the suite has {} cases, fewer than 40",
            dirs.len()
        ),
    }
    let failures = for_each_case(&dirs, |dir| run_case(engine, dir));
    assert!(
        failures.is_empty(),
        "{} of {} differential cases differ:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

pub fn cases() -> Vec<Case> {
    vec![case(
        "converted_dockerfiles_build_the_same_images",
        &[Feature::Buildx, Feature::OciExport, Feature::MultiPlatform],
        converted_dockerfiles_build_the_same_images,
    )]
}
