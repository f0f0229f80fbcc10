//! Reads the raw node tree into the model, key by key: every unknown key,
//! missing key and wrong type becomes a diagnostic, and conversion goes on so
//! that all of them are reported in one run.
//!
//! Scalars where a string is expected: numbers and booleans are accepted as
//! their source text (`PORT: 8080`, `GO_VERSION: 1.23`, `user: 1000`), as a
//! Dockerfile user writing `ENV PORT=8080` would expect. `null` (an empty
//! value, `key:`) counts as absent for optional keys, and as "declared without
//! a default" for `args`.
//!
//! One file per part of the document: [`reader`] (the toolkit: fields of a
//! mapping, typed scalars, one diagnostic per problem), this file (the top
//! level, `args`, `stages`), `stage` (a stage's keys and the step dispatch
//! through [`crate::steps::STEP_KINDS`]), one file per step kind (`run`,
//! `copy`, `add`, `mkdir`), `artifact` and `image`.
//!
//! This module is NOT where cross-references are checked (stage names in
//! `from`/`needs`/`target`, cycles): `graph` does that on the converted
//! stages. The value rules it applies (network names, checksums, modes...)
//! live in `validate`, so that every rule is in one place.

mod add;
mod artifact;
mod condition;
mod copy;
mod defaults;
mod image;
mod import;
mod matrix;
mod mkdir;
mod reader;
mod run;
mod stage;
mod write;

pub(crate) use add::read as read_add;
pub(crate) use copy::read as read_copy;
pub(crate) use mkdir::read as read_mkdir;
pub(crate) use reader::{Cx, Fields};
pub(crate) use run::read as read_run;
pub(crate) use write::{read as read_write, STEP as WRITE_STEP};
pub(crate) use {add::INNER as ADD_INNER, add::STEP as ADD_STEP, copy::STEP as COPY_STEP};
pub(crate) use {mkdir::INNER as MKDIR_INNER, mkdir::STEP as MKDIR_STEP, run::STEP as RUN_STEP};

/// Every table of the language, for the schema's definitions and the
/// tests that check each against the reader.
pub(crate) const TABLES: &[&Table] = &[
    &TOP,
    &ARG,
    &defaults::DEFAULTS,
    &defaults::RUN,
    &defaults::COPY,
    &stage::STAGE,
    &run::STEP,
    &run::CACHE,
    &run::SECRET,
    &run::SSH,
    &run::TMPFS,
    &run::MOUNT,
    &copy::STEP,
    &add::STEP,
    &add::INNER,
    &mkdir::STEP,
    &mkdir::INNER,
    &write::STEP,
    &artifact::ARTIFACT,
    &condition::NEED,
    &import::IMPORT,
    &image::IMAGE,
    &image::HEALTHCHECK,
];

use super::keys::{Key, Table, Ty};
use super::model::*;
use super::raw::{Node, Value};
use super::validate;
use crate::diag::{Code, Diagnostic, Span, Spanned};

/// Everything converted, including what validation needs even when some
/// stages could not be converted.
pub(crate) struct Draft {
    pub version_span: Option<Span>,
    pub args: Vec<ArgDecl>,
    /// Every stage key with a valid, unique name, in file order.
    pub stage_names: Vec<Spanned<String>>,
    /// The stages that could be converted (their name and `from` are valid).
    pub stages: Vec<Stage>,
    pub target: Option<Spanned<String>>,
    /// Matrix stage name → its instances' names (language 1.1).
    pub matrices: std::collections::BTreeMap<String, Vec<String>>,
    /// `imports:` (language 1.1).
    pub imports: Vec<Import>,
    /// Stage name → its first index in `stages` (filled by [`Draft::push_stage`]).
    stage_index: std::collections::BTreeMap<String, usize>,
}

impl Draft {
    /// Adds a converted stage (the first of a name is the one [`Draft::stage`] finds).
    fn push_stage(&mut self, stage: Stage) {
        self.stage_index
            .entry(stage.name.value.clone())
            .or_insert(self.stages.len());
        self.stages.push(stage);
    }

    /// Whether `name` is `ALIAS.STAGE` for one of the spec's imports: a
    /// stage that only linking the import can check.
    pub fn names_import(&self, name: &str) -> bool {
        name.split_once('.').is_some_and(|(alias, rest)| {
            !rest.is_empty() && self.imports.iter().any(|i| i.alias.value == alias)
        })
    }

    /// The stage built when no `--target` is given (as `Spec::default_target`).
    pub fn default_target(&self) -> Option<&Stage> {
        match &self.target {
            Some(t) => self.stage(&t.value),
            None => self.stages.last(),
        }
    }

