//! Cost grows linearly with the size of the spec: `check` (parse and
//! validate) and `compile` of chain, fan and "monorepo" shapes from 250 to
//! 4,000 stages.
//!
//! The bound that must hold is on memory, counted exactly by a counting
//! allocator (bytes allocated and peak live bytes, per thread): at most ×2.3
//! per doubling of the stage count. Time is also checked, as the measuring
//! thread's own CPU time (`/proc/thread-self/schedstat`: time on a CPU, not
//! time waiting for one, so that other processes on a shared machine do not
//! count), with a loose bound (the best of three runs may grow at most ×20
//! from 500 to 4,000 stages, where quadratic growth gives ×64), so that only
//! a return to super-linear growth fails. The shapes run one after another
//! in one test, so they do not compete for the cores. This is a guard, not
//! a benchmark: `scripts/bench.sh` measures.
//!
//! Compilation runs on a thread with a 2 MiB stack, the size of the
//! frontend's tokio worker threads: nothing may recurse per stage.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use stagecraft::build::compile_offline;
use stagecraft::compile::EngineFeatures;
use stagecraft::diag::SourceFile;
use stagecraft::options::BuildOptions;

/// The stage counts measured (the range).
const SIZES: [usize; 5] = [250, 500, 1000, 2000, 4000];

struct Counting;

thread_local! {
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn count(delta: i64) {
    // `try_with`: the thread may be shutting down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
    if delta > 0 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + delta as u64));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Stage i starts from stage i-1.
fn chain(n: usize) -> String {
    let mut s = String::from(
        "version: 1\nstages:\n  s0:\n    from: busybox\n    steps:\n      - run: echo 0\n",
    );
    for i in 1..n {
        let _ = write!(
            s,
            "  s{i}:\n    from: s{}\n    steps:\n      - run: echo {i}\n",
            i - 1
        );
    }
    s
}

/// N independent stages and a final stage with one artifact from each.
fn fan(n: usize) -> String {
    let mut s = String::from("version: 1\nstages:\n");
    for i in 0..n {
        let _ = write!(s, "  s{i}:\n    from: busybox\n    steps:\n      - run: mkdir -p /out && echo {i} > /out/f\n");
    }
    s.push_str("  final:\n    from: scratch\n    artifacts:\n");
    for i in 0..n {
        let _ = writeln!(s, "      - {{ from: s{i}, path: /out/f, to: /f{i} }}");
    }
    s
}

/// N/3 services of deps → build → runtime stages, and an aggregate that needs every runtime.
fn monorepo(n: usize) -> String {
    let services = n / 3;
    let mut s = String::from("version: 1\nargs:\n  VERSION: \"1\"\nstages:\n");
    for i in 0..services {
        let _ = write!(
            s,
            "  svc{i}-deps:\n    from: busybox\n    workdir: /src\n    steps:\n      - copy: svc{i}/deps.txt\n      - run: cat deps.txt > /deps\n  svc{i}-build:\n    from: svc{i}-deps\n    env:\n      SERVICE: svc{i}\n    steps:\n      - copy: svc{i}/src\n        to: ./\n      - run: mkdir -p /out && echo $SERVICE $VERSION > /out/app\n  svc{i}-runtime:\n    from: busybox\n    artifacts:\n      - {{ from: svc{i}-build, path: /out/app, to: /app }}\n    image:\n      entrypoint: [/app]\n      labels: {{ version: \"${{VERSION}}\" }}\n"
        );
    }
    s.push_str("  all:\n    from: scratch\n    needs:\n");
    for i in 0..services {
        let _ = writeln!(s, "      - svc{i}-runtime");
    }
    s
}

#[derive(Debug, Clone, Copy)]
struct Cost {
    allocated: u64,
    peak: i64,
    time: Duration,
}

/// The cost of `f`, on a thread with a 2 MiB stack; time is the best of three runs.
/// The calling thread's time on a CPU so far (the first field of
/// `/proc/thread-self/schedstat`, in nanoseconds).
fn cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("/proc/thread-self/schedstat (Linux)");
    let ns: u64 = text
        .split_whitespace()
        .next()
        .and_then(|f| f.parse().ok())
        .unwrap_or_else(|| panic!("unexpected schedstat: {text}"));
    Duration::from_nanos(ns)
}

fn measure(f: impl Fn() + Send + Sync + 'static) -> Cost {
    let f = std::sync::Arc::new(f);
    let mut best: Option<Cost> = None;
    for _ in 0..3 {
        let f = f.clone();
        let cost = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                ALLOCATED.with(|a| a.set(0));
                LIVE.with(|l| l.set(0));
                PEAK.with(|p| p.set(0));
                let start = cpu_time();
                f();
                Cost {
                    time: cpu_time().saturating_sub(start),
                    allocated: ALLOCATED.with(Cell::get),
                    peak: PEAK.with(Cell::get),
                }
            })
            .unwrap()
            .join()
            .unwrap();
        best = Some(match best {
            Some(b) if b.time <= cost.time => Cost {
                time: b.time,
                ..cost
            },
            _ => cost,
        });
    }
    best.unwrap()
}

fn check(text: &str) {
    let src = SourceFile::new("stagecraft.yaml", text);
    stagecraft::spec::parse(src).unwrap();
}

fn compile(text: &str) {
    let src = SourceFile::new("stagecraft.yaml", text);
    let mut raw = BTreeMap::new();
    raw.insert("filename".to_owned(), "stagecraft.yaml".to_owned());
    let opts = BuildOptions::from_opts(&raw).unwrap();
    let out = compile_offline(
        src,
        &opts,
        EngineFeatures {
            merge_op: true,
            check_globs: true,
        },
    )
    .unwrap();
    assert_eq!(out.len(), 1);
}

fn assert_linear(shape: &str, generate: fn(usize) -> String) {
    let sizes = SIZES;
    for (what, run) in [("check", check as fn(&str)), ("compile", compile)] {
        let costs: Vec<(usize, Cost)> = sizes
            .iter()
            .map(|&n| {
                let text = generate(n);
                (n, measure(move || run(&text)))
            })
            .collect();
        let mut report = String::new();
        for (n, c) in &costs {
            let _ = writeln!(
                report,
                "{shape} {what} {n:5}: {:8.1} ms CPU, {:11} bytes allocated, {:11} peak",
                c.time.as_secs_f64() * 1e3,
                c.allocated,
                c.peak
            );
        }
        for pair in costs.windows(2) {
            let ((_, a), (n, b)) = (pair[0], pair[1]);
            let alloc = b.allocated as f64 / a.allocated as f64;
            let peak = b.peak as f64 / a.peak.max(1) as f64;
            assert!(
                alloc <= 2.3,
                "{shape} {what}: allocation grew ×{alloc:.2} at {n}\n{report}"
            );
            assert!(
                peak <= 2.3,
                "{shape} {what}: peak memory grew ×{peak:.2} at {n}\n{report}"
            );
        }
        // Time, over the whole range from the second size (the first is
        // dominated by fixed costs): ×8 in stages may cost at most ×20 in
        // time (quadratic growth would be ×64).
        let (first, last) = (costs[1].1.time, costs[costs.len() - 1].1.time);
        let time = last.as_secs_f64() / first.as_secs_f64().max(1e-3);
        assert!(
            time <= 20.0,
            "{shape} {what}: time grew ×{time:.1} over ×8 stages\n{report}"
        );
        println!("{report}");
    }
}

#[test]
fn check_and_compile_costs_grow_linearly() {
    assert_linear("chain", chain);
    assert_linear("fan", fan);
    assert_linear("monorepo", monorepo);
}
