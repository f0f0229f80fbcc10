//! Dockerfile instructions → a spec, instruction by instruction, keeping
//! what each means: a `WORKDIR`, `ENV`, `USER` or `SHELL` after the first
//! step applies to the later steps only (step options, a `mkdir`, and the
//! image config), as in the Dockerfile; the last stage's trailing
//! single-source `COPY --from` become its `artifacts` (with `link: false`
//! unless `--link`, since a Dockerfile copy is not linked; a copy of several
//! sources is one layer, so it stays a copy); `MAINTAINER` becomes a
//! label. What a spec cannot say (`ONBUILD`, a local archive `ADD`, a mount
//! option the language lacks, heredocs for now) is an error at its line.
//!
//! It writes no text; `yaml` does.

use super::parse::{Args, Dockerfile, Instruction, ParseError};
use super::yaml::{map, s, Entry, Y};

type Result<T> = std::result::Result<T, ParseError>;

fn err<T>(i: &Instruction, message: impl Into<String>) -> Result<T> {
    Err(ParseError {
        line: i.line,
        message: format!("{} (line {}): {}", i.name, i.line, message.into()),
    })
}

/// Words of a shell-form argument list: white space splits, quotes group
/// (and are removed), a backslash keeps the next character; `\$` becomes
/// the spec's literal dollar `$$`.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => cur.push(c),
            (_, '\\') => {
                started = true;
                match chars.next() {
                    Some('$') => cur.push_str("$$"),
                    Some(n) => cur.push(n),
                    None => cur.push('\\'),
                }
            }
            (_, c) => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    out
}

/// `K=V` pairs (or the legacy `K V` form when `legacy` allows it).
fn pairs(i: &Instruction, legacy: bool) -> Result<Vec<(String, String)>> {
    let text = i.args.text();
    let w = words(&text);
    if legacy && w.first().is_some_and(|f| !f.contains('=')) {
        let (k, v) = text
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((text.trim(), ""));
        return Ok(vec![(k.to_owned(), words(v).join(" "))]);
    }
    w.into_iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
            None => err(i, format!("`{p}` is not NAME=VALUE")),
        })
        .collect()
}

fn flag<'a>(i: &'a Instruction, name: &str) -> Option<Option<&'a str>> {
    i.flags
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_deref())
}

fn flag_value<'a>(i: &'a Instruction, name: &str) -> Result<Option<&'a str>> {
    match flag(i, name) {
        None => Ok(None),
        Some(Some(v)) => Ok(Some(v)),
        Some(None) => err(i, format!("`--{name}` needs a value")),
    }
}

/// A boolean flag (`--link`, `--link=true`).
fn flag_bool(i: &Instruction, name: &str) -> Result<bool> {
    match flag(i, name) {
        None => Ok(false),
        Some(None | Some("true")) => Ok(true),
        Some(Some("false")) => Ok(false),
        Some(Some(v)) => err(i, format!("`--{name}={v}` is not a boolean")),
    }
}

/// Only the flags in `known`.
fn check_flags(i: &Instruction, known: &[&str]) -> Result<()> {
    match i.flags.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((k, _)) => err(i, format!("the flag `--{k}` has no equivalent in a spec")),
        None => Ok(()),
    }
}

/// A path made absolute against `dir`.
fn absolute(dir: &str, path: &str) -> String {
    if path.starts_with('/') || path.starts_with('$') {
        path.to_owned()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), path)
    }
}

/// A mapping of names to strings.
fn string_map(pairs: &[(String, String)]) -> Y {
    Y::Map(
        pairs
            .iter()
            .map(|(k, v)| Entry::new((k.clone(), s(v))))
            .collect(),
    )
}

/// A copy step, kept apart so the last stage's trailing ones can become artifacts.
#[derive(Debug, Clone)]
struct CopyOut {
    from: Option<String>,
    sources: Vec<String>,
    to: String,
    chmod: Option<String>,
    chown: Option<String>,
    link: bool,
    parents: bool,
    exclude: Vec<String>,
}

