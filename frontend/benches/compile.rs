//! Benchmarks of the frontend's hot path that does not need an engine:
//! parse + validate + compile + marshal, for the examples and for a large
//! generated spec. Run with `cargo bench -p stagecraft`; it prints the time
//! per iteration (median of several rounds). Not a test: nothing is asserted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use stagecraft::build::compile_offline;
use stagecraft::compile::EngineFeatures;
use stagecraft::diag::SourceFile;
use stagecraft::options::BuildOptions;

fn large_spec(stages: usize) -> String {
    let mut s = String::from("version: 1\nargs:\n  VERSION: \"1.0\"\nstages:\n");
    for i in 0..stages {
        let from = if i == 0 {
            "busybox".to_owned()
        } else {
            format!("s{}", i - 1)
        };
        s.push_str(&format!(
            "  s{i}:\n    from: {from}\n    workdir: /w/{i}\n    env:\n      STAGE: \"{i}\"\n    steps:\n      - copy: [\"src/{i}/*.txt\"]\n      - run: echo $STAGE $VERSION > /w/{i}/out\n        cache: [/root/.cache]\n      - mkdir: /data/{i}\n"
        ));
    }
    s.push_str(&format!(
        "  final:\n    from: scratch\n    artifacts:\n      - {{ from: s{}, path: /w, to: /w }}\n",
        stages - 1
    ));
    s
}

fn bench(name: &str, text: &str) {
    let mut opts = BTreeMap::new();
    opts.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    let opts = BuildOptions::from_opts(&opts).unwrap();
    let run = || {
        let src = SourceFile::new("stagecraft.yaml", text.to_owned());
        compile_offline(
            src,
            &opts,
            EngineFeatures {
                merge_op: true,
                check_globs: true,
            },
        )
        .unwrap()
    };
    // Calibrate to ~100 ms per round.
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_millis(100) {
        std::hint::black_box(run());
        n += 1;
    }
    let mut rounds: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                std::hint::black_box(run());
            }
            t.elapsed() / n
        })
        .collect();
    rounds.sort();
    println!(
        "{name:<40} {:>12.1?} per compile ({n} iterations per round)",
        rounds[3]
    );
}

fn main() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut dirs: Vec<_> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let text = std::fs::read_to_string(dir.join("stagecraft.yaml")).unwrap();
        bench(
            &format!("example {}", dir.file_name().unwrap().to_string_lossy()),
            &text,
        );
    }
    bench("generated spec, 50 stages", &large_spec(50));
    bench("generated spec, 200 stages", &large_spec(200));
}
