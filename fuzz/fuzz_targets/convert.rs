//! Dockerfile → spec: any text either converts or is refused with a line
//! of the input; strict or `--lenient`, converting twice gives the same
//! bytes, and a converted spec never panics the spec reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stagecraft::dockerfile::{convert_counted, ConvertOptions};

fuzz_target!(|data: &str| {
    for lenient in [false, true] {
        let opts = ConvertOptions {
            syntax: "stagecraft".to_owned(),
            source_name: "Dockerfile".to_owned(),
            lenient,
        };
        match convert_counted(data, &opts) {
            Ok(a) => {
                let b = convert_counted(data, &opts).expect("converts twice");
                assert_eq!(a, b, "deterministic");
                let _ = stagecraft::spec::parse(stagecraft::diag::SourceFile::new("s.yaml", a.spec));
            }
            Err(e) => assert!(
                e.line >= 1 && e.line <= data.lines().count().max(1),
                "line {} of {} lines: {}",
                e.line,
                data.lines().count(),
                e.message
            ),
        }
    }
});