#[derive(Debug, Clone)]
enum StepOut {
    Step(Y),
    Copy(CopyOut),
}

#[derive(Default)]
struct StageOut {
    name: String,
    comments: Vec<String>,
    from: String,
    platform: Option<String>,
    args: Vec<(String, Option<String>)>,
    env: Vec<(String, String)>,
    workdir: Option<String>,
    user: Option<String>,
    shell: Option<Vec<String>>,
    steps: Vec<(Vec<String>, StepOut)>,
    image: Vec<(String, Y)>,
    /// After the first step: what later steps get as options.
    step_env: Vec<(String, String)>,
    step_workdir: Option<String>,
    step_user: Option<String>,
    step_shell: Option<Vec<String>>,
}

impl StageOut {
    fn started(&self) -> bool {
        !self.steps.is_empty()
    }

    /// The working directory steps run in now.
    fn cwd(&self) -> String {
        self.step_workdir
            .clone()
            .or_else(|| self.workdir.clone())
            .unwrap_or_else(|| "/".to_owned())
    }

    fn image_set(&mut self, key: &str, v: Y) {
        match self.image.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = v,
            None => self.image.push((key.to_owned(), v)),
        }
    }

    fn image_extend(&mut self, key: &str, items: Vec<Entry<Y>>) {
        match self.image.iter_mut().find(|(k, _)| k == key) {
            Some((_, Y::List(l))) => l.extend(items),
            Some((_, Y::Map(_) | Y::Str(_) | Y::Int(_) | Y::Bool(_) | Y::Null)) | None => {
                self.image.push((key.to_owned(), Y::List(items)));
            }
        }
    }

    fn image_pairs(&mut self, key: &str, pairs: Vec<(String, String)>) {
        let new: Vec<Entry<(String, Y)>> = pairs
            .into_iter()
            .map(|(k, v)| Entry::new((k, Y::Str(v))))
            .collect();
        match self.image.iter_mut().find(|(k, _)| k == key) {
            Some((_, Y::Map(m))) => {
                for e in new {
                    m.retain(|o| o.value.0 != e.value.0);
                    m.push(e);
                }
            }
            Some((_, Y::List(_) | Y::Str(_) | Y::Int(_) | Y::Bool(_) | Y::Null)) | None => {
                self.image.push((key.to_owned(), Y::Map(new)));
            }
        }
    }
}

/// The stage of `names` that `FROM` or `--from` names: by name (any case)
/// or index.
fn stage_ref(names: &[String], name: &str) -> Option<String> {
    if let Ok(n) = name.parse::<usize>() {
        return names.get(n).cloned();
    }
    names.iter().find(|s| s.eq_ignore_ascii_case(name)).cloned()
}

