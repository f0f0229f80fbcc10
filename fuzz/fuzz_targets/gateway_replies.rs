//! Replies from the engine: an image config (ResolveImageConfig), the
//! details of a failed solve's status (errdefs, JSON or protobuf) mapped
//! back to the spec's source map.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use stagecraft::build::compile_offline;
use stagecraft::compile::EngineFeatures;
use stagecraft::gateway::error::{attach_source, engine_status};
use stagecraft::image::Image;
use stagecraft::options::BuildOptions;

const SPEC: &str = "version: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: exit 1\n";

fn definition() -> &'static llb::pb::Definition {
    static DEF: OnceLock<llb::pb::Definition> = OnceLock::new();
    DEF.get_or_init(|| {
        let mut raw = BTreeMap::new();
        raw.insert("filename".to_owned(), "f.yaml".to_owned());
        let opts = BuildOptions::from_opts(&raw).expect("options");
        let src = stagecraft::diag::SourceFile::new("f.yaml", SPEC);
        let mut out = compile_offline(src, &opts, EngineFeatures::default()).expect("compiles");
        out.remove(0).1
    })
}

fuzz_target!(|data: &[u8]| {
    let platform = llb::Platform::new("linux", "amd64", "");
    if let Ok(img) = Image::from_base("busybox", data, &platform) {
        let _ = img.to_json();
        let _ = img.env_pairs();
    }
    let status = tonic::Status::with_details(
        tonic::Code::Unknown,
        "process did not complete successfully",
        bytes::Bytes::copy_from_slice(data),
    );
    let mut decoded = engine_status(&status);
    attach_source(&mut decoded, definition());
});
