//! The spec's value rules (stage names, modes, checksums, ports,
//! durations...), used while converting and, after expansion, while
//! compiling. The cross-stage checks are in [`super::graph`].
//!
//! This module does NOT expand variables: values with `$` are checked for
//! `${...}` syntax only (in `convert`), and the remaining checks apply to them
//! after expansion, in `compile`, through the `pub` helpers here.

use std::time::Duration;

/// An import alias (language 1.1): a stage name without dots, since
/// `ALIAS.STAGE` names a stage of the import.
pub fn check_import_alias(alias: &str) -> Result<(), (String, String)> {
    let valid = alias.bytes().enumerate().all(|(i, b)| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && matches!(b, b'_' | b'-'))
    });
    if valid && !alias.is_empty() {
        return Ok(());
    }
    Err((
        format!("invalid import alias `{alias}`"),
        "aliases match `[a-z0-9][a-z0-9_-]*` (no dots: `ALIAS.STAGE` names an imported stage)"
            .to_owned(),
    ))
}

/// `[a-z0-9][a-z0-9_.-]*`, and not the reserved `scratch`.
/// On error: the message and a help line.
pub fn check_stage_name(name: &str) -> Result<(), (String, String)> {
    let valid = name.bytes().enumerate().all(|(i, b)| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && matches!(b, b'_' | b'.' | b'-'))
    });
    if name == "scratch" {
        return Err((
            "invalid stage name `scratch`".to_string(),
            "`scratch` is reserved for the empty image".to_string(),
        ));
    }
    if valid && !name.is_empty() {
        return Ok(());
    }
    let help = {
        let lower: String = name
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let lower = lower.trim_start_matches(['_', '.', '-']).to_string();
        if !lower.is_empty() && lower != name {
            format!("stage names match `[a-z0-9][a-z0-9_.-]*`; for example `{lower}`")
        } else {
            "stage names match `[a-z0-9][a-z0-9_.-]*`".to_string()
        }
    };
    Err((format!("invalid stage name `{name}`"), help))
}

fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Argument names are referenced as `$NAME`, so they must be identifiers.
pub fn check_arg_name(name: &str) -> Result<(), String> {
    if is_identifier(name) {
        Ok(())
    } else {
        Err(format!(
            "invalid name `{}`: use letters, digits and `_`, not starting with a digit",
            name.escape_debug()
        ))
    }
}

/// Whether `value` is a value of an argument of type `ty` with `choices`
/// (language 1.1): `Err` says what it must be instead.
pub fn check_arg_value(
    ty: crate::spec::model::ArgType,
    choices: &[String],
    value: &str,
) -> Result<(), String> {
    use crate::spec::model::ArgType;
    let int = |v: &str| {
        let digits = v.strip_prefix('-').unwrap_or(v);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    let wrong =
        match ty {
            ArgType::String => None,
            ArgType::Bool => (!matches!(value, "true" | "false"))
                .then_some("a `bool` argument is `true` or `false`"),
            ArgType::Int => (!int(value))
                .then_some("an `int` argument is a decimal integer, such as `4` or `-1`"),
        };
    if let Some(what) = wrong {
        return Err(what.to_owned());
    }
    if !choices.is_empty() && !choices.iter().any(|c| c == value) {
        let list: Vec<String> = choices.iter().map(|c| format!("`{c}`")).collect();
        return Err(format!("the argument is one of {}", list.join(", ")));
    }
    Ok(())
}

/// Environment names: anything without `=`, whitespace or NUL, as Docker allows.
pub fn check_env_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        Err("environment variable names cannot be empty".to_string())
    } else if name.contains(['=', '\0']) || name.contains(char::is_whitespace) {
        Err(format!(
            "invalid environment variable name `{}`: it contains `=` or whitespace",
            name.escape_debug()
        ))
    } else {
        Ok(())
    }
}

/// `user`, `user:group`, `uid` or `uid:gid`: one or two non-empty parts
/// without whitespace.
pub fn check_chown(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split(':').collect();
    let ok = (1..=2).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid chown `{}`: expected `user`, `user:group`, `uid` or `uid:gid`",
            text.escape_debug()
        ))
    }
}