/// A run step's mount flag (`--mount=type=cache,target=…`) as a spec mount.
/// (`from` values are resolved to stage names once every stage is known.)
fn mount(i: &Instruction, spec: &str) -> Result<(&'static str, Y)> {
    let mut kind = "bind".to_owned();
    let mut opts: Vec<(String, Option<String>)> = Vec::new();
    for part in spec.split(',') {
        let (k, v) = match part.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_owned())),
            None => (part.to_ascii_lowercase(), None),
        };
        if k == "type" {
            kind = v.unwrap_or_default();
        } else {
            opts.push((k, v));
        }
    }
    let mut out: Vec<(&str, Y)> = Vec::new();
    // The spec key of the mount kind, and its option names → keys.
    let (key, table): (&str, &[(&str, &str)]) = match kind.as_str() {
        "cache" => (
            "cache",
            &[
                ("target", "target"),
                ("dst", "target"),
                ("destination", "target"),
                ("id", "id"),
                ("sharing", "sharing"),
                ("readonly", "readonly"),
                ("ro", "readonly"),
                ("mode", "mode"),
                ("uid", "uid"),
                ("gid", "gid"),
            ],
        ),
        "secret" => (
            "secrets",
            &[
                ("id", "id"),
                ("target", "target"),
                ("dst", "target"),
                ("destination", "target"),
                ("env", "env"),
                ("required", "required"),
            ],
        ),
        "ssh" => (
            "ssh",
            &[
                ("id", "id"),
                ("target", "target"),
                ("dst", "target"),
                ("destination", "target"),
                ("required", "required"),
            ],
        ),
        "tmpfs" => (
            "tmpfs",
            &[
                ("target", "target"),
                ("dst", "target"),
                ("destination", "target"),
                ("size", "size"),
            ],
        ),
        "bind" => (
            "mounts",
            &[
                ("target", "target"),
                ("dst", "target"),
                ("destination", "target"),
                ("source", "source"),
                ("src", "source"),
                ("from", "from"),
                ("rw", "readwrite"),
                ("readwrite", "readwrite"),
            ],
        ),
        other => {
            return err(
                i,
                format!("`--mount=type={other}` has no equivalent in a spec"),
            )
        }
    };
    for (k, v) in opts {
        let Some((_, name)) = table.iter().find(|(n, _)| *n == k) else {
            return err(
                i,
                format!("`--mount` option `{k}` of a {kind} mount has no equivalent in a spec"),
            );
        };
        let value = match (*name, v) {
            ("readonly" | "required" | "readwrite", None) => Y::Bool(true),
            ("readonly" | "required" | "readwrite", Some(v)) => Y::Bool(v == "true"),
            ("uid" | "gid", Some(v)) => match v.parse::<i64>() {
                Ok(n) => Y::Int(n),
                Err(_) => return err(i, format!("`{k}={v}` is not a number")),
            },
            (_, Some(v)) => Y::Str(v),
            (_, None) => return err(i, format!("`--mount` option `{k}` needs a value")),
        };
        out.push((name, value));
    }
    Ok((key, map(out)))
}

fn run(i: &Instruction, st: &StageOut) -> Result<Y> {
    check_flags(i, &["mount", "network", "security"])?;
    let mut keys: Vec<(&str, Y)> = vec![("run", command(&i.args, st))];
    if !st.step_env.is_empty() {
        keys.push(("env", string_map(&st.step_env)));
    }
    if let Some(w) = &st.step_workdir {
        keys.push(("workdir", s(w)));
    }
    if let Some(u) = &st.step_user {
        keys.push(("user", s(u)));
    }
    if let Some(n) = flag_value(i, "network")? {
        keys.push(("network", s(n)));
    }
    if let Some(v) = flag_value(i, "security")? {
        keys.push(("security", s(v)));
    }
    let mut mounts: Vec<(&str, Vec<Entry<Y>>)> = Vec::new();
    for (k, v) in &i.flags {
        if k != "mount" {
            continue;
        }
        let Some(spec) = v else {
            return err(i, "`--mount` needs a value");
        };
        let (key, m) = mount(i, spec)?;
        match mounts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(Entry::new(m)),
            None => mounts.push((key, vec![Entry::new(m)])),
        }
    }
    for key in ["cache", "secrets", "ssh", "tmpfs", "mounts"] {
        if let Some((_, list)) = mounts.iter().find(|(k, _)| *k == key) {
            keys.push((key, Y::List(list.clone())));
        }
    }
    Ok(map(keys))
}

fn copy(i: &Instruction, st: &StageOut, add: bool) -> Result<CopyOut> {
    let known: &[&str] = if add {
        &["chmod", "chown", "link", "exclude"]
    } else {
        &["from", "chmod", "chown", "link", "parents", "exclude"]
    };
    check_flags(i, known)?;
    let mut all = match &i.args {
        Args::Exec(v) => v.clone(),
        Args::Shell(t) => words(t),
    };
    let Some(dest) = all.pop().filter(|_| !all.is_empty()) else {
        return err(i, "needs at least one source and a destination");
    };
    let to = if st.step_workdir.is_some() {
        absolute(&st.cwd(), &dest)
    } else {
        dest
    };
    let from = flag_value(i, "from")?.map(str::to_owned);
    Ok(CopyOut {
        from,
        sources: all,
        to,
        chmod: flag_value(i, "chmod")?.map(str::to_owned),
        chown: flag_value(i, "chown")?.map(str::to_owned),
        link: flag_bool(i, "link")?,
        parents: flag_bool(i, "parents")?,
        exclude: i
            .flags
            .iter()
            .filter(|(k, _)| k == "exclude")
            .filter_map(|(_, v)| v.clone())
            .collect(),
    })
}

