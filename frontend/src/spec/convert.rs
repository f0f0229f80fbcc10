//! Reads the raw node tree into the model, key by key: every unknown key,
//! missing key and wrong type becomes a diagnostic, and conversion goes on so
//! that all of them are reported in one run.
//!
//! Scalars where a string is expected: numbers and booleans are accepted as
//! their source text (`PORT: 8080`, `GO_VERSION: 1.23`, `user: 1000`), as a
//! Dockerfile user writing `ENV PORT=8080` would expect. `null` (an empty
//! value, `key:`) counts as absent for optional keys, and as "declared without
//! a default" for `args`.
//!
//! This module is NOT where cross-references are checked (stage names in
//! `from`/`needs`/`target`, cycles): `validate` does that on the converted
//! stages. The value rules it applies (network names, checksums, modes...)
//! live in `validate` too, so that every rule is in one place.

use super::model::*;
use super::raw::{Node, Value};
use super::validate;
use crate::diag::{did_you_mean, Diagnostic, SourceFile, Span, Spanned};

/// Everything converted, including what validation needs even when some
/// stages could not be converted.
pub(crate) struct Draft {
    pub version_span: Option<Span>,
    pub args: Vec<ArgDecl>,
    /// Every stage key with a valid, unique name, in file order.
    pub stage_names: Vec<Spanned<String>>,
    /// The stages that could be converted (their name and `from` are valid).
    pub stages: Vec<Stage>,
    pub target: Option<Spanned<String>>,
}

pub(crate) struct Cx<'a> {
    pub src: &'a SourceFile,
    pub diags: Vec<Diagnostic>,
}

const TOP_KEYS: &[&str] = &["version", "args", "stages", "target"];
const STAGE_KEYS: &[&str] = &[
    "from",
    "platform",
    "description",
    "args",
    "env",
    "workdir",
    "user",
    "shell",
    "needs",
    "steps",
    "artifacts",
    "image",
];
pub(crate) const STEP_KINDS: &[&str] = &["run", "copy", "add", "mkdir"];
const RUN_KEYS: &[&str] = &[
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
const COPY_KEYS: &[&str] = &[
    "copy", "from", "to", "chmod", "chown", "include", "exclude", "parents", "link",
];
const ADD_KEYS: &[&str] = &["add"];
const ADD_INNER_KEYS: &[&str] = &[
    "url",
    "checksum",
    "to",
    "chmod",
    "chown",
    "git",
    "ref",
    "keep_git_dir",
];
const MKDIR_KEYS: &[&str] = &["mkdir"];
const MKDIR_INNER_KEYS: &[&str] = &["path", "chmod", "chown"];
const CACHE_KEYS: &[&str] = &["target", "id", "sharing", "readonly", "mode", "uid", "gid"];
const SECRET_KEYS: &[&str] = &["id", "target", "env", "required"];
const SSH_KEYS: &[&str] = &["id", "target", "required"];
const TMPFS_KEYS: &[&str] = &["target", "size"];
const MOUNT_KEYS: &[&str] = &["from", "source", "target", "readwrite"];
const ARTIFACT_KEYS: &[&str] = &["from", "path", "to", "chmod", "chown", "link"];
const ARG_KEYS: &[&str] = &["default", "description"];
const IMAGE_KEYS: &[&str] = &[
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
const HEALTHCHECK_KEYS: &[&str] = &["test", "interval", "timeout", "start_period", "retries"];

/// The known keys of one mapping, read once each.
struct Fields<'n> {
    node: &'n Node,
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The value of `key`; None when absent or null.
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.get_raw(key).filter(|v| v.value != Value::Null)
    }

    /// The value of `key`, null included.
    fn get_raw(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }

    fn key_span(&self, key: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, k, _)| k.span)
    }
}

