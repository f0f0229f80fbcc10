//! Reads a `run` step: its command, options and mounts (`cache`, `secrets`,
//! `ssh`, `tmpfs`, `mounts`). Compiled by `compile::run`.

use super::reader::{Cx, Fields};
use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};
use crate::spec::validate;

/// The keys of a `run` step.
pub(crate) const KEYS: &[&str] = &[
    "run",
    "env",
    "workdir",
    "user",
    "description",
    "network",
    "security",
    "cache",
    "secrets",
    "ssh",
    "tmpfs",
    "mounts",
];
const CACHE_KEYS: &[&str] = &["target", "id", "sharing", "readonly", "mode", "uid", "gid"];
const SECRET_KEYS: &[&str] = &["id", "target", "env", "required"];
const SSH_KEYS: &[&str] = &["id", "target", "required"];
const TMPFS_KEYS: &[&str] = &["target", "size"];
const MOUNT_KEYS: &[&str] = &["from", "source", "target", "readwrite"];

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
    let cache = cx.list_of(f, "cache", |cx, n, _| cache_mount(cx, n));
    let secrets = cx.list_of(f, "secrets", |cx, n, _| secret_mount(cx, n));
    let ssh = cx.list_of(f, "ssh", |cx, n, _| ssh_mount(cx, n));
    let tmpfs = cx.list_of(f, "tmpfs", |cx, n, _| tmpfs_mount(cx, n));
    let mounts = cx.list_of(f, "mounts", |cx, n, _| bind_mount(cx, n));
    Some(Run {
        command: command?,
        env,
        workdir,
        user,
        description,
        network,
        security,
        cache,
        secrets,
        ssh,
        tmpfs,
        mounts,
    })
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
    let f = cx.fields(node, "cache", what, CACHE_KEYS, &|_| None)?;
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
    let f = cx.fields(node, "secrets", what, SECRET_KEYS, &|_| None)?;
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
    let f = cx.fields(node, "ssh", what, SSH_KEYS, &|_| None)?;
    let id = cx
        .opt(&f, "id", Cx::path)
        .unwrap_or_else(|| Spanned::new("default".to_string(), node.span));
    let target = cx.opt(&f, "target", Cx::path);
    let required = cx.flag(&f, "required", false);
    Some(SshMount {
        id,
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
    let f = cx.fields(node, "tmpfs", what, TMPFS_KEYS, &|_| None)?;
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
    let f = cx.fields(node, "mounts", what, MOUNT_KEYS, &|_| None)?;
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
