//! `copy-before-install`: a stage copies the whole build context
//! (`copy: .`) and later installs dependencies (`npm ci`,
//! `go mod download`…) without having copied the tool's manifest
//! (`package.json`, `go.mod`…) first. A change to any file of the context
//! then reruns the install; copying the manifest, installing, then copying
//! the rest keeps the install cached until the manifest changes. No
//! Dockerfile or hadolint rule checks this; it is the layer order Docker's
//! build guides teach.
//!
//! Not reported: a `copy` of a stage's or a named context's files (`from:`),
//! an install in another stage (one that starts `from` this one), or a tool
//! this table does not list.

use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::convert::{Cx, Draft};
use crate::spec::model::{Copy, StepKind};

use super::words::{calls, words};

/// A command that installs the dependencies its manifest lists.
struct Installer {
    /// How the message names it.
    name: &'static str,
    /// The program, as the last component of a path.
    program: &'static str,
    /// Its first operands (options skipped).
    command: &'static [&'static str],
    /// When not empty: one of these must be among its arguments.
    with: &'static [&'static str],
    /// The manifest (a name or a glob) whose earlier copy keeps it cached.
    manifest: &'static str,
    /// What to copy before it, as a `copy:` value.
    copy_first: &'static str,
}

#[rustfmt::skip]
const INSTALLERS: &[Installer] = &[
    Installer { name: "npm ci", program: "npm", command: &["ci"], with: &[], manifest: "package.json", copy_first: "package*.json" },
    Installer { name: "npm install", program: "npm", command: &["install"], with: &[], manifest: "package.json", copy_first: "package*.json" },
    Installer { name: "yarn install", program: "yarn", command: &["install"], with: &[], manifest: "package.json", copy_first: "[package.json, yarn.lock]" },
    Installer { name: "pnpm install", program: "pnpm", command: &["install"], with: &[], manifest: "package.json", copy_first: "[package.json, pnpm-lock.yaml]" },
    Installer { name: "mvn dependency:go-offline", program: "mvn", command: &[], with: &["dependency:go-offline"], manifest: "pom.xml", copy_first: "pom.xml" },
    Installer { name: "go mod download", program: "go", command: &["mod", "download"], with: &[], manifest: "go.mod", copy_first: "[go.mod, go.sum]" },
    Installer { name: "pip install -r", program: "pip", command: &["install"], with: &["-r", "--requirement"], manifest: "requirements*.txt", copy_first: "requirements.txt" },
    Installer { name: "pip3 install -r", program: "pip3", command: &["install"], with: &["-r", "--requirement"], manifest: "requirements*.txt", copy_first: "requirements.txt" },
    Installer { name: "cargo fetch", program: "cargo", command: &["fetch"], with: &[], manifest: "Cargo.toml", copy_first: "[Cargo.toml, Cargo.lock]" },
    Installer { name: "bundle install", program: "bundle", command: &["install"], with: &[], manifest: "Gemfile", copy_first: "[Gemfile, Gemfile.lock]" },
    Installer { name: "composer install", program: "composer", command: &["install"], with: &[], manifest: "composer.json", copy_first: "[composer.json, composer.lock]" },
];

/// Whether glob `pattern` (`*` and `?`; other characters are literal)
/// matches all of `name`. Iterative, with one saved `*`: time is at most
/// the product of the lengths, whatever the pattern.
fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == n.get(ni) => {
                pi += 1;
                ni += 1;
            }
            Some(_) | None => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or(&[]).iter().all(|c| *c == '*')
}

/// Whether copying `source` copies `manifest` (both may be globs).
fn covers(source: &str, manifest: &str) -> bool {
    let base = source.trim_end_matches('/');
    let base = base.rsplit('/').next().unwrap_or(base);
    glob(manifest, base) || glob(base, manifest)
}

/// The source of `copy` that is the whole build context, if any.
fn whole_context(copy: &Copy) -> Option<&Spanned<String>> {
    if copy.from.is_some() {
        return None;
    }
    copy.sources
        .iter()
        .find(|s| s.value == "." || s.value == "./")
}

/// The first installer of the table in a command's words, with its index.
fn installer(words: &[String]) -> Option<(usize, &'static Installer)> {
    INSTALLERS.iter().enumerate().find(|(_, i)| {
        calls(words, i.program).iter().any(|c| {
            c.starts_with(i.command) && (i.with.is_empty() || i.with.iter().any(|w| c.has(w)))
        })
    })
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for stage in &draft.stages {
        // Whether each installer's manifest was copied so far (kept per
        // installer, so that a long stage costs one pass over its copies),
        // and the whole-context copy waiting for an install, with what had
        // been copied before it.
        let mut covered = vec![false; INSTALLERS.len()];
        let mut whole: Option<(&Spanned<String>, Vec<bool>)> = None;
        for step in &stage.steps {
            match &step.kind {
                StepKind::Copy(copy) => {
                    if whole.is_none() {
                        whole = whole_context(copy).map(|s| (s, covered.clone()));
                    }
                    for source in &copy.sources {
                        for (done, i) in covered.iter_mut().zip(INSTALLERS) {
                            *done = *done || covers(&source.value, i.manifest);
                        }
                    }
                }
                StepKind::Run(run) => {
                    let Some((source, before)) = &whole else {
                        continue;
                    };
                    let Some((index, found)) = installer(&words(&run.command.value)) else {
                        continue;
                    };
                    if before.get(index).copied().unwrap_or(false) {
                        continue;
                    }
                    cx.push(
                        Diagnostic::new(
                            Code::CopyBeforeInstall,
                            format!(
                                "`copy: {}` copies the whole build context before `{}`: a change to any file reruns the install",
                                source.value, found.name
                            ),
                            source.span,
                        )
                        .with_help(format!(
                            "copy `{}` and run `{}` before this step: the install then reruns only when its manifest changes",
                            found.copy_first, found.name
                        )),
                    );
                    // One finding per whole-context copy.
                    whole = None;
                }
                StepKind::Add(_) | StepKind::Mkdir(_) | StepKind::Write(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::Command;

    #[test]
    fn globs_match_whole_names() {
        assert!(glob("requirements*.txt", "requirements-dev.txt"));
        assert!(glob("package*.json", "package.json"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("package.json", "package-lock.json"));
        assert!(!glob("*.toml", "Cargo.lock"));
        assert!(glob(&"*".repeat(200), "go.mod"));
    }

    #[test]
    fn manifests_are_covered_by_name_glob_or_path() {
        assert!(covers("package*.json", "package.json"));
        assert!(covers("web/package.json", "package.json"));
        assert!(covers("requirements.txt", "requirements*.txt"));
        assert!(!covers("src/", "go.mod"));
    }

    #[test]
    fn installers_are_found_with_their_arguments() {
        let found = |t: &str| installer(&words(&Command::Shell(t.into()))).map(|(_, i)| i.name);
        assert_eq!(found("npm ci"), Some("npm ci"));
        assert_eq!(
            found("pip install -r requirements.txt"),
            Some("pip install -r")
        );
        assert_eq!(found("pip install flask"), None);
        assert_eq!(
            found("mvn -B dependency:go-offline"),
            Some("mvn dependency:go-offline")
        );
        assert_eq!(found("mvn package"), None);
    }
}
