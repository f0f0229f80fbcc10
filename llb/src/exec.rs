//! Exec ops: run a process on a root filesystem with extra mounts.
//!
//! [`Exec`] collects the process (args, env, cwd, user), its network and
//! security modes and its mounts; [`Exec::run`] turns it into a vertex whose
//! outputs are the root filesystem and each writable bind mount. Mounts are
//! ordered by target, as BuildKit orders them, so the op bytes do not depend
//! on the order the frontend added them in. This module does not know what a
//! shell is: args are argv.

use bollard_buildkit_proto::pb;

use crate::caps;
use crate::op::{Constraints, Inputs, Node, OpKind, OpMeta, Output, State};

/// Network mode of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NetMode {
    /// The engine's default (sandboxed network).
    #[default]
    Default,
    Host,
    None,
}

/// Security mode of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecurityMode {
    #[default]
    Sandbox,
    Insecure,
}

/// How concurrent builds share a cache mount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CacheSharing {
    #[default]
    Shared,
    Private,
    Locked,
}

/// How a process may use a bind mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindAccess {
    ReadOnly,
    /// Writable, its writes discarded when the process ends (no output: a
    /// Dockerfile's `--mount=type=bind,rw`).
    Discarded,
    /// Writable, its final content an output of the exec
    /// ([`ExecResult::writable_mounts`]).
    Output,
}

/// A mount besides the root filesystem.
#[derive(Debug, Clone)]
pub enum Mount {
    /// `source` (a path selected inside `state`) bound at `dest`.
    Bind {
        dest: String,
        state: State,
        selector: String,
        access: BindAccess,
    },
    /// A persistent cache directory keyed by `id`; `base` (a state and a path in
    /// it) seeds a new cache, which is how uid, gid and mode are set.
    Cache {
        dest: String,
        id: String,
        sharing: CacheSharing,
        readonly: bool,
        base: Option<(State, String)>,
    },
    Tmpfs {
        dest: String,
        size: Option<i64>,
    },
    Secret {
        dest: String,
        id: String,
        uid: u32,
        gid: u32,
        mode: u32,
        optional: bool,
    },
    Ssh {
        dest: String,
        id: String,
        uid: u32,
        gid: u32,
        mode: u32,
        optional: bool,
    },
}

impl Mount {
    /// Where the mount is, in the container.
    pub fn target(&self) -> &str {
        match self {
            Mount::Bind { dest, .. }
            | Mount::Cache { dest, .. }
            | Mount::Tmpfs { dest, .. }
            | Mount::Secret { dest, .. }
            | Mount::Ssh { dest, .. } => dest,
        }
    }
}

/// A secret exposed as an environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEnv {
    pub id: String,
    pub name: String,
    pub optional: bool,
}

/// A process to run, before it is placed in the graph.
#[derive(Debug, Clone, Default)]
pub struct Exec {
    pub args: Vec<String>,
    /// `KEY=value` entries, in the order the process sees them.
    pub env: Vec<String>,
    pub cwd: String,
    pub user: String,
    pub network: NetMode,
    pub security: SecurityMode,
    pub extra_hosts: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    pub secret_env: Vec<SecretEnv>,
    /// The container's hostname (empty: the engine's default).
    pub hostname: String,
    /// Resource limits (`RLIMIT_*` by lower-case name: `nofile`, `nproc`...).
    pub ulimits: Vec<Ulimit>,
    /// The parent cgroup of the process (empty: the engine's default).
    pub cgroup_parent: String,
}

/// One resource limit of an exec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// The outputs of a placed exec: the root filesystem and each writable bind mount, by target.
#[derive(Debug, Clone)]
pub struct ExecResult {
    pub root: State,
    pub writable_mounts: Vec<(String, State)>,
}

/// An exec as marshalled: the op plus the inputs its mounts refer to.
#[derive(Debug, Clone)]
pub(crate) struct ExecPlan {
    pub(crate) mounts: Vec<PlannedMount>,
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedMount {
    pub(crate) mount: pb::Mount,
}

impl Exec {
    pub fn new(args: Vec<String>) -> Self {
        Self {
            args,
            cwd: "/".to_owned(),
            ..Default::default()
        }
    }

