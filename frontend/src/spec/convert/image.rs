//! Reads a stage's `image` (the runtime config) and its `healthcheck`.
//! Applied by `compile::image`.

use super::reader::Cx;
use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::model::*;
use crate::spec::raw::{Node, Value};
use crate::spec::validate;

const IMAGE_KEYS: &[&str] = &[
    "entrypoint",
    "cmd",
    "env",
    "user",
    "workdir",
    "expose",
    "volumes",
    "labels",
    "stop_signal",
    "healthcheck",
];
const HEALTHCHECK_KEYS: &[&str] = &["test", "interval", "timeout", "start_period", "retries"];

pub(super) fn image(cx: &mut Cx<'_>, node: &Node) -> Option<ImageConfig> {
    let f = cx.fields(node, "image", "`image`", IMAGE_KEYS, &|_| None)?;
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
    let f = cx.fields(node, "healthcheck", what, HEALTHCHECK_KEYS, &|_| None)?;
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
