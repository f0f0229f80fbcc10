//! A stage's keys, and its steps: each step's kind is found in the table of
//! step kinds ([`crate::steps::STEP_KINDS`]), whose reader reads the rest.

use super::reader::{misspelled, Cx};
use super::{artifact, image};
use crate::diag::{did_you_mean, Code, Diagnostic, Span, Spanned};
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};
use crate::spec::validate;
use crate::steps::{self, STEP_KINDS};

/// A stage.
pub(crate) const STAGE: Table = Table {
    name: "stage",
    doc: "A stage: a base, steps run on it, artifacts taken from other stages, and the image config it has as a result.",
    keys: &[
        Key::req(
            "from",
            Ty::Path,
            "The base: a stage of this spec, `scratch`, or an image reference. A named build context (`--build-context NAME=…`) of the same name replaces an image reference.",
        )
        .example(r#""golang:1.23-alpine""#),
        Key::opt(
            "platform",
            Ty::Path,
            "`os/arch[/variant]`, may use `${BUILDPLATFORM}`; default: the target platform.",
        )
        .example(r#""${BUILDPLATFORM}""#),
        Key::opt("description", Ty::Str, "Shown by `--call=targets`."),
        Key::opt(
            "args",
            Ty::Args(&super::ARG),
            "Stage-local arguments (`NAME: value`), visible to this stage only.",
        ),
        Key::opt(
            "env",
            Ty::KeyValues,
            "`NAME: value`: set for every step, and kept in the image config.",
        )
        .example(r#"{"CGO_ENABLED": "0"}"#),
        Key::opt(
            "workdir",
            Ty::Path,
            "The working directory of the steps (created if missing); kept in the image config.",
        )
        .example(r#""/src""#),
        Key::opt(
            "user",
            Ty::Path,
            "`user[:group]` or `uid[:gid]` for the steps; kept in the image config.",
        )
        .example(r#""65532:65532""#),
        Key::opt(
            "shell",
            Ty::Strings,
            "The argv prefix of string-form `run` steps and shell-form `entrypoint`/`cmd`.",
        )
        .default(r#"["/bin/sh", "-c"]"#),
        super::condition::WHEN,
        super::condition::UNLESS,
        Key::opt(
            "matrix",
            Ty::Matrix,
            "One instance of this stage per combination of the listed values (language 1.1), named `<stage>-<value>-…`; each variable is a stage argument of its instance. `exclude` lists combinations to leave out.",
        )
        .example(r#"{"GO": ["1.22", "1.23"], "OS": ["alpine", "bookworm"]}"#),
        Key::opt(
            "needs",
            Ty::List(&Ty::PathOr(&super::condition::NEED)),
            "Stages that must build successfully before this one, though nothing is copied from them (e.g. tests): a stage name, or `{stage, when, unless}`.",
        )
        .example(r#"["test"]"#),
        Key::opt(
            "defaults",
            Ty::Table(&super::defaults::DEFAULTS),
            "Options every `run` and `copy` step of this stage gets (language 1.1), on top of the top level's `defaults`; a step's own values win.",
        ),
        Key::opt("steps", Ty::Steps, "The steps, in order: each has exactly one kind key (`run`, `copy`, `add`, `mkdir` or `write`)."),
        Key::opt(
            "artifacts",
            Ty::List(&Ty::Table(&super::artifact::ARTIFACT)),
            "The files this stage takes from other stages, images or contexts, added after its steps.",
        ),
        Key::opt(
            "image",
            Ty::Table(&super::image::IMAGE),
            "The runtime configuration written to the image config when this stage is the result.",
        ),
    ],
    exactly_one_of: &[],
};

/// A stage, and its `matrix:` when it has one (its instances are made by
/// the caller, which knows the other stages' names).
pub(super) fn stage(
    cx: &mut Cx<'_>,
    name: Spanned<String>,
    span: Span,
    node: &Node,
) -> Option<(Stage, Option<super::matrix::Matrix>)> {
    let what = format!("stage `{}`", name.value);
    if node.value == Value::Null {
        cx.missing(span, "from", &what);
        return None;
    }
    let f = cx.fields(node, &name.value, "a stage", &STAGE, &|_| None)?;
    let from = if f.get_raw("from").is_none() {
        // A misspelt `from` is already reported as an unknown key with a suggestion.
        if !misspelled(node, "from") {
            cx.push(
                Diagnostic::new(
                    Code::MissingKey,
                    format!("missing key `from` in {what}"),
                    span,
                )
                .with_help("a stage starts `from` a stage, `scratch` or an image"),
            );
        }
        None
    } else {
        cx.req(&f, "from", &what, Cx::path)
    };
    let platform = cx.opt(&f, "platform", Cx::expandable);
    let platform = cx.check_literal(platform, validate::check_platform);
    let description = cx.opt(&f, "description", Cx::string);
    let args = f
        .get("args")
        .map(|n| super::args(cx, n))
        .unwrap_or_default();
    let env = f
        .get("env")
        .map(|n| cx.key_values(n, "env", true))
        .unwrap_or_default();
    let workdir = cx.opt(&f, "workdir", Cx::path);
    let user = cx.opt(&f, "user", Cx::path);
    let shell = f.get("shell").and_then(|n| shell(cx, n));
    let needs = cx.list_of(&f, "needs", |cx, n, _| super::condition::need(cx, n));
    let cond = super::condition::read(cx, &f);
    let outer = cx.defaults.clone();
    if let Some(n) = f.get("defaults") {
        cx.defaults = super::defaults::read(cx, n).over(&outer);
    }
    let steps = match f.get("steps") {
        Some(n) => cx
            .seq(n, "steps")
            .map(|items| items.iter().filter_map(|i| step(cx, i)).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    cx.defaults = outer;
    let artifacts = cx.list_of(&f, "artifacts", |cx, n, _| artifact::artifact(cx, n));
    let image = f.get("image").and_then(|n| image::image(cx, n));
    let matrix = f.get("matrix").and_then(|n| super::matrix::read(cx, n));
    let stage = Stage {
        name,
        from: from?,
        platform,
        description,
        args,
        env,
        workdir,
        user,
        shell,
        needs,
        steps,
        artifacts,
        image,
        cond,
        matrix: None,
        unit: 0,
        span,
    };
    Some((stage, matrix))
}

fn shell(cx: &mut Cx<'_>, node: &Node) -> Option<Spanned<Vec<Spanned<String>>>> {
    let Value::Seq(items) = &node.value else {
        cx.wrong_type(node, "shell", "a list of arguments");
        if let Some(d) = cx.diags.last_mut() {
            d.help = Some("for example `shell: [\"/bin/bash\", \"-c\"]`".to_string());
        }
        return None;
    };
    if items.is_empty() {
        cx.push(Diagnostic::new(
            Code::InvalidValue,
            "`shell` cannot be empty",
            node.span,
        ));
        return None;
    }
    let argv: Vec<_> = items.iter().filter_map(|n| cx.string(n, "shell")).collect();
    (argv.len() == items.len()).then(|| Spanned::new(argv, node.span))
}

fn step(cx: &mut Cx<'_>, node: &Node) -> Option<Step> {
    let Value::Map(entries) = &node.value else {
        cx.wrong_type(node, "steps", "a step (a mapping like `- run: make`)");
        return None;
    };
    let mut kinds: Vec<(&'static steps::StepKindDef, &Node)> = Vec::new();
    for (k, _) in entries {
        // A repeated kind key is a `duplicate-key` (reported below), not two kinds.
        if let Some(def) = k.as_key().and_then(steps::kind) {
            if !kinds.iter().any(|(seen, _)| seen.name == def.name) {
                kinds.push((def, k));
            }
        }
    }
    let def = match kinds.as_slice() {
        [] => {
            let guess = entries.iter().find_map(|(k, _)| {
                let name = k.as_key()?;
                did_you_mean(name, STEP_KINDS.iter().map(|d| d.name)).map(|s| (name, s, k.span))
            });
            let one_of = steps::names_one_of();
            let d = match guess {
                Some((name, s, span)) => Diagnostic::new(
                    Code::StepKindMissing,
                    format!("unknown step kind `{name}` (did you mean `{s}`?)"),
                    span,
                ),
                None => Diagnostic::new(
                    Code::StepKindMissing,
                    format!("step has no kind: expected one of {one_of}"),
                    node.span,
                ),
            };
            cx.push(d.with_help(format!("every step has exactly one of {one_of}")));
            return None;
        }
        [(def, _)] => *def,
        [(first, first_key), (second, second_key), ..] => {
            cx.push(
                Diagnostic::new(
                    Code::StepKindAmbiguous,
                    format!("step has two kinds, `{}` and `{}`", first.name, second.name),
                    second_key.span,
                )
                .with_label(first_key.span, "first kind here")
                .with_help("split it into two steps, one kind each"),
            );
            return None;
        }
    };
    let kind = def.name;
    let hint = |key: &str| -> Option<String> {
        if def.inner.is_some_and(|t| t.key(key).is_some()) {
            return Some(format!(
                "`{key}` goes inside the `{kind}` mapping: `{kind}: {{..., {key}: ...}}`"
            ));
        }
        STEP_KINDS
            .iter()
            .find(|other| other.name != kind && other.table.key(key).is_some())
            .map(|other| {
                format!(
                    "`{key}` is an option of `{}` steps, not `{kind}` steps",
                    other.name
                )
            })
    };
    let what = format!("{} `{kind}` step", def.article);
    let f = cx.fields(node, "step", &what, def.table, &hint)?;
    let value = f.get_raw(kind)?;
    let before = cx.diags.len();
    let cond = super::condition::read(cx, &f);
    let kind = (def.read)(cx, &f, value).filter(|_| cx.diags.len() == before)?;
    Some(Step {
        span: node.span,
        kind,
        cond,
    })
}
