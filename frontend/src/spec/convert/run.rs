//! Reads a `run` step: its command, options and mounts (`cache`, `secrets`,
//! `ssh`, `tmpfs`, `mounts`). Compiled by `compile::run`.

use super::defaults::RunOptions;
use super::reader::{Cx, Fields};
use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};
use crate::spec::validate;

/// A `run` step.
pub(crate) const STEP: Table = Table {
    name: "run-step",
    doc: "Runs a command on the stage's filesystem.",
    keys: &[
        Key::req(
            "run",
            Ty::Command,
            "The command: a string run by the stage's `shell`, or a list of arguments run as is. Not expanded by the frontend: the shell sees it as written, with the arguments in scope as environment variables.",
        )
        .example(r#""go build -o /out/app ./cmd/app""#),
        super::defaults::STEP_KEY,
        super::condition::WHEN,
        super::condition::UNLESS,
        Key::opt("env", Ty::KeyValues, "Environment variables for this step only."),
        Key::opt("workdir", Ty::Path, "The working directory of this step only."),
        Key::opt("user", Ty::Path, "The user of this step only: `user[:group]` or `uid[:gid]`."),
        Key::opt("description", Ty::Str, "The step's name in the progress output."),
        Key::opt(
            "network",
            Ty::Choice(&["default", "none", "host"]),
            "The step's network; `host` needs the `network.host` entitlement.",
        )
        .default(r#""default""#),
        Key::opt(
            "security",
            Ty::Choice(&["sandbox", "insecure"]),
            "`insecure` runs the step privileged and needs the `security.insecure` entitlement.",
        )
        .default(r#""sandbox""#),
        Key::opt(
            "cache",
            Ty::List(&Ty::PathOr(&CACHE)),
            "Cache mounts kept between builds: a target path, or `{target, id, sharing, readonly, mode, uid, gid}`.",
        )
        .example(r#"["/root/.cache/go-build"]"#),
        Key::opt(
            "secrets",
            Ty::List(&Ty::Table(&SECRET)),
            "Secrets (`--secret id=…`) mounted for this step only, as a file or an environment variable.",
        ),
        Key::opt(
            "ssh",
            Ty::List(&Ty::Table(&SSH)),
            "SSH agent sockets (`--ssh id=…`) forwarded to this step.",
        ),
        Key::opt(
            "tmpfs",
            Ty::List(&Ty::PathOr(&TMPFS)),
            "Empty in-memory filesystems: a target path, or `{target, size}`.",
        ),
        Key::opt(
            "mounts",
            Ty::List(&Ty::Table(&MOUNT)),
            "Bind mounts of a stage, an image or a named context (default: the build context), read-only unless `readwrite`.",
        ),
    ],
    exactly_one_of: &[],
};

/// A cache mount written as a mapping.
pub(crate) const CACHE: Table = Table {
    name: "cache-mount",
    doc: "A cache mount.",
    keys: &[
        Key::req("target", Ty::Path, "Where the cache is mounted."),
        Key::opt(
            "id",
            Ty::Path,
            "The cache's identity; default: the target path.",
        ),
        Key::opt(
            "sharing",
            Ty::Choice(&["shared", "private", "locked"]),
            "How concurrent builds share the cache.",
        )
        .default(r#""shared""#),
        Key::opt("readonly", Ty::Bool, "Mount the cache read-only.").default("false"),
        Key::opt(
            "mode",
            Ty::Str,
            "The mode of a new cache directory, in octal.",
        )
        .example(r#""0755""#),
        Key::opt("uid", Ty::UInt, "The owner of a new cache directory."),
        Key::opt("gid", Ty::UInt, "The group of a new cache directory."),
    ],
    exactly_one_of: &[],
};

/// A secret mount.
pub(crate) const SECRET: Table = Table {
    name: "secret-mount",
    doc: "A secret, given with `--secret id=…`.",
    keys: &[
        Key::req("id", Ty::Path, "The secret's id (`--secret id=ID,…`)."),
        Key::opt(
            "target",
            Ty::Path,
            "Where the secret file is mounted; default `/run/secrets/<id>`.",
        ),
        Key::opt(
            "env",
            Ty::Str,
            "Expose the secret as this environment variable instead of a file.",
        ),
        Key::opt(
            "required",
            Ty::Bool,
            "Fail the step when the build was not given the secret.",
        )
        .default("false"),
    ],
    exactly_one_of: &[],
};

/// An ssh mount.
pub(crate) const SSH: Table = Table {
    name: "ssh-mount",
    doc: "An SSH agent socket, given with `--ssh id=…`.",
    keys: &[
        Key::opt("id", Ty::Path, "The agent's id (`--ssh ID=…`).").default(r#""default""#),
        Key::opt(
            "target",
            Ty::Path,
            "Where the socket is mounted; `SSH_AUTH_SOCK` names it.",
        ),
        Key::opt(
            "required",
            Ty::Bool,
            "Fail the step when the build was not given the agent.",
        )
        .default("false"),
    ],
    exactly_one_of: &[],
};

/// A tmpfs mount written as a mapping.
pub(crate) const TMPFS: Table = Table {
    name: "tmpfs-mount",
    doc: "An in-memory filesystem.",
    keys: &[
        Key::req("target", Ty::Path, "Where the tmpfs is mounted."),
        Key::opt("size", Ty::Str, "Its size limit, e.g. `64m`.").example(r#""64m""#),
    ],
    exactly_one_of: &[],
};

/// A bind mount.
pub(crate) const MOUNT: Table = Table {
    name: "bind-mount",
    doc: "A bind mount.",
    keys: &[
        Key::opt(
            "from",
            Ty::Path,
            "A stage, an image reference or a named context; default: the build context.",
        ),
        Key::opt("source", Ty::Path, "The path in `from` to mount.").default(r#""/""#),
        Key::req("target", Ty::Path, "Where it is mounted."),
        Key::opt(
            "readwrite",
            Ty::Bool,
            "Allow writes (they are discarded after the step).",
        )
        .default("false"),
    ],
    exactly_one_of: &[],
};

/// Reads a `run` step (`value` is the command; `f` has the step's other keys).
pub(crate) fn read(cx: &mut Cx<'_>, f: &Fields<'_>, value: &Node) -> Option<Run> {
    let command = cx.command(value, "run");
    if let Some(c) = &command {
        let empty = match &c.value {
            Command::Shell(s) => s.trim().is_empty(),
            Command::Exec(argv) => argv.is_empty(),
        };
        if empty {
            cx.push(Diagnostic::new(
                Code::InvalidValue,
                "`run` has an empty command",
                c.span,
            ));
            return None;
        }
        if let Command::Exec(argv) = &c.value {
            if let Some(program) = argv.first().filter(|p| p.value.is_empty()) {
                cx.push(Diagnostic::new(
                    Code::InvalidValue,
                    "the program of a `run` list (its first element) is empty",
                    program.span,
                ));
                return None;
            }
        }
    }
    let own = options(cx, f);
    let o = if super::defaults::taken(cx, f) {
        own.over(&cx.defaults.run)
    } else {
        own
    };
    Some(Run {
        command: command?,
        env: o.env,
        workdir: o.workdir,
        user: o.user,
        description: o.description,
        network: o.network,
        security: o.security,
        cache: o.cache,
        secrets: o.secrets,
        ssh: o.ssh,
        tmpfs: o.tmpfs,
        mounts: o.mounts,
    })
}

/// A `run` step's options (its keys but `run`), as written: the step's own,
/// or those of a `defaults.run`.
pub(crate) fn options(cx: &mut Cx<'_>, f: &Fields<'_>) -> RunOptions {
    let env = f
        .get("env")
        .map(|n| cx.key_values(n, "env", true))
        .unwrap_or_default();
    let workdir = cx.opt(f, "workdir", Cx::path);
    let user = cx.opt(f, "user", Cx::path);
    let description = cx.opt(f, "description", Cx::expandable);
    let network = f.get("network").and_then(|n| {
        cx.choice(
            n,
            "network",
            &[
                ("default", Network::Default),
                ("none", Network::None),
                ("host", Network::Host),
            ],
        )
    });
    let security = f.get("security").and_then(|n| {
        cx.choice(
            n,
            "security",
            &[
                ("sandbox", Security::Sandbox),
                ("insecure", Security::Insecure),
            ],
        )
    });
    RunOptions {
        env,
        workdir,
        user,
        description,
        network,
        security,
        cache: cx.list_of(f, "cache", |cx, n, _| cache_mount(cx, n)),
        secrets: cx.list_of(f, "secrets", |cx, n, _| secret_mount(cx, n)),
        ssh: cx.list_of(f, "ssh", |cx, n, _| ssh_mount(cx, n)),
        tmpfs: cx.list_of(f, "tmpfs", |cx, n, _| tmpfs_mount(cx, n)),
        mounts: cx.list_of(f, "mounts", |cx, n, _| bind_mount(cx, n)),
    }
}

fn cache_mount(cx: &mut Cx<'_>, node: &Node) -> Option<CacheMount> {
    if !matches!(node.value, Value::Map(_)) {
        let target = cx.path(node, "cache")?;
        return Some(CacheMount {
            target,
            id: None,
            sharing: Sharing::Shared,
            readonly: false,
            mode: None,
            uid: None,
            gid: None,
            span: node.span,
        });
    }
    let what = "a cache mount";
    let f = cx.fields(node, "cache", what, &CACHE, &|_| None)?;
    let target = cx.req(&f, "target", what, Cx::path);
    let id = cx.opt(&f, "id", Cx::path);
    let sharing = f.get("sharing").and_then(|n| {
        cx.choice(
            n,
            "sharing",
            &[
                ("shared", Sharing::Shared),
                ("private", Sharing::Private),
                ("locked", Sharing::Locked),
            ],
        )
    });
    let readonly = cx.flag(&f, "readonly", false);
    let mode = cx.opt(&f, "mode", Cx::file_mode);
    let uid = cx.opt(&f, "uid", Cx::uint);
    let gid = cx.opt(&f, "gid", Cx::uint);
    Some(CacheMount {
        target: target?,
        id,
        sharing: sharing.map_or(Sharing::Shared, |s| s.value),
        readonly,
        mode,
        uid,
        gid,
        span: node.span,
    })
}

fn secret_mount(cx: &mut Cx<'_>, node: &Node) -> Option<SecretMount> {
    let what = "a secret";
    let f = cx.fields(node, "secrets", what, &SECRET, &|_| None)?;
    let id = cx.req(&f, "id", what, Cx::path);
    let target = cx.opt(&f, "target", Cx::path);
    let env = cx.opt(&f, "env", Cx::expandable);
    // With variables, the name is checked once expanded (compile).
    if let Some(e) = env.as_ref().filter(|e| !e.value.contains('$')) {
        if let Err(msg) = validate::check_arg_name(&e.value) {
            cx.push(Diagnostic::new(Code::InvalidName, msg, e.span));
        }
    }
    let required = cx.flag(&f, "required", false);
    Some(SecretMount {
        id: id?,
        target,
        env,
        required,
        span: node.span,
    })
}

fn ssh_mount(cx: &mut Cx<'_>, node: &Node) -> Option<SshMount> {
    let what = "an ssh mount";
    let f = cx.fields(node, "ssh", what, &SSH, &|_| None)?;
    let written = cx.opt(&f, "id", Cx::path);
    let id_written = written.is_some();
    let id = written.unwrap_or_else(|| Spanned::new("default".to_string(), node.span));
    let target = cx.opt(&f, "target", Cx::path);
    let required = cx.flag(&f, "required", false);
    Some(SshMount {
        id,
        id_written,
        target,
        required,
        span: node.span,
    })
}

fn tmpfs_mount(cx: &mut Cx<'_>, node: &Node) -> Option<TmpfsMount> {
    if !matches!(node.value, Value::Map(_)) {
        let target = cx.path(node, "tmpfs")?;
        return Some(TmpfsMount {
            target,
            size: None,
            span: node.span,
        });
    }
    let what = "a tmpfs mount";
    let f = cx.fields(node, "tmpfs", what, &TMPFS, &|_| None)?;
    let target = cx.req(&f, "target", what, Cx::path);
    let size = f.get("size").and_then(|n| {
        let text = cx.string(n, "size")?;
        match validate::parse_size(&text.value) {
            Ok(bytes) => Some(Spanned::new(bytes, text.span)),
            Err(msg) => {
                cx.push(Diagnostic::new(Code::InvalidValue, msg, text.span));
                None
            }
        }
    });
    Some(TmpfsMount {
        target: target?,
        size,
        span: node.span,
    })
}

fn bind_mount(cx: &mut Cx<'_>, node: &Node) -> Option<BindMount> {
    let what = "a bind mount";
    let f = cx.fields(node, "mounts", what, &MOUNT, &|_| None)?;
    // No `from`: the build context, as for a copy.
    let from = cx.opt(&f, "from", Cx::path);
    let source = cx
        .opt(&f, "source", Cx::path)
        .unwrap_or_else(|| Spanned::new("/".to_string(), node.span));
    let target = cx.req(&f, "target", what, Cx::path);
    let readwrite = cx.flag(&f, "readwrite", false);
    Some(BindMount {
        from,
        source,
        target: target?,
        readwrite,
        span: node.span,
    })
}
