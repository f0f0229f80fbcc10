//! `sdk-runtime-image`: the target stage (`target:`, else the last stage)
//! starts `from` a build image: an SDK or compiler image (`golang`,
//! `maven`, `node` that is not `-slim` or `-alpine`, `mcr.microsoft.com/dotnet/sdk`…),
//! or the very image a stage that builds for others (one whose files are
//! copied, taken as artifacts or mounted) starts from, when that image is
//! no known operating system or runtime base (`alpine`, `debian`,
//! `busybox`, distroless…): a build image of the project's own. The result
//! then ships the compilers, package managers and caches it only needed to
//! build. No Dockerfile or hadolint rule checks this; it is the reason for
//! multi-stage builds.
//!
//! Not reported: a target that starts from one of the spec's stages or
//! `scratch`, a `from` whose repository has variables, and a tag that
//! decides (`node:${V}`) but has variables. Only the default target is
//! checked: a build with `--target` is not known here.

use std::collections::BTreeSet;

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};
use crate::spec::model::{RefKind, Stage, StepKind};

use super::image_ref::split_image;

/// When an image of a repository is a build image.
enum When {
    Always,
    /// When its tag has none of these (no tag: `latest`, which has none).
    TagLacks(&'static [&'static str]),
    /// When its tag has this.
    TagHas(&'static str),
}

/// A repository of build images, and the runtime image to use instead.
struct BuildImage {
    /// The repository's path, or its end after a `/` (`golang` is also
    /// `docker.io/library/golang`).
    repository: &'static str,
    when: When,
    /// The suggestion; `<version>` is replaced by the tag's version when
    /// `same_version` (the runtime image is versioned as the build image).
    runtime: &'static str,
    same_version: bool,
}

const JRE: &str = "`eclipse-temurin:<version>-jre`";
const NATIVE: &str = "`debian:bookworm-slim` (or `scratch` for a static binary)";

#[rustfmt::skip]
const BUILD_IMAGES: &[BuildImage] = &[
    BuildImage { repository: "golang", when: When::Always, runtime: "`gcr.io/distroless/static` (or `scratch`)", same_version: false },
    BuildImage { repository: "rust", when: When::Always, runtime: NATIVE, same_version: false },
    BuildImage { repository: "gcc", when: When::Always, runtime: NATIVE, same_version: false },
    BuildImage { repository: "maven", when: When::Always, runtime: JRE, same_version: false },
    BuildImage { repository: "gradle", when: When::Always, runtime: JRE, same_version: false },
    BuildImage { repository: "openjdk", when: When::TagHas("jdk"), runtime: JRE, same_version: true },
    BuildImage { repository: "eclipse-temurin", when: When::TagHas("jdk"), runtime: JRE, same_version: true },
    BuildImage { repository: "amazoncorretto", when: When::TagHas("jdk"), runtime: JRE, same_version: true },
    BuildImage { repository: "node", when: When::TagLacks(&["slim", "alpine"]), runtime: "`node:<version>-slim`", same_version: true },
    BuildImage { repository: "python", when: When::TagLacks(&["slim", "alpine"]), runtime: "`python:<version>-slim`", same_version: true },
    BuildImage { repository: "dotnet/sdk", when: When::Always, runtime: "`mcr.microsoft.com/dotnet/runtime` (or `aspnet` for a web app)", same_version: false },
];

/// Operating system and runtime bases: a stage that builds in one of them
/// installs its tools in its own steps, which a target from the same image
/// does not get (compared with the repository's last path component; any
/// `distroless` repository is one too).
const RUNTIME_BASES: &[&str] = &[
    "alpine",
    "busybox",
    "debian",
    "ubuntu",
    "fedora",
    "centos",
    "rockylinux",
    "almalinux",
    "amazonlinux",
    "ubi8",
    "ubi9",
    "ubi8-minimal",
    "ubi9-minimal",
];

/// Whether `reference` is an operating system or runtime base.
fn runtime_base(reference: &str) -> bool {
    let (repository, _) = split_image(reference);
    let last = repository.rsplit('/').next().unwrap_or(repository);
    repository.contains("distroless") || RUNTIME_BASES.contains(&last)
}

