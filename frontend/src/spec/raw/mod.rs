//! The raw YAML: the spec text parsed into a tree of spanned nodes.
//!
//! serde-saphyr reads the document (with limits on size, depth, nodes and
//! alias expansion, so alias bombs end in a `yaml-limit` error rather than a
//! hang) into a generic tree where every node, key and scalar keeps its
//! location. We deliberately do not derive typed serde structs: a derived
//! `Deserialize` stops at the first problem, while the spec must report every
//! unknown key and wrong type at once; keys that accept several shapes
//! (`run: "sh" | [argv]`) are also simpler to read from a tree.
//!
//! Scalars keep their source text, so `GO_VERSION: 1.10` is the string `1.10`
//! (not the float `1.1`) and `chmod: 0755` keeps its leading zero.
//!
//! One deliberate extension of YAML: `${...}` may appear in plain scalars
//! inside flow collections (`{ path: /out/${APP} }`, as in the contract's
//! example), where YAML 1.2 would end the scalar at `{`. See [`super::braces`].
//!
//! This module is NOT where the spec's keys are known: `convert` reads this
//! tree into the model. Duplicate mapping keys are kept here (and reported there).

use crate::diag::{Code, Diagnostic, SourceFile, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Spanned as YSpanned};
use std::collections::BTreeSet;
use std::fmt;

use super::braces::Masks;

mod error;
use error::yaml_error;

/// Largest spec accepted, in bytes. Build specs are small; this bounds the work.
pub const MAX_SPEC_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting of mappings and sequences. Real specs need fewer than 10.
pub const MAX_DEPTH: usize = 32;
/// Most nodes (scalars, mappings, sequences), counting alias expansions.
pub const MAX_NODES: usize = 100_000;
/// Most aliases (`*name`) in one document.
pub const MAX_ALIASES: usize = 1_000;
/// Most events replayed by aliases: what actually stops an alias bomb early.
pub const MAX_REPLAYED_EVENTS: usize = 50_000;

/// A YAML node with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the node is used (for an alias: the `*alias` token). For strings
    /// that appear verbatim on one line in the file (plain scalars, quoted ones
    /// without escapes), this is exactly the characters of the value, without
    /// quotes; otherwise it is the whole scalar token or, for mappings and
    /// sequences, their first position.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    /// A boolean, with its source text (`true`, `False`...).
    Bool(bool, String),
    /// An integer, with its source text (`0755`, `8080`, `0x1F`...).
    Int(i128, String),
    /// A float, with its source text (`1.10`, `.inf`...).
    Float(String),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in file order; duplicate keys are kept.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The article and noun for this kind of node, for "expected X, found Y".
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(..) => "a boolean",
            Value::Int(..) => "an integer",
            Value::Float(..) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The string of a string key, for mapping keys.
    pub fn as_key(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            Value::Int(_, t) | Value::Float(t) | Value::Bool(_, t) => Some(t),
            _ => None,
        }
    }
}

