//! Diagnostics as data: what went wrong, where in the spec, and how to fix it.
//!
//! A [`Diagnostic`] carries a [`Code`] from the registry ([`codes`]: its
//! name, default severity and documentation), a severity, a lowercase
//! message that quotes the offending value in backticks, a primary [`Span`],
//! optional secondary labels and an optional help line. [`render`] turns them
//! into plain text (no colour, fixed width) for terminals and snapshots;
//! [`Diagnostic::headline`] gives the one-line `file:line:col: message` form.
//!
//! This module is NOT a YAML parser and knows nothing of the spec's keys: it
//! only stores and prints locations. Positions are computed by `spec::raw`.

pub mod codes;
pub mod report;

pub use codes::Code;

use std::fmt;
use std::fmt::Write as _;

/// A region of the source file.
///
/// `offset` and `len` are in bytes; `line` and `col` are 1-based, `col`
/// counting characters (not bytes) from the start of the line, as editors and
/// BuildKit source maps do. `len` may be 0 (a point, e.g. "end of file").
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
    pub line: u32,
    pub col: u32,
    /// The file: 0 for the spec itself, `n` for the `n`th file it imports
    /// (language 1.1 `imports:`), as [`SourceFile::file`] finds it.
    pub file: u16,
}

impl Span {
    /// The byte range this span covers.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset.saturating_add(self.len)
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file != 0 {
            write!(f, "#{}:", self.file)?;
        }
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A value together with the place in the spec it came from.
///
/// Its `Debug` output is compact (`"value" @line:col`) so model dumps stay readable.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }

    /// Apply `f` to the value, keeping the span.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned {
            value: f(self.value),
            span: self.span,
        }
    }
}

