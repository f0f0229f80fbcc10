//! `invalid-default-arg-in-from`: a stage's `from` that uses `$NAME` or
//! `${NAME}` of an argument declared without a default, or with an empty
//! one (the Dockerfile frontend's `InvalidDefaultArgInFrom`). Without
//! `--build-arg NAME=…` the argument is empty, and `from` an empty or
//! broken reference (`alpine:`).
//!
//! Not reported: the built-in platform arguments, which always have a value;
//! a reference with its own fallback (`${NAME:-3.20}`, `${NAME:+…}`,
//! `${NAME:?…}`, and the references inside them); a name declared nowhere
//! (an `undeclared-variable` error when the stage is built). A stage's own
//! `args` win over the top-level ones, as when `from` is expanded.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};
use crate::spec::model::ArgDecl;
use crate::spec::vars::{plain_references, PLATFORM_ARGS};

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    let top: BTreeMap<&str, &ArgDecl> = draft
        .args
        .iter()
        .map(|a| (a.name.value.as_str(), a))
        .collect();
    for stage in &draft.stages {
        let from = &stage.from;
        for name in plain_references(&from.value) {
            if PLATFORM_ARGS.contains(&name) {
                continue;
            }
            let decl = stage
                .args
                .iter()
                .find(|a| a.name.value == name)
                .or_else(|| top.get(name).copied());
            let Some(decl) = decl else { continue };
            if decl.default.as_ref().is_some_and(|d| !d.value.is_empty()) {
                continue;
            }
            cx.push(
                Diagnostic::new(
                    Code::InvalidDefaultArgInFrom,
                    format!(
                        "`from: {}` uses argument `{name}`, which has no default: without `--build-arg {name}=…` it is empty",
                        from.value
                    ),
                    from.span,
                )
                .with_help(format!(
                    "give `{name}` a default (`{name}: {{default: …}}` under `args:`), or a fallback in `from` (`${{{name}:-…}}`)"
                )),
            );
            // One finding per `from`.
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::vars::plain_references;

    #[test]
    fn references_with_a_fallback_are_not_plain() {
        assert_eq!(plain_references("alpine:${TAG}"), ["TAG"]);
        assert_eq!(plain_references("$REG/app:$TAG"), ["REG", "TAG"]);
        assert_eq!(plain_references("alpine:${TAG:-3.20}"), Vec::<&str>::new());
        assert_eq!(plain_references("a${X:+-$Y}:${Z}"), ["Z"]);
        assert_eq!(plain_references("${A:-${B:-c}}$$D"), Vec::<&str>::new());
        assert_eq!(plain_references("x$1"), Vec::<&str>::new());
    }
}