/// serde's view of the tree: saphyr's `Spanned` at every level.
enum Tree {
    Null,
    Bool(bool),
    Int(i128),
    Float,
    Str(String),
    Seq(Vec<YSpanned<Tree>>),
    Map(Vec<(YSpanned<Tree>, YSpanned<Tree>)>),
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Tree::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Tree, E> {
        Ok(Tree::Int(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Tree, E> {
        Ok(i128::try_from(v).map_or(Tree::Float, Tree::Int))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Tree, E> {
        Ok(Tree::Float)
    }
    fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Tree, E> {
        Ok(Tree::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<YSpanned<Tree>>()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<YSpanned<Tree>>()? {
            let value = map.next_value::<YSpanned<Tree>>()?;
            entries.push((key, value));
        }
        Ok(Tree::Map(entries))
    }
}

/// Parse the spec text into a node tree, or one `yaml-syntax` / `yaml-limit` diagnostic.
pub fn parse_yaml(src: &SourceFile) -> Result<Node, Diagnostic> {
    if src.text.len() > MAX_SPEC_BYTES {
        return Err(Diagnostic::new(
            Code::YamlLimit,
            format!(
                "the spec is too large ({} bytes; the limit is {MAX_SPEC_BYTES})",
                src.text.len()
            ),
            src.span_at(0, 0),
        ));
    }
    let parsed = serde_saphyr::from_str_with_options::<YSpanned<Tree>>(&src.text, options());
    let err = match parsed {
        Ok(tree) => return lower(tree, src, None, &mut BTreeSet::new()),
        Err(err) => err,
    };
    // Not YAML as written: perhaps only because of `${...}` in flow collections.
    let masks = if src.text.contains("${") {
        Masks::find(&src.text)
    } else {
        None
    };
    let Some(masks) = masks else {
        return Err(yaml_error(&err, src));
    };
    match serde_saphyr::from_str_with_options::<YSpanned<Tree>>(&masks.text, options()) {
        Ok(tree) => {
            let mut covered = BTreeSet::new();
            let node = lower(tree, src, Some(&masks), &mut covered)?;
            masks.check(&covered, src)?;
            Ok(node)
        }
        Err(err) => Err(yaml_error(&err, src)),
    }
}

/// The parser's limits and policies.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_aliases: MAX_ALIASES,
            max_documents: 1,
            // The alias count and replay limits bound alias bombs; the ratio
            // heuristic would refuse one anchor shared by 120 stages.
            enforce_alias_anchor_ratio: false,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_REPLAYED_EVENTS,
        },
        // Kept so that we can report them ourselves, with both locations.
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        // `<<` reaches us as a key; `lower` merges (and refuses two in one mapping).
        merge_keys: serde_saphyr::MergeKeyPolicy::AsOrdinary,
        // `yes`/`no`/`on`/`off` stay strings: `parents: yes` is a type error,
        // not a silent boolean (the "Norway problem").
        strict_booleans: true,
        // `.nan` and `.inf` are numbers like others: kept as written.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
    }
}

fn span_of(loc: &serde_saphyr::Location, src: &SourceFile) -> Span {
    let s = loc.span();
    match (s.byte_offset(), s.byte_len()) {
        (Some(off), Some(len)) => {
            let offset = usize::try_from(off).unwrap_or(usize::MAX);
            let len = usize::try_from(len).unwrap_or(0);
            Span {
                offset: offset.min(src.text.len()),
                len: len.min(src.text.len().saturating_sub(offset)),
                line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
                col: u32::try_from(loc.column()).unwrap_or(u32::MAX),
                file: src.id,
            }
        }
        _ => {
            let line = u32::try_from(loc.line()).unwrap_or(u32::MAX);
            let col = u32::try_from(loc.column()).unwrap_or(u32::MAX);
            src.span_at(src.offset_of(line, col), 0)
        }
    }
}

/// Convert saphyr's tree into ours, attaching source text and exact spans,
/// and putting back the braces that `masks` stood in for.
fn lower(
    node: YSpanned<Tree>,
    src: &SourceFile,
    masks: Option<&Masks>,
    covered: &mut BTreeSet<usize>,
) -> Result<Node, Diagnostic> {
    let span = span_of(&node.referenced, src);
    let defined = span_of(&node.defined, src);
    let is_alias = node.referenced != node.defined;
    // The scalar's source text, from where it is defined (aliases included).
    let text = || src.text.get(defined.range()).unwrap_or("").to_string();
    let value = match node.value {
        Tree::Null => Value::Null,
        Tree::Bool(b) => Value::Bool(b, text()),
        Tree::Int(i) => Value::Int(i, text()),
        Tree::Float => {
            let t = text();
            // An integer too large for i128 is still an integer: it keeps its
            // text, and its value saturates, so every numeric use refuses it
            // as out of range instead of calling it a non-integer.
            let digits = t.strip_prefix(['-', '+']).unwrap_or(&t);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let value = if t.starts_with('-') {
                    i128::MIN
                } else {
                    i128::MAX
                };
                Value::Int(value, t)
            } else {
                Value::Float(t)
            }
        }
        Tree::Str(s) => {
            let s = match masks {
                Some(m) => m.restore(s, defined, src, covered)?,
                None => s,
            };
            let span = if is_alias {
                span
            } else if s.is_empty() && !starts_quoted(span, src) {
                empty_block_header(span, src).unwrap_or(span)
            } else {
                exact_span(&s, span, src)
            };
            return Ok(Node {
                value: Value::Str(s),
                span,
            });
        }
        Tree::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|i| lower(i, src, masks, covered))
                .collect::<Result<_, _>>()?,
        ),
        Tree::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            let mut merge: Option<(Span, Node)> = None;
            for (k, v) in entries {
                let k = lower(k, src, masks, covered)?;
                let v = lower(v, src, masks, covered)?;
                if !is_merge_key(&k, src) {
                    out.push((k, v));
                } else if let Some((first, _)) = &merge {
                    return Err(Diagnostic::new(
                        Code::DuplicateKey,
                        "duplicate merge key `<<`",
                        k.span,
                    )
                    .with_label(*first, "first defined here")
                    .with_help("merge several mappings with one key: `<<: [*a, *b]`"));
                } else {
                    merge = Some((k.span, v));
                }
            }
            if let Some((_, from)) = merge {
                merge_into(&mut out, from)?;
            }
            Value::Map(out)
        }
    };
    Ok(Node { value, span })
}

