//! Property test: every scalar the model receives is, character for
//! character, what YAML gives for the original text, also when `${...}` in a
//! flow collection makes the reader mask braces (`spec::braces`), and every
//! span points into the original text.
//!
//! Scalars are generated from an alphabet rich in what broke before: escapes
//! that spell backticks and `^`, the characters once used as masks
//! (`` `^~|;= ``), braces, `$`, quotes and YAML indicators.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use stagecraft::diag::SourceFile;
use stagecraft::spec::raw::{parse_yaml, Node, Value};

const TRICKY: &[char] = &[
    '`', '^', '~', '|', ';', '=', '{', '}', '$', '"', '\'', '\\', '#', ':', ',', '[', ']', '&',
    '*', '!', '%', '@', '-', '?', ' ', '\t', '\n', 'é', '€', '😀', 'a', 'Z', '0', '/', '.', '_',
];

fn any_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(TRICKY),
            1 => any::<char>().prop_filter("printable", |c| !c.is_control() && *c != '\u{feff}'),
        ],
        0..24,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// A YAML double-quoted scalar for `s`; `escape[i]` escapes char i even when
/// it could stay literal.
fn double_quoted(s: &str, escape: &[bool]) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if escape.get(i).copied().unwrap_or(false) || (c as u32) < 0x20 => {
                let n = c as u32;
                if n < 0x100 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A YAML single-quoted scalar (for strings without line breaks or tabs).
fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A plain scalar safe in block context: starts with a letter, no `: `, ` #`,
/// line breaks or trailing spaces.
fn plain_block() -> impl Strategy<Value = String> {
    "[a-z][a-zA-Z0-9`^~|;=/._${}()+@%&!-]{0,20}"
        .prop_filter("no indicators", |s| !s.contains(": ") && !s.contains(" #"))
}

fn get<'a>(node: &'a Node, key: &str) -> &'a Node {
    let Value::Map(entries) = &node.value else {
        panic!("not a mapping: {node:?}")
    };
    &entries
        .iter()
        .find(|(k, _)| k.as_key() == Some(key))
        .unwrap()
        .1
}

fn string(node: &Node) -> &str {
    match &node.value {
        Value::Str(s) => s,
        other => panic!("not a string: {other:?}"),
    }
}

fn item(node: &Node, i: usize) -> &Node {
    let Value::Seq(items) = &node.value else {
        panic!("not a list")
    };
    &items[i]
}

/// Every span lies in the text, on char boundaries, at the line it names.
fn spans_are_in(node: &Node, src: &SourceFile) {
    let r = node.span.range();
    assert!(r.end <= src.text.len(), "span {r:?} past the end");
    assert!(src.text.is_char_boundary(r.start) && src.text.is_char_boundary(r.end));
    let line = src.text[..r.start].matches('\n').count() + 1;
    assert_eq!(line as u32, node.span.line, "span line of {node:?}");
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| spans_are_in(n, src)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            spans_are_in(k, src);
            spans_are_in(v, src);
        }),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn scalars_round_trip(
        s in any_string(),
        escape in prop::collection::vec(any::<bool>(), 24),
        plain in plain_block(),
        block_lines in prop::collection::vec("[a-z][ -~]{0,30}", 1..4),
        with_flow_reference in any::<bool>(),
    ) {
        let dq = double_quoted(&s, &escape);
        let one_line = !s.contains('\n') && !s.contains('\t');
        let sq = if one_line { single_quoted(&s) } else { dq.clone() };
        let reference = if with_flow_reference { "/out/${APP}" } else { "/out/app" };
        let block: String = block_lines.iter().map(|l| format!("  {}\n", l.trim_end())).collect();
        let text = format!(
            "a: {dq}\nb: {{ p: {reference}, q: {sq} }}\nc: [ {dq}, x${{A:-${{B}}}}y ]\nd: |\n{block}e: {plain}\n"
        );
        let src = SourceFile::new("t.yaml", text.clone());
        let root = parse_yaml(&src).map_err(|d| TestCaseError::fail(format!("{}\n{text}", d.message)))?;
        prop_assert_eq!(string(get(&root, "a")), s.as_str());
        prop_assert_eq!(string(get(get(&root, "b"), "q")), s.as_str());
        prop_assert_eq!(string(get(get(&root, "b"), "p")), reference);
        prop_assert_eq!(string(item(get(&root, "c"), 0)), s.as_str());
        prop_assert_eq!(string(item(get(&root, "c"), 1)), "x${A:-${B}}y");
        let expected_block: String = block_lines.iter().map(|l| format!("{}\n", l.trim_end())).collect();
        prop_assert_eq!(string(get(&root, "d")), expected_block.as_str());
        prop_assert_eq!(string(get(&root, "e")), plain.as_str());
        spans_are_in(&root, &src);
    }
}

/// The two regressions, as plain tests.
#[test]
fn escapes_are_not_unmasked() {
    let text = "a: \"echo \\x60date\\x60 \\u005e\"\nb: { p: /out/${APP} }\n";
    let root = parse_yaml(&SourceFile::new("t.yaml", text)).unwrap();
    assert_eq!(string(get(&root, "a")), "echo `date` ^");
    assert_eq!(string(get(get(&root, "b"), "p")), "/out/${APP}");
}

#[test]
fn every_mask_character_in_the_file_still_parses() {
    let text = "run: |\n  test -d ~/.cache; X=0 go build | grep -v '^#' `a`\nb: { p: /out/${APP}, q: x }\n";
    let root = parse_yaml(&SourceFile::new("t.yaml", text)).unwrap();
    assert_eq!(string(get(get(&root, "b"), "p")), "/out/${APP}");
}

#[test]
fn a_reference_split_by_a_comma_is_refused() {
    let text = "a: [ x${A:-y,z}w ]\n";
    let err = parse_yaml(&SourceFile::new("t.yaml", text)).unwrap_err();
    assert_eq!(err.code, "yaml-syntax");
    assert_eq!((err.span.line, err.span.col), (1, 7));
}
