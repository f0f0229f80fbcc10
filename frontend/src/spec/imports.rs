//! Imports (language 1.1): reads the specs a spec imports, each in its own
//! scope, and links their stages into it as `PREFIX.STAGE`.
//!
//! A [`Loader`] starts from the parsed spec and asks for the files it needs
//! ([`Loader::requests`]: a file beside the spec, in a git repository or in
//! an image); the caller fetches them (the build through the gateway, the
//! offline CLI from disk) and hands back the bytes ([`Loader::provide`]),
//! round after round, since imported specs may import others (depth at
//! most [`MAX_DEPTH`]). [`Loader::finish`] checks every `ALIAS.STAGE` and
//! returns one [`Spec`] whose `stages` hold the imported stages after its
//! own, each with its [`Unit`] (its file, prefix and argument values).
//!
//! Each imported file is file `n` of the spec's sources (`Span::file`), so
//! every diagnostic in it names that file, line and column, and for remote
//! imports its source. Warnings of imported specs are not reported (their
//! authors see them with `stagecraft check` on that file).
//!
//! Not here: how a file is fetched (`build::imports`, `main.rs`), or how
//! imported stages compile (they compile as any stage; `compile::scope`
//! gives them their spec's arguments).

use std::collections::BTreeMap;

use crate::diag::{did_you_mean, Code, Diagnostic, SourceFile, Span, Spanned};
use crate::options::BuildOptions;
use crate::spec::model::{Import, ImportFrom, Spec, Unit};
use crate::spec::vars;

/// The deepest chain of imports (the spec's own imports are depth 1).
pub const MAX_DEPTH: usize = 8;

/// The most imported files in one build (each import of a file counts).
pub const MAX_FILES: usize = 256;

/// Where an imported spec's text is, its import's values expanded.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// A file of the spec's own directory (the build's `dockerfile` local,
    /// or the spec's directory on disk), as a clean relative path.
    Beside(String),
    /// A file of a git repository at a ref.
    Git {
        url: String,
        ref_: Option<String>,
        checksum: Option<String>,
        path: String,
    },
    /// A file in an image (an absolute path).
    Image { reference: String, path: String },
}

impl Location {
    /// The name diagnostics show for the file: the path, and the
    /// repository or image it is in.
    pub fn display(&self) -> String {
        match self {
            Location::Beside(path) => path.clone(),
            Location::Git {
                url, ref_, path, ..
            } => format!("{path} (git {})", git_source(url, ref_.as_deref())),
            Location::Image { reference, path } => format!("{path} (image {reference})"),
        }
    }

    /// The repository or image, as progress names it (`git URL#REF`,
    /// `image REF`); the path for a file beside the spec.
    pub fn source_name(&self) -> String {
        self.origin().unwrap_or_else(|| self.display())
    }

    fn origin(&self) -> Option<String> {
        match self {
            Location::Beside(_) => None,
            Location::Git { url, ref_, .. } => {
                Some(format!("git {}", git_source(url, ref_.as_deref())))
            }
            Location::Image { reference, .. } => Some(format!("image {reference}")),
        }
    }

    /// Where `spec`, written in the file here, is: in the same place,
    /// relative to this file's directory.
    fn sibling(&self, spec: &str) -> Result<Location, String> {
        let join = |path: &str, absolute: bool| match path.rsplit_once('/') {
            Some((dir, _)) => clean(&format!("{dir}/{spec}"), absolute),
            None => clean(spec, absolute),
        };
        Ok(match self {
            Location::Beside(path) => Location::Beside(if spec.starts_with('/') {
                return Err("a file beside the spec is a relative path".to_owned());
            } else {
                join(path, false)?
            }),
            Location::Git {
                url,
                ref_,
                checksum,
                path,
            } => Location::Git {
                url: url.clone(),
                ref_: ref_.clone(),
                checksum: checksum.clone(),
                path: join(path, false)?,
            },
            Location::Image { reference, path } => Location::Image {
                reference: reference.clone(),
                path: if spec.starts_with('/') {
                    clean(spec, true)?
                } else {
                    join(path, true)?
                },
            },
        })
    }
}

/// `URL#REF` (or the URL alone), as `--build-context` writes a git source.
fn git_source(url: &str, ref_: Option<&str>) -> String {
    match ref_ {
        Some(r) => format!("{url}#{r}"),
        None => url.to_owned(),
    }
}

/// `path` without `.` and `..` components or repeated slashes; an error
/// when `..` would leave the root.
fn clean(path: &str, absolute: bool) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("`{path}` leaves the directory it is read from"));
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(format!("`{path}` names no file"));
    }
    let joined = parts.join("/");
    Ok(if absolute {
        format!("/{joined}")
    } else {
        joined
    })
}

