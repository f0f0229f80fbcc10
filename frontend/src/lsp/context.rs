//! Where the cursor is, read from the text's indentation rather than from
//! the tree: while one types, the YAML is often incomplete (`fr` with no
//! colon yet), and a block-style spec says by its indentation which mapping
//! a line belongs to. The path found is resolved through the key tables.
//!
//! Flow collections (`{from: a, path: /b}`) are not followed: completion
//! inside them offers nothing. This module decides no completion items.

use crate::spec::keys::{Key, Table, Ty};
use crate::steps::STEP_KINDS;

/// What the cursor is on.
#[derive(Debug)]
pub(super) enum Context {
    /// A key of `table` is being written; `present` are its siblings.
    Key {
        table: &'static Table,
        present: Vec<String>,
    },
    /// A step without a kind yet: one of the kind keys.
    StepKind,
    /// The value of `key` (or an item of its list) in `table`.
    Value {
        table: &'static Table,
        key: &'static Key,
    },
    /// A variable after `$` or `${`.
    Variable,
    Nothing,
}

/// A line's parts: its indentation, whether it is a list item (`- `), the
/// column of its key or value, and its key if it has one.
struct Line<'a> {
    indent: usize,
    dash: bool,
    /// The column of the content after `- `.
    content_col: usize,
    key: Option<&'a str>,
}

fn split(text: &str) -> Option<Line<'_>> {
    let indent = text.len() - text.trim_start_matches(' ').len();
    let rest = text.get(indent..)?;
    if rest.is_empty() || rest.starts_with('#') {
        return None;
    }
    let (dash, content, content_col) = match rest.strip_prefix("- ") {
        Some(c) => {
            let pad = c.len() - c.trim_start_matches(' ').len();
            (true, c.trim_start_matches(' '), indent + 2 + pad)
        }
        None if rest == "-" => (true, "", indent + 2),
        None => (false, rest, indent),
    };
    let key = content
        .split_once(':')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !k.contains(' ') && !k.starts_with(['"', '\'', '{', '[']));
    Some(Line {
        indent,
        dash,
        content_col,
        key,
    })
}

/// One step of the path from the top level to the cursor.
#[derive(Debug, PartialEq)]
enum Seg {
    Key(String),
    /// A list item, with the keys written in it.
    Item(Vec<String>),
}

/// The path of the mapping whose keys sit at column `col`, for the cursor
/// on line `at`, from the top: the nearest lines above with a smaller key
/// column are the containers.
fn path(lines: &[&str], at: usize, mut col: usize, mut item: Option<Vec<String>>) -> Vec<Seg> {
    let mut segs = Vec::new();
    if let Some(keys) = item.take() {
        segs.push(Seg::Item(keys));
    }
    let mut i = at;
    while i > 0 && col > 0 {
        i -= 1;
        let Some(l) = lines.get(i).and_then(|t| split(t)) else {
            continue;
        };
        if l.dash && l.content_col == col {
            // The line that opens the list item the cursor is in.
            let mut keys: Vec<String> = l.key.map(str::to_owned).into_iter().collect();
            keys.extend(sibling_keys(lines, i + 1, col));
            segs.push(Seg::Item(keys));
            col = l.indent;
            // The list's key may sit at the dash's column.
            col += 1;
            continue;
        }
        if l.content_col < col {
            if let Some(k) = l.key {
                segs.push(Seg::Key(k.to_owned()));
            }
            col = l.content_col;
        }
    }
    segs.reverse();
    segs
}

/// The keys at column `col` from line `from` on, until a line left of it.
fn sibling_keys(lines: &[&str], from: usize, col: usize) -> Vec<String> {
    let mut out = Vec::new();
    for t in lines.iter().skip(from) {
        let Some(l) = split(t) else { continue };
        if l.content_col < col || (l.dash && l.indent < col) {
            break;
        }
        if l.content_col == col && !l.dash {
            out.extend(l.key.map(str::to_owned));
        }
    }
    out
}

/// The table of the mapping at the end of `path`, if the path is one.
fn resolve(path: &[Seg]) -> Option<Resolved> {
    let mut ty: Ty = Ty::Table(&crate::spec::convert::TOP);
    let mut segs = path.iter().peekable();
    while let Some(seg) = segs.next() {
        ty = match seg {
            // A key of a table, or a name in `args`/`stages` (whose value is
            // the table); `Ty::table` decides, exhaustively, what has keys.
            Seg::Key(k) => match ty {
                Ty::Args(t) | Ty::Stages(t) | Ty::Imports(t) => Ty::Table(t),
                other => other.table()?.key(k)?.ty,
            },
            Seg::Item(keys) => match ty {
                Ty::List(item) => *item,
                Ty::Steps => {
                    let kind = keys
                        .iter()
                        .find_map(|k| STEP_KINDS.iter().find(|d| d.name == k));
                    match kind {
                        Some(d) => Ty::Table(d.table),
                        None if segs.peek().is_none() => return Some(Resolved::Step),
                        None => return None,
                    }
                }
                Ty::Version
                | Ty::Str
                | Ty::Path
                | Ty::Bool
                | Ty::UInt
                | Ty::Command
                | Ty::Strings
                | Ty::OneOrMany
                | Ty::KeyValues
                | Ty::Choice(_)
                | Ty::Table(_)
                | Ty::PathOr(_)
                | Ty::NoneOr(_)
                | Ty::Args(_)
                | Ty::Stages(_)
                | Ty::Imports(_)
                | Ty::Condition
                | Ty::Matrix => return None,
            },
        };
    }
    ty.table().map(Resolved::Table)
}

