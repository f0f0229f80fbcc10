//! The language's keys as data: for every mapping of the spec, the keys it
//! accepts, their types, whether they are required, and their documentation.
//! Each reader in `convert` declares its mapping's [`Table`] beside the code
//! that reads it and checks keys against it; the JSON Schema
//! (`spec::schema`) and the language server's hover and completion are
//! generated from the same tables, so none of them can name a key the
//! reader does not know.
//!
//! This module only describes; it reads nothing and checks nothing.

/// The type of a key's value, as the reader accepts it.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// The integer `1`.
    Version,
    /// A scalar: a string, or a number or boolean read as its text.
    Str,
    /// A non-empty scalar (a path, a reference, a user).
    Path,
    /// `true` or `false`.
    Bool,
    /// An integer from 0 to 2³²−1.
    UInt,
    /// A string (run by the shell) or a list of arguments.
    Command,
    /// A list of scalars.
    Strings,
    /// One scalar or a list of them.
    OneOrMany,
    /// A mapping of names to scalars.
    KeyValues,
    /// One of these strings.
    Choice(&'static [&'static str]),
    /// A mapping of this table.
    Table(&'static Table),
    /// A path, or a mapping of this table.
    PathOr(&'static Table),
    /// The string `none`, or a mapping of this table.
    NoneOr(&'static Table),
    /// A list of values of this type.
    List(&'static Ty),
    /// A mapping of argument names to a value, nothing, or an argument table.
    Args(&'static Table),
    /// A mapping of stage names to stages.
    Stages(&'static Table),
    /// A mapping of import aliases to imports (language 1.1).
    Imports(&'static Table),
    /// A list of steps, each with exactly one kind key.
    Steps,
    /// A mapping of variable names to a value or a list of values
    /// (`when`/`unless`, language 1.1).
    Condition,
    /// A mapping of variable names to lists of values, and `exclude`
    /// (`matrix`, language 1.1).
    Matrix,
}

impl Ty {
    /// The table of a value of this type that is a mapping (a table, or a
    /// path or `none` written as a mapping); none for scalars, lists and
    /// mappings of names.
    pub fn table(&self) -> Option<&'static Table> {
        match self {
            Ty::Table(t) | Ty::PathOr(t) | Ty::NoneOr(t) => Some(t),
            Ty::Version
            | Ty::Str
            | Ty::Path
            | Ty::Bool
            | Ty::UInt
            | Ty::Command
            | Ty::Strings
            | Ty::OneOrMany
            | Ty::KeyValues
            | Ty::Choice(_)
            | Ty::List(_)
            | Ty::Args(_)
            | Ty::Stages(_)
            | Ty::Imports(_)
            | Ty::Steps
            | Ty::Condition
            | Ty::Matrix => None,
        }
    }
}

/// One key of a mapping.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    /// One or two sentences of Markdown: hover text and schema description.
    pub doc: &'static str,
    /// The default, as JSON text, where the language states one.
    pub default: Option<&'static str>,
    /// An example value, as JSON text.
    pub example: Option<&'static str>,
}

impl Key {
    /// An optional key.
    pub const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Key {
        Key {
            name,
            ty,
            required: false,
            doc,
            default: None,
            example: None,
        }
    }

    /// A required key.
    pub const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Key {
        Key {
            required: true,
            ..Key::opt(name, ty, doc)
        }
    }

    /// The same key with a default (JSON text).
    pub const fn default(self, json: &'static str) -> Key {
        Key {
            default: Some(json),
            ..self
        }
    }

    /// The same key with an example (JSON text).
    pub const fn example(self, json: &'static str) -> Key {
        Key {
            example: Some(json),
            ..self
        }
    }
}

/// The keys of one kind of mapping.
#[derive(Debug)]
pub struct Table {
    /// The name of its definition in the schema (`stage`, `cache-mount`).
    pub name: &'static str,
    /// What the mapping is, for the schema and hover.
    pub doc: &'static str,
    pub keys: &'static [Key],
    /// Keys of which exactly one must be present (`add`: `url` or `git`).
    pub exactly_one_of: &'static [&'static str],
}

impl Table {
    /// The key named `name`.
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// The keys' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + Clone {
        self.keys.iter().map(|k| k.name)
    }
}

/// Every table of the language (the top level first).
pub fn tables() -> &'static [&'static Table] {
    crate::spec::convert::TABLES
}
