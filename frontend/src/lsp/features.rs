//! The answers of the language server, each from one open [`Document`]:
//! diagnostics (the frontend's own, errors and lint warnings with their
//! codes), hover (the key tables' documentation, a stage's or an
//! argument's description), completion (keys, step kinds, choices, stage
//! names, variables), go-to-definition and rename of stages and arguments.
//!
//! Stage references come from the model's one walk
//! ([`crate::spec::Stage::references`]) on the stages the reader could read,
//! so they work while other parts of the spec have errors.

use lsp_types::{
    CompletionItem, CompletionItemKind, Diagnostic as LspDiagnostic, DiagnosticSeverity,
    Documentation, Hover, HoverContents, Location, MarkupContent, MarkupKind, NumberOrString,
    Position, TextEdit, Uri,
};

use super::context::{self, Context};
use super::document::Document;
use super::tree;
use crate::diag::{Severity, Span, Spanned};
use crate::spec::keys::{Key, Ty};
use crate::spec::vars::PLATFORM_ARGS;
use crate::steps::STEP_KINDS;

/// The keys whose values name a stage (besides images and contexts).
const STAGE_VALUED: &[(&str, &str)] = &[
    ("spec", "target"),
    ("stage", "from"),
    ("stage", "needs"),
    ("copy-step", "from"),
    ("artifact", "from"),
    ("bind-mount", "from"),
];

/// The document's diagnostics, as the protocol has them.
pub(super) fn diagnostics(doc: &Document) -> Vec<LspDiagnostic> {
    doc.analysis
        .diags
        .iter()
        .map(|d| {
            let message = match &d.help {
                Some(h) => format!("{}\nhelp: {h}", d.message),
                None => d.message.clone(),
            };
            LspDiagnostic {
                range: doc.range(d.span),
                severity: Some(match d.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(d.code.name().to_owned())),
                source: Some("stagecraft".to_owned()),
                message,
                ..LspDiagnostic::default()
            }
        })
        .collect()
}

fn markdown(value: String) -> HoverContents {
    HoverContents::Markup(MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    })
}

/// A key's documentation: its doc, type, default.
fn key_doc(key: &Key) -> String {
    let mut out = format!("**`{}`** ({})\n\n{}", key.name, type_name(&key.ty), key.doc);
    if key.required {
        out.push_str("\n\nRequired.");
    }
    if let Some(d) = key.default {
        out.push_str(&format!("\n\nDefault: `{d}`."));
    }
    out
}

fn type_name(ty: &Ty) -> String {
    match ty {
        Ty::Version => "the integer 1".into(),
        Ty::Str => "string".into(),
        Ty::Path => "non-empty string".into(),
        Ty::Bool => "boolean".into(),
        Ty::UInt => "unsigned integer".into(),
        Ty::Command => "string or list of arguments".into(),
        Ty::Strings => "list of strings".into(),
        Ty::OneOrMany => "string or list of strings".into(),
        Ty::KeyValues => "mapping of names to values".into(),
        Ty::Choice(options) => options.join(" | "),
        Ty::Table(t) => format!("mapping: {}", t.name),
        Ty::PathOr(t) => format!("path or mapping: {}", t.name),
        Ty::NoneOr(t) => format!("`none` or mapping: {}", t.name),
        Ty::List(item) => format!("list of {}", type_name(item)),
        Ty::Args(_) => "mapping of argument names".into(),
        Ty::Stages(_) => "mapping of stage names to stages".into(),
        Ty::Imports(_) => "mapping of aliases to imported specs".into(),
        Ty::Steps => "list of steps".into(),
        Ty::Condition => "mapping of variable names to a value or a list of values".into(),
        Ty::Matrix => "mapping of variable names to lists of values, and `exclude`".into(),
    }
}

