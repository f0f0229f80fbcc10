//! Platforms (`os/arch[/variant]`) as BuildKit understands them.
//!
//! Parsing normalises the spellings BuildKit and containerd accept
//! (`x86_64` → `amd64`, `aarch64` → `arm64`, `arm64/v8` → `arm64`). This is
//! not a matcher between platforms; compatibility is the engine's business.

use std::fmt;

use bollard_buildkit_proto::pb;

/// An OCI platform.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: String,
}

/// A platform string that is not `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform `{0}`: expected `os/arch[/variant]`, e.g. `linux/amd64`")]
pub struct PlatformError(pub String);

impl Platform {
    pub fn new(os: &str, architecture: &str, variant: &str) -> Self {
        Self {
            os: os.to_owned(),
            architecture: architecture.to_owned(),
            variant: variant.to_owned(),
        }
    }

    /// Parses `os/arch[/variant]`, normalising common aliases.
    pub fn parse(text: &str) -> Result<Self, PlatformError> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let err = || PlatformError(text.to_owned());
        let (os, arch, variant) = match parts.as_slice() {
            [os, arch] => (*os, *arch, ""),
            [os, arch, variant] => (*os, *arch, *variant),
            _ => return Err(err()),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        };
        if !valid(os) || !valid(arch) || (!variant.is_empty() && !valid(variant)) {
            return Err(err());
        }
        let os = os.to_ascii_lowercase();
        let (arch, variant) =
            normalize_arch(&arch.to_ascii_lowercase(), &variant.to_ascii_lowercase());
        Ok(Self {
            os,
            architecture: arch,
            variant,
        })
    }

    /// The platform as the protobuf message ops carry.
    pub fn to_pb(&self) -> pb::Platform {
        pb::Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone(),
            ..Default::default()
        }
    }
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    match (arch, variant) {
        ("x86_64" | "x86-64" | "amd64", "") => ("amd64".into(), String::new()),
        ("x86_64" | "x86-64", v) => ("amd64".into(), v.into()),
        ("aarch64" | "arm64", "8" | "v8" | "") => ("arm64".into(), String::new()),
        ("aarch64", v) => ("arm64".into(), v.into()),
        ("armhf", "") => ("arm".into(), "v7".into()),
        ("armel", "") => ("arm".into(), "v6".into()),
        ("arm", "") => ("arm".into(), "v7".into()),
        ("arm", "5" | "6" | "7" | "8") => ("arm".into(), format!("v{variant}")),
        ("i386" | "i686" | "x86", "") => ("386".into(), String::new()),
        (a, v) => (a.into(), v.into()),
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.variant.is_empty() {
            write!(f, "{}/{}", self.os, self.architecture)
        } else {
            write!(f, "{}/{}/{}", self.os, self.architecture, self.variant)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        assert_eq!(
            Platform::parse("linux/amd64").unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            Platform::parse("linux/x86_64").unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(
            Platform::parse("linux/arm").unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!(
            Platform::parse("linux/arm/v6").unwrap().to_string(),
            "linux/arm/v6"
        );
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux/amd64/v2/x").is_err());
        assert!(Platform::parse("linux/").is_err());
    }
}
