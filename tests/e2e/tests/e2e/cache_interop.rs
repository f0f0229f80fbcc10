//! Cache shared with the Dockerfile frontend (issue 14): for the pairs of
//! the differential suite (a Dockerfile and its `stagecraft convert`
//! spec), a build of one leaves every step of the other `CACHED`, both
//! ways. The engine's cache key of an op is the digest of its LLB, so this
//! holds only when the spec's ops are byte-identical to the Dockerfile
//! frontend's.
//!
//! Each direction of each pair starts from a base image of its own (busybox
//! with a unique file, pushed to the lane's registry), so that nothing is
//! cached from an earlier run or another pair: every op descends from it.
//! Pairs whose images differ by design (`differs:`), that fail, or that the
//! converter refuses are not cache pairs. A pair whose ops differ by design
//! (`cache-differs:`, listed in docs/migrating.md) must indeed miss the
//! cache, so that the list stays the list of differences: when a change
//! makes such a pair share it, the test asks for the line to go.

use std::path::{Path, PathBuf};

use e2e::{case, unique, workdir, write_files, Build, Case, Engine, Feature, Lane};

use crate::differential::{convert, copy_case, for_each_case, Services};
use e2e::cases::{self, read_case, CaseFile};

/// The Dockerfile with every `busybox` it builds on, copies or mounts from,
/// or defaults an `ARG` to, replaced by `base`.
fn rebased(dockerfile: &str, base: &str) -> String {
    dockerfile
        .lines()
        .map(|l| {
            let upper = l.trim_start().to_ascii_uppercase();
            let l = if upper.starts_with("FROM ") {
                l.split(' ')
                    .map(|w| if w == "busybox" { base } else { w })
                    .collect::<Vec<_>>()
                    .join(" ")
            } else if upper.starts_with("ARG ") {
                l.replace("=busybox", &format!("={base}"))
            } else {
                l.to_owned()
            };
            l.replace("--from=busybox ", &format!("--from={base} "))
                .replace(",from=busybox", &format!(",from={base}"))
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A base image no build has used: busybox with a unique file, in the
/// lane's registry, as `REGISTRY/cache-base-SALT` (tag `latest`, so that a
/// Dockerfile may add `:latest` to it).
fn fresh_base(engine: &Engine, name: &str) -> String {
    let registry = engine.registry();
    let salt = unique(name);
    let image = format!("{registry}/cache-base-{salt}");
    let dir = workdir(&format!("cache-base-{name}"));
    write_files(
        &dir,
        engine,
        &[(
            "Dockerfile",
            &format!("FROM busybox\nRUN echo {salt} > /.salt\n"),
        )],
    );
    engine
        .build(&dir, &["-t", &image, "--push", "."])
        .assert_ok();
    image
}

/// The steps of a build (`#N [stage k/n] WHAT`, not the base image, not
/// the frontend's internal vertices and not a named context's transfer,
/// which is never cached) and whether each was `CACHED`. Vertices of one
/// name are one step, cached when one of them is: a remote `ADD`'s download
/// (or git fetch) is checked again on every build, under the step's name in
/// the Dockerfile frontend's progress, while the copy of it is cached.
fn steps(b: &Build) -> Vec<(String, bool)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for l in b.log.lines() {
        let Some((id, rest)) = l.split_once(' ') else {
            continue;
        };
        if !id.starts_with('#')
            || !rest.starts_with('[')
            || rest.starts_with("[internal]")
            || rest.starts_with("[context ")
        {
            continue;
        }
        let Some((_, what)) = rest.split_once("] ") else {
            continue;
        };
        if what.starts_with("FROM ") || out.iter().any(|(i, _)| i == id) {
            continue;
        }
        out.push((id.to_owned(), rest.to_owned()));
    }
    let mut steps: Vec<(String, bool)> = Vec::new();
    for (id, name) in out {
        let cached = b.log.lines().any(|l| l == format!("{id} CACHED")) || loaded(b, &id);
        match steps.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c |= cached,
            None => steps.push((name, cached)),
        }
    }
    steps
}

/// Whether vertex `id` was loaded from an imported cache rather than run:
/// a cache hit whose layers the export needs at once shows their
/// downloads (`#9 sha256:… 190B / 190B done`), sometimes their unpacking
/// (`#9 extracting sha256:… done`, seen when the base image's layers come
/// along), and `DONE`, not `CACHED` (the registry suite's "last step
/// missed" flake: the step's command never ran). A vertex that ran shows
/// its command's output or nothing, and downloads no layer of its own.
fn loaded(b: &Build, id: &str) -> bool {
    let prefix = format!("{id} ");
    let body: Vec<&str> = b
        .log
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter(|rest| !rest.starts_with('[') && !rest.starts_with("DONE"))
        .collect();
    let download = |l: &str| {
        l.strip_prefix("extracting ")
            .unwrap_or(l)
            .strip_prefix("sha256:")
            .is_some_and(|rest| {
                rest.len() > 64
                    && rest.as_bytes().get(64) == Some(&b' ')
                    && rest.bytes().take(64).all(|c| c.is_ascii_hexdigit())
            })
    };
    !body.is_empty() && body.iter().all(|l| download(l))
}

/// `Ok` when the build has steps and all were `CACHED`; else `ran N of M
/// steps:` and those that ran.
fn all_cached(b: &Build) -> Result<(), String> {
    let steps = steps(b);
    if steps.is_empty() {
        return Err(format!("has no steps:\n{}", b.log));
    }
    let missed: Vec<&str> = steps
        .iter()
        .filter(|(_, cached)| !cached)
        .map(|(n, _)| n.as_str())
        .collect();
    if missed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "ran {} of {} steps:\n    {}",
            missed.len(),
            steps.len(),
            missed.join("\n    ")
        ))
    }
}

