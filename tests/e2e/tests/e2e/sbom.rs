//! `--sbom`: the frontend runs the scanner image on the result and on what
//! `BUILDKIT_SBOM_SCAN_STAGE` and `BUILDKIT_SBOM_SCAN_CONTEXT` mark, as the
//! Dockerfile frontend does, and fails before building when the scanner
//! cannot be resolved.

use e2e::{case, workdir, write_files, Case, Engine, Feature};

/// A scanner that follows BuildKit's protocol and writes a fixed SPDX
/// document naming what it was given.
const SCANNER: &str = r#"set -e
core=$(cd "$BUILDKIT_SCAN_SOURCE" && find . -maxdepth 1 | sort | tr '\n' ' ')
extras=$(ls "${BUILDKIT_SCAN_SOURCE_EXTRAS:-/nonexistent}" 2>/dev/null | tr '\n' ' ')
cat > "$BUILDKIT_SCAN_DESTINATION/sbom.spdx.json" <<JSON
{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],"predicate":{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"stagecraft-test-scanner","comment":"core: $core extras: $extras"}}
JSON
"#;

const SPEC: &str = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  tools:\n    from: busybox\n    args:\n      BUILDKIT_SBOM_SCAN_STAGE: \"true\"\n    steps:\n      - run: echo t > /tool\n  app:\n    from: scratch\n    steps:\n      - copy: /tool\n        from: tools\n        to: /app-tool\n";

pub fn sbom_scans_the_result_and_the_marked_stages_and_context(engine: &Engine) {
    let dir = workdir("sbom-scanner");
    write_files(
        &dir,
        engine,
        &[
            ("scan.sh", SCANNER),
            (
                "Dockerfile",
                "FROM busybox\nCOPY scan.sh /scan.sh\nENTRYPOINT [\"/bin/sh\", \"/scan.sh\"]\n",
            ),
            ("stagecraft.yaml", SPEC),
        ],
    );
    let scanner = engine.tag("scanner");
    engine
        .build_image(&dir, &["-f", "Dockerfile", "."], &scanner)
        .assert_ok();
    let generator = format!("--sbom=generator={scanner}");
    let (b, out) = engine.export(
        &dir,
        &[&generator, "--build-arg", "BUILDKIT_SBOM_SCAN_CONTEXT=true"],
    );
    b.assert_ok();
    b.assert_log_contains("generating sbom using docker.io/");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sbom.spdx.json")).unwrap())
            .unwrap();
    let comment = doc["predicate"]["comment"].as_str().unwrap_or_default();
    assert!(comment.contains("core: . ./app-tool "), "{doc}");
    assert!(
        comment.contains("extras: sbom-context sbom-tools "),
        "the marked stage and the context are scanned too: {doc}"
    );
}

pub fn an_unreachable_scanner_fails_before_building(engine: &Engine) {
    let dir = workdir("sbom-unreachable");
    write_files(&dir, engine, &[("stagecraft.yaml", SPEC)]);
    let (b, _) = engine.export(&dir, &["--sbom=generator=127.0.0.1:5999/no/scanner:1"]);
    b.assert_failed();
    b.assert_log_contains("--sbom: cannot resolve the scanner image");
    assert!(
        !b.log.contains("RUN echo t"),
        "nothing is built before the scanner is resolved:\n{}",
        b.log
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "sbom_scans_the_result_and_the_marked_stages_and_context",
            &[Feature::Buildx, Feature::Attestations],
            sbom_scans_the_result_and_the_marked_stages_and_context,
        ),
        case(
            "an_unreachable_scanner_fails_before_building",
            &[Feature::Buildx, Feature::Attestations],
            an_unreachable_scanner_fails_before_building,
        ),
    ]
}
