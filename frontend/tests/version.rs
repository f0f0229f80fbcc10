//! `stagecraft --version` names the crate version and the commit of the
//! checkout it was built from, and the image recipes' `VERSION` defaults
//! follow the crate version (release engineering, issue 13).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn repo_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn version_names_the_crate_version_and_the_commit() {
    let out = Command::new(env!("CARGO_BIN_EXE_stagecraft"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let expected = match head {
        Some(commit) => format!(
            "stagecraft {} (commit {commit})\n",
            env!("CARGO_PKG_VERSION")
        ),
        None => format!("stagecraft {}\n", env!("CARGO_PKG_VERSION")),
    };
    assert_eq!(text, expected);
}

#[test]
fn the_image_recipes_label_the_crate_version() {
    let wanted = format!("ARG VERSION={}\n", env!("CARGO_PKG_VERSION"));
    for recipe in ["Dockerfile", "Dockerfile.prebuilt"] {
        assert!(
            repo_file(recipe).contains(&wanted),
            "{recipe} must default `{}` (the crate version)",
            wanted.trim()
        );
    }
}

#[test]
fn the_self_hosted_spec_labels_the_crate_version() {
    let wanted = format!(
        "  VERSION:\n    default: \"{}\"\n",
        env!("CARGO_PKG_VERSION")
    );
    assert!(
        repo_file("stagecraft.yaml").contains(&wanted),
        "stagecraft.yaml must default its VERSION argument to the crate version:\n{wanted}"
    );
}
