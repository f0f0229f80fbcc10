//! The JSON Schema (draft-07) of the language, generated from the reader's
//! key tables ([`super::keys`], declared in `convert`): `stagecraft schema`
//! prints it, `schema/stagecraft.schema.json` is its committed copy, and
//! `frontend/tests/schema.rs` fails when that copy is stale or when the
//! schema and the reader disagree on a key.
//!
//! The schema checks what the reader checks about shape: key names, types,
//! required keys, choices, one kind per step. It does NOT check what needs
//! the whole spec or a build (stage references, variables, platforms,
//! modes): those stay the frontend's diagnostics. Optional keys accept
//! `null`, which the reader takes as absent. JSON has one number for `3`
//! and `3.0`, so a float without a fraction passes where an integer is
//! expected (the reader refuses it), and keys that are not scalars cannot
//! be written in JSON at all.

use serde_json::{json, Map, Value};

use super::convert::{TABLES, TOP};
use super::keys::{Key, Table, Ty};
use crate::steps::STEP_KINDS;

/// Stage names, as `validate::check_stage_name` accepts them.
pub const STAGE_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9_.-]*$";
/// Import aliases (language 1.1), as `validate::check_import_alias` reads them.
pub const IMPORT_ALIAS_PATTERN: &str = "^[a-z0-9][a-z0-9_-]*$";
/// Argument names, as `validate::check_arg_name` accepts them.
pub const ARG_NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";

/// A scalar the reader takes as a string: numbers and booleans give their text.
fn scalar() -> Value {
    json!({ "type": ["string", "number", "boolean"] })
}

fn reference(t: &Table) -> Value {
    json!({ "$ref": format!("#/definitions/{}", t.name) })
}

/// The schema of a value of type `ty`.
fn of(ty: &Ty) -> Value {
    match ty {
        Ty::Version => json!({ "type": "integer", "const": 1 }),
        Ty::Str => scalar(),
        Ty::Path => json!({ "type": ["string", "number", "boolean"], "minLength": 1 }),
        Ty::Bool => json!({ "type": "boolean" }),
        Ty::UInt => json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX }),
        Ty::Command => json!({ "anyOf": [scalar(), { "type": "array", "items": scalar() }] }),
        Ty::Strings => json!({ "type": "array", "items": scalar() }),
        Ty::OneOrMany => json!({ "anyOf": [scalar(), { "type": "array", "items": scalar() }] }),
        Ty::KeyValues => json!({ "type": "object", "additionalProperties": scalar() }),
        Ty::Choice(options) => json!({ "enum": options }),
        Ty::Table(t) => reference(t),
        Ty::PathOr(t) => json!({ "anyOf": [of(&Ty::Path), reference(t)] }),
        Ty::NoneOr(t) => json!({ "anyOf": [{ "const": "none" }, reference(t)] }),
        Ty::List(item) => json!({ "type": "array", "items": of(item) }),
        Ty::Args(t) => json!({
            "type": "object",
            "propertyNames": { "pattern": ARG_NAME_PATTERN },
            "additionalProperties": { "anyOf": [scalar(), { "type": "null" }, reference(t)] },
        }),
        Ty::Stages(t) => json!({
            "type": "object",
            "minProperties": 1,
            "propertyNames": { "pattern": STAGE_NAME_PATTERN, "not": { "const": "scratch" } },
            "additionalProperties": reference(t),
        }),
        Ty::Imports(t) => json!({
            "type": "object",
            "propertyNames": { "pattern": IMPORT_ALIAS_PATTERN },
            "additionalProperties": reference(t),
        }),
        Ty::Steps => json!({ "type": "array", "items": { "$ref": "#/definitions/step" } }),
        Ty::Matrix => json!({
            "type": "object",
            "minProperties": 1,
            "propertyNames": { "pattern": ARG_NAME_PATTERN },
            "properties": {
                "exclude": {
                    "type": "array",
                    "items": { "type": "object", "minProperties": 1, "additionalProperties": scalar() }
                }
            },
            "additionalProperties": { "type": "array", "minItems": 1, "items": scalar() },
        }),
        Ty::Condition => json!({
            "type": "object",
            "minProperties": 1,
            "propertyNames": { "pattern": ARG_NAME_PATTERN },
            "additionalProperties": {
                "anyOf": [scalar(), { "type": "array", "minItems": 1, "items": scalar() }]
            },
        }),
    }
}

/// JSON text from a table (defaults, examples); the tests parse every one.
fn literal(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

/// A key's property: its type, documentation, default and example. `null`
/// is absent for an optional key, except one of `exactly_one_of`, whose
/// presence counts.
fn property(t: &Table, key: &Key) -> Value {
    let mut p = Map::new();
    let ty = of(&key.ty);
    if key.required || t.exactly_one_of.contains(&key.name) {
        if let Value::Object(m) = ty {
            p.extend(m);
        }
    } else {
        p.insert("anyOf".into(), json!([ty, { "type": "null" }]));
    }
    p.insert("description".into(), json!(key.doc));
    p.insert("markdownDescription".into(), json!(key.doc));
    if let Some(d) = key.default.and_then(literal) {
        p.insert("default".into(), d);
    }
    if let Some(e) = key.example.and_then(literal) {
        p.insert("examples".into(), json!([e]));
    }
    Value::Object(p)
}

/// A table's definition: a mapping of its keys and no others.
fn definition(t: &Table) -> Map<String, Value> {
    let mut d = Map::new();
    d.insert("type".into(), json!("object"));
    d.insert("description".into(), json!(t.doc));
    let properties: Map<String, Value> = t
        .keys
        .iter()
        .map(|k| (k.name.to_owned(), property(t, k)))
        .collect();
    d.insert("properties".into(), Value::Object(properties));
    let required: Vec<&str> = t
        .keys
        .iter()
        .filter(|k| k.required)
        .map(|k| k.name)
        .collect();
    if !required.is_empty() {
        d.insert("required".into(), json!(required));
    }
    d.insert("additionalProperties".into(), json!(false));
    if !t.exactly_one_of.is_empty() {
        let one: Vec<Value> = t
            .exactly_one_of
            .iter()
            .map(|k| json!({ "required": [k] }))
            .collect();
        d.insert("oneOf".into(), json!(one));
    }
    d
}

/// The whole schema.
pub fn schema() -> Value {
    let mut definitions = Map::new();
    for t in TABLES {
        definitions.insert(t.name.to_owned(), Value::Object(definition(t)));
    }
    let kinds: Vec<Value> = STEP_KINDS.iter().map(|k| reference(k.table)).collect();
    definitions.insert(
        "step".into(),
        json!({
            "description": format!("A step: exactly one of {}, with that kind's options.", crate::steps::names_one_of()),
            "oneOf": kinds,
        }),
    );
    let mut root = Map::new();
    root.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    root.insert("title".into(), json!("Stagecraft spec, version 1"));
    root.extend(definition(&TOP));
    root.insert("definitions".into(), Value::Object(definitions));
    Value::Object(root)
}

/// The schema as the committed file holds it: pretty JSON and a newline.
pub fn text() -> String {
    serde_json::to_string_pretty(&schema()).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_and_example_is_json() {
        for t in TABLES {
            for k in t.keys {
                for text in [k.default, k.example].into_iter().flatten() {
                    assert!(literal(text).is_some(), "{}.{}: {text}", t.name, k.name);
                }
            }
        }
    }

    #[test]
    fn table_names_are_unique() {
        for (i, t) in TABLES.iter().enumerate() {
            assert!(TABLES[..i].iter().all(|o| o.name != t.name), "{}", t.name);
            assert_ne!(t.name, "step");
        }
    }
}
