//! A readable, stable text dump of a marshalled definition, for snapshot
//! tests and `stagecraft compile`.
//!
//! Each op is printed with a short digest and the short digests of its
//! inputs, in definition order. The dump is derived from the bytes, so it
//! shows exactly what the engine receives. It is not meant to be parsed.

use std::fmt::Write;

use bollard_buildkit_proto::pb;
use prost::Message;

use crate::marshal::digest;

fn short(d: &str) -> &str {
    d.strip_prefix("sha256:")
        .and_then(|h| h.get(..12))
        .unwrap_or(d)
}

fn user_opt(u: &Option<pb::UserOpt>) -> String {
    match u.as_ref().and_then(|u| u.user.as_ref()) {
        Some(pb::user_opt::User::ById(id)) => id.to_string(),
        Some(pb::user_opt::User::ByName(n)) => n.name.clone(),
        None => String::new(),
    }
}

fn owner(o: &Option<pb::ChownOpt>) -> String {
    match o {
        Some(o) => format!(" owner={}:{}", user_opt(&o.user), user_opt(&o.group)),
        None => String::new(),
    }
}

/// Renders `def` as text.
pub fn dump(def: &pb::Definition) -> String {
    let mut out = String::new();
    for bytes in &def.def {
        let d = digest(bytes);
        let op = match pb::Op::decode(bytes.as_slice()) {
            Ok(op) => op,
            Err(e) => {
                let _ = writeln!(out, "{}: undecodable op: {e}", short(&d));
                continue;
            }
        };
        let inputs: Vec<String> = op
            .inputs
            .iter()
            .map(|i| format!("{}[{}]", short(&i.digest), i.index))
            .collect();
        let platform = op.platform.as_ref().map(|p| {
            if p.variant.is_empty() {
                format!(" on {}/{}", p.os, p.architecture)
            } else {
                format!(" on {}/{}/{}", p.os, p.architecture, p.variant)
            }
        });
        let head = format!(
            "{} <- [{}]{}",
            short(&d),
            inputs.join(", "),
            platform.unwrap_or_default()
        );
        match &op.op {
            None => {
                let _ = writeln!(out, "{head} terminal");
            }
            Some(pb::op::Op::Source(s)) => {
                let _ = writeln!(out, "{head} source {}", s.identifier);
                for (k, v) in &s.attrs {
                    let _ = writeln!(out, "    attr {k}={v}");
                }
            }
            Some(pb::op::Op::Exec(e)) => {
                let _ = writeln!(out, "{head} exec");
                if let Some(m) = &e.meta {
                    let _ = writeln!(out, "    args {:?}", m.args);
                    for env in &m.env {
                        let _ = writeln!(out, "    env {env}");
                    }
                    let _ = writeln!(out, "    cwd {:?} user {:?}", m.cwd, m.user);
                    for h in &m.extra_hosts {
                        let _ = writeln!(out, "    host {}={}", h.host, h.ip);
                    }
                }
                if e.network != 0 || e.security != 0 {
                    let _ = writeln!(out, "    network={} security={}", e.network, e.security);
                }
                for m in &e.mounts {
                    let kind = pb::MountType::try_from(m.mount_type)
                        .map(|t| t.as_str_name())
                        .unwrap_or("?");
                    let mut line = format!(
                        "    mount {kind} {} input={} output={}",
                        m.dest, m.input, m.output
                    );
                    if !m.selector.is_empty() {
                        let _ = write!(line, " selector={}", m.selector);
                    }
                    if m.readonly {
                        line.push_str(" ro");
                    }
                    if let Some(c) = &m.cache_opt {
                        let _ = write!(line, " id={} sharing={}", c.id, c.sharing);
                    }
                    if let Some(s) = &m.secret_opt {
                        let _ = write!(
                            line,
                            " id={} mode={:o} optional={}",
                            s.id, s.mode, s.optional
                        );
                    }
                    if let Some(s) = &m.ssh_opt {
                        let _ = write!(line, " id={} optional={}", s.id, s.optional);
                    }
                    if let Some(t) = &m.tmpfs_opt {
                        let _ = write!(line, " size={}", t.size);
                    }
                    let _ = writeln!(out, "{line}");
                }
                for s in &e.secretenv {
                    let _ = writeln!(
                        out,
                        "    secretenv {}={} optional={}",
                        s.name, s.id, s.optional
                    );
                }
            }
            Some(pb::op::Op::File(f)) => {
                let _ = writeln!(out, "{head} file");
                for a in &f.actions {
                    let io = format!("in={} in2={} out={}", a.input, a.secondary_input, a.output);
                    let text = match &a.action {
                        Some(pb::file_action::Action::Copy(c)) => {
                            let mut s = format!("copy {} -> {} {io}", c.src, c.dest);
                            if c.mode >= 0 {
                                let _ = write!(s, " mode={:o}", c.mode);
                            }
                            s.push_str(&owner(&c.owner));
                            for p in &c.include_patterns {
                                let _ = write!(s, " include={p}");
                            }
                            for p in &c.exclude_patterns {
                                let _ = write!(s, " exclude={p}");
                            }
                            s
                        }
                        Some(pb::file_action::Action::Mkdir(m)) => {
                            format!(
                                "mkdir {} mode={:o} parents={} {io}{}",
                                m.path,
                                m.mode,
                                m.make_parents,
                                owner(&m.owner)
                            )
                        }
                        Some(pb::file_action::Action::Mkfile(m)) => {
                            format!(
                                "mkfile {} mode={:o} bytes={} {io}{}",
                                m.path,
                                m.mode,
                                m.data.len(),
                                owner(&m.owner)
                            )
                        }
                        Some(pb::file_action::Action::Rm(r)) => format!("rm {} {io}", r.path),
                        Some(pb::file_action::Action::Symlink(s)) => {
                            format!("symlink {} -> {} {io}", s.newpath, s.oldpath)
                        }
                        None => format!("empty action {io}"),
                    };
                    let _ = writeln!(out, "    {text}");
                }
            }
            Some(pb::op::Op::Merge(_)) => {
                let _ = writeln!(out, "{head} merge");
            }
            Some(pb::op::Op::Diff(_)) => {
                let _ = writeln!(out, "{head} diff");
            }
            Some(pb::op::Op::Build(_)) => {
                let _ = writeln!(out, "{head} build");
            }
        }
        if let Some(md) = def.metadata.get(&d) {
            let mut parts = Vec::new();
            for (k, v) in &md.description {
                parts.push(format!("{k}={v:?}"));
            }
            if md.ignore_cache {
                parts.push("ignore-cache".to_owned());
            }
            if let Some(g) = &md.progress_group {
                parts.push(format!(
                    "group={:?}{}",
                    g.id,
                    if g.weak { "(weak)" } else { "" }
                ));
            }
            let caps: Vec<&str> = md.caps.keys().map(String::as_str).collect();
            if !caps.is_empty() {
                parts.push(format!("caps={}", caps.join(",")));
            }
            if !parts.is_empty() {
                let _ = writeln!(out, "    meta {}", parts.join(" "));
            }
        }
        if let Some(src) = &def.source {
            if let Some(locs) = src.locations.get(&d) {
                for l in &locs.locations {
                    let file = usize::try_from(l.source_index)
                        .ok()
                        .and_then(|i| src.infos.get(i))
                        .map_or("?", |i| i.filename.as_str());
                    for r in &l.ranges {
                        let line = |p: &Option<pb::Position>| p.as_ref().map_or(0, |p| p.line);
                        let _ = writeln!(out, "    at {file}:{}-{}", line(&r.start), line(&r.end));
                    }
                }
            }
        }
    }
    out
}