/// An octal file mode: `0755`, `755`, `0o755`. At most `07777`.
pub fn parse_file_mode(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    // Octal digits only (Rust's parser would take a `+`); leading zeros are
    // fine, as for BuildKit's `ParseUint(s, 8, 32)`.
    let significant = digits.trim_start_matches('0');
    let bits = (!digits.is_empty()
        && digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
        && significant.len() <= 4)
        .then(|| {
            u32::from_str_radix(
                if significant.is_empty() {
                    "0"
                } else {
                    significant
                },
                8,
            )
            .ok()
        })
        .flatten()
        .filter(|b| *b <= 0o7777);
    bits.ok_or_else(|| format!("invalid mode `{text}`: expected octal digits such as `0755`"))
}

/// `os/arch[/variant]`, lowercase.
pub fn check_platform(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split('/').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid platform `{text}`: expected `os/arch[/variant]`, e.g. `linux/amd64`"
        ))
    }
}

pub fn check_http_url(text: &str) -> Result<(), String> {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return Err(format!(
            "invalid url `{text}`: `url` must start with `https://` or `http://`"
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("invalid url `{text}`: it names no host"));
    }
    if text.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "invalid url `{}`: spaces and control characters must be percent-encoded (`%20`)",
            text.escape_debug()
        ));
    }
    Ok(())
}

/// Signal names Linux knows (without `SIG`), as Docker's signal map has them.
const SIGNALS: &[&str] = &[
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
];

/// A stop signal: a number from 1 to 64, `SIGRTMIN+n`/`RTMAX-n`, or a signal
/// name with or without `SIG` (any case), as Docker's `ParseSignal` takes.
pub fn check_signal(text: &str) -> Result<(), String> {
    let err = || {
        format!(
            "invalid signal `{}`: expected a signal name such as `SIGTERM` or a number from 1 to 64",
            text.escape_debug()
        )
    };
    if let Ok(n) = text.parse::<u32>() {
        return if (1..=64).contains(&n) && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(err())
        };
    }
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let realtime = ["RTMIN", "RTMAX"].iter().any(|base| {
        name.strip_prefix(base).is_some_and(|rest| {
            rest.is_empty()
                || rest
                    .strip_prefix(['+', '-'])
                    .is_some_and(|n| n.parse::<u8>().is_ok_and(|n| n <= 15))
        })
    });
    if SIGNALS.contains(&name) || realtime {
        Ok(())
    } else {
        Err(err())
    }
}

/// A healthcheck duration: zero (the default) or at least 1 ms, as Docker
/// requires.
pub fn parse_healthcheck_duration(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() || d >= Duration::from_millis(1) {
        Ok(d)
    } else {
        Err(format!(
            "invalid duration `{text}`: a healthcheck duration is 0 or at least 1ms"
        ))
    }
}

/// `sha256:` followed by 64 hex digits.
pub fn check_sha256(text: &str) -> Result<(), String> {
    match text.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(()),
        _ => Err(format!(
            "invalid checksum `{text}`: expected `sha256:` followed by 64 hex digits"
        )),
    }
}

/// A full git commit id: 40 (sha1) or 64 (sha256) hex digits.
pub fn check_commit(text: &str) -> Result<(), String> {
    if (text.len() == 40 || text.len() == 64) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!(
            "invalid checksum `{text}`: for a git source it is the full commit id (40 or 64 hex digits)"
        ))
    }
}

/// A port or port range and its protocol: decimal digits only (no sign),
/// ports 1 to 65535, a range's start not after its end; protocols tcp, udp,
/// sctp (any case, lowercased).
fn parse_ports(text: &str) -> Result<(u16, Option<u16>, String), String> {
    let err = || {
        format!("invalid port `{text}`: expected `PORT`, `PORT/PROTO` or `START-END/PROTO` (proto: tcp, udp, sctp)")
    };
    let (ports, proto) = text.split_once('/').unwrap_or((text, "tcp"));
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(err());
    }
    let port = |p: &str| {
        (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u16>().ok())
            .flatten()
            .filter(|n| *n > 0)
    };
    match ports.split_once('-') {
        Some((a, b)) => match (port(a), port(b)) {
            (Some(a), Some(b)) if a <= b => Ok((a, Some(b), proto)),
            _ => Err(err()),
        },
        None => port(ports).map(|p| (p, None, proto)).ok_or_else(err),
    }
}