/// One import whose file is wanted.
struct Pending {
    /// The unit whose spec has the import (0: the spec itself).
    parent: u16,
    import: Import,
    location: Location,
    /// The files from the spec to the importing one, for cycle messages.
    chain: Vec<Location>,
    /// The import's `args`, expanded.
    given: BTreeMap<String, String>,
    /// Whether the file was handed back.
    done: bool,
}

/// Reads a spec's imports, round by round, and links them.
pub struct Loader<'o> {
    spec: Spec,
    opts: &'o BuildOptions,
    /// The location of the spec itself (`Beside(its file name)`).
    root: Location,
    pending: Vec<Pending>,
    /// Imported specs in unit order: unit `n` at `n - 1`.
    read: Vec<(Unit, Spec, Location)>,
    files: Vec<SourceFile>,
    diags: Vec<Diagnostic>,
}

impl<'o> Loader<'o> {
    /// Starts from `spec`, read from `file_name` in its directory.
    pub fn new(spec: Spec, file_name: &str, opts: &'o BuildOptions) -> Self {
        let root =
            Location::Beside(clean(file_name, false).unwrap_or_else(|_| file_name.to_owned()));
        let mut loader = Self {
            spec,
            opts,
            root,
            pending: Vec::new(),
            read: Vec::new(),
            files: Vec::new(),
            diags: Vec::new(),
        };
        let imports = loader.spec.imports.clone();
        let root = loader.root.clone();
        loader.want(0, &imports, &root, &[]);
        loader
    }

