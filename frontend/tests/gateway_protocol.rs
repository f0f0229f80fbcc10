//! Protocol tests of the gateway session against an in-process fake LLBBridge.
//!
//! The fake serves `LlbBridgeServer` over one end of a `tokio::io::duplex`
//! pipe and the frontend connects to the other end with
//! `transport::channel_over`, as it does over stdio in production. The fake
//! answers `Ping` with configurable caps, solves every definition to `ref-N`,
//! serves the spec from the spec's local source, resolves every image to a
//! busybox-like config, and records what it receives so the tests can assert
//! on what BuildKit would see.
//!
//! It is not an engine: nothing is built, and the calls the frontend should
//! not make answer `Unimplemented`. Options go through `BuildOptions::from_env`
//! and failures are returned the way `main.rs` returns them (see [`serve`]).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard_buildkit_proto::google::protobuf::Any;
use bollard_buildkit_proto::google::rpc::Status as RpcStatus;
use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    self as fpb,
    llb_bridge_server::{LlbBridge, LlbBridgeServer},
    result::Result as ResultKind,
};
use bollard_buildkit_proto::moby::buildkit::v1::types::WorkerRecord;
use bollard_buildkit_proto::pb;
use prost::Message;
use sha2::{Digest, Sha256};
use stagecraft::build::{self, BuildFailure};
use stagecraft::gateway::error::{ErrdefsSource, ERRDEFS_SOURCE_TYPE_URL};
use stagecraft::gateway::{transport, Gateway};
use tonic::{Request, Response, Status};

const SESSION: &str = "sess-0123";
const SPEC_FILE: &str = "stagecraft.yaml";
const BUSYBOX_CONFIG: &str = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/"}}"#;

// ---------------------------------------------------------------- the fake

/// What the fake engine supports and serves.
#[derive(Clone)]
struct Engine {
    spec: String,
    ref_array: bool,
    import_caches: bool,
    merge_op: bool,
    worker: (&'static str, &'static str),
    /// Fail solves holding an exec whose last argument is this, as a failing `run` does.
    fail_exec: Option<&'static str>,
    /// LLB caps this engine lacks (it announces every other cap of [`ENGINE_LLB_CAPS`]).
    missing_llb_caps: Vec<&'static str>,
}

/// The LLB caps a current engine announces (besides `mergeop`).
const ENGINE_LLB_CAPS: &[&str] = &[
    "constraints",
    "platform",
    "meta.description",
    "meta.ignorecache",
    "file.base",
    "file.copy.includeexcludepatterns",
    "source.image",
    "source.local",
    "source.local.sessionid",
    "source.local.sharedkeyhint",
    "source.local.includepatterns",
    "source.local.excludepatterns",
    "source.local.followpaths",
    "source.git",
    "source.git.fullurl",
    "source.git.keepgitdir",
    "source.http",
    "source.http.checksum",
    "exec.meta.base",
    "exec.meta.network",
    "exec.meta.security",
    "exec.mount.bind",
    "exec.mount.selector",
    "exec.mount.cache",
    "exec.mount.cache.sharing",
    "exec.mount.tmpfs",
    "exec.mount.tmpfs.size",
    "exec.mount.secret",
    "exec.mount.ssh",
    "exec.secretenv",
];

impl Engine {
    fn new(spec: &str) -> Self {
        Self {
            spec: spec.to_owned(),
            ref_array: true,
            import_caches: true,
            merge_op: true,
            worker: ("linux", "amd64"),
            fail_exec: None,
            missing_llb_caps: Vec::new(),
        }
    }
}

/// What the fake received.
#[derive(Default)]
struct Log {
    /// Solve `i` was answered with `ref-{i+1}` (unless it failed).
    solves: Vec<fpb::SolveRequest>,
    resolves: Vec<fpb::ResolveImageConfigRequest>,
    returns: Vec<fpb::ReturnRequest>,
}

