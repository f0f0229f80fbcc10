//! The frontend's own version: the crate version (which the image's release
//! tags carry: `MAJOR`, `MAJOR.MINOR`, `MAJOR.MINOR.PATCH`), the git commit
//! it was built from (`build.rs`), and which spec `version` it reads.
//!
//! Not the spec's `version:` key itself (that is `spec::convert`), nor the
//! subrequest protocol versions (`subrequests`).

/// The crate version, e.g. `1.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit the binary was built from, when known.
pub const REVISION: Option<&str> = option_env!("STAGECRAFT_REVISION");

/// The spec `version` this frontend reads (language 1 with the 1.1 additions).
pub const SPEC_VERSION: i64 = 1;

/// `1.1.0 (commit 0123abc…)`, or `1.1.0` when the commit is unknown: what
/// `stagecraft --version` prints after the name.
pub fn long() -> &'static str {
    match REVISION {
        Some(r) => LONG.get_or_init(|| format!("{VERSION} (commit {r})")),
        None => VERSION,
    }
}

static LONG: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The frontend as the outline and describe subrequests name it.
pub fn json() -> serde_json::Value {
    let mut v = serde_json::json!({ "name": "stagecraft", "version": VERSION });
    if let (Some(r), Some(m)) = (REVISION, v.as_object_mut()) {
        m.insert("revision".into(), serde_json::json!(r));
    }
    v
}

/// The image a spec of `version: wanted` needs, named after the spec's own
/// `# syntax=` line when it has one (`registry.example/stagecraft:1` →
/// `registry.example/stagecraft:2`): a release's major tag is the spec
/// version it reads.
pub fn image_for(wanted: &str, syntax: Option<&str>) -> String {
    let repo = syntax
        .map(|s| {
            let s = s.split('@').next().unwrap_or(s);
            // A `:` after the last `/` starts the tag (a registry port does not).
            match s.rsplit_once(':') {
                Some((repo, tag)) if !tag.contains('/') => repo,
                _ => s,
            }
        })
        .filter(|r| !r.is_empty())
        .unwrap_or("stagecraft");
    format!("{repo}:{wanted}")
}

/// The image the spec's `# syntax=` directive names: the value of the first
/// `syntax` key among the comment lines that open the file, as BuildKit
/// reads directives.
pub fn syntax_directive(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| {
            let (k, v) = l.trim_start_matches('#').split_once('=')?;
            k.trim().eq_ignore_ascii_case("syntax").then(|| v.trim())
        })
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_for_a_newer_version_keeps_the_repository() {
        assert_eq!(
            image_for("2", Some("registry.example/stagecraft:1")),
            "registry.example/stagecraft:2"
        );
        assert_eq!(
            image_for("2", Some("127.0.0.1:5000/stagecraft:1.1@sha256:ab")),
            "127.0.0.1:5000/stagecraft:2"
        );
        assert_eq!(
            image_for("2", Some("127.0.0.1:5000/stagecraft")),
            "127.0.0.1:5000/stagecraft:2"
        );
        assert_eq!(image_for("3", None), "stagecraft:3");
    }

    #[test]
    fn the_directive_is_read_from_the_opening_comments() {
        assert_eq!(
            syntax_directive("# syntax=r.example/stagecraft:1\nversion: 1\n"),
            Some("r.example/stagecraft:1")
        );
        assert_eq!(syntax_directive("#  Syntax = x:1\n"), Some("x:1"));
        assert_eq!(syntax_directive("version: 1\n# syntax=x:1\n"), None);
        assert_eq!(syntax_directive("# a comment\n"), None);
    }
}
