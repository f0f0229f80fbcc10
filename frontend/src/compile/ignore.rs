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
/// number of components: a table over (pattern, path) positions, so the
/// cost is their product, whatever the pattern.
fn matches(pattern: &[&str], path: &[&str]) -> bool {
    let (n, m) = (pattern.len(), path.len());
    // ok[i * (m + 1) + j]: pattern[i..] matches path[j..].
    let mut ok = vec![false; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    if let Some(end) = ok.get_mut(at(n, m)) {
        *end = true;
    }
    for i in (0..n).rev() {
        for j in (0..=m).rev() {
            let get = |ok: &[bool], i: usize, j: usize| ok.get(at(i, j)).copied().unwrap_or(false);
            let v = match pattern.get(i) {
                Some(&"**") => get(&ok, i + 1, j) || (j < m && get(&ok, i, j + 1)),
                Some(c) => {
                    j < m
                        && path
                            .get(j)
                            .is_some_and(|name| glob(c.as_bytes(), name.as_bytes()))
                        && get(&ok, i + 1, j + 1)
                }
                None => false,
            };
            if let Some(cell) = ok.get_mut(at(i, j)) {
                *cell = v;
            }
        }
    }
    ok.first().copied().unwrap_or(false)
}

/// Where the token of `p` at `i` ends if it matches character `c`: `?`,
/// `[...]` (with `^` or `!` negation and ranges; no closing `]` makes `[` a
/// literal), `\x`, or a literal.
fn one(p: &[u8], i: usize, c: u8) -> Option<usize> {
    match p.get(i)? {
        b'?' => Some(i + 1),
        b'\\' => (p.get(i + 1) == Some(&c)).then_some(i + 2),
        b'[' => {
            let start = i + 1;
            let (negated, first) = match p.get(start) {
                Some(b'^' | b'!') => (true, start + 1),
                Some(_) | None => (false, start),
            };
            let Some(end) = p
                .get(first + 1..)
                .and_then(|rest| rest.iter().position(|b| *b == b']'))
                .map(|k| first + 1 + k)
            else {
                return (c == b'[').then_some(i + 1);
            };
            let set = p.get(first..end).unwrap_or(&[]);
            let mut hit = false;
            let mut k = 0;
            while let Some(&a) = set.get(k) {
                match (set.get(k + 1), set.get(k + 2)) {
                    (Some(b'-'), Some(&b)) => {
                        hit |= (a..=b).contains(&c);
                        k += 3;
                    }
                    _ => {
                        hit |= a == c;
                        k += 1;
                    }
                }
            }
            (hit != negated).then_some(end + 1)
        }
        &a => (a == c).then_some(i + 1),
    }
}

/// One component against a glob: `*` matches any run of characters, the
/// other tokens one each ([`one`]). Greedy with one backtrack point (the
/// last `*`), so the cost is at most the product of the lengths.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = s.get(si) {
        if p.get(pi) == Some(&b'*') {
            pi += 1;
            star = Some((pi, si));
            continue;
        }
        if let Some(next) = one(p, pi, c) {
            pi = next;
            si += 1;
            continue;
        }
        match star {
            Some((after, from)) => {
                pi = after;
                si = from + 1;
                star = Some((after, from + 1));
            }
            None => return false,
        }
    }
    while p.get(pi) == Some(&b'*') {
        pi += 1;
    }
    pi == p.len()
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
        assert!(ex(&["a\\*b"], "a*b") && !ex(&["a\\*b"], "axb"));
        assert!(ex(&["[abc"], "[abc"), "an unclosed class is a literal `[`");
        assert!(ex(&["**/x/**/y"], "a/x/b/c/y"));
    }

    #[test]
    fn patterns_that_would_backtrack_finish() {
        // A backtracking matcher takes exponential time on these (years);
        // this one takes the product of the lengths.
        let name = format!("{}b", "a".repeat(5_000));
        let star = format!("{}c", "*a".repeat(50));
        assert!(!ex(&[&star], &name));
        let deep = vec!["**"; 200].join("/") + "/z";
        let path = vec!["d"; 200].join("/");
        assert!(!ex(&[&deep], &path));
    }
}
