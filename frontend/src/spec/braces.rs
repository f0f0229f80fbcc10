//! The one extension of YAML the spec allows: `${...}` inside plain scalars in
//! flow collections, as in the contract's `{ from: build, path: /out/${APP} }`.
//!
//! YAML 1.2 ends a plain scalar at `{` inside a flow collection, so such a
//! document is not valid YAML. [`Masks::find`] runs the YAML scanner over the
//! original text and finds each plain scalar in a flow collection that ends in
//! `$` right before a `{`; the braces of that reference (and of references
//! nested in it) are replaced by two characters that occur nowhere on those
//! lines, one byte for one byte, so every offset stays valid. After parsing the
//! masked text, [`Masks::restore`] puts the braces back, and only at the masked
//! offsets of the scalar that contains them: no other scalar is touched, so a
//! backtick or `^` that a quoted string spells as an escape stays what it is.
//!
//! Exactness: the caller parses the original text first and masks only when
//! that fails, so a valid YAML document always means what YAML says. After the
//! masked parse, every masked reference must lie whole inside one plain scalar
//! whose value holds exactly its masked characters; otherwise [`Masks::check`]
//! refuses the document with a diagnostic that asks for quotes, rather than
//! guess.
//!
//! This module does NOT parse YAML or variables: it only finds and restores
//! brace positions.

use crate::diag::{Code, Diagnostic, SourceFile, Span};
use granit_parser::{ScalarStyle, Scanner, StrInput, TokenType};
use std::collections::BTreeSet;

/// Characters that can stand in for a brace in the middle of a plain scalar:
/// one byte each and never a YAML indicator there.
const CANDIDATES: &[u8] =
    b"`^~|;=()+@%&!<>ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The masked braces of one document.
#[derive(Debug)]
pub struct Masks {
    /// The masked text (same length as the original).
    pub text: String,
    open: char,
    close: char,
    /// One `${...}` reference each: the offsets of its `{` and its `}`.
    refs: Vec<(usize, usize)>,
    /// Every masked offset, for lookups by span.
    offsets: BTreeSet<usize>,
}

impl Masks {
    /// The masks for `text`, or None when it has no `${` in a flow collection
    /// (or the scanner stops before finding one: the original parse error is
    /// then the one to show).
    pub fn find(text: &str) -> Option<Masks> {
        let refs = flow_references(text);
        if refs.is_empty() {
            return None;
        }
        let bytes = text.as_bytes();
        let mut offsets = BTreeSet::new();
        let mut used = [false; 256];
        let mut last_line_end = 0;
        for &(open, close) in &refs {
            offsets.insert(open);
            offsets.insert(close);
            // The characters of the lines the reference's scalar may span.
            let start = text
                .get(..open)
                .and_then(|t| t.rfind('\n'))
                .map_or(0, |i| i + 1)
                .max(last_line_end);
            let end = text
                .get(close..)
                .and_then(|t| t.find('\n'))
                .map_or(text.len(), |i| close + i);
            for &b in bytes.get(start..end).unwrap_or(&[]) {
                if let Some(u) = used.get_mut(usize::from(b)) {
                    *u = true;
                }
            }
            last_line_end = last_line_end.max(end);
        }
        let mut free = CANDIDATES
            .iter()
            .copied()
            .filter(|&b| !used.get(usize::from(b)).copied().unwrap_or(true));
        let (open, close) = (char::from(free.next()?), char::from(free.next()?));
        let mut masked = bytes.to_vec();
        for &(o, c) in &refs {
            // Nested references: every `{` after a `$` and every `}` in between.
            let mut depth = 0usize;
            for i in o..=c {
                let prev = i.checked_sub(1).and_then(|p| bytes.get(p)).copied();
                let replacement = match bytes.get(i) {
                    Some(b'{') if i == o || prev == Some(b'$') => {
                        depth += 1;
                        open
                    }
                    Some(b'}') if depth > 0 => {
                        depth -= 1;
                        close
                    }
                    _ => continue,
                };
                offsets.insert(i);
                if let Some(b) = masked.get_mut(i) {
                    *b = replacement as u8;
                }
            }
        }
        // Only ASCII bytes were replaced by ASCII bytes: still UTF-8.
        let text = String::from_utf8(masked).ok()?;
        Some(Masks {
            text,
            open,
            close,
            refs,
            offsets,
        })
    }

