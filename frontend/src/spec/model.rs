//! The validated, typed spec that `compile` consumes.
//!
//! Every user value keeps its [`Span`]. Values that the contract expands
//! (`from`, paths, `env` values, image values...) are kept UNEXPANDED here:
//! the base image's environment is only known after resolution, so `compile`
//! expands them with [`crate::spec::vars::expand`]. Their `${...}` syntax has
//! already been checked. Defaults that are constants in the contract are
//! applied (`link: true` for artifacts, `sharing: shared`...); defaults that
//! depend on other values (`to` = the working directory, a secret's target
//! `/run/secrets/<id>`) are left as `None` and documented on the field.
//!
//! This module is NOT a YAML mirror (no serde or saphyr types here) and does
//! no validation of its own: a value of these types built by
//! [`crate::spec::parse`] has passed every check in `validate`.

use crate::diag::Diagnostic;
pub use crate::diag::{SourceFile, Span, Spanned};

/// A parsed and validated spec file.
#[derive(Clone)]
pub struct Spec {
    pub source: SourceFile,
    pub version_span: Span,
    /// Top-level `args`, in file order.
    pub args: Vec<ArgDecl>,
    /// In file order; never empty.
    pub stages: Vec<Stage>,
    /// The `target:` key, naming an existing stage.
    pub target: Option<Spanned<String>>,
    /// Non-fatal findings (severity `Warning`, from `spec::lint`), sorted by
    /// position: printed by `stagecraft check`, sent to buildx by a build
    /// (`Warn`) and listed by `--call=check`.
    pub warnings: Vec<Diagnostic>,
    /// Stage name → index in `stages`: a lookup by name costs O(log n).
    pub(crate) stage_index: std::collections::BTreeMap<String, usize>,
    /// Matrix stage name → its instances' names, in order (language 1.1).
    /// The bare name is no stage: `stages` holds the instances.
    pub matrices: std::collections::BTreeMap<String, Vec<String>>,
    /// `imports:` as written (language 1.1).
    pub imports: Vec<Import>,
    /// The imported specs, once read and linked (`spec::imports`): unit `n`
    /// at index `n - 1`, its file `source.imported[n - 1]`. Their stages are
    /// in `stages` after this spec's own, named `ALIAS.STAGE`.
    pub units: Vec<Unit>,
}

/// The derived form, without the index (it repeats `stages`).
impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec")
            .field("source", &self.source)
            .field("version_span", &self.version_span)
            .field("args", &self.args)
            .field("stages", &self.stages)
            .field("target", &self.target)
            .field("matrices", &self.matrices)
            .field("imports", &self.imports)
            .field("units", &self.units)
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl Spec {
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stage_index.get(name).and_then(|&i| self.stages.get(i))
    }

    /// The stage built when no `--target` is given: `target:`, else the last
    /// stage of this spec (never an imported one). Always `Some` for a spec
    /// returned by [`crate::spec::parse`].
    pub fn default_target(&self) -> Option<&Stage> {
        match &self.target {
            Some(t) => self.stage(&t.value),
            None => self.stages.iter().rev().find(|s| s.unit == 0),
        }
    }

    /// The stage that `name`, written in unit `unit`, names: in this spec
    /// any stage (`ALIAS.STAGE` names an imported one); in an imported spec
    /// its own stages and, as `ALIAS.STAGE`, those of the specs it imports.
    pub fn stage_in(&self, unit: u16, name: &str) -> Option<&Stage> {
        match self.unit(unit) {
            None => self.stage(name),
            Some(u) => self.stage(&format!("{}.{name}", u.prefix)),
        }
    }

    /// Unit `unit` (none for the spec itself, unit 0).
    pub fn unit(&self, unit: u16) -> Option<&Unit> {
        usize::from(unit)
            .checked_sub(1)
            .and_then(|i| self.units.get(i))
    }

    /// What a `from`-like value (stage `from`, copy/artifact/mount `from`)
    /// of a stage of unit `unit` refers to. Pass the EXPANDED text; a stage
    /// is given by its full name.
    pub fn classify_from<'a>(&'a self, unit: u16, text: &'a str) -> FromRef<'a> {
        if let Some(s) = self.stage_in(unit, text) {
            FromRef::Stage(&s.name.value)
        } else if text == "scratch" {
            FromRef::Scratch
        } else {
            FromRef::Image(text)
        }
    }
}