fn copy_y(c: &CopyOut) -> Y {
    let sources = match c.sources.as_slice() {
        [one] => s(one),
        many => Y::List(many.iter().map(|x| Entry::new(s(x))).collect()),
    };
    let mut keys = vec![("copy", sources)];
    if let Some(f) = &c.from {
        keys.push(("from", s(f)));
    }
    keys.push(("to", s(&c.to)));
    if let Some(m) = &c.chmod {
        keys.push(("chmod", s(m)));
    }
    if let Some(o) = &c.chown {
        keys.push(("chown", s(o)));
    }
    if !c.exclude.is_empty() {
        keys.push((
            "exclude",
            Y::List(c.exclude.iter().map(|x| Entry::new(s(x))).collect()),
        ));
    }
    if c.parents {
        keys.push(("parents", Y::Bool(true)));
    }
    if c.link {
        keys.push(("link", Y::Bool(true)));
    }
    map(keys)
}

/// Suffixes of archives a local `ADD` would extract.
const ARCHIVES: &[&str] = &[
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
];

fn add(i: &Instruction, st: &StageOut) -> Result<StepOut> {
    let srcs = match &i.args {
        Args::Exec(v) => v.clone(),
        Args::Shell(t) => words(t),
    };
    let remote = |x: &String| {
        x.starts_with("http://")
            || x.starts_with("https://")
            || x.starts_with("git@")
            || x.starts_with("git://")
    };
    if !srcs.iter().take(srcs.len().saturating_sub(1)).any(remote) {
        if srcs
            .iter()
            .take(srcs.len().saturating_sub(1))
            .any(|x| ARCHIVES.iter().any(|a| x.ends_with(a)))
        {
            return err(i, "a local archive is extracted by ADD, which no spec step does: extract it in a `run` step");
        }
        return Ok(StepOut::Copy(copy(i, st, true)?));
    }
    check_flags(i, &["chmod", "chown", "checksum", "keep-git-dir", "link"])?;
    let [url, dest] = srcs.as_slice() else {
        return err(i, "takes one remote source and a destination");
    };
    let to = if st.step_workdir.is_some() {
        absolute(&st.cwd(), dest)
    } else {
        dest.clone()
    };
    let git = url.starts_with("git@")
        || url.starts_with("git://")
        || url.split('#').next().is_some_and(|u| u.ends_with(".git"));
    let mut keys: Vec<(&str, Y)> = Vec::new();
    if git {
        let (repo, reference) = url.split_once('#').unwrap_or((url, ""));
        keys.push(("git", s(repo)));
        if !reference.is_empty() {
            keys.push(("ref", s(reference)));
        }
    } else {
        keys.push(("url", s(url)));
    }
    if let Some(c) = flag_value(i, "checksum")? {
        keys.push(("checksum", s(c)));
    }
    keys.push(("to", s(&to)));
    if let Some(m) = flag_value(i, "chmod")? {
        keys.push(("chmod", s(m)));
    }
    if let Some(o) = flag_value(i, "chown")? {
        keys.push(("chown", s(o)));
    }
    if flag_bool(i, "keep-git-dir")? {
        keys.push(("keep_git_dir", Y::Bool(true)));
    }
    if flag_bool(i, "link")? {
        return err(i, "`--link` on a remote `ADD` has no equivalent in a spec");
    }
    Ok(StepOut::Step(map(vec![("add", map(keys))])))
}

