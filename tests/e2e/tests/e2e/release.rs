//! Release engineering (issue 13): the frontend image says which version it
//! is — its OCI labels, the describe and outline subrequests — and a spec of
//! a newer `version` names the image tag that reads it.

use e2e::lanes::Feature;
use e2e::matrix::{case, Case};
use e2e::{workdir, write_files, Engine};

use crate::subrequests::call;

/// The commit of the checkout the suite runs in.
fn head() -> String {
    e2e::serve::git(&e2e::repo(), &["rev-parse", "HEAD"])
}

pub fn the_frontend_image_carries_version_labels(engine: &Engine) {
    let config = engine.inspect(&engine.image);
    let labels = &config["Config"]["Labels"];
    assert_eq!(
        labels["org.opencontainers.image.version"],
        env!("CARGO_PKG_VERSION"),
        "{labels}"
    );
    assert_eq!(
        labels["org.opencontainers.image.revision"],
        head().as_str(),
        "{labels}"
    );
    assert_eq!(
        labels["org.opencontainers.image.title"], "stagecraft",
        "{labels}"
    );
}

pub fn a_newer_spec_version_names_the_image_tag_that_reads_it(engine: &Engine) {
    let dir = workdir("release-newer-version");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 2\nstages:\n  a:\n    from: scratch\n",
        )],
    );
    let repo = engine
        .image
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map_or(engine.image.as_str(), |(r, _)| r);
    engine
        .build(&dir, &["-f", "stagecraft.yaml", "."])
        .assert_failed()
        .assert_log_contains(
            "stagecraft.yaml:2:10: this frontend reads `version: 1`, not the newer `version: 2`",
        )
        .assert_log_contains(&format!("put `# syntax={repo}:2` on line 1"));
}

pub fn describe_and_outline_name_the_frontend(engine: &Engine) {
    let dir = workdir("release-describe");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n",
        )],
    );
    let wanted = serde_json::json!({
        "name": "stagecraft",
        "version": env!("CARGO_PKG_VERSION"),
        "revision": head(),
    });
    let outline = call(engine, &dir, "outline", "stagecraft.yaml");
    assert_eq!(outline["frontend"], wanted, "{outline}");
    // The describe answer is a JSON array: the first `[` of buildx's output
    // that starts one (progress lines have brackets too).
    let b = engine.build(
        &dir,
        &[
            "--call=subrequests.describe,format=json",
            "-f",
            "stagecraft.yaml",
            ".",
        ],
    );
    b.assert_ok();
    let describe: Vec<serde_json::Value> = b
        .log
        .match_indices('[')
        .find_map(|(i, _)| {
            serde_json::Deserializer::from_str(&b.log[i..])
                .into_iter::<Vec<serde_json::Value>>()
                .next()
                .and_then(Result::ok)
                .filter(|v| !v.is_empty())
        })
        .unwrap_or_else(|| panic!("no JSON array from --call=subrequests.describe:\n{}", b.log));
    let own = describe
        .iter()
        .find(|r| r["name"] == "frontend.subrequests.describe")
        .unwrap_or_else(|| panic!("no describe entry in {describe:?}"));
    assert_eq!(own["frontend"], wanted, "{describe:?}");
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "the_frontend_image_carries_version_labels",
            &[],
            the_frontend_image_carries_version_labels,
        ),
        case(
            "a_newer_spec_version_names_the_image_tag_that_reads_it",
            // The legacy client prints no spec errors' text (as for every spec error).
            &[Feature::Buildx],
            a_newer_spec_version_names_the_image_tag_that_reads_it,
        ),
        case(
            "describe_and_outline_name_the_frontend",
            &[Feature::Buildx, Feature::Call],
            describe_and_outline_name_the_frontend,
        ),
    ]
}
