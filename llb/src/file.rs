//! File ops: copy between filesystems, make directories and files, remove.
//!
//! A [`FileOp`] is a chain of actions applied to a base [`State`]; each action
//! sees the result of the previous one, and only the last is an output, as in
//! BuildKit's own LLB client. Paths must be absolute: resolving a relative
//! path against a working directory is the frontend's job.

use bollard_buildkit_proto::pb;

use crate::caps;
use crate::op::{Constraints, Inputs, Node, OpKind, OpMeta, Output, State};

/// A user or group, by name or id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserOpt {
    Id(u32),
    Name(String),
}

/// Ownership of created files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChownOpt {
    pub user: Option<UserOpt>,
    pub group: Option<UserOpt>,
}

impl ChownOpt {
    /// Parses `user[:group]` where each part is a name or a numeric id.
    pub fn parse(text: &str) -> Self {
        let part = |s: &str| -> Option<UserOpt> {
            if s.is_empty() {
                None
            } else if let Ok(id) = s.parse::<u32>() {
                Some(UserOpt::Id(id))
            } else {
                Some(UserOpt::Name(s.to_owned()))
            }
        };
        match text.split_once(':') {
            Some((u, g)) => Self {
                user: part(u),
                group: part(g),
            },
            None => Self {
                user: part(text),
                group: None,
            },
        }
    }

    /// Names are looked up in `/etc/passwd` and `/etc/group` of the action's own input (`base`).
    fn to_pb(&self, base: i64) -> pb::ChownOpt {
        let conv = |u: &Option<UserOpt>| {
            u.as_ref().map(|u| pb::UserOpt {
                user: Some(match u {
                    UserOpt::Id(id) => pb::user_opt::User::ById(*id),
                    UserOpt::Name(name) => pb::user_opt::User::ByName(pb::NamedUserOpt {
                        name: name.clone(),
                        input: base,
                    }),
                }),
            })
        };
        pb::ChownOpt {
            user: conv(&self.user),
            group: conv(&self.group),
        }
    }
}

/// Options of a copy; the defaults are those of a Dockerfile `COPY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    pub mode: Option<u32>,
    pub owner: Option<ChownOpt>,
    pub follow_symlinks: bool,
    pub dir_copy_contents: bool,
    pub create_dest_path: bool,
    pub allow_wildcard: bool,
    pub allow_empty_wildcard: bool,
    pub include_patterns: Vec<String>,
    pub exclude_patterns: Vec<String>,
    /// Unpack a source that is an archive (tar, optionally gzip, bzip2 or
    /// xz compressed), as `ADD` does.
    pub attempt_unpack: bool,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            mode: None,
            owner: None,
            follow_symlinks: true,
            dir_copy_contents: true,
            create_dest_path: true,
            allow_wildcard: true,
            allow_empty_wildcard: false,
            include_patterns: Vec::new(),
            exclude_patterns: Vec::new(),
            attempt_unpack: false,
        }
    }
}

#[derive(Debug, Clone)]
enum Action {
    Copy {
        from: State,
        src: String,
        dest: String,
        opts: CopyOptions,
    },
    Mkdir {
        path: String,
        mode: u32,
        parents: bool,
        owner: Option<ChownOpt>,
    },
    Mkfile {
        path: String,
        mode: u32,
        data: Vec<u8>,
        owner: Option<ChownOpt>,
    },
    Rm {
        path: String,
        allow_not_found: bool,
        allow_wildcard: bool,
    },
}

/// A chain of file actions, before it is placed in the graph.
#[derive(Debug, Clone, Default)]
pub struct FileOp {
    actions: Vec<Action>,
    /// Filled in by [`FileOp::apply`]: the marshalled actions.
    pub(crate) planned: Vec<pb::FileAction>,
}

fn to_i32(mode: u32) -> i32 {
    i32::try_from(mode).unwrap_or(-1)
}

impl FileOp {
    pub fn new() -> Self {
        Self::default()
    }

    /// Copies `src` (absolute, may be a glob) from `from` to `dest` (absolute).
    pub fn copy(mut self, from: &State, src: &str, dest: &str, opts: CopyOptions) -> Self {
        self.actions.push(Action::Copy {
            from: from.clone(),
            src: src.to_owned(),
            dest: dest.to_owned(),
            opts,
        });
        self
    }

