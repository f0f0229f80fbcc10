//! `link: true` on an engine without MergeOp (Docker 26.1 with the classic
//! image store announces the LLB cap `mergeop` as disabled; Docker 20.10 has
//! none): linked copies and artifacts fall back to plain copies. Also checks
//! that the docker26 lane is what it claims.

use std::collections::BTreeMap;

use e2e::{case, files_below, workdir, write_files, Build, Case, Engine, Feature};

pub fn docker26_lane_is_docker_26_with_the_classic_image_store(engine: &Engine) {
    let out = engine.docker(&["version", "--format", "{{.Server.Version}}"]);
    assert!(out.status.success(), "{out:?}");
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(version.starts_with("26."), "dockerd {version}");
    // The containerd image store reports its snapshotter as the driver
    // (`overlayfs`, with `driver-type io.containerd.snapshotter.v1`).
    let out = engine.docker(&["info", "--format", "{{.Driver}} {{json .DriverStatus}}"]);
    assert!(out.status.success(), "{out:?}");
    let info = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(info.starts_with("overlay2 "), "{info}");
    assert!(!info.contains("io.containerd.snapshotter"), "{info}");
}

/// A scratch stage made only of linked artifacts (`link: true` is the
/// default; the second one says so explicitly) from two stages.
const TWO_ARTIFACTS: &str = r#"# syntax=stagecraft:dev
version: 1
stages:
  docs:
    from: busybox
    steps:
      - run: mkdir -p /out && echo documentation > /out/README.txt && echo junk > /out/scratch.tmp
  version:
    from: busybox
    steps:
      - run: mkdir -p /meta && echo 1.2.3 > /meta/VERSION && echo junk > /meta/other
  dist:
    from: scratch
    artifacts:
      - { from: docs, path: /out/README.txt, to: /README.txt }
      - { from: version, path: /meta/VERSION, to: /VERSION, link: true }
"#;

pub fn docker26_linked_artifacts_from_two_stages_export_exactly_those_files(engine: &Engine) {
    let dir = workdir("docker26-artifacts");
    write_files(&dir, engine, &[("stagecraft.yaml", TWO_ARTIFACTS)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(files_below(&out), ["README.txt", "VERSION"]);
    assert_eq!(
        std::fs::read_to_string(out.join("README.txt")).unwrap(),
        "documentation\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("VERSION")).unwrap(),
        "1.2.3\n"
    );
}

/// One vertex of the solve graph as `--progress=rawjson` reports it.
#[derive(Debug, Default)]
struct Vertex {
    name: String,
    inputs: Vec<String>,
}

/// Every vertex (by digest) in a `--progress=rawjson` log: a stream of
/// (pretty-printed, with buildx 0.13) `SolveStatus` JSON objects.
fn raw_vertices(b: &Build) -> BTreeMap<String, Vertex> {
    let start = b
        .log
        .find('{')
        .unwrap_or_else(|| panic!("no rawjson progress in:\n{}", b.log));
    let mut out: BTreeMap<String, Vertex> = BTreeMap::new();
    let stream =
        serde_json::Deserializer::from_str(&b.log[start..]).into_iter::<serde_json::Value>();
    for status in stream {
        let status = status.unwrap_or_else(|e| panic!("bad rawjson ({e}):\n{}", b.log));
        for v in status["vertexes"].as_array().into_iter().flatten() {
            let digest = v["digest"].as_str().unwrap().to_owned();
            let entry = out.entry(digest).or_default();
            if let Some(name) = v["name"].as_str() {
                name.clone_into(&mut entry.name);
            }
            if let Some(inputs) = v["inputs"].as_array() {
                entry.inputs = inputs
                    .iter()
                    .map(|i| i.as_str().unwrap().to_owned())
                    .collect();
            }
        }
    }
    out
}

/// The engine, not the frontend, decides: with MergeOp a linked artifact is a
/// copy onto an empty layer (its only input is the source stage) plus a
/// merge vertex of the same name on top of the stage (two vertices per
/// artifact, as on the main lane). Here each artifact must be ONE vertex:
/// a plain copy whose inputs are the stage so far and the source stage.
pub fn docker26_engine_has_no_mergeop_so_linked_artifacts_are_plain_copies(engine: &Engine) {
    let dir = workdir("docker26-no-mergeop");
    write_files(&dir, engine, &[("stagecraft.yaml", TWO_ARTIFACTS)]);
    let (b, out) = engine.export(&dir, &["--progress=rawjson"]);
    b.assert_ok();
    assert_eq!(files_below(&out), ["README.txt", "VERSION"]);
    let vertices = raw_vertices(&b);
    let named = |needle: &str| -> Vec<(&String, &Vertex)> {
        vertices
            .iter()
            .filter(|(_, v)| v.name.contains(needle))
            .collect()
    };
    let docs = named("ARTIFACT docs:/out/README.txt /README.txt");
    let version = named("ARTIFACT version:/meta/VERSION /VERSION");
    let version_run = named("[version 2/2] RUN ");
    assert_eq!(
        (docs.len(), version.len(), version_run.len()),
        (1, 1, 1),
        "expected one vertex per artifact (a MergeOp adds a second one of the same name):\n{vertices:#?}"
    );
    // The second artifact is copied onto the first (the stage so far), from
    // the `version` stage: not onto scratch, and no merge.
    let mut inputs = version[0].1.inputs.clone();
    inputs.sort();
    let mut expected = vec![docs[0].0.clone(), version_run[0].0.clone()];
    expected.sort();
    assert_eq!(inputs, expected, "{vertices:#?}");
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "lane_is_docker_26_with_the_classic_image_store",
            &[Feature::Docker26],
            docker26_lane_is_docker_26_with_the_classic_image_store,
        ),
        case(
            "linked_artifacts_from_two_stages_export_exactly_those_files",
            &[Feature::Buildx, Feature::NoMergeOp],
            docker26_linked_artifacts_from_two_stages_export_exactly_those_files,
        ),
        case(
            "engine_has_no_mergeop_so_linked_artifacts_are_plain_copies",
            &[Feature::Buildx, Feature::NoMergeOp],
            docker26_engine_has_no_mergeop_so_linked_artifacts_are_plain_copies,
        ),
    ]
}