fn list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Cx<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn wrong_type(&mut self, node: &Node, key: &str, expected: &str) {
        let found = match &node.value {
            Value::Str(s) => format!("the string `{s}`"),
            Value::Bool(_, t) | Value::Int(_, t) | Value::Float(t) => {
                format!("{} `{t}`", node.kind_name())
            }
            _ => node.kind_name().to_string(),
        };
        self.push(Diagnostic::error(
            "wrong-type",
            format!("wrong type for `{key}`: expected {expected}, found {found}"),
            node.span,
        ));
    }

    fn missing(&mut self, span: Span, key: &str, what: &str) {
        self.push(Diagnostic::error(
            "missing-key",
            format!("missing key `{key}` in {what}"),
            span,
        ));
    }

    /// Check `node` is a mapping and that its keys are known and unique.
    /// `hint` may explain an unknown key (e.g. "it belongs inside `add`").
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        key: &str,
        what: &str,
        allowed: &[&str],
        hint: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, key, "a mapping");
            return None;
        };
        let mut fields = Fields {
            node,
            entries: Vec::new(),
        };
        for (k, v) in entries {
            let Some(name) = k.as_key() else {
                self.wrong_type(k, key, "string keys");
                continue;
            };
            if let Some(first) = fields.key_span(name) {
                self.push(
                    Diagnostic::error("duplicate-key", format!("duplicate key `{name}`"), k.span)
                        .with_label(first, "first defined here"),
                );
                continue;
            }
            if !allowed.contains(&name) {
                self.unknown_key(k, name, what, allowed, hint);
                continue;
            }
            fields.entries.push((name, k, v));
        }
        Some(fields)
    }

    fn unknown_key(
        &mut self,
        k: &Node,
        name: &str,
        what: &str,
        allowed: &[&str],
        hint: &dyn Fn(&str) -> Option<String>,
    ) {
        let suggestion = did_you_mean(name, allowed.iter().copied());
        let message = match suggestion {
            Some(s) => format!("unknown key `{name}` (did you mean `{s}`?)"),
            None => format!("unknown key `{name}` in {what}"),
        };
        let mut d = Diagnostic::error("unknown-key", message, k.span);
        if let Some(h) = hint(name) {
            d = d.with_help(h);
        } else if suggestion.is_none() {
            d = d.with_help(format!("{what} accepts {}", list(allowed)));
        }
        self.push(d);
    }

    /// A string value; numbers and booleans give their source text.
    fn string(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        match &node.value {
            Value::Str(s) if s.contains('\0') => {
                self.push(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{key}` contains a NUL character (`\\0`)"),
                        node.span,
                    )
                    .with_help(
                        "a NUL cannot reach a process, a path or an image config: remove it",
                    ),
                );
                None
            }
            Value::Str(s) => Some(Spanned::new(s.clone(), node.span)),
            Value::Int(_, t) | Value::Float(t) | Value::Bool(_, t) => {
                Some(Spanned::new(t.clone(), node.span))
            }
            _ => {
                self.wrong_type(node, key, "a string");
                None
            }
        }
    }

    /// A string value subject to `${...}` expansion later: check its syntax now.
    fn expandable(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        let s = self.string(node, key)?;
        self.syntax_ok(&s).then_some(s)
    }

    /// Whether `s` has valid `${...}` syntax; reports it when not.
    fn syntax_ok(&mut self, s: &Spanned<String>) -> bool {
        match super::vars::check_syntax(&s.value) {
            Ok(()) => true,
            Err(e) => {
                self.push(super::vars::syntax_error_diagnostic(&e, s, self.src));
                false
            }
        }
    }

    /// A `chown` value, checked now when it has no variables (and by
    /// compile once expanded).
    fn chown(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        let s = self.expandable(node, key);
        self.check_literal(s, validate::check_chown)
    }

    /// A non-empty expandable string.
    fn path(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        let s = self.expandable(node, key)?;
        if s.value.is_empty() {
            self.push(Diagnostic::error(
                "invalid-value",
                format!("`{key}` cannot be empty"),
                node.span,
            ));
            return None;
        }
        Some(s)
    }

    fn opt<T>(
        &mut self,
        f: &Fields<'_>,
        key: &str,
        read: impl FnOnce(&mut Self, &Node, &str) -> Option<T>,
    ) -> Option<T> {
        f.get(key).and_then(|n| read(self, n, key))
    }

    /// A required key; reports `missing-key` against `at` (the owner's span).
    fn req<T>(
        &mut self,
        f: &Fields<'_>,
        key: &str,
        what: &str,
        read: impl FnOnce(&mut Self, &Node, &str) -> Option<T>,
    ) -> Option<T> {
        match f.get_raw(key) {
            Some(n) if n.value != Value::Null => read(self, n, key),
            Some(n) => {
                self.wrong_type(n, key, "a value");
                None
            }
            None => {
                if !misspelled(f.node, key) {
                    self.missing(f.node.span, key, what);
                }
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, key: &str) -> Option<bool> {
        if let Value::Bool(b, _) = node.value {
            Some(b)
        } else {
            self.wrong_type(node, key, "`true` or `false`");
            None
        }
    }

    fn flag(&mut self, f: &Fields<'_>, key: &str, default: bool) -> bool {
        self.opt(f, key, Self::boolean).unwrap_or(default)
    }

    fn uint(&mut self, node: &Node, key: &str) -> Option<Spanned<u32>> {
        match &node.value {
            Value::Int(i, text) => match u32::try_from(*i) {
                Ok(v) => Some(Spanned::new(v, node.span)),
                Err(_) => {
                    self.push(Diagnostic::error(
                        "invalid-value",
                        format!("`{key}` must be between 0 and {}, found `{text}`", u32::MAX),
                        node.span,
                    ));
                    None
                }
            },
            _ => {
                self.wrong_type(node, key, "an integer");
                None
            }
        }
    }

    fn seq<'n>(&mut self, node: &'n Node, key: &str) -> Option<&'n [Node]> {
        if let Value::Seq(items) = &node.value {
            Some(items)
        } else {
            self.wrong_type(node, key, "a list");
            None
        }
    }

    fn list_of<T>(
        &mut self,
        f: &Fields<'_>,
        key: &str,
        mut read: impl FnMut(&mut Self, &Node, &str) -> Option<T>,
    ) -> Vec<T> {
        let Some(node) = f.get(key) else {
            return Vec::new();
        };
        let Some(items) = self.seq(node, key) else {
            return Vec::new();
        };
        items.iter().filter_map(|n| read(self, n, key)).collect()
    }

    /// `"x"` or `[x, y]`.
    fn one_or_many(
        &mut self,
        node: &Node,
        key: &str,
        read: impl Fn(&mut Self, &Node, &str) -> Option<Spanned<String>>,
    ) -> Vec<Spanned<String>> {
        match &node.value {
            Value::Seq(items) => items.iter().filter_map(|n| read(self, n, key)).collect(),
            Value::Map(_) | Value::Null => {
                self.wrong_type(node, key, "a string or a list of strings");
                Vec::new()
            }
            _ => read(self, node, key).into_iter().collect(),
        }
    }

    fn command(&mut self, node: &Node, key: &str) -> Option<Spanned<Command>> {
        let cmd = match &node.value {
            Value::Seq(items) => {
                let argv: Vec<_> = items.iter().filter_map(|n| self.string(n, key)).collect();
                if argv.len() != items.len() {
                    return None;
                }
                Command::Exec(argv)
            }
            Value::Map(_) | Value::Null => {
                self.wrong_type(node, key, "a string or a list of arguments");
                return None;
            }
            _ => Command::Shell(self.string(node, key)?.value),
        };
        Some(Spanned::new(cmd, node.span))
    }

    /// A command whose values are expanded later (`entrypoint`, `cmd`,
    /// healthcheck `test`): its `${...}` syntax is checked now.
    fn expandable_command(&mut self, node: &Node, key: &str) -> Option<Spanned<Command>> {
        let cmd = self.command(node, key)?;
        let ok = match &cmd.value {
            Command::Exec(argv) => argv.iter().all(|a| self.syntax_ok(a)),
            Command::Shell(s) => self.syntax_ok(&Spanned::new(s.clone(), node.span)),
        };
        ok.then_some(cmd)
    }

    /// `NAME: value` pairs (env, labels). Values are expandable.
    fn key_values(&mut self, node: &Node, key: &str, env_names: bool) -> KeyValues {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, key, "a mapping of names to values");
            return Vec::new();
        };
        let mut out: KeyValues = Vec::new();
        // name → where it was first defined: duplicates found in O(log n).
        let mut seen: std::collections::BTreeMap<String, Span> = std::collections::BTreeMap::new();
        for (k, v) in entries {
            // Label keys are expanded too; environment names are not.
            let name = if env_names {
                self.string(k, key)
            } else {
                self.expandable(k, key)
            };
            let Some(name) = name else {
                continue;
            };
            if let Some(first) = seen.get(&name.value) {
                self.push(
                    Diagnostic::error(
                        "duplicate-key",
                        format!("duplicate key `{}`", name.value),
                        k.span,
                    )
                    .with_label(*first, "first defined here"),
                );
                continue;
            }
            seen.insert(name.value.clone(), name.span);
            if env_names {
                if let Err(msg) = validate::check_env_name(&name.value) {
                    self.push(Diagnostic::error("invalid-name", msg, k.span));
                    continue;
                }
            } else if name.value.trim().is_empty() {
                self.push(Diagnostic::error(
                    "invalid-name",
                    format!("`{key}` names cannot be empty or blank"),
                    k.span,
                ));
                continue;
            }
            if v.value == Value::Null {
                self.push(
                    Diagnostic::error(
                        "wrong-type",
                        format!("`{}` has no value", name.value),
                        v.span,
                    )
                    .with_help("write `\"\"` for an empty value"),
                );
                continue;
            }
            if let Some(value) = self.expandable(v, &name.value) {
                out.push((name, value));
            }
        }
        out
    }

    fn file_mode(&mut self, node: &Node, key: &str) -> Option<Spanned<FileMode>> {
        let text = self.string(node, key)?;
        match validate::parse_file_mode(&text.value) {
            Ok(bits) => Some(Spanned::new(
                FileMode {
                    text: text.value,
                    bits,
                },
                text.span,
            )),
            Err(msg) => {
                self.push(Diagnostic::error("invalid-value", msg, text.span));
                None
            }
        }
    }

    /// A value from a fixed set of words.
    fn choice<T: std::marker::Copy>(
        &mut self,
        node: &Node,
        key: &str,
        options: &[(&str, T)],
    ) -> Option<Spanned<T>> {
        let text = self.string(node, key)?;
        if let Some((_, v)) = options.iter().find(|(name, _)| *name == text.value) {
            return Some(Spanned::new(*v, text.span));
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let mut d = Diagnostic::error(
            "invalid-value",
            format!("invalid {key} `{}`", text.value),
            text.span,
        );
        d = match did_you_mean(&text.value, names.iter().copied()) {
            Some(s) => d.with_help(format!(
                "did you mean `{s}`? `{key}` is one of {}",
                list(&names)
            )),
            None => d.with_help(format!("`{key}` is one of {}", list(&names))),
        };
        self.push(d);
        None
    }

    /// Apply a static check to a value written without variables.
    fn check_literal(
        &mut self,
        value: Option<Spanned<String>>,
        check: impl FnOnce(&str) -> Result<(), String>,
    ) -> Option<Spanned<String>> {
        let v = value?;
        if !v.value.contains('$') {
            if let Err(msg) = check(&v.value) {
                self.push(Diagnostic::error("invalid-value", msg, v.span));
                return None;
            }
        }
        Some(v)
    }
}