/// An entry of `imports:` (language 1.1): an alias for another spec.
#[derive(Clone, Debug)]
pub struct Import {
    /// The key: stages of the import are named `ALIAS.STAGE`.
    pub alias: Spanned<String>,
    /// The spec file (unexpanded): relative to the importing spec's
    /// directory, or a path in the image.
    pub spec: Spanned<String>,
    pub from: ImportFrom,
    /// Values of the imported spec's top-level `args` (unexpanded).
    pub args: KeyValues,
}

impl Unit {
    /// `--build-arg PREFIX.NAME`, the value the build gives argument `name`
    /// of this spec.
    pub fn build_arg<'a>(
        &self,
        opts: &'a crate::options::BuildOptions,
        name: &str,
    ) -> Option<&'a String> {
        opts.build_args.get(&format!("{}.{name}", self.prefix))
    }

    /// The value of top-level argument `name` before its default:
    /// `--build-arg PREFIX.NAME`, else the import's `args`.
    pub fn value_of<'a>(
        &'a self,
        opts: &'a crate::options::BuildOptions,
        name: &str,
    ) -> Option<&'a String> {
        self.build_arg(opts, name).or_else(|| self.given.get(name))
    }
}

/// Where an imported spec is read from.
#[derive(Clone, Debug)]
pub enum ImportFrom {
    /// Beside the importing spec, from the same place.
    Beside,
    /// A git repository (unexpanded values).
    Git {
        url: Spanned<String>,
        ref_: Option<Spanned<String>>,
        checksum: Option<Spanned<String>>,
    },
    /// An image (unexpanded reference).
    Image(Spanned<String>),
}

/// An imported spec, read and linked into the spec that imports it.
#[derive(Clone, Debug)]
pub struct Unit {
    /// `ALIAS`, or `OUTER.ALIAS` for an import of an imported spec: its
    /// stages are `PREFIX.STAGE`, its arguments `--build-arg PREFIX.NAME`.
    pub prefix: String,
    /// The unit that imports it (0: the spec itself).
    pub parent: u16,
    /// Its top-level `args` (spans in its own file).
    pub args: Vec<ArgDecl>,
    /// The values its import gives (`imports.ALIAS.args`), expanded in the
    /// importing spec's scope.
    pub given: std::collections::BTreeMap<String, String>,
    /// Where it was read from, as diagnostics name it (`git URL#REF`,
    /// `image REF`); none for a file beside the spec.
    pub origin: Option<String>,
    /// Its spec's own `imports` (their stages are `PREFIX.ALIAS.STAGE`).
    pub imports: Vec<Import>,
}

/// What a `from` value names, after expansion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FromRef<'a> {
    /// A stage of this spec.
    Stage(&'a str),
    /// The empty filesystem (only meaningful for a stage's `from`).
    Scratch,
    /// An image reference, or a named build context with that name.
    Image(&'a str),
}

/// A build argument: `NAME: value` or `NAME: {default, description}`.
/// `NAME:` with no value declares it without a default (it expands to "").
#[derive(Clone, Debug)]
pub struct ArgDecl {
    pub name: Spanned<String>,
    /// Not expanded (the contract lists no expansion for argument defaults).
    pub default: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    /// `type` (language 1.1): what a value must look like.
    pub ty: ArgType,
    /// `choices` (language 1.1): the strings a value must be one of; empty: any.
    pub choices: Vec<String>,
    /// `required: true` (language 1.1): the build must give it a value.
    pub required: bool,
}

/// An argument's `type` (language 1.1). Values reach variables and `run`
/// steps as the strings they were given, whatever the type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ArgType {
    #[default]
    String,
    /// `true` or `false`.
    Bool,
    /// A decimal integer.
    Int,
}

impl ArgType {
    /// The name the spec writes.
    pub fn name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Bool => "bool",
            ArgType::Int => "int",
        }
    }
}

/// `NAME: value` pairs (env, labels), in file order.
pub type KeyValues = Vec<(Spanned<String>, Spanned<String>)>;