#[derive(Default)]
struct Recorder {
    log: Mutex<Log>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Recorder {
    fn solves(&self) -> Vec<fpb::SolveRequest> {
        self.log.lock().unwrap().solves.clone()
    }

    /// The one `Return` of the session.
    fn returned(&self) -> fpb::ReturnRequest {
        let log = self.log.lock().unwrap();
        assert_eq!(log.returns.len(), 1, "expected exactly one Return");
        log.returns[0].clone()
    }
}

struct Fake {
    engine: Engine,
    rec: Arc<Recorder>,
}

fn caps(ids: &[(&str, bool)]) -> Vec<ApiCap> {
    ids.iter()
        .filter(|(_, on)| *on)
        .map(|(id, _)| ApiCap {
            id: (*id).to_owned(),
            enabled: true,
            ..Default::default()
        })
        .collect()
}

fn unimplemented<T>(call: &str) -> Result<Response<T>, Status> {
    Err(Status::unimplemented(format!(
        "the fake engine does not implement {call}"
    )))
}

fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).unwrap())
        .collect()
}

fn sources(def: &pb::Definition) -> Vec<pb::SourceOp> {
    ops(def)
        .into_iter()
        .filter_map(|o| match o.op {
            Some(pb::op::Op::Source(s)) => Some(s),
            _ => None,
        })
        .collect()
}

/// Whether `def` only loads local files (the spec, an ignore file): no image, no exec.
fn loads_only(def: &pb::Definition) -> bool {
    ops(def).iter().all(|o| match &o.op {
        Some(pb::op::Op::Source(s)) => s.identifier.starts_with("local://"),
        None => true,
        Some(_) => false,
    })
}

/// The progress name of the exec in `def` whose last argument is `arg`.
fn exec_name(def: &pb::Definition, arg: &str) -> Option<String> {
    def.def
        .iter()
        .find_map(|bytes| match pb::Op::decode(bytes.as_slice()).ok()?.op {
            Some(pb::op::Op::Exec(e))
                if e.meta
                    .as_ref()
                    .and_then(|m| m.args.last())
                    .is_some_and(|a| a == arg) =>
            {
                def.metadata
                    .get(&digest_of(bytes))?
                    .description
                    .get("llb.customname")
                    .cloned()
            }
            _ => None,
        })
}

/// The status BuildKit sends for a failing exec: the vertex (under a digest
/// the frontend does not know, as when the engine re-encodes ops) and the op's name.
fn failed_exec_status(name: &str) -> Status {
    let json = |type_url: &str, v: serde_json::Value| Any {
        type_url: type_url.to_owned(),
        value: v.to_string().into_bytes(),
    };
    let message = r#"process "/bin/sh -c false" did not complete successfully: exit code: 1"#;
    let detail = RpcStatus {
        code: tonic::Code::Unknown as i32,
        message: message.to_owned(),
        details: vec![
            json(
                "errdefs.Vertex+json",
                serde_json::json!({ "digest": format!("sha256:{}", "0".repeat(64)) }),
            ),
            json(
                "errdefs.Solve+json",
                serde_json::json!({ "description": { "llb.customname": name } }),
            ),
        ],
    };
    Status::with_details(tonic::Code::Unknown, message, detail.encode_to_vec().into())
}

