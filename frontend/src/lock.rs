//! The lock file (language 1.1): `<spec file name>.lock` beside the spec,
//! which `--call=lock` prints. It maps every image reference the spec can
//! use to the digest the registry resolved it to, and every git source
//! (`URL#REF`) to its commit:
//!
//! ```yaml
//! version: 1
//! images:
//!   docker.io/library/golang:1.23-alpine: sha256:…
//! git:
//!   "https://git.example/build-specs.git#v1.4.0": 0a1b2c3d4e…
//! ```
//!
//! This module is the file's model: reading it (every problem a
//! `lock-invalid` diagnostic at its line), writing it (sorted, so the same
//! entries give the same bytes) and the `STAGECRAFT_LOCK` mode. Not here:
//! which references a spec uses (`compile::lock_sources`), resolving them
//! (`build::lock`) or pinning them (`build`, `compile::add`).

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, SourceFile};
use crate::options::BuildOptions;
use crate::spec::raw::{self, Node, Value};

/// The build argument that says how a lock file is used.
pub const MODE_ARG: &str = "STAGECRAFT_LOCK";

/// How a build uses the lock file beside the spec (`--build-arg
/// STAGECRAFT_LOCK=…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Pin what the lock names; warn (`lock-missing`) about what it does not.
    Pin,
    /// Pin, and fail on any reference the lock does not name.
    Strict,
    /// Build as if there were no lock file.
    Ignore,
}

impl Mode {
    /// The mode the build's options ask for; an unknown value is an error
    /// naming the option.
    pub fn of(opts: &BuildOptions) -> Result<Mode, String> {
        match opts.build_args.get(MODE_ARG).map(String::as_str) {
            None | Some("") => Ok(Mode::Pin),
            Some("strict") => Ok(Mode::Strict),
            Some("ignore") => Ok(Mode::Ignore),
            Some(other) => Err(format!(
                "--build-arg {MODE_ARG}={other}: the lock modes are `strict` and `ignore` (or leave it out to pin what the lock names)"
            )),
        }
    }
}

/// A lock file's entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lock {
    /// Normalised image reference → `sha256:…` manifest (or index) digest.
    pub images: BTreeMap<String, String>,
    /// `URL#REF` (or `URL`) → commit.
    pub git: BTreeMap<String, String>,
}

/// The lock file's key of a git source: `URL#REF`, or the URL alone.
pub fn git_key(url: &str, reference: &str) -> String {
    if reference.is_empty() {
        url.to_owned()
    } else {
        format!("{url}#{reference}")
    }
}

/// The lock file name beside a spec named `filename`.
pub fn file_name(filename: &str) -> String {
    format!("{filename}.lock")
}

impl Lock {
    /// The lock file's text: `version`, then `images` and `git`, each
    /// sorted. Image references are plain YAML keys (their characters are
    /// safe there); git keys are double-quoted (a URL may hold `#`).
    pub fn render(&self) -> String {
        let mut out = String::from("version: 1\n");
        out.push_str(if self.images.is_empty() {
            "images: {}\n"
        } else {
            "images:\n"
        });
        for (reference, digest) in &self.images {
            out.push_str(&format!("  {reference}: {digest}\n"));
        }
        out.push_str(if self.git.is_empty() {
            "git: {}\n"
        } else {
            "git:\n"
        });
        for (source, commit) in &self.git {
            // A commit of digits (and `e`) alone would read as a number.
            let commit = if commit.bytes().all(|b| b.is_ascii_digit() || b == b'e') {
                quoted(commit)
            } else {
                commit.clone()
            };
            out.push_str(&format!("  {}: {commit}\n", quoted(source)));
        }
        out
    }

    /// Reads a lock file; every problem is a `lock-invalid` error at its line.
    pub fn read(src: &SourceFile) -> Result<Lock, Vec<Diagnostic>> {
        let root = raw::parse_yaml(src).map_err(|d| vec![relabel(d)])?;
        let mut diags = Vec::new();
        let mut lock = Lock::default();
        let bad = |message: String, node: &Node| {
            Diagnostic::new(Code::LockInvalid, message, node.span)
                .with_help("make it again with `docker buildx build --call=lock …`, or delete it")
        };
        let Value::Map(entries) = &root.value else {
            return Err(vec![bad(
                "a lock file is a mapping with `version`, `images` and `git`".to_owned(),
                &root,
            )]);
        };
        let mut version = false;
        for (k, v) in entries {
            let key = match &k.value {
                Value::Str(s) => s.as_str(),
                _ => {
                    diags.push(bad(
                        "a lock file's keys are `version`, `images` and `git`".to_owned(),
                        k,
                    ));
                    continue;
                }
            };
            match key {
                "version" => {
                    version = true;
                    if !matches!(&v.value, Value::Int(1, _)) {
                        diags.push(bad("this lock file version is not known: the version is `1`".to_owned(), v));
                    }
                }
                "images" => read_map(v, "images", &mut lock.images, is_digest, "a digest `sha256:` and 64 hex digits", &mut diags),
                "git" => read_map(v, "git", &mut lock.git, is_commit, "a commit (40 or 64 hex digits)", &mut diags),
                other => diags.push(bad(
                    format!("unknown key `{other}` in the lock file: its keys are `version`, `images` and `git`"),
                    k,
                )),
            }
        }
        if !version {
            diags.push(bad("the lock file has no `version: 1`".to_owned(), &root));
        }
        if diags.is_empty() {
            Ok(lock)
        } else {
            Err(diags)
        }
    }
}

