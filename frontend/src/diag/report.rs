//! Diagnostics for machines (`stagecraft check --format`): JSON for tools,
//! and GitHub Actions workflow commands, which annotate the spec's lines in
//! a pull request. The text form is [`super::render`]'s.
//!
//! Nothing here decides what is a diagnostic; it only writes them out.

use serde_json::json;

use super::{Diagnostic, Severity};

/// An output format of `stagecraft check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Rendered with the YAML excerpt (on stderr).
    Text,
    /// One JSON document (on stdout).
    Json,
    /// `::warning file=…,line=…,col=…,title=CODE::message` lines (on stdout).
    Github,
}

fn severity(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The JSON report of `diags` in the spec at `path`.
pub fn json(diags: &[Diagnostic], path: &str) -> String {
    let items: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            json!({
                "code": d.code.name(),
                "severity": severity(d),
                "message": d.message,
                "help": d.help,
                "file": path,
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

/// One GitHub Actions annotation per diagnostic of the spec at `path`.
pub fn github(diags: &[Diagnostic], path: &str) -> String {
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
                escape_property(path),
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
            },
        )
        .with_help("set `user: root`")
    }

    #[test]
    fn github_annotations_escape_what_github_reads() {
        assert_eq!(
            github(&[warning()], "ci/a,b:c.yaml"),
            "::warning file=ci/a%2Cb%3Ac.yaml,line=7,col=14,title=sudo-in-run::`sudo` in a `run` step: 100%25%0Asure (help: set `user: root`)\n"
        );
    }

    #[test]
    fn json_reports_count_and_locate() {
        let v: serde_json::Value = serde_json::from_str(&json(&[warning()], "s.yaml")).unwrap();
        assert_eq!(v["warnings"], 1);
        assert_eq!(v["errors"], 0);
        assert_eq!(v["diagnostics"][0]["code"], "sudo-in-run");
        assert_eq!(v["diagnostics"][0]["line"], 7);
        assert_eq!(v["diagnostics"][0]["column"], 14);
    }
}