/// The hover at `offset`: a key's documentation, or what a stage reference
/// or a variable names.
pub(super) fn hover(doc: &Document, offset: usize) -> Option<Hover> {
    let root = doc.analysis.root.as_ref()?;
    if let Some(k) = tree::key_at(root, offset) {
        return Some(Hover {
            contents: markdown(key_doc(k.key)),
            range: Some(doc.range(k.node.span)),
        });
    }
    if let Some((name, span)) = variable_at(doc, offset) {
        let decl = argument(doc, &name, offset);
        let text = match decl {
            Some(a) => {
                let mut t = format!("**`{name}`**: argument");
                if let Some(d) = &a.default {
                    t.push_str(&format!(", default `{}`", d.value));
                }
                if let Some(d) = &a.description {
                    t.push_str(&format!("\n\n{}", d.value));
                }
                t
            }
            None if PLATFORM_ARGS.contains(&name.as_str()) => {
                format!("**`{name}`**: a platform argument every stage has")
            }
            None => return None,
        };
        return Some(Hover {
            contents: markdown(text),
            range: Some(doc.range(span)),
        });
    }
    let (stage, at) = stage_reference_at(doc, offset)?;
    let draft = doc.analysis.draft.as_ref()?;
    let s = draft.stage(&stage)?;
    let mut text = format!("**stage `{stage}`**, from `{}`", s.from.value);
    if let Some(d) = &s.description {
        text.push_str(&format!("\n\n{}", d.value));
    }
    Some(Hover {
        contents: markdown(text),
        range: Some(doc.range(at)),
    })
}

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: String,
    doc: Option<String>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        detail: Some(detail),
        documentation: doc.map(|d| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d,
            })
        }),
        ..CompletionItem::default()
    }
}

/// The completions at `position`.
pub(super) fn completion(doc: &Document, position: Position) -> Vec<CompletionItem> {
    let lines: Vec<&str> = (0..=doc.line_count()).map(|l| doc.line(l)).collect();
    let offset = doc.offset(position);
    let col = offset - doc.offset(Position::new(position.line, 0));
    match context::at(&lines, position.line as usize, col) {
        Context::Key { table, present } => table
            .keys
            .iter()
            .filter(|k| !present.iter().any(|p| p == k.name))
            .map(|k| {
                item(
                    k.name,
                    CompletionItemKind::PROPERTY,
                    type_name(&k.ty),
                    Some(key_doc(k)),
                )
            })
            .collect(),
        Context::StepKind => STEP_KINDS
            .iter()
            .map(|k| {
                let doc = k.table.key(k.name).map(key_doc);
                item(
                    k.name,
                    CompletionItemKind::KEYWORD,
                    k.table.doc.to_owned(),
                    doc,
                )
            })
            .collect(),
        Context::Value { table, key } => {
            if STAGE_VALUED.contains(&(table.name, key.name)) {
                let mut names: Vec<CompletionItem> = doc
                    .stage_names
                    .iter()
                    .map(|n| item(n, CompletionItemKind::REFERENCE, "stage".into(), None))
                    .collect();
                if key.name == "from" && table.name == "stage" {
                    names.push(item(
                        "scratch",
                        CompletionItemKind::CONSTANT,
                        "the empty image".into(),
                        None,
                    ));
                }
                return names;
            }
            match key.ty {
                Ty::Choice(options) | Ty::List(&Ty::Choice(options)) => options
                    .iter()
                    .map(|o| item(o, CompletionItemKind::ENUM_MEMBER, key.name.into(), None))
                    .collect(),
                Ty::Bool => ["true", "false"]
                    .iter()
                    .map(|o| item(o, CompletionItemKind::CONSTANT, "boolean".into(), None))
                    .collect(),
                // Free values: nothing to offer.
                Ty::Version
                | Ty::Str
                | Ty::Path
                | Ty::UInt
                | Ty::Command
                | Ty::Strings
                | Ty::OneOrMany
                | Ty::KeyValues
                | Ty::Table(_)
                | Ty::PathOr(_)
                | Ty::NoneOr(_)
                | Ty::List(_)
                | Ty::Args(_)
                | Ty::Stages(_)
                | Ty::Imports(_)
                | Ty::Steps
                | Ty::Condition
                | Ty::Matrix => Vec::new(),
            }
        }
        Context::Variable => variables(doc, offset)
            .into_iter()
            .map(|(name, what)| item(&name, CompletionItemKind::VARIABLE, what, None))
            .collect(),
        Context::Nothing => Vec::new(),
    }
}

/// The variables in scope at `offset`: the stage's arguments and env, the
/// top-level arguments, the platform arguments.
fn variables(doc: &Document, offset: usize) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |n: &str, what: &str| {
        if !out.iter().any(|(o, _)| o == n) {
            out.push((n.to_owned(), what.to_owned()));
        }
    };
    if let Some(draft) = &doc.analysis.draft {
        if let Some(stage) = enclosing_stage(doc, offset) {
            for a in &stage.args {
                add(&a.name.value, "stage argument");
            }
            for (k, _) in &stage.env {
                add(&k.value, "stage env");
            }
        }
        for a in &draft.args {
            add(&a.name.value, "argument");
        }
    }
    for n in PLATFORM_ARGS {
        add(n, "platform argument");
    }
    out
}

