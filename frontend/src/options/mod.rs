//! Build options as BuildKit hands them to a frontend (`BUILDKIT_FRONTEND_OPT_<n>`
//! entries of `key=value`, plus a few other environment variables), parsed
//! into typed [`BuildOptions`].
//!
//! This module is pure: it takes the environment as a map so it can be tested
//! without a process environment, and it never panics on odd values — a bad
//! value is an [`OptionError`] naming the option.

use std::collections::{BTreeMap, BTreeSet};

use llb::Platform;
use serde::Deserialize;

mod context;
pub mod keys;

pub use context::{ContextKind, GitContext, NamedContext, OciLayout};

/// The environment variables the gateway protocol uses.
pub const ENV_FRONTEND_OPT_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";
pub const ENV_SESSION_ID: &str = "BUILDKIT_SESSION_ID";
pub const ENV_WORKERS: &str = "BUILDKIT_WORKERS";

/// Which stages `--no-cache` applies to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NoCache {
    #[default]
    Off,
    All,
    Stages(BTreeSet<String>),
}

/// `--network` as forwarded by buildx.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForceNetwork {
    #[default]
    Default,
    None,
    Host,
}

/// A cache import (`--cache-from`), forwarded untouched to every solve.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CacheImport {
    #[serde(alias = "type", rename = "Type")]
    pub kind: String,
    #[serde(alias = "attrs", rename = "Attrs", default)]
    pub attrs: BTreeMap<String, String>,
}

/// What the user asked for, as typed values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// The spec's file name inside the `dockerfile` local source.
    pub filename: String,
    /// Offline commands only (`stagecraft compile`, `graph`, `check`): the
    /// directory the spec was read from, where the files it imports are.
    /// Never set by a build's options.
    pub spec_dir: Option<std::path::PathBuf>,
    /// The commits of the lock file beside the spec (language 1.1), by
    /// `URL#REF`: a git source it names is fetched at that commit. Set by
    /// the build once it has read the lock file; never by a build option.
    pub locked_git: BTreeMap<String, String>,
    pub target: Option<String>,
    pub build_args: BTreeMap<String, String>,
    /// Target platforms; empty means the engine's default platform.
    pub platforms: Vec<Platform>,
    pub no_cache: NoCache,
    pub labels: BTreeMap<String, String>,
    /// `--build-context NAME=…`, parsed once from the value BuildKit passes.
    pub contexts: BTreeMap<String, NamedContext>,
    /// `input-metadata:NAME`: what the client says of frontend input `NAME`
    /// (a JSON object of base64 values; `containerimage.config` is its image config).
    pub input_metadata: BTreeMap<String, String>,
    pub extra_hosts: Vec<(String, String)>,
    pub network: ForceNetwork,
    pub cache_imports: Vec<CacheImport>,
    /// A subrequest (`--call`/`--print`): `frontend.outline`, `frontend.targets`, `frontend.lint`, `frontend.subrequests.describe`.
    pub request_id: Option<String>,
    /// `multi-platform` / `BUILDKIT_MULTI_PLATFORM`: a map result even for
    /// one platform (`true`), or refuse several (`false`); unset: by count.
    pub multi_platform: Option<bool>,
    pub session_id: String,
    /// `local-sessionid:NAME`: the session that holds local source `NAME`
    /// when it is not the build's own (bake passes one per target).
    pub local_session_ids: BTreeMap<String, String>,
    /// Name of the local source that holds the spec (`dockerfile` unless overridden).
    pub spec_local: String,
    /// Name of the local source that holds the build context.
    pub context_local: String,
    /// The build context when it is not a local directory: a git or
    /// http(s) URL (`docker buildx build … URL`, the `context` option).
    pub remote_context: Option<NamedContext>,
    /// `contextsubdir`: the directory of the build context to use as its root.
    pub context_subdir: String,
    /// Platforms of the workers, first is the build platform.
    pub worker_platforms: Vec<Platform>,
    /// Exclude patterns for the build context, from `<file>.dockerignore` or
    /// the context's `.dockerignore` (filled in by `build`, not an option).
    pub context_excludes: Vec<String>,
    /// The name of the ignore file they come from, for messages (filled in
    /// by `build`).
    pub context_ignore_file: String,
    /// `--ulimit`, for every `run` step.
    pub ulimits: Vec<Ulimit>,
    /// `--shm-size` in bytes: a `/dev/shm` tmpfs of that size in every `run` step.
    pub shm_size: Option<i64>,
    /// `--cgroup-parent`, for every `run` step.
    pub cgroup_parent: String,
    /// `--build-arg BUILDKIT_SANDBOX_HOSTNAME` (or the `hostname` option), for every `run` step.
    pub hostname: String,
    /// `--pull` (`pull`) and the `image-resolve-mode` option.
    pub resolve_mode: ResolveMode,
    /// `--build-arg BUILDKIT_CACHE_MOUNT_NS`: a prefix for every cache mount id.
    pub cache_mount_ns: String,
    /// `--build-arg BUILDKIT_CONTEXT_KEEP_GIT_DIR=1`: git contexts keep `.git`.
    pub context_keep_git_dir: bool,
    /// `--sbom` (`attest:sbom`): the SBOM this frontend makes by running
    /// the scanner image on the result (none when not asked for or disabled).
    pub sbom: Option<SbomRequest>,
    /// One message per option that is not honoured, naming it ([`keys`]).
    pub ignored: Vec<String>,
}

