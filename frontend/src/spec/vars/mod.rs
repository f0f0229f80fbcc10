//! Variable expansion in spec values: `$NAME`, `${NAME}`, `${NAME:-default}`,
//! `${NAME:+alternative}`, `${NAME:?message}` and `$$` for a literal `$`.
//!
//! Defaults, alternatives and messages may themselves contain expansions
//! (`${A:-${B}}`). A `$` that is not followed by a name, `{` or `$` is kept
//! literally (`$1`, `$(`, a trailing `$`), as the Dockerfile shell lexer does.
//! Backslash has no special meaning here.
//!
//! This module is NOT where variables get their values: the caller (compile)
//! provides a [`Scope`] built from `--build-arg`, stage and top-level `args`,
//! the stage's `env` and the base image's environment. It also does not decide
//! WHICH values are expanded; `run` commands, for one, are never passed here.

use crate::diag::{did_you_mean, Code, Diagnostic, SourceFile, Span, Spanned};
use std::collections::BTreeMap;
use std::ops::Range;

/// The arguments every stage has without declaring them (BuildKit's
/// automatic platform arguments).
pub const PLATFORM_ARGS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// What a [`Scope`] knows about a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Declared with a value (which may be the empty string).
    Value(String),
    /// Declared without a value (`args: {NAME: }`): expands to the empty string.
    DeclaredEmpty,
    /// Declared nowhere: referencing it (outside `:-`/`:+`) is an error.
    Undeclared,
}

/// The variables visible to one value.
pub trait Scope {
    fn lookup(&self, name: &str) -> Lookup;
    /// Every declared name, for "did you mean" suggestions.
    fn names(&self) -> Vec<String>;
}

/// `Some(value)` is a declared value, `None` a declared name without value.
impl Scope for BTreeMap<String, Option<String>> {
    fn lookup(&self, name: &str) -> Lookup {
        match self.get(name) {
            Some(Some(v)) => Lookup::Value(v.clone()),
            Some(None) => Lookup::DeclaredEmpty,
            None => Lookup::Undeclared,
        }
    }

    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

/// One parsed piece of an expandable string. Ranges are byte ranges in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Lit(String),
    Var {
        name: String,
        /// The whole reference, `$NAME` or `${...}`.
        range: Range<usize>,
        op: Op,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Plain,
    Default(Vec<Part>),
    Alternative(Vec<Part>),
    Required(Vec<Part>),
}

/// A syntax error in an expandable string: what is wrong and where (byte range).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub range: Range<usize>,
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Deepest nesting of `${A:-${B:-...}}`: expansion recurses, so it is bounded.
pub const MAX_NESTING: usize = 32;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// How many `${...:-` words enclose the position.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + n).copied()
    }

    fn name(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        self.text.get(start..self.pos).unwrap_or("").to_string()
    }

    /// Parse until the end of the text, or (when `nested`) an unmatched `}`.
    fn parts(&mut self, nested: bool) -> Result<Vec<Part>, SyntaxError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        while let Some(c) = self.peek() {
            if nested && c == b'}' {
                break;
            }
            if c != b'$' {
                // Copy one whole character (the text is UTF-8).
                let rest = self.text.get(self.pos..).unwrap_or("");
                if let Some(ch) = rest.chars().next() {
                    lit.push(ch);
                    self.pos += ch.len_utf8();
                } else {
                    break;
                }
                continue;
            }
            let start = self.pos;
            match self.peek_at(1) {
                Some(b'$') => {
                    lit.push('$');
                    self.pos += 2;
                }
                Some(b'{') => {
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(self.braced(start)?);
                }
                Some(n) if is_name_start(n) => {
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    self.pos += 1;
                    let name = self.name();
                    parts.push(Part::Var {
                        name,
                        range: start..self.pos,
                        op: Op::Plain,
                    });
                }
                _ => {
                    lit.push('$');
                    self.pos += 1;
                }
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(parts)
    }

    /// Parse `${...}` starting at `start` (the `$`).
    fn braced(&mut self, start: usize) -> Result<Part, SyntaxError> {
        self.pos += 2; // `${`
        let name_start = self.pos;
        let name = self.name();
        let unterminated = |end: usize| SyntaxError {
            message: "unterminated `${`: expected a closing `}`".to_string(),
            range: start..end,
        };
        if name.is_empty() {
            return Err(match self.peek() {
                None => unterminated(self.pos),
                Some(b'}') => SyntaxError {
                    message: "empty variable name in `${}`".to_string(),
                    range: start..self.pos + 1,
                },
                Some(_) => SyntaxError {
                    message: format!(
                        "invalid variable name in `{}`: names are letters, digits and `_`, not starting with a digit",
                        self.text.get(start..).unwrap_or("").chars().take(20).collect::<String>()
                    ),
                    range: start..name_start + 1,
                },
            });
        }
        if name.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return Err(SyntaxError {
                message: format!("invalid variable name `{name}`: names cannot start with a digit"),
                range: start..self.pos,
            });
        }
        let op = match (self.peek(), self.peek_at(1)) {
            (Some(b'}'), _) => {
                self.pos += 1;
                return Ok(Part::Var {
                    name,
                    range: start..self.pos,
                    op: Op::Plain,
                });
            }
            (Some(b':'), Some(m @ (b'-' | b'+' | b'?'))) => {
                if self.depth >= MAX_NESTING {
                    return Err(SyntaxError {
                        message: format!(
                            "variables are nested more than {MAX_NESTING} levels deep (`${{A:-${{B:-...}}}}`)"
                        ),
                        range: start..self.pos,
                    });
                }
                self.pos += 2;
                self.depth += 1;
                let word = self.parts(true)?;
                self.depth -= 1;
                match m {
                    b'-' => Op::Default(word),
                    b'+' => Op::Alternative(word),
                    _ => Op::Required(word),
                }
            }
            (None, _) | (Some(b':'), None) => return Err(unterminated(self.text.len())),
            (Some(_), _) => {
                let rest: String = self
                    .text
                    .get(self.pos..)
                    .unwrap_or("")
                    .chars()
                    .take(2)
                    .collect();
                return Err(SyntaxError {
                    message: format!(
                        "unsupported modifier `{rest}` in `${{{name}...}}`: use `:-`, `:+` or `:?`"
                    ),
                    range: start..self.pos + rest.len(),
                });
            }
        };
        if self.peek() != Some(b'}') {
            return Err(unterminated(self.pos));
        }
        self.pos += 1;
        Ok(Part::Var {
            name,
            range: start..self.pos,
            op,
        })
    }
}

