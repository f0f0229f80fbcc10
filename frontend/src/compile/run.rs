//! `run` steps → ExecOp: the stage's shell or an argv, env with the
//! arguments the command names or the stage declares exported (language
//! 1.1, "Which arguments reach a `run` step"), and the step's mounts.
//!
//! The command itself is never expanded: the shell sees it as written.

use llb::exec::{BindAccess, CacheSharing, Exec, Mount, NetMode, SecretEnv, SecurityMode};
use llb::file::ChownOpt;
use llb::op::OpMeta;
use llb::{FileOp, State};

use super::uses::{Entitlement, Use};
use super::{resolve_path, Compiler, StageCtx};
use crate::diag::{Code, Diagnostic, Span};
use crate::options::ForceNetwork;
use crate::spec::model::{Command, Network, Run, Security, Sharing};
use crate::spec::vars;

/// The stage's shell, not expanded: its `shell`, else the one its base set
/// (a stage `from:` another keeps that stage's shell), else `/bin/sh -c`.
pub(super) fn shell(ctx: &StageCtx<'_, '_>) -> Vec<String> {
    match &ctx.stage.shell {
        Some(s) => s.value.iter().map(|a| a.value.clone()).collect(),
        None if !ctx.image.config.shell.is_empty() => ctx.image.config.shell.clone(),
        None => vec!["/bin/sh".to_owned(), "-c".to_owned()],
    }
}