/// An SBOM request: the scanner image and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomRequest {
    /// `generator=IMAGE`, by default BuildKit's own scanner.
    pub generator: String,
    /// The other `KEY=VALUE` attributes, passed to the scanner as
    /// `BUILDKIT_SCAN_<KEY>` (upper case, `-` as `_`).
    pub params: BTreeMap<String, String>,
}

/// The scanner BuildKit uses when `--sbom` names none.
pub const DEFAULT_SBOM_GENERATOR: &str = "docker/buildkit-syft-scanner:stable-1";

/// `attest:sbom`'s value: `KEY=VALUE` pairs separated by commas; `None` when
/// `disabled=true`.
fn parse_sbom(value: &str) -> Result<Option<SbomRequest>, OptionError> {
    let mut generator = DEFAULT_SBOM_GENERATOR.to_owned();
    let mut params = BTreeMap::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| invalid("attest:sbom", format!("`{part}` is not KEY=VALUE")))?;
        match k {
            "generator" => v.clone_into(&mut generator),
            "disabled" => {
                if go_bool("attest:sbom", v)? {
                    return Ok(None);
                }
            }
            _ => {
                params.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    Ok(Some(SbomRequest { generator, params }))
}

/// One `--ulimit NAME=SOFT[:HARD]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// How base images are resolved (`image-resolve-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResolveMode {
    /// The local image store first, else the registry.
    #[default]
    Default,
    /// Always the registry (`--pull`).
    Pull,
    /// Only the local image store.
    Local,
}

impl ResolveMode {
    /// The value BuildKit takes (`ResolveImageConfig` and the image source's `image.resolvemode`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResolveMode::Default => "default",
            ResolveMode::Pull => "pull",
            ResolveMode::Local => "local",
        }
    }
}

/// The resource names `--ulimit` takes (Docker's list).
const ULIMIT_NAMES: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// `name=soft[:hard]`, as Docker parses `--ulimit`.
fn parse_ulimit(text: &str) -> Result<Ulimit, String> {
    let (name, limits) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not `name=soft[:hard]`"))?;
    if !ULIMIT_NAMES.contains(&name) {
        return Err(format!(
            "`{name}` is not a ulimit (one of {})",
            ULIMIT_NAMES.join(", ")
        ));
    }
    let num = |v: &str| {
        v.parse::<i64>()
            .map_err(|_| format!("`{v}` in `{text}` is not an integer"))
    };
    let (soft, hard) = match limits.split_once(':') {
        Some((s, h)) => (num(s)?, num(h)?),
        None => {
            let v = num(limits)?;
            (v, v)
        }
    };
    if soft > hard {
        return Err(format!(
            "the soft limit of `{text}` is above its hard limit"
        ));
    }
    Ok(Ulimit {
        name: name.to_owned(),
        soft,
        hard,
    })
}

