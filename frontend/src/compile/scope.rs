//! Variable scopes for a stage: built-in platform arguments, the stage's
//! environment, and its arguments (top-level and stage-local, with
//! `--build-arg` overrides), in the contract's precedence order.
//!
//! This module only assembles names and values; expansion itself is
//! [`crate::spec::vars`].

use std::collections::BTreeMap;

use llb::Platform;

use crate::diag::{Diagnostic, SourceFile, Spanned};
use crate::options::BuildOptions;
use crate::spec::model::{ArgDecl, Spec, Stage};
use crate::spec::vars;

/// Names and values visible to one value of a stage.
#[derive(Debug, Clone, Default)]
pub struct StageScope {
    builtins: BTreeMap<String, Option<String>>,
    env: BTreeMap<String, Option<String>>,
    args: BTreeMap<String, Option<String>>,
    /// The names the stage itself declares under `args:`, in their order.
    declared: Vec<String>,
}

/// The built-in platform arguments.
pub fn builtins(target: &Platform, build: &Platform) -> BTreeMap<String, Option<String>> {
    let mut m = BTreeMap::new();
    for (prefix, p) in [("TARGET", target), ("BUILD", build)] {
        m.insert(format!("{prefix}PLATFORM"), Some(p.to_string()));
        m.insert(format!("{prefix}OS"), Some(p.os.clone()));
        m.insert(format!("{prefix}ARCH"), Some(p.architecture.clone()));
        m.insert(format!("{prefix}VARIANT"), Some(p.variant.clone()));
    }
    m
}

/// Declares `decls` over `args`: a `--build-arg` wins, then the
/// declaration's default; a name declared again with no value keeps the
/// value it had (a stage's `NAME:` takes the top-level value, as a
/// Dockerfile's `ARG NAME` in a stage takes the global one).
fn declare<'v>(
    args: &mut BTreeMap<String, Option<String>>,
    decls: &[ArgDecl],
    given: impl Fn(&str) -> Option<&'v String>,
) {
    for d in decls {
        let value = given(&d.name.value)
            .cloned()
            .or_else(|| d.default.as_ref().map(|v| v.value.clone()))
            .or_else(|| args.get(&d.name.value).cloned().flatten());
        args.insert(d.name.value.clone(), value);
    }
}

impl StageScope {
    /// The scope of `stage` before its environment is known: built-ins and arguments.
    pub fn for_stage(
        spec: &Spec,
        stage: &Stage,
        opts: &BuildOptions,
        target: &Platform,
        build: &Platform,
    ) -> Self {
        let mut args = BTreeMap::new();
        match spec.unit(stage.unit) {
            None => {
                declare(&mut args, &spec.args, |n| opts.build_args.get(n));
                declare(&mut args, &stage.args, |n| opts.build_args.get(n));
            }
            // An imported stage (language 1.1): its spec's arguments, from
            // `--build-arg PREFIX.NAME`, else the import's `args`; plain
            // `--build-arg NAME` does not reach it.
            Some(unit) => {
                declare(&mut args, &unit.args, |n| unit.value_of(opts, n));
                declare(&mut args, &stage.args, |n| unit.build_arg(opts, n));
            }
        }
        // A matrix instance's values (language 1.1): stage arguments that
        // no `--build-arg` replaces, or every instance would be the same.
        let matrix = stage.matrix.as_ref().map_or(&[][..], |m| &m.values[..]);
        for (name, value) in matrix {
            args.insert(name.value.clone(), Some(value.value.clone()));
        }
        let builtins = builtins(target, build);
        // Declaring a built-in without a value (`args: {TARGETARCH: }`) takes
        // the built-in's value and exports it to `run` steps, as `ARG
        // TARGETARCH` does in a Dockerfile.
        for (name, value) in args.iter_mut() {
            if value.is_none() {
                if let Some(b) = builtins.get(name) {
                    value.clone_from(b);
                }
            }
        }
        Self {
            builtins,
            env: BTreeMap::new(),
            args,
            declared: stage
                .args
                .iter()
                .map(|d| &d.name.value)
                .chain(matrix.iter().map(|(n, _)| &n.value))
                .cloned()
                .collect(),
        }
    }

    /// The value of argument `name`, if it is declared and has one.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.get(name).and_then(|v| v.as_deref())
    }

    /// What a condition (`when`/`unless`) sees of `name`: the arguments,
    /// then the built-ins; never the environment, which for a stage from an
    /// image is only known once the image is resolved, after planning.
    pub fn condition_lookup(&self, name: &str) -> vars::Lookup {
        [&self.args, &self.builtins]
            .into_iter()
            .find_map(|m| m.get(name))
            .map_or(vars::Lookup::Undeclared, |v| match v {
                Some(v) => vars::Lookup::Value(v.clone()),
                None => vars::Lookup::DeclaredEmpty,
            })
    }

    /// The names a condition can see, sorted.
    pub fn condition_names(&self) -> Vec<String> {
        let mut names: Vec<String> = [&self.args, &self.builtins]
            .into_iter()
            .flat_map(|m| m.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Adds or replaces an environment variable (arguments still take precedence).
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.insert(name.to_owned(), Some(value.to_owned()));
    }

    /// The arguments that reach a `run` step whose command names `named`
    /// (language 1.1), when they have a value: those the stage declares, in
    /// the order declared (a Dockerfile's `ARG` lines give the `RUN`
    /// environment that order), then those only the command names (built-ins
    /// included), in the order named; each once.
    pub fn run_args<'s>(&'s self, named: &[&str]) -> Vec<(&'s str, &'s str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        let mut push = |found: Option<(&'s String, &'s Option<String>)>| {
            if let Some((k, Some(v))) = found {
                if !out.iter().any(|(n, _)| *n == k.as_str()) {
                    out.push((k.as_str(), v.as_str()));
                }
            }
        };
        for name in &self.declared {
            push(self.args.get_key_value(name.as_str()));
        }
        for name in named {
            push(
                self.args
                    .get_key_value(*name)
                    .or_else(|| self.builtins.get_key_value(*name)),
            );
        }
        out
    }

    /// Expands `text`.
    pub fn expand(&self, text: &Spanned<String>, src: &SourceFile) -> Result<String, Diagnostic> {
        vars::expand(text, self, src)
    }
}

/// Arguments, then the environment, then the built-ins: looked up in place
/// (a lookup costs three map probes, not a merged copy of the scope).
impl vars::Scope for StageScope {
    fn lookup(&self, name: &str) -> vars::Lookup {
        [&self.args, &self.env, &self.builtins]
            .into_iter()
            .find_map(|m| m.get(name))
            .map_or(vars::Lookup::Undeclared, |v| match v {
                Some(v) => vars::Lookup::Value(v.clone()),
                None => vars::Lookup::DeclaredEmpty,
            })
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = [&self.args, &self.env, &self.builtins]
            .into_iter()
            .flat_map(|m| m.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}
