//! A small YAML writer for converted specs: block mappings and lists in
//! the order given, comment lines above entries, and scalars quoted only
//! when YAML would read them as something else. Deterministic: the same
//! tree gives the same bytes.
//!
//! It knows nothing of the spec's keys.

/// A YAML value to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Y {
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
    List(Vec<Entry<Y>>),
    Map(Vec<Entry<(String, Y)>>),
}

/// A list item or mapping entry with the comment lines above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<T> {
    pub comments: Vec<String>,
    pub value: T,
}

impl<T> Entry<T> {
    pub fn new(value: T) -> Self {
        Self {
            comments: Vec::new(),
            value,
        }
    }
}

/// A mapping from `(key, value)` pairs, no comments.
pub fn map(entries: Vec<(&str, Y)>) -> Y {
    Y::Map(
        entries
            .into_iter()
            .map(|(k, v)| Entry::new((k.to_owned(), v)))
            .collect(),
    )
}

pub fn s(text: &str) -> Y {
    Y::Str(text.to_owned())
}

/// Whether a plain scalar `text` would be read back as this same string.
fn plain_ok(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let reserved = matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
    );
    let numeric = text.parse::<f64>().is_ok()
        || text.starts_with("0x")
        || text.starts_with("0o")
        || text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == ':');
    !reserved
        && !numeric
        && !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.contains(['\n', '\t', '\r'])
        && text.trim() == text
        && !text.contains('{')
        && !text.contains('}')
        && !text.contains('[')
        && !text.contains(']')
        && !text.contains(',')
}

fn scalar(text: &str) -> String {
    if plain_ok(text) {
        return text.to_owned();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn comments(out: &mut String, pad: &str, lines: &[String]) {
    for l in lines {
        if l.is_empty() {
            out.push_str(&format!("{pad}#\n"));
        } else {
            out.push_str(&format!("{pad}# {l}\n"));
        }
    }
}

/// A value that fits after `key: ` or `- ` on one line, if it does.
fn inline(v: &Y) -> Option<String> {
    match v {
        Y::Str(t) => Some(scalar(t)),
        Y::Int(i) => Some(i.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        Y::Null => Some(String::new()),
        Y::List(items) if items.is_empty() => Some("[]".to_owned()),
        Y::Map(entries) if entries.is_empty() => Some("{}".to_owned()),
        Y::List(items) => {
            // Short lists of scalars without comments: flow style.
            let parts: Option<Vec<String>> = items
                .iter()
                .map(|e| match &e.value {
                    Y::Str(_) | Y::Int(_) | Y::Bool(_) if e.comments.is_empty() => inline(&e.value),
                    Y::Str(_) | Y::Int(_) | Y::Bool(_) | Y::Null | Y::List(_) | Y::Map(_) => None,
                })
                .collect();
            let joined = format!("[{}]", parts?.join(", "));
            (joined.len() <= 72).then_some(joined)
        }
        Y::Map(_) => None,
    }
}

fn write(out: &mut String, v: &Y, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Y::Map(entries) => {
            for e in entries {
                comments(out, &pad, &e.comments);
                let (k, val) = &e.value;
                match inline(val) {
                    Some(t) if t.is_empty() => out.push_str(&format!("{pad}{}:\n", scalar(k))),
                    Some(t) => out.push_str(&format!("{pad}{}: {t}\n", scalar(k))),
                    None => {
                        out.push_str(&format!("{pad}{}:\n", scalar(k)));
                        write(out, val, indent + 2);
                    }
                }
            }
        }
        Y::List(items) => {
            for e in items {
                comments(out, &pad, &e.comments);
                match (&e.value, inline(&e.value)) {
                    (_, Some(t)) => out.push_str(&format!("{pad}- {t}\n")),
                    (Y::Map(_), None) => {
                        // `- first: …` then the other keys under it.
                        let mut inner = String::new();
                        write(&mut inner, &e.value, indent + 2);
                        let body = inner.get(indent + 2..).unwrap_or(&inner);
                        out.push_str(&format!("{pad}- {body}"));
                    }
                    (_, None) => {
                        out.push_str(&format!("{pad}-\n"));
                        write(out, &e.value, indent + 2);
                    }
                }
            }
        }
        Y::Str(_) | Y::Int(_) | Y::Bool(_) | Y::Null => {
            out.push_str(&format!("{pad}{}\n", inline(v).unwrap_or_default()));
        }
    }
}

/// The document's text.
pub fn to_string(v: &Y) -> String {
    let mut out = String::new();
    write(&mut out, v, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar("golang:1.23"), "golang:1.23");
        assert_eq!(scalar("1.23"), "\"1.23\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("echo \"hi\" # x"), "\"echo \\\"hi\\\" # x\"");
        assert_eq!(scalar("65532:65532"), "\"65532:65532\"");
        assert_eq!(scalar(""), "\"\"");
    }

    #[test]
    fn block_style_with_comments() {
        let mut steps = vec![Entry::new(map(vec![
            ("run", s("make")),
            ("cache", Y::List(vec![Entry::new(s("/c"))])),
        ]))];
        steps.push(Entry {
            comments: vec!["then".into()],
            value: map(vec![("copy", s("."))]),
        });
        let doc = map(vec![("version", Y::Int(1)), ("steps", Y::List(steps))]);
        assert_eq!(
            to_string(&doc),
            "version: 1\nsteps:\n  - run: make\n    cache: [/c]\n  # then\n  - copy: .\n"
        );
    }
}
