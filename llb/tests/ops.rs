//! Pinned digests per op kind, determinism and graph-shape tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use llb::exec::{BindAccess, CacheSharing, Exec, Mount, NetMode};
use llb::file::{ChownOpt, CopyOptions, FileOp};
use llb::marshal::digest;
use llb::op::{Constraints, OpMeta, SourceMap, State};
use llb::reference::Reference;
use llb::{dump::dump, marshal, merge, pb, source, Platform};
use prost::Message;

fn amd64() -> Constraints {
    Constraints::for_platform(&Platform::new("linux", "amd64", ""))
}

fn busybox() -> State {
    source::image(
        &Reference::parse("busybox").unwrap(),
        amd64(),
        OpMeta::default(),
    )
}

fn context() -> State {
    let opts = source::LocalOptions {
        shared_key_hint: "context".into(),
        session_id: "s1".into(),
        ..Default::default()
    };
    source::local("context", &opts, amd64(), OpMeta::default())
}

/// The digest of the last real op (the one the terminal op points at).
fn head_digest(state: &State) -> String {
    let def = marshal(state).unwrap();
    let terminal = pb::Op::decode(def.def.last().unwrap().as_slice()).unwrap();
    assert!(terminal.op.is_none(), "terminal op has no op");
    terminal.inputs[0].digest.clone()
}

/// The digest the Dockerfile frontend's `FROM busybox` (resolved, in the
/// engine's local mode) has on Docker 28.5, read from its provenance
/// (`--provenance=mode=max`, `digestMapping`): the same op must be the same
/// bytes, so that source locations and the cache are found under our digests.
#[test]
fn an_op_encodes_as_buildkit_encodes_it() {
    let reference = Reference::parse(
        "busybox:latest@sha256:b88fd9207704c7ba8145758be5537fd87f5f49070e168a1612c9589bbb909718",
    )
    .unwrap();
    let st = source::image_resolved(&reference, "local", amd64(), OpMeta::default());
    assert_eq!(
        head_digest(&st),
        "sha256:ed5a1ee8a4d50e23aacb7cb1a7bfb63730ad3cbc04c02aae621e33a4a36f768f"
    );
}

#[test]
fn image_source_digest_is_pinned() {
    assert_eq!(
        head_digest(&busybox()),
        "sha256:e1432b8e2054abb034451c15f0a8ad49d07f5892ca266016226fec77e95d20a0"
    );
}

#[test]
fn local_source_digest_is_pinned() {
    assert_eq!(
        head_digest(&context()),
        "sha256:d869eb327b4415e7604a4c7e4841605d639b73d45f5261602a28625bb14a8993"
    );
}

#[test]
fn exec_digest_is_pinned() {
    let mut exec = Exec::new(vec!["/bin/sh".into(), "-c".into(), "echo hi > /x".into()]);
    exec.env = vec!["PATH=/bin".into()];
    exec.cwd = "/src".into();
    exec.user = "1000:1000".into();
    exec.network = NetMode::None;
    exec.mounts.push(Mount::Cache {
        dest: "/root/.cache".into(),
        id: "c1".into(),
        sharing: CacheSharing::Locked,
        readonly: false,
        base: None,
    });
    exec.mounts.push(Mount::Bind {
        dest: "/ctx".into(),
        state: context(),
        selector: "/".into(),
        access: BindAccess::ReadOnly,
    });
    let out = exec.run(&busybox(), amd64(), OpMeta::default().with_name("RUN echo"));
    assert_eq!(
        head_digest(&out.root),
        "sha256:101dc7c372f5cb983dae901d72f9544da1b1f255cf2edfbe42e8d3da940ae899"
    );
}

#[test]
fn file_digest_is_pinned() {
    let opts = CopyOptions {
        mode: Some(0o755),
        owner: Some(ChownOpt::parse("1000:app")),
        ..Default::default()
    };
    let st = FileOp::new()
        .mkdir("/app", 0o755, true, None)
        .copy(&context(), "/go.mod", "/app/", opts)
        .apply(&busybox(), amd64(), OpMeta::default());
    assert_eq!(
        head_digest(&st),
        "sha256:bf761470e4cf3ed165df0c399972d13acd8f897d5427138f03ba27c4b2ae42e3"
    );
}

#[test]
fn merge_digest_is_pinned() {
    let layer = FileOp::new()
        .copy(&context(), "/a", "/a", CopyOptions::default())
        .apply(&State::scratch(), amd64(), OpMeta::default());
    let st = merge::merge(&[busybox(), layer], amd64(), OpMeta::default());
    assert_eq!(
        head_digest(&st),
        "sha256:3c4ade9594ee8336048ae4a17495974e42d34b0f3d0e83be9edcd8fefb91cff5"
    );
}

fn sample_graph() -> State {
    let src = SourceMap::new("stagecraft.yaml", "YAML", b"version: 1\nstages: {}\n");
    let base = busybox();
    let ctx = context();
    let built = Exec::new(vec!["make".into()]).run(
        &FileOp::new()
            .copy(&ctx, "/", "/src", CopyOptions::default())
            .apply(&base, amd64(), OpMeta::default()),
        amd64(),
        OpMeta::default().with_location(Some(src.lines(2, 2))),
    );
    FileOp::new()
        .copy(&built.root, "/src/app", "/app", CopyOptions::default())
        .apply(&base, amd64(), OpMeta::default().with_name("artifact"))
}

#[test]
fn marshalling_is_deterministic_and_deduplicated() {
    let a = marshal(&sample_graph()).unwrap().encode_to_vec();
    let b = marshal(&sample_graph()).unwrap().encode_to_vec();
    assert_eq!(a, b);
    let def = marshal(&sample_graph()).unwrap();
    // busybox is used twice but appears once; 5 ops + terminal.
    assert_eq!(def.def.len(), 6);
    let digests: Vec<String> = def.def.iter().map(|b| digest(b)).collect();
    let mut sorted = digests.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), digests.len());
    // Post-order: every input is defined before the op that uses it.
    for (i, bytes) in def.def.iter().enumerate() {
        let op = pb::Op::decode(bytes.as_slice()).unwrap();
        for input in op.inputs {
            let pos = digests.iter().position(|d| *d == input.digest).unwrap();
            assert!(pos < i);
        }
    }
    // No empty metadata values.
    for md in def.metadata.values() {
        assert!(md.description.values().all(|v| !v.is_empty()));
    }
    insta::assert_snapshot!(dump(&def));
}

#[test]
fn scratch_cannot_be_marshalled() {
    assert!(marshal(&State::scratch()).is_err());
}

/// 100,000 ops in one chain marshal, dump and drop on a thread with a 2 MiB
/// stack (tokio's worker default): no walk of the graph recurses per op.
#[test]
fn a_100k_op_chain_needs_no_deep_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let mut state = busybox();
            for i in 0..100_000 {
                state = FileOp::new()
                    .mkdir(&format!("/d{i}"), 0o755, false, None)
                    .apply(&state, amd64(), OpMeta::default());
            }
            let def = marshal::marshal(&state).unwrap();
            assert_eq!(def.def.len(), 100_002, "source, 100,000 file ops, terminal");
            assert!(dump(&def).lines().count() > 100_000);
            drop(state);
            def.def.len()
        })
        .unwrap();
    assert_eq!(worker.join().unwrap(), 100_002);
}
