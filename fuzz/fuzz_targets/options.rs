//! Build options as BuildKit passes them (`key=value` lines, build args,
//! labels, platforms, contexts, cache imports...) and the worker list.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use stagecraft::options::{parse_workers, BuildOptions};

fuzz_target!(|data: &str| {
    let mut raw = BTreeMap::new();
    for line in data.lines() {
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        raw.insert(k.to_owned(), v.to_owned());
    }
    if let Ok(opts) = BuildOptions::from_opts(&raw) {
        let _ = opts.no_cache_for("build");
    }
    let _ = parse_workers(data);
});
