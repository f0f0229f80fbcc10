//! Typed arguments (language 1.1): `type` (`string`, `bool`, `int`),
//! `choices` and `required`, through `docker buildx build`: values reach
//! `run` steps as the strings given; a `--build-arg` value of the wrong type
//! or outside the choices, and a required argument left out, fail the build
//! at the declaration's line, naming the option; `--call=outline` shows the
//! type, choices and requiredness.

use e2e::{case, workdir, write_files, Case, Engine, Feature};

const SPEC: &str = r#"# syntax=stagecraft:dev
version: 1
args:
  VERSION: { required: true, description: release version }
  DEBUG: { type: bool, default: false }
  JOBS: { type: int, default: 4, description: parallel jobs }
  MODE: { choices: [dev, prod], default: prod }
stages:
  app:
    from: busybox
    steps:
      - run: mkdir -p /out && echo "$VERSION $DEBUG $JOBS $MODE" > /out/values
"#;

pub fn typed_arguments_reach_run_as_given_and_bad_values_fail_at_their_declaration(
    engine: &Engine,
) {
    let dir = workdir("typed-args");
    write_files(&dir, engine, &[("stagecraft.yaml", SPEC)]);
    let (b, out) = engine.export(
        &dir,
        &[
            "--build-arg",
            "VERSION=2.0.1",
            "--build-arg",
            "DEBUG=true",
            "--build-arg",
            "JOBS=-1",
        ],
    );
    b.assert_ok();
    assert_eq!(
        std::fs::read_to_string(out.join("out/values")).unwrap(),
        "2.0.1 true -1 prod\n"
    );

    let missing = engine.export(&dir, &[]).0;
    missing
        .assert_failed()
        .assert_log_contains(
            "stagecraft.yaml:4:3: `VERSION` is required: the build gave it no value",
        )
        .assert_log_contains("pass `--build-arg VERSION=…` to `docker buildx build`");
    // The legacy client (Docker 20.10) prints no source excerpt.
    if !engine.is_legacy() {
        missing.assert_log_contains(">>>   VERSION: { required: true");
    }
    engine
        .export(
            &dir,
            &["--build-arg", "VERSION=1", "--build-arg", "JOBS=many"],
        )
        .0
        .assert_failed()
        .assert_log_contains(
            "stagecraft.yaml:6:3: `--build-arg JOBS=many`: `many` is not a value of `JOBS`",
        )
        .assert_log_contains("an `int` argument is a decimal integer");
    engine
        .export(
            &dir,
            &["--build-arg", "VERSION=1", "--build-arg", "DEBUG=yes"],
        )
        .0
        .assert_failed()
        .assert_log_contains("`--build-arg DEBUG=yes`: `yes` is not a value of `DEBUG`")
        .assert_log_contains("a `bool` argument is `true` or `false`");
    engine
        .export(
            &dir,
            &["--build-arg", "VERSION=1", "--build-arg", "MODE=test"],
        )
        .0
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:7:3: `--build-arg MODE=test`")
        .assert_log_contains("the argument is one of `dev`, `prod`");

    // A default that is not a value of its argument is refused where written.
    let bad = workdir("typed-args-default");
    write_files(
        &bad,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nargs:\n  JOBS: { type: int, default: four }\nstages:\n  a:\n    from: busybox\n",
        )],
    );
    engine
        .export(&bad, &[])
        .0
        .assert_failed()
        .assert_log_contains("stagecraft.yaml:4:31: the default `four` is not a value of `JOBS`");
}

/// `--call=outline`: the type, choices and requiredness in each argument's
/// description, and as the fields `type`, `choices`, `required` of its JSON.
pub fn outline_shows_argument_types_choices_and_requiredness(engine: &Engine) {
    let dir = workdir("typed-args-outline");
    write_files(&dir, engine, &[("stagecraft.yaml", SPEC)]);
    let json = crate::subrequests::call(engine, &dir, "outline", "stagecraft.yaml");
    let arg = |name: &str| {
        json["args"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {json:#}"))
    };
    assert_eq!(arg("VERSION")["required"], true, "{json:#}");
    assert_eq!(arg("VERSION")["description"], "release version (required)");
    assert_eq!(arg("DEBUG")["type"], "bool");
    assert_eq!(arg("JOBS")["type"], "int");
    assert_eq!(arg("JOBS")["description"], "parallel jobs (int)");
    assert_eq!(arg("MODE")["choices"], serde_json::json!(["dev", "prod"]));
    assert_eq!(arg("MODE")["description"], "(one of: dev, prod)");
    assert!(arg("MODE").get("type").is_none(), "a string is not marked");

    let text = engine.build(&dir, &["--call=outline", "-f", "stagecraft.yaml", "."]);
    text.assert_ok()
        .assert_log_contains("parallel jobs (int)")
        .assert_log_contains("(one of: dev, prod)");
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "typed_arguments_reach_run_as_given_and_bad_values_fail_at_their_declaration",
            &[],
            typed_arguments_reach_run_as_given_and_bad_values_fail_at_their_declaration,
        ),
        case(
            "outline_shows_argument_types_choices_and_requiredness",
            &[Feature::Buildx, Feature::Call],
            outline_shows_argument_types_choices_and_requiredness,
        ),
    ]
}