/// A command for `RUN`/`CMD`/`ENTRYPOINT`/`HEALTHCHECK`: the exec form as a list,
/// the shell form as a string (or, after a mid-stage `SHELL`, its argv).
fn command(args: &Args, st: &StageOut) -> Y {
    match args {
        Args::Exec(v) => Y::List(v.iter().map(|a| Entry::new(s(a))).collect()),
        Args::Shell(c) => match &st.step_shell {
            Some(sh) => Y::List(
                sh.iter()
                    .chain(std::iter::once(c))
                    .map(|a| Entry::new(s(a)))
                    .collect(),
            ),
            None => s(c),
        },
    }
}

fn healthcheck(i: &Instruction, st: &StageOut) -> Result<Y> {
    let text = i.args.text();
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(s("none"));
    }
    check_flags(i, &["interval", "timeout", "start-period", "retries"])?;
    let t = text.trim_start();
    let Some(rest) = t
        .get(..3)
        .filter(|c| c.eq_ignore_ascii_case("cmd"))
        .and_then(|_| t.get(3..))
    else {
        return err(i, "expects `NONE` or `CMD …`");
    };
    let args = match serde_json::from_str::<Vec<String>>(rest.trim()) {
        Ok(v) => Args::Exec(v),
        Err(_) => Args::Shell(rest.trim().to_owned()),
    };
    let mut keys = vec![("test", command(&args, st))];
    for (flag_name, key) in [
        ("interval", "interval"),
        ("timeout", "timeout"),
        ("start-period", "start_period"),
    ] {
        if let Some(v) = flag_value(i, flag_name)? {
            keys.push((key, s(v)));
        }
    }
    if let Some(r) = flag_value(i, "retries")? {
        match r.parse::<i64>() {
            Ok(n) => keys.push(("retries", Y::Int(n))),
            Err(_) => return err(i, format!("`--retries={r}` is not a number")),
        }
    }
    Ok(map(keys))
}

/// The global `ARG`s (name, default).
pub type GlobalArgs = Vec<(String, Option<String>)>;
/// The stages, as mapping entries of `stages:`.
pub type Stages = Vec<Entry<(String, Y)>>;

