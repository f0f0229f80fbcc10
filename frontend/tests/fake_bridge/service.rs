//! The fake `LlbBridge` service: Ping, Solve, ReadFile, ResolveImageConfig,
//! Return and Warn as BuildKit answers them; every other call is `Unimplemented`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bollard_buildkit_proto::google::protobuf::Any;
use bollard_buildkit_proto::google::rpc::Status as RpcStatus;
use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;
use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    self as fpb, llb_bridge_server::LlbBridge, result::Result as ResultKind,
};
use bollard_buildkit_proto::moby::buildkit::v1::types::WorkerRecord;
use bollard_buildkit_proto::pb;
use prost::Message;
use tonic::{Request, Response, Status};

use super::*;

pub struct Fake {
    pub engine: Engine,
    pub rec: Arc<Recorder>,
}

pub fn caps(ids: &[(&str, bool)]) -> Vec<ApiCap> {
    ids.iter()
        .filter(|(_, on)| *on)
        .map(|(id, _)| ApiCap {
            id: (*id).to_owned(),
            enabled: true,
            ..Default::default()
        })
        .collect()
}

pub fn unimplemented<T>(call: &str) -> Result<Response<T>, Status> {
    Err(Status::unimplemented(format!(
        "the fake engine does not implement {call}"
    )))
}

/// The status BuildKit sends for a failing exec: the vertex (under a digest
/// the frontend does not know, as when the engine re-encodes ops) and the op's name.
pub fn failed_exec_status(name: &str) -> Status {
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
                ("statfile", true),
                ("resolveimage", true),
                ("returnmap", true),
                ("proto.refarray", e.ref_array),
                ("importcaches", e.import_caches),
                ("gateway.warnings", e.warnings),
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
        // As BuildKit: an unevaluated solve fails only when its result is built.
        if let Some(arg) = self.engine.fail_exec.filter(|_| req.evaluate) {
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

    /// Every path exists; reading a ref builds it, so a ref whose solve
    /// holds the failing exec fails, as BuildKit's lazily solved refs do.
    async fn stat_file(
        &self,
        req: Request<fpb::StatFileRequest>,
    ) -> Result<Response<fpb::StatFileResponse>, Status> {
        let req = req.into_inner();
        let solve = {
            let log = self.rec.log.lock().unwrap();
            req.r#ref
                .strip_prefix("ref-")
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| log.solves.get(n.wrapping_sub(1)).cloned())
        };
        let def = solve.and_then(|s| s.definition).unwrap_or_default();
        if let Some(arg) = self.engine.fail_exec {
            if let Some(name) = exec_name(&def, arg) {
                return Err(failed_exec_status(&name));
            }
        }
        Ok(Response::new(fpb::StatFileResponse {
            stat: Some(Default::default()),
        }))
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
        req: Request<fpb::WarnRequest>,
    ) -> Result<Response<fpb::WarnResponse>, Status> {
        if !self.engine.warnings {
            return unimplemented("Warn");
        }
        self.rec.log.lock().unwrap().warns.push(req.into_inner());
        Ok(Response::new(fpb::WarnResponse {}))
    }
}
