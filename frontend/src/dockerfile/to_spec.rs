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

/// Splits `text` at unquoted white space, keeping quotes and escapes in
/// the words (as BuildKit splits `ENV`/`LABEL` pairs and `ARG` lists);
/// [`process`] then reads each word.
fn split_words(text: &str, esc: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match quote {
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None if c == esc => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            Some('"') if c == esc => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            None | Some(_) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// One Dockerfile word as a spec value, as BuildKit's shell lexer reads
/// it: quotes removed, escapes resolved, a literal `$` (single-quoted or
/// escaped) written as the spec's `$$`; `$NAME` and `${…}` are left for the
/// spec to expand, as the Dockerfile frontend expands them.
fn process(word: &str, esc: char) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    let literal = |out: &mut String, c: char| {
        if c == '$' {
            out.push_str("$$");
        } else {
            out.push(c);
        }
    };
    while let Some(c) = chars.next() {
        if c == esc {
            match chars.next() {
                Some(n) => literal(&mut out, n),
                None => out.push(c),
            }
        } else if c == '\'' {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(n) => literal(&mut out, n),
                    None => {
                        return Err(
                            "unexpected end of statement while looking for matching single-quote"
                                .to_owned(),
                        )
                    }
                }
            }
        } else if c == '"' {
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(n) if n == esc => match chars.peek().copied() {
                        Some(m) if m == '"' || m == '$' || m == esc => {
                            chars.next();
                            literal(&mut out, m);
                        }
                        Some(_) | None => out.push(n),
                    },
                    Some(n) => out.push(n),
                    None => {
                        return Err(
                            "unexpected end of statement while looking for matching double-quote"
                                .to_owned(),
                        )
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// [`split_words`], each word read by [`process`].
fn words(i: &Instruction, text: &str, esc: char) -> Result<Vec<String>> {
    split_words(text, esc)
        .iter()
        .map(|w| process(w, esc).or_else(|e| err(i, e)))
        .collect()
}

/// The index of the first `=` outside quotes.
fn split_eq(word: &str) -> Option<(&str, &str)> {
    let mut quote: Option<char> = None;
    for (n, c) in word.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '=') => return Some((&word[..n], &word[n + 1..])),
            _ => {}
        }
    }
    None
}

/// `K=V` pairs, or the legacy `K V` form (the value is the rest of the
/// line, white space kept).
fn pairs(i: &Instruction, esc: char) -> Result<Vec<(String, String)>> {
    let text = i.args.text();
    let raw = split_words(&text, esc);
    let read = |w: &str| process(w, esc).or_else(|e| err(i, e));
    if raw.first().is_some_and(|f| split_eq(f).is_none()) {
        let (k, v) = text
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((text.trim(), ""));
        return Ok(vec![(read(k)?, read(v.trim())?)]);
    }
    raw.iter()
        .map(|p| match split_eq(p) {
            Some((k, v)) => Ok((read(k)?, read(v)?)),
            None => err(i, format!("`{p}` is not NAME=VALUE")),
        })
        .collect()
}

