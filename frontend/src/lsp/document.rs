//! One open spec: its text, its analysis (tree, stages, diagnostics), and
//! the conversion between byte offsets and LSP positions (lines and UTF-16
//! code units, the protocol's default encoding).
//!
//! It does not answer requests; the features do, from what it holds.

use lsp_types::{Position, Range};

use crate::diag::{SourceFile, Span};
use crate::spec::{analyse, Analysis};

pub(super) struct Document {
    pub src: SourceFile,
    pub analysis: Analysis,
    /// The stage names of the last version whose stages could be read, for
    /// completion while the text is broken (as it is while one types).
    pub stage_names: Vec<String>,
}

impl Document {
    pub fn new(name: &str, text: String, previous: Option<&Document>) -> Self {
        let src = SourceFile::new(name, text);
        let analysis = analyse(&src, &std::collections::BTreeSet::new(), None);
        let stage_names = match &analysis.draft {
            Some(d) if !d.stage_names.is_empty() => {
                d.stage_names.iter().map(|n| n.value.clone()).collect()
            }
            Some(_) | None => previous.map(|p| p.stage_names.clone()).unwrap_or_default(),
        };
        Self {
            src,
            analysis,
            stage_names,
        }
    }

    /// The LSP position of byte `offset`.
    pub fn position(&self, offset: usize) -> Position {
        let at = self.src.span_at(offset, 0);
        let line_text = self.src.line_text(at.line);
        let units: usize = line_text
            .chars()
            .take(at.col.saturating_sub(1) as usize)
            .map(char::len_utf16)
            .sum();
        Position::new(
            at.line.saturating_sub(1),
            u32::try_from(units).unwrap_or(u32::MAX),
        )
    }

    /// The byte offset of an LSP position (clamped to its line's end).
    pub fn offset(&self, p: Position) -> usize {
        let line = p.line.saturating_add(1);
        let start = self.src.offset_of(line, 1);
        let line_text = self.src.line_text(line);
        let mut units = 0usize;
        let mut bytes = 0usize;
        for c in line_text.chars() {
            if units >= p.character as usize {
                break;
            }
            units += c.len_utf16();
            bytes += c.len_utf8();
        }
        start + bytes
    }

    /// The range a span covers (a span without a location is the file's start).
    pub fn range(&self, span: Span) -> Range {
        Range::new(
            self.position(span.offset),
            self.position(span.offset.saturating_add(span.len)),
        )
    }

    /// The text of 0-based `line`, without its line break.
    pub fn line(&self, line: u32) -> &str {
        self.src.line_text(line.saturating_add(1))
    }

    /// How many lines the text has.
    pub fn line_count(&self) -> u32 {
        u32::try_from(self.src.text.lines().count()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let doc = Document::new("s.yaml", "a: é😀x\nb: 1\n".to_owned(), None);
        // `x` is after a 2-byte and a 4-byte character: 1 + 2 UTF-16 units.
        let x = doc.src.text.find('x').unwrap_or_default();
        assert_eq!(doc.position(x), Position::new(0, 6));
        assert_eq!(doc.offset(Position::new(0, 6)), x);
        let b = doc.src.text.find('b').unwrap_or_default();
        assert_eq!(doc.position(b), Position::new(1, 0));
        assert_eq!(doc.offset(Position::new(1, 99)), doc.src.text.len() - 1);
    }
}
