//! Which lint rules run, and whether their warnings fail the build: the
//! `# check=skip=RULE,…;error=true;experimental=RULE,…` comment among the
//! spec's first comment lines, and the `BUILDKIT_DOCKERFILE_CHECK` build
//! argument, which wins over it, as for a Dockerfile. Rule names are ours
//! (`json-args-recommended`) or the Dockerfile frontend's
//! (`JSONArgsRecommended`): case, `-` and `_` do not count. `skip=all` turns
//! every rule off; the experimental rules (`codes::EXPERIMENTAL`) run only
//! when `experimental=` names them or says `all`.
//!
//! This module does not run rules; it filters what they found.

use std::collections::BTreeSet;

use crate::diag::codes::{CODES, EXPERIMENTAL};
use crate::diag::{Code, Diagnostic, Severity, SourceFile, Span};

/// A check configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckConfig {
    skip_all: bool,
    /// Normalised rule names.
    skip: BTreeSet<String>,
    error: bool,
    experimental_all: bool,
    /// Normalised names of the experimental rules turned on.
    experimental: BTreeSet<String>,
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The lint rules' names (warning codes of the registry).
fn rule_names() -> impl Iterator<Item = &'static str> {
    CODES
        .iter()
        .filter(|c| c.severity == Severity::Warning)
        .map(|c| c.name)
}

impl CheckConfig {
    /// Parses `skip=A,B;error=true`; an error says what is wrong.
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut cfg = Self::default();
        let known: BTreeSet<String> = rule_names().map(normalise).collect();
        for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                format!("`{part}` is not KEY=VALUE (keys: skip, error, experimental)")
            })?;
            match k.trim() {
                "skip" => {
                    for name in v.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        if name == "all" {
                            cfg.skip_all = true;
                        } else if known.contains(&normalise(name)) {
                            cfg.skip.insert(normalise(name));
                        } else {
                            let hint = crate::diag::did_you_mean(name, rule_names())
                                .map(|s| format!(" (did you mean `{s}`?)"))
                                .unwrap_or_default();
                            return Err(format!("`{name}` is no lint rule{hint}"));
                        }
                    }
                }
                "experimental" => {
                    for name in v.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        if name == "all" {
                            cfg.experimental_all = true;
                        } else if EXPERIMENTAL
                            .iter()
                            .any(|c| normalise(c.name()) == normalise(name))
                        {
                            cfg.experimental.insert(normalise(name));
                        } else {
                            let hint = crate::diag::did_you_mean(
                                name,
                                EXPERIMENTAL.iter().map(|c| c.name()),
                            )
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default();
                            return Err(format!("`{name}` is no experimental lint rule{hint}"));
                        }
                    }
                }
                "error" => {
                    cfg.error = crate::options::go_bool("error", v.trim())
                        .map_err(|_| format!("error=`{v}` is not a boolean"))?;
                }
                other => {
                    return Err(format!(
                        "unknown key `{other}` (keys: skip, error, experimental)"
                    ))
                }
            }
        }
        Ok(cfg)
    }

    /// Whether the rule of `code` runs.
    fn runs(&self, code: Code) -> bool {
        let name = normalise(code.name());
        let on = !EXPERIMENTAL.contains(&code)
            || self.experimental_all
            || self.experimental.contains(&name);
        on && !self.skip_all && !self.skip.contains(&name)
    }

    /// Applies the configuration to what the rules found: the warnings of
    /// skipped rules and of experimental rules not turned on go; with
    /// `error=true` the others become errors.
    pub fn apply(&self, warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
        warnings
            .into_iter()
            .filter(|d| self.runs(d.code))
            .map(|mut d| {
                if self.error {
                    d.severity = Severity::Error;
                }
                d
            })
            .collect()
    }
}

/// The `# check=` comment, if the spec has one among its first lines (the
/// comments before its first key): the value and where it is.
pub fn comment(src: &SourceFile) -> Option<(String, Span)> {
    let mut offset = 0usize;
    for (i, line) in src.text.split_inclusive('\n').enumerate() {
        let text = line.trim_end_matches(['\n', '\r']);
        let trimmed = text.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            return None;
        }
        if let Some(rest) = trimmed.strip_prefix('#') {
            let body = rest.trim_start();
            if let Some(value) = body.strip_prefix("check=") {
                let at = offset + (text.len() - value.len());
                let span = Span {
                    offset: at,
                    len: value.len(),
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    col: u32::try_from(text.len() - value.len() + 1).unwrap_or(u32::MAX),
                    file: src.id,
                };
                return Some((value.trim().to_owned(), span));
            }
        }
        offset += line.len();
    }
    None
}

/// The configuration in force: the build argument's, else the comment's;
/// a bad value is an error at the comment, or naming the build argument.
pub fn resolve(src: &SourceFile, build_arg: Option<&str>) -> Result<CheckConfig, Diagnostic> {
    if let Some(v) = build_arg {
        return CheckConfig::parse(v).map_err(|e| {
            Diagnostic::new(
                Code::InvalidValue,
                format!("--build-arg BUILDKIT_DOCKERFILE_CHECK={v}: {e}"),
                Span::default(),
            )
        });
    }
    match comment(src) {
        None => Ok(CheckConfig::default()),
        Some((v, span)) => CheckConfig::parse(&v)
            .map_err(|e| Diagnostic::new(Code::InvalidValue, format!("`# check={v}`: {e}"), span)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_ours_or_the_dockerfile_frontends() {
        let c = CheckConfig::parse("skip=JSONArgsRecommended,workdir-relative-path;error=true")
            .unwrap();
        assert!(c.error);
        assert!(c.skip.contains("jsonargsrecommended"));
        assert!(c.skip.contains("workdirrelativepath"));
        assert!(CheckConfig::parse("skip=all").unwrap().skip_all);
        let e = CheckConfig::parse("skip=json-args-recomended").unwrap_err();
        assert!(e.contains("did you mean `json-args-recommended`"), "{e}");
        assert!(CheckConfig::parse("skipp=x").is_err());
        assert!(CheckConfig::parse("error=maybe").is_err());
    }

    #[test]
    fn experimental_rules_run_when_named() {
        let off = CheckConfig::default();
        assert!(!off.runs(Code::RunsAsRoot));
        assert!(off.runs(Code::SudoInRun));
        let on = CheckConfig::parse("experimental=RunsAsRoot").unwrap();
        assert!(on.runs(Code::RunsAsRoot) && !on.runs(Code::BaseImageUnpinned));
        let all = CheckConfig::parse("experimental=all;skip=unreachable-stage").unwrap();
        assert!(all.runs(Code::BaseImageUnpinned) && !all.runs(Code::UnreachableStage));
        let e = CheckConfig::parse("experimental=sudo-in-run").unwrap_err();
        assert!(e.contains("no experimental lint rule"), "{e}");
    }

    #[test]
    fn the_comment_is_found_among_the_first_comment_lines_only() {
        let src = |t: &str| SourceFile::new("s.yaml".to_owned(), t.to_owned());
        let (v, span) = comment(&src("# syntax=x\n# check=skip=all\nversion: 1\n")).unwrap();
        assert_eq!(v, "skip=all");
        assert_eq!((span.line, span.col), (2, 9));
        assert_eq!(comment(&src("version: 1\n# check=skip=all\n")), None);
    }
}