/// `value` with its references (`$NAME`, `${NAME}`) to the variables in
/// `known` replaced by their values: a Dockerfile expands a value with the
/// environment of the moment, which a later `ENV` may change.
fn substitute(value: &str, known: &[(String, String)]) -> String {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push_str("$$");
            rest = tail;
            continue;
        }
        let (name, tail, whole) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) if inner[..end].chars().all(name_char) => {
                    (&inner[..end], &inner[end + 1..], end + 3)
                }
                Some(_) | None => ("", after, 1),
            }
        } else {
            let end = after.find(|c: char| !name_char(c)).unwrap_or(after.len());
            (&after[..end], &after[end..], end + 1)
        };
        match known
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .filter(|_| !name.is_empty())
        {
            Some((_, v)) => out.push_str(v),
            None => out.push_str(&rest[at..at + whole]),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// A spec value of an image key the Dockerfile does not expand (`CMD`,
/// `ENTRYPOINT`, `HEALTHCHECK`): every `$` written `$$`.
fn unexpanded(text: &str) -> String {
    text.replace('$', "$$")
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

/// `path` against `dir` (absolute, or relative to the stage's working
/// directory); an absolute `path` stands.
fn absolute(dir: &str, path: &str) -> String {
    if path.starts_with('/') || path.starts_with('$') {
        path.to_owned()
    } else {
        format!(
            "{}/{}",
            dir.trim_end_matches('/'),
            path.trim_start_matches("./")
        )
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
    /// The stage's `shell`: its last `SHELL` (or its base stage's), known
    /// before its instructions are read.
    shell: Option<Vec<String>>,
    steps: Vec<(Vec<String>, StepOut)>,
    image: Vec<(String, Y)>,
    /// After the first step: what later steps get as options.
    step_env: Vec<(String, String)>,
    /// Absolute, or relative to the stage's working directory.
    step_workdir: Option<String>,
    step_user: Option<String>,
    /// The shell in effect now (`None`: `/bin/sh -c`).
    cur_shell: Option<Vec<String>>,
    /// The working directory of the stage's base, when it is an earlier stage.
    base_workdir: Option<String>,
    /// The Dockerfile's escape character.
    esc: char,
    /// `# TODO` comments for the next step (`--lenient`).
    todo: Vec<String>,
    /// The global `ARG`s, whose defaults a stage's `ARG NAME` takes.
    global_args: Vec<(String, Option<String>)>,
}

impl StageOut {
    fn started(&self) -> bool {
        !self.steps.is_empty()
    }

    /// The stage's working directory, when known as an absolute path.
    fn stage_dir(&self) -> Option<String> {
        match (&self.workdir, &self.base_workdir) {
            (Some(w), _) if w.starts_with('/') => Some(w.clone()),
            (Some(w), Some(b)) => Some(absolute(b, w)),
            (Some(_), None) => None,
            (None, b) => b.clone(),
        }
    }

    /// `path` (relative to the Dockerfile's working directory now) as the
    /// spec takes it at a stage-level key (relative to the stage's).
    fn here(&self, path: &str) -> String {
        match &self.step_workdir {
            Some(d) => absolute(d, path),
            None => path.to_owned(),
        }
    }

    /// The environment now: the stage's, then the later steps'.
    fn env_now(&self) -> Vec<(String, String)> {
        self.env.iter().chain(&self.step_env).cloned().collect()
    }

    /// The working directory the stage ends with, when known as an absolute path.
    fn final_workdir(&self) -> Option<String> {
        match &self.step_workdir {
            Some(d) if d.starts_with('/') => Some(d.clone()),
            Some(d) => self.stage_dir().map(|b| absolute(&b, d)),
            None => self.stage_dir(),
        }
    }

    /// A word of an instruction the Dockerfile expands: read, and the
    /// variables set earlier in the stage replaced by their values.
    fn value(&self, i: &Instruction, word: &str) -> Result<String> {
        let v = process(word, self.esc).or_else(|e| err(i, e))?;
        Ok(substitute(&v, &self.env_now()))
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

/// The stage of `names` a `COPY --from` names: by name (any case) or
/// index, as the Dockerfile frontend finds it.
fn stage_ref(names: &[String], name: &str) -> Option<String> {
    if let Ok(n) = name.parse::<usize>() {
        return names.get(n).cloned();
    }
    mount_ref(names, name)
}

/// The stage of `names` a `RUN --mount=from=` names: by name (any case);
/// a number is an image name there, as in the Dockerfile frontend.
fn mount_ref(names: &[String], name: &str) -> Option<String> {
    names.iter().find(|s| s.eq_ignore_ascii_case(name)).cloned()
}

/// A run step's mount flag (`--mount=type=cache,target=…`) as a spec mount.
/// (`from` values are resolved to stage names once every stage is known.)
fn mount(i: &Instruction, st: &StageOut, spec: &str) -> Result<(&'static str, Y)> {
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
                ("ro", "-readonly"),
                ("readonly", "-readonly"),
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
        // `ro` of a bind mount is the spec's default (`readwrite: false`).
        if *name == "-readonly" {
            if matches!(v.as_deref(), None | Some("true")) {
                continue;
            }
            out.push(("readwrite", Y::Bool(true)));
            continue;
        }
        let value = match (*name, v) {
            ("readonly" | "required" | "readwrite", None) => Y::Bool(true),
            ("readonly" | "required" | "readwrite", Some(v)) => Y::Bool(v == "true"),
            ("uid" | "gid", Some(v)) => match v.parse::<i64>() {
                Ok(n) => Y::Int(n),
                Err(_) => return err(i, format!("`{k}={v}` is not a number")),
            },
            ("target", Some(v)) => Y::Str(st.here(&v)),
            (_, Some(v)) => Y::Str(v),
            (_, None) => return err(i, format!("`--mount` option `{k}` needs a value")),
        };
        out.push((name, value));
    }
    Ok((key, map(out)))
}

fn run(i: &Instruction, st: &StageOut) -> Result<Y> {
    check_flags(i, &["mount", "network", "security"])?;
    let mut keys: Vec<(&str, Y)> = vec![("run", command(&i.args, st, false))];
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
        let (key, m) = mount(i, st, spec)?;
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
    let mut all = sources_and_dest(i, st)?;
    let Some(dest) = all.pop().filter(|_| !all.is_empty()) else {
        return err(i, "needs at least one source and a destination");
    };
    let to = st.here(&dest);
    octal_chmod(i)?;
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

/// The words of `COPY`/`ADD`: the JSON form's elements, or the shell form
/// split at white space (quotes do not group there), each read and
/// expanded as the Dockerfile frontend does.
fn sources_and_dest(i: &Instruction, st: &StageOut) -> Result<Vec<String>> {
    match &i.args {
        Args::Exec(v) => v.iter().map(|w| st.value(i, w)).collect(),
        Args::Shell(t) => t.split_whitespace().map(|w| st.value(i, w)).collect(),
    }
}

/// A `--chmod` the spec can say: an octal mode.
fn octal_chmod(i: &Instruction) -> Result<()> {
    match flag_value(i, "chmod")? {
        Some(m) if m.is_empty() || !m.chars().all(|c| c.is_digit(8)) => err(
            i,
            format!("`--chmod={m}`: a spec's `chmod` is an octal mode such as `0755`"),
        ),
        Some(_) | None => Ok(()),
    }
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

/// An `ADD` source as the Dockerfile frontend sees it once expanded, to
/// tell a URL from a path: with the stage's argument defaults put in. A
/// source that still starts with a variable (an argument with no default)
/// may be either, so it is refused rather than guessed.
fn add_probe(i: &Instruction, st: &StageOut, source: &str) -> Result<String> {
    let default = |k: &str, v: &Option<String>| {
        v.clone().or_else(|| {
            st.global_args
                .iter()
                .rev()
                .find(|(g, _)| g == k)
                .and_then(|(_, d)| d.clone())
        })
    };
    let defaults: Vec<(String, String)> = st
        .args
        .iter()
        .filter_map(|(k, v)| default(k, v).map(|v| (k.clone(), v)))
        .collect();
    let probe = substitute(source, &defaults);
    if probe.starts_with('$') && !probe.starts_with("$$") {
        return err(
            i,
            format!(
                "the source `{source}` starts with a variable that has no default here, so whether it is a URL (a spec's `add`) or a path of the build context (`copy`) is known only at build time: give the `ARG` a default, or write the URL or path out"
            ),
        );
    }
    Ok(probe)
}

fn is_remote(probe: &str) -> bool {
    probe.starts_with("http://")
        || probe.starts_with("https://")
        || probe.starts_with("git@")
        || probe.starts_with("git://")
}

fn add(i: &Instruction, st: &StageOut) -> Result<StepOut> {
    let srcs = sources_and_dest(i, st)?;
    let probes = srcs
        .iter()
        .take(srcs.len().saturating_sub(1))
        .map(|src| add_probe(i, st, src))
        .collect::<Result<Vec<String>>>()?;
    if !probes.iter().any(|p| is_remote(p)) {
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
    let to = st.here(dest);
    octal_chmod(i)?;
    let [probe] = probes.as_slice() else {
        return err(i, "takes one remote source and a destination");
    };
    let git = probe.starts_with("git@")
        || probe.starts_with("git://")
        || probe.split('#').next().is_some_and(|u| u.ends_with(".git"));
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
/// A command of `RUN` (`image: false`) or `CMD`/`ENTRYPOINT` (`image:
/// true`: the spec expands image values, the Dockerfile does not, so `$` is
/// written `$$`): the exec form as a list; the shell form as a string when
/// the shell in effect is the stage's `shell`, else as that shell's argv.
fn command(args: &Args, st: &StageOut, image: bool) -> Y {
    let text = |a: &str| if image { unexpanded(a) } else { a.to_owned() };
    match args {
        Args::Exec(v) => Y::List(v.iter().map(|a| Entry::new(s(&text(a)))).collect()),
        Args::Shell(c) if st.cur_shell == st.shell => s(&text(c)),
        Args::Shell(c) => {
            let default = ["/bin/sh".to_owned(), "-c".to_owned()];
            let shell = st.cur_shell.as_deref().unwrap_or(&default);
            Y::List(
                shell
                    .iter()
                    .cloned()
                    .chain(std::iter::once(text(c)))
                    .map(|a| Entry::new(s(&a)))
                    .collect(),
            )
        }
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
    // The shell form is `CMD-SHELL` whatever the shell: a string.
    let test = match &args {
        Args::Shell(c) => s(&unexpanded(c)),
        Args::Exec(_) => command(&args, st, true),
    };
    let mut keys = vec![("test", test)];
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
pub fn convert(df: &Dockerfile, lenient: bool) -> Result<(GlobalArgs, Stages, usize)> {
    let esc = df.escape;
    let last_shells = last_shells(df);
    let mut global: Vec<(String, Option<String>)> = Vec::new();
    let mut stages: Vec<StageOut> = Vec::new();
    let mut todo = 0;
    for i in &df.instructions {
        if i.name == "FROM" {
            let w = words(i, &i.args.text(), esc)?;
            let (image, name) = match w.as_slice() {
                [image] => (image.clone(), None),
                [image, as_, name] if as_.eq_ignore_ascii_case("as") => {
                    (image.clone(), Some(name.to_ascii_lowercase()))
                }
                _ => return err(i, "expects `FROM IMAGE [AS NAME]`"),
            };
            check_flags(i, &["platform"])?;
            // An earlier stage, named exactly (the Dockerfile frontend takes
            // `FROM Base` for an image); it hands on its shell and workdir.
            let parent = stages.iter().find(|s| s.name == image);
            let inherited_shell = parent.and_then(|p| p.shell.clone());
            let base_workdir = parent.and_then(StageOut::final_workdir);
            let index = stages.len();
            stages.push(StageOut {
                name: name.unwrap_or_else(|| format!("stage-{index}")),
                comments: i.comments.clone(),
                from: image,
                platform: flag_value(i, "platform")?.map(str::to_owned),
                shell: last_shells
                    .get(index)
                    .cloned()
                    .flatten()
                    .or_else(|| inherited_shell.clone()),
                cur_shell: inherited_shell,
                base_workdir,
                esc,
                global_args: global.clone(),
                ..StageOut::default()
            });
            continue;
        }
        let Some(st) = stages.last_mut() else {
            if i.name == "ARG" {
                global.extend(arg_decls(i, esc)?);
                continue;
            }
            return err(i, "comes before the first FROM");
        };
        let comments = i.comments.clone();
        // One instruction; with `lenient`, one that cannot be converted
        // becomes a `# TODO` comment above the next step.
        let outcome = (|| -> Result<Option<StepOut>> {
            Ok(match i.name.as_str() {
                "ARG" => {
                    st.args.extend(arg_decls(i, esc)?);
                    None
                }
                "ENV" => {
                    // Every value with the environment before this instruction.
                    let known = st.env_now();
                    let p: Vec<(String, String)> = pairs(i, esc)?
                        .into_iter()
                        .map(|(k, v)| (k, substitute(&v, &known)))
                        .collect();
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
                    let known = st.env_now();
                    let p = pairs(i, esc)?
                        .into_iter()
                        .map(|(k, v)| (k, substitute(&v, &known)))
                        .collect();
                    st.image_pairs("labels", p);
                    None
                }
                "MAINTAINER" => {
                    st.image_pairs("labels", vec![("maintainer".to_owned(), i.args.text())]);
                    None
                }
                "WORKDIR" => {
                    let dir = st.value(i, i.args.text().trim())?;
                    // After a step, or after a `USER` (the Dockerfile frontend
                    // creates the directory as the user in effect; a stage's
                    // `workdir` is created as root), a `mkdir` and step options.
                    let non_root = |u: &Option<String>| {
                        u.as_deref()
                            .is_some_and(|u| !matches!(u, "root" | "0" | "root:root" | "0:0"))
                    };
                    if st.started() || non_root(&st.user) || non_root(&st.step_user) {
                        let now = if dir.starts_with('/') {
                            dir.clone()
                        } else if let Some(d) = &st.step_workdir {
                            absolute(d, &dir)
                        } else if let Some(base) = st.stage_dir() {
                            absolute(&base, &dir)
                        } else {
                            dir.clone()
                        };
                        st.step_workdir = Some(now.clone());
                        st.image_set("workdir", s(&now));
                        let mkdir = match st.step_user.clone().or_else(|| st.user.clone()) {
                            Some(u) => map(vec![("path", s(&now)), ("chown", s(&u))]),
                            None => s(&now),
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
                    let u = st.value(i, i.args.text().trim())?;
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
                    st.cur_shell = Some(argv.clone());
                    None
                }
                "RUN" => Some(StepOut::Step(run(&with_heredoc_command(i)?, st)?)),
                "COPY" | "ADD" if !i.heredocs.is_empty() => {
                    for w in heredoc_writes(i, st)? {
                        st.steps.push((comments.clone(), StepOut::Step(w)));
                    }
                    None
                }
                "COPY" => Some(StepOut::Copy(copy(i, st, false)?)),
                "ADD" => Some(add(i, st)?),
                "EXPOSE" => {
                    let ports: Vec<Entry<Y>> = split_words(&i.args.text(), esc)
                        .iter()
                        .map(|p| st.value(i, p))
                        .collect::<Result<Vec<_>>>()?
                        .iter()
                        .map(|p| Entry::new(p.parse::<i64>().map_or_else(|_| s(p), Y::Int)))
                        .collect();
                    st.image_extend("expose", ports);
                    None
                }
                "VOLUME" => {
                    let v = match &i.args {
                        Args::Exec(v) => v
                            .iter()
                            .map(|w| st.value(i, w))
                            .collect::<Result<Vec<_>>>()?,
                        Args::Shell(t) => split_words(t, esc)
                            .iter()
                            .map(|w| st.value(i, w))
                            .collect::<Result<Vec<_>>>()?,
                    };
                    st.image_extend("volumes", v.iter().map(|x| Entry::new(s(x))).collect());
                    None
                }
                "ENTRYPOINT" => {
                    let c = command(&i.args, st, true);
                    st.image_set("entrypoint", c);
                    None
                }
                "CMD" => {
                    let c = command(&i.args, st, true);
                    st.image_set("cmd", c);
                    None
                }
                "STOPSIGNAL" => {
                    let sig = st.value(i, i.args.text().trim())?;
                    st.image_set("stop_signal", s(&sig));
                    None
                }
                "HEALTHCHECK" => {
                    let h = healthcheck(i, st)?;
                    st.image_set("healthcheck", h);
                    None
                }
                "ONBUILD" => {
                    return err(i, "runs in another image's build; a spec has no equivalent")
                }
                other => return err(i, format!("unknown instruction `{other}`")),
            })
        })();
        let step = match outcome {
            Ok(step) => step,
            Err(e) if lenient => {
                todo += 1;
                st.todo.push(format!(
                    "TODO(stagecraft convert): not converted: {}",
                    e.message
                ));
                None
            }
            Err(e) => return Err(e),
        };
        if let Some(step) = step {
            let mut comments = comments;
            if !st.todo.is_empty() {
                let mut all = std::mem::take(&mut st.todo);
                all.extend(comments);
                comments = all;
            }
            st.steps.push((comments, step));
        }
    }
    // Stage names that `--from` and mounts use are resolved against every stage.
    let names: Vec<String> = stages.iter().map(|s| s.name.clone()).collect();
    let resolve = |v: &str| stage_ref(&names, v).unwrap_or_else(|| v.to_owned());
    let resolve_mount = |v: &str| mount_ref(&names, v).unwrap_or_else(|| v.to_owned());
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
                        StepOut::Step(y) => resolve_froms(y, &resolve_mount),
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
            // TODOs after the stage's last step: above the stage.
            comments: st.comments.into_iter().chain(st.todo).collect(),
            value: (st.name, map(keys)),
        });
    }
    if out.is_empty() {
        return Err(ParseError {
            line: 1,
            message: "the Dockerfile has no FROM".to_owned(),
        });
    }
    Ok((global, out, todo))
}

/// Each stage's last `SHELL` (what its `shell` key is), by stage index;
/// a stage without one takes its base stage's.
fn last_shells(df: &Dockerfile) -> Vec<Option<Vec<String>>> {
    let mut names: Vec<String> = Vec::new();
    let mut shells: Vec<Option<Vec<String>>> = Vec::new();
    for i in &df.instructions {
        if i.name == "FROM" {
            let w = split_words(&i.args.text(), df.escape);
            let base = w.first().cloned().unwrap_or_default();
            let inherited = names
                .iter()
                .position(|n| *n == base)
                .and_then(|p| shells.get(p).cloned().flatten());
            let name = match w.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => name.to_ascii_lowercase(),
                _ => format!("stage-{}", names.len()),
            };
            names.push(name);
            shells.push(inherited);
        } else if i.name == "SHELL" {
            if let (Some(last), Args::Exec(argv)) = (shells.last_mut(), &i.args) {
                *last = Some(argv.clone());
            }
        }
    }
    shells
}

/// The names and defaults an `ARG` declares. A default is expanded by the
/// Dockerfile frontend and not by a spec, so one that uses a variable is
/// refused.
fn arg_decls(i: &Instruction, esc: char) -> Result<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    for w in split_words(&i.args.text(), esc) {
        match split_eq(&w) {
            Some((k, v)) => {
                let v = process(v, esc).or_else(|e| err(i, e))?;
                if v.replace("$$", "").contains('$') {
                    return err(i, format!("the default of `{k}` uses a variable (`{v}`): a spec's argument defaults are not expanded; give the value, or set it with `--build-arg`"));
                }
                out.push((k.to_owned(), Some(v.replace("$$", "$"))));
            }
            None => out.push((process(&w, esc).or_else(|e| err(i, e))?, None)),
        }
    }
    Ok(out)
}

/// A `RUN` with heredocs as the Dockerfile frontend runs it: `RUN <<EOF`
/// alone runs the body with the shell; otherwise the command and the
/// bodies are handed to the shell together, as written.
fn with_heredoc_command(i: &Instruction) -> Result<Instruction> {
    if i.heredocs.is_empty() {
        return Ok(i.clone());
    }
    let Args::Shell(text) = &i.args else {
        return err(i, "a heredoc needs the shell form");
    };
    let command = match (
        i.heredocs.as_slice(),
        text.split_whitespace().collect::<Vec<_>>().as_slice(),
    ) {
        ([h], [only]) if only.starts_with("<<") => {
            if h.data.starts_with("#!") {
                return err(i, "a heredoc with a `#!` line runs as a script file, which a spec has no step for: write the script with a `write` step and run it");
            }
            h.data.clone()
        }
        (docs, _) => {
            let mut full = text.clone();
            for h in docs {
                full.push('\n');
                full.push_str(&h.raw);
                full.push_str(&h.name);
            }
            full
        }
    };
    Ok(Instruction {
        args: Args::Shell(command),
        heredocs: Vec::new(),
        ..i.clone()
    })
}

/// `COPY <<EOF DEST` (or `ADD`): one `write` step per heredoc, at `DEST`
/// (or `DEST/NAME` for a directory or several heredocs).
fn heredoc_writes(i: &Instruction, st: &StageOut) -> Result<Vec<Y>> {
    check_flags(i, &["chmod", "chown"])?;
    octal_chmod(i)?;
    let Args::Shell(text) = &i.args else {
        return err(i, "a heredoc needs the shell form");
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some((dest, sources)) = words.split_last() else {
        return err(i, "needs a heredoc and a destination");
    };
    if sources.len() != i.heredocs.len() || !sources.iter().all(|w| w.starts_with("<<")) {
        return err(
            i,
            "copies files and heredocs together: put the heredocs in a `COPY` of their own",
        );
    }
    let dest = st.value(i, dest)?;
    let mut out = Vec::new();
    for h in &i.heredocs {
        let path = if dest.ends_with('/') || i.heredocs.len() > 1 {
            format!("{}/{}", dest.trim_end_matches('/'), h.name)
        } else {
            dest.clone()
        };
        let mut expand = false;
        let content = if h.expand && h.data.contains('$') {
            if h.data.contains(st.esc) || h.data.contains("$$") {
                return err(i, format!("the heredoc `{}` expands variables and has escapes or `$$`, which a spec's expansion reads differently: quote its name (`<<\"{}\"`) to copy it as written", h.name, h.name));
            }
            let content = substitute(&h.data, &st.env_now());
            expand = content.contains('$');
            content
        } else {
            h.data.clone()
        };
        let mut keys = vec![("write", s(&st.here(&path))), ("content", s(&content))];
        if let Some(m) = flag_value(i, "chmod")? {
            keys.push(("chmod", s(m)));
        }
        if let Some(o) = flag_value(i, "chown")? {
            keys.push(("chown", s(&st.value(i, o)?)));
        }
        if expand {
            keys.push(("expand", Y::Bool(true)));
        }
        out.push(map(keys));
    }
    Ok(out)
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