    /// Places the process in the graph on top of `root`.
    pub fn run(self, root: &State, constraints: Constraints, mut meta: OpMeta) -> ExecResult {
        let mut inputs = Inputs::default();
        let mut input_index = |state: &State| inputs.index_of(state);
        meta.add_cap(caps::EXEC_META_BASE);
        let mut planned = vec![pb::Mount {
            input: input_index(root),
            dest: "/".to_owned(),
            output: 0,
            mount_type: pb::MountType::Bind as i32,
            ..Default::default()
        }];
        let mut sorted = self.mounts.clone();
        sorted.sort_by(|a, b| a.target().cmp(b.target()));
        let mut next_output = 1;
        let mut writable = Vec::new();
        for mount in &sorted {
            let pm = match mount {
                Mount::Bind {
                    dest,
                    state,
                    selector,
                    access,
                } => {
                    meta.add_cap(caps::EXEC_MOUNT_BIND);
                    if !selector.is_empty() && selector != "/" {
                        meta.add_cap(caps::EXEC_MOUNT_SELECTOR);
                    }
                    let output = match access {
                        BindAccess::ReadOnly | BindAccess::Discarded => -1,
                        BindAccess::Output => {
                            writable.push((dest.clone(), next_output));
                            next_output += 1;
                            next_output - 1
                        }
                    };
                    pb::Mount {
                        input: input_index(state),
                        selector: if selector == "/" {
                            String::new()
                        } else {
                            selector.clone()
                        },
                        dest: dest.clone(),
                        output,
                        readonly: *access == BindAccess::ReadOnly,
                        mount_type: pb::MountType::Bind as i32,
                        ..Default::default()
                    }
                }
                Mount::Cache {
                    dest,
                    id,
                    sharing,
                    readonly,
                    base,
                } => {
                    meta.add_cap(caps::EXEC_MOUNT_CACHE);
                    meta.add_cap(caps::EXEC_MOUNT_CACHE_SHARING);
                    let (input, selector) = match base {
                        Some((state, path)) => {
                            meta.add_cap(caps::EXEC_MOUNT_SELECTOR);
                            (input_index(state), path.clone())
                        }
                        None => (-1, String::new()),
                    };
                    pb::Mount {
                        input,
                        selector,
                        dest: dest.clone(),
                        output: -1,
                        readonly: *readonly,
                        mount_type: pb::MountType::Cache as i32,
                        cache_opt: Some(pb::CacheOpt {
                            id: id.clone(),
                            sharing: match sharing {
                                CacheSharing::Shared => pb::CacheSharingOpt::Shared,
                                CacheSharing::Private => pb::CacheSharingOpt::Private,
                                CacheSharing::Locked => pb::CacheSharingOpt::Locked,
                            } as i32,
                        }),
                        ..Default::default()
                    }
                }
                Mount::Tmpfs { dest, size } => {
                    meta.add_cap(caps::EXEC_MOUNT_TMPFS);
                    if size.is_some() {
                        meta.add_cap(caps::EXEC_MOUNT_TMPFS_SIZE);
                    }
                    pb::Mount {
                        input: -1,
                        dest: dest.clone(),
                        output: -1,
                        mount_type: pb::MountType::Tmpfs as i32,
                        tmpfs_opt: Some(pb::TmpfsOpt {
                            size: size.unwrap_or(0),
                        }),
                        ..Default::default()
                    }
                }
                Mount::Secret {
                    dest,
                    id,
                    uid,
                    gid,
                    mode,
                    optional,
                } => {
                    meta.add_cap(caps::EXEC_MOUNT_SECRET);
                    pb::Mount {
                        input: -1,
                        dest: dest.clone(),
                        // No output (0 as BuildKit's client leaves it): the
                        // engine makes none for a secret mount.
                        output: 0,
                        mount_type: pb::MountType::Secret as i32,
                        secret_opt: Some(pb::SecretOpt {
                            id: id.clone(),
                            uid: *uid,
                            gid: *gid,
                            mode: *mode,
                            optional: *optional,
                        }),
                        ..Default::default()
                    }
                }
                Mount::Ssh {
                    dest,
                    id,
                    uid,
                    gid,
                    mode,
                    optional,
                } => {
                    meta.add_cap(caps::EXEC_MOUNT_SSH);
                    pb::Mount {
                        input: -1,
                        dest: dest.clone(),
                        // No output (0 as BuildKit's client leaves it): the
                        // engine makes none for a ssh mount.
                        output: 0,
                        mount_type: pb::MountType::Ssh as i32,
                        ssh_opt: Some(pb::SshOpt {
                            id: id.clone(),
                            uid: *uid,
                            gid: *gid,
                            mode: *mode,
                            optional: *optional,
                        }),
                        ..Default::default()
                    }
                }
            };
            planned.push(pm);
        }
        if self.network != NetMode::Default {
            meta.add_cap(caps::EXEC_META_NETWORK);
        }
        if self.security != SecurityMode::Sandbox {
            meta.add_cap(caps::EXEC_META_SECURITY);
        }
        if !self.secret_env.is_empty() {
            meta.add_cap(caps::EXEC_SECRET_ENV);
        }
        if !self.ulimits.is_empty() {
            meta.add_cap(caps::EXEC_META_ULIMIT);
        }
        if !self.cgroup_parent.is_empty() {
            meta.add_cap(caps::EXEC_META_CGROUP_PARENT);
        }
        let plan = ExecPlan {
            mounts: planned
                .into_iter()
                .map(|mount| PlannedMount { mount })
                .collect(),
        };
        let node = Node::new(
            OpKind::Exec(Box::new(ExecWithPlan { exec: self, plan })),
            inputs.into_vec(),
            constraints,
            meta,
        );
        ExecResult {
            root: State::from_output(Output::new(node.clone(), 0)),
            writable_mounts: writable
                .into_iter()
                .map(|(dest, idx)| (dest, State::from_output(Output::new(node.clone(), idx))))
                .collect(),
        }
    }

