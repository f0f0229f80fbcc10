//! `artifact-copies-directory`: an `artifacts:` entry whose `path` is a
//! whole tree, not built files: `/` (or `.`, which is `/` for an
//! artifact), `/src`, or the `workdir` of the stage it takes from. The
//! result then holds the sources, the build's intermediate files and, for
//! `/`, the builder's whole filesystem. No Dockerfile or hadolint rule
//! checks this (`COPY --from=build / /` is its Dockerfile form).
//!
//! Values are compared as written, after trimming a trailing `/`: a path
//! with variables, or a `workdir` written differently (`/src/.`), is not
//! reported. Nor is any path of a stage that starts `from: scratch`: its
//! filesystem holds only the files it was given (a bundle of files).

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};
use crate::spec::model::Stage;

/// Source trees by their usual name.
const SOURCE_DIRS: &[&str] = &["/src"];

/// What a path copies, when it is a whole tree of the stage `workdir` is of.
fn whole_tree(path: &str, workdir: Option<&str>) -> Option<&'static str> {
    let path = path.trim_end_matches('/');
    if path.is_empty() || path == "." {
        return Some("the whole filesystem");
    }
    if workdir.is_some_and(|w| w.trim_end_matches('/') == path) {
        return Some("the whole working directory");
    }
    SOURCE_DIRS
        .contains(&path)
        .then_some("the whole source directory")
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    let stages: BTreeMap<&str, &Stage> = draft
        .stages
        .iter()
        .map(|s| (s.name.value.as_str(), s))
        .collect();
    for stage in &draft.stages {
        for a in &stage.artifacts {
            let from = a.from.value.as_str();
            let source = stages.get(from).copied();
            if source.is_some_and(|s| s.from.value == "scratch") {
                continue;
            }
            let workdir = source
                .and_then(|s| s.workdir.as_ref())
                .map(|w| w.value.as_str());
            let Some(what) = whole_tree(&a.path.value, workdir) else {
                continue;
            };
            cx.push(
                Diagnostic::new(
                    Code::ArtifactCopiesDirectory,
                    format!(
                        "artifact `path: {}` copies {what} of `{from}`, not the files it built",
                        a.path.value
                    ),
                    a.path.span,
                )
                .with_help(format!(
                    "name the built files, or the directory `{from}` writes them to (e.g. `path: /out/app`)"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::whole_tree;

    #[test]
    fn roots_sources_and_the_workdir_are_whole_trees() {
        assert!(whole_tree("/", None).is_some());
        assert!(whole_tree("./", None).is_some());
        assert!(whole_tree("/src/", None).is_some());
        assert!(whole_tree("/app", Some("/app/")).is_some());
        assert!(whole_tree("/app/bin", Some("/app")).is_none());
        assert!(whole_tree("/out/app", None).is_none());
    }
}
