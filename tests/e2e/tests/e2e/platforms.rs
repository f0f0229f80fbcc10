//! Multi-platform builds and stages with their own `platform`.

use e2e::{case, workdir, write_files, Case, Engine, Feature};

pub fn multi_platform_exports_one_tree_per_platform_and_an_oci_index(engine: &Engine) {
    let dir = workdir("multi-platform");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  dist:\n    from: scratch\n    steps:\n      - copy: \"arch/${TARGETARCH}.txt\"\n        to: /arch.txt\n      - copy: common.txt\n        to: /\n";
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", spec),
            ("arch/amd64.txt", "amd64\n"),
            ("arch/arm64.txt", "arm64\n"),
            ("common.txt", "c\n"),
        ],
    );
    let (b, out) = engine.export(&dir, &["--platform", "linux/amd64,linux/arm64"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("linux_amd64/arch.txt")).unwrap(),
        "amd64\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("linux_arm64/arch.txt")).unwrap(),
        "arm64\n"
    );
    assert!(out.join("linux_arm64/common.txt").exists());

    let oci = dir.join("image.tar");
    let dest = format!("type=oci,dest={}", oci.display());
    engine
        .build_to(&dir, &dest, &["--platform", "linux/amd64,linux/arm64"])
        .assert_ok();
    let listing = std::process::Command::new("tar")
        .args(["-xOf", oci.to_str().unwrap(), "index.json"])
        .output()
        .unwrap();
    let index: serde_json::Value = serde_json::from_slice(&listing.stdout).unwrap();
    // The index points at a nested index (or lists manifests) with both platforms.
    let text = index.to_string();
    let nested = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .replace("sha256:", "blobs/sha256/");
    let blob = std::process::Command::new("tar")
        .args(["-xOf", oci.to_str().unwrap(), &nested])
        .output()
        .unwrap();
    let nested: serde_json::Value = serde_json::from_slice(&blob.stdout).unwrap();
    let mut archs: Vec<String> = nested["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["platform"]["architecture"].as_str().map(str::to_owned))
        .filter(|a| a != "unknown")
        .collect();
    archs.sort();
    assert_eq!(
        archs,
        vec!["amd64".to_owned(), "arm64".to_owned()],
        "{text} {nested}"
    );
}

pub fn stage_platform_with_buildplatform_cross_builds(engine: &Engine) {
    let dir = workdir("buildplatform");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  builder:\n    from: busybox\n    platform: ${BUILDPLATFORM}\n    args:\n      TARGETARCH:\n      BUILDARCH:\n    steps:\n      - run: mkdir -p /out && echo \"built on $BUILDARCH for $TARGETARCH\" > /out/info\n  dist:\n    from: scratch\n    artifacts:\n      - { from: builder, path: /out/info, to: /info }\n";
    write_files(&dir, engine, &[("stagecraft.yaml", spec)]);
    let (b, out) = engine.export(&dir, &["--platform", "linux/arm64"]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("info")).unwrap(),
        "built on amd64 for arm64\n"
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "multi_platform_exports_one_tree_per_platform_and_an_oci_index",
            &[Feature::Buildx, Feature::MultiPlatform],
            multi_platform_exports_one_tree_per_platform_and_an_oci_index,
        ),
        case(
            "stage_platform_with_buildplatform_cross_builds",
            &[Feature::Buildx, Feature::MultiPlatform],
            stage_platform_with_buildplatform_cross_builds,
        ),
    ]
}
