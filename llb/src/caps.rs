//! Capability ids of LLB features, spelled as in BuildKit (`solver/pb/caps.go`).
//!
//! Ops record the caps they use in their metadata so that an engine lacking a
//! feature rejects the definition with a message naming it. This module only
//! names caps; deciding whether to use a feature is the frontend's job.

pub const SOURCE_IMAGE: &str = "source.image";
pub const SOURCE_IMAGE_RESOLVE_MODE: &str = "source.image.resolvemode";
pub const SOURCE_LOCAL: &str = "source.local";
pub const SOURCE_LOCAL_SESSION_ID: &str = "source.local.sessionid";
pub const SOURCE_LOCAL_INCLUDE_PATTERNS: &str = "source.local.includepatterns";
pub const SOURCE_LOCAL_EXCLUDE_PATTERNS: &str = "source.local.excludepatterns";
pub const SOURCE_LOCAL_FOLLOW_PATHS: &str = "source.local.followpaths";
pub const SOURCE_LOCAL_SHARED_KEY_HINT: &str = "source.local.sharedkeyhint";
pub const SOURCE_LOCAL_DIFFER: &str = "source.local.differ";
pub const SOURCE_GIT: &str = "source.git";
pub const SOURCE_GIT_KEEP_DIR: &str = "source.git.keepgitdir";
pub const SOURCE_GIT_FULL_URL: &str = "source.git.fullurl";
pub const SOURCE_GIT_CHECKSUM: &str = "source.git.checksum";
pub const SOURCE_OCI_LAYOUT: &str = "source.ocilayout";
pub const SOURCE_HTTP: &str = "source.http";
pub const SOURCE_HTTP_CHECKSUM: &str = "source.http.checksum";
pub const SOURCE_HTTP_PERM: &str = "source.http.perm";
/// Misspelled in BuildKit itself; kept as the engine spells it.
pub const SOURCE_HTTP_UID_GID: &str = "soruce.http.uidgid";

pub const EXEC_META_BASE: &str = "exec.meta.base";
pub const EXEC_META_NETWORK: &str = "exec.meta.network";
pub const EXEC_META_SECURITY: &str = "exec.meta.security";
pub const EXEC_META_SETS_DEFAULT_PATH: &str = "exec.meta.setsdefaultpath";
pub const EXEC_META_ULIMIT: &str = "exec.meta.ulimit";
pub const EXEC_META_CGROUP_PARENT: &str = "exec.meta.cgroup.parent";
pub const EXEC_MOUNT_BIND: &str = "exec.mount.bind";
pub const EXEC_MOUNT_CACHE: &str = "exec.mount.cache";
pub const EXEC_MOUNT_CACHE_SHARING: &str = "exec.mount.cache.sharing";
pub const EXEC_MOUNT_SELECTOR: &str = "exec.mount.selector";
pub const EXEC_MOUNT_TMPFS: &str = "exec.mount.tmpfs";
pub const EXEC_MOUNT_TMPFS_SIZE: &str = "exec.mount.tmpfs.size";
pub const EXEC_MOUNT_SECRET: &str = "exec.mount.secret";
pub const EXEC_MOUNT_SSH: &str = "exec.mount.ssh";
pub const EXEC_SECRET_ENV: &str = "exec.secretenv";

pub const FILE_BASE: &str = "file.base";
pub const FILE_COPY_INCLUDE_EXCLUDE_PATTERNS: &str = "file.copy.includeexcludepatterns";
pub const FILE_COPY_MODE_STRING: &str = "file.copy.modestring";

pub const CONSTRAINTS: &str = "constraints";
pub const PLATFORM: &str = "platform";
pub const META_IGNORE_CACHE: &str = "meta.ignorecache";
pub const META_DESCRIPTION: &str = "meta.description";

pub const MERGE_OP: &str = "mergeop";
pub const DIFF_OP: &str = "diffop";