impl Spanned<String> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            write!(f, "{:#?} @{:?}", self.value, self.span)
        } else {
            write!(f, "{:?} @{:?}", self.value, self.span)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One user-facing problem in a spec.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    /// Its code in the registry ([`codes`]); shown as the stable kebab-case
    /// name, e.g. `unknown-key`. Tests and docs rely on it.
    pub code: Code,
    pub severity: Severity,
    /// Lowercase; quotes the offending value in backticks.
    pub message: String,
    /// The primary location (a caret is drawn under it).
    pub span: Span,
    /// Secondary locations, each with a short note.
    pub labels: Vec<(Span, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with `code`'s severity from the registry.
    pub fn new(code: Code, message: impl Into<String>, span: Span) -> Self {
        Self {
            code,
            severity: code.info().severity,
            message: message.into(),
            span,
            labels: Vec::new(),
            help: None,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push((span, text.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col: message`, e.g.
    /// ``stagecraft.yaml:12:9: unknown key `form` (did you mean `from`?)``.
    pub fn headline(&self, src: &SourceFile) -> String {
        if !self.has_location() {
            return format!("{}: {}", src.name, self.message);
        }
        let src = src.file(self.span.file);
        format!(
            "{}:{}:{}: {}",
            src.name, self.span.line, self.span.col, self.message
        )
    }

    /// Whether the diagnostic points into the file; problems with build
    /// options (e.g. an unknown `--target`) have no location (line 0).
    pub fn has_location(&self) -> bool {
        self.span.line > 0
    }
}

/// The spec's text and the name it is shown under (usually the `-f` file name).
#[derive(Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// Byte offset of the start of each line: line and column lookups cost
    /// O(log lines), not a scan from the start of the file.
    line_starts: std::sync::Arc<Vec<usize>>,
    /// The [`Span::file`] of the spans this file makes: 0 for the spec, `n`
    /// for its `n`th imported file.
    pub id: u16,
    /// The spec's imported files (language 1.1), `n` at index `n - 1`: a
    /// diagnostic or source location in an imported stage is shown in its
    /// own file. Empty in an imported file itself.
    pub imported: std::sync::Arc<Vec<SourceFile>>,
}

impl fmt::Debug for SourceFile {
    // The text is the input itself; repeating it in model dumps is noise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceFile({:?}, {} bytes)", self.name, self.text.len())
    }
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        // YAML's line breaks: LF, CRLF, and a lone CR (as the parser counts them).
        let bytes = text.as_bytes();
        let line_starts = std::iter::once(0)
            .chain(bytes.iter().enumerate().filter_map(|(i, &b)| match b {
                b'\n' => Some(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => Some(i + 1),
                _ => None,
            }))
            .collect();
        Self {
            name: name.into(),
            text,
            line_starts: std::sync::Arc::new(line_starts),
            id: 0,
            imported: std::sync::Arc::default(),
        }
    }

    /// This file as file `id` of a spec's imports: its spans carry the id.
    #[must_use]
    pub fn with_id(mut self, id: u16) -> Self {
        self.id = id;
        self
    }

    /// The file a span with [`Span::file`] `id` points into: this one, or
    /// one of its imported files (this one for an id it does not know).
    pub fn file(&self, id: u16) -> &SourceFile {
        if id == self.id {
            return self;
        }
        usize::from(id)
            .checked_sub(1)
            .and_then(|i| self.imported.get(i))
            .unwrap_or(self)
    }

    /// The byte offset where 1-based `line` starts (the end of the text past the last line).
    fn line_start(&self, line: u32) -> usize {
        let index = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
        self.line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The span of `len` bytes at byte `offset`, with line and column computed
    /// from the text. Offsets past the end are clamped; an offset inside a
    /// multi-byte character is moved back to its start.
    pub fn span_at(&self, offset: usize, len: usize) -> Span {
        let mut offset = offset.min(self.text.len());
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The number of line starts at or before `offset` is the line number.
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let line_start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let col = self
            .text
            .get(line_start..offset)
            .unwrap_or("")
            .chars()
            .count()
            + 1;
        Span {
            offset,
            len: len.min(self.text.len() - offset),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
            file: self.id,
        }
    }

    /// The byte offset of 1-based `line`/`col` (characters), clamped to the text.
    pub fn offset_of(&self, line: u32, col: u32) -> usize {
        let offset = self.line_start(line.max(1));
        if offset >= self.text.len() {
            return self.text.len();
        }
        let line_text = self.line_text_at(offset);
        let within: usize = line_text
            .chars()
            .take(col.saturating_sub(1) as usize)
            .map(char::len_utf8)
            .sum();
        offset + within
    }

    /// The text of the line starting at byte `start`, without its newline.
    fn line_text_at(&self, start: usize) -> &str {
        let rest = self.text.get(start..).unwrap_or("");
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        rest.get(..end).unwrap_or("").trim_end_matches('\r')
    }

    /// The text of 1-based `line`, without its newline (empty past the end).
    pub fn line_text(&self, line: u32) -> &str {
        let start = self.offset_of(line, 1);
        if line > 1 && start >= self.text.len() && !self.text.ends_with('\n') {
            return "";
        }
        self.line_text_at(start)
    }
}

/// Lines longer than this are shown as a window around the span.
const MAX_LINE_CHARS: usize = 100;

/// Render diagnostics as plain text, one block per diagnostic, like:
///
/// ```text
/// error[unknown-key]: unknown key `form` (did you mean `from`?)
///   --> stagecraft.yaml:12:5
///    |
/// 12 |     form: golang
///    |     ^^^^
/// ```
pub fn render(diags: &[Diagnostic], src: &SourceFile) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().take(MAX_RENDERED).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_one(&mut out, d, src);
    }
    if let Some(rest) = diags.len().checked_sub(MAX_RENDERED).filter(|n| *n > 0) {
        let errors = diags
            .iter()
            .skip(MAX_RENDERED)
            .filter(|d| d.is_error())
            .count();
        let _ = writeln!(
            out,
            "\n... and {rest} more diagnostics ({errors} errors, {} warnings) not shown",
            rest - errors
        );
    }
    out
}

/// At most this many diagnostics are rendered; a count stands for the rest.
pub const MAX_RENDERED: usize = 200;

struct Mark<'a> {
    span: Span,
    text: &'a str,
    primary: bool,
}

fn render_one(out: &mut String, d: &Diagnostic, src: &SourceFile) {
    let src = if d.has_location() {
        src.file(d.span.file)
    } else {
        src
    };
    let _ = writeln!(out, "{}[{}]: {}", d.severity.as_str(), d.code, d.message);
    if !d.has_location() {
        let _ = writeln!(out, " --> {}", src.name);
        if let Some(h) = &d.help {
            let _ = writeln!(out, "  = help: {h}");
        }
        return;
    }
    let mut marks = vec![Mark {
        span: d.span,
        text: "",
        primary: true,
    }];
    marks.extend(d.labels.iter().map(|(span, text)| Mark {
        span: *span,
        text,
        primary: false,
    }));
    marks.sort_by_key(|m| (m.span.line, m.span.col, !m.primary));
    let max_line = marks.iter().map(|m| m.span.line).max().unwrap_or(1);
    let gutter = max_line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}--> {}:{}:{}", src.name, d.span.line, d.span.col);
    let _ = writeln!(out, "{pad} |");
    let mut last_line: Option<u32> = None;
    for m in &marks {
        if m.span.line == 0 {
            continue; // no location (should not happen for spec diagnostics)
        }
        if last_line != Some(m.span.line) {
            if let Some(prev) = last_line {
                if m.span.line > prev + 1 {
                    let _ = writeln!(out, "{pad} :");
                }
            }
            let (shown, _) = window(src.line_text(m.span.line), m.span.col);
            let _ = writeln!(out, "{:>gutter$} | {}", m.span.line, shown);
            last_line = Some(m.span.line);
        }
        let line_text = src.line_text(m.span.line);
        let (_, skipped) = window(line_text, m.span.col);
        let col = (m.span.col as usize).saturating_sub(1);
        // Width in characters of the span on its first line (at least one caret).
        let rest: String = line_text.chars().skip(col).collect();
        let span_text = src.text.get(m.span.range()).unwrap_or("");
        let first_line = span_text.split('\n').next().unwrap_or("");
        let width = first_line.chars().count().min(rest.chars().count()).max(1);
        let indent = col.saturating_sub(skipped) + usize::from(skipped > 0) * 3;
        let marker = if m.primary { "^" } else { "-" };
        let mut line = format!("{pad} | {}{}", " ".repeat(indent), marker.repeat(width));
        if !m.text.is_empty() {
            line.push(' ');
            line.push_str(m.text);
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{pad} = help: {help}");
    }
}

/// The part of `line` to print so that column `col` is visible, and how many
/// characters were skipped at the start (shown as `...`).
fn window(line: &str, col: u32) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= MAX_LINE_CHARS {
        return (line.replace('\t', " "), 0);
    }
    // A column past the end of the line shows the line's end.
    let col = (col as usize).saturating_sub(1).min(chars.len());
    let start = col.saturating_sub(MAX_LINE_CHARS / 2);
    let end = start.saturating_add(MAX_LINE_CHARS).min(chars.len());
    let mut s = String::new();
    if start > 0 {
        s.push_str("...");
    }
    s.extend(chars.iter().skip(start).take(end.saturating_sub(start)));
    if end < chars.len() {
        s.push_str("...");
    }
    (s.replace('\t', " "), start)
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let word_len = word.chars().count();
    // Longer words are not typed by hand, and comparing them costs their
    // product of lengths: no suggestion.
    if word_len > MAX_SUGGESTION_CHARS {
        return None;
    }
    let word_lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter_map(|c| {
            let c_len = c.chars().count();
            let len = c_len.max(word_len);
            let allowed = 2.min(len.saturating_sub(1)).max(len / 3);
            // The distance is at least the difference in length: skip
            // candidates that cannot be close enough without comparing.
            if c_len > MAX_SUGGESTION_CHARS || c_len.abs_diff(word_len) > allowed {
                return None;
            }
            Some((
                strsim::damerau_levenshtein(&word_lower, &c.to_lowercase()),
                c,
                allowed,
            ))
        })
        .filter(|(d, _, allowed)| d <= allowed)
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, c, _)| c)
}

