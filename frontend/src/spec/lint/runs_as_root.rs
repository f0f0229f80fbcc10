//! `runs-as-root` (experimental): the default target's image runs as
//! root: its `image.user`, else the `user` of the target or of the stages
//! it starts from, is `root` or uid 0, or none of them sets one (the base
//! image's user then, root for most images). hadolint's DL3002 says the
//! same of a last `USER root`.
//!
//! Not known here: the user a base image sets (a spec that relies on one,
//! such as distroless's `nonroot` tags, can skip the rule). Experimental
//! because most specs do not set a user.

use crate::diag::{Code, Diagnostic, Spanned};
use crate::spec::convert::{Cx, Draft};

/// Whether `user` (`name[:group]`, `uid[:gid]`) is root.
fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user);
    name == "root" || name == "0"
}

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    let Some(target) = draft.default_target() else {
        return;
    };
    let name = &target.name.value;
    // The user the result runs as: `image.user`, else the stages' `user`
    // along the chain of `from` stages.
    let mut user: Option<&Spanned<String>> = target.image.as_ref().and_then(|i| i.user.as_ref());
    let mut stage = Some(target);
    let mut hops = 0;
    while user.is_none() && hops <= draft.stages.len() {
        let Some(s) = stage else { break };
        user = s.user.as_ref();
        stage = draft.stage(&s.from.value);
        hops += 1;
    }
    let (message, span) = match user {
        Some(u) if u.value.contains('$') || !is_root(&u.value) => return,
        Some(u) => (
            format!("the target stage `{name}` runs as `{}`: root in the container", u.value),
            u.span,
        ),
        None => (
            format!("the target stage `{name}` sets no user: its image runs as its base image's, root for most images"),
            target.name.span,
        ),
    };
    cx.push(
        Diagnostic::new(Code::RunsAsRoot, message, span).with_help(format!(
            "set `image.user` on `{name}` to an unprivileged user, e.g. `user: \"65532:65532\"`"
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::is_root;

    #[test]
    fn root_by_name_or_uid() {
        assert!(is_root("root") && is_root("0") && is_root("0:0") && is_root("root:staff"));
        assert!(!is_root("65532:65532") && !is_root("app") && !is_root("10"));
    }
}