/// The names a `run` command mentions as `$NAME` or `${NAME...}`, anywhere
/// in its text (the command is never expanded: this is only how it decides
/// which arguments to receive). Sorted, each once.
pub fn names_in_command(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut names = std::collections::BTreeSet::new();
    for (i, _) in text.match_indices('$') {
        let start = match bytes.get(i + 1) {
            Some(b'{') => i + 2,
            _ => i + 1,
        };
        if !bytes.get(start).copied().is_some_and(is_name_start) {
            continue;
        }
        let len = bytes
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| is_name_char(**b))
            .count();
        if let Some(name) = text.get(start..start + len) {
            names.insert(name);
        }
    }
    names.into_iter().collect()
}

fn parse(text: &str) -> Result<Vec<Part>, SyntaxError> {
    let mut p = Parser {
        text,
        pos: 0,
        depth: 0,
    };
    p.parts(false)
}

/// Check the expansion syntax of `text` without expanding it.
pub fn check_syntax(text: &str) -> Result<(), SyntaxError> {
    parse(text).map(|_| ())
}

/// The names `text` references, in order, including those inside defaults and
/// alternatives (`${A:-$B}` gives `A`, `B`). Empty if the syntax is invalid
/// (which `spec::parse` has already reported for every expandable value).
pub fn references(text: &str) -> Vec<&str> {
    fn walk<'t>(text: &'t str, parts: &[Part], out: &mut Vec<&'t str>) {
        for part in parts {
            if let Part::Var { name, range, op } = part {
                // Borrow the name from `text` itself: it sits right after `$` or `${`.
                let skip = if text.get(range.start + 1..range.start + 2) == Some("{") {
                    2
                } else {
                    1
                };
                let at = range.start + skip;
                if let Some(n) = text.get(at..at + name.len()) {
                    out.push(n);
                }
                match op {
                    Op::Plain => {}
                    Op::Default(w) | Op::Alternative(w) | Op::Required(w) => walk(text, w, out),
                }
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(parts) = parse(text) {
        walk(text, &parts, &mut out);
    }
    out
}

/// The names `text` references with no fallback of their own, in order:
/// `$NAME` and `${NAME}`, not `${NAME:-…}`, `${NAME:+…}`, `${NAME:?…}` nor
/// the names inside those. Empty if the syntax is invalid.
pub fn plain_references(text: &str) -> Vec<&str> {
    let Ok(parts) = parse(text) else {
        return Vec::new();
    };
    parts
        .iter()
        .filter_map(|part| match part {
            Part::Var {
                name,
                range,
                op: Op::Plain,
            } => {
                let skip = if text.get(range.start + 1..range.start + 2) == Some("{") {
                    2
                } else {
                    1
                };
                let at = range.start + skip;
                text.get(at..at + name.len())
            }
            Part::Var { .. } | Part::Lit(_) => None,
        })
        .collect()
}

/// Maps byte ranges of a value to spans in the spec file.
struct Locator<'a> {
    value: &'a Spanned<String>,
    /// Whether byte `i` of the value is byte `span.offset + i` of the file.
    exact: bool,
    src: &'a SourceFile,
}

impl<'a> Locator<'a> {
    fn new(value: &'a Spanned<String>, src: &'a SourceFile) -> Self {
        let v = &value.value;
        // Exact when the value appears verbatim, on one line, at its span: plain
        // scalars and quoted ones without escapes. Block and folded scalars,
        // escapes and aliases fall back to the start of the scalar.
        let exact = !v.contains('\n')
            && src.text.get(value.span.offset..value.span.offset + v.len()) == Some(v.as_str());
        Self { value, exact, src }
    }

    fn span(&self, range: &Range<usize>) -> Span {
        if self.exact {
            let s = self.value.span;
            let prefix = self.value.value.get(..range.start).unwrap_or("");
            Span {
                offset: s.offset + range.start,
                len: range.len(),
                line: s.line,
                col: s.col + u32::try_from(prefix.chars().count()).unwrap_or(0),
                file: s.file,
            }
        } else {
            let _ = self.src;
            self.value.span
        }
    }
}

/// Expand every reference in `text` using `scope`.
///
/// Errors (as diagnostics pointing inside the YAML value where the position is
/// known exactly, else at the value): `variable-syntax` for malformed
/// references, `undeclared-variable` for a name declared nowhere (outside
/// `:-`/`:+`), `required-variable` for `${NAME:?message}` with `NAME` unset or empty.
pub fn expand(
    text: &Spanned<String>,
    scope: &impl Scope,
    src: &SourceFile,
) -> Result<String, Diagnostic> {
    let loc = Locator::new(text, src.file(text.span.file));
    let parts = parse(&text.value).map_err(|e| syntax_diagnostic(&e, &loc))?;
    let mut out = String::new();
    expand_parts(&parts, scope, &loc, &mut out)?;
    Ok(out)
}

/// The `variable-syntax` diagnostic for a syntax error in `value`.
pub fn syntax_error_diagnostic(
    err: &SyntaxError,
    value: &Spanned<String>,
    src: &SourceFile,
) -> Diagnostic {
    syntax_diagnostic(err, &Locator::new(value, src))
}

fn syntax_diagnostic(err: &SyntaxError, loc: &Locator<'_>) -> Diagnostic {
    Diagnostic::new(
        Code::VariableSyntax,
        err.message.clone(),
        loc.span(&err.range),
    )
    .with_help("write `$$` for a literal `$`")
}

fn expand_parts(
    parts: &[Part],
    scope: &impl Scope,
    loc: &Locator<'_>,
    out: &mut String,
) -> Result<(), Diagnostic> {
    for part in parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Var { name, range, op } => {
                let found = scope.lookup(name);
                // Set and non-empty: the condition of `:-`, `:+` and `:?`.
                let non_empty = match &found {
                    Lookup::Value(v) if !v.is_empty() => Some(v.clone()),
                    _ => None,
                };
                match op {
                    Op::Plain => match found {
                        Lookup::Value(v) => out.push_str(&v),
                        Lookup::DeclaredEmpty => {}
                        Lookup::Undeclared => return Err(undeclared(name, range, scope, loc)),
                    },
                    Op::Default(word) => match non_empty {
                        Some(v) => out.push_str(&v),
                        None => expand_parts(word, scope, loc, out)?,
                    },
                    Op::Alternative(word) => {
                        if non_empty.is_some() {
                            expand_parts(word, scope, loc, out)?;
                        }
                    }
                    Op::Required(word) => match non_empty {
                        Some(v) => out.push_str(&v),
                        None => {
                            let mut msg = String::new();
                            expand_parts(word, scope, loc, &mut msg)?;
                            let state = if found == Lookup::Undeclared {
                                "not set"
                            } else {
                                "empty"
                            };
                            let message = if msg.is_empty() {
                                format!("variable `{name}` is {state}")
                            } else {
                                format!("variable `{name}` is {state}: {msg}")
                            };
                            let mut d =
                                Diagnostic::new(Code::RequiredVariable, message, loc.span(range));
                            if found == Lookup::Undeclared {
                                if let Some(help) = suggestion(name, scope) {
                                    d = d.with_help(help);
                                }
                            }
                            return Err(d);
                        }
                    },
                }
            }
        }
    }
    Ok(())
}

fn suggestion(name: &str, scope: &impl Scope) -> Option<String> {
    let names = scope.names();
    did_you_mean(name, names.iter().map(String::as_str)).map(|s| format!("did you mean `{s}`?"))
}

fn undeclared(
    name: &str,
    range: &Range<usize>,
    scope: &impl Scope,
    loc: &Locator<'_>,
) -> Diagnostic {
    let help = suggestion(name, scope).unwrap_or_else(|| {
        format!("declare it under `args:`, or write `${{{name}:-}}` to allow it to be unset")
    });
    Diagnostic::new(
        Code::UndeclaredVariable,
        format!("undeclared variable `{name}`"),
        loc.span(range),
    )
    .with_help(help)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests;
