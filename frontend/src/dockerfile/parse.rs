//! Dockerfile text → instructions, as BuildKit's parser reads it: parser
//! directives (`# syntax=`, `# escape=`, `# check=`) among the first
//! comment lines, line continuations with the escape character (comment
//! lines inside a continued instruction dropped), case-insensitive
//! instruction names, leading `--flag[=value]` flags, and the JSON (exec)
//! form of arguments. Comments before an instruction are kept with it.
//!
//! It interprets no instruction; `to_spec` does.

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case: `RUN`, `COPY`…
    pub name: String,
    /// The 1-based line it starts on.
    pub line: usize,
    /// `--name=value` flags before the arguments (`--link` is `("link", None)`).
    pub flags: Vec<(String, Option<String>)>,
    pub args: Args,
    /// The comment lines just above it, without `#`.
    pub comments: Vec<String>,
    /// The heredocs the instruction opens (`RUN <<EOF`, `COPY <<EOF /x`),
    /// with their bodies, in order.
    pub heredocs: Vec<Heredoc>,
}

/// A heredoc: `<<NAME` (or `<<-NAME`, `<<"NAME"`) and the lines up to `NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    /// The body: every line with its newline (`<<-` strips their leading tabs).
    pub data: String,
    /// The body as written (tabs kept), for a shell that reads it itself.
    pub raw: String,
    /// The delimiter was unquoted: the Dockerfile frontend expands variables in a copied body.
    pub expand: bool,
}

/// An instruction's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// The text as written (continuations joined).
    Shell(String),
    /// A JSON array of strings.
    Exec(Vec<String>),
}

impl Args {
    /// The arguments as text (the exec form's elements joined by spaces).
    pub fn text(&self) -> String {
        match self {
            Args::Shell(s) => s.clone(),
            Args::Exec(v) => v.join(" "),
        }
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// `check` directive's value, if any (the others are not kept: `syntax`
    /// names a Dockerfile frontend, `escape` is applied while parsing).
    pub check: Option<String>,
    /// The escape character (`\\`, or `` ` `` by the `escape` directive).
    pub escape: char,
    pub instructions: Vec<Instruction>,
}

/// A line that cannot be read, with its 1-based number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// The directives among the first comment lines: `(name, value)`, lower-case names.
fn directive(line: &str) -> Option<(String, String)> {
    let body = line.trim().strip_prefix('#')?.trim();
    let (k, v) = body.split_once('=')?;
    let k = k.trim().to_ascii_lowercase();
    matches!(k.as_str(), "syntax" | "escape" | "check").then(|| (k, v.trim().to_owned()))
}

/// Splits leading `--flag[=value]` words off an instruction's text.
fn flags(mut rest: &str) -> (Vec<(String, Option<String>)>, &str) {
    let mut out = Vec::new();
    loop {
        let t = rest.trim_start();
        let Some(flag) = t.strip_prefix("--") else {
            return (out, t);
        };
        let end = flag.find(char::is_whitespace).unwrap_or(flag.len());
        let word = flag.get(..end).unwrap_or(flag);
        match word.split_once('=') {
            Some((k, v)) => out.push((k.to_ascii_lowercase(), Some(v.to_owned()))),
            None => out.push((word.to_ascii_lowercase(), None)),
        }
        rest = flag.get(end..).unwrap_or("");
    }
}

/// The exec form, if `text` is a JSON array of strings.
fn exec_form(text: &str) -> Option<Vec<String>> {
    let t = text.trim();
    if !t.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(t).ok()
}

/// Instructions whose arguments may be in the JSON form.
const JSON_FORM: &[&str] = &[
    "RUN",
    "CMD",
    "ENTRYPOINT",
    "SHELL",
    "COPY",
    "ADD",
    "VOLUME",
    "HEALTHCHECK",
];

/// Parses a Dockerfile.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let mut df = Dockerfile {
        check: None,
        escape: '\\',
        instructions: Vec::new(),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut i = 0;
    // Directives: the first lines, while they are directives.
    while let Some(line) = lines.get(i) {
        let Some((k, v)) = directive(line) else { break };
        match k.as_str() {
            "escape" => {
                escape = match v.as_str() {
                    "`" => '`',
                    "\\" => '\\',
                    other => {
                        return Err(ParseError {
                            line: i + 1,
                            message: format!(
                                "invalid escape directive `{other}`: use `\\` or `` ` ``"
                            ),
                        })
                    }
                };
            }
            "check" => df.check = Some(v),
            _ => {}
        }
        i += 1;
    }
    df.escape = escape;
    let mut comments: Vec<String> = Vec::new();
    while let Some(first) = lines.get(i) {
        let start = i;
        i += 1;
        let trimmed = first.trim();
        if trimmed.is_empty() {
            comments.clear();
            continue;
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            comments.push(c.strip_prefix(' ').unwrap_or(c).to_owned());
            continue;
        }
        // Join continuation lines; comment lines inside are dropped.
        let mut text = String::new();
        let mut current = first.trim_start().to_owned();
        loop {
            let stripped = current.trim_end();
            match stripped.strip_suffix(escape) {
                Some(head) => {
                    text.push_str(head);
                    let mut next = None;
                    while let Some(l) = lines.get(i) {
                        i += 1;
                        // Comment lines and empty lines inside a continued instruction are skipped.
                        if l.trim_start().starts_with('#') || l.trim().is_empty() {
                            continue;
                        }
                        next = Some((*l).to_owned());
                        break;
                    }
                    match next {
                        Some(l) => current = l,
                        None => break,
                    }
                }
                None => {
                    text.push_str(&current);
                    break;
                }
            }
        }
        let (name, rest) = match text.split_once(char::is_whitespace) {
            Some((n, r)) => (n.to_ascii_uppercase(), r.to_owned()),
            None => (text.to_ascii_uppercase(), String::new()),
        };
        let mut heredocs = Vec::new();
        if matches!(name.as_str(), "RUN" | "COPY" | "ADD") {
            for (delim, chomp, expand) in heredoc_markers(&rest) {
                let mut data = String::new();
                let mut raw = String::new();
                loop {
                    let Some(l) = lines.get(i) else {
                        return Err(ParseError {
                            line: start + 1,
                            message: format!(
                                "{name} (line {}): the heredoc `{delim}` has no end line `{delim}`",
                                start + 1
                            ),
                        });
                    };
                    i += 1;
                    let body = if chomp { l.trim_start_matches('\t') } else { l };
                    if body == delim {
                        break;
                    }
                    raw.push_str(l);
                    raw.push('\n');
                    data.push_str(body);
                    data.push('\n');
                }
                heredocs.push(Heredoc {
                    name: delim,
                    data,
                    raw,
                    expand,
                });
            }
        }
        let takes_flags = matches!(
            name.as_str(),
            "RUN" | "COPY" | "ADD" | "FROM" | "HEALTHCHECK"
        );
        let (flags, args_text) = if takes_flags {
            flags(&rest)
        } else {
            (Vec::new(), rest.as_str())
        };
        let args = match exec_form(args_text) {
            Some(v) if JSON_FORM.contains(&name.as_str()) => Args::Exec(v),
            Some(_) | None => Args::Shell(args_text.trim().to_owned()),
        };
        df.instructions.push(Instruction {
            name,
            line: start + 1,
            flags,
            args,
            comments: std::mem::take(&mut comments),
            heredocs,
        });
    }
    Ok(df)
}

