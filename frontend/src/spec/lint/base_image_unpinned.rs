//! `base-image-unpinned` (experimental): a stage starts `from` an image
//! reference with no tag, or tagged `latest`, and no digest. The image it
//! builds on is whatever the registry serves that day, so two builds of
//! the same spec can differ and a rebuild can break without a change.
//! hadolint's DL3006/DL3007 say the same of `FROM`.
//!
//! Not reported: stages and `scratch`, references with a digest, and
//! references with variables (their value is known at build time only).
//! Experimental because most quick specs start `from: alpine`.

use crate::diag::{Code, Diagnostic};
use crate::spec::convert::{Cx, Draft};

use super::image_ref::split_image;

pub(super) fn check(draft: &Draft, cx: &mut Cx<'_>) {
    for stage in &draft.stages {
        let from = &stage.from;
        let v = from.value.as_str();
        if v == "scratch" || v.contains(['$', '@']) || draft.stage(v).is_some() {
            continue;
        }
        let (repository, tag) = split_image(v);
        let what = match tag {
            None => "has no tag",
            Some("latest") => "is tagged `latest`",
            Some(_) => continue,
        };
        cx.push(
            Diagnostic::new(
                Code::BaseImageUnpinned,
                format!(
                    "stage `{}` starts from `{v}`, which {what}: each build takes whatever image the registry has then",
                    stage.name.value
                ),
                from.span,
            )
            .with_help(format!(
                "pin a version (`{repository}:<version>`) or a digest (`{repository}@sha256:…`)"
            )),
        );
    }
}