/// Converts a parsed Dockerfile to a spec tree (without the comment header).
pub fn convert(df: &Dockerfile) -> Result<(GlobalArgs, Stages)> {
    let mut global: Vec<(String, Option<String>)> = Vec::new();
    let mut stages: Vec<StageOut> = Vec::new();
    for i in &df.instructions {
        if i.name == "FROM" {
            let w = words(&i.args.text());
            let (image, name) = match w.as_slice() {
                [image] => (image.clone(), None),
                [image, as_, name] if as_.eq_ignore_ascii_case("as") => {
                    (image.clone(), Some(name.to_ascii_lowercase()))
                }
                _ => return err(i, "expects `FROM IMAGE [AS NAME]`"),
            };
            check_flags(i, &["platform"])?;
            // Only an earlier stage.
            let earlier: Vec<String> = stages.iter().map(|s| s.name.clone()).collect();
            let from = stage_ref(&earlier, &image).unwrap_or(image);
            stages.push(StageOut {
                name: name.unwrap_or_else(|| format!("stage-{}", stages.len())),
                comments: i.comments.clone(),
                from,
                platform: flag_value(i, "platform")?.map(str::to_owned),
                ..StageOut::default()
            });
            continue;
        }
        let Some(st) = stages.last_mut() else {
            if i.name == "ARG" {
                for w in words(&i.args.text()) {
                    let (k, v) = w.split_once('=').map_or((w.clone(), None), |(k, v)| {
                        (k.to_owned(), Some(v.to_owned()))
                    });
                    global.push((k, v));
                }
                continue;
            }
            return err(i, "comes before the first FROM");
        };
        let comments = i.comments.clone();
        let step: Option<StepOut> = match i.name.as_str() {
            "ARG" => {
                for w in words(&i.args.text()) {
                    let (k, v) = w.split_once('=').map_or((w.clone(), None), |(k, v)| {
                        (k.to_owned(), Some(v.to_owned()))
                    });
                    st.args.push((k, v));
                }
                None
            }
            "ENV" => {
                let p = pairs(i, true)?;
                if st.started() {
                    for (k, v) in &p {
                        st.step_env.retain(|(o, _)| o != k);
                        st.step_env.push((k.clone(), v.clone()));
                    }
                    st.image_pairs("env", p);
                } else {
                    for (k, v) in p {
                        st.env.retain(|(o, _)| *o != k);
                        st.env.push((k, v));
                    }
                }
                None
            }
            "LABEL" => {
                let p = pairs(i, false)?;
                st.image_pairs("labels", p);
                None
            }
            "MAINTAINER" => {
                st.image_pairs("labels", vec![("maintainer".to_owned(), i.args.text())]);
                None
            }
            "WORKDIR" => {
                let dir = words(&i.args.text()).join(" ");
                if st.started() {
                    let abs = absolute(&st.cwd(), &dir);
                    st.step_workdir = Some(abs.clone());
                    st.image_set("workdir", s(&abs));
                    // The Dockerfile frontend creates it as the user in effect.
                    let mkdir = match st.step_user.clone().or_else(|| st.user.clone()) {
                        Some(u) => map(vec![("path", s(&abs)), ("chown", s(&u))]),
                        None => s(&abs),
                    };
                    Some(StepOut::Step(map(vec![("mkdir", mkdir)])))
                } else {
                    st.workdir = Some(match &st.workdir {
                        Some(w) => absolute(w, &dir),
                        None => dir,
                    });
                    None
                }
            }
            "USER" => {
                let u = i.args.text().trim().to_owned();
                if st.started() {
                    st.step_user = Some(u.clone());
                    st.image_set("user", s(&u));
                } else {
                    st.user = Some(u);
                }
                None
            }
            "SHELL" => {
                let Args::Exec(argv) = &i.args else {
                    return err(i, "takes a JSON list, e.g. SHELL [\"/bin/bash\", \"-c\"]");
                };
                if st.started() {
                    st.step_shell = Some(argv.clone());
                } else {
                    st.shell = Some(argv.clone());
                }
                None
            }
            "RUN" => Some(StepOut::Step(run(i, st)?)),
            "COPY" => Some(StepOut::Copy(copy(i, st, false)?)),
            "ADD" => Some(add(i, st)?),
            "EXPOSE" => {
                let ports: Vec<Entry<Y>> = words(&i.args.text())
                    .iter()
                    .map(|p| Entry::new(p.parse::<i64>().map_or_else(|_| s(p), Y::Int)))
                    .collect();
                st.image_extend("expose", ports);
                None
            }
            "VOLUME" => {
                let v = match &i.args {
                    Args::Exec(v) => v.clone(),
                    Args::Shell(t) => words(t),
                };
                st.image_extend("volumes", v.iter().map(|x| Entry::new(s(x))).collect());
                None
            }
            "ENTRYPOINT" => {
                let c = command(&i.args, st);
                st.image_set("entrypoint", c);
                None
            }
            "CMD" => {
                let c = command(&i.args, st);
                st.image_set("cmd", c);
                None
            }
            "STOPSIGNAL" => {
                st.image_set("stop_signal", s(i.args.text().trim()));
                None
            }
            "HEALTHCHECK" => {
                let h = healthcheck(i, st)?;
                st.image_set("healthcheck", h);
                None
            }
            "ONBUILD" => return err(i, "runs in another image's build; a spec has no equivalent"),
            other => return err(i, format!("unknown instruction `{other}`")),
        };
        if let Some(step) = step {
            st.steps.push((comments, step));
        }
    }
    // Stage names that `--from` and mounts use are resolved against every stage.
    let names: Vec<String> = stages.iter().map(|s| s.name.clone()).collect();
    let resolve = |v: &str| stage_ref(&names, v).unwrap_or_else(|| v.to_owned());
    let last = stages.len().saturating_sub(1);
    let mut out: Vec<Entry<(String, Y)>> = Vec::new();
    for (index, mut st) in stages.into_iter().enumerate() {
        // The last stage's trailing copies from elsewhere are its artifacts.
        let mut artifacts: Vec<Entry<Y>> = Vec::new();
        if index == last {
            let keep = st
                .steps
                .iter()
                .rposition(|(_, step)| {
                    // One source, as an artifact has: a copy of several is
                    // one layer, which artifacts would split.
                    !matches!(step, StepOut::Copy(c) if c.from.is_some() && c.sources.len() == 1 && !c.parents && c.exclude.is_empty())
                })
                .map_or(0, |p| p + 1);
            for (comments, step) in st.steps.split_off(keep) {
                let StepOut::Copy(c) = step else { continue };
                for (n, path) in c.sources.iter().enumerate() {
                    let mut keys = vec![
                        ("from", s(&resolve(c.from.as_deref().unwrap_or_default()))),
                        ("path", s(path)),
                        ("to", s(&c.to)),
                    ];
                    if let Some(m) = &c.chmod {
                        keys.push(("chmod", s(m)));
                    }
                    if let Some(o) = &c.chown {
                        keys.push(("chown", s(o)));
                    }
                    keys.push(("link", Y::Bool(c.link)));
                    artifacts.push(Entry {
                        comments: if n == 0 { comments.clone() } else { Vec::new() },
                        value: map(keys),
                    });
                }
            }
        }
        let mut keys: Vec<(&str, Y)> = vec![("from", s(&st.from))];
        if let Some(p) = &st.platform {
            keys.push(("platform", s(p)));
        }
        if !st.args.is_empty() {
            keys.push((
                "args",
                Y::Map(
                    st.args
                        .iter()
                        .map(|(k, v)| Entry::new((k.clone(), v.as_deref().map_or(Y::Null, s))))
                        .collect(),
                ),
            ));
        }
        if !st.env.is_empty() {
            keys.push(("env", string_map(&st.env)));
        }
        if let Some(w) = &st.workdir {
            keys.push(("workdir", s(w)));
        }
        if let Some(u) = &st.user {
            keys.push(("user", s(u)));
        }
        if let Some(sh) = &st.shell {
            keys.push((
                "shell",
                Y::List(sh.iter().map(|a| Entry::new(s(a))).collect()),
            ));
        }
        if !st.steps.is_empty() {
            let steps = st
                .steps
                .iter()
                .map(|(comments, step)| Entry {
                    comments: comments.clone(),
                    value: match step {
                        StepOut::Step(y) => resolve_froms(y, &resolve),
                        StepOut::Copy(c) => {
                            let mut c = c.clone();
                            c.from = c.from.map(|f| resolve(&f));
                            copy_y(&c)
                        }
                    },
                })
                .collect();
            keys.push(("steps", Y::List(steps)));
        }
        if !artifacts.is_empty() {
            keys.push(("artifacts", Y::List(artifacts)));
        }
        if !st.image.is_empty() {
            let order = [
                "entrypoint",
                "cmd",
                "env",
                "user",
                "workdir",
                "expose",
                "volumes",
                "labels",
                "stop_signal",
                "healthcheck",
            ];
            st.image
                .sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(order.len()));
            keys.push((
                "image",
                Y::Map(st.image.into_iter().map(Entry::new).collect()),
            ));
        }
        out.push(Entry {
            comments: st.comments,
            value: (st.name, map(keys)),
        });
    }
    if out.is_empty() {
        return Err(ParseError {
            line: 1,
            message: "the Dockerfile has no FROM".to_owned(),
        });
    }
    Ok((global, out))
}

/// A run step with its bind mounts' `from` resolved to stage names.
fn resolve_froms(y: &Y, resolve: &dyn Fn(&str) -> String) -> Y {
    let Y::Map(entries) = y else {
        return y.clone();
    };
    let mut out = entries.clone();
    for e in &mut out {
        if e.value.0 != "mounts" {
            continue;
        }
        if let Y::List(mounts) = &mut e.value.1 {
            for m in mounts {
                if let Y::Map(keys) = &mut m.value {
                    for k in keys.iter_mut() {
                        if k.value.0 == "from" {
                            if let Y::Str(f) = &k.value.1 {
                                k.value.1 = Y::Str(resolve(f));
                            }
                        }
                    }
                }
            }
        }
    }
    Y::Map(out)
}
