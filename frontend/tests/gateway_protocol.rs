//! Protocol tests of the gateway session against the in-process fake
//! LLBBridge of [`fake_bridge`]: what BuildKit would see of a session.
//! Options go through `BuildOptions::from_env` and failures are returned the
//! way `main.rs` returns them (see `fake_bridge::session::serve`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    self as fpb, result::Result as ResultKind,
};
use bollard_buildkit_proto::pb;
use prost::Message;

mod fake_bridge;

use fake_bridge::*;

// ---------------------------------------------------------------- tests

const APP_SPEC: &str = "\
version: 1
stages:
  app:
    from: busybox
    env:
      GREETING: hello
    workdir: /srv
    user: \"1000\"
    steps:
      - copy: hello.txt
        to: /srv/
      - run: cat /srv/hello.txt
    image:
      entrypoint: [\"/bin/cat\"]
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_platform_returns_one_ref_with_config_and_pinned_sources() {
    let (outcome, rec) = build_with(Engine::new(APP_SPEC), &[]).await;
    outcome.unwrap();
    let solves = rec.solves();
    assert!(
        loads_only(solves[0].definition.as_ref().unwrap()),
        "the spec's local source first"
    );
    assert!(solves
        .iter()
        .all(|s| s.allow_result_return && s.allow_result_array_ref));
    // Files the frontend reads are built at once; the target is solved
    // unevaluated, as the Dockerfile frontend returns it, and built by
    // reading it (its failures about secrets, entitlements and paths are
    // worded here).
    let (target, reads) = solves.split_last().unwrap();
    assert!(reads.iter().all(|s| s.evaluate));
    assert!(!target.evaluate);

    let ret = rec.returned();
    assert!(ret.error.is_none());
    let result = ret.result.unwrap();
    assert_eq!(
        result.result,
        Some(ResultKind::Ref(fpb::Ref {
            id: format!("ref-{}", solves.len()),
            def: None
        }))
    );
    assert_eq!(platform_ids(&result), ["linux/amd64"]);

    let config = metadata_json(&result, "containerimage.config");
    assert_eq!(config["architecture"], "amd64");
    assert_eq!(config["os"], "linux");
    let env: Vec<&str> = config["config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(env.contains(&"PATH=/bin"), "inherited PATH in {env:?}");
    assert!(env.contains(&"GREETING=hello"), "stage env in {env:?}");
    assert_eq!(config["config"]["WorkingDir"], "/srv");
    assert_eq!(config["config"]["User"], "1000");
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/bin/cat"])
    );

    let target = sources(solves.last().unwrap().definition.as_ref().unwrap());
    let image = target
        .iter()
        .find(|s| s.identifier.starts_with("docker-image://"))
        .unwrap();
    let pinned = format!(
        "docker-image://docker.io/library/busybox:latest@{}",
        digest_of(b"docker.io/library/busybox:latest")
    );
    assert_eq!(image.identifier, pinned);
    let context = target
        .iter()
        .find(|s| s.identifier == "local://context")
        .unwrap();
    assert_eq!(
        context.attrs.get("local.session").map(String::as_str),
        Some(SESSION)
    );
    // The spec is read alongside the context's ignore file: find its solve.
    let spec_source = solves
        .iter()
        .flat_map(|s| sources(s.definition.as_ref().unwrap()))
        .find(|s| s.identifier == "local://dockerfile")
        .expect("the spec's local source is solved");
    assert_eq!(
        spec_source.attrs.get("local.session").map(String::as_str),
        Some(SESSION)
    );
}

#[tokio::test]
async fn without_refarray_the_result_is_a_deprecated_ref() {
    let engine = Engine {
        ref_array: false,
        ..Engine::new(APP_SPEC)
    };
    let (outcome, rec) = build_with(engine, &[]).await;
    outcome.unwrap();
    let solves = rec.solves();
    assert!(solves.iter().all(|s| !s.allow_result_array_ref));
    let result = rec.returned().result.unwrap();
    assert_eq!(
        result.result,
        Some(ResultKind::RefDeprecated(format!("ref-{}", solves.len())))
    );
    assert!(result.metadata.contains_key("containerimage.config"));
}

#[tokio::test]
async fn the_native_platform_comes_from_ping() {
    let engine = Engine {
        worker: ("linux", "arm64"),
        ..Engine::new(APP_SPEC)
    };
    let (outcome, rec) = build_with(engine, &[]).await;
    outcome.unwrap();
    let result = rec.returned().result.unwrap();
    assert_eq!(platform_ids(&result), ["linux/arm64"]);
    assert_eq!(
        metadata_json(&result, "containerimage.config")["architecture"],
        "arm64"
    );
}

#[tokio::test]
async fn multi_platform_returns_a_ref_and_a_config_per_platform() {
    let (outcome, rec) = build_with(
        Engine::new(APP_SPEC),
        &[("platform", "linux/amd64,linux/arm64")],
    )
    .await;
    outcome.unwrap();
    let solves = rec.solves();
    let result = rec.returned().result.unwrap();
    assert_eq!(platform_ids(&result), ["linux/amd64", "linux/arm64"]);
    assert!(
        !result.metadata.contains_key("containerimage.config"),
        "multi-platform configs are per platform"
    );
    let Some(ResultKind::Refs(refs)) = &result.result else {
        panic!("expected Refs, got {:?}", result.result)
    };
    assert_eq!(refs.refs.len(), 2);
    for arch in ["amd64", "arm64"] {
        let key = format!("linux/{arch}");
        assert_eq!(
            metadata_json(&result, &format!("containerimage.config/{key}"))["architecture"],
            arch
        );
        // The ref returned for a platform is the solve of that platform's definition.
        let id = &refs.refs[&key].id;
        let n: usize = id.strip_prefix("ref-").unwrap().parse().unwrap();
        let def = solves[n - 1].definition.as_ref().unwrap();
        let image = ops(def).into_iter().find(|o| matches!(&o.op, Some(pb::op::Op::Source(s)) if s.identifier.starts_with("docker-image://")));
        assert_eq!(
            image.unwrap().platform.unwrap().architecture,
            arch,
            "{key} → {id}"
        );
    }
    let mut resolved: Vec<String> = rec
        .log
        .lock()
        .unwrap()
        .resolves
        .iter()
        .map(|r| r.platform.clone().unwrap().architecture)
        .collect();
    resolved.sort();
    assert_eq!(resolved, ["amd64", "arm64"]);
}

#[tokio::test]
async fn a_bad_spec_returns_invalid_argument_with_its_source() {
    let spec = "version: 1\nstages:\n  app:\n    from: busybox\n    wat: 1\n";
    let (outcome, rec) = build_with(Engine::new(spec), &[]).await;
    assert!(outcome.is_err());
    assert!(
        rec.solves()
            .iter()
            .all(|s| loads_only(s.definition.as_ref().unwrap())),
        "only local files are loaded"
    );
    assert!(rec.log.lock().unwrap().resolves.is_empty());
    let ret = rec.returned();
    assert!(ret.result.is_none());
    let status = ret.error.unwrap();
    assert_eq!(status.code, 3);
    assert!(
        status.message.contains("stagecraft.yaml:5:5"),
        "{}",
        status.message
    );
    assert!(status.message.contains("wat"), "{}", status.message);
    let details = source_details(&status);
    assert_eq!(details.len(), 1);
    let info = details[0].info.as_ref().unwrap();
    assert_eq!(info.filename, SPEC_FILE);
    assert_eq!(info.data, spec.as_bytes());
    assert_eq!(start_line(&details[0]), 5);
}

/// A `run` of the target that fails is left to the engine: the target,
/// solved unevaluated, is returned, so the engine reports the failure from
/// the exporter's request (where `buildx debug` can open a shell).
#[tokio::test]
async fn a_failing_run_of_the_target_is_returned_unevaluated() {
    let spec = "\
version: 1
stages:
  app:
    from: busybox
    steps:
      - run: echo ok
      - run: \"false\"
";
    let engine = Engine {
        fail_exec: Some("false"),
        ..Engine::new(spec)
    };
    let (outcome, rec) = build_with(engine, &[]).await;
    outcome.unwrap();
    let solves = rec.solves();
    let lazy = solves.last().unwrap();
    assert!(!lazy.evaluate);
    assert!(
        exec_name(lazy.definition.as_ref().unwrap(), "false").is_some(),
        "the target, unevaluated"
    );
    let ret = rec.returned();
    assert!(ret.error.is_none());
    assert_eq!(
        ret.result.unwrap().result,
        Some(ResultKind::Ref(fpb::Ref {
            id: format!("ref-{}", solves.len()),
            def: None
        }))
    );
}

/// A failing `run` in a stage the target `needs` (solved by the frontend)
/// fails the build with the engine's status and the `run`'s YAML line.
#[tokio::test]
async fn a_failing_run_points_at_its_yaml_line() {
    let spec = "\
version: 1
stages:
  check:
    from: busybox
    steps:
      - run: echo ok
      - run: \"false\"
      - run: echo never
  app:
    from: busybox
    needs: [check]
";
    let engine = Engine {
        fail_exec: Some("false"),
        ..Engine::new(spec)
    };
    let (outcome, rec) = build_with(engine, &[]).await;
    let failure = outcome.unwrap_err();
    assert!(
        failure.engine_status.is_some(),
        "a failed solve passes the engine status through"
    );
    let status = rec.returned().error.unwrap();
    assert_eq!(status.code, tonic::Code::Unknown as i32);
    assert!(
        status.message.contains("did not complete successfully"),
        "{}",
        status.message
    );
    assert!(
        status
            .details
            .iter()
            .any(|d| d.type_url == "errdefs.Vertex+json"),
        "engine details are kept"
    );
    let details = source_details(&status);
    assert_eq!(
        details.len(),
        1,
        "{:?}",
        status
            .details
            .iter()
            .map(|d| &d.type_url)
            .collect::<Vec<_>>()
    );
    assert_eq!(details[0].info.as_ref().unwrap().filename, SPEC_FILE);
    // Not the line of another exec of the same definition.
    assert_eq!(start_line(&details[0]), line_of(spec, "run: \"false\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_images_are_resolved_concurrently() {
    let spec = "\
version: 1
stages:
  a:
    from: alpine
  b:
    from: debian
  app:
    from: busybox
    needs: [a, b]
";
    let (outcome, rec) = build_with(Engine::new(spec), &[]).await;
    outcome.unwrap();
    let mut refs: Vec<String> = rec
        .log
        .lock()
        .unwrap()
        .resolves
        .iter()
        .map(|r| r.r#ref.clone())
        .collect();
    refs.sort();
    assert_eq!(
        refs,
        [
            "docker.io/library/alpine:latest",
            "docker.io/library/busybox:latest",
            "docker.io/library/debian:latest"
        ]
    );
    assert!(rec
        .log
        .lock()
        .unwrap()
        .resolves
        .iter()
        .all(|r| r.session_id == SESSION));
    let max = rec.max_in_flight.load(Ordering::SeqCst);
    assert!(
        max >= 2,
        "at most {max} ResolveImageConfig call(s) were in flight at once"
    );
}

#[tokio::test]
async fn cache_imports_are_forwarded_when_the_engine_supports_them() {
    let opts = [(
        "cache-imports",
        r#"[{"Type":"registry","Attrs":{"ref":"r/x"}}]"#,
    )];
    let want = fpb::CacheOptionsEntry {
        r#type: "registry".into(),
        attrs: HashMap::from([("ref".into(), "r/x".into())]),
    };

    let (outcome, rec) = build_with(Engine::new(APP_SPEC), &opts).await;
    outcome.unwrap();
    let solves = rec.solves();
    assert!(solves.len() >= 2, "the spec, then the target");
    assert!(
        solves.iter().all(|s| s.cache_imports == [want.clone()]),
        "{:?}",
        solves.iter().map(|s| &s.cache_imports).collect::<Vec<_>>()
    );

    let (outcome, rec) = build_with(
        Engine {
            import_caches: false,
            ..Engine::new(APP_SPEC)
        },
        &opts,
    )
    .await;
    outcome.unwrap();
    assert!(
        rec.solves().iter().all(|s| s.cache_imports.is_empty()),
        "not forwarded without the `importcaches` cap"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_build_sends_the_same_bytes() {
    let spec = "\
version: 1
stages:
  tools:
    from: alpine
    steps:
      - run: echo tool > /tool
  app:
    from: busybox
    env: { A: \"1\", B: \"2\" }
    steps:
      - copy: .
        to: /src/
      - run: make
    artifacts:
      - { from: tools, path: /tool, to: /usr/bin/tool }
";
    let run = || async {
        let (outcome, rec) = build_with(
            Engine::new(spec),
            &[("platform", "linux/amd64,linux/arm64")],
        )
        .await;
        outcome.unwrap();
        let mut defs: Vec<Vec<u8>> = rec
            .solves()
            .iter()
            .map(|s| s.definition.as_ref().unwrap().encode_to_vec())
            .collect();
        defs.sort();
        let meta: BTreeMap<String, Vec<u8>> = rec
            .returned()
            .result
            .unwrap()
            .metadata
            .into_iter()
            .collect();
        (defs, meta)
    };
    let (defs1, meta1) = run().await;
    let (defs2, meta2) = run().await;
    assert_eq!(
        defs1
            .iter()
            .filter(|d| !loads_only(&pb::Definition::decode(d.as_slice()).unwrap()))
            .count(),
        2,
        "one target per platform"
    );
    assert!(
        defs1 == defs2,
        "definitions differ between two identical builds"
    );
    assert_eq!(meta1, meta2);
}

#[tokio::test]
async fn a_missing_engine_feature_is_named_with_its_yaml_line() {
    let spec = "\
version: 1
stages:
  app:
    from: busybox
    steps:
      - run: echo ok
      - run: echo \"$TOKEN\"
        secrets: [{ id: token, env: TOKEN }]
";
    let engine = Engine {
        missing_llb_caps: vec!["exec.secretenv"],
        ..Engine::new(spec)
    };
    let (outcome, rec) = build_with(engine, &[]).await;
    assert!(outcome.is_err());
    let status = rec.returned().error.unwrap();
    assert!(
        status.message.contains("exec.secretenv"),
        "{}",
        status.message
    );
    assert!(
        status
            .message
            .contains("secrets exposed as environment variables"),
        "{}",
        status.message
    );
    assert!(
        status.message.contains("stagecraft.yaml:7"),
        "{}",
        status.message
    );
    assert_eq!(start_line(&source_details(&status)[0]), 7);
}

#[tokio::test]
async fn spec_warnings_reach_the_engine_with_their_yaml_range() {
    let spec = "version: 1\nargs:\n  NPM_TOKEN: \"\"\nstages:\n  app:\n    from: busybox\n";
    let (outcome, rec) = build_with(Engine::new(spec), &[]).await;
    outcome.unwrap();
    let warns = rec.warns();
    assert_eq!(warns.len(), 1, "one warning");
    let w = &warns[0];
    let short = String::from_utf8_lossy(&w.short).into_owned();
    assert!(
        short.starts_with("secrets-used-in-arg-or-env: `NPM_TOKEN` looks like a secret"),
        "{short}"
    );
    assert_eq!(w.level, 1);
    assert!(String::from_utf8_lossy(&w.detail[0]).contains("secret mount"));
    let info = w.info.as_ref().unwrap();
    assert_eq!(info.filename, SPEC_FILE);
    assert_eq!(info.data, spec.as_bytes());
    let range = &w.ranges[0];
    assert_eq!(
        range.start.as_ref().unwrap().line,
        line_of(spec, "NPM_TOKEN")
    );
    assert!(
        rec.returned().error.is_none(),
        "a warning does not fail the build"
    );
}

#[tokio::test]
async fn without_the_warnings_cap_no_warning_is_sent_and_the_build_goes_on() {
    let spec = "version: 1\nargs:\n  NPM_TOKEN: \"\"\nstages:\n  app:\n    from: busybox\n";
    let engine = Engine {
        warnings: false,
        ..Engine::new(spec)
    };
    let (outcome, rec) = build_with(engine, &[]).await;
    outcome.unwrap();
    assert!(rec.warns().is_empty());
    assert!(rec.returned().error.is_none());
}

#[tokio::test]
async fn pull_resolves_and_pins_base_images_in_pull_mode() {
    let (outcome, rec) = build_with(Engine::new(APP_SPEC), &[("image-resolve-mode", "pull")]).await;
    outcome.unwrap();
    let resolves = rec.log.lock().unwrap().resolves.clone();
    assert!(!resolves.is_empty());
    assert!(
        resolves.iter().all(|r| r.resolve_mode == "pull"),
        "{resolves:?}"
    );
    let last = rec.solves().last().unwrap().definition.clone().unwrap();
    let images: Vec<_> = sources(&last)
        .into_iter()
        .filter(|s| s.identifier.starts_with("docker-image://"))
        .collect();
    assert!(!images.is_empty());
    for s in images {
        assert_eq!(
            s.attrs.get("image.resolvemode").map(String::as_str),
            Some("pull"),
            "{s:?}"
        );
    }
}

#[tokio::test]
async fn options_not_honoured_are_warned_about_by_name() {
    let (outcome, rec) = build_with(
        Engine::new(APP_SPEC),
        &[
            ("build-arg:BUILDKIT_NOT_A_THING", "1"),
            ("brand-new-key", "x"),
        ],
    )
    .await;
    outcome.unwrap();
    let warns: Vec<String> = rec
        .warns()
        .iter()
        .map(|w| String::from_utf8_lossy(&w.short).into_owned())
        .collect();
    assert!(
        warns
            .iter()
            .any(|w| w.starts_with("--build-arg BUILDKIT_NOT_A_THING is ignored")),
        "{warns:?}"
    );
    assert!(
        warns
            .iter()
            .any(|w| w.contains("`brand-new-key`") && w.contains("is ignored")),
        "{warns:?}"
    );
}

/// buildx sends an unknown `--build-context` value as a local path; other
/// clients (`buildctl --opt context:base=…`) may send anything.
#[tokio::test]
async fn a_context_of_unknown_kind_fails_at_the_from_that_uses_it() {
    let spec = "version: 1\nstages:\n  app:\n    from: base\n";
    let (outcome, rec) = build_with(
        Engine::new(spec),
        &[("context:base", "ftp://example.com/b.tar")],
    )
    .await;
    assert!(outcome.is_err());
    let status = rec.returned().error.unwrap();
    assert!(
        status
            .message
            .contains("stagecraft.yaml:4:11: build context `base=ftp://example.com/b.tar` is not supported yet"),
        "{}",
        status.message
    );
}

/// An `input:` context with no such frontend input fails at its use; with
/// no `frontend.inputs` cap, the build fails naming the context.
#[tokio::test]
async fn an_input_context_the_client_did_not_pass_is_named() {
    let spec = "version: 1\nstages:\n  app:\n    from: base\n";
    let (outcome, rec) = build_with(Engine::new(spec), &[("context:base", "input:0-base")]).await;
    assert!(outcome.is_err());
    let message = rec.returned().error.unwrap().message;
    assert!(
        message.contains("frontend inputs") || message.contains("did not pass"),
        "{message}"
    );
}

/// `contextsubdir` scopes a git or URL context; with the client's local
/// directory it is refused by name, not ignored.
#[tokio::test]
async fn contextsubdir_with_a_local_context_is_refused_by_name() {
    let (outcome, rec) = build_with(Engine::new(APP_SPEC), &[("contextsubdir", "sub")]).await;
    assert!(outcome.is_err());
    let message = rec.returned().error.unwrap().message;
    assert!(
        message.starts_with("contextsubdir=sub applies to a git"),
        "{message}"
    );
}

#[tokio::test]
async fn multi_platform_true_returns_one_platform_as_a_map() {
    let (outcome, rec) = build_with(
        Engine::new(APP_SPEC),
        &[("build-arg:BUILDKIT_MULTI_PLATFORM", "1")],
    )
    .await;
    outcome.unwrap();
    let result = rec.returned().result.unwrap();
    match result.result {
        Some(ResultKind::Refs(map)) => {
            assert_eq!(map.refs.keys().collect::<Vec<_>>(), ["linux/amd64"]);
        }
        other => panic!("expected a map of refs, got {other:?}"),
    }
    assert!(result
        .metadata
        .contains_key("containerimage.config/linux/amd64"));
}

#[tokio::test]
async fn multi_platform_false_refuses_two_platforms_naming_the_option() {
    let (outcome, _) = build_with(
        Engine::new(APP_SPEC),
        &[
            ("platform", "linux/amd64,linux/arm64"),
            ("multi-platform", "false"),
        ],
    )
    .await;
    let e = outcome.unwrap_err();
    assert!(e.message.contains("multi-platform"), "{}", e.message);
}

#[tokio::test]
async fn ulimit_on_an_engine_without_the_cap_fails_naming_the_option() {
    let engine = Engine {
        missing_llb_caps: vec!["exec.meta.ulimit"],
        ..Engine::new(APP_SPEC)
    };
    let (outcome, _) = build_with(engine, &[("ulimit", "nofile=1024")]).await;
    let e = outcome.unwrap_err();
    assert!(e.message.contains("`--ulimit`"), "{}", e.message);
    assert!(e.message.contains("exec.meta.ulimit"), "{}", e.message);
}