/// A YAML error of the lock file, under the lock's code.
fn relabel(d: Diagnostic) -> Diagnostic {
    Diagnostic {
        code: Code::LockInvalid,
        ..d
    }
}

/// One of the lock's mappings of strings to `check`ed values.
fn read_map(
    node: &Node,
    what: &str,
    into: &mut BTreeMap<String, String>,
    check: fn(&str) -> bool,
    expected: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let bad = |message: String, node: &Node| {
        Diagnostic::new(Code::LockInvalid, message, node.span)
            .with_help("make it again with `docker buildx build --call=lock …`, or delete it")
    };
    let Value::Map(entries) = &node.value else {
        diags.push(bad(format!("`{what}` is a mapping"), node));
        return;
    };
    for (k, v) in entries {
        // A value YAML reads as a number is taken as written (a commit of
        // digits alone).
        let value = match &v.value {
            Value::Str(s) | Value::Int(_, s) | Value::Float(s) => s,
            Value::Null | Value::Bool(..) | Value::Seq(_) | Value::Map(_) => {
                diags.push(bad(
                    format!("an entry of `{what}` maps a string to {expected}"),
                    v,
                ));
                continue;
            }
        };
        let Value::Str(key) = &k.value else {
            diags.push(bad(
                format!("an entry of `{what}` maps a string to {expected}"),
                k,
            ));
            continue;
        };
        if !check(value) {
            diags.push(bad(format!("`{value}` is not {expected}"), v));
            continue;
        }
        if into.insert(key.clone(), value.clone()).is_some() {
            diags.push(bad(format!("`{key}` is locked twice"), k));
        }
    }
}

fn is_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && is_hex(h))
}

fn is_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && is_hex(s)
}

/// `s` as a double-quoted YAML scalar.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Lock {
        let mut lock = Lock::default();
        lock.images.insert(
            "docker.io/library/busybox:latest".into(),
            format!("sha256:{}", "a".repeat(64)),
        );
        lock.git
            .insert("git://127.0.0.1:9418/repo.git#v1".into(), "0".repeat(40));
        lock
    }

    #[test]
    fn a_rendered_lock_reads_back_the_same() {
        let text = sample().render();
        assert_eq!(
            text,
            format!(
                "version: 1\nimages:\n  docker.io/library/busybox:latest: sha256:{}\ngit:\n  \"git://127.0.0.1:9418/repo.git#v1\": \"{}\"\n",
                "a".repeat(64),
                "0".repeat(40)
            )
        );
        let read = Lock::read(&SourceFile::new("s.yaml.lock", text)).unwrap();
        assert_eq!(read, sample());
        // Unquoted, a commit of digits reads as written too.
        let plain = format!("version: 1\ngit:\n  x: {}\n", "1".repeat(40));
        let read = Lock::read(&SourceFile::new("s.yaml.lock", plain)).unwrap();
        assert_eq!(read.git["x"], "1".repeat(40));
        assert_eq!(
            Lock::default().render(),
            "version: 1\nimages: {}\ngit: {}\n"
        );
    }

    #[test]
    fn a_malformed_lock_is_an_error_at_its_line() {
        let text = "version: 1\nimages:\n  busybox: sha256:nothex\ngit: {}\n";
        let diags = Lock::read(&SourceFile::new("s.yaml.lock", text)).unwrap_err();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::LockInvalid);
        assert_eq!((diags[0].span.line, diags[0].span.col), (3, 12));
        let diags = Lock::read(&SourceFile::new("s.yaml.lock", "images: [\n")).unwrap_err();
        assert_eq!(diags[0].code, Code::LockInvalid);
        let diags =
            Lock::read(&SourceFile::new("s.yaml.lock", "version: 2\npins: {}\n")).unwrap_err();
        assert_eq!(diags.len(), 2);
    }
}