/// `8080` → `8080/tcp`; `53/udp`, `8000-8010/tcp` are kept. Written back
/// without leading zeros, as Docker writes `EXPOSE 080` (`80/tcp`).
pub fn normalize_port(text: &str) -> Result<String, String> {
    Ok(match parse_ports(text)? {
        (a, Some(b), proto) => format!("{a}-{b}/{proto}"),
        (a, None, proto) => format!("{a}/{proto}"),
    })
}

/// The image config keys of a port: one per port of a range, as Docker
/// writes `EXPOSE 9000-9002` (`9000/tcp`, `9001/tcp`, `9002/tcp`).
pub fn port_keys(text: &str) -> Result<Vec<String>, String> {
    let (a, b, proto) = parse_ports(text)?;
    Ok((a..=b.unwrap_or(a))
        .map(|n| format!("{n}/{proto}"))
        .collect())
}

/// A Go-style duration: `30s`, `1m30s`, `500ms`, `1.5h` (units ns, us, µs,
/// ms, s, m, h), read exactly as Go's `time.ParseDuration` reads it (decimal
/// fractions in integer arithmetic, truncated to the nanosecond) and at most
/// Go's largest duration (about 292 years), since the image config stores
/// nanoseconds in an int64.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let err = || format!("invalid duration `{text}`: expected e.g. `30s`, `1m30s` or `500ms`");
    let too_long = || {
        format!("invalid duration `{text}`: longer than the largest duration (`2562047h47m16.854775807s`)")
    };
    if text.is_empty() {
        return Err(err());
    }
    let max = u128::from(i64::MAX.unsigned_abs());
    let mut total: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, tail) = rest.split_at_checked(int_len).ok_or_else(err)?;
        let (frac, tail) = match tail.strip_prefix('.') {
            Some(t) => {
                let n = t.bytes().take_while(u8::is_ascii_digit).count();
                t.split_at_checked(n).ok_or_else(err)?
            }
            None => ("", tail),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(err());
        }
        let unit_len = tail
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(tail.len(), |(i, _)| i);
        let (unit, tail) = tail.split_at_checked(unit_len).ok_or_else(err)?;
        let unit_ns: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(err()),
        };
        // Digits past the 25th cannot change a value below the limit.
        let int_value = int.bytes().try_fold(0u128, |acc, d| {
            acc.checked_mul(10)?
                .checked_add(u128::from(d - b'0'))
                .filter(|v| *v <= max)
        });
        let int_value = int_value.ok_or_else(too_long)?;
        let mut scale: u128 = 1;
        let mut frac_value: u128 = 0;
        for d in frac.bytes().take(25) {
            scale *= 10;
            frac_value = frac_value * 10 + u128::from(d - b'0');
        }
        let part = int_value
            .checked_mul(unit_ns)
            .and_then(|v| v.checked_add(frac_value * unit_ns / scale))
            .ok_or_else(too_long)?;
        total = total
            .checked_add(part)
            .filter(|t| *t <= max)
            .ok_or_else(too_long)?;
        rest = tail;
    }
    let nanos = u64::try_from(total).map_err(|_| too_long())?;
    Ok(Duration::from_nanos(nanos))
}