enum Resolved {
    Table(&'static Table),
    Step,
}

/// The context of the cursor at byte column `col` of 0-based line `at`.
pub(super) fn at(lines: &[&str], at: usize, col: usize) -> Context {
    let Some(text) = lines.get(at) else {
        return Context::Nothing;
    };
    let before = text.get(..col.min(text.len())).unwrap_or(text);
    if let Some(pos) = before.rfind('$') {
        let word = before.get(pos + 1..).unwrap_or("");
        let word = word.strip_prefix('{').unwrap_or(word);
        if word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Context::Variable;
        }
    }
    let indent = before.len() - before.trim_start_matches(' ').len();
    let rest = before.get(indent..).unwrap_or("");
    let (dash, content) = match rest.strip_prefix("- ") {
        Some(c) => (true, c.trim_start_matches(' ')),
        None => (false, rest),
    };
    let content_col = before.len().saturating_sub(content.len());
    let key = content.split_once(':').map(|(k, _)| k.trim());
    // On a `- ` line the cursor is in a new list item: its keys (for the
    // step kind), and the list's key is left of the dash.
    let (search_col, item) = if dash {
        let mut keys: Vec<String> = key.map(str::to_owned).into_iter().collect();
        keys.extend(sibling_keys(lines, at + 1, content_col));
        (indent + 1, Some(keys))
    } else {
        (content_col, None)
    };
    let segs = path(lines, at, search_col, item);
    // `key: partial` or `key: [a, partial`: the value of `key`.
    if let Some(k) = key {
        return match resolve(&segs) {
            Some(Resolved::Table(t)) => match t.key(k) {
                Some(key) => Context::Value { table: t, key },
                None => Context::Nothing,
            },
            Some(Resolved::Step) | None => Context::Nothing,
        };
    }
    if !content
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Context::Nothing;
    }
    // `- partial` under `key:`: an item of a list of values, a new step, or
    // a new mapping of a list of tables.
    if dash {
        let Some((Seg::Key(k), parent)) = segs.len().checked_sub(1).and_then(|n| {
            let parent = segs.get(..n.checked_sub(1)?)?;
            Some((segs.get(n - 1)?, parent))
        }) else {
            return Context::Nothing;
        };
        let Some(Resolved::Table(t)) = resolve(parent) else {
            return Context::Nothing;
        };
        let Some(key) = t.key(k) else {
            return Context::Nothing;
        };
        return match key.ty {
            Ty::Steps => Context::StepKind,
            // A new mapping of a list of tables (`- ` under `artifacts:`).
            Ty::List(&Ty::Table(inner)) => Context::Key {
                table: inner,
                present: Vec::new(),
            },
            // An item of a list of values (or of paths-or-mappings).
            Ty::List(_) => Context::Value { table: t, key },
            // A value list item of a key that takes one value.
            Ty::Version
            | Ty::Str
            | Ty::Path
            | Ty::Bool
            | Ty::UInt
            | Ty::Command
            | Ty::Strings
            | Ty::OneOrMany
            | Ty::KeyValues
            | Ty::Choice(_)
            | Ty::Table(_)
            | Ty::PathOr(_)
            | Ty::NoneOr(_)
            | Ty::Args(_)
            | Ty::Stages(_)
            | Ty::Imports(_)
            | Ty::Condition
            | Ty::Matrix => Context::Value { table: t, key },
        };
    }
    match resolve(&path(lines, at, content_col, None)) {
        Some(Resolved::Table(table)) => Context::Key {
            table,
            present: present_keys(lines, at, content_col),
        },
        Some(Resolved::Step) => Context::StepKind,
        None => Context::Nothing,
    }
}

/// The keys already written beside the cursor's line, in its mapping.
fn present_keys(lines: &[&str], at: usize, col: usize) -> Vec<String> {
    let mut out = sibling_keys(lines, at + 1, col);
    for t in lines.iter().take(at).rev() {
        let Some(l) = split(t) else { continue };
        if l.content_col < col {
            break;
        }
        if l.content_col == col {
            out.extend(l.key.map(str::to_owned));
            if l.dash {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "version: 1
stages:
  build:
    from: golang
    steps:
      - run: make
        net
      - copy: .
        from: 
      - 
  runtime:
    wor
    needs:
      - 
    artifacts:
      - from: build
        pa
";

    fn ctx(line: usize, col: usize) -> Context {
        let lines: Vec<&str> = SPEC.lines().collect();
        at(&lines, line, col)
    }

    #[test]
    fn keys_of_the_mapping_the_line_is_in() {
        match ctx(6, 11) {
            Context::Key { table, present } => {
                assert_eq!(table.name, "run-step");
                assert_eq!(present, ["run"]);
            }
            other => panic!("{other:?}"),
        }
        match ctx(11, 7) {
            Context::Key { table, present } => {
                assert_eq!(table.name, "stage");
                assert!(present.contains(&"needs".to_owned()), "{present:?}");
            }
            other => panic!("{other:?}"),
        }
        match ctx(16, 10) {
            Context::Key { table, .. } => assert_eq!(table.name, "artifact"),
            other => panic!("{other:?}"),
        }
        match ctx(0, 3) {
            Context::Key { table, .. } => assert_eq!(table.name, "spec"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn values_steps_and_variables() {
        match ctx(8, 14) {
            Context::Value { table, key } => {
                assert_eq!((table.name, key.name), ("copy-step", "from"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(ctx(9, 8), Context::StepKind), "{:?}", ctx(9, 8));
        match ctx(13, 8) {
            Context::Value { table, key } => assert_eq!((table.name, key.name), ("stage", "needs")),
            other => panic!("{other:?}"),
        }
        match ctx(3, 10) {
            Context::Value { key, .. } => assert_eq!(key.name, "from"),
            other => panic!("{other:?}"),
        }
        let lines = ["    from: golang:${GO"];
        assert!(matches!(at(&lines, 0, 21), Context::Variable));
    }
}