/// The heredocs an instruction's text opens, in order: `(name, chomp,
/// expand)` for each word `<<NAME`, `<<-NAME`, `<<"NAME"` or `<<'NAME'`
/// (a quoted name: no expansion), as BuildKit finds them; `<<<` (a
/// here-string) and `<<` inside a word are not heredocs.
pub fn heredoc_markers(rest: &str) -> Vec<(String, bool, bool)> {
    let mut out = Vec::new();
    for word in rest.split_whitespace() {
        let Some(after) = word.strip_prefix("<<") else {
            continue;
        };
        if after.starts_with('<') {
            continue;
        }
        let (chomp, after) = match after.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let (quoted, name) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => match after[1..].strip_suffix(q) {
                Some(n) => (true, n),
                None => continue,
            },
            _ => (false, after),
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            out.push((name.to_owned(), chomp, !quoted));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_flags_forms_and_comments() {
        let df = parse(
            "# syntax=docker/dockerfile:1\n# check=skip=all\n\n# the base\nFROM --platform=$BUILDPLATFORM golang:1.23 AS build\nRUN apt-get update && \\\n# a comment inside\n    apt-get install -y make\nCMD [\"/app\", \"--serve\"]\ncopy --link --from=build /out /\n",
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(df.check.as_deref(), Some("skip=all"));
        let [from, run, cmd, copy] = df.instructions.as_slice() else {
            panic!("{df:?}");
        };
        assert_eq!(from.comments, ["the base"]);
        assert_eq!(
            from.flags,
            [("platform".to_owned(), Some("$BUILDPLATFORM".to_owned()))]
        );
        assert_eq!(from.args, Args::Shell("golang:1.23 AS build".into()));
        assert_eq!(run.line, 6);
        assert_eq!(
            run.args,
            Args::Shell("apt-get update &&     apt-get install -y make".into())
        );
        assert_eq!(cmd.args, Args::Exec(vec!["/app".into(), "--serve".into()]));
        assert_eq!(copy.name, "COPY");
        assert_eq!(copy.flags.len(), 2);
    }

    #[test]
    fn escape_directive_and_heredocs() {
        let df =
            parse("# escape=`\nFROM scratch\nRUN a `\n  b\n").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            df.instructions.get(1).map(|i| i.args.clone()),
            Some(Args::Shell("a   b".into()))
        );
        let df = parse("FROM alpine\nRUN <<EOF\necho $A\nEOF\nCOPY <<-'X' <<Y /d/\n\tone\n\tX\ntwo\nY\nRUN echo after\n")
            .unwrap_or_else(|e| panic!("{e:?}"));
        let [_, run, copy, after] = df.instructions.as_slice() else {
            panic!("{df:?}");
        };
        assert_eq!(run.heredocs.len(), 1);
        assert_eq!(run.heredocs[0].data, "echo $A\n");
        assert!(run.heredocs[0].expand);
        assert_eq!(copy.heredocs[0].name, "X");
        assert_eq!(copy.heredocs[0].data, "one\n");
        assert_eq!(copy.heredocs[0].raw, "\tone\n");
        assert!(!copy.heredocs[0].expand);
        assert_eq!(copy.heredocs[1].data, "two\n");
        assert_eq!(after.line, 10);
        let e = parse("FROM alpine\nRUN <<EOF\necho\n").unwrap_err();
        assert_eq!(e.line, 2);
        let df = parse("FROM alpine\nRUN cat <<< hi\n").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(df.instructions[1].heredocs.is_empty());
    }
}
