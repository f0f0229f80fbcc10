//! The OCI image config of a result: what the base image had, then the
//! stage's `env`/`workdir`/`user`, then its `image:` keys, plus one history
//! entry per step.
//!
//! Serialisation is deterministic: maps are BTreeMaps, absent values are
//! omitted, and there are no timestamps (the exporter adds them). This module
//! does not expand variables; it receives final values from `compile`.

use std::collections::BTreeMap;

use llb::Platform;
use serde::{Deserialize, Serialize};

/// The default `PATH`, set when a base image has none, as the Dockerfile frontend does.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// An empty JSON object, the value type of `ExposedPorts` and `Volumes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Healthcheck {
    #[serde(
        rename = "Test",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub test: Vec<String>,
    #[serde(
        rename = "Interval",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub interval: i64,
    #[serde(
        rename = "Timeout",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub timeout: i64,
    #[serde(
        rename = "StartPeriod",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub start_period: i64,
    #[serde(
        rename = "Retries",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub retries: i64,
}

/// Base image configs often carry `null` for empty values (`"Labels": null`): read those as empty.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// The runtime part of an image config (`config` in the OCI JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerConfig {
    #[serde(
        rename = "User",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub user: String,
    #[serde(
        rename = "ExposedPorts",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub exposed_ports: BTreeMap<String, Empty>,
    #[serde(
        rename = "Env",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub env: Vec<String>,
    #[serde(
        rename = "Entrypoint",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub entrypoint: Option<Vec<String>>,
    #[serde(
        rename = "Cmd",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub cmd: Option<Vec<String>>,
    /// Set by the Dockerfile frontend whenever `CMD` is (Docker's image
    /// spec field; kept from a base image too).
    #[serde(
        rename = "ArgsEscaped",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub args_escaped: bool,
    #[serde(
        rename = "Volumes",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub volumes: BTreeMap<String, Empty>,
    #[serde(
        rename = "WorkingDir",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub working_dir: String,
    #[serde(
        rename = "Labels",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(
        rename = "StopSignal",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub stop_signal: String,
    #[serde(
        rename = "Healthcheck",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub healthcheck: Option<Healthcheck>,
    #[serde(
        rename = "Shell",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub shell: Vec<String>,
}

/// One history entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub created: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub created_by: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub comment: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub empty_layer: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub diff_ids: Vec<String>,
}

/// An OCI image config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    #[serde(default, deserialize_with = "nullable")]
    pub architecture: String,
    #[serde(default, deserialize_with = "nullable")]
    pub os: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub variant: String,
    #[serde(default, deserialize_with = "nullable")]
    pub config: ContainerConfig,
    #[serde(default, deserialize_with = "nullable")]
    pub rootfs: RootFs,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub history: Vec<History>,
}

/// A base image config that is not valid JSON.
#[derive(Debug, thiserror::Error)]
#[error("the image config of `{reference}` is not valid: {message}")]
pub struct ConfigError {
    pub reference: String,
    pub message: String,
}

/// The comment on history entries we add.
pub const HISTORY_COMMENT: &str = "stagecraft.v1";