/// The build image `reference` is, with its runtime suggestion.
fn build_image(reference: &str) -> Option<String> {
    let (repository, tag) = split_image(reference);
    if repository.contains('$') {
        return None;
    }
    let known = BUILD_IMAGES.iter().find(|b| {
        repository == b.repository || repository.ends_with(&format!("/{}", b.repository))
    })?;
    let tag_ok = tag.is_none_or(|t| !t.contains('$'));
    let is_build = match known.when {
        When::Always => true,
        When::TagLacks(words) => {
            tag_ok && !words.iter().any(|w| tag.is_some_and(|t| t.contains(w)))
        }
        When::TagHas(word) => tag_ok && tag.is_some_and(|t| t.contains(word)),
    };
    if !is_build {
        return None;
    }
    // `22-bookworm` → `22`, when the tag starts with a version.
    let version = tag
        .filter(|t| known.same_version && t.starts_with(|c: char| c.is_ascii_digit()))
        .map(|t| t.split('-').next().unwrap_or(t));
    Some(match version {
        Some(v) => known.runtime.replace("<version>", v),
        None => known.runtime.to_owned(),
    })
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    let Some(target) = draft.default_target() else {
        return;
    };
    let from = target.from.value.as_str();
    let name = target.name.value.as_str();
    if from == "scratch" || draft.stage_names.iter().any(|n| n.value == from) {
        return;
    }
    let finding = if let Some(runtime) = build_image(from) {
        Some((
            format!("the target stage `{name}` starts from `{from}`, a build image: the result ships its compilers and package managers"),
            format!("build in another stage, and start `{name}` from {runtime} with the built files as `artifacts:`"),
        ))
    } else if from.contains('$') || runtime_base(from) {
        None
    } else {
        // Stages whose files another stage takes.
        let builders: BTreeSet<&str> = draft
            .stages
            .iter()
            .flat_map(Stage::references)
            .filter(|r| match r.kind {
                RefKind::Copy | RefKind::Mount | RefKind::Artifact => true,
                RefKind::From | RefKind::Needs => false,
            })
            .map(|r| r.value.value.as_str())
            .collect();
        draft
            .stages
            .iter()
            .find(|s| {
                s.name.value != name
                    && s.from.value == from
                    && builders.contains(s.name.value.as_str())
                    && s.steps.iter().any(|step| match step.kind {
                        StepKind::Run(_) => true,
                        StepKind::Copy(_) | StepKind::Add(_) | StepKind::Mkdir(_) | StepKind::Write(_) => false,
                    })
            })
            .map(|builder| {
                let b = &builder.name.value;
                (
                    format!("the target stage `{name}` starts from `{from}`, the image stage `{b}` builds in: the result ships the build's tools"),
                    format!("start `{name}` from a smaller runtime image, with the files it needs from `{b}` as `artifacts:`"),
                )
            })
    };
    if let Some((message, help)) = finding {
        cx.push(Diagnostic::new(Code::SdkRuntimeImage, message, target.from.span).with_help(help));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_images_by_repository_and_tag() {
        assert!(build_image("golang:1.23-alpine").is_some());
        assert!(build_image("docker.io/library/rust:1").is_some());
        assert_eq!(build_image("node:22").as_deref(), Some("`node:22-slim`"));
        assert!(build_image("node").is_some());
        assert!(build_image("node:22-alpine").is_none());
        assert!(build_image("node:${NODE}").is_none());
        assert!(build_image("python:3.12-slim").is_none());
        assert_eq!(
            build_image("eclipse-temurin:21-jdk").as_deref(),
            Some("`eclipse-temurin:21-jre`")
        );
        assert!(build_image("eclipse-temurin:21-jre").is_none());
        assert!(build_image("mcr.microsoft.com/dotnet/sdk:8.0").is_some());
        assert!(build_image("mcr.microsoft.com/dotnet/runtime:8.0").is_none());
        assert!(build_image("alpine:3.20").is_none());
        assert!(build_image("golangci/golangci-lint").is_none());
    }

    #[test]
    fn runtime_bases_are_no_build_images_of_their_own() {
        assert!(runtime_base("busybox"));
        assert!(runtime_base("docker.io/library/debian:12-slim"));
        assert!(runtime_base("gcr.io/distroless/cc-debian12"));
        assert!(!runtime_base("registry.example/team/builder:1"));
    }
}
