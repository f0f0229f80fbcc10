//! `invalid-base-image-platform`: the image a stage starts `from` was
//! resolved for the stage's platform, but the registry gave an image of
//! another one (a single-platform image, or an index without that
//! platform): the Dockerfile frontend's `InvalidBaseImagePlatform`. Its
//! programs are for another architecture: they fail, or run emulated.

use crate::compile::BaseImage;
use crate::diag::{Code, Diagnostic, Spanned};
use llb::Platform;

/// The finding for `from` (the reference `r`), resolved as `base` for `platform`.
pub(crate) fn check(
    from: &Spanned<String>,
    r: &str,
    base: &BaseImage,
    platform: &Platform,
) -> Option<Diagnostic> {
    // An unresolved image (offline compilation) says nothing.
    let got = base.platform.as_ref()?;
    let same = got.os == platform.os
        && got.architecture == platform.architecture
        && (got.variant.is_empty()
            || platform.variant.is_empty()
            || got.variant == platform.variant);
    if same {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::InvalidBaseImagePlatform,
            format!("base image `{r}` is for `{got}`, not for `{platform}`, the platform this stage builds for"),
            from.span,
        )
        .with_help(format!(
            "use an image that has a `{platform}` variant (a multi-platform image), or build this stage for `{got}` with `platform:`"
        )),
    )
}