    /// The value of a string scalar defined at `defined` (its token span in
    /// the source), with its masked braces put back. `covered` collects the
    /// references restored so far. Err when the scalar holds masked
    /// characters that are not its own (then the document is refused).
    pub fn restore(
        &self,
        value: String,
        defined: Span,
        src: &SourceFile,
        covered: &mut BTreeSet<usize>,
    ) -> Result<String, Diagnostic> {
        let range = defined.range();
        let inside: Vec<usize> = self.offsets.range(range.clone()).copied().collect();
        if inside.is_empty() {
            return Ok(value);
        }
        let plain = !matches!(
            src.text.as_bytes().get(defined.offset),
            Some(b'"' | b'\'' | b'|' | b'>')
        );
        let found = value
            .chars()
            .filter(|&c| c == self.open || c == self.close)
            .count();
        if !plain || found != inside.len() {
            return Err(self.refused(inside.first().copied().unwrap_or(defined.offset), src));
        }
        for &(o, c) in &self.refs {
            if range.contains(&o) && range.contains(&c) {
                covered.insert(o);
            }
        }
        let mut out = String::with_capacity(value.len());
        for ch in value.chars() {
            out.push(match ch {
                c if c == self.open => '{',
                c if c == self.close => '}',
                c => c,
            });
        }
        Ok(out)
    }

    /// After every scalar was restored: each reference must have been
    /// restored whole by one scalar.
    pub fn check(&self, covered: &BTreeSet<usize>, src: &SourceFile) -> Result<(), Diagnostic> {
        match self.refs.iter().find(|(o, _)| !covered.contains(o)) {
            Some(&(o, _)) => Err(self.refused(o, src)),
            None => Ok(()),
        }
    }

    fn refused(&self, offset: usize, src: &SourceFile) -> Diagnostic {
        // Point at the `$` before the brace.
        let at = offset.saturating_sub(1);
        Diagnostic::new(
            Code::YamlSyntax,
            "invalid yaml: this `${...}` cannot be read inside a flow collection".to_string(),
            src.span_at(at, 2),
        )
        .with_help("quote the value (`path: \"/out/${APP}\"`) or write the mapping in block style")
    }
}

/// The `${` references in plain scalars inside flow collections, as the
/// offsets of their opening and closing braces (on one line).
fn flow_references(text: &str) -> Vec<(usize, usize)> {
    let mut refs = Vec::new();
    let mut depth = 0usize;
    // A plain scalar in a flow collection ending in `$`: its end offset.
    let mut dollar_end: Option<usize> = None;
    // Offsets before this one belong to a reference already found.
    let mut skip_to = 0usize;
    for token in Scanner::new(StrInput::new(text)) {
        let Ok(token) = token else { break };
        let span = token.span();
        let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset()) else {
            break;
        };
        let after_dollar = dollar_end.take();
        if start < skip_to {
            continue;
        }
        match token.token_type() {
            TokenType::FlowMappingStart => {
                if after_dollar == Some(start) {
                    if let Some(close) = closing_brace(text, start) {
                        refs.push((start, close));
                        skip_to = close + 1;
                        continue;
                    }
                }
                depth += 1;
            }
            TokenType::FlowSequenceStart => depth += 1,
            TokenType::FlowMappingEnd | TokenType::FlowSequenceEnd => {
                depth = depth.saturating_sub(1);
            }
            TokenType::Scalar(ScalarStyle::Plain, value)
                if depth > 0 && value.ends_with('$') && text.get(end - 1..end) == Some("$") =>
            {
                dollar_end = Some(end);
            }
            // Every other token leaves the flow depth as it is.
            _ => {}
        }
    }
    refs
}

/// The offset of the `}` that closes the `${` whose `{` is at `open`, counting
/// nested `${`, on the same line.
fn closing_brace(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut prev = 0u8;
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'\n' | b'\r' => return None,
            b'{' if i == open || prev == b'$' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        prev = b;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_in_flow_collections_only() {
        let text =
            "a: [ x${A}, \"q${B}\" ]\nb: { p: /o/${C:-${D}}/e }\nc: |\n  ${E} {y}\nd: ${F}\n";
        let refs = flow_references(text);
        let shown: Vec<&str> = refs.iter().map(|&(o, c)| &text[o - 1..=c]).collect();
        assert_eq!(shown, ["${A}", "${C:-${D}}"]);
        let masks = Masks::find(text).unwrap();
        assert_eq!(masks.text.len(), text.len());
        assert!(masks.text.contains("${E} {y}"), "block scalar untouched");
        assert!(masks.text.contains("\"q${B}\""), "quoted scalar untouched");
        assert!(masks.text.contains("d: ${F}"), "block plain untouched");
    }

    #[test]
    fn unterminated_reference_is_not_masked() {
        assert!(Masks::find("a: [ x${A ]\n").is_none());
    }
}