impl Image {
    /// The config of an empty (`scratch`) image for `platform`.
    pub fn scratch(platform: &Platform) -> Self {
        let mut img = Self {
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            variant: platform.variant.clone(),
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: Vec::new(),
            },
            ..Default::default()
        };
        img.ensure_path();
        // As the Dockerfile frontend's empty image.
        img.config.working_dir = "/".to_owned();
        img
    }

    /// Parses a base image's config; the platform fields are set to `platform`.
    pub fn from_base(
        reference: &str,
        bytes: &[u8],
        platform: &Platform,
    ) -> Result<Self, ConfigError> {
        let mut img: Image = serde_json::from_slice(bytes).map_err(|e| ConfigError {
            reference: reference.to_owned(),
            message: e.to_string(),
        })?;
        img.architecture = platform.architecture.clone();
        img.os = platform.os.clone();
        img.variant = platform.variant.clone();
        img.rootfs = RootFs {
            kind: "layers".into(),
            diff_ids: Vec::new(),
        };
        img.ensure_path();
        Ok(img)
    }

    /// The platform an image config states (`os`, `architecture`,
    /// `variant`), if it states one.
    pub fn stated_platform(bytes: &[u8]) -> Option<Platform> {
        #[derive(serde::Deserialize)]
        struct Stated {
            #[serde(default)]
            os: Option<String>,
            #[serde(default)]
            architecture: Option<String>,
            #[serde(default)]
            variant: Option<String>,
        }
        let s: Stated = serde_json::from_slice(bytes).ok()?;
        Some(Platform {
            os: s.os.filter(|o| !o.is_empty())?,
            architecture: s.architecture.filter(|a| !a.is_empty())?,
            variant: s.variant.unwrap_or_default(),
        })
    }

    fn ensure_path(&mut self) {
        if self.env_value("PATH").is_none() {
            self.set_env("PATH", DEFAULT_PATH);
        }
    }

    /// The value of `name` in the config's env.
    pub fn env_value(&self, name: &str) -> Option<&str> {
        self.config
            .env
            .iter()
            .find_map(|e| e.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
    }

    /// Sets `name=value`, replacing an earlier value in place.
    pub fn set_env(&mut self, name: &str, value: &str) {
        let entry = format!("{name}={value}");
        match self
            .config
            .env
            .iter_mut()
            .find(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) == name)
        {
            Some(e) => *e = entry,
            None => self.config.env.push(entry),
        }
    }

    /// Environment as ordered pairs.
    pub fn env_pairs(&self) -> Vec<(String, String)> {
        self.config
            .env
            .iter()
            .map(|e| match e.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (e.clone(), String::new()),
            })
            .collect()
    }

    /// Records a step in the history.
    /// One history entry; written only through `compile::StageCtx::commit_*`.
    pub(crate) fn add_history(&mut self, created_by: String, empty_layer: bool) {
        self.history.push(History {
            created: None,
            created_by,
            comment: HISTORY_COMMENT.to_owned(),
            empty_layer,
        });
    }

    /// Serialises deterministically.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// `NAME=value` entries with an index by name, so that setting a variable
/// (replacing the first entry of that name in place, or appending) costs
/// O(log n) instead of a scan.
#[derive(Debug, Clone, Default)]
pub struct EnvList {
    entries: Vec<String>,
    index: BTreeMap<String, usize>,
}

impl EnvList {
    pub fn new(entries: Vec<String>) -> Self {
        let mut index = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            let name = e.split_once('=').map_or(e.as_str(), |(k, _)| k);
            index.entry(name.to_owned()).or_insert(i);
        }
        Self { entries, index }
    }

    pub fn set(&mut self, name: &str, value: &str) {
        let entry = format!("{name}={value}");
        match self.index.get(name).and_then(|&i| self.entries.get_mut(i)) {
            Some(e) => *e = entry,
            None => {
                self.index.insert(name.to_owned(), self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    pub fn into_vec(self) -> Vec<String> {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inherits_and_overrides_env() {
        let p = Platform::new("linux", "amd64", "");
        let base = br#"{"architecture":"arm64","os":"linux","config":{"Env":["PATH=/bin","A=1"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:x"]},"history":[{"created_by":"import"}]}"#;
        let mut img = Image::from_base("busybox", base, &p).unwrap();
        img.set_env("A", "2");
        img.set_env("B", "3");
        assert_eq!(img.config.env, vec!["PATH=/bin", "A=2", "B=3"]);
        assert_eq!(img.architecture, "amd64");
        assert_eq!(img.config.cmd, Some(vec!["sh".to_owned()]));
        let a = img.to_json();
        assert_eq!(
            a,
            Image::from_base("busybox", base, &p)
                .map(|mut i| {
                    i.set_env("A", "2");
                    i.set_env("B", "3");
                    i.to_json()
                })
                .unwrap()
        );
        assert!(Image::from_base("x", b"{", &p).is_err());
        let nulls = br#"{"architecture":"amd64","os":"linux","config":{"Env":null,"Labels":null,"Entrypoint":null,"Cmd":null,"Volumes":null,"User":null},"history":null,"rootfs":null}"#;
        let img = Image::from_base("legacy", nulls, &p).unwrap();
        assert_eq!(img.config.entrypoint, None);
        assert!(img.config.labels.is_empty());
        assert_eq!(Image::scratch(&p).env_value("PATH"), Some(DEFAULT_PATH));
    }
}