/// Convert the document root. Returns None when the root is unusable.
pub(crate) fn convert(root: &Node, cx: &mut Cx<'_>) -> Draft {
    let mut draft = Draft {
        version_span: None,
        args: Vec::new(),
        stage_names: Vec::new(),
        stages: Vec::new(),
        target: None,
    };
    if root.value == Value::Null {
        cx.push(
            Diagnostic::error("missing-key", "the spec is empty", cx.src.span_at(0, 0))
                .with_help("a spec starts with `version: 1` and a `stages:` mapping"),
        );
        return draft;
    }
    let Some(top) = cx.fields(root, "the spec", "the top level", TOP_KEYS, &|_| None) else {
        return draft;
    };
    match top.get_raw("version") {
        None => cx.push(
            Diagnostic::error("missing-key", "missing key `version`", root.span)
                .with_help("add `version: 1` at the top of the file"),
        ),
        Some(n) => match &n.value {
            Value::Int(1, _) => draft.version_span = Some(n.span),
            Value::Int(_, text) => cx.push(
                Diagnostic::error(
                    "unsupported-version",
                    format!("unsupported version `{text}`"),
                    n.span,
                )
                .with_help("this frontend reads `version: 1`"),
            ),
            _ => {
                cx.wrong_type(n, "version", "the integer `1`");
                if let Some(d) = cx.diags.last_mut() {
                    d.help = Some("write `version: 1`, without quotes".to_string());
                }
            }
        },
    }
    if let Some(n) = top.get("args") {
        draft.args = args(cx, n);
    }
    match top.get_raw("stages") {
        None => cx.push(
            Diagnostic::error("missing-key", "missing key `stages`", root.span)
                .with_help("add a `stages:` mapping with at least one stage"),
        ),
        Some(n) => stages(cx, n, &mut draft),
    }
    draft.target = cx.opt(&top, "target", Cx::string);
    draft
}

