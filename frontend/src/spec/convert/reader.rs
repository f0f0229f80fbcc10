//! The reader's toolkit: the known keys of a mapping ([`Fields`]), and typed
//! reads of scalars, lists and small mappings, each turning a problem into
//! one diagnostic on [`Cx`] and reading on. It knows no key of the spec.

use crate::diag::{did_you_mean, Code, Diagnostic, SourceFile, Span, Spanned};
use crate::spec::keys::Table;
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};
use crate::spec::validate;

/// The reading context: the source and the diagnostics so far.
pub(crate) struct Cx<'a> {
    pub src: &'a SourceFile,
    pub diags: Vec<Diagnostic>,
    /// The `defaults:` in effect for the steps being read (language 1.1).
    pub defaults: super::defaults::Defaults,
}

/// The known keys of one mapping, read once each.
pub(crate) struct Fields<'n> {
    pub(super) node: &'n Node,
    pub(super) entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The value of `key`; None when absent or null.
    pub(super) fn get(&self, key: &str) -> Option<&'n Node> {
        self.get_raw(key).filter(|v| v.value != Value::Null)
    }

    /// The value of `key`, null included.
    pub(super) fn get_raw(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }

    pub(super) fn key_span(&self, key: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, k, _)| k.span)
    }
}

pub(super) fn list<'k>(keys: impl IntoIterator<Item = &'k str>) -> String {
    keys.into_iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Cx<'_> {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub(super) fn wrong_type(&mut self, node: &Node, key: &str, expected: &str) {
        let found = match &node.value {
            Value::Str(s) => format!("the string `{s}`"),
            Value::Bool(_, t) | Value::Int(_, t) | Value::Float(t) => {
                format!("{} `{t}`", node.kind_name())
            }
            _ => node.kind_name().to_string(),
        };
        self.push(Diagnostic::new(
            Code::WrongType,
            format!("wrong type for `{key}`: expected {expected}, found {found}"),
            node.span,
        ));
    }

    pub(super) fn missing(&mut self, span: Span, key: &str, what: &str) {
        self.push(Diagnostic::new(
            Code::MissingKey,
            format!("missing key `{key}` in {what}"),
            span,
        ));
    }

    /// Check `node` is a mapping and that its keys are known (in `table`)
    /// and unique. `hint` may explain an unknown key (e.g. "it belongs
    /// inside `add`").
    pub(super) fn fields<'n>(
        &mut self,
        node: &'n Node,
        key: &str,
        what: &str,
        table: &Table,
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
                    Diagnostic::new(
                        Code::DuplicateKey,
                        format!("duplicate key `{name}`"),
                        k.span,
                    )
                    .with_label(first, "first defined here"),
                );
                continue;
            }
            if table.key(name).is_none() {
                self.unknown_key(k, name, what, table, hint);
                continue;
            }
            fields.entries.push((name, k, v));
        }
        Some(fields)
    }

    pub(super) fn unknown_key(
        &mut self,
        k: &Node,
        name: &str,
        what: &str,
        table: &Table,
        hint: &dyn Fn(&str) -> Option<String>,
    ) {
        let suggestion = did_you_mean(name, table.names());
        let message = match suggestion {
            Some(s) => format!("unknown key `{name}` (did you mean `{s}`?)"),
            None => format!("unknown key `{name}` in {what}"),
        };
        let mut d = Diagnostic::new(Code::UnknownKey, message, k.span);
        if let Some(h) = hint(name) {
            d = d.with_help(h);
        } else if suggestion.is_none() {
            d = d.with_help(format!("{what} accepts {}", list(table.names())));
        }
        self.push(d);
    }

    /// A string value; numbers and booleans give their source text.
    pub(super) fn string(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        match &node.value {
            Value::Str(s) if s.contains('\0') => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidValue,
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
    pub(super) fn expandable(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        let s = self.string(node, key)?;
        self.syntax_ok(&s).then_some(s)
    }

    /// Whether `s` has valid `${...}` syntax; reports it when not.
    pub(super) fn syntax_ok(&mut self, s: &Spanned<String>) -> bool {
        match crate::spec::vars::check_syntax(&s.value) {
            Ok(()) => true,
            Err(e) => {
                self.push(crate::spec::vars::syntax_error_diagnostic(&e, s, self.src));
                false
            }
        }
    }

    /// A `chown` value, checked now when it has no variables (and by
    /// compile once expanded).
    pub(super) fn chown(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        let s = self.expandable(node, key);
        self.check_literal(s, validate::check_chown)
    }

    /// A non-empty expandable string.
    pub(super) fn path(&mut self, node: &Node, key: &str) -> Option<Spanned<String>> {
        let s = self.expandable(node, key)?;
        if s.value.is_empty() {
            self.push(Diagnostic::new(
                Code::InvalidValue,
                format!("`{key}` cannot be empty"),
                node.span,
            ));
            return None;
        }
        Some(s)
    }

    pub(super) fn opt<T>(
        &mut self,
        f: &Fields<'_>,
        key: &str,
        read: impl FnOnce(&mut Self, &Node, &str) -> Option<T>,
    ) -> Option<T> {
        f.get(key).and_then(|n| read(self, n, key))
    }

    /// A required key; reports `missing-key` against `at` (the owner's span).
    pub(super) fn req<T>(
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

    pub(super) fn boolean(&mut self, node: &Node, key: &str) -> Option<bool> {
        if let Value::Bool(b, _) = node.value {
            Some(b)
        } else {
            self.wrong_type(node, key, "`true` or `false`");
            None
        }
    }

    pub(super) fn flag(&mut self, f: &Fields<'_>, key: &str, default: bool) -> bool {
        self.opt(f, key, Self::boolean).unwrap_or(default)
    }

    pub(super) fn uint(&mut self, node: &Node, key: &str) -> Option<Spanned<u32>> {
        match &node.value {
            Value::Int(i, text) => match u32::try_from(*i) {
                Ok(v) => Some(Spanned::new(v, node.span)),
                Err(_) => {
                    self.push(Diagnostic::new(
                        Code::InvalidValue,
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

    pub(super) fn seq<'n>(&mut self, node: &'n Node, key: &str) -> Option<&'n [Node]> {
        if let Value::Seq(items) = &node.value {
            Some(items)
        } else {
            self.wrong_type(node, key, "a list");
            None
        }
    }

    pub(super) fn list_of<T>(
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
    pub(super) fn one_or_many(
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

    pub(super) fn command(&mut self, node: &Node, key: &str) -> Option<Spanned<Command>> {
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
    pub(super) fn expandable_command(
        &mut self,
        node: &Node,
        key: &str,
    ) -> Option<Spanned<Command>> {
        let cmd = self.command(node, key)?;
        let ok = match &cmd.value {
            Command::Exec(argv) => argv.iter().all(|a| self.syntax_ok(a)),
            Command::Shell(s) => self.syntax_ok(&Spanned::new(s.clone(), node.span)),
        };
        ok.then_some(cmd)
    }

    /// `NAME: value` pairs (env, labels). Values are expandable.
    pub(super) fn key_values(&mut self, node: &Node, key: &str, env_names: bool) -> KeyValues {
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
                    Diagnostic::new(
                        Code::DuplicateKey,
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
                    self.push(Diagnostic::new(Code::InvalidName, msg, k.span));
                    continue;
                }
            } else if name.value.trim().is_empty() {
                self.push(Diagnostic::new(
                    Code::InvalidName,
                    format!("`{key}` names cannot be empty or blank"),
                    k.span,
                ));
                continue;
            }
            if v.value == Value::Null {
                self.push(
                    Diagnostic::new(
                        Code::WrongType,
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

    pub(super) fn file_mode(&mut self, node: &Node, key: &str) -> Option<Spanned<FileMode>> {
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
                self.push(Diagnostic::new(Code::InvalidValue, msg, text.span));
                None
            }
        }
    }

    /// A value from a fixed set of words.
    pub(super) fn choice<T: std::marker::Copy>(
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
        let mut d = Diagnostic::new(
            Code::InvalidValue,
            format!("invalid {key} `{}`", text.value),
            text.span,
        );
        d = match did_you_mean(&text.value, names.iter().copied()) {
            Some(s) => d.with_help(format!(
                "did you mean `{s}`? `{key}` is one of {}",
                list(names.iter().copied())
            )),
            None => d.with_help(format!("`{key}` is one of {}", list(names.iter().copied()))),
        };
        self.push(d);
        None
    }

    /// Apply a static check to a value written without variables.
    pub(super) fn check_literal(
        &mut self,
        value: Option<Spanned<String>>,
        check: impl FnOnce(&str) -> Result<(), String>,
    ) -> Option<Spanned<String>> {
        let v = value?;
        if !v.value.contains('$') {
            if let Err(msg) = check(&v.value) {
                self.push(Diagnostic::new(Code::InvalidValue, msg, v.span));
                return None;
            }
        }
        Some(v)
    }
}

/// Whether `node` (a mapping) has an unknown key that is a misspelling of `key`:
/// then the unknown-key diagnostic, with its suggestion, says it all.
pub(super) fn misspelled(node: &Node, key: &str) -> bool {
    let Value::Map(entries) = &node.value else {
        return false;
    };
    entries
        .iter()
        .filter_map(|(k, _)| k.as_key())
        .any(|name| name != key && did_you_mean(name, [key]).is_some())
}
