//! Reads `defaults:` (language 1.1): the `run` and `copy` options that every
//! step of a scope gets, at the top level and per stage, and merges them
//! into each `run` and `copy` step as the step is read, from the widest
//! scope to the step: maps (`env`) by key; lists of mounts (`cache`,
//! `tmpfs`, `mounts`, `secrets`, `ssh`) concatenated, an entry with the same
//! target (for a secret in env form: the same `env` name) replacing the
//! wider one; scalars (and `include`/`exclude`) replaced. The step's own
//! value always wins; a step with `defaults: false` takes none.
//!
//! The merged step is the model: nothing after the reader knows that a
//! value came from defaults, except its span, which points where it was
//! written. Artifacts are not copy steps and take no defaults.

use super::reader::{Cx, Fields};
use super::{copy, run};
use crate::diag::Spanned;
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::Node;

/// `defaults:` at the top level or in a stage.
pub(crate) const DEFAULTS: Table = Table {
    name: "defaults",
    doc: "Options every `run` and `copy` step of this scope gets (the top level: every stage; a stage: its steps, on top of the top level's). A step's own value wins; `defaults: false` on a step takes none.",
    keys: &[
        Key::opt(
            "run",
            Ty::Table(&RUN),
            "Options of every `run` step: any `run` option but the command.",
        )
        .example(r#"{"cache": ["/root/.cache"], "env": {"CI": "1"}}"#),
        Key::opt(
            "copy",
            Ty::Table(&COPY),
            "Options of every `copy` step: any `copy` option but the sources and `from`.",
        )
        .example(r#"{"link": true, "chown": "1000:1000"}"#),
    ],
    exactly_one_of: &[],
};

/// `defaults.run`: the `run` step's keys after `run`, `defaults`, `when`
/// and `unless`.
pub(crate) const RUN: Table = Table {
    name: "run-defaults",
    doc: "The options every `run` step of the scope gets.",
    keys: run::STEP.keys.split_at(4).1,
    exactly_one_of: &[],
};

/// `defaults.copy`: the `copy` step's keys after `copy`, `from`,
/// `defaults`, `when` and `unless`.
pub(crate) const COPY: Table = Table {
    name: "copy-defaults",
    doc: "The options every `copy` step of the scope gets.",
    keys: copy::STEP.keys.split_at(5).1,
    exactly_one_of: &[],
};

/// The `defaults` key of a `run` or `copy` step.
pub(crate) const STEP_KEY: Key = Key::opt(
    "defaults",
    Ty::Bool,
    "`false`: this step takes none of the `defaults` of its stage and the top level.",
)
.default("true");

/// The defaults in effect for the steps being read.
#[derive(Clone, Debug, Default)]
pub(crate) struct Defaults {
    pub run: RunOptions,
    pub copy: CopyOptions,
}

/// A `run` step's options: everything but the command.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunOptions {
    pub env: KeyValues,
    pub workdir: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub network: Option<Spanned<Network>>,
    pub security: Option<Spanned<Security>>,
    pub cache: Vec<CacheMount>,
    pub secrets: Vec<SecretMount>,
    pub ssh: Vec<SshMount>,
    pub tmpfs: Vec<TmpfsMount>,
    pub mounts: Vec<BindMount>,
}

/// A `copy` step's options but its sources and `from`; `None`: not written.
#[derive(Clone, Debug, Default)]
pub(crate) struct CopyOptions {
    pub to: Option<Spanned<String>>,
    pub chmod: Option<Spanned<FileMode>>,
    pub chown: Option<Spanned<String>>,
    pub include: Option<Vec<Spanned<String>>>,
    pub exclude: Option<Vec<Spanned<String>>>,
    pub parents: Option<bool>,
    pub link: Option<bool>,
}

/// Reads a `defaults:` mapping.
pub(crate) fn read(cx: &mut Cx<'_>, node: &Node) -> Defaults {
    let Some(f) = cx.fields(node, "defaults", "`defaults`", &DEFAULTS, &|_| None) else {
        return Defaults::default();
    };
    let run = f
        .get("run")
        .and_then(|n| {
            let hint = |k: &str| {
                (k == "run")
                    .then(|| "the command is not a default: each `run` step has its own".to_owned())
            };
            cx.fields(n, "run", "`defaults.run`", &RUN, &hint)
        })
        .map(|f| run::options(cx, &f))
        .unwrap_or_default();
    let copy = f
        .get("copy")
        .and_then(|n| {
            let hint = |k: &str| match k {
                "from" => Some(
                    "`from` is not a default: write it on each `copy` step that needs it"
                        .to_owned(),
                ),
                "copy" => {
                    Some("the sources are not a default: each `copy` step has its own".to_owned())
                }
                _ => None,
            };
            cx.fields(n, "copy", "`defaults.copy`", &COPY, &hint)
        })
        .map(|f| copy::options(cx, &f))
        .unwrap_or_default();
    Defaults { run, copy }
}

/// Whether a step takes the defaults (`defaults: false` says no).
pub(crate) fn taken(cx: &mut Cx<'_>, f: &Fields<'_>) -> bool {
    cx.flag(f, "defaults", true)
}

/// `narrow` over `wide`: concatenated, an entry of `wide` left out when one
/// of `narrow` has its key.
fn lists<T: Clone, K: PartialEq>(wide: &[T], narrow: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut out: Vec<T> = wide
        .iter()
        .filter(|w| !narrow.iter().any(|n| key(n) == key(w)))
        .cloned()
        .collect();
    out.extend(narrow);
    out
}

impl Defaults {
    /// These (a stage's) over `wide` (the top level's).
    pub(crate) fn over(self, wide: &Defaults) -> Defaults {
        Defaults {
            run: self.run.over(&wide.run),
            copy: self.copy.over(&wide.copy),
        }
    }
}

impl RunOptions {
    /// These (the narrower scope's) over `wide`.
    pub(crate) fn over(self, wide: &RunOptions) -> RunOptions {
        RunOptions {
            env: lists(&wide.env, self.env, |(k, _)| k.value.clone()),
            workdir: self.workdir.or_else(|| wide.workdir.clone()),
            user: self.user.or_else(|| wide.user.clone()),
            description: self.description.or_else(|| wide.description.clone()),
            network: self.network.or_else(|| wide.network.clone()),
            security: self.security.or_else(|| wide.security.clone()),
            cache: lists(&wide.cache, self.cache, |m| m.target.value.clone()),
            secrets: lists(&wide.secrets, self.secrets, secret_key),
            ssh: lists(&wide.ssh, self.ssh, |m| match &m.target {
                Some(t) => (true, t.value.clone()),
                None => (false, m.id.value.clone()),
            }),
            tmpfs: lists(&wide.tmpfs, self.tmpfs, |m| m.target.value.clone()),
            mounts: lists(&wide.mounts, self.mounts, |m| m.target.value.clone()),
        }
    }
}

/// What makes two secrets the same mount: the variable of one in env form,
/// else the file it is mounted at.
fn secret_key(m: &SecretMount) -> (bool, String) {
    match (&m.env, &m.target) {
        (Some(env), _) => (true, env.value.clone()),
        (None, Some(t)) => (false, t.value.clone()),
        (None, None) => (false, format!("/run/secrets/{}", m.id.value)),
    }
}

impl CopyOptions {
    /// These (the narrower scope's) over `wide`.
    pub(crate) fn over(self, wide: &CopyOptions) -> CopyOptions {
        CopyOptions {
            to: self.to.or_else(|| wide.to.clone()),
            chmod: self.chmod.or_else(|| wide.chmod.clone()),
            chown: self.chown.or_else(|| wide.chown.clone()),
            include: self.include.or_else(|| wide.include.clone()),
            exclude: self.exclude.or_else(|| wide.exclude.clone()),
            parents: self.parents.or(wide.parents),
            link: self.link.or(wide.link),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `RUN` and `COPY` are the step tables' keys after the ones a default
    /// cannot hold: a reordering of those tables must not let the command,
    /// the sources, `from`, `defaults` itself or a condition into a
    /// default, where the reader would take and drop them.
    #[test]
    fn default_tables_hold_only_step_options() {
        for (table, step, excluded) in [
            (&RUN, &run::STEP, &["run", "defaults", "when", "unless"][..]),
            (
                &COPY,
                &copy::STEP,
                &["copy", "from", "defaults", "when", "unless"][..],
            ),
        ] {
            let names: Vec<&str> = table.keys.iter().map(|k| k.name).collect();
            for gone in excluded {
                assert!(!names.contains(gone), "{}: {names:?}", table.name);
            }
            assert_eq!(
                names.len() + excluded.len(),
                step.keys.len(),
                "{}: every other key of the step is a default",
                table.name
            );
        }
    }
}