fn args(cx: &mut Cx<'_>, node: &Node) -> Vec<ArgDecl> {
    let Value::Map(entries) = &node.value else {
        cx.wrong_type(node, "args", "a mapping of argument names");
        return Vec::new();
    };
    let mut out: Vec<ArgDecl> = Vec::new();
    for (k, v) in entries {
        let Some(name) = cx.string(k, "args") else {
            continue;
        };
        if let Some(first) = out.iter().find(|a| a.name.value == name.value) {
            cx.push(
                Diagnostic::error(
                    "duplicate-key",
                    format!("duplicate argument `{}`", name.value),
                    k.span,
                )
                .with_label(first.name.span, "first defined here"),
            );
            continue;
        }
        if let Err(msg) = validate::check_arg_name(&name.value) {
            cx.push(Diagnostic::error("invalid-name", msg, k.span));
            continue;
        }
        let (default, description) = match &v.value {
            Value::Null => (None, None),
            Value::Map(_) => {
                let Some(f) = cx.fields(v, &name.value, "an argument", ARG_KEYS, &|_| None) else {
                    continue;
                };
                (
                    cx.opt(&f, "default", Cx::string),
                    cx.opt(&f, "description", Cx::string),
                )
            }
            Value::Seq(_) => {
                cx.wrong_type(v, &name.value, "a value or `{default, description}`");
                continue;
            }
            _ => (cx.string(v, &name.value), None),
        };
        out.push(ArgDecl {
            name,
            default,
            description,
        });
    }
    out
}

