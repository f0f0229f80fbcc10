//! Reads `imports:` (language 1.1): aliases for other specs, each a file
//! beside this one, in a git repository or in an image. Read and linked by
//! `spec::imports`; their stages are named `ALIAS.STAGE`.
//!
//! Not where the imported specs are read or their stages checked: this file
//! reads the entries as written (values unexpanded).

use super::reader::Cx;
use crate::diag::{Code, Diagnostic};
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};
use crate::spec::validate;

/// An entry of `imports:`.
pub(crate) const IMPORT: Table = Table {
    name: "import",
    doc: "Another spec whose stages this one names as `ALIAS.STAGE` (language 1.1): a file beside this spec, in a git repository or in an image.",
    keys: &[
        Key::req(
            "spec",
            Ty::Path,
            "The spec file: relative to this spec's directory (beside it, or in the repository of `git`), or a path in the image of `image`.",
        )
        .example(r#""ci/go.yaml""#),
        Key::opt("git", Ty::Path, "A git repository to read `spec` from.")
            .example(r#""https://git.example/build-specs.git""#),
        Key::opt("ref", Ty::Path, "The branch, tag or commit of `git`; default: its default branch.")
            .example(r#""v1.4.0""#),
        Key::opt("checksum", Ty::Str, "The commit that `ref` must be (as for `add`).")
            .example(r#""0a1b2c3d…""#),
        Key::opt("image", Ty::Path, "An image to read `spec` from.")
            .example(r#""registry.example/specs/tools:1""#),
        Key::opt(
            "args",
            Ty::KeyValues,
            "Values for the imported spec's top-level `args`; `--build-arg ALIAS.NAME=…` wins over them.",
        )
        .example(r#"{"GO_VERSION": "1.23"}"#),
    ],
    exactly_one_of: &[],
};

/// Reads `imports:`.
pub(super) fn read(cx: &mut Cx<'_>, node: &Node) -> Vec<Import> {
    let Value::Map(entries) = &node.value else {
        cx.wrong_type(node, "imports", "a mapping of aliases to imports");
        return Vec::new();
    };
    let mut out: Vec<Import> = Vec::new();
    for (k, v) in entries {
        let Some(alias) = cx.string(k, "imports") else {
            continue;
        };
        if let Some(first) = out.iter().find(|i| i.alias.value == alias.value) {
            cx.push(
                Diagnostic::new(
                    Code::DuplicateKey,
                    format!("duplicate import `{}`", alias.value),
                    k.span,
                )
                .with_label(first.alias.span, "first defined here"),
            );
            continue;
        }
        if let Err((msg, help)) = validate::check_import_alias(&alias.value) {
            cx.push(Diagnostic::new(Code::InvalidName, msg, k.span).with_help(help));
            continue;
        }
        if let Some(i) = entry(cx, alias, v) {
            out.push(i);
        }
    }
    out
}

fn entry(cx: &mut Cx<'_>, alias: Spanned<String>, node: &Node) -> Option<Import> {
    if !matches!(node.value, Value::Map(_)) {
        cx.wrong_type(node, &alias.value, "a mapping with `spec`");
        if let Some(d) = cx.diags.last_mut() {
            d.help = Some(format!(
                "for example `{}: {{spec: ci/build.yaml}}`",
                alias.value
            ));
        }
        return None;
    }
    let what = "an import";
    let f = cx.fields(node, &alias.value, what, &IMPORT, &|_| None)?;
    let spec = cx.req(&f, "spec", what, Cx::path);
    let args = f
        .get("args")
        .map(|n| cx.key_values(n, "args", true))
        .unwrap_or_default();
    for (name, _) in &args {
        if let Err(msg) = validate::check_arg_name(&name.value) {
            cx.push(Diagnostic::new(Code::InvalidName, msg, name.span));
        }
    }
    // A key given as null is absent, as everywhere.
    let given = |key: &str| {
        f.get(key)
            .filter(|n| !matches!(n.value, Value::Null))
            .and(f.key_span(key))
    };
    let from = match (given("git"), given("image")) {
        (Some(_), Some(image)) => {
            cx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    "an import reads its spec from `git` or `image`, not both",
                    image,
                )
                .with_help("use one import per source"),
            );
            return None;
        }
        (None, image) => {
            for key in ["ref", "checksum"] {
                if let Some(span) = given(key) {
                    cx.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!("`{key}` applies only to an import from `git`"),
                            span,
                        )
                        .with_help("add `git: URL`, or remove it"),
                    );
                }
            }
            match image {
                Some(_) => ImportFrom::Image(cx.req(&f, "image", what, Cx::path)?),
                None => ImportFrom::Beside,
            }
        }
        (Some(_), None) => {
            let url = cx.req(&f, "git", what, Cx::path);
            let ref_ = cx.opt(&f, "ref", Cx::path);
            let checksum = cx.opt(&f, "checksum", Cx::expandable);
            let checksum = cx.check_literal(checksum, validate::check_commit);
            ImportFrom::Git {
                url: url?,
                ref_,
                checksum,
            }
        }
    };
    Some(Import {
        alias,
        spec: spec?,
        from,
        args,
    })
}
