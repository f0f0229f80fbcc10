//! Reading an image exported with `-o type=oci`: the unpacked layout's
//! image manifests (nested indexes followed, attestation manifests left out),
//! their configs, and a layer's entries as GNU tar lists them, with a hash of
//! each file's content. The suites that compare a spec's image with its
//! Dockerfile twin's (`differential`, `parity`) read images through it.
//!
//! Not an OCI implementation: only what those comparisons need, and every
//! unexpected shape is an `Err` naming it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// How an entry links elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    None,
    /// A symlink and its target, as written.
    Symlink(String),
    /// A hard link and the (normalized) path it links to.
    Hard(String),
}

/// One entry of a layer.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The normalized path (`srv/f`; the root is `.`).
    pub path: String,
    /// `tar -tv`'s mode column (`-rw-r--r--`, `drwxr-xr-x`, `lrwxrwxrwx`, `hrw-r--r--`).
    pub mode: String,
    /// `uid/gid`.
    pub owner: String,
    pub link: Link,
    /// A regular file's or hard link's content: its FNV-1a hash and length.
    pub content: Option<(u64, usize)>,
}

impl Entry {
    /// ` -> <symlink target>`, ` link to <hard link target>`, or nothing.
    pub fn link_text(&self) -> String {
        match &self.link {
            Link::None => String::new(),
            Link::Symlink(t) => format!(" -> {t}"),
            Link::Hard(t) => format!(" link to {t}"),
        }
    }

    /// `<mode> <uid>/<gid>[ #<content hash> (<n> bytes)]`.
    pub fn describe(&self) -> String {
        match self.content {
            Some((hash, len)) => format!("{} {} #{hash:016x} ({len} bytes)", self.mode, self.owner),
            None => format!("{} {}", self.mode, self.owner),
        }
    }
}

/// Runs `cmd`: its stdout, or `Err` with its stderr.
pub fn run(cmd: &mut Command) -> Result<Vec<u8>, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

pub fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The path of a blob in an unpacked layout.
pub fn blob(root: &Path, digest: &str) -> PathBuf {
    root.join("blobs").join(digest.replace(':', "/"))
}

/// FNV-1a, to name a file's content in a listing.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `./srv/` and `srv` name the same entry; the root is `.`.
pub fn normalize(name: &str) -> String {
    let n = name.trim_start_matches("./").trim_end_matches('/');
    if n.is_empty() || n == "." {
        ".".to_owned()
    } else {
        n.to_owned()
    }
}

/// Unpacks an exported OCI tarball into `root`.
pub fn unpack(tarball: &Path, root: &Path) -> Result<(), String> {
    run(Command::new("tar")
        .arg("-xf")
        .arg(tarball)
        .arg("-C")
        .arg(root))
    .map(drop)
}

/// The image manifests of an unpacked layout: the index's, with nested
/// indexes followed and attestation manifests (platform `unknown`) left out.
pub fn image_manifests(root: &Path) -> Result<Vec<serde_json::Value>, String> {
    let index = read_json(&root.join("index.json"))?;
    let mut manifests = Vec::new();
    let mut todo: Vec<String> = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["digest"].as_str().map(str::to_owned))
        .collect();
    todo.reverse();
    while let Some(digest) = todo.pop() {
        let doc = read_json(&blob(root, &digest))?;
        match doc["manifests"].as_array() {
            Some(list) => todo.extend(
                list.iter()
                    .rev()
                    .filter(|m| m["platform"]["architecture"].as_str() != Some("unknown"))
                    .filter_map(|m| m["digest"].as_str().map(str::to_owned)),
            ),
            None => manifests.push(doc),
        }
    }
    if manifests.is_empty() {
        return Err(format!("no image manifest in {}", root.display()));
    }
    Ok(manifests)
}

/// A manifest's config blob and its layers' blob paths.
pub fn config_and_layers(
    root: &Path,
    manifest: &serde_json::Value,
) -> Result<(serde_json::Value, Vec<(String, PathBuf)>), String> {
    let config_digest = manifest["config"]["digest"]
        .as_str()
        .ok_or_else(|| format!("no config in {manifest}"))?;
    let config = read_json(&blob(root, config_digest))?;
    let layers = manifest["layers"]
        .as_array()
        .ok_or_else(|| format!("no layers in {manifest}"))?
        .iter()
        .map(|l| {
            l["digest"]
                .as_str()
                .map(|d| (d.to_owned(), blob(root, d)))
                .ok_or_else(|| format!("a layer without digest in {manifest}"))
        })
        .collect::<Result<_, _>>()?;
    Ok((config, layers))
}

/// A layer's entries, in the order of the archive; `scratch` is emptied and
/// the layer unpacked there to read the files' content.
pub fn layer_entries(layer: &Path, scratch: &Path) -> Result<Vec<Entry>, String> {
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    unpack(layer, scratch)?;
    let listing = run(Command::new("tar")
        .args(["--numeric-owner", "-tvf"])
        .arg(layer))?;
    let mut entries = Vec::new();
    for line in String::from_utf8_lossy(&listing).lines() {
        // GNU tar: mode, uid/gid, size (or major,minor), date, time, name[ -> target].
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(mode), Some(owner), Some(rest)) =
            (fields.first(), fields.get(1), fields.get(5..))
        else {
            return Err(format!("unexpected `tar -tv` line: `{line}`"));
        };
        let rest = rest.join(" ");
        let (raw, link) = match mode.chars().next() {
            Some('l') => match rest.split_once(" -> ") {
                Some((n, t)) => (n.to_owned(), Link::Symlink(t.to_owned())),
                None => (rest.clone(), Link::None),
            },
            Some('h') => match rest.split_once(" link to ") {
                Some((n, t)) => (n.to_owned(), Link::Hard(normalize(t))),
                None => (rest.clone(), Link::None),
            },
            _ => (rest.clone(), Link::None),
        };
        let content = if mode.starts_with('-') || mode.starts_with('h') {
            let data = std::fs::read(scratch.join(&raw)).map_err(|e| format!("{raw}: {e}"))?;
            Some((fnv1a(&data), data.len()))
        } else {
            None
        };
        entries.push(Entry {
            path: normalize(&raw),
            mode: (*mode).to_owned(),
            owner: (*owner).to_owned(),
            link,
            content,
        });
    }
    Ok(entries)
}