    pub(crate) fn to_pb(&self, plan: &ExecPlan) -> pb::ExecOp {
        pb::ExecOp {
            meta: Some(pb::Meta {
                args: self.args.clone(),
                env: self.env.clone(),
                cwd: self.cwd.clone(),
                user: self.user.clone(),
                extra_hosts: self
                    .extra_hosts
                    .iter()
                    .map(|(host, ip)| pb::HostIp {
                        host: host.clone(),
                        ip: ip.clone(),
                    })
                    .collect(),
                hostname: self.hostname.clone(),
                ulimit: self
                    .ulimits
                    .iter()
                    .map(|u| pb::Ulimit {
                        name: u.name.clone(),
                        soft: u.soft,
                        hard: u.hard,
                    })
                    .collect(),
                cgroup_parent: self.cgroup_parent.clone(),
                // Remove every stub directory a mount target needed, not only
                // the innermost, as BuildKit's own client does on every exec
                // (engines before BuildKit 0.11 skip the unknown field).
                remove_mount_stubs_recursive: true,
                ..Default::default()
            }),
            mounts: plan.mounts.iter().map(|m| m.mount.clone()).collect(),
            network: match self.network {
                NetMode::Default => pb::NetMode::Unset,
                NetMode::Host => pb::NetMode::Host,
                NetMode::None => pb::NetMode::None,
            } as i32,
            security: match self.security {
                SecurityMode::Sandbox => pb::SecurityMode::Sandbox,
                SecurityMode::Insecure => pb::SecurityMode::Insecure,
            } as i32,
            secretenv: self
                .secret_env
                .iter()
                .map(|s| pb::SecretEnv {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    optional: s.optional,
                })
                .collect(),
            cdi_devices: Vec::new(),
        }
    }
}

/// An exec together with its resolved mounts, as stored in the graph.
#[derive(Debug, Clone)]
pub struct ExecWithPlan {
    pub(crate) exec: Exec,
    pub(crate) plan: ExecPlan,
}