/// The stage whose text holds `offset` (stages are in file order).
fn enclosing_stage(doc: &Document, offset: usize) -> Option<&crate::spec::Stage> {
    let draft = doc.analysis.draft.as_ref()?;
    draft
        .stages
        .iter()
        .filter(|s| s.name.span.offset <= offset)
        .max_by_key(|s| s.name.span.offset)
}

/// The argument `name` as seen at `offset`: the stage's, else the top level's.
fn argument<'d>(doc: &'d Document, name: &str, offset: usize) -> Option<&'d crate::spec::ArgDecl> {
    let draft = doc.analysis.draft.as_ref()?;
    enclosing_stage(doc, offset)
        .and_then(|s| s.args.iter().find(|a| a.name.value == name))
        .or_else(|| draft.args.iter().find(|a| a.name.value == name))
}

/// The `$NAME` or `${NAME` under `offset`: the name and its span.
fn variable_at(doc: &Document, offset: usize) -> Option<(String, Span)> {
    let text = &doc.src.text;
    let line_start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text
        .get(offset..)?
        .find('\n')
        .map_or(text.len(), |i| offset + i);
    let line = text.get(line_start..line_end)?;
    let bytes = line.as_bytes();
    for (i, _) in line.match_indices('$') {
        let start = if bytes.get(i + 1) == Some(&b'{') {
            i + 2
        } else {
            i + 1
        };
        let len = line
            .get(start..)?
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let (from, to) = (line_start + i, line_start + start + len);
        if len > 0 && (from..=to).contains(&offset) {
            let name = line.get(start..start + len)?.to_owned();
            return Some((name, doc.src.span_at(line_start + start, len)));
        }
    }
    None
}

/// The stage named where `offset` is: on a stage's key, or on a value that
/// names a stage. The name, and the span under the cursor.
fn stage_reference_at(doc: &Document, offset: usize) -> Option<(String, Span)> {
    let draft = doc.analysis.draft.as_ref()?;
    let known = |v: &Spanned<String>| draft.stage_names.iter().any(|n| n.value == v.value);
    let hit = |v: &Spanned<String>| v.span.range().contains(&offset) || v.span.offset == offset;
    for s in &draft.stages {
        if hit(&s.name) {
            return Some((s.name.value.clone(), s.name.span));
        }
        for r in s.references() {
            if hit(r.value) && known(r.value) {
                return Some((r.value.value.clone(), r.value.span));
            }
        }
    }
    draft
        .target
        .as_ref()
        .filter(|t| hit(t) && known(t))
        .map(|t| (t.value.clone(), t.span))
}

/// Where what is under `offset` is defined: a stage's key, an argument's name.
pub(super) fn definition(doc: &Document, uri: &Uri, offset: usize) -> Option<Location> {
    let draft = doc.analysis.draft.as_ref()?;
    let span = if let Some((name, _)) = variable_at(doc, offset) {
        argument(doc, &name, offset)?.name.span
    } else {
        let (name, _) = stage_reference_at(doc, offset)?;
        draft
            .stages
            .iter()
            .find(|s| s.name.value == name)?
            .name
            .span
    };
    Some(Location {
        uri: uri.clone(),
        range: doc.range(span),
    })
}

/// The edits that rename the stage under `offset` to `new_name`, or why not.
pub(super) fn rename(
    doc: &Document,
    offset: usize,
    new_name: &str,
) -> Result<Vec<TextEdit>, String> {
    let (old, _) =
        stage_reference_at(doc, offset).ok_or("no stage here: rename works on stage names")?;
    crate::spec::validate::check_stage_name(new_name)
        .map_err(|(msg, help)| format!("{msg}: {help}"))?;
    let draft = doc
        .analysis
        .draft
        .as_ref()
        .ok_or("the spec cannot be read")?;
    if draft.stage_names.iter().any(|n| n.value == new_name) {
        return Err(format!("a stage `{new_name}` exists already"));
    }
    let mut spans: Vec<Span> = Vec::new();
    let verbatim = |v: &Spanned<String>| v.value == old && v.span.len == old.len();
    for s in &draft.stages {
        if verbatim(&s.name) {
            spans.push(s.name.span);
        }
        spans.extend(
            s.references()
                .iter()
                .map(|r| r.value)
                .filter(|v| verbatim(v))
                .map(|v| v.span),
        );
    }
    spans.extend(draft.target.iter().filter(|t| verbatim(t)).map(|t| t.span));
    spans.sort_by_key(|s| s.offset);
    spans.dedup();
    Ok(spans
        .into_iter()
        .map(|s| TextEdit {
            range: doc.range(s),
            new_text: new_name.to_owned(),
        })
        .collect())
}
