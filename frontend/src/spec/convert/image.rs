//! Reads a stage's `image` (the runtime config) and its `healthcheck`.
//! Applied by `compile::image`.

use super::reader::Cx;
use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::keys::{Key, Table, Ty};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};
use crate::spec::validate;

/// A stage's `image`.
pub(crate) const IMAGE: Table = Table {
    name: "image",
    doc: "The runtime configuration of the result: the base image's, then the stage's `env`, `workdir` and `user`, then these keys.",
    keys: &[
        Key::opt(
            "entrypoint",
            Ty::Command,
            "A list of arguments, or a string run by the stage's `shell`; setting it clears an inherited `cmd`.",
        )
        .example(r#"["/app/server"]"#),
        Key::opt("cmd", Ty::Command, "The default arguments (or command)."),
        Key::opt("env", Ty::KeyValues, "Runtime-only environment variables."),
        Key::opt("user", Ty::Path, "The user the container runs as.").example(r#""65532:65532""#),
        Key::opt("workdir", Ty::Path, "The container's working directory."),
        Key::opt("expose", Ty::Strings, "Ports: `8080`, `\"53/udp\"`.").example(r#"[8080, "53/udp"]"#),
        Key::opt("volumes", Ty::Strings, "Volume mount points."),
        Key::opt("labels", Ty::KeyValues, "Image labels; `--label` adds more."),
        Key::opt("stop_signal", Ty::Path, "The signal that stops the container.").example(r#""SIGTERM""#),
        Key::opt(
            "healthcheck",
            Ty::NoneOr(&HEALTHCHECK),
            "`{test, interval, timeout, start_period, retries}`, or `none` to disable an inherited one.",
        ),
    ],
    exactly_one_of: &[],
};

/// An `image.healthcheck`.
pub(crate) const HEALTHCHECK: Table = Table {
    name: "healthcheck",
    doc: "How to check that the container is healthy.",
    keys: &[
        Key::req(
            "test",
            Ty::Command,
            "The check: a list of arguments, or a string run by the shell.",
        ),
        Key::opt("interval", Ty::Str, "Time between checks, e.g. `30s`."),
        Key::opt("timeout", Ty::Str, "Time a check may take."),
        Key::opt(
            "start_period",
            Ty::Str,
            "Time to start before failures count.",
        ),
        Key::opt(
            "retries",
            Ty::UInt,
            "Failures in a row that make the container unhealthy.",
        ),
    ],
    exactly_one_of: &[],
};

pub(super) fn image(cx: &mut Cx<'_>, node: &Node) -> Option<ImageConfig> {
    let f = cx.fields(node, "image", "`image`", &IMAGE, &|_| None)?;
    let entrypoint = cx.opt(&f, "entrypoint", Cx::expandable_command);
    let cmd = cx.opt(&f, "cmd", Cx::expandable_command);
    let env = f
        .get("env")
        .map(|n| cx.key_values(n, "env", true))
        .unwrap_or_default();
    let user = cx.opt(&f, "user", Cx::path);
    let workdir = cx.opt(&f, "workdir", Cx::path);
    let expose = cx.list_of(&f, "expose", |cx, n, key| {
        let port = cx.expandable(n, key)?;
        if port.value.contains('$') {
            return Some(port);
        }
        match validate::normalize_port(&port.value) {
            Ok(p) => Some(Spanned::new(p, port.span)),
            Err(msg) => {
                cx.push(Diagnostic::new(Code::InvalidValue, msg, port.span));
                None
            }
        }
    });
    let volumes = cx.list_of(&f, "volumes", Cx::path);
    let labels = f
        .get("labels")
        .map(|n| cx.key_values(n, "labels", false))
        .unwrap_or_default();
    let stop_signal = cx.opt(&f, "stop_signal", Cx::path);
    let stop_signal = cx.check_literal(stop_signal, validate::check_signal);
    let healthcheck = f.get("healthcheck").and_then(|n| healthcheck(cx, n));
    Some(ImageConfig {
        entrypoint,
        cmd,
        env,
        user,
        workdir,
        expose,
        volumes,
        labels,
        stop_signal,
        healthcheck,
        span: f.node.span,
    })
}

fn healthcheck(cx: &mut Cx<'_>, node: &Node) -> Option<Spanned<Healthcheck>> {
    if let Value::Str(s) = &node.value {
        if s == "none" {
            return Some(Spanned::new(Healthcheck::None, node.span));
        }
        cx.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("invalid healthcheck `{s}`"),
                node.span,
            )
            .with_help("write `healthcheck: none` or `healthcheck: {test: ..., interval: 30s}`"),
        );
        return None;
    }
    let what = "`healthcheck`";
    let f = cx.fields(node, "healthcheck", what, &HEALTHCHECK, &|_| None)?;
    let test = cx.req(&f, "test", what, Cx::expandable_command);
    let mut duration = |key: &str| {
        let v = cx.opt(&f, key, Cx::expandable);
        cx.check_literal(v, |t| validate::parse_healthcheck_duration(t).map(|_| ()))
    };
    let interval = duration("interval");
    let timeout = duration("timeout");
    let start_period = duration("start_period");
    let retries = cx.opt(&f, "retries", Cx::uint);
    Some(Spanned::new(
        Healthcheck::Check {
            test: test?,
            interval,
            timeout,
            start_period,
            retries,
        },
        node.span,
    ))
}
