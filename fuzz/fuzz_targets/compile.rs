//! Model + options → definition: a spec from the input, options from its
//! first line (`key=value;key=value`), compiled offline; compiling twice
//! gives the same bytes.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use prost::Message;
use stagecraft::build::compile_offline;
use stagecraft::compile::EngineFeatures;
use stagecraft::options::BuildOptions;

fuzz_target!(|data: &str| {
    let (first, spec) = data.split_once('\n').unwrap_or(("", data));
    let mut raw = BTreeMap::new();
    raw.insert("filename".to_owned(), "f.yaml".to_owned());
    for kv in first.split(';') {
        if let Some((k, v)) = kv.split_once('=') {
            raw.insert(k.to_owned(), v.to_owned());
        }
    }
    let Ok(opts) = BuildOptions::from_opts(&raw) else {
        return;
    };
    let merge_op = first.len() % 2 == 0;
    let compile = || {
        let src = stagecraft::diag::SourceFile::new("f.yaml", spec);
        compile_offline(src, &opts, EngineFeatures { merge_op, check_globs: true })
    };
    if let (Ok(a), Ok(b)) = (compile(), compile()) {
        assert_eq!(a.len(), b.len());
        for ((pa, da, ia), (pb, db, ib)) in a.iter().zip(b.iter()) {
            assert_eq!(pa, pb);
            assert_eq!(da.encode_to_vec(), db.encode_to_vec(), "deterministic definition");
            assert_eq!(ia.to_json(), ib.to_json(), "deterministic image config");
            let _ = llb::dump::dump(da);
        }
    }
});