/// A size in bytes: `1048576`, or with a suffix `k`, `m`, `g` (powers of 1024, optional `b`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let err = || format!("invalid size `{text}`: expected bytes or a size like `64m` or `1g`");
    let lower = text.trim().to_ascii_lowercase();
    let lower = lower.strip_suffix('b').unwrap_or(&lower);
    let (num, mult) = match lower.char_indices().last() {
        Some((i, 'k')) => (lower.get(..i), 1u64 << 10),
        Some((i, 'm')) => (lower.get(..i), 1 << 20),
        Some((i, 'g')) => (lower.get(..i), 1 << 30),
        _ => (Some(lower), 1),
    };
    num.filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u64>().ok())
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(err)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert!(check_stage_name("build-1.x_y").is_ok());
        assert!(check_stage_name("Build").is_err());
        assert!(check_stage_name("-x").is_err());
        assert!(check_stage_name("scratch").is_err());
        assert_eq!(parse_file_mode("0755"), Ok(0o755));
        assert_eq!(parse_file_mode("644"), Ok(0o644));
        assert_eq!(parse_file_mode("0o600"), Ok(0o600));
        assert!(parse_file_mode("0999").is_err());
        assert!(parse_file_mode("u+x").is_err());
        assert_eq!(normalize_port("8080").unwrap(), "8080/tcp");
        assert_eq!(normalize_port("53/UDP").unwrap(), "53/udp");
        assert_eq!(normalize_port("8000-8010/tcp").unwrap(), "8000-8010/tcp");
        assert!(normalize_port("0").is_err());
        assert_eq!(normalize_port("080").unwrap(), "80/tcp");
        assert!(normalize_port("+80").is_err());
        assert_eq!(parse_file_mode("000755").unwrap(), 0o755);
        assert!(parse_file_mode("+755").is_err());
        assert!(parse_file_mode("17777").is_err());
        assert!(parse_size("+64m").is_err());
        for ok in ["SIGTERM", "term", "15", "SIGRTMIN+3", "KILL"] {
            assert!(check_signal(ok).is_ok(), "{ok}");
        }
        for bad in ["SIGFOO", "0", "65", "+9", "SIGRTMIN+16", ""] {
            assert!(check_signal(bad).is_err(), "{bad}");
        }
        assert!(check_http_url("https://").is_err());
        assert!(check_http_url("https://a b/c").is_err());
        assert!(check_http_url("https://example.com/x?y").is_ok());
        assert!(parse_healthcheck_duration("1ns").is_err());
        assert!(parse_healthcheck_duration("0s").is_ok());
        assert!(parse_healthcheck_duration("1ms").is_ok());
        assert_eq!(
            port_keys("9000-9002/UDP").unwrap(),
            ["9000/udp", "9001/udp", "9002/udp"]
        );
        assert_eq!(port_keys("8080").unwrap(), ["8080/tcp"]);
        assert_eq!(port_keys("65535-65535").unwrap(), ["65535/tcp"]);
        assert!(normalize_port("80/http").is_err());
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(
            parse_duration("1.1s").unwrap(),
            Duration::from_nanos(1_100_000_000)
        );
        assert_eq!(parse_duration(".5ms").unwrap(), Duration::from_micros(500));
        assert_eq!(
            parse_duration("1.0000000009s").unwrap(),
            Duration::from_secs(1)
        );
        assert_eq!(
            parse_duration("2562047h47m16.854775807s")
                .unwrap()
                .as_nanos(),
            i64::MAX as u128
        );
        for big in [
            "2562047h47m16.854775808s",
            "9999999999999999999s9999999999999999999s",
            "99999999999999999999999999999999999999999h",
        ] {
            assert!(
                parse_duration(big).unwrap_err().contains("largest"),
                "{big}"
            );
        }
        assert!(parse_duration(".s").is_err());
        assert!(parse_duration("1.5").is_err());
        assert_eq!(parse_size("64m").unwrap(), 64 << 20);
        assert_eq!(parse_size("1GB").unwrap(), 1 << 30);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("lots").is_err());
        assert!(check_platform("linux/arm64/v8").is_ok());
        assert!(check_platform("linux").is_err());
        assert!(check_sha256(&format!("sha256:{}", "a".repeat(64))).is_ok());
        assert!(check_sha256("sha256:abc").is_err());
        assert!(check_commit(&"0".repeat(40)).is_ok());
    }
}
