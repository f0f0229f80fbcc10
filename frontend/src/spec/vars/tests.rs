//! Tests of `${...}` parsing and expansion.

use super::*;

fn scope() -> BTreeMap<String, Option<String>> {
    let mut m = BTreeMap::new();
    m.insert("APP".to_string(), Some("server".to_string()));
    m.insert("GO_VERSION".to_string(), Some("1.23".to_string()));
    m.insert("EMPTY".to_string(), Some(String::new()));
    m.insert("NOVALUE".to_string(), None);
    m
}

/// A one-line source `key: <value>` and the value spanned at column 6.
fn at(value: &str) -> (Spanned<String>, SourceFile) {
    let src = SourceFile::new("s.yaml", format!("key: {value}\n"));
    let span = src.span_at(5, value.len());
    (Spanned::new(value.to_string(), span), src)
}

fn ok(value: &str) -> String {
    let (v, src) = at(value);
    expand(&v, &scope(), &src).unwrap()
}

fn err(value: &str) -> Diagnostic {
    let (v, src) = at(value);
    expand(&v, &scope(), &src).unwrap_err()
}

#[test]
fn plain_and_braced() {
    assert_eq!(ok("/out/$APP"), "/out/server");
    assert_eq!(ok("/out/${APP}.bin"), "/out/server.bin");
    assert_eq!(ok("$APP.$APP"), "server.server");
    assert_eq!(ok("golang:${GO_VERSION}-alpine"), "golang:1.23-alpine");
    assert_eq!(ok("no vars"), "no vars");
    assert_eq!(ok(""), "");
    assert_eq!(ok("ünïcode/$APP/ü"), "ünïcode/server/ü");
}

#[test]
fn dollar_escapes_and_literals() {
    assert_eq!(ok("$$APP"), "$APP");
    assert_eq!(ok("a$$"), "a$");
    assert_eq!(ok("cost: 5$"), "cost: 5$");
    assert_eq!(ok("$1 $( $-"), "$1 $( $-");
}

#[test]
fn declared_without_value_is_empty() {
    assert_eq!(ok("[$NOVALUE]"), "[]");
    assert_eq!(ok("[${EMPTY}]"), "[]");
}

#[test]
fn default_form() {
    assert_eq!(ok("${APP:-x}"), "server");
    assert_eq!(ok("${EMPTY:-x}"), "x");
    assert_eq!(ok("${NOVALUE:-x}"), "x");
    assert_eq!(ok("${MISSING:-x}"), "x");
    assert_eq!(ok("${MISSING:-}"), "");
    assert_eq!(ok("${MISSING:-${APP}}"), "server");
    assert_eq!(ok("${MISSING:-$APP-${GO_VERSION}}"), "server-1.23");
    assert_eq!(ok("${MISSING:-${OTHER:-deep}}"), "deep");
    // The default is only expanded when used.
    assert_eq!(ok("${APP:-$MISSING}"), "server");
}

#[test]
fn alternative_form() {
    assert_eq!(ok("${APP:+yes}"), "yes");
    assert_eq!(ok("${EMPTY:+yes}"), "");
    assert_eq!(ok("${MISSING:+yes}"), "");
    assert_eq!(ok("${APP:+--name=$APP}"), "--name=server");
}

#[test]
fn required_form() {
    assert_eq!(ok("${APP:?need app}"), "server");
    let d = err("${EMPTY:?set EMPTY}");
    assert_eq!(d.code, "required-variable");
    assert_eq!(d.message, "variable `EMPTY` is empty: set EMPTY");
    let d = err("${MISSING:?please set it}");
    assert_eq!(d.message, "variable `MISSING` is not set: please set it");
    let d = err("${NOVALUE:?}");
    assert_eq!(d.message, "variable `NOVALUE` is empty");
    assert_eq!((d.span.col, d.span.len), (6, 12));
}

#[test]
fn undeclared_points_inside_the_value() {
    let d = err("/out/$APPP/bin");
    assert_eq!(d.code, "undeclared-variable");
    assert_eq!(d.message, "undeclared variable `APPP`");
    assert_eq!(d.help.as_deref(), Some("did you mean `APP`?"));
    assert_eq!(
        (d.span.line, d.span.col, d.span.offset, d.span.len),
        (1, 11, 10, 5)
    );
    let d = err("x-${GO_VERSON}");
    assert_eq!(d.help.as_deref(), Some("did you mean `GO_VERSION`?"));
    assert_eq!((d.span.col, d.span.len), (8, 12));
    let d = err("${ZZZ}");
    assert!(d.help.unwrap().contains("declare it under `args:`"));
    // Undeclared inside a default that is used.
    let d = err("${MISSING:-$NOPE}");
    assert_eq!(d.message, "undeclared variable `NOPE`");
    assert_eq!(d.span.col, 6 + 11);
}

#[test]
fn span_falls_back_to_the_scalar_when_not_verbatim() {
    // Double-quoted with an escape: the value is not verbatim in the source.
    let src = SourceFile::new("s.yaml", "key: \"a\\t$NOPE\"\n");
    let v = Spanned::new("a\t$NOPE".to_string(), src.span_at(5, 10));
    let d = expand(&v, &scope(), &src).unwrap_err();
    assert_eq!((d.span.col, d.span.len), (6, 10));
}

#[test]
fn syntax_errors() {
    for (text, msg) in [
        ("${APP", "unterminated `${`: expected a closing `}`"),
        ("a ${APP:-x", "unterminated `${`: expected a closing `}`"),
        ("${", "unterminated `${`: expected a closing `}`"),
        ("${}", "empty variable name in `${}`"),
        (
            "${1A}",
            "invalid variable name `1A`: names cannot start with a digit",
        ),
        (
            "${APP-x}",
            "unsupported modifier `-x` in `${APP...}`: use `:-`, `:+` or `:?`",
        ),
        (
            "${APP:=x}",
            "unsupported modifier `:=` in `${APP...}`: use `:-`, `:+` or `:?`",
        ),
    ] {
        let d = err(text);
        assert_eq!(d.code, "variable-syntax", "{text}");
        assert_eq!(d.message, msg, "{text}");
        assert!(check_syntax(text).is_err());
    }
    assert!(err("${-x}")
        .message
        .starts_with("invalid variable name in `${-x}`"));
    let d = err("ab${APP");
    assert_eq!((d.span.col, d.span.len), (8, 5));
    assert_eq!(
        err("${APP:").message,
        "unterminated `${`: expected a closing `}`"
    );
}

#[test]
fn names_in_commands() {
    assert_eq!(
        names_in_command("go build -o /out/$APP ${VERSION:-dev} $$ $1 $(x) ${TARGETARCH}_x $$HOME"),
        ["APP", "HOME", "TARGETARCH", "VERSION"]
    );
    assert!(names_in_command("echo hello $").is_empty());
}

#[test]
fn nesting_is_bounded() {
    let deep = |n: usize| format!("{}x{}", "${A:-".repeat(n), "}".repeat(n));
    assert_eq!(ok(&deep(MAX_NESTING)), "x");
    let err = check_syntax(&deep(MAX_NESTING + 1)).unwrap_err();
    assert!(
        err.message.contains("nested more than 32"),
        "{}",
        err.message
    );
    // Far past any stack: still an error, not a crash.
    assert!(check_syntax(&deep(100_000)).is_err());
}

#[test]
fn references_lists_every_name() {
    assert_eq!(
        references("$A ${B} ${C:-$D} ${E:+x} ${F:?m} $$G"),
        ["A", "B", "C", "D", "E", "F"]
    );
    assert!(references("${broken").is_empty());
    assert!(references("plain").is_empty());
}
