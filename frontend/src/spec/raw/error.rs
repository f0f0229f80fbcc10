//! The parser's errors in user terms: one `yaml-syntax` or `yaml-limit`
//! diagnostic per rejected document, located at the offending character
//! where saphyr reports only the start of a scalar, and limits named as the
//! docs name them (never Rust `Debug` text).

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::Error as YamlError;

use super::{span_of, MAX_ALIASES, MAX_DEPTH, MAX_NODES, MAX_REPLAYED_EVENTS, MAX_SPEC_BYTES};
use crate::diag::{Code, Diagnostic, SourceFile, Span};

/// One diagnostic for a document serde-saphyr rejected.
pub(super) fn yaml_error(err: &YamlError, src: &SourceFile) -> Diagnostic {
    // For syntax errors saphyr knows only line and column: `span_of` then
    // computes the byte offset from them.
    let span = err
        .location()
        .map_or_else(|| src.span_at(0, 0), |loc| span_of(&loc, src));
    let aliases_help = "a build spec should be small; check its anchors (`&`) and aliases (`*`)";
    if let Some(breach) = budget_breach(err) {
        let (what, help) = match breach {
            BudgetBreach::Depth { .. } => (
                format!("document is nested more than {MAX_DEPTH} levels deep"),
                "a build spec needs only a few levels of nesting",
            ),
            BudgetBreach::Aliases { .. } => (
                format!("document uses more than {MAX_ALIASES} aliases"),
                aliases_help,
            ),
            BudgetBreach::Nodes { .. } => (
                format!("document expands to more than {MAX_NODES} values"),
                aliases_help,
            ),
            BudgetBreach::Documents { .. } => (
                "file holds more than one document (`---`)".to_owned(),
                "a spec is one yaml document: remove the `---` separators after the first",
            ),
            BudgetBreach::Anchors { .. } | BudgetBreach::AliasAnchorRatio { .. } => (
                "document defines too many anchors or uses far more aliases than anchors"
                    .to_owned(),
                aliases_help,
            ),
            BudgetBreach::MergeKeys { .. } => (
                "document uses too many merge keys (`<<`)".to_owned(),
                aliases_help,
            ),
            BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => (
                "document repeats too much through its anchors".to_owned(),
                aliases_help,
            ),
            BudgetBreach::ScalarBytes { .. } => (
                "document's values add up to more than 64 MiB of text (aliases repeat the text of their anchor)".to_owned(),
                aliases_help,
            ),
            // Every other limit of the parser is about sheer size (events,
            // bytes of values or comments, input bytes).
            _ => (
                format!(
                    "document is larger than the parser accepts (the spec limit is {} MiB)",
                    MAX_SPEC_BYTES >> 20
                ),
                "a build spec should be small",
            ),
        };
        return Diagnostic::new(Code::YamlLimit, format!("the yaml {what}"), span).with_help(help);
    }
    let formatter = serde_saphyr::DefaultMessageFormatter;
    let rendered = err.render_with_options(serde_saphyr::render_options! {
        formatter: &formatter,
        snippets: serde_saphyr::SnippetMode::Off,
    });
    // saphyr appends " at line N, column M"; we print the location ourselves.
    let message = rendered
        .split(" at line ")
        .next()
        .unwrap_or(&rendered)
        .trim()
        .to_string();
    if message.contains("replay") || message.contains("alias expansion") {
        return Diagnostic::new(
            Code::YamlLimit,
            format!(
                "the yaml document expands its aliases to more than {MAX_REPLAYED_EVENTS} values"
            ),
            span,
        )
        .with_help(aliases_help);
    }
    // saphyr locates these two at the start of the scalar: point at the character.
    let mut span = span;
    let message = match unexpected_character(&message) {
        Some((c, m)) => {
            span = find_char(src, span, c);
            m
        }
        None => {
            if message.contains("unknown escape character") {
                span = bad_escape(src, span);
            }
            backtick_tokens(&lowercase_first(&message))
        }
    };
    let d = Diagnostic::new(Code::YamlSyntax, format!("invalid yaml: {message}"), span);
    if message.contains("tab") {
        d.with_help("indent with spaces: yaml does not allow tabs in indentation")
    } else {
        d
    }
}

