//! `stagecraft convert` on the Dockerfiles in `fixtures/dockerfiles/`:
//! `NAME.Dockerfile` → a snapshot of the converted spec, which must be a
//! valid spec (`spec::parse` finds no error) and the same bytes twice;
//! `NAME.error.Dockerfile` → a snapshot of the error, naming its line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use stagecraft::diag::SourceFile;
use stagecraft::dockerfile::{convert, ConvertOptions};

fn opts() -> ConvertOptions {
    ConvertOptions {
        syntax: "stagecraft:dev".to_owned(),
        source_name: "Dockerfile".to_owned(),
        lenient: false,
    }
}

#[test]
fn dockerfiles_convert_to_valid_specs() {
    insta::glob!("fixtures/dockerfiles/*.Dockerfile", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".error.Dockerfile") {
            let e = convert(&text, &opts()).expect_err("an error");
            insta::assert_snapshot!(format!("Dockerfile:{}: {}", e.line, e.message));
            return;
        }
        let spec =
            convert(&text, &opts()).unwrap_or_else(|e| panic!("{name}:{}: {}", e.line, e.message));
        assert_eq!(convert(&text, &opts()).unwrap(), spec, "deterministic");
        if let Err(d) = stagecraft::spec::parse(SourceFile::new("stagecraft.yaml", spec.clone())) {
            let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
            assert!(
                errors.is_empty(),
                "{name}: the converted spec has errors: {errors:?}\n{spec}"
            );
        }
        insta::assert_snapshot!(spec);
    });
}

/// `--lenient`: each refused instruction of the error fixtures becomes a
/// `# TODO` comment with its line, counted, and the rest is a valid spec.
#[test]
fn lenient_conversions_leave_todos_and_valid_specs() {
    insta::glob!("fixtures/dockerfiles/*.error.Dockerfile", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let strict = convert(&text, &opts()).expect_err("an error");
        let lenient = ConvertOptions {
            lenient: true,
            ..opts()
        };
        let converted = stagecraft::dockerfile::convert_counted(&text, &lenient)
            .unwrap_or_else(|e| panic!("{name}:{}: {}", e.line, e.message));
        assert!(converted.todo >= 1, "{name}");
        assert!(
            converted.spec.contains(&format!(
                "# TODO(stagecraft convert): not converted: {}",
                strict.message
            )),
            "{name}: the first refusal is a TODO:\n{}",
            converted.spec
        );
        if let Err(d) =
            stagecraft::spec::parse(SourceFile::new("stagecraft.yaml", converted.spec.clone()))
        {
            let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
            assert!(errors.is_empty(), "{name}: {errors:?}\n{}", converted.spec);
        }
        insta::assert_snapshot!(converted.spec);
    });
}

/// Every Dockerfile of the differential suite (`tests/e2e/differential/*/`,
/// which the engine suite builds both ways and compares): a snapshot of its
/// conversion, or of the error it is refused with, so that a change to the
/// converter shows here without an engine. The suite's server placeholders
/// (`{http}`, `{git}`) get fixed URLs.
#[test]
fn differential_dockerfiles_convert_as_snapshotted() {
    let suite = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/e2e/differential");
    insta::glob!(suite, "*/Dockerfile", |path| {
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace("{http}", "http://127.0.0.1:8000")
            .replace("{git}", "git://127.0.0.1:9418/repo.git");
        match convert(&text, &opts()) {
            Ok(spec) => {
                assert_eq!(convert(&text, &opts()).unwrap(), spec, "deterministic");
                insta::assert_snapshot!(spec);
            }
            Err(e) => insta::assert_snapshot!(format!("Dockerfile:{}: {}", e.line, e.message)),
        }
    });
}