    /// The files still wanted, by request number: none when every import is read.
    pub fn requests(&self) -> Vec<(usize, Location)> {
        self.pending
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.done)
            .map(|(i, p)| (i, p.location.clone()))
            .collect()
    }

    /// Hands back the file of request `id` (or why it cannot be had).
    pub fn provide(&mut self, id: usize, bytes: Result<Vec<u8>, String>) {
        let Some(p) = self.pending.get_mut(id) else {
            return;
        };
        if p.done {
            return;
        }
        p.done = true;
        let (parent, import, location, chain, given) = (
            p.parent,
            p.import.clone(),
            p.location.clone(),
            p.chain.clone(),
            std::mem::take(&mut p.given),
        );
        let bytes = match bytes {
            Ok(b) => b,
            Err(why) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::ImportFailed,
                        format!(
                            "cannot read the spec of import `{}` (`{}`): {why}",
                            import.alias.value,
                            location.display()
                        ),
                        import.spec.span,
                    )
                    .with_help(match &import.from {
                        ImportFrom::Beside => "a file beside the spec is read from the directory of the spec (`-f`); check the path",
                        ImportFrom::Git { .. } => "check the repository URL, `ref` and `spec` (a path in the repository)",
                        ImportFrom::Image(_) => "check the image reference and `spec` (a path in the image)",
                    }),
                );
                return;
            }
        };
        if self.files.len() >= MAX_FILES {
            self.diags.push(Diagnostic::new(
                Code::ImportCycle,
                format!(
                    "more than {MAX_FILES} imported files: import `{}` is one too many",
                    import.alias.value
                ),
                import.alias.span,
            ));
            return;
        }
        let id = u16::try_from(self.files.len() + 1).unwrap_or(u16::MAX);
        let (src, bad) = super::decode(location.display(), bytes);
        let src = src.with_id(id);
        self.files.push(src.clone());
        if let Some(d) = bad {
            // `decode` made the span in file 0; it belongs to this one.
            self.diags.push(Diagnostic {
                span: Span { file: id, ..d.span },
                ..d
            });
            return;
        }
        let contexts = self.opts.contexts.keys().cloned().collect();
        let spec = match super::parse_with_contexts(src, &contexts) {
            Ok(s) => s,
            Err(diags) => {
                self.diags
                    .extend(diags.into_iter().filter(Diagnostic::is_error));
                return;
            }
        };
        let prefix = match self.unit_prefix(parent) {
            Some(outer) => format!("{outer}.{}", import.alias.value),
            None => import.alias.value.clone(),
        };
        for (name, _) in &import.args {
            if !spec.args.iter().any(|a| a.name.value == name.value) {
                let declared: Vec<&str> = spec.args.iter().map(|a| a.name.value.as_str()).collect();
                let help = match did_you_mean(&name.value, declared.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if declared.is_empty() => {
                        format!("`{}` declares no top-level `args`", location.display())
                    }
                    None => format!(
                        "its top-level `args` are {}",
                        declared
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::ImportFailed,
                        format!(
                            "import `{}` gives `{}`, an argument that `{}` does not declare",
                            import.alias.value,
                            name.value,
                            location.display()
                        ),
                        name.span,
                    )
                    .with_help(help),
                );
            }
        }
        let unit = Unit {
            prefix,
            parent,
            args: spec.args.clone(),
            given,
            origin: location.origin(),
            imports: spec.imports.clone(),
        };
        let nested = spec.imports.clone();
        self.read.push((unit, spec, location.clone()));
        let mut chain = chain;
        chain.push(location.clone());
        self.want(id, &nested, &location, &chain);
    }

    fn unit_prefix(&self, unit: u16) -> Option<&str> {
        usize::from(unit)
            .checked_sub(1)
            .and_then(|i| self.read.get(i))
            .map(|(u, _, _)| u.prefix.as_str())
    }

    /// The values of the top-level arguments of unit `unit`, for expanding
    /// its imports' values.
    fn top_scope(&self, unit: u16) -> BTreeMap<String, Option<String>> {
        let mut scope = BTreeMap::new();
        match usize::from(unit)
            .checked_sub(1)
            .and_then(|i| self.read.get(i))
        {
            None => {
                for a in &self.spec.args {
                    let v = self.opts.build_args.get(&a.name.value).cloned();
                    scope.insert(
                        a.name.value.clone(),
                        v.or_else(|| a.default.as_ref().map(|d| d.value.clone())),
                    );
                }
            }
            Some((u, _, _)) => {
                for a in &u.args {
                    let v = u.value_of(self.opts, &a.name.value).cloned();
                    scope.insert(
                        a.name.value.clone(),
                        v.or_else(|| a.default.as_ref().map(|d| d.value.clone())),
                    );
                }
            }
        }
        scope
    }

    /// Asks for the files of `imports`, written in unit `parent` (read from `at`).
    fn want(&mut self, parent: u16, imports: &[Import], at: &Location, chain: &[Location]) {
        if imports.is_empty() {
            return;
        }
        let scope = self.top_scope(parent);
        let src = self.source_of(parent);
        for import in imports {
            let expand = |v: &Spanned<String>| vars::expand(v, &scope, &src);
            let location = match locate(import, at, expand) {
                Ok(l) => l,
                Err(d) => {
                    self.diags.push(d);
                    continue;
                }
            };
            let mut files: Vec<String> = std::iter::once(&self.root)
                .chain(chain.iter())
                .map(Location::display)
                .collect();
            if location == self.root || chain.contains(&location) {
                files.push(location.display());
                self.diags.push(
                    Diagnostic::new(
                        Code::ImportCycle,
                        format!("import `{}` makes a cycle: {}", import.alias.value, files.join(" → ")),
                        import.alias.span,
                    )
                    .with_help("a spec cannot import a spec that imports it; move the stages both need into a third spec"),
                );
                continue;
            }
            if chain.len() + 1 > MAX_DEPTH {
                files.push(location.display());
                self.diags.push(
                    Diagnostic::new(
                        Code::ImportCycle,
                        format!(
                            "import `{}` nests imports deeper than {MAX_DEPTH}: {}",
                            import.alias.value,
                            files.join(" → ")
                        ),
                        import.alias.span,
                    )
                    .with_help("import the deeper specs from a spec nearer the top"),
                );
                continue;
            }
            let mut given = BTreeMap::new();
            for (name, value) in &import.args {
                match vars::expand(value, &scope, &src) {
                    Ok(v) => {
                        given.insert(name.value.clone(), v);
                    }
                    Err(d) => self.diags.push(d),
                }
            }
            self.pending.push(Pending {
                parent,
                import: import.clone(),
                location,
                chain: chain.to_vec(),
                given,
                done: false,
            });
        }
    }

    /// The file of unit `unit`, for expanding values written in it.
    fn source_of(&self, unit: u16) -> SourceFile {
        usize::from(unit)
            .checked_sub(1)
            .and_then(|i| self.files.get(i))
            .cloned()
            .unwrap_or_else(|| self.spec.source.clone())
    }

    /// The git repositories and images imports were read from (their
    /// values expanded), each with the place of its import's `spec`.
    pub fn remote_sources(&self) -> Vec<(Location, Span)> {
        self.pending
            .iter()
            .filter(|p| !matches!(p.location, Location::Beside(_)))
            .map(|p| (p.location.clone(), p.import.spec.span))
            .collect()
    }

    /// The spec with its imports linked; or every diagnostic, with the
    /// file to render them with (it knows the imported files).
    pub fn finish(self) -> Result<Spec, (SourceFile, Vec<Diagnostic>)> {
        let Self {
            mut spec,
            read,
            files,
            mut diags,
            ..
        } = self;
        let mut source = spec.source.clone();
        source.imported = std::sync::Arc::new(files);
        for (i, (unit, imported, _)) in read.into_iter().enumerate() {
            let id = u16::try_from(i + 1).unwrap_or(u16::MAX);
            for (name, instances) in imported.matrices {
                spec.matrices.insert(
                    format!("{}.{name}", unit.prefix),
                    instances
                        .iter()
                        .map(|n| format!("{}.{n}", unit.prefix))
                        .collect(),
                );
            }
            for mut stage in imported.stages {
                stage.name.value = format!("{}.{}", unit.prefix, stage.name.value);
                stage.unit = id;
                // An imported stage's `image:` is not the importer's: a
                // stage built from it inherits its base config, env and
                // workdir only.
                stage.image = None;
                spec.stages.push(stage);
            }
            spec.units.push(unit);
        }
        spec.stage_index.clear();
        for (i, stage) in spec.stages.iter().enumerate() {
            spec.stage_index
                .entry(stage.name.value.clone())
                .or_insert(i);
        }
        spec.source = source.clone();
        if diags.is_empty() {
            check_references(&spec, &mut diags);
        }
        if diags.is_empty() {
            Ok(spec)
        } else {
            diags.sort_by_key(|d| (d.span.file, d.span.offset));
            Err((source, diags))
        }
    }
}

