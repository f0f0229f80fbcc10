//! A stage's `image:` keys → its image config (entrypoint, cmd, env, user,
//! workdir, ports, volumes, labels, stop signal, healthcheck), applied after
//! the steps and artifacts. The config a stage inherits and the history its
//! steps write are `crate::image::Image`'s; this module only sets keys.

use crate::diag::{Code, Diagnostic, Spanned};
use crate::image::Healthcheck as OciHealthcheck;
use crate::spec::model::{Command, Healthcheck, ImageConfig};
use crate::spec::validate::{parse_healthcheck_duration, port_keys};

use super::run::shell;
use super::{resolve_path, StageCtx};

fn command(ctx: &StageCtx<'_, '_>, cmd: &Spanned<Command>) -> Result<Vec<String>, Diagnostic> {
    match &cmd.value {
        Command::Shell(s) => {
            let mut argv = shell(ctx);
            argv.push(ctx.expand(&Spanned::new(s.clone(), cmd.span))?);
            Ok(argv)
        }
        Command::Exec(argv) => argv.iter().map(|a| ctx.expand(a)).collect(),
    }
}

fn duration_ns(ctx: &StageCtx<'_, '_>, d: Option<&Spanned<String>>) -> Result<i64, Diagnostic> {
    let Some(d) = d else { return Ok(0) };
    let text = ctx.expand(d)?;
    let dur = parse_healthcheck_duration(&text)
        .map_err(|m| Diagnostic::new(Code::InvalidValue, m, d.span))?;
    // parse_duration caps durations at i64::MAX nanoseconds.
    i64::try_from(dur.as_nanos()).map_err(|_| {
        Diagnostic::new(
            Code::InvalidValue,
            format!("duration `{text}` is too long"),
            d.span,
        )
    })
}

/// Sets the config keys the stage's `image:` names.
pub(super) fn apply_image_config(
    ctx: &mut StageCtx<'_, '_>,
    img: &ImageConfig,
) -> Result<(), Diagnostic> {
    // As the Dockerfile frontend does for `CMD` (not for `ENTRYPOINT`: the
    // differential suite showed an exec-form `ENTRYPOINT` alone leaves it unset).
    if img.cmd.is_some() {
        ctx.image.config.args_escaped = true;
    }
    if let Some(e) = &img.entrypoint {
        ctx.image.config.entrypoint = Some(command(ctx, e)?);
        ctx.image.config.cmd = None;
    }
    if let Some(c) = &img.cmd {
        ctx.image.config.cmd = Some(command(ctx, c)?);
    }
    for (k, v) in &img.env {
        let value = ctx.expand(v)?;
        ctx.image.set_env(&k.value, &value);
    }
    if let Some(u) = &img.user {
        ctx.image.config.user = ctx.expand(u)?;
    }
    if let Some(w) = &img.workdir {
        ctx.image.config.working_dir = resolve_path(&ctx.workdir, &ctx.expand_path(w)?);
    }
    for p in &img.expose {
        let text = ctx.expand(p)?;
        let ports = port_keys(&text).map_err(|m| Diagnostic::new(Code::InvalidValue, m, p.span))?;
        for port in ports {
            ctx.image
                .config
                .exposed_ports
                .insert(port, Default::default());
        }
    }
    for v in &img.volumes {
        ctx.image
            .config
            .volumes
            .insert(ctx.expand(v)?, Default::default());
    }
    for (k, v) in &img.labels {
        ctx.image
            .config
            .labels
            .insert(ctx.expand(k)?, ctx.expand(v)?);
    }
    if let Some(s) = &img.stop_signal {
        ctx.image.config.stop_signal =
            ctx.expand_checked(s, crate::spec::validate::check_signal)?;
    }
    if let Some(h) = &img.healthcheck {
        ctx.image.config.healthcheck = Some(match &h.value {
            Healthcheck::None => OciHealthcheck {
                test: vec!["NONE".to_owned()],
                ..Default::default()
            },
            Healthcheck::Check {
                test,
                interval,
                timeout,
                start_period,
                retries,
            } => {
                let test = match &test.value {
                    Command::Shell(s) => vec![
                        "CMD-SHELL".to_owned(),
                        ctx.expand(&Spanned::new(s.clone(), test.span))?,
                    ],
                    Command::Exec(argv) => {
                        let mut t = Vec::with_capacity(argv.len() + 1);
                        // Docker's own form (`["CMD", ...]`, `["CMD-SHELL", "..."]`) is kept as written.
                        let docker_form = argv.first().is_some_and(|a| {
                            matches!(a.value.as_str(), "CMD" | "CMD-SHELL" | "NONE")
                        });
                        if !docker_form {
                            t.push("CMD".to_owned());
                        }
                        for a in argv {
                            t.push(ctx.expand(a)?);
                        }
                        t
                    }
                };
                OciHealthcheck {
                    test,
                    interval: duration_ns(ctx, interval.as_ref())?,
                    timeout: duration_ns(ctx, timeout.as_ref())?,
                    start_period: duration_ns(ctx, start_period.as_ref())?,
                    retries: retries.as_ref().map_or(0, |r| i64::from(r.value)),
                }
            }
        });
    }
    Ok(())
}
