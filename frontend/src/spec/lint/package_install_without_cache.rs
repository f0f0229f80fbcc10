//! `package-install-without-cache`: a package manager that downloads
//! (`apt-get install`, `pip install`, `npm ci`, `go mod download`, `mvn`…)
//! in a `run` step that has no `cache:` mount. Each time the step runs
//! again (a changed manifest, `--no-cache`) every package is downloaded
//! again; a cache mount keeps the downloads between builds, outside the
//! image. No Dockerfile or hadolint rule checks this; BuildKit's
//! documentation recommends `RUN --mount=type=cache` for it.
//!
//! Not a check of the mount's target: a step with any `cache:` entry is
//! taken to know where its manager keeps its cache. A manager run with its
//! own cache turned off (`apk add --no-cache`, `pip install --no-cache-dir`)
//! is not reported.

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

use super::words::{calls, runs, words};

/// A package manager command that downloads, and where its cache is.
struct Manager {
    /// The program, as the last component of a path (`/usr/bin/pip`).
    program: &'static str,
    /// Its first operands (options skipped) that make it download; empty:
    /// every call downloads.
    command: &'static [&'static str],
    /// An option that turns its cache off.
    no_cache: Option<&'static str>,
    /// Its cache, as a `cache:` value (running as root).
    cache: &'static str,
}

const APT_CACHE: &str = "/var/cache/apt, /var/lib/apt";

#[rustfmt::skip]
const MANAGERS: &[Manager] = &[
    Manager { program: "apt-get", command: &["install"], no_cache: None, cache: APT_CACHE },
    Manager { program: "apt", command: &["install"], no_cache: None, cache: APT_CACHE },
    Manager { program: "apk", command: &["add"], no_cache: Some("--no-cache"), cache: "/var/cache/apk" },
    Manager { program: "dnf", command: &["install"], no_cache: None, cache: "/var/cache/dnf" },
    Manager { program: "yum", command: &["install"], no_cache: None, cache: "/var/cache/yum" },
    Manager { program: "pip", command: &["install"], no_cache: Some("--no-cache-dir"), cache: "/root/.cache/pip" },
    Manager { program: "pip3", command: &["install"], no_cache: Some("--no-cache-dir"), cache: "/root/.cache/pip" },
    Manager { program: "npm", command: &["ci"], no_cache: None, cache: "/root/.npm" },
    Manager { program: "npm", command: &["install"], no_cache: None, cache: "/root/.npm" },
    Manager { program: "npm", command: &["i"], no_cache: None, cache: "/root/.npm" },
    Manager { program: "go", command: &["mod", "download"], no_cache: None, cache: "/root/go/pkg/mod" },
    Manager { program: "cargo", command: &["fetch"], no_cache: None, cache: "/usr/local/cargo/registry" },
    Manager { program: "cargo", command: &["build"], no_cache: None, cache: "/usr/local/cargo/registry" },
    Manager { program: "mvn", command: &[], no_cache: None, cache: "/root/.m2" },
    Manager { program: "mvnw", command: &[], no_cache: None, cache: "/root/.m2" },
    Manager { program: "gradle", command: &[], no_cache: None, cache: "/root/.gradle" },
    Manager { program: "gradlew", command: &[], no_cache: None, cache: "/root/.gradle" },
];

/// The first manager of the table that downloads in `words`.
fn downloading(words: &[String]) -> Option<&'static Manager> {
    MANAGERS.iter().find(|m| {
        calls(words, m.program)
            .iter()
            .any(|c| c.starts_with(m.command) && m.no_cache.is_none_or(|o| !c.has(o)))
    })
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for run in runs(draft) {
        if !run.cache.is_empty() {
            continue;
        }
        let Some(m) = downloading(&words(&run.command.value)) else {
            continue;
        };
        let what = std::iter::once(m.program)
            .chain(m.command.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        cx.push(
            Diagnostic::new(
                Code::PackageInstallWithoutCache,
                format!(
                    "`{what}` downloads every package again each time the step runs: the step has no cache mount"
                ),
                run.command.span,
            )
            .with_help(format!(
                "add `cache: [{}]` to this step: the downloads are then kept between builds, outside the image",
                m.cache
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::Command;

    fn found(text: &str) -> Option<&'static str> {
        downloading(&words(&Command::Shell(text.into()))).map(|m| m.program)
    }

    #[test]
    fn managers_are_found_by_program_and_command() {
        assert_eq!(
            found("apt-get update && apt-get install -y curl"),
            Some("apt-get")
        );
        assert_eq!(
            found("python -m pip install -r requirements.txt"),
            Some("pip")
        );
        assert_eq!(found("go mod download"), Some("go"));
        assert_eq!(found("./mvnw -B package"), Some("mvnw"));
        assert_eq!(found("npm ci --omit=dev"), Some("npm"));
        assert_eq!(found("apt-get update"), None);
        assert_eq!(found("go mod tidy"), None);
        assert_eq!(found("npm run build"), None);
    }

    #[test]
    fn a_manager_without_its_cache_is_not_reported() {
        assert_eq!(found("apk add --no-cache curl"), None);
        assert_eq!(found("pip install --no-cache-dir flask"), None);
        assert_eq!(found("apk add curl"), Some("apk"));
    }
}
