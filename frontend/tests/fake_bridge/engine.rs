//! What the fake engine supports and serves: its caps, worker, spec and failures.

/// What the fake engine supports and serves.
#[derive(Clone)]
pub struct Engine {
    pub spec: String,
    pub ref_array: bool,
    pub import_caches: bool,
    pub merge_op: bool,
    pub worker: (&'static str, &'static str),
    /// Fail evaluated solves holding an exec whose last argument is this, as a failing `run` does.
    pub fail_exec: Option<&'static str>,
    /// LLB caps this engine lacks (it announces every other cap of [`ENGINE_LLB_CAPS`]).
    pub missing_llb_caps: Vec<&'static str>,
    /// Announces `gateway.warnings` (and takes `Warn` calls).
    pub warnings: bool,
}

/// The LLB caps a current engine announces (besides `mergeop`).
pub const ENGINE_LLB_CAPS: &[&str] = &[
    "constraints",
    "platform",
    "meta.description",
    "meta.ignorecache",
    "file.base",
    "file.copy.includeexcludepatterns",
    "source.image",
    "source.local",
    "source.local.sessionid",
    "source.local.sharedkeyhint",
    "source.local.includepatterns",
    "source.local.excludepatterns",
    "source.local.followpaths",
    "source.git",
    "source.git.fullurl",
    "source.git.keepgitdir",
    "source.http",
    "source.http.checksum",
    "exec.meta.base",
    "exec.meta.network",
    "exec.meta.security",
    "exec.mount.bind",
    "exec.mount.selector",
    "exec.mount.cache",
    "exec.mount.cache.sharing",
    "exec.mount.tmpfs",
    "exec.mount.tmpfs.size",
    "exec.mount.secret",
    "exec.mount.ssh",
    "exec.secretenv",
    "exec.meta.ulimit",
    "exec.meta.cgroup.parent",
    "source.image.resolvemode",
    "exec.validexitcode",
];

impl Engine {
    pub fn new(spec: &str) -> Self {
        Self {
            spec: spec.to_owned(),
            ref_array: true,
            import_caches: true,
            merge_op: true,
            worker: ("linux", "amd64"),
            fail_exec: None,
            missing_llb_caps: Vec::new(),
            warnings: true,
        }
    }
}
