//! Imports linked from the input: the input is files separated by lines
//! `--- NAME` (the first is the spec, `stagecraft.yaml`); every import,
//! beside, git or image, reads the file of its path's name (else it is
//! missing). The linked spec is compiled offline, twice, to the same
//! bytes. Cycles, depth, missing files and bad files must end as
//! diagnostics, never a panic or a hang.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use prost::Message;
use stagecraft::build::compile_spec_offline;
use stagecraft::compile::EngineFeatures;
use stagecraft::diag::SourceFile;
use stagecraft::options::BuildOptions;
use stagecraft::spec::imports::{Loader, Location};

fuzz_target!(|data: &str| {
    let mut parts = data.split("\n--- ");
    let root = parts.next().unwrap_or_default();
    let mut files: BTreeMap<&str, &str> = BTreeMap::new();
    for part in parts {
        let (name, text) = part.split_once('\n').unwrap_or((part, ""));
        files.insert(name.trim(), text);
    }
    let mut raw = BTreeMap::new();
    raw.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    let Ok(opts) = BuildOptions::from_opts(&raw) else {
        return;
    };
    let Ok(spec) = stagecraft::spec::parse(SourceFile::new("stagecraft.yaml", root)) else {
        return;
    };
    let link = || {
        let mut loader = Loader::new(spec.clone(), "stagecraft.yaml", &opts);
        let mut rounds = 0;
        loop {
            let wanted = loader.requests();
            if wanted.is_empty() {
                break;
            }
            rounds += 1;
            assert!(rounds <= 16, "imports keep asking for files");
            for (id, location) in wanted {
                let path = match &location {
                    Location::Beside(p) => p.as_str(),
                    Location::Git { path, .. } | Location::Image { path, .. } => {
                        path.trim_start_matches('/')
                    }
                };
                let bytes = files
                    .get(path)
                    .map(|t| t.as_bytes().to_vec())
                    .ok_or_else(|| "no such file".to_owned());
                loader.provide(id, bytes);
            }
        }
        loader.finish()
    };
    let Ok(linked) = link() else {
        return;
    };
    let build = llb::Platform::new("linux", "amd64", "");
    let features = EngineFeatures {
        merge_op: true,
        check_globs: true,
    };
    let compile = || compile_spec_offline(&linked, &build, &opts, features, &|_| None);
    if let (Ok(a), Ok(b)) = (compile(), compile()) {
        assert_eq!(a.len(), b.len());
        for ((_, da, ia), (_, db, ib)) in a.iter().zip(b.iter()) {
            assert_eq!(da.encode_to_vec(), db.encode_to_vec(), "deterministic definition");
            assert_eq!(ia.to_json(), ib.to_json(), "deterministic image config");
        }
    }
});