/// Go's `strconv.ParseBool`, as BuildKit reads boolean options.
pub(crate) fn go_bool(key: &str, v: &str) -> Result<bool, OptionError> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        other => Err(invalid(key, format!("`{other}` is not a boolean"))),
    }
}

/// An option with a value we cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("invalid value for option `{key}`: {message}")]
    Invalid { key: String, message: String },
}

fn invalid(key: &str, message: impl Into<String>) -> OptionError {
    OptionError::Invalid {
        key: key.to_owned(),
        message: message.into(),
    }
}

/// Collects `BUILDKIT_FRONTEND_OPT_<n>=key=value` entries (in any order) into a map.
pub fn frontend_opts(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    env.iter()
        .filter(|(k, _)| k.starts_with(ENV_FRONTEND_OPT_PREFIX))
        .filter_map(|(_, v)| v.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

impl BuildOptions {
    /// The session that holds local source `name`: its `local-sessionid:`
    /// option, else the build's session.
    pub fn local_session(&self, name: &str) -> &str {
        self.local_session_ids
            .get(name)
            .map_or(self.session_id.as_str(), String::as_str)
    }

    /// Parses the gateway environment.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Self, OptionError> {
        let opts = frontend_opts(env);
        let mut o = Self::from_opts(&opts)?;
        o.session_id = env.get(ENV_SESSION_ID).cloned().unwrap_or_default();
        if let Some(w) = env.get(ENV_WORKERS) {
            o.worker_platforms = parse_workers(w);
        }
        Ok(o)
    }

    /// Parses the frontend options map.
    pub fn from_opts(opts: &BTreeMap<String, String>) -> Result<Self, OptionError> {
        let mut o = Self {
            filename: opts
                .get("filename")
                .filter(|f| !f.is_empty())
                .cloned()
                .unwrap_or_else(|| "Dockerfile".to_owned()),
            target: opts.get("target").filter(|t| !t.is_empty()).cloned(),
            spec_local: opts
                .get("dockerfilekey")
                .cloned()
                .unwrap_or_else(|| "dockerfile".to_owned()),
            context_local: opts
                .get("contextkey")
                .cloned()
                .unwrap_or_else(|| "context".to_owned()),
            request_id: opts.get("requestid").filter(|r| !r.is_empty()).cloned(),
            context_subdir: opts
                .get("contextsubdir")
                .map(|d| d.trim_matches('/').to_owned())
                .unwrap_or_default(),
            ..Default::default()
        };
        // A remote build context comes as the URL in the option the
        // context's local name would have (`context`, or `contextkey`'s value).
        if let Some(url) = opts.get(&o.context_local) {
            let ctx = NamedContext::parse(url);
            match &ctx.kind {
                ContextKind::Git(_) | ContextKind::Http(_) => o.remote_context = Some(ctx),
                ContextKind::Image(_)
                | ContextKind::Local(_)
                | ContextKind::OciLayout(_)
                | ContextKind::Input(_)
                | ContextKind::Unknown => {
                    return Err(invalid(
                        &o.context_local,
                        format!("`{url}` is not a git or http(s) URL of a build context"),
                    ))
                }
            }
        }
        for (key, value) in opts {
            if let Some(name) = key.strip_prefix("build-arg:") {
                o.build_args.insert(name.to_owned(), value.clone());
            } else if let Some(name) = key.strip_prefix("label:") {
                o.labels.insert(name.to_owned(), value.clone());
            } else if let Some(name) = key.strip_prefix("context:") {
                o.contexts
                    .insert(name.to_owned(), NamedContext::parse(value));
            } else if let Some(name) = key.strip_prefix("local-sessionid:") {
                o.local_session_ids.insert(name.to_owned(), value.clone());
            } else if let Some(name) = key.strip_prefix("input-metadata:") {
                o.input_metadata.insert(name.to_owned(), value.clone());
            }
        }
        if let Some(v) = opts.get("attest:sbom") {
            o.sbom = parse_sbom(v)?;
        }
        if let Some(p) = opts.get("platform") {
            for part in p.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let platform =
                    Platform::parse(part).map_err(|e| invalid("platform", e.to_string()))?;
                if !o.platforms.contains(&platform) {
                    o.platforms.push(platform);
                }
            }
        }
        if let Some(v) = opts.get("no-cache") {
            let stages: BTreeSet<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            o.no_cache = if stages.is_empty() {
                NoCache::All
            } else {
                NoCache::Stages(stages)
            };
        }
        if let Some(v) = opts.get("add-hosts") {
            for entry in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (host, ip) = entry
                    .split_once('=')
                    .or_else(|| entry.split_once(':'))
                    .ok_or_else(|| invalid("add-hosts", format!("`{entry}` is not `host=ip`")))?;
                o.extra_hosts.push((host.to_owned(), ip.to_owned()));
            }
        }
        if let Some(v) = opts.get("force-network-mode") {
            o.network = match v.as_str() {
                "" | "default" | "sandbox" => ForceNetwork::Default,
                "none" => ForceNetwork::None,
                "host" => ForceNetwork::Host,
                other => {
                    return Err(invalid(
                        "force-network-mode",
                        format!("`{other}` is not one of default, none, host"),
                    ))
                }
            };
        }
        if let Some(v) = opts.get("cache-imports").filter(|v| !v.is_empty()) {
            o.cache_imports =
                serde_json::from_str(v).map_err(|e| invalid("cache-imports", e.to_string()))?;
        }
        // The old API: registry references, comma separated.
        for r in opts
            .get("cache-from")
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            o.cache_imports.push(CacheImport {
                kind: "registry".to_owned(),
                attrs: BTreeMap::from([("ref".to_owned(), r.to_owned())]),
            });
        }
        if let Some(v) = opts.get("ulimit").filter(|v| !v.is_empty()) {
            for field in v.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                o.ulimits
                    .push(parse_ulimit(field).map_err(|m| invalid("ulimit", m))?);
            }
        }
        if let Some(v) = opts.get("shm-size").filter(|v| !v.is_empty()) {
            let bytes: i64 = v
                .parse()
                .map_err(|_| invalid("shm-size", format!("`{v}` is not a number of bytes")))?;
            if bytes < 0 {
                return Err(invalid("shm-size", format!("`{v}` is negative")));
            }
            o.shm_size = (bytes > 0).then_some(bytes);
        }
        o.cgroup_parent = opts.get("cgroup-parent").cloned().unwrap_or_default();
        // As BuildKit: the build argument wins over the option.
        o.hostname = opts
            .get("build-arg:BUILDKIT_SANDBOX_HOSTNAME")
            .filter(|h| !h.is_empty())
            .or(opts.get("hostname"))
            .cloned()
            .unwrap_or_default();
        o.resolve_mode = match opts.get("image-resolve-mode").map(String::as_str) {
            None | Some("" | "default") => ResolveMode::Default,
            Some("pull") => ResolveMode::Pull,
            Some("local") => ResolveMode::Local,
            Some(other) => {
                return Err(invalid(
                    "image-resolve-mode",
                    format!("`{other}` is not one of default, pull, local"),
                ))
            }
        };
        if let Some(v) = opts
            .get("build-arg:BUILDKIT_MULTI_PLATFORM")
            .filter(|v| !v.is_empty())
            .or(opts.get("multi-platform").filter(|v| !v.is_empty()))
        {
            o.multi_platform = Some(go_bool("multi-platform", v)?);
        }
        o.cache_mount_ns = opts
            .get("build-arg:BUILDKIT_CACHE_MOUNT_NS")
            .cloned()
            .unwrap_or_default();
        if let Some(v) = opts
            .get("build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR")
            .filter(|v| !v.is_empty())
        {
            o.context_keep_git_dir = go_bool("BUILDKIT_CONTEXT_KEEP_GIT_DIR", v)?;
        }
        o.ignored = keys::warnings(opts.keys());
        Ok(o)
    }

    /// Whether caching is disabled for `stage`.
    pub fn no_cache_for(&self, stage: &str) -> bool {
        match &self.no_cache {
            NoCache::Off => false,
            NoCache::All => true,
            NoCache::Stages(s) => s.contains(stage),
        }
    }
}

