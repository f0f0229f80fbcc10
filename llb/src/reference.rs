//! Docker image references, normalised the way BuildKit's image source expects.
//!
//! `busybox` becomes `docker.io/library/busybox:latest`, `org/app:1` becomes
//! `docker.io/org/app:1`, and a registry host (`127.0.0.1:5000/app`) is kept.
//! This is a syntax check and normaliser, not a resolver: it never talks to a
//! registry.

use std::fmt;

/// A normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    /// Registry host, e.g. `docker.io` or `127.0.0.1:5000`.
    pub domain: String,
    /// Repository path without the domain, e.g. `library/busybox`.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Why a string is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid image reference `{0}`: it is empty")]
    Empty(String),
    #[error("invalid image reference `{0}`: repository names must be lowercase")]
    Uppercase(String),
    #[error("invalid image reference `{0}`: unexpected character `{1}`")]
    BadChar(String, char),
    #[error(
        "invalid image reference `{0}`: digest must look like `sha256:<64 lowercase hex digits>`"
    )]
    BadDigest(String),
    #[error("invalid image reference `{0}`: an image reference has no scheme (`docker-image://` belongs in `--build-context` values)")]
    Scheme(String),
    #[error("invalid image reference `{0}`: each part of the name between `/` must start and end with a letter or digit, with `.`, `_`, `__` or dashes between them")]
    BadComponent(String),
    #[error("invalid image reference `{0}`: the name is longer than 255 characters")]
    NameTooLong(String),
    #[error("invalid image reference `{0}`: a tag is at most 128 characters, starting with a letter, digit or `_`")]
    BadTag(String),
}

/// One `/`-separated part of a repository path, as the distribution
/// reference grammar has it: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: &u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if !(b.first().is_some_and(alnum) && b.last().is_some_and(alnum)) {
        return false;
    }
    // Between alphanumeric runs: `.`, `_`, `__` or one or more `-`.
    let mut i = 0;
    while i < b.len() {
        if b.get(i).is_some_and(alnum) {
            i += 1;
            continue;
        }
        let sep_start = i;
        while b.get(i).is_some_and(|x| !alnum(x)) {
            i += 1;
        }
        let sep = &c[sep_start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

impl Reference {
    /// Parses and normalises `text`.
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        // Shown in errors: a very long value is cut (its start is what a reader needs).
        let original = if text.chars().count() > 100 {
            format!("{}…", text.chars().take(100).collect::<String>())
        } else {
            text.to_owned()
        };
        if text.is_empty() {
            return Err(ReferenceError::Empty(original));
        }
        if text.contains("://") {
            return Err(ReferenceError::Scheme(original));
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => {
                let ok = d.strip_prefix("sha256:").is_some_and(|h| {
                    h.len() == 64
                        && h.bytes()
                            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
                });
                if !ok {
                    return Err(ReferenceError::BadDigest(original));
                }
                (r, Some(d.to_owned()))
            }
            None => (text, None),
        };
        let (name, tag) = match rest.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, Some(t.to_owned())),
            _ => (rest, None),
        };
        if name.is_empty() || tag.as_deref() == Some("") {
            return Err(ReferenceError::Empty(original));
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, remainder))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), remainder.to_owned())
            }
            _ => ("docker.io".to_owned(), name.to_owned()),
        };
        let path = if domain == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if let Some(c) = path
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(*c)))
        {
            if c.is_ascii_uppercase() {
                return Err(ReferenceError::Uppercase(original));
            }
            return Err(ReferenceError::BadChar(original, c));
        }
        if !path.split('/').all(valid_component) {
            return Err(ReferenceError::BadComponent(original));
        }
        // The name as written (before `docker.io/library/` is added), as the
        // distribution grammar measures it.
        if name.len() > 255 {
            return Err(ReferenceError::NameTooLong(original));
        }
        if let Some(t) = &tag {
            let first_ok = t
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
            if t.len() > 128 || !first_ok {
                return Err(ReferenceError::BadTag(original));
            }
            if let Some(c) = t
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
            {
                return Err(ReferenceError::BadChar(original, c));
            }
        }
        if let Some(c) = domain
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ".-:[]".contains(*c)))
        {
            return Err(ReferenceError::BadChar(original, c));
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_owned())
        } else {
            tag
        };
        Ok(Self {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// The repository name with domain, without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Reference::parse(s).unwrap().to_string()
    }

    #[test]
    fn normalises() {
        assert_eq!(norm("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(
            norm("golang:1.23-alpine"),
            "docker.io/library/golang:1.23-alpine"
        );
        assert_eq!(norm("org/app:1"), "docker.io/org/app:1");
        assert_eq!(
            norm("127.0.0.1:5000/busybox"),
            "127.0.0.1:5000/busybox:latest"
        );
        assert_eq!(norm("localhost/x/y:z"), "localhost/x/y:z");
        assert_eq!(
            norm("gcr.io/distroless/static"),
            "gcr.io/distroless/static:latest"
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            norm(&format!("busybox@{d}")),
            format!("docker.io/library/busybox@{d}")
        );
    }

    #[test]
    fn rejects() {
        assert!(matches!(
            Reference::parse("Busybox"),
            Err(ReferenceError::Uppercase(_))
        ));
        assert!(Reference::parse("").is_err());
        assert!(Reference::parse("busybox:").is_err());
        assert!(Reference::parse("busybox@sha256:12").is_err());
        for bad in [
            "docker-image://alpine",
            "docker.io//alpine",
            "a/-b",
            "a/b.",
            "a..b",
            "a/b:-tag",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
        assert!(Reference::parse(&format!("busybox@sha256:{}", "A".repeat(64))).is_err());
        assert!(Reference::parse(&format!("busybox:{}", "t".repeat(129))).is_err());
        assert!(Reference::parse(&"a".repeat(250)).is_ok());
        assert!(Reference::parse(&"a".repeat(256)).is_err());
        for good in ["my-app", "my__app", "a--b/c_d.e", "a/b:_t", "x:1.0-rc_1"] {
            assert!(Reference::parse(good).is_ok(), "{good}");
        }
        assert!(Reference::parse("bad name").is_err());
    }
}