/// One direction of one pair: `first` built, then `second`, whose steps
/// must all be `CACHED`. `Err` names the steps that were not.
fn one_way(engine: &Engine, source: &Path, first: &str, second: &str) -> Result<(), String> {
    let name = source
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let base = fresh_base(engine, &name);
    let dir = workdir(&format!("cache-{name}"));
    copy_case(source, &dir)?;
    let services = Services::start(&read_case(&dir)?, &dir)?;
    let args = &services.args;
    let dockerfile = rebased(
        &std::fs::read_to_string(dir.join("Dockerfile")).map_err(|e| e.to_string())?,
        &base,
    );
    std::fs::write(dir.join("Dockerfile"), &dockerfile).map_err(|e| e.to_string())?;
    let spec = convert(&dockerfile, engine).map_err(|e| format!("convert: {}", e.message))?;
    std::fs::write(dir.join("stagecraft.yaml"), &spec).map_err(|e| e.to_string())?;
    let build = |file: &str| {
        let mut a: Vec<&str> = vec!["-f", file];
        a.extend(args.iter().map(String::as_str));
        a.push(".");
        engine.build(&dir, &a)
    };
    let b = build(first);
    if !b.success {
        return Err(format!("{first} failed:\n{}", b.log));
    }
    // Every pair builds on its fresh base, or a step could be cached from
    // anything built before.
    if !b.log.contains(&base) {
        return Err(format!(
            "{first} does not build on the fresh base {base}:\n{}",
            b.log
        ));
    }
    let b = build(second);
    if !b.success {
        return Err(format!("{second} failed:\n{}", b.log));
    }
    all_cached(&b).map_err(|e| format!("after {first}, {second} {e}\nthe spec:\n{spec}"))
}

/// The cache pairs `take` accepts, each with its `cache-differs` reason.
fn pairs(take: fn(&CaseFile) -> bool) -> Vec<(PathBuf, Option<String>)> {
    let mut dirs: Vec<(PathBuf, Option<String>)> = cases::dirs()
        .into_iter()
        .filter_map(|p| {
            let case = read_case(&p).unwrap_or_else(|e| panic!("{e}"));
            take(&case).then_some((p, case.cache_differs))
        })
        .collect();
    if let Ok(part) = std::env::var("STAGECRAFT_DIFFERENTIAL") {
        dirs.retain(|(d, _)| d.to_string_lossy().contains(part.as_str()));
    }
    dirs
}