    /// The stage named `name`.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stage_index.get(name).and_then(|&i| self.stages.get(i))
    }
}

/// The top level of a spec.
pub(crate) const TOP: Table = Table {
    name: "spec",
    doc: "A Stagecraft build spec: build and runtime stages, compiled to LLB by the frontend that its `# syntax=` line names.",
    keys: &[
        Key::req("version", Ty::Version, "The language version: the integer `1`.").example("1"),
        Key::opt(
            "args",
            Ty::Args(&ARG),
            "Build arguments: `NAME: value` or `NAME: {default, description}`; `--build-arg NAME=…` overrides them.",
        )
        .example(r#"{"GO_VERSION": "1.23"}"#),
        Key::opt(
            "imports",
            Ty::Imports(&import::IMPORT),
            "Other specs, by alias (language 1.1): `ALIAS.STAGE` names their stages wherever a stage can be named.",
        )
        .example(r#"{"go": {"spec": "ci/go.yaml"}}"#),
        Key::opt(
            "defaults",
            Ty::Table(&defaults::DEFAULTS),
            "Options every `run` and `copy` step of every stage gets (language 1.1); a stage's `defaults` and a step's own values win.",
        ),
        Key::req(
            "stages",
            Ty::Stages(&stage::STAGE),
            "The stages, in order: stage name → stage. Names match `[a-z0-9][a-z0-9_.-]*`.",
        ),
        Key::opt(
            "target",
            Ty::Str,
            "The stage built by default (else the last stage); `--target` overrides it.",
        )
        .example(r#""runtime""#),
    ],
    exactly_one_of: &[],
};

/// An argument written as a mapping.
pub(crate) const ARG: Table = Table {
    name: "arg",
    doc: "A build argument with a default, a description, and optionally a type, choices or `required`.",
    keys: &[
        Key::opt("default", Ty::Str, "The value when no `--build-arg` sets it; without it, the argument expands to the empty string."),
        Key::opt("description", Ty::Str, "What the argument is for, shown by `--call=outline`."),
        Key::opt("type", Ty::Choice(&["string", "bool", "int"]), "What a value must be: `string` (the default), `bool` (`true` or `false`) or `int` (a decimal integer). Values still reach variables and `run` as strings.").default(r#""string""#).example(r#""bool""#),
        Key::opt("choices", Ty::Strings, "The strings a value must be one of.").example(r#"["dev", "prod"]"#),
        Key::opt("required", Ty::Bool, "The build must give the argument a value (`--build-arg NAME=…`); it then has no `default`.").default("false").example("true"),
    ],
    exactly_one_of: &[],
};

/// Convert the document root. Returns None when the root is unusable.
pub(crate) fn convert(root: &Node, cx: &mut Cx<'_>) -> Draft {
    let mut draft = Draft {
        version_span: None,
        args: Vec::new(),
        stage_names: Vec::new(),
        stages: Vec::new(),
        target: None,
        matrices: std::collections::BTreeMap::new(),
        imports: Vec::new(),
        stage_index: std::collections::BTreeMap::new(),
    };
    if root.value == Value::Null {
        cx.push(
            Diagnostic::new(Code::MissingKey, "the spec is empty", cx.src.span_at(0, 0))
                .with_help("a spec starts with `version: 1` and a `stages:` mapping"),
        );
        return draft;
    }
    let Some(top) = cx.fields(root, "the spec", "the top level", &TOP, &|_| None) else {
        return draft;
    };
    match top.get_raw("version") {
        None => cx.push(
            Diagnostic::new(Code::MissingKey, "missing key `version`", root.span)
                .with_help("add `version: 1` at the top of the file"),
        ),
        Some(n) => match &n.value {
            Value::Int(1, _) => draft.version_span = Some(n.span),
            Value::Int(v, text) if *v > i128::from(crate::version::SPEC_VERSION) => {
                let image =
                    crate::version::image_for(text, crate::version::syntax_directive(&cx.src.text));
                cx.push(
                    Diagnostic::new(
                        Code::UnsupportedVersion,
                        format!("this frontend reads `version: 1`, not the newer `version: {text}`"),
                        n.span,
                    )
                    .with_help(format!(
                        "a spec of `version: {text}` needs a frontend image tagged `{text}`: put `# syntax={image}` on line 1"
                    )),
                )
            }
            Value::Int(_, text) => cx.push(
                Diagnostic::new(
                    Code::UnsupportedVersion,
                    format!("unsupported version `{text}`"),
                    n.span,
                )
                .with_help("this frontend reads `version: 1`"),
            ),
            _ => {
                cx.wrong_type(n, "version", "the integer `1`");
                if let Some(d) = cx.diags.last_mut() {
                    d.help = Some("write `version: 1`, without quotes".to_string());
                }
            }
        },
    }
    if let Some(n) = top.get("args") {
        draft.args = args(cx, n);
    }
    if let Some(n) = top.get("imports") {
        draft.imports = import::read(cx, n);
    }
    if let Some(n) = top.get("defaults") {
        cx.defaults = defaults::read(cx, n);
    }
    match top.get_raw("stages") {
        None => cx.push(
            Diagnostic::new(Code::MissingKey, "missing key `stages`", root.span)
                .with_help("add a `stages:` mapping with at least one stage"),
        ),
        Some(n) => stages(cx, n, &mut draft),
    }
    draft.target = cx.opt(&top, "target", Cx::string);
    imported_names_taken(cx, &draft);
    draft
}

/// A stage of this spec named `ALIAS.…` for one of its imports would be
/// confused with the import's stages: an error (language 1.1).
fn imported_names_taken(cx: &mut Cx<'_>, draft: &Draft) {
    for name in &draft.stage_names {
        let Some(import) = name
            .value
            .split_once('.')
            .and_then(|(alias, _)| draft.imports.iter().find(|i| i.alias.value == alias))
        else {
            continue;
        };
        cx.push(
            Diagnostic::new(
                Code::DuplicateStage,
                format!(
                    "stage `{}` has a name of the import `{}`: `{}.STAGE` names a stage of that spec",
                    name.value, import.alias.value, import.alias.value
                ),
                name.span,
            )
            .with_label(import.alias.span, "imported here")
            .with_help("rename the stage, or the import"),
        );
    }
}

pub(super) fn args(cx: &mut Cx<'_>, node: &Node) -> Vec<ArgDecl> {
    let Value::Map(entries) = &node.value else {
        cx.wrong_type(node, "args", "a mapping of argument names");
        return Vec::new();
    };
    let mut out: Vec<ArgDecl> = Vec::new();
    for (k, v) in entries {
        let Some(name) = cx.string(k, "args") else {
            continue;
        };
        if let Some(first) = out.iter().find(|a| a.name.value == name.value) {
            cx.push(
                Diagnostic::new(
                    Code::DuplicateKey,
                    format!("duplicate argument `{}`", name.value),
                    k.span,
                )
                .with_label(first.name.span, "first defined here"),
            );
            continue;
        }
        if let Err(msg) = validate::check_arg_name(&name.value) {
            cx.push(Diagnostic::new(Code::InvalidName, msg, k.span));
            continue;
        }
        let mut decl = ArgDecl {
            name,
            default: None,
            description: None,
            ty: ArgType::String,
            choices: Vec::new(),
            required: false,
        };
        match &v.value {
            Value::Null => {}
            Value::Map(_) => {
                let Some(f) = cx.fields(v, &decl.name.value, "an argument", &ARG, &|_| None) else {
                    continue;
                };
                typed(cx, &f, &mut decl);
            }
            Value::Seq(_) => {
                cx.wrong_type(v, &decl.name.value, "a value or `{default, description}`");
                continue;
            }
            _ => decl.default = cx.string(v, &decl.name.value),
        }
        out.push(decl);
    }
    out
}

/// An argument written as a mapping: its default and description, and its
/// type, choices and `required` (language 1.1), checked against each other:
/// the default must be a value of the argument, a required argument has none.
fn typed(cx: &mut Cx<'_>, f: &Fields<'_>, decl: &mut ArgDecl) {
    decl.default = cx.opt(f, "default", Cx::string);
    decl.description = cx.opt(f, "description", Cx::string);
    let types = [
        ("string", ArgType::String),
        ("bool", ArgType::Bool),
        ("int", ArgType::Int),
    ];
    let ty = f.get("type").and_then(|n| cx.choice(n, "type", &types));
    if let Some(t) = &ty {
        decl.ty = t.value;
    }
    let choices: Vec<Spanned<String>> = cx.list_of(f, "choices", Cx::string);
    decl.choices = choices.iter().map(|c| c.value.clone()).collect();
    decl.required = cx.flag(f, "required", false);
    let name = decl.name.value.clone();
    if let Some(node) = f.get("choices") {
        if choices.is_empty() && matches!(node.value, Value::Seq(_)) {
            cx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{name}` has no choices"),
                    node.span,
                )
                .with_help("list the values the argument may take, or remove `choices`"),
            );
        }
        if decl.ty != ArgType::String {
            cx.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!(
                        "`choices` are for string arguments, and `{name}` is of type `{}`",
                        decl.ty.name()
                    ),
                    node.span,
                )
                .with_help("remove `type`, or remove `choices`"),
            );
        }
        for c in &choices {
            if let Err(why) = validate::check_arg_value(decl.ty, &[], &c.value) {
                cx.push(Diagnostic::new(
                    Code::ArgValueInvalid,
                    format!("choice `{}` is not a value of `{name}`: {why}", c.value),
                    c.span,
                ));
            }
        }
    }
    match &decl.default {
        Some(d) if decl.required => cx.push(
            Diagnostic::new(
                Code::ArgRequired,
                format!("`{name}` is required, so it takes no `default`"),
                d.span,
            )
            .with_help("remove `default`, or remove `required: true`"),
        ),
        Some(d) => {
            if let Err(why) = validate::check_arg_value(decl.ty, &decl.choices, &d.value) {
                cx.push(
                    Diagnostic::new(
                        Code::ArgValueInvalid,
                        format!("the default `{}` is not a value of `{name}`", d.value),
                        d.span,
                    )
                    .with_help(why),
                );
            }
        }
        None => {}
    }
}

fn stages(cx: &mut Cx<'_>, node: &Node, draft: &mut Draft) {
    let Value::Map(entries) = &node.value else {
        cx.wrong_type(node, "stages", "a mapping of stage names to stages");
        return;
    };
    if entries.is_empty() {
        cx.push(
            Diagnostic::new(Code::InvalidValue, "`stages` is empty", node.span)
                .with_help("define at least one stage"),
        );
        return;
    }
    for (k, v) in entries {
        let Some(name) = cx.string(k, "stages") else {
            continue;
        };
        if let Some(first) = draft.stage_names.iter().find(|n| n.value == name.value) {
            cx.push(
                Diagnostic::new(
                    Code::DuplicateStage,
                    format!("duplicate stage `{}`", name.value),
                    k.span,
                )
                .with_label(first.span, "first defined here"),
            );
            continue;
        }
        if let Err((msg, help)) = validate::check_stage_name(&name.value) {
            cx.push(Diagnostic::new(Code::InvalidStageName, msg, k.span).with_help(help));
            continue;
        }
        if draft.matrices.contains_key(&name.value) {
            cx.push(Diagnostic::new(
                Code::DuplicateStage,
                format!(
                    "duplicate stage `{}`: a matrix stage has this name",
                    name.value
                ),
                k.span,
            ));
            continue;
        }
        // Kept even if some of its steps had errors, so that the cross-stage
        // checks still see its `from` and `needs`.
        match stage::stage(cx, name.clone(), k.span, v) {
            Some((s, Some(m))) => {
                let mut names = Vec::new();
                for instance in matrix::instances(cx, &s, &m) {
                    let taken = draft
                        .stage_names
                        .iter()
                        .chain(std::iter::once(&name))
                        .find(|n| n.value == instance.name.value)
                        .map(|n| n.span);
                    if let Some(first) = taken {
                        cx.push(
                            Diagnostic::new(
                                Code::DuplicateStage,
                                format!(
                                    "matrix stage `{}` makes an instance `{}`, a name already taken",
                                    name.value, instance.name.value
                                ),
                                k.span,
                            )
                            .with_label(first, "taken here")
                            .with_help("instance names are the stage name and each value, lower-cased, joined by `-`"),
                        );
                        continue;
                    }
                    names.push(instance.name.value.clone());
                    draft.stage_names.push(instance.name.clone());
                    draft.push_stage(instance);
                }
                draft.matrices.insert(name.value.clone(), names);
            }
            Some((s, None)) => {
                draft.stage_names.push(name);
                draft.push_stage(s);
            }
            None => draft.stage_names.push(name),
        }
    }
    expand_matrix_needs(draft);
}

/// A `needs` entry naming a matrix stage means every instance: one entry
/// each, with the entry's condition.
fn expand_matrix_needs(draft: &mut Draft) {
    if draft.matrices.is_empty() {
        return;
    }
    for stage in &mut draft.stages {
        if !stage
            .needs
            .iter()
            .any(|n| draft.matrices.contains_key(&n.stage.value))
        {
            continue;
        }
        let needs = std::mem::take(&mut stage.needs);
        for n in needs {
            match draft.matrices.get(&n.stage.value) {
                Some(instances) => stage.needs.extend(instances.iter().map(|i| Need {
                    stage: Spanned::new(i.clone(), n.stage.span),
                    cond: n.cond.clone(),
                })),
                None => stage.needs.push(n),
            }
        }
    }
}
