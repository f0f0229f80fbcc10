//! Whether a path of the build context is excluded by the ignore file's
//! patterns, as BuildKit's pattern matcher (moby/patternmatcher) decides
//! when it sends the context: patterns are `/`-separated globs (`*` and
//! `?` within a component, `[...]` classes, `\` escapes, `**` for any number
//! of components); a pattern that matches a directory excludes what is in
//! it; `!pattern` includes again; the last matching pattern wins.
//!
//! This module only answers the question for lint rules; the exclusion
//! itself is the engine's (the patterns go into the local source).

/// Whether `path` (relative to the context's root) is excluded.
pub(crate) fn excluded(patterns: &[String], path: &str) -> bool {
    let path: Vec<&str> = components(path);
    let mut out = false;
    for p in patterns {
        let (negated, p) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, p.as_str()),
        };
        let pattern = components(p);
        // The path or one of its parent directories.
        let hit = (1..=path.len()).any(|n| {
            path.get(..n)
                .is_some_and(|prefix| matches(&pattern, prefix))
        });
        if hit {
            out = !negated;
        }
    }
    out
}

/// A path's components, without `.` and empty ones.
fn components(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// Whether the pattern's components match the path's, `**` matching any
/// number of components.
fn matches(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => {
            (0..=path.len()).any(|skip| path.get(skip..).is_some_and(|p| matches(rest, p)))
        }
        Some((first, rest)) => match path.split_first() {
            Some((name, more)) => glob(first.as_bytes(), name.as_bytes()) && matches(rest, more),
            None => false,
        },
    }
}

/// One component: `*`, `?`, `[...]` (with `^` or `!` negation and ranges),
/// `\` escapes.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| s.get(i..).is_some_and(|t| glob(rest, t))),
        Some((b'?', rest)) => s.split_first().is_some_and(|(_, t)| glob(rest, t)),
        Some((b'[', rest)) => {
            let Some((&c, t)) = s.split_first() else {
                return false;
            };
            let (negated, class) = match rest.split_first() {
                Some((b'^' | b'!', r)) => (true, r),
                Some(_) | None => (false, rest),
            };
            let Some(end) = class.iter().skip(1).position(|b| *b == b']').map(|i| i + 1) else {
                // No closing `]`: a literal `[`.
                return c == b'[' && glob(rest, t);
            };
            let (set, after) = (
                class.get(..end).unwrap_or(&[]),
                class.get(end + 1..).unwrap_or(&[]),
            );
            let mut hit = false;
            let mut i = 0;
            while let Some(&a) = set.get(i) {
                if set.get(i + 1) == Some(&b'-') {
                    if let Some(&b) = set.get(i + 2) {
                        hit |= (a..=b).contains(&c);
                        i += 3;
                        continue;
                    }
                }
                hit |= a == c;
                i += 1;
            }
            hit != negated && glob(after, t)
        }
        Some((b'\\', rest)) => match (rest.split_first(), s.split_first()) {
            (Some((a, r)), Some((b, t))) => a == b && glob(r, t),
            _ => false,
        },
        Some((a, rest)) => s
            .split_first()
            .is_some_and(|(b, t)| a == b && glob(rest, t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(patterns: &[&str], path: &str) -> bool {
        let p: Vec<String> = patterns.iter().map(|s| (*s).to_owned()).collect();
        excluded(&p, path)
    }

    #[test]
    fn patterns_as_the_ignore_file_means_them() {
        assert!(ex(&["node_modules"], "node_modules"));
        assert!(
            ex(&["node_modules"], "node_modules/a/b.js"),
            "a directory excludes its content"
        );
        assert!(
            !ex(&["node_modules"], "src/node_modules"),
            "patterns are rooted"
        );
        assert!(ex(&["**/node_modules"], "src/node_modules/x"));
        assert!(ex(&["*.log"], "debug.log"));
        assert!(
            !ex(&["*.log"], "logs/debug.log"),
            "`*` stays in one component"
        );
        assert!(ex(&["**/*.log"], "logs/debug.log"));
        assert!(ex(&["secret?.txt"], "secret1.txt"));
        assert!(ex(&["file[0-9].txt"], "file7.txt") && !ex(&["file[!0-9].txt"], "file7.txt"));
        assert!(
            !ex(&["*.md", "!README.md"], "README.md"),
            "the last match wins"
        );
        assert!(ex(&["*.md", "!README.md", "README*"], "README.md"));
        assert!(!ex(&[], "a"));
    }
}