/// Quote short tokens the house way: `"-"` and `':'` become `` `-` `` and `` `:` ``.
fn backtick_tokens(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '"' || c == '\'' {
            let close = (i + 2..=i + 4).find(|&j| chars.get(j) == Some(&c));
            if let Some(j) = close {
                let inner: String = chars.get(i + 1..j).unwrap_or(&[]).iter().collect();
                if !inner.contains(' ') {
                    out.push('`');
                    out.push_str(&inner);
                    out.push('`');
                    i = j + 1;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn budget_breach(err: &YamlError) -> Option<&BudgetBreach> {
    match err.without_snippet() {
        YamlError::Budget { breach, .. } => Some(breach),
        YamlError::AliasError { error, .. } => budget_breach(error),
        _ => None,
    }
}

/// Lowercases the first letter of a sentence, but not of an acronym (`YAML`).
fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    let second_upper = s.chars().nth(1).is_some_and(char::is_uppercase);
    match chars.next() {
        Some(c) if !second_upper => c.to_lowercase().chain(chars).collect(),
        Some(c) => std::iter::once(c).chain(chars).collect(),
        None => String::new(),
    }
}

/// The first `c` at or after `from`, or `from` itself if there is none.
fn find_char(src: &SourceFile, from: Span, c: char) -> Span {
    let rest = src.text.get(from.offset..).unwrap_or("");
    rest.find(c)
        .map_or(from, |i| src.span_at(from.offset + i, c.len_utf8()))
}

/// The first backslash escape that double-quoted YAML does not know, in the
/// double-quoted scalar that starts at `from` (valid escapes are skipped as
/// pairs: `\\q` is a backslash and a `q`); `from` itself if there is none.
fn bad_escape(src: &SourceFile, from: Span) -> Span {
    let rest = src.text.get(from.offset..).unwrap_or("");
    let mut cs = rest.char_indices().skip(1);
    while let Some((i, c)) = cs.next() {
        match c {
            '"' => break,
            '\\' => match cs.next() {
                Some((
                    _,
                    '0' | 'a' | 'b' | 't' | '\t' | 'n' | 'v' | 'f' | 'r' | 'e' | ' ' | '"' | '/'
                    | '\\' | 'N' | '_' | 'L' | 'P' | 'x' | 'u' | 'U' | '\n' | '\r',
                )) => {}
                Some((_, other)) => {
                    return src.span_at(from.offset + i, 1 + other.len_utf8());
                }
                None => break,
            },
            _ => {}
        }
    }
    from
}

/// The scanner's "unexpected character: `X'" (with `X` in Rust's escape
/// form for control characters) in our words: the character by name or code.
fn unexpected_character(message: &str) -> Option<(char, String)> {
    let rest = message.strip_prefix("unexpected character: `")?;
    let shown = rest.strip_suffix('\'')?;
    let c = match shown.strip_prefix("\\u{").and_then(|h| h.strip_suffix('}')) {
        Some(hex) => char::from_u32(u32::from_str_radix(hex, 16).ok()?)?,
        None => {
            let mut cs = shown.chars();
            let c = cs.next()?;
            if cs.next().is_some() {
                return None;
            }
            c
        }
    };
    Some((
        c,
        if c.is_control() || c == '\u{feff}' {
            let n = u32::from(c);
            let escape = if n <= 0xff {
                format!("\\x{n:02x}")
            } else {
                format!("\\u{n:04x}")
            };
            format!(
            "the control character U+{n:04X} cannot appear here (a value may hold it only as an escape in double quotes, `{escape}`)"
        )
        } else {
            let shown = if c == '`' {
                "a backtick".to_owned()
            } else {
                format!("`{c}`")
            };
            format!("{shown} cannot start an unquoted value (YAML reserves it): quote the value")
        },
    ))
}