/// Where `import`, written in the file at `at`, reads its spec from.
fn locate(
    import: &Import,
    at: &Location,
    expand: impl Fn(&Spanned<String>) -> Result<String, Diagnostic>,
) -> Result<Location, Diagnostic> {
    let spec = expand(&import.spec)?;
    let bad = |why: String| {
        let d = Diagnostic::new(
            Code::ImportFailed,
            format!("the spec of import `{}`: {why}", import.alias.value),
            import.spec.span,
        );
        match import.from {
            ImportFrom::Beside => d.with_help(
                "a build reads only the spec's directory (the directory of `-f`) and what is under it; import a spec from elsewhere with `git` or `image`",
            ),
            ImportFrom::Git { .. } | ImportFrom::Image(_) => d,
        }
    };
    match &import.from {
        ImportFrom::Beside => at.sibling(&spec).map_err(bad),
        ImportFrom::Git {
            url,
            ref_,
            checksum,
        } => Ok(Location::Git {
            url: expand(url)?,
            ref_: ref_.as_ref().map(&expand).transpose()?,
            checksum: checksum.as_ref().map(&expand).transpose()?,
            path: clean(&spec, false).map_err(bad)?,
        }),
        ImportFrom::Image(reference) => Ok(Location::Image {
            reference: expand(reference)?,
            path: clean(&spec, true).map_err(bad)?,
        }),
    }
}

/// Every `ALIAS.STAGE` written without variables names a stage of that
/// import (`from`, `copy.from`, `mounts.from`, `artifacts.from`, `needs`,
/// `target:`).
fn check_references(spec: &Spec, diags: &mut Vec<Diagnostic>) {
    let check = |unit: u16, value: &Spanned<String>, diags: &mut Vec<Diagnostic>| {
        let imports = match spec.unit(unit) {
            None => &spec.imports,
            Some(_) => match unit_imports(spec, unit) {
                Some(i) => i,
                None => return,
            },
        };
        let Some((alias, rest)) = value.value.split_once('.') else {
            return;
        };
        if value.value.contains('$')
            || rest.is_empty()
            || !imports.iter().any(|i| i.alias.value == alias)
        {
            return;
        }
        if spec.stage_in(unit, &value.value).is_some() {
            return;
        }
        let prefix = match spec.unit(unit) {
            Some(u) => format!("{}.{alias}.", u.prefix),
            None => format!("{alias}."),
        };
        let names: Vec<&str> = spec
            .stages
            .iter()
            .filter_map(|s| s.name.value.strip_prefix(prefix.as_str()))
            .filter(|n| !n.contains('.'))
            .collect();
        let mut d = Diagnostic::new(
            Code::UnknownStage,
            match did_you_mean(rest, names.iter().copied()) {
                Some(s) => {
                    format!("import `{alias}` has no stage `{rest}` (did you mean `{alias}.{s}`?)")
                }
                None => format!("import `{alias}` has no stage `{rest}`"),
            },
            value.span,
        );
        if !names.is_empty() {
            d = d.with_help(format!(
                "its stages: {}",
                names
                    .iter()
                    .map(|n| format!("`{alias}.{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        diags.push(d);
    };
    if let Some(t) = &spec.target {
        check(0, t, diags);
    }
    for stage in &spec.stages {
        for r in stage.references() {
            check(stage.unit, r.value, diags);
        }
    }
}

/// The `imports:` of unit `unit`'s spec: the imports of the units it is
/// the parent of, as written.
fn unit_imports(spec: &Spec, unit: u16) -> Option<&Vec<Import>> {
    spec.unit(unit).map(|u| &u.imports)
}