/// Reads worker platforms from `BUILDKIT_WORKERS`; keys are capitalised on
/// BuildKit 0.8 and lower-case later, so both are accepted. Bad JSON gives none.
pub fn parse_workers(json: &str) -> Vec<Platform> {
    let Ok(serde_json::Value::Array(workers)) = serde_json::from_str::<serde_json::Value>(json)
    else {
        return Vec::new();
    };
    let get = |v: &serde_json::Value, k: &str| -> Option<serde_json::Value> {
        v.as_object()?
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let mut out = Vec::new();
    for w in &workers {
        let Some(serde_json::Value::Array(ps)) = get(w, "platforms") else {
            continue;
        };
        for p in &ps {
            let s = |k: &str| {
                get(p, k)
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            };
            let (os, arch) = (s("os"), s("architecture"));
            if !os.is_empty() && !arch.is_empty() {
                out.push(Platform::new(&os, &arch, &s("variant")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_opts_in_any_order() {
        let e = env(&[
            ("BUILDKIT_FRONTEND_OPT_3", "build-arg:APP=server"),
            ("BUILDKIT_FRONTEND_OPT_0", "filename=stagecraft.yaml"),
            (
                "BUILDKIT_FRONTEND_OPT_1",
                "platform=linux/amd64,linux/arm64",
            ),
            ("BUILDKIT_FRONTEND_OPT_2", "label:org.x=y=z"),
            ("BUILDKIT_FRONTEND_OPT_4", "no-cache="),
            (
                "BUILDKIT_FRONTEND_OPT_5",
                "add-hosts=db=10.0.0.1,cache:10.0.0.2",
            ),
            ("BUILDKIT_FRONTEND_OPT_6", "force-network-mode=none"),
            (
                "BUILDKIT_FRONTEND_OPT_7",
                r#"cache-imports=[{"Type":"registry","Attrs":{"ref":"r/x"}}]"#,
            ),
            ("BUILDKIT_SESSION_ID", "sess"),
            (
                "BUILDKIT_WORKERS",
                r#"[{"ID":"w","Platforms":[{"Architecture":"amd64","OS":"linux"}]}]"#,
            ),
        ]);
        let o = BuildOptions::from_env(&e).unwrap();
        assert_eq!(o.filename, "stagecraft.yaml");
        assert_eq!(o.platforms.len(), 2);
        assert_eq!(o.build_args.get("APP").map(String::as_str), Some("server"));
        assert_eq!(o.labels.get("org.x").map(String::as_str), Some("y=z"));
        assert_eq!(o.no_cache, NoCache::All);
        assert_eq!(
            o.extra_hosts,
            vec![
                ("db".into(), "10.0.0.1".into()),
                ("cache".into(), "10.0.0.2".into())
            ]
        );
        assert_eq!(o.network, ForceNetwork::None);
        assert_eq!(o.cache_imports[0].kind, "registry");
        assert_eq!(o.session_id, "sess");
        assert_eq!(
            o.worker_platforms,
            vec![Platform::new("linux", "amd64", "")]
        );
    }

    #[test]
    fn lower_case_workers_and_bad_values() {
        assert_eq!(
            parse_workers(
                r#"[{"id":"w","platforms":[{"architecture":"arm64","os":"linux","variant":"v8"}]}]"#
            ),
            vec![Platform::new("linux", "arm64", "v8")]
        );
        assert!(parse_workers("not json").is_empty());
        let bad = env(&[("BUILDKIT_FRONTEND_OPT_0", "platform=linux")]);
        assert!(BuildOptions::from_env(&bad).is_err());
        let stages = env(&[("BUILDKIT_FRONTEND_OPT_0", "no-cache=build, test")]);
        let o = BuildOptions::from_env(&stages).unwrap();
        assert!(o.no_cache_for("test") && !o.no_cache_for("runtime"));
    }

    fn opts(pairs: &[(&str, &str)]) -> Result<BuildOptions, OptionError> {
        let m: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        BuildOptions::from_opts(&m)
    }

    #[test]
    fn run_step_options_parse_as_buildkit_does() {
        let o = opts(&[
            ("ulimit", "nofile=1024:2048,nproc=64"),
            ("shm-size", "134217728"),
            ("cgroup-parent", "x.slice"),
            ("hostname", "from-option"),
            ("build-arg:BUILDKIT_SANDBOX_HOSTNAME", "from-arg"),
            ("image-resolve-mode", "pull"),
            ("build-arg:BUILDKIT_CACHE_MOUNT_NS", "ns1"),
            ("cache-from", "r/a, r/b"),
        ])
        .unwrap();
        assert_eq!(
            o.ulimits,
            vec![
                Ulimit {
                    name: "nofile".into(),
                    soft: 1024,
                    hard: 2048
                },
                Ulimit {
                    name: "nproc".into(),
                    soft: 64,
                    hard: 64
                },
            ]
        );
        assert_eq!(o.shm_size, Some(134_217_728));
        assert_eq!(o.cgroup_parent, "x.slice");
        assert_eq!(o.hostname, "from-arg", "the build argument wins");
        assert_eq!(o.resolve_mode, ResolveMode::Pull);
        assert_eq!(o.cache_mount_ns, "ns1");
        assert_eq!(o.cache_imports.len(), 2);
        assert_eq!(
            o.cache_imports[1].attrs.get("ref").map(String::as_str),
            Some("r/b")
        );
        assert!(o.ignored.is_empty(), "{:?}", o.ignored);
    }

    #[test]
    fn bad_run_step_options_name_the_option() {
        for (key, value) in [
            ("ulimit", "nofiles=1"),
            ("ulimit", "nofile=2:1"),
            ("ulimit", "nofile=x"),
            ("shm-size", "128m"),
            ("shm-size", "-1"),
            ("image-resolve-mode", "always"),
            ("multi-platform", "yes"),
        ] {
            let e = opts(&[(key, value)]).unwrap_err().to_string();
            assert!(e.contains(&format!("`{key}`")), "{key}={value}: {e}");
        }
    }

    #[test]
    fn multi_platform_is_tri_state_and_the_argument_wins() {
        assert_eq!(opts(&[]).unwrap().multi_platform, None);
        assert_eq!(
            opts(&[("multi-platform", "true")]).unwrap().multi_platform,
            Some(true)
        );
        let o = opts(&[
            ("multi-platform", "true"),
            ("build-arg:BUILDKIT_MULTI_PLATFORM", "0"),
        ])
        .unwrap();
        assert_eq!(o.multi_platform, Some(false));
    }

    #[test]
    fn sbom_requests_name_a_generator_and_parameters_or_are_disabled() {
        let o = opts(&[("attest:sbom", "")]).unwrap();
        assert_eq!(
            o.sbom.unwrap().generator,
            DEFAULT_SBOM_GENERATOR,
            "BuildKit's scanner by default"
        );
        let o = opts(&[("attest:sbom", "generator=x/scan:1,scan-mode=deep")]).unwrap();
        let s = o.sbom.unwrap();
        assert_eq!(s.generator, "x/scan:1");
        assert_eq!(s.params.get("scan-mode").map(String::as_str), Some("deep"));
        assert_eq!(
            opts(&[("attest:sbom", "disabled=true")]).unwrap().sbom,
            None
        );
        assert!(opts(&[("attest:sbom", "oops")]).is_err());
    }

    #[test]
    fn options_not_honoured_are_listed_by_name() {
        let o = opts(&[("build-arg:BUILDKIT_NEW", "1"), ("brand-new", "x")]).unwrap();
        assert_eq!(o.ignored.len(), 2, "{:?}", o.ignored);
    }
}