#[derive(Clone, Debug)]
pub struct Stage {
    pub name: Spanned<String>,
    /// Unexpanded: a stage name, `scratch` or an image reference.
    pub from: Spanned<String>,
    pub platform: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub args: Vec<ArgDecl>,
    pub env: KeyValues,
    pub workdir: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    /// None: `["/bin/sh", "-c"]`. Never an empty list.
    pub shell: Option<Spanned<Vec<Spanned<String>>>>,
    pub needs: Vec<Need>,
    pub steps: Vec<Step>,
    pub artifacts: Vec<Artifact>,
    pub image: Option<ImageConfig>,
    /// `when:`/`unless:` (language 1.1): whether the stage is part of the build.
    pub cond: Condition,
    /// An instance of a `matrix:` stage (language 1.1): the matrix stage's
    /// name, and each matrix variable with this instance's value (spanned
    /// where the value is written). Stage arguments that `--build-arg` does
    /// not replace.
    pub matrix: Option<Instance>,
    /// The spec that defines it: 0 for this one, `n` for [`Spec::unit`] `n`
    /// (an imported stage, named `ALIAS.STAGE`).
    pub unit: u16,
    /// The stage's key in `stages:`.
    pub span: Span,
}

/// What makes a stage an instance of a matrix stage.
#[derive(Clone, Debug)]
pub struct Instance {
    /// The matrix stage's name, as written under `stages:`.
    pub of: Spanned<String>,
    pub values: KeyValues,
}

/// An entry of `needs`: a stage, and (language 1.1) a condition.
#[derive(Clone)]
pub struct Need {
    pub stage: Spanned<String>,
    pub cond: Condition,
}

/// The stage alone when the entry has no condition (as the plain form is written).
impl std::fmt::Debug for Need {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.cond.is_empty() {
            self.stage.fmt(f)
        } else {
            f.debug_struct("Need")
                .field("stage", &self.stage)
                .field("cond", &self.cond)
                .finish()
        }
    }
}

/// `when:` and `unless:` (language 1.1): compile-time conditions on a step,
/// an artifact, a stage or a `needs` entry. Empty (neither written): the
/// element is always kept.
#[derive(Clone, Default)]
pub struct Condition {
    /// Holds when every named variable has one of its values. Spanned at the key.
    pub when: Option<Spanned<Vec<CondTerm>>>,
    /// Holds when `when` with the same terms would not. Spanned at the key.
    pub unless: Option<Spanned<Vec<CondTerm>>>,
}

/// `always` when neither is written, so that dumps of specs without
/// conditions stay short.
impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("always");
        }
        f.debug_struct("Condition")
            .field("when", &self.when)
            .field("unless", &self.unless)
            .finish()
    }
}

impl Condition {
    /// Whether neither `when` nor `unless` is written.
    pub fn is_empty(&self) -> bool {
        self.when.is_none() && self.unless.is_none()
    }
}

/// One `NAME: value` or `NAME: [values]` of a condition.
#[derive(Clone, Debug)]
pub struct CondTerm {
    /// A variable: an argument or a built-in.
    pub name: Spanned<String>,
    /// Never empty. As strings: `true`/`false` for booleans, decimal integers.
    pub values: Vec<Spanned<String>>,
}

/// Where a stage names another stage, an image or a named context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// The stage's `from`.
    From,
    /// An entry of `needs` (always a stage).
    Needs,
    /// A copy step's `from`.
    Copy,
    /// A run step's bind mount's `from`.
    Mount,
    /// An artifact's `from`.
    Artifact,
}

impl RefKind {
    /// The word the stage graph labels its edge with.
    pub fn label(self) -> &'static str {
        match self {
            RefKind::From => "from",
            RefKind::Needs => "needs",
            RefKind::Copy => "copy",
            RefKind::Mount => "mount",
            RefKind::Artifact => "artifact",
        }
    }
}

/// One reference of a stage, unexpanded.
#[derive(Clone, Copy, Debug)]
pub struct StageRef<'a> {
    pub kind: RefKind,
    pub value: &'a Spanned<String>,
    /// The condition of the element the reference is in (a step, an
    /// artifact or a `needs` entry); none for the stage's `from`.
    pub cond: Option<&'a Condition>,
}

impl Stage {
    /// Every reference of the stage, as written: `from`, then `needs`, then
    /// the steps' sources, then the artifacts', in spec order. The one walk
    /// of stage references: validation, planning, the outline and the build
    /// order all go through it.
    pub fn references(&self) -> Vec<StageRef<'_>> {
        let mut out = vec![StageRef {
            kind: RefKind::From,
            value: &self.from,
            cond: None,
        }];
        out.extend(self.needs.iter().map(|n| StageRef {
            kind: RefKind::Needs,
            value: &n.stage,
            cond: Some(&n.cond),
        }));
        for step in &self.steps {
            out.extend(
                step.kind
                    .sources()
                    .into_iter()
                    .map(|(kind, value)| StageRef {
                        kind,
                        value,
                        cond: Some(&step.cond),
                    }),
            );
        }
        out.extend(self.artifacts.iter().map(|a| StageRef {
            kind: RefKind::Artifact,
            value: &a.from,
            cond: Some(&a.cond),
        }));
        out
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    /// The list item.
    pub span: Span,
    pub kind: StepKind,
    /// `when:`/`unless:` (language 1.1).
    pub cond: Condition,
}