/// The text shown for a command in progress output and history.
pub(super) fn command_text(cmd: &Command) -> String {
    match cmd {
        Command::Shell(s) => s.clone(),
        Command::Exec(argv) => {
            let parts: Vec<String> = argv.iter().map(|a| format!("{:?}", a.value)).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

/// A command as its progress line shows it: its first line, and ` …` when
/// more follow (buildx prints one line per step; the history keeps it all).
fn progress_text(text: &str) -> String {
    let mut lines = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or_default();
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_owned()
    }
}

pub(crate) fn compile_run(
    c: &mut Compiler<'_, '_>,
    ctx: &mut StageCtx<'_, '_>,
    r: &Run,
    span: Span,
) -> Result<(), Diagnostic> {
    let argv: Vec<String> = match &r.command.value {
        Command::Shell(s) => {
            let mut a = shell(ctx);
            a.push(s.clone());
            a
        }
        Command::Exec(argv) => argv.iter().map(|a| a.value.clone()).collect(),
    };
    // The environment as the Dockerfile frontend orders a `RUN`'s, so that
    // the same step is the same op (and cache key): the base's environment,
    // the arguments (the stage's in the order declared, then those only the
    // command names), the stage's `env` and the step's, each variable set
    // again moved to the end. An argument wins over an `env` of its name.
    let named = match &r.command.value {
        Command::Shell(s) => vars::names_in_command(s),
        Command::Exec(argv) => argv
            .iter()
            .flat_map(|a| vars::names_in_command(&a.value))
            .collect(),
    };
    let args = ctx.scope.run_args(&named);
    let arg_names: std::collections::HashSet<&str> = args.iter().map(|(a, _)| *a).collect();
    let mut sets: Vec<(String, String)> = args
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    sets.extend(
        ctx.stage_env
            .iter()
            .filter(|(k, _)| !arg_names.contains(k.as_str()))
            .cloned(),
    );
    {
        use crate::spec::vars::Scope as _;
        let known = |n: &str| {
            ctx.scope.lookup(n) != vars::Lookup::Undeclared
                || r.env.iter().any(|(k, _)| k.value == n)
        };
        let names = ctx.scope.names();
        c.warnings
            .extend(super::lint::undefined_var::check(&r.command, known, &names));
    }
    if !r.env.is_empty() {
        let mut step_scope = ctx.scope.clone();
        for (k, v) in &r.env {
            let value = step_scope.expand(v, &ctx.input.spec.source)?;
            step_scope.set_env(&k.value, &value);
            sets.push((k.value.clone(), value));
        }
    }
    let mut exec = Exec::new(argv);
    exec.env = set_last(&ctx.base_env, &sets);
    exec.cwd = match &r.workdir {
        Some(w) => resolve_path(&ctx.workdir, &ctx.expand_path(w)?),
        None => ctx.workdir.clone(),
    };
    exec.user = match &r.user {
        Some(u) => ctx.expand(u)?,
        None => ctx.user.clone(),
    };
    exec.network = match r.network.as_ref().map(|n| n.value) {
        Some(Network::Default) => NetMode::Default,
        Some(Network::None) => NetMode::None,
        Some(Network::Host) => NetMode::Host,
        None => match ctx.input.opts.network {
            ForceNetwork::Default => NetMode::Default,
            ForceNetwork::None => NetMode::None,
            ForceNetwork::Host => NetMode::Host,
        },
    };
    exec.security = match r.security.as_ref().map(|s| s.value) {
        Some(Security::Insecure) => SecurityMode::Insecure,
        Some(Security::Sandbox) | None => SecurityMode::Sandbox,
    };
    if exec.network == NetMode::Host {
        c.uses.push(Use::Entitlement {
            what: Entitlement::NetworkHost,
            at: r.network.as_ref().map(|n| n.span),
        });
    }
    if let Some(s) = r
        .security
        .as_ref()
        .filter(|s| s.value == Security::Insecure)
    {
        c.uses.push(Use::Entitlement {
            what: Entitlement::SecurityInsecure,
            at: Some(s.span),
        });
    }
    let opts = ctx.input.opts;
    exec.extra_hosts = opts.extra_hosts.clone();
    exec.hostname = opts.hostname.clone();
    exec.cgroup_parent = opts.cgroup_parent.clone();
    exec.ulimits = opts
        .ulimits
        .iter()
        .map(|u| llb::exec::Ulimit {
            name: u.name.clone(),
            soft: u.soft,
            hard: u.hard,
        })
        .collect();
    for m in &r.cache {
        let target = ctx.expand_path(&m.target)?;
        let dest = resolve_path(&ctx.workdir, &target);
        // The cache's id as the Dockerfile frontend makes it, so that a spec
        // and a Dockerfile share their caches: the namespace
        // (`--build-arg BUILDKIT_CACHE_MOUNT_NS`, caches of other namespaces
        // are not shared), `/`, then the `id`, else the target as written,
        // cleaned (a relative target stays relative there).
        let id = match &m.id {
            Some(id) => ctx.expand(id)?,
            None => clean(&target),
        };
        let id = format!("{}/{id}", ctx.input.opts.cache_mount_ns);
        let base = if m.mode.is_some() || m.uid.is_some() || m.gid.is_some() {
            let mode = m.mode.as_ref().map_or(0o755, |m| m.value.bits);
            let owner = ChownOpt {
                user: Some(llb::UserOpt::Id(m.uid.as_ref().map_or(0, |u| u.value))),
                group: Some(llb::UserOpt::Id(m.gid.as_ref().map_or(0, |g| g.value))),
            };
            // As the Dockerfile frontend seeds it: no parents to make.
            let seed = FileOp::new()
                .mkdir("/cache", mode, false, Some(owner))
                .apply(&State::scratch(), ctx.constraints(), OpMeta::default());
            Some((seed, "/cache".to_owned()))
        } else {
            None
        };
        let sharing = match m.sharing {
            Sharing::Shared => CacheSharing::Shared,
            Sharing::Private => CacheSharing::Private,
            Sharing::Locked => CacheSharing::Locked,
        };
        exec.mounts.push(Mount::Cache {
            dest,
            id,
            sharing,
            readonly: m.readonly,
            base,
        });
    }
    for s in &r.secrets {
        let id = ctx.expand(&s.id)?;
        if s.required {
            c.uses.push(Use::Secret {
                id: id.clone(),
                at: s.id.span,
            });
        }
        if let Some(name) = &s.env {
            let env_name = ctx.expand(name)?;
            if let Err(msg) = crate::spec::validate::check_arg_name(&env_name) {
                return Err(Diagnostic::new(Code::InvalidName, msg, name.span));
            }
            exec.secret_env.push(SecretEnv {
                id: id.clone(),
                name: env_name,
                optional: !s.required,
            });
            if s.target.is_none() {
                continue;
            }
        }
        let dest = match &s.target {
            Some(t) => resolve_path(&ctx.workdir, &ctx.expand_path(t)?),
            None => format!("/run/secrets/{id}"),
        };
        exec.mounts.push(Mount::Secret {
            dest,
            id,
            uid: 0,
            gid: 0,
            mode: 0o400,
            optional: !s.required,
        });
    }
    for (i, s) in r.ssh.iter().enumerate() {
        let dest = match &s.target {
            Some(t) => resolve_path(&ctx.workdir, &ctx.expand_path(t)?),
            None => format!("/run/buildkit/ssh_agent.{i}"),
        };
        let id = ctx.expand(&s.id)?;
        if s.required {
            c.uses.push(Use::Ssh {
                id: id.clone(),
                at: s.id.span,
            });
        }
        exec.mounts.push(Mount::Ssh {
            dest,
            id: if s.id_written { id } else { String::new() },
            uid: 0,
            gid: 0,
            mode: 0o600,
            optional: !s.required,
        });
        if i == 0 {
            exec.env.push(format!(
                "SSH_AUTH_SOCK={}",
                exec.mounts.last().map_or("", |m| match m {
                    Mount::Ssh { dest, .. } => dest.as_str(),
                    _ => "",
                })
            ));
        }
    }
    for t in &r.tmpfs {
        let dest = resolve_path(&ctx.workdir, &ctx.expand_path(&t.target)?);
        exec.mounts.push(Mount::Tmpfs {
            dest,
            size: t
                .size
                .as_ref()
                .map(|s| i64::try_from(s.value).unwrap_or(i64::MAX)),
        });
    }
    for b in &r.mounts {
        let selector = resolve_path("/", &ctx.expand_path(&b.source)?);
        let state = match &b.from {
            Some(from) => ctx.source_state(c, from)?,
            None => {
                // The build context: only the mounted directory is sent.
                c.context_paths.insert(
                    selector
                        .trim_start_matches('/')
                        .trim_end_matches('/')
                        .to_owned(),
                );
                c.context()
            }
        };
        let dest = resolve_path(&ctx.workdir, &ctx.expand_path(&b.target)?);
        exec.mounts.push(Mount::Bind {
            dest,
            state,
            selector,
            // As the Dockerfile frontend's `rw` bind: its writes are discarded.
            access: if b.readwrite {
                BindAccess::Discarded
            } else {
                BindAccess::ReadOnly
            },
        });
    }
    let text = command_text(&r.command.value);
    let name = match &r.description {
        Some(d) => ctx.expand(d)?,
        None => format!("RUN {}", progress_text(&text)),
    };
    // `--shm-size`: a `/dev/shm` of that size, as the Dockerfile frontend
    // mounts one, unless the step mounts something there itself.
    if let Some(size) = opts.shm_size {
        let taken = exec.mounts.iter().any(|m| m.target() == "/dev/shm");
        if !taken {
            exec.mounts.push(Mount::Tmpfs {
                dest: "/dev/shm".to_owned(),
                size: Some(size),
            });
        }
    }
    let meta = ctx.meta(&name, span);
    let out = exec.run(&ctx.state, ctx.constraints(), meta);
    ctx.commit_layer(out.root, format!("RUN {text}"));
    Ok(())
}

#[cfg(test)]
mod progress_tests {
    use super::{progress_text, set_last};

    #[test]
    fn a_variable_set_again_moves_to_the_end() {
        let base = vec!["PATH=/bin".to_owned(), "A=0".to_owned(), "B=0".to_owned()];
        let sets = [("A", "1"), ("C", "1"), ("A", "2")].map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(set_last(&base, &sets), ["PATH=/bin", "B=0", "C=1", "A=2"]);
        assert_eq!(set_last(&base, &[]), base);
    }

    #[test]
    fn a_multi_line_command_shows_its_first_line() {
        assert_eq!(progress_text("make"), "make");
        assert_eq!(progress_text("make\n"), "make");
        assert_eq!(progress_text("\nset -e\nmake test\n"), "set -e …");
        assert_eq!(progress_text("a \\\n  b"), "a \\ …");
    }
}

/// `base` (`NAME=VALUE` entries) with each of `sets` applied in order as
/// BuildKit's client sets a variable: an earlier entry of the name is
/// removed and the new one appended. Linear in the entries: a name's last
/// set is found once, not by a scan per set.
fn set_last(base: &[String], sets: &[(String, String)]) -> Vec<String> {
    let mut last: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, (k, _)) in sets.iter().enumerate() {
        last.insert(k.as_str(), i);
    }
    fn name(e: &str) -> &str {
        e.split_once('=').map_or(e, |(k, _)| k)
    }
    base.iter()
        .filter(|e| !last.contains_key(name(e)))
        .cloned()
        .chain(
            sets.iter()
                .enumerate()
                .filter(|(i, (k, _))| last.get(k.as_str()) == Some(i))
                .map(|(_, (k, v))| format!("{k}={v}")),
        )
        .collect()
}

/// A path cleaned lexically, as Go's `path.Clean`: repeated and trailing
/// slashes dropped, `.` removed, `..` resolved where it can be; a relative
/// path stays relative (`""` is `.`).
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&p) if p != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn paths_are_cleaned_as_go_cleans_them() {
        for (path, want) in [
            ("/root/.cache/", "/root/.cache"),
            ("//a//b/./c/..", "/a/b"),
            (".cache/x", ".cache/x"),
            ("./a/../../b", "../b"),
            ("/../a", "/a"),
            ("", "."),
            ("/", "/"),
        ] {
            assert_eq!(clean(path), want, "{path}");
        }
    }
}