#[tonic::async_trait]
impl LlbBridge for Fake {
    async fn ping(
        &self,
        _: Request<fpb::PingRequest>,
    ) -> Result<Response<fpb::PongResponse>, Status> {
        let e = &self.engine;
        let (os, architecture) = e.worker;
        Ok(Response::new(fpb::PongResponse {
            frontend_api_caps: caps(&[
                ("solve.base", true),
                ("readfile", true),
                ("resolveimage", true),
                ("returnmap", true),
                ("proto.refarray", e.ref_array),
                ("importcaches", e.import_caches),
            ]),
            llb_caps: {
                let mut list: Vec<(&str, bool)> = ENGINE_LLB_CAPS
                    .iter()
                    .map(|c| (*c, !e.missing_llb_caps.contains(c)))
                    .collect();
                list.push(("mergeop", e.merge_op));
                caps(&list)
            },
            workers: vec![WorkerRecord {
                id: "worker-0".to_owned(),
                platforms: vec![pb::Platform {
                    os: os.to_owned(),
                    architecture: architecture.to_owned(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }))
    }

    async fn solve(
        &self,
        req: Request<fpb::SolveRequest>,
    ) -> Result<Response<fpb::SolveResponse>, Status> {
        let req = req.into_inner();
        let def = req.definition.clone().unwrap_or_default();
        let id = {
            let mut log = self.rec.log.lock().unwrap();
            log.solves.push(req.clone());
            format!("ref-{}", log.solves.len())
        };
        if let Some(arg) = self.engine.fail_exec {
            if let Some(name) = exec_name(&def, arg) {
                return Err(failed_exec_status(&name));
            }
        }
        // As BuildKit's forwarder: a Result when the client allows it, in the
        // array-ref form only when the client asked for it.
        let resp = if req.allow_result_return {
            let kind = if req.allow_result_array_ref {
                ResultKind::Ref(fpb::Ref { id, def: None })
            } else {
                ResultKind::RefDeprecated(id)
            };
            fpb::SolveResponse {
                result: Some(fpb::Result {
                    result: Some(kind),
                    ..Default::default()
                }),
                ..Default::default()
            }
        } else {
            fpb::SolveResponse {
                r#ref: id,
                ..Default::default()
            }
        };
        Ok(Response::new(resp))
    }

    async fn read_file(
        &self,
        req: Request<fpb::ReadFileRequest>,
    ) -> Result<Response<fpb::ReadFileResponse>, Status> {
        let req = req.into_inner();
        // Only the result of solving the spec's local source holds the spec.
        let is_spec_source = {
            let log = self.rec.log.lock().unwrap();
            let n: Option<usize> = req.r#ref.strip_prefix("ref-").and_then(|n| n.parse().ok());
            n.and_then(|n| log.solves.get(n.wrapping_sub(1)))
                .and_then(|s| s.definition.as_ref())
                .is_some_and(|d| {
                    sources(d)
                        .iter()
                        .any(|s| s.identifier == "local://dockerfile")
                })
        };
        if is_spec_source && req.file_path == SPEC_FILE {
            Ok(Response::new(fpb::ReadFileResponse {
                data: self.engine.spec.clone().into_bytes(),
            }))
        } else {
            Err(Status::not_found(format!(
                "{}: no such file in {}",
                req.file_path, req.r#ref
            )))
        }
    }

    async fn resolve_image_config(
        &self,
        req: Request<fpb::ResolveImageConfigRequest>,
    ) -> Result<Response<fpb::ResolveImageConfigResponse>, Status> {
        let req = req.into_inner();
        self.rec.log.lock().unwrap().resolves.push(req.clone());
        let now = self.rec.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.rec.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.rec.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(Response::new(fpb::ResolveImageConfigResponse {
            digest: digest_of(req.r#ref.as_bytes()),
            config: BUSYBOX_CONFIG.as_bytes().to_vec(),
            r#ref: req.r#ref,
        }))
    }

    async fn r#return(
        &self,
        req: Request<fpb::ReturnRequest>,
    ) -> Result<Response<fpb::ReturnResponse>, Status> {
        self.rec.log.lock().unwrap().returns.push(req.into_inner());
        Ok(Response::new(fpb::ReturnResponse {}))
    }

    async fn resolve_source_meta(
        &self,
        _: Request<fpb::ResolveSourceMetaRequest>,
    ) -> Result<Response<fpb::ResolveSourceMetaResponse>, Status> {
        unimplemented("ResolveSourceMeta")
    }

    async fn read_dir(
        &self,
        _: Request<fpb::ReadDirRequest>,
    ) -> Result<Response<fpb::ReadDirResponse>, Status> {
        unimplemented("ReadDir")
    }

    async fn stat_file(
        &self,
        _: Request<fpb::StatFileRequest>,
    ) -> Result<Response<fpb::StatFileResponse>, Status> {
        unimplemented("StatFile")
    }

    async fn evaluate(
        &self,
        _: Request<fpb::EvaluateRequest>,
    ) -> Result<Response<fpb::EvaluateResponse>, Status> {
        unimplemented("Evaluate")
    }

    async fn inputs(
        &self,
        _: Request<fpb::InputsRequest>,
    ) -> Result<Response<fpb::InputsResponse>, Status> {
        unimplemented("Inputs")
    }

    async fn new_container(
        &self,
        _: Request<fpb::NewContainerRequest>,
    ) -> Result<Response<fpb::NewContainerResponse>, Status> {
        unimplemented("NewContainer")
    }

    async fn release_container(
        &self,
        _: Request<fpb::ReleaseContainerRequest>,
    ) -> Result<Response<fpb::ReleaseContainerResponse>, Status> {
        unimplemented("ReleaseContainer")
    }

    type ExecProcessStream = tokio_stream::Empty<Result<fpb::ExecMessage, Status>>;

    async fn exec_process(
        &self,
        _: Request<tonic::Streaming<fpb::ExecMessage>>,
    ) -> Result<Response<Self::ExecProcessStream>, Status> {
        unimplemented("ExecProcess")
    }

    async fn read_file_container(
        &self,
        _: Request<fpb::ReadFileRequest>,
    ) -> Result<Response<fpb::ReadFileResponse>, Status> {
        unimplemented("ReadFileContainer")
    }

    async fn read_dir_container(
        &self,
        _: Request<fpb::ReadDirRequest>,
    ) -> Result<Response<fpb::ReadDirResponse>, Status> {
        unimplemented("ReadDirContainer")
    }

    async fn stat_file_container(
        &self,
        _: Request<fpb::StatFileRequest>,
    ) -> Result<Response<fpb::StatFileResponse>, Status> {
        unimplemented("StatFileContainer")
    }

    async fn warn(
        &self,
        _: Request<fpb::WarnRequest>,
    ) -> Result<Response<fpb::WarnResponse>, Status> {
        unimplemented("Warn")
    }
}

// ---------------------------------------------------------------- the session

/// Serves a fake engine on one end of an in-memory pipe and connects a gateway to the other.
async fn connect(engine: Engine) -> (Gateway, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let (client_end, server_end) = tokio::io::duplex(1 << 20);
    let svc = LlbBridgeServer::new(Fake {
        engine,
        rec: Arc::clone(&rec),
    });
    tokio::spawn(
        tonic::transport::Server::builder()
            .serve_with_incoming(svc, tokio_stream::once(Ok::<_, std::io::Error>(server_end))),
    );
    let channel = transport::channel_over(client_end).await.unwrap();
    (Gateway::connect(channel).await.unwrap(), rec)
}

/// One frontend session as `main.rs` runs it: options from the environment
/// (numbered in reverse, the order must not matter), then the build, then on
/// failure the status returned to the engine.
async fn serve(gw: &mut Gateway, opts: &[(&str, &str)]) -> Result<(), BuildFailure> {
    let mut env: BTreeMap<String, String> = opts
        .iter()
        .rev()
        .enumerate()
        .map(|(i, (k, v))| (format!("BUILDKIT_FRONTEND_OPT_{i}"), format!("{k}={v}")))
        .collect();
    env.insert(
        "BUILDKIT_FRONTEND_OPT_99".into(),
        format!("filename={SPEC_FILE}"),
    );
    env.insert("BUILDKIT_SESSION_ID".into(), SESSION.into());
    build::serve(gw, &env).await.unwrap()
}

/// Runs one frontend session against a fresh fake engine.
async fn build_with(
    engine: Engine,
    opts: &[(&str, &str)],
) -> (Result<(), BuildFailure>, Arc<Recorder>) {
    let (mut gw, rec) = connect(engine).await;
    let outcome = serve(&mut gw, opts).await;
    (outcome, rec)
}

fn metadata_json(result: &fpb::Result, key: &str) -> serde_json::Value {
    let bytes = result
        .metadata
        .get(key)
        .unwrap_or_else(|| panic!("no `{key}` in {:?}", result.metadata.keys()));
    serde_json::from_slice(bytes).unwrap()
}

fn platform_ids(result: &fpb::Result) -> Vec<String> {
    let v = metadata_json(result, "refs.platforms");
    v["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

fn source_details(status: &RpcStatus) -> Vec<ErrdefsSource> {
    status
        .details
        .iter()
        .filter(|d| d.type_url == ERRDEFS_SOURCE_TYPE_URL)
        .map(|d| ErrdefsSource::decode(d.value.as_slice()).unwrap())
        .collect()
}

/// The 1-based number of the spec line that contains `needle`.
fn line_of(spec: &str, needle: &str) -> i32 {
    let i = spec
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the spec"));
    i32::try_from(i + 1).unwrap()
}

fn start_line(src: &ErrdefsSource) -> i32 {
    src.ranges[0].start.unwrap().line
}

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
        .all(|s| s.allow_result_return && s.allow_result_array_ref && s.evaluate));

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

#[tokio::test]
async fn a_failing_run_points_at_its_yaml_line() {
    let spec = "\
version: 1
stages:
  app:
    from: busybox
    steps:
      - run: echo ok
      - run: \"false\"
      - run: echo never
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