/// A plain `<<` key: YAML's merge key (a quoted `"<<"` is an ordinary key).
fn is_merge_key(key: &Node, src: &SourceFile) -> bool {
    let quoted = key
        .span
        .offset
        .checked_sub(1)
        .and_then(|i| src.text.get(i..=i))
        .is_some_and(|c| c == "'" || c == "\"");
    matches!(&key.value, Value::Str(k) if k == "<<") && !quoted
}

/// Applies a merge key's value (a mapping, or a list of mappings) to the
/// entries of its mapping, as YAML's merge key type does: the mapping's own
/// keys win, then the earlier of the merged mappings. Merging happens here,
/// not in the parser, so that two `<<` keys in one mapping are an error
/// rather than one of them silently lost.
fn merge_into(out: &mut Vec<(Node, Node)>, from: Node) -> Result<(), Diagnostic> {
    let not_mapping = |n: &Node| {
        Diagnostic::new(
            Code::YamlSyntax,
            format!(
                "invalid yaml: a merge key (`<<`) takes a mapping or a list of mappings, not {}",
                n.kind_name()
            ),
            n.span,
        )
    };
    let sources = match from.value {
        Value::Map(entries) => vec![entries],
        Value::Seq(items) => items
            .into_iter()
            .map(|item| match item.value {
                Value::Map(entries) => Ok(entries),
                _ => Err(not_mapping(&item)),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(not_mapping(&from)),
    };
    let mut seen: std::collections::HashSet<String> = out
        .iter()
        .filter_map(|(k, _)| k.as_key().map(str::to_owned))
        .collect();
    for (k, v) in sources.into_iter().flatten() {
        if k.as_key().is_none_or(|name| seen.insert(name.to_owned())) {
            out.push((k, v));
        }
    }
    Ok(())
}

/// The header (`|`, `>-`, ...) of an empty block scalar, which saphyr locates
/// at the token after it: the nearest earlier text, past blank and comment-only
/// lines, if it is a block header. `None` for quoted empty strings (`""`).
fn empty_block_header(token: Span, src: &SourceFile) -> Option<Span> {
    let mut end = token.offset.min(src.text.len());
    loop {
        let start = src.text.get(..end)?.rfind('\n').map_or(0, |i| i + 1);
        let line = src.text.get(start..end)?;
        // A comment starts at `#` after a space (or at the line's start).
        let code = match line.find(" #") {
            Some(i) => &line[..i],
            None if line.trim_start().starts_with('#') => "",
            None => line,
        }
        .trim_end();
        if code.trim_start().is_empty() {
            end = start.checked_sub(1)?;
            continue;
        }
        let header = code.rsplit([' ', '\t']).next()?;
        let mut cs = header.chars();
        let indicators_ok = matches!(cs.next(), Some('|' | '>'))
            && cs.all(|c| c == '+' || c == '-' || c.is_ascii_digit());
        return indicators_ok.then(|| src.span_at(start + code.len() - header.len(), header.len()));
    }
}

/// Whether the token starts with a quote.
fn starts_quoted(token: Span, src: &SourceFile) -> bool {
    matches!(
        src.text.get(token.offset..token.offset + 1),
        Some("\"") | Some("'")
    )
}

/// Narrow a string scalar's token span to its characters when the value
/// appears verbatim (plain, or quoted without escapes, on one line).
fn exact_span(value: &str, token: Span, src: &SourceFile) -> Span {
    if value.contains('\n') {
        return token;
    }
    let quoted = starts_quoted(token, src);
    let start = token.offset + usize::from(quoted);
    if src.text.get(start..start + value.len()) == Some(value) {
        Span {
            offset: start,
            len: value.len(),
            line: token.line,
            col: token.col + u32::from(quoted),
            file: token.file,
        }
    } else {
        token
    }
}