fn stages(cx: &mut Cx<'_>, node: &Node, draft: &mut Draft) {
    let Value::Map(entries) = &node.value else {
        cx.wrong_type(node, "stages", "a mapping of stage names to stages");
        return;
    };
    if entries.is_empty() {
        cx.push(
            Diagnostic::error("invalid-value", "`stages` is empty", node.span)
                .with_help("define at least one stage"),
        );
        return;
    }
    for (k, v) in entries {
        let Some(name) = cx.string(k, "stages") else {
            continue;
        };
        if let Some(first) = draft.stage_names.iter().find(|n| n.value == name.value) {
            cx.push(
                Diagnostic::error(
                    "duplicate-stage",
                    format!("duplicate stage `{}`", name.value),
                    k.span,
                )
                .with_label(first.span, "first defined here"),
            );
            continue;
        }
        if let Err((msg, help)) = validate::check_stage_name(&name.value) {
            cx.push(Diagnostic::error("invalid-stage-name", msg, k.span).with_help(help));
            continue;
        }
        draft.stage_names.push(name.clone());
        // Kept even if some of its steps had errors, so that the cross-stage
        // checks still see its `from` and `needs`.
        if let Some(s) = stage(cx, name, k.span, v) {
            draft.stages.push(s);
        }
    }
}

/// Whether `node` (a mapping) has an unknown key that is a misspelling of `key`:
/// then the unknown-key diagnostic, with its suggestion, says it all.
fn misspelled(node: &Node, key: &str) -> bool {
    let Value::Map(entries) = &node.value else {
        return false;
    };
    entries
        .iter()
        .filter_map(|(k, _)| k.as_key())
        .any(|name| name != key && did_you_mean(name, [key]).is_some())
}

fn stage(cx: &mut Cx<'_>, name: Spanned<String>, span: Span, node: &Node) -> Option<Stage> {
    let what = format!("stage `{}`", name.value);
    if node.value == Value::Null {
        cx.missing(span, "from", &what);
        return None;
    }
    let f = cx.fields(node, &name.value, "a stage", STAGE_KEYS, &|_| None)?;
    let from = if f.get_raw("from").is_none() {
        // A misspelt `from` is already reported as an unknown key with a suggestion.
        if !misspelled(node, "from") {
            cx.push(
                Diagnostic::error("missing-key", format!("missing key `from` in {what}"), span)
                    .with_help("a stage starts `from` a stage, `scratch` or an image"),
            );
        }
        None
    } else {
        cx.req(&f, "from", &what, Cx::path)
    };
    let platform = cx.opt(&f, "platform", Cx::expandable);
    let platform = cx.check_literal(platform, validate::check_platform);
    let description = cx.opt(&f, "description", Cx::string);
    let args = f.get("args").map(|n| args(cx, n)).unwrap_or_default();
    let env = f
        .get("env")
        .map(|n| cx.key_values(n, "env", true))
        .unwrap_or_default();
    let workdir = cx.opt(&f, "workdir", Cx::path);
    let user = cx.opt(&f, "user", Cx::path);
    let shell = f.get("shell").and_then(|n| shell(cx, n));
    let needs = cx.list_of(&f, "needs", Cx::string);
    let steps = match f.get("steps") {
        Some(n) => cx
            .seq(n, "steps")
            .map(|items| items.iter().filter_map(|i| step(cx, i)).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let artifacts = cx.list_of(&f, "artifacts", |cx, n, _| artifact(cx, n));
    let image = f.get("image").and_then(|n| image(cx, n));
    Some(Stage {
        name,
        from: from?,
        platform,
        description,
        args,
        env,
        workdir,
        user,
        shell,
        needs,
        steps,
        artifacts,
        image,
        span,
    })
}

fn shell(cx: &mut Cx<'_>, node: &Node) -> Option<Spanned<Vec<Spanned<String>>>> {
    let Value::Seq(items) = &node.value else {
        cx.wrong_type(node, "shell", "a list of arguments");
        if let Some(d) = cx.diags.last_mut() {
            d.help = Some("for example `shell: [\"/bin/bash\", \"-c\"]`".to_string());
        }
        return None;
    };
    if items.is_empty() {
        cx.push(Diagnostic::error(
            "invalid-value",
            "`shell` cannot be empty",
            node.span,
        ));
        return None;
    }
    let argv: Vec<_> = items.iter().filter_map(|n| cx.string(n, "shell")).collect();
    (argv.len() == items.len()).then(|| Spanned::new(argv, node.span))
}

fn options_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "run" => RUN_KEYS,
        "copy" => COPY_KEYS,
        "add" => ADD_KEYS,
        _ => MKDIR_KEYS,
    }
}

