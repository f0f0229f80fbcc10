//! `stagecraft convert`: a Dockerfile → a spec, offline and deterministic
//! (the same Dockerfile gives the same bytes). `parse` reads the Dockerfile
//! as BuildKit does, `to_spec` turns instructions into the spec's keys,
//! `yaml` writes the text. What a spec cannot say is an error naming the
//! Dockerfile line.
//!
//! This module compiles nothing; the converted spec is checked by
//! `spec::parse` like any other.

mod parse;
mod to_spec;
mod yaml;

use yaml::{Entry, Y};

/// A Dockerfile that cannot be converted: the line and why.
pub use parse::ParseError as ConvertError;

/// Options of a conversion.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// The frontend image the spec's `# syntax=` line names.
    pub syntax: String,
    /// The Dockerfile's name, for the header comment.
    pub source_name: String,
    /// Write an instruction that cannot be converted as a `# TODO` comment
    /// (with its line and why) instead of failing.
    pub lenient: bool,
}

/// A converted spec, and how many instructions `lenient` left as `# TODO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub spec: String,
    pub todo: usize,
}

/// The spec for `dockerfile`.
pub fn convert(dockerfile: &str, opts: &ConvertOptions) -> Result<String, ConvertError> {
    convert_counted(dockerfile, opts).map(|c| c.spec)
}

/// The spec for `dockerfile`, with the number of `# TODO`s it has.
pub fn convert_counted(dockerfile: &str, opts: &ConvertOptions) -> Result<Converted, ConvertError> {
    let df = parse::parse(dockerfile)?;
    let (global, stages, todo) = to_spec::convert(&df, opts.lenient)?;
    let mut top: Vec<Entry<(String, Y)>> = vec![Entry::new(("version".to_owned(), Y::Int(1)))];
    if !global.is_empty() {
        let args = global
            .into_iter()
            .map(|(k, v)| Entry::new((k, v.map_or(Y::Null, Y::Str))))
            .collect();
        top.push(Entry::new(("args".to_owned(), Y::Map(args))));
    }
    top.push(Entry::new(("stages".to_owned(), Y::Map(stages))));
    let mut out = format!("# syntax={}\n", opts.syntax);
    if let Some(check) = &df.check {
        out.push_str(&format!("# check={check}\n"));
    }
    out.push_str(&format!(
        "# Converted from {} by stagecraft convert.\n",
        opts.source_name
    ));
    out.push_str(&yaml::to_string(&Y::Map(top)));
    Ok(Converted { spec: out, todo })
}
