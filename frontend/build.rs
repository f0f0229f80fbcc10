//! Build script: the git commit the binary is built from, for
//! `stagecraft --version`, the outline and describe subrequests
//! (`src/version.rs`). `STAGECRAFT_REVISION` in the environment wins (image
//! builds, whose context has no `.git`); else `git rev-parse HEAD` when the
//! source is a checkout; else none. Nothing else about the build is read, so
//! the same commit gives the same bytes.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=STAGECRAFT_REVISION");
    let from_env = std::env::var("STAGECRAFT_REVISION")
        .ok()
        .filter(|r| !r.trim().is_empty());
    let revision = from_env.or_else(|| {
        let git = Path::new("../.git");
        if !git.exists() {
            return None;
        }
        // HEAD moves with checkouts and commits; the ref it names with
        // commits (a loose file, or a line of packed-refs). Only files that
        // exist are watched: cargo runs the script again on every build for
        // a missing one (and so recompiles the crate each time).
        let watch = |rel: &str| {
            if git.join(rel).exists() {
                println!("cargo:rerun-if-changed=../.git/{rel}");
            }
        };
        watch("HEAD");
        if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
            if let Some(r) = head.trim().strip_prefix("ref: ") {
                // A ref only in packed-refs gets a loose file at its next
                // commit: then its directory changes.
                if git.join(r).exists() {
                    watch(r);
                } else {
                    watch(r.rsplit_once('/').map_or(r, |(dir, _)| dir));
                }
            }
        }
        watch("packed-refs");
        let out = Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir("..")
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    });
    if let Some(r) = revision {
        println!("cargo:rustc-env=STAGECRAFT_REVISION={}", r.trim());
    }
}