/// Words and candidates longer than this get no "did you mean".
pub const MAX_SUGGESTION_CHARS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_past_the_end_of_a_long_line_shows_its_end() {
        // Found by fuzzing: the column of a parser error after many lone CRs.
        let line = "x".repeat(150);
        let (shown, start) = window(&line, 10_000);
        assert!(shown.starts_with("...") && start == 100, "{shown}");
    }

    #[test]
    fn lone_carriage_returns_break_lines_as_in_yaml() {
        let src = SourceFile::new("f", "a: 1\rb: 2\r\nc: 3\n");
        assert_eq!(src.span_at(5, 1).line, 2);
        assert_eq!(src.line_text(2), "b: 2");
        assert_eq!(src.span_at(11, 1).line, 3);
    }

    #[test]
    fn span_at_counts_lines_and_chars() {
        let src = SourceFile::new("f", "a: 1\nbé: x\n");
        let s = src.span_at(9, 1);
        assert_eq!((s.line, s.col), (2, 4));
        assert_eq!(src.offset_of(2, 4), 9);
        assert_eq!(src.line_text(2), "bé: x");
        assert_eq!(src.line_text(3), "");
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("form", ["from", "steps"]), Some("from"));
        assert_eq!(did_you_mean("xyz", ["from", "steps"]), None);
        assert_eq!(
            did_you_mean("rnu", ["run", "copy", "add", "mkdir"]),
            Some("run")
        );
    }
}