#[derive(Clone, Debug)]
pub enum StepKind {
    Run(Run),
    Copy(Copy),
    Add(Add),
    Mkdir(Mkdir),
    Write(Write),
}

/// A command: a string run by the stage's `shell`, or an argv list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Shell(String),
    Exec(Vec<Spanned<String>>),
}

#[derive(Clone, Debug)]
pub struct Run {
    /// Never expanded (the shell sees it as written). Never empty.
    pub command: Spanned<Command>,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    Default,
    None,
    /// Needs the `network.host` entitlement.
    Host,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    Sandbox,
    /// Needs the `security.insecure` entitlement.
    Insecure,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

/// A file mode such as `0755`: the text as written and its value.
#[derive(Clone, PartialEq, Eq)]
pub struct FileMode {
    pub text: String,
    pub bits: u32,
}

impl std::fmt::Debug for FileMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileMode({:?} = 0o{:o})", self.text, self.bits)
    }
}

/// `cache: ["/path" | {target, id, sharing, readonly, mode, uid, gid}]`.
#[derive(Clone, Debug)]
pub struct CacheMount {
    pub target: Spanned<String>,
    /// None: BuildKit's default, the target path.
    pub id: Option<Spanned<String>>,
    /// Default `shared`.
    pub sharing: Sharing,
    pub readonly: bool,
    pub mode: Option<Spanned<FileMode>>,
    pub uid: Option<Spanned<u32>>,
    pub gid: Option<Spanned<u32>>,
    pub span: Span,
}

/// `secrets: [{id, target, env, required}]`.
#[derive(Clone, Debug)]
pub struct SecretMount {
    pub id: Spanned<String>,
    /// None: `/run/secrets/<id>` (after expanding `id`), unless `env` is set,
    /// in which case the secret is exposed only as that variable.
    pub target: Option<Spanned<String>>,
    pub env: Option<Spanned<String>>,
    /// Default false.
    pub required: bool,
    pub span: Span,
}

/// `ssh: [{id, target, required}]`.
#[derive(Clone, Debug)]
pub struct SshMount {
    /// Default `default` (spanned at the list item).
    pub id: Spanned<String>,
    /// Whether `id` was written: an id not written reaches LLB empty, as
    /// the Dockerfile frontend leaves it (the engine reads it as `default`),
    /// so that the same mount is the same op.
    pub id_written: bool,
    /// None: BuildKit's default socket path.
    pub target: Option<Spanned<String>>,
    pub required: bool,
    pub span: Span,
}

/// `tmpfs: ["/path" | {target, size}]`.
#[derive(Clone, Debug)]
pub struct TmpfsMount {
    pub target: Spanned<String>,
    /// Bytes; written as an integer or with a suffix (`64m`, `1g`).
    pub size: Option<Spanned<u64>>,
    pub span: Span,
}

