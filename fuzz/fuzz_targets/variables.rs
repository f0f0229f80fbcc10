//! Variable expansion: syntax check, references, expansion in a scope whose
//! names and values come from the input too, and the names a command reads.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use stagecraft::diag::{SourceFile, Spanned};
use stagecraft::spec::vars;

fuzz_target!(|data: &str| {
    // `value \0 NAME=VAL \0 NAME=VAL ...`
    let mut parts = data.split('\0');
    let value = parts.next().unwrap_or_default();
    let mut scope: BTreeMap<String, Option<String>> = BTreeMap::new();
    for p in parts {
        match p.split_once('=') {
            Some((k, v)) => scope.insert(k.to_owned(), Some(v.to_owned())),
            None => scope.insert(p.to_owned(), None),
        };
    }
    let _ = vars::check_syntax(value);
    let _ = vars::references(value);
    let _ = vars::names_in_command(value);
    let text = format!("k: {value:?}\n");
    let src = SourceFile::new("f.yaml", text.clone());
    let span = src.span_at(3, text.len().saturating_sub(4));
    let spanned = Spanned::new(value.to_owned(), span);
    let _ = vars::expand(&spanned, &scope, &src);
});