/// After the Dockerfile's build, every step of the spec's is `CACHED`; and
/// after the spec's, every step of the Dockerfile's. A pair listed as
/// `cache-differs` misses the cache after the Dockerfile's build.
pub fn a_spec_and_its_dockerfile_share_the_cache(engine: &Engine) {
    let dirs = pairs(CaseFile::cache_pair);
    assert!(!dirs.is_empty(), "no cache pairs");
    let all: Vec<PathBuf> = dirs.iter().map(|(d, _)| d.clone()).collect();
    let failures = for_each_case(&all, |dir| {
        let differs = dirs
            .iter()
            .find(|(d, _)| d == dir)
            .and_then(|(_, w)| w.as_ref());
        if let Some(why) = differs {
            return match one_way(engine, dir, "Dockerfile", "stagecraft.yaml") {
                Ok(()) => Err(format!(
                    "listed as `cache-differs: {why}`, but the spec's build was all CACHED \
                     after the Dockerfile's: remove the line (and from docs/migrating.md)"
                )),
                Err(_) => Ok(()),
            };
        }
        let errors: Vec<String> = [
            ("Dockerfile", "stagecraft.yaml"),
            ("stagecraft.yaml", "Dockerfile"),
        ]
        .into_iter()
        .filter_map(|(first, second)| one_way(engine, dir, first, second).err())
        .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n\n"))
        }
    });
    assert!(
        failures.is_empty(),
        "{} of {} pairs do not behave as listed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

/// One pair through a registry cache: the Dockerfile built on `main` with
/// `--cache-to`, the spec on `remote` with `--cache-from`, whose steps must
/// all be `CACHED`. `Err` names the steps that were not.
fn through_registry(main: &Engine, remote: &Engine, source: &Path) -> Result<(), String> {
    let name = source
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let base = fresh_base(main, &name);
    let base_path = base
        .strip_prefix(&format!("{}/", main.registry()))
        .unwrap_or(&base)
        .to_owned();
    let cache = format!("cache-interop-{}", unique(&name));
    let dir = workdir(&format!("registry-cache-{name}"));
    copy_case(source, &dir)?;
    let services = Services::start(&read_case(&dir)?, &dir)?;
    let args = &services.args;
    let build = |engine: &Engine, file: &str, cache_opt: &[&str]| {
        let mut a: Vec<&str> = vec!["-f", file];
        a.extend_from_slice(cache_opt);
        a.extend(args.iter().map(String::as_str));
        a.push(".");
        engine.build(&dir, &a)
    };
    let original = std::fs::read_to_string(dir.join("Dockerfile")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("Dockerfile"), rebased(&original, &base)).map_err(|e| e.to_string())?;
    let to = format!("type=registry,ref={}/{cache},mode=max", main.registry());
    let b = build(main, "Dockerfile", &["--cache-to", &to]);
    if !b.success {
        return Err(format!("the Dockerfile failed:\n{}", b.log));
    }
    // The spec, converted from the Dockerfile on the remote engine's
    // address of the same base.
    let remote_base = format!("{}/{base_path}", remote.registry());
    let spec = convert(&rebased(&original, &remote_base), remote)
        .map_err(|e| format!("convert: {}", e.message))?;
    std::fs::write(dir.join("stagecraft.yaml"), &spec).map_err(|e| e.to_string())?;
    let from = format!("type=registry,ref={}/{cache}", remote.registry());
    let b = build(remote, "stagecraft.yaml", &["--cache-from", &from]);
    if !b.success {
        return Err(format!("the spec failed:\n{}", b.log));
    }
    if !b.log.contains(&remote_base) {
        return Err(format!(
            "the spec does not build on the fresh base {remote_base}:\n{}",
            b.log
        ));
    }
    all_cached(&b).map_err(|e| {
        format!(
            "with the Dockerfile's registry cache, the spec {e}\nthe spec:\n{spec}\nits build:\n{}",
            b.log
        )
    })
}

/// Through a registry cache: each cache pair's Dockerfile is built on the
/// main lane's engine with `--cache-to type=registry`, and its spec on the
/// remote lane's (a daemon of its own, whose local cache never saw the
/// pair's fresh base: as after `docker builder prune -af`, without pruning
/// an engine other tests use) with `--cache-from` the same cache; every
/// step of the spec's build is `CACHED`. Both engines reach the one
/// registry (the remote one at its address on the link).
pub fn a_registry_cache_from_a_dockerfile_serves_its_spec(remote: &Engine) {
    let main = Engine::for_lane(Lane::Main);
    let dirs: Vec<PathBuf> = pairs(CaseFile::registry_pair)
        .into_iter()
        .filter(|(_, differs)| differs.is_none())
        .map(|(d, _)| d)
        .collect();
    assert!(!dirs.is_empty(), "no cache pairs");
    // A miss is tried again once, from a fresh base and cache; two misses
    // fail. (The "last step alone missed" flake of earlier sessions was a
    // cache hit shown as a layer download: see `loaded`.)
    let failures = for_each_case(&dirs, |dir| {
        through_registry(main, remote, dir).or_else(|_| through_registry(main, remote, dir))
    });
    assert!(
        failures.is_empty(),
        "{} of {} pairs miss the registry cache:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "a_spec_and_its_dockerfile_share_the_cache",
            &[Feature::Buildx, Feature::OciExport],
            a_spec_and_its_dockerfile_share_the_cache,
        ),
        case(
            "a_registry_cache_from_a_dockerfile_serves_its_spec",
            &[Feature::RemoteEngine],
            a_registry_cache_from_a_dockerfile_serves_its_spec,
        ),
    ]
}
