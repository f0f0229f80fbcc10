//! Reads an `add` step (a URL or a git repository). Compiled by `compile::add`.

use super::reader::{Cx, Fields};
use crate::diag::{Code, Diagnostic};
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};
use crate::spec::validate;

/// An `add` step.
pub(crate) const STEP: Table = Table {
    name: "add-step",
    doc: "Adds a remote source: a file from a URL, or a git repository.",
    keys: &[
        Key::req(
            "add",
            Ty::Table(&INNER),
            "`{url, checksum, to, chmod, chown}` or `{git, ref, to, keep_git_dir, checksum}`.",
        ),
        super::condition::WHEN,
        super::condition::UNLESS,
    ],
    exactly_one_of: &[],
};

/// The mapping of an `add` step (`add: {url, …}`).
pub(crate) const INNER: Table = Table {
    name: "add",
    doc: "A remote source: `url` or `git`.",
    keys: &[
        Key::opt("url", Ty::Path, "An http(s) URL to download.")
            .example(r#""https://example.com/tool.tgz""#),
        Key::opt(
            "checksum",
            Ty::Str,
            "The expected digest (`sha256:…`) of the download or the commit.",
        )
        .example(r#""sha256:…""#),
        Key::opt(
            "to",
            Ty::Path,
            "The destination; default: the working directory.",
        ),
        Key::opt("chmod", Ty::Str, "The added files' mode, in octal."),
        Key::opt("chown", Ty::Path, "The added files' owner: `user[:group]`."),
        Key::opt("git", Ty::Path, "A git repository URL.")
            .example(r#""https://github.com/OWNER/REPO.git""#),
        Key::opt("ref", Ty::Path, "The branch, tag or commit of `git`."),
        Key::opt(
            "keep_git_dir",
            Ty::Bool,
            "Keep the `.git` directory of `git`.",
        )
        .default("false"),
    ],
    exactly_one_of: &["url", "git"],
};

/// Reads an `add` step (`node` is its mapping).
pub(crate) fn read(cx: &mut Cx<'_>, _: &Fields<'_>, node: &Node) -> Option<Add> {
    if !matches!(node.value, Value::Map(_)) {
        cx.wrong_type(node, "add", "a mapping with `url` or `git`");
        if let Some(d) = cx.diags.last_mut() {
            d.help =
                Some("for example `add: {url: https://example.com/f.tgz, to: /tmp/}`".to_string());
        }
        return None;
    }
    let what = "an `add` step";
    let f = cx.fields(node, "add", what, &INNER, &|_| None)?;
    let to = cx.opt(&f, "to", Cx::path);
    let chmod = cx.opt(&f, "chmod", Cx::file_mode);
    let chown = cx.opt(&f, "chown", Cx::chown);
    let checksum = cx.opt(&f, "checksum", Cx::expandable);
    let source = match (f.key_span("url"), f.key_span("git")) {
        (Some(_), Some(git)) => {
            cx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    "`add` takes `url` or `git`, not both",
                    git,
                )
                .with_help("use one `add` step per source"),
            );
            return None;
        }
        (None, None) => {
            cx.push(
                Diagnostic::new(
                    Code::MissingKey,
                    "missing key `url` or `git` in an `add` step",
                    node.span,
                )
                .with_help(
                    "`add: {url: ..., checksum: sha256:...}` or `add: {git: ..., ref: ...}`",
                ),
            );
            return None;
        }
        (Some(_), None) => {
            for key in ["ref", "keep_git_dir"] {
                if let Some(span) = f.key_span(key) {
                    cx.push(Diagnostic::new(
                        Code::InvalidValue,
                        format!("`{key}` applies only to git sources (`git:`)"),
                        span,
                    ));
                }
            }
            let url = cx.req(&f, "url", what, Cx::path);
            let url = cx.check_literal(url, validate::check_http_url);
            let checksum = cx.check_literal(checksum, validate::check_sha256);
            AddSource::Http {
                url: url?,
                checksum,
            }
        }
        (None, Some(_)) => {
            let url = cx.req(&f, "git", what, Cx::path);
            let ref_ = cx.opt(&f, "ref", Cx::path);
            let keep_git_dir = cx.flag(&f, "keep_git_dir", false);
            let checksum = cx.check_literal(checksum, validate::check_commit);
            AddSource::Git {
                url: url?,
                ref_,
                keep_git_dir,
                checksum,
            }
        }
    };
    Some(Add {
        source,
        to,
        chmod,
        chown,
    })
}
