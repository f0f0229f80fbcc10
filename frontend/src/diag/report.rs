//! Diagnostics for machines (`stagecraft check --format`): JSON for tools,
//! SARIF 2.1.0 for code scanning, and GitHub Actions workflow commands,
//! which annotate the spec's lines in a pull request. The text form is
//! [`super::render`]'s.
//!
//! Nothing here decides what is a diagnostic; it only writes them out.

use serde_json::json;
use serde_sarif::sarif;

use super::codes::CODES;
use super::{Diagnostic, Severity, SourceFile};

/// An output format of `stagecraft check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Rendered with the YAML excerpt (on stderr).
    Text,
    /// One JSON document (on stdout).
    Json,
    /// `::warning file=…,line=…,col=…,title=CODE::message` lines (on stdout).
    Github,
    /// A SARIF 2.1.0 log (on stdout), for code scanning.
    Sarif,
}

fn severity(d: &Diagnostic) -> &'static str {
    d.severity.as_str()
}

fn level(s: Severity) -> sarif::ResultLevel {
    match s {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
    }
}

/// The SARIF log of `diags` in `src`, whose path (relative to the
/// repository root, as code scanning expects) is `path`. Every code of the
/// registry is a rule of the tool, with its summary and documentation;
/// columns count Unicode code points, as ours do.
pub fn sarif(diags: &[Diagnostic], src: &SourceFile, path: &str) -> String {
    let rules: Vec<sarif::ReportingDescriptor> = CODES
        .iter()
        .map(|c| {
            sarif::ReportingDescriptor::builder()
                .id(c.name)
                .short_description(
                    sarif::MultiformatMessageString::builder()
                        .text(c.summary)
                        .build(),
                )
                .help(
                    sarif::MultiformatMessageString::builder()
                        .text(c.summary)
                        .markdown(super::codes::page(c))
                        .build(),
                )
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(serde_json::to_value(level(c.severity)).unwrap_or_default())
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<sarif::Result> = diags
        .iter()
        .map(|d| {
            let text = match &d.help {
                Some(h) => format!("{} (help: {h})", d.message),
                None => d.message.clone(),
            };
            let artifact = sarif::ArtifactLocation::builder()
                .uri(path_of(d, src, path))
                .build();
            let mut physical = sarif::PhysicalLocation::builder()
                .artifact_location(artifact)
                .build();
            if d.has_location() {
                let end = src
                    .file(d.span.file)
                    .span_at(d.span.offset.saturating_add(d.span.len), 0);
                physical.region = Some(
                    sarif::Region::builder()
                        .start_line(i64::from(d.span.line))
                        .start_column(i64::from(d.span.col))
                        .end_line(i64::from(end.line))
                        .end_column(i64::from(end.col))
                        .build(),
                );
            }
            let index = CODES.iter().position(|c| c.code == d.code);
            let mut result = sarif::Result::builder()
                .rule_id(d.code.name())
                .level(level(d.severity))
                .message(sarif::Message::builder().text(text).build())
                .locations(vec![sarif::Location::builder()
                    .physical_location(physical)
                    .build()])
                .build();
            result.rule_index = index.and_then(|i| i64::try_from(i).ok());
            result
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("stagecraft")
        .version(crate::version::VERSION)
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .results(results)
        .build();
    let log = sarif::Sarif::builder()
        .schema(SARIF_SCHEMA)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&log).unwrap_or_default()
}

/// The schema a SARIF log names.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The path of the file `d` is in: `path` for the spec, the imported
/// file's path beside it for an import (imported files are named by their
/// path relative to the spec's directory).
pub fn path_of(d: &Diagnostic, src: &SourceFile, path: &str) -> String {
    if d.span.file == 0 {
        return path.to_owned();
    }
    let name = &src.file(d.span.file).name;
    match path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name.clone(),
    }
}

/// The JSON report of `diags` in the spec at `path` (`src`, which knows
/// its imported files).
pub fn json(diags: &[Diagnostic], src: &SourceFile, path: &str) -> String {
    let items: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            json!({
                "code": d.code.name(),
                "severity": severity(d),
                "message": d.message,
                "help": d.help,
                "file": path_of(d, src, path),
                "line": d.span.line,
                "column": d.span.col,
            })
        })
        .collect();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let doc = json!({
        "file": path,
        "errors": errors,
        "warnings": diags.len() - errors,
        "diagnostics": items,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// GitHub's escaping of a workflow command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One GitHub Actions annotation per diagnostic of the spec at `path`
/// (`src`, which knows its imported files).
pub fn github(diags: &[Diagnostic], src: &SourceFile, path: &str) -> String {
    diags
        .iter()
        .map(|d| {
            let message = match &d.help {
                Some(h) => format!("{} (help: {h})", d.message),
                None => d.message.clone(),
            };
            format!(
                "::{} file={},line={},col={},title={}::{}\n",
                severity(d),
                escape_property(&path_of(d, src, path)),
                d.span.line,
                d.span.col,
                escape_property(d.code.name()),
                escape_data(&message)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Code, Span};

    fn warning() -> Diagnostic {
        Diagnostic::new(
            Code::SudoInRun,
            "`sudo` in a `run` step: 100%\nsure",
            Span {
                offset: 0,
                len: 1,
                line: 7,
                col: 14,
                file: 0,
            },
        )
        .with_help("set `user: root`")
    }

    #[test]
    fn github_annotations_escape_what_github_reads() {
        assert_eq!(
            github(&[warning()], &SourceFile::new("c.yaml", ""), "ci/a,b:c.yaml"),
            "::warning file=ci/a%2Cb%3Ac.yaml,line=7,col=14,title=sudo-in-run::`sudo` in a `run` step: 100%25%0Asure (help: set `user: root`)\n"
        );
    }

    #[test]
    fn json_reports_count_and_locate() {
        let v: serde_json::Value = serde_json::from_str(&json(
            &[warning()],
            &SourceFile::new("s.yaml", ""),
            "s.yaml",
        ))
        .unwrap();
        assert_eq!(v["warnings"], 1);
        assert_eq!(v["errors"], 0);
        assert_eq!(v["diagnostics"][0]["code"], "sudo-in-run");
        assert_eq!(v["diagnostics"][0]["line"], 7);
        assert_eq!(v["diagnostics"][0]["column"], 14);
    }
}