/// `mounts: [{from, source, target, readwrite}]`: a bind mount.
#[derive(Clone, Debug)]
pub struct BindMount {
    /// A stage, an image reference or a named context (unexpanded); `None`:
    /// the build context.
    pub from: Option<Spanned<String>>,
    /// Default `/` (spanned at the list item).
    pub source: Spanned<String>,
    pub target: Spanned<String>,
    /// Default false.
    pub readwrite: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Copy {
    /// Paths or globs in the source; never empty.
    pub sources: Vec<Spanned<String>>,
    /// None: the build context.
    pub from: Option<Spanned<String>>,
    /// None: the working directory.
    pub to: Option<Spanned<String>>,
    pub chmod: Option<Spanned<FileMode>>,
    pub chown: Option<Spanned<String>>,
    pub include: Vec<Spanned<String>>,
    pub exclude: Vec<Spanned<String>>,
    pub parents: bool,
    /// Default false.
    pub link: bool,
}

#[derive(Clone, Debug)]
pub struct Add {
    pub source: AddSource,
    /// None: the working directory.
    pub to: Option<Spanned<String>>,
    pub chmod: Option<Spanned<FileMode>>,
    pub chown: Option<Spanned<String>>,
}

#[derive(Clone, Debug)]
pub enum AddSource {
    Http {
        url: Spanned<String>,
        /// `sha256:<64 hex>` (checked when written without variables).
        checksum: Option<Spanned<String>>,
    },
    Git {
        url: Spanned<String>,
        /// Branch, tag or commit; None: the default branch.
        ref_: Option<Spanned<String>>,
        keep_git_dir: bool,
        /// The expected commit id (hex, checked when written without variables).
        checksum: Option<Spanned<String>>,
    },
}

/// `mkdir: path` or `{path, chmod, chown}`; parents are always created.
#[derive(Clone, Debug)]
pub struct Mkdir {
    pub path: Spanned<String>,
    pub chmod: Option<Spanned<FileMode>>,
    pub chown: Option<Spanned<String>>,
}

/// `write: path` with `content` (language 1.1): a file from inline text.
#[derive(Clone, Debug)]
pub struct Write {
    /// The file (expanded; relative to the workdir).
    pub path: Spanned<String>,
    /// Written byte for byte, unless `expand`.
    pub content: Spanned<String>,
    /// Default `0644`.
    pub chmod: Option<Spanned<FileMode>>,
    pub chown: Option<Spanned<String>>,
    /// Default false: `${…}` in `content` is expanded only when true.
    pub expand: bool,
}

/// `artifacts: [{from, path, to, chmod, chown, link}]`.
#[derive(Clone, Debug)]
pub struct Artifact {
    pub from: Spanned<String>,
    /// May be a glob.
    pub path: Spanned<String>,
    /// None: the working directory, as for `copy`.
    pub to: Option<Spanned<String>>,
    pub chmod: Option<Spanned<FileMode>>,
    pub chown: Option<Spanned<String>>,
    /// Default true.
    pub link: bool,
    /// `when:`/`unless:` (language 1.1).
    pub cond: Condition,
    pub span: Span,
}

/// `image:` — runtime configuration of the result. Every string is unexpanded.
#[derive(Clone, Debug)]
pub struct ImageConfig {
    pub entrypoint: Option<Spanned<Command>>,
    pub cmd: Option<Spanned<Command>>,
    pub env: KeyValues,
    pub user: Option<Spanned<String>>,
    pub workdir: Option<Spanned<String>>,
    /// Normalised to `port[-port]/proto` (`8080` → `8080/tcp`) when written
    /// without variables; values with `$` are kept as written, to be
    /// normalised with [`crate::spec::validate::normalize_port`] after expansion.
    pub expose: Vec<Spanned<String>>,
    pub volumes: Vec<Spanned<String>>,
    pub labels: KeyValues,
    pub stop_signal: Option<Spanned<String>>,
    pub healthcheck: Option<Spanned<Healthcheck>>,
    /// The `image:` key.
    pub span: Span,
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // one per image; boxing would only add noise
pub enum Healthcheck {
    /// `healthcheck: none`: disable any inherited check.
    None,
    Check {
        test: Spanned<Command>,
        /// Durations as written (`30s`, `1m30s`); checked when written
        /// without variables; see [`crate::spec::validate::parse_duration`].
        interval: Option<Spanned<String>>,
        timeout: Option<Spanned<String>>,
        start_period: Option<Spanned<String>>,
        retries: Option<Spanned<u32>>,
    },
}

#[cfg(test)]
mod tests {
    use super::RefKind;
    use crate::diag::SourceFile;

    #[test]
    fn references_list_from_needs_steps_and_artifacts_in_spec_order() {
        let text = "version: 1\nstages:\n  a:\n    from: alpine\n  b:\n    from: busybox\n  c:\n    from: a\n    needs: [b]\n    steps:\n      - copy: /x\n        from: b\n      - run: make\n        mounts: [{from: a, target: /m}]\n      - mkdir: /d\n    artifacts:\n      - {from: b, path: /y}\n";
        let spec = crate::spec::parse(SourceFile::new("s.yaml".to_owned(), text.to_owned()))
            .unwrap_or_else(|d| panic!("{d:?}"));
        let c = spec.stage("c").map(|s| s.references()).unwrap_or_default();
        let got: Vec<(RefKind, &str)> =
            c.iter().map(|r| (r.kind, r.value.value.as_str())).collect();
        assert_eq!(
            got,
            [
                (RefKind::From, "a"),
                (RefKind::Needs, "b"),
                (RefKind::Copy, "b"),
                (RefKind::Mount, "a"),
                (RefKind::Artifact, "b"),
            ]
        );
    }
}
