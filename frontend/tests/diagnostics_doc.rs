//! `docs/diagnostics.md` holds, between two marker lines, the text generated
//! from the registry of codes (`stagecraft::diag::codes::markdown`). This test
//! fails when that text is stale; `STAGECRAFT_UPDATE_DOCS=1 cargo test -p
//! stagecraft --test diagnostics_doc` rewrites it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

const BEGIN: &str = "<!-- BEGIN GENERATED from frontend/src/diag/codes.rs: edit there, then run STAGECRAFT_UPDATE_DOCS=1 cargo test -p stagecraft --test diagnostics_doc -->";
const END: &str = "<!-- END GENERATED -->";

#[test]
fn docs_diagnostics_md_is_generated_from_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find(BEGIN).expect("the BEGIN marker") + BEGIN.len();
    let end = text.find(END).expect("the END marker");
    let fresh = format!("\n\n{}\n", stagecraft::diag::codes::markdown());
    if text.get(start..end) == Some(fresh.as_str()) {
        return;
    }
    if std::env::var_os("STAGECRAFT_UPDATE_DOCS").is_some() {
        let updated = format!("{}{fresh}{}", &text[..start], &text[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "docs/diagnostics.md is stale: run STAGECRAFT_UPDATE_DOCS=1 cargo test -p stagecraft --test diagnostics_doc"
    );
}