fn step(cx: &mut Cx<'_>, node: &Node) -> Option<Step> {
    let Value::Map(entries) = &node.value else {
        cx.wrong_type(node, "steps", "a step (a mapping like `- run: make`)");
        return None;
    };
    let mut kinds: Vec<(&str, &Node)> = Vec::new();
    for (k, _) in entries {
        // A repeated kind key is a `duplicate-key` (reported below), not two kinds.
        if let Some(name) = k.as_key().filter(|n| STEP_KINDS.contains(n)) {
            if !kinds.iter().any(|(seen, _)| *seen == name) {
                kinds.push((name, k));
            }
        }
    }
    let kind = match kinds.as_slice() {
        [] => {
            let guess = entries.iter().find_map(|(k, _)| {
                let name = k.as_key()?;
                did_you_mean(name, STEP_KINDS.iter().copied()).map(|s| (name, s, k.span))
            });
            let d = match guess {
                Some((name, s, span)) => Diagnostic::error(
                    "step-kind-missing",
                    format!("unknown step kind `{name}` (did you mean `{s}`?)"),
                    span,
                ),
                None => Diagnostic::error(
                    "step-kind-missing",
                    "step has no kind: expected one of `run`, `copy`, `add` or `mkdir`",
                    node.span,
                ),
            };
            cx.push(d.with_help("every step has exactly one of `run`, `copy`, `add` or `mkdir`"));
            return None;
        }
        [(kind, _)] => *kind,
        [(first, first_key), (second, second_key), ..] => {
            cx.push(
                Diagnostic::error(
                    "step-kind-ambiguous",
                    format!("step has two kinds, `{first}` and `{second}`"),
                    second_key.span,
                )
                .with_label(first_key.span, "first kind here")
                .with_help("split it into two steps, one kind each"),
            );
            return None;
        }
    };
    let hint = |key: &str| -> Option<String> {
        if (kind == "add" && ADD_INNER_KEYS.contains(&key))
            || (kind == "mkdir" && MKDIR_INNER_KEYS.contains(&key))
        {
            return Some(format!(
                "`{key}` goes inside the `{kind}` mapping: `{kind}: {{..., {key}: ...}}`"
            ));
        }
        STEP_KINDS
            .iter()
            .find(|k| **k != kind && options_of(k).contains(&key))
            .map(|other| format!("`{key}` is an option of `{other}` steps, not `{kind}` steps"))
    };
    let what = if kind == "add" {
        "an `add` step".to_string()
    } else {
        format!("a `{kind}` step")
    };
    let f = cx.fields(node, "step", &what, options_of(kind), &hint)?;
    let value = f.get_raw(kind)?;
    let before = cx.diags.len();
    let kind = match kind {
        "run" => run(cx, &f, value).map(StepKind::Run),
        "copy" => copy(cx, &f, value).map(StepKind::Copy),
        "add" => add(cx, value).map(StepKind::Add),
        _ => mkdir(cx, value).map(StepKind::Mkdir),
    };
    let kind = kind.filter(|_| cx.diags.len() == before)?;
    Some(Step {
        span: node.span,
        kind,
    })
}

