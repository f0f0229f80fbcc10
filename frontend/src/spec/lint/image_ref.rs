//! Image references as written in a spec, for the rules that read them:
//! split into repository and tag, without resolving anything. Not a
//! reference parser (that is `compile`'s, on expanded values).

/// The repository and tag of an image reference as written:
/// `docker.io/library/node:22@sha256:…` → (`docker.io/library/node`, `22`).
pub(super) fn split_image(reference: &str) -> (&str, Option<&str>) {
    let name = reference.split_once('@').map_or(reference, |(n, _)| n);
    let last = name.rfind('/').map_or(0, |i| i + 1);
    match name.get(last..).and_then(|l| l.rfind(':')) {
        Some(colon) => (
            name.get(..last + colon).unwrap_or(name),
            name.get(last + colon + 1..),
        ),
        None => (name, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_repository_and_tag() {
        assert_eq!(split_image("node"), ("node", None));
        assert_eq!(split_image("node:22-slim"), ("node", Some("22-slim")));
        assert_eq!(
            split_image("localhost:5000/golang@sha256:abc"),
            ("localhost:5000/golang", None)
        );
        assert_eq!(
            split_image("mcr.microsoft.com/dotnet/sdk:8.0"),
            ("mcr.microsoft.com/dotnet/sdk", Some("8.0"))
        );
    }
}