    pub fn mkdir(mut self, path: &str, mode: u32, parents: bool, owner: Option<ChownOpt>) -> Self {
        self.actions.push(Action::Mkdir {
            path: path.to_owned(),
            mode,
            parents,
            owner,
        });
        self
    }

    pub fn mkfile(mut self, path: &str, mode: u32, data: &[u8], owner: Option<ChownOpt>) -> Self {
        self.actions.push(Action::Mkfile {
            path: path.to_owned(),
            mode,
            data: data.to_vec(),
            owner,
        });
        self
    }

    pub fn rm(mut self, path: &str, allow_not_found: bool, allow_wildcard: bool) -> Self {
        self.actions.push(Action::Rm {
            path: path.to_owned(),
            allow_not_found,
            allow_wildcard,
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Places the chain in the graph on top of `base`; an empty chain returns `base`.
    pub fn apply(mut self, base: &State, constraints: Constraints, mut meta: OpMeta) -> State {
        if self.actions.is_empty() {
            return base.clone();
        }
        meta.add_cap(caps::FILE_BASE);
        let mut inputs = Inputs::default();
        let mut index_of = |state: &State| inputs.index_of(state);
        let base_index = index_of(base);
        let secondary: Vec<i64> = self
            .actions
            .iter()
            .map(|a| match a {
                Action::Copy { from, .. } => index_of(from),
                _ => -1,
            })
            .collect();
        let n_inputs = i64::try_from(inputs.len()).unwrap_or(i64::MAX);
        let last = self.actions.len() - 1;
        let mut planned = Vec::with_capacity(self.actions.len());
        for (k, (action, secondary_input)) in self.actions.iter().zip(secondary).enumerate() {
            let k64 = i64::try_from(k).unwrap_or(i64::MAX);
            let input = if k == 0 {
                base_index
            } else {
                n_inputs + k64 - 1
            };
            let output = if k == last { 0 } else { -1 };
            let (action, secondary_input) = match action {
                Action::Copy {
                    src, dest, opts, ..
                } => {
                    if !opts.include_patterns.is_empty() || !opts.exclude_patterns.is_empty() {
                        meta.add_cap(caps::FILE_COPY_INCLUDE_EXCLUDE_PATTERNS);
                    }
                    (
                        pb::file_action::Action::Copy(pb::FileActionCopy {
                            src: src.clone(),
                            dest: dest.clone(),
                            owner: opts.owner.as_ref().map(|o| o.to_pb(input)),
                            mode: opts.mode.map_or(-1, to_i32),
                            follow_symlink: opts.follow_symlinks,
                            dir_copy_contents: opts.dir_copy_contents,
                            create_dest_path: opts.create_dest_path,
                            allow_wildcard: opts.allow_wildcard,
                            allow_empty_wildcard: opts.allow_empty_wildcard,
                            timestamp: -1,
                            include_patterns: opts.include_patterns.clone(),
                            exclude_patterns: opts.exclude_patterns.clone(),
                            attempt_unpack_docker_compatibility: opts.attempt_unpack,
                            ..Default::default()
                        }),
                        secondary_input,
                    )
                }
                Action::Mkdir {
                    path,
                    mode,
                    parents,
                    owner,
                } => (
                    pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                        path: path.clone(),
                        mode: to_i32(*mode),
                        make_parents: *parents,
                        owner: owner.as_ref().map(|o| o.to_pb(input)),
                        timestamp: -1,
                    }),
                    -1,
                ),
                Action::Mkfile {
                    path,
                    mode,
                    data,
                    owner,
                } => (
                    pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                        path: path.clone(),
                        mode: to_i32(*mode),
                        data: data.clone(),
                        owner: owner.as_ref().map(|o| o.to_pb(input)),
                        timestamp: -1,
                    }),
                    -1,
                ),
                Action::Rm {
                    path,
                    allow_not_found,
                    allow_wildcard,
                } => (
                    pb::file_action::Action::Rm(pb::FileActionRm {
                        path: path.clone(),
                        allow_not_found: *allow_not_found,
                        allow_wildcard: *allow_wildcard,
                    }),
                    -1,
                ),
            };
            planned.push(pb::FileAction {
                input,
                secondary_input,
                output,
                action: Some(action),
            });
        }
        self.planned = planned;
        let node = Node::new(OpKind::File(self), inputs.into_vec(), constraints, meta);
        State::from_output(Output::new(node, 0))
    }
}