fn run(cx: &mut Cx<'_>, f: &Fields<'_>, value: &Node) -> Option<Run> {
    let command = cx.command(value, "run");
    if let Some(c) = &command {
        let empty = match &c.value {
            Command::Shell(s) => s.trim().is_empty(),
            Command::Exec(argv) => argv.is_empty(),
        };
        if empty {
            cx.push(Diagnostic::error(
                "invalid-value",
                "`run` has an empty command",
                c.span,
            ));
            return None;
        }
        if let Command::Exec(argv) = &c.value {
            if let Some(program) = argv.first().filter(|p| p.value.is_empty()) {
                cx.push(Diagnostic::error(
                    "invalid-value",
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
            cx.push(Diagnostic::error("invalid-name", msg, e.span));
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
                cx.push(Diagnostic::error("invalid-value", msg, text.span));
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
    let from = cx.req(&f, "from", what, Cx::path);
    let source = cx
        .opt(&f, "source", Cx::path)
        .unwrap_or_else(|| Spanned::new("/".to_string(), node.span));
    let target = cx.req(&f, "target", what, Cx::path);
    let readwrite = cx.flag(&f, "readwrite", false);
    Some(BindMount {
        from: from?,
        source,
        target: target?,
        readwrite,
        span: node.span,
    })
}

fn copy(cx: &mut Cx<'_>, f: &Fields<'_>, value: &Node) -> Option<Copy> {
    let sources = cx.one_or_many(value, "copy", Cx::path);
    if sources.is_empty() && matches!(value.value, Value::Seq(_)) {
        cx.push(Diagnostic::error(
            "invalid-value",
            "`copy` has no sources",
            value.span,
        ));
    }
    let from = cx.opt(f, "from", Cx::path);
    let to = cx.opt(f, "to", Cx::path);
    let chmod = cx.opt(f, "chmod", Cx::file_mode);
    let chown = cx.opt(f, "chown", Cx::chown);
    let include = f
        .get("include")
        .map(|n| cx.one_or_many(n, "include", Cx::expandable))
        .unwrap_or_default();
    let exclude = f
        .get("exclude")
        .map(|n| cx.one_or_many(n, "exclude", Cx::expandable))
        .unwrap_or_default();
    let parents = cx.flag(f, "parents", false);
    let link = cx.flag(f, "link", false);
    Some(Copy {
        sources,
        from,
        to,
        chmod,
        chown,
        include,
        exclude,
        parents,
        link,
    })
}

fn add(cx: &mut Cx<'_>, node: &Node) -> Option<Add> {
    if !matches!(node.value, Value::Map(_)) {
        cx.wrong_type(node, "add", "a mapping with `url` or `git`");
        if let Some(d) = cx.diags.last_mut() {
            d.help =
                Some("for example `add: {url: https://example.com/f.tgz, to: /tmp/}`".to_string());
        }
        return None;
    }
    let what = "an `add` step";
    let f = cx.fields(node, "add", what, ADD_INNER_KEYS, &|_| None)?;
    let to = cx.opt(&f, "to", Cx::path);
    let chmod = cx.opt(&f, "chmod", Cx::file_mode);
    let chown = cx.opt(&f, "chown", Cx::chown);
    let checksum = cx.opt(&f, "checksum", Cx::expandable);
    let source = match (f.key_span("url"), f.key_span("git")) {
        (Some(_), Some(git)) => {
            cx.push(
                Diagnostic::error("invalid-value", "`add` takes `url` or `git`, not both", git)
                    .with_help("use one `add` step per source"),
            );
            return None;
        }
        (None, None) => {
            cx.push(
                Diagnostic::error(
                    "missing-key",
                    "missing key `url` or `git` in an `add` step",
                    node.span,
                )
                .with_help(
                    "`add: {url: ..., checksum: sha256:...}` or `add: {git: ..., ref: ...}`",
                ),
            );
            return None;
        }
        (Some(_), None) => {
            for key in ["ref", "keep_git_dir"] {
                if let Some(span) = f.key_span(key) {
                    cx.push(Diagnostic::error(
                        "invalid-value",
                        format!("`{key}` applies only to git sources (`git:`)"),
                        span,
                    ));
                }
            }
            let url = cx.req(&f, "url", what, Cx::path);
            let url = cx.check_literal(url, validate::check_http_url);
            let checksum = cx.check_literal(checksum, validate::check_sha256);
            AddSource::Http {
                url: url?,
                checksum,
            }
        }
        (None, Some(_)) => {
            let url = cx.req(&f, "git", what, Cx::path);
            let ref_ = cx.opt(&f, "ref", Cx::path);
            let keep_git_dir = cx.flag(&f, "keep_git_dir", false);
            let checksum = cx.check_literal(checksum, validate::check_commit);
            AddSource::Git {
                url: url?,
                ref_,
                keep_git_dir,
                checksum,
            }
        }
    };
    Some(Add {
        source,
        to,
        chmod,
        chown,
    })
}

fn mkdir(cx: &mut Cx<'_>, node: &Node) -> Option<Mkdir> {
    if !matches!(node.value, Value::Map(_)) {
        let path = cx.path(node, "mkdir")?;
        return Some(Mkdir {
            path,
            chmod: None,
            chown: None,
        });
    }
    let what = "a `mkdir` step";
    let f = cx.fields(node, "mkdir", what, MKDIR_INNER_KEYS, &|_| None)?;
    let path = cx.req(&f, "path", what, Cx::path);
    let chmod = cx.opt(&f, "chmod", Cx::file_mode);
    let chown = cx.opt(&f, "chown", Cx::chown);
    Some(Mkdir {
        path: path?,
        chmod,
        chown,
    })
}

fn artifact(cx: &mut Cx<'_>, node: &Node) -> Option<Artifact> {
    let what = "an artifact";
    let f = cx.fields(node, "artifacts", what, ARTIFACT_KEYS, &|_| None)?;
    let from = cx.req(&f, "from", what, Cx::path);
    let path = cx.req(&f, "path", what, Cx::path);
    let to = cx.opt(&f, "to", Cx::path);
    let chmod = cx.opt(&f, "chmod", Cx::file_mode);
    let chown = cx.opt(&f, "chown", Cx::chown);
    let link = cx.flag(&f, "link", true);
    Some(Artifact {
        from: from?,
        path: path?,
        to,
        chmod,
        chown,
        link,
        span: node.span,
    })
}

fn image(cx: &mut Cx<'_>, node: &Node) -> Option<ImageConfig> {
    let f = cx.fields(node, "image", "`image`", IMAGE_KEYS, &|_| None)?;
    let entrypoint = cx.opt(&f, "entrypoint", Cx::expandable_command);
    let cmd = cx.opt(&f, "cmd", Cx::expandable_command);
    let env = f
        .get("env")
        .map(|n| cx.key_values(n, "env", true))
        .unwrap_or_default();
    let user = cx.opt(&f, "user", Cx::path);
    let workdir = cx.opt(&f, "workdir", Cx::path);
    let expose = cx.list_of(&f, "expose", |cx, n, key| {
        let port = cx.expandable(n, key)?;
        if port.value.contains('$') {
            return Some(port);
        }
        match validate::normalize_port(&port.value) {
            Ok(p) => Some(Spanned::new(p, port.span)),
            Err(msg) => {
                cx.push(Diagnostic::error("invalid-value", msg, port.span));
                None
            }
        }
    });
    let volumes = cx.list_of(&f, "volumes", Cx::path);
    let labels = f
        .get("labels")
        .map(|n| cx.key_values(n, "labels", false))
        .unwrap_or_default();
    let stop_signal = cx.opt(&f, "stop_signal", Cx::path);
    let stop_signal = cx.check_literal(stop_signal, validate::check_signal);
    let healthcheck = f.get("healthcheck").and_then(|n| healthcheck(cx, n));
    Some(ImageConfig {
        entrypoint,
        cmd,
        env,
        user,
        workdir,
        expose,
        volumes,
        labels,
        stop_signal,
        healthcheck,
        span: f.node.span,
    })
}

fn healthcheck(cx: &mut Cx<'_>, node: &Node) -> Option<Spanned<Healthcheck>> {
    if let Value::Str(s) = &node.value {
        if s == "none" {
            return Some(Spanned::new(Healthcheck::None, node.span));
        }
        cx.push(
            Diagnostic::error(
                "invalid-value",
                format!("invalid healthcheck `{s}`"),
                node.span,
            )
            .with_help("write `healthcheck: none` or `healthcheck: {test: ..., interval: 30s}`"),
        );
        return None;
    }
    let what = "`healthcheck`";
    let f = cx.fields(node, "healthcheck", what, HEALTHCHECK_KEYS, &|_| None)?;
    let test = cx.req(&f, "test", what, Cx::expandable_command);
    let mut duration = |key: &str| {
        let v = cx.opt(&f, key, Cx::expandable);
        cx.check_literal(v, |t| validate::parse_healthcheck_duration(t).map(|_| ()))
    };
    let interval = duration("interval");
    let timeout = duration("timeout");
    let start_period = duration("start_period");
    let retries = cx.opt(&f, "retries", Cx::uint);
    Some(Spanned::new(
        Healthcheck::Check {
            test: test?,
            interval,
            timeout,
            start_period,
            retries,
        },
        node.span,
    ))
}
