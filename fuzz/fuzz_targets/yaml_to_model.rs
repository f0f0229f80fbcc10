//! YAML bytes → model: decode, parse, validate, render the diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (src, problem) = stagecraft::spec::decode("f.yaml".into(), data.to_vec());
    if let Some(d) = problem {
        let _ = stagecraft::diag::render(&[d], &src);
        return;
    }
    if let Err(diags) = stagecraft::spec::parse(src.clone()) {
        let out = stagecraft::diag::render(&diags, &src);
        assert!(!out.is_empty());
    }
});
