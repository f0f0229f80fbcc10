//! Only what the build uses is sent: the main context's source carries
//! follow paths for what the steps copy from it (as the Dockerfile frontend
//! does), so an unused 20 MB file is not transferred. Measured from the
//! sizes buildx prints (`transferring context: 30B`).

use e2e::{case, unique, workdir, write_files, Build, Case, Engine, Feature};

/// The largest `transferring context: <size>` in the log, in bytes.
fn transferred(b: &Build) -> f64 {
    b.log
        .lines()
        .filter_map(|l| l.split("transferring context: ").nth(1))
        .filter_map(|rest| {
            let size = rest.split_whitespace().next()?;
            let digits = size.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let unit = &size[digits.len()..];
            let scale = match unit {
                "B" => 1.0,
                "kB" | "KB" | "KiB" => 1e3,
                "MB" | "MiB" => 1e6,
                "GB" | "GiB" => 1e9,
                _ => return None,
            };
            Some(digits.parse::<f64>().ok()? * scale)
        })
        .fold(0.0, f64::max)
}

pub fn an_unused_large_file_in_the_context_is_not_transferred(engine: &Engine) {
    let dir = workdir("context-transfer");
    let marker = unique("small");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  app:\n    from: busybox\n    steps:\n      - copy: small.txt\n        to: /small.txt\n      - copy: conf\n        to: /conf/\n";
    write_files(
        &dir,
        engine,
        &[
            ("stagecraft.yaml", spec),
            ("small.txt", &marker),
            ("conf/a.conf", "a=1\n"),
        ],
    );
    // 20 MB that no step uses; not compressible to nothing either.
    let big: Vec<u8> = (0..20_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(dir.join("big.bin"), big).unwrap();
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("small.txt")).unwrap(),
        marker
    );
    assert_eq!(
        std::fs::read_to_string(out.join("conf/a.conf")).unwrap(),
        "a=1\n"
    );
    assert!(!out.join("big.bin").exists());
    let sent = transferred(&b);
    assert!(
        sent > 0.0 && sent < 100_000.0,
        "{sent} bytes of context sent for two small files:\n{}",
        b.log
    );

    // The measure can fail: a spec that copies the whole context sends it all.
    let all = spec.replace(
        "      - copy: conf\n        to: /conf/\n",
        "      - copy: .\n        to: /all/\n",
    );
    write_files(&dir, engine, &[("stagecraft.yaml", &all)]);
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    assert!(out.join("all/big.bin").exists());
    assert!(
        transferred(&b) > 19_000_000.0,
        "the whole context is sent for `copy: .`:\n{}",
        b.log
    );
}

pub fn cases() -> Vec<Case> {
    vec![case(
        "an_unused_large_file_in_the_context_is_not_transferred",
        &[Feature::Buildx],
        an_unused_large_file_in_the_context_is_not_transferred,
    )]
}
