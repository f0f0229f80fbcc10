//! The LLBBridge session with BuildKit: transport, caps, and the calls a
//! frontend makes (read the spec, resolve images, solve, return, warn).
//!
//! This is the only module besides `build` that does IO or is async. It knows
//! the gateway protocol, not the spec: callers hand it definitions and get
//! back refs, bytes and configs. The connection is passed in (see
//! [`transport`]), so the protocol is tested in process against a fake
//! server.

pub mod error;
pub mod transport;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{
    self as fpb, llb_bridge_client::LlbBridgeClient, result::Result as ResultKind,
};
use bollard_buildkit_proto::pb;
use llb::Platform;
use tonic::transport::Channel;

use crate::options::CacheImport;
pub use error::{GatewayError, SourceRange};

/// Messages up to this size are accepted in both directions (older engines take 4 MiB per request).
pub const MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// Gateway caps we check, spelled as in BuildKit (`frontend/gateway/pb/caps.go`).
pub mod caps {
    pub const PROTO_REF_ARRAY: &str = "proto.refarray";
    pub const RESOLVE_IMAGE: &str = "resolveimage";
    pub const READ_FILE: &str = "readfile";
    pub const STAT_FILE: &str = "statfile";
    pub const READ_DIR: &str = "readdir";
    pub const RETURN_MAP: &str = "returnmap";
    pub const FRONTEND_INPUTS: &str = "frontend.inputs";
    pub const IMPORT_CACHES: &str = "importcaches";
    pub const WARNINGS: &str = "gateway.warnings";
    pub const SOURCE_MAP: &str = "source.map";
    /// Results may carry attestations (the frontend's SBOM).
    pub const ATTESTATIONS: &str = "reference.attestations";
}

/// When a solve builds its definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluate {
    Now,
    Lazily,
}

/// `ResolveImageConfigRequest.resolver_type` for an OCI layout (BuildKit's
/// `ResolverType_OCI`; 0 is the registry).
const RESOLVER_OCI_LAYOUT: i32 = 1;

/// What the engine said it supports in `Ping`.
#[derive(Debug, Clone, Default)]
pub struct EngineCaps {
    pub gateway: BTreeSet<String>,
    pub llb: BTreeSet<String>,
    /// Worker platforms, the first being the native one.
    pub platforms: Vec<Platform>,
}

impl EngineCaps {
    pub fn gateway(&self, cap: &str) -> bool {
        self.gateway.contains(cap)
    }

    pub fn llb(&self, cap: &str) -> bool {
        self.llb.contains(cap)
    }
}

/// A resolved image: its digest and raw config JSON.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    pub digest: String,
    pub config: Vec<u8>,
}

/// One platform's result for [`Gateway::return_result`].
#[derive(Debug, Clone)]
pub struct PlatformResult {
    pub platform: Platform,
    pub ref_id: String,
    pub config: Vec<u8>,
    /// The base image's config (`containerimage.base.config`), if any.
    pub base_config: Option<Vec<u8>>,
    /// Attestations of the result (the SBOM).
    pub attestations: Vec<fpb::Attestation>,
}

/// A connected session.
#[derive(Clone)]
pub struct Gateway {
    client: LlbBridgeClient<Channel>,
    pub caps: EngineCaps,
    pub session_id: String,
    pub cache_imports: Vec<CacheImport>,
    /// How base images are resolved (`default`, `pull`, `local`: `--pull`).
    pub resolve_mode: &'static str,
    /// This session's phase timings (written to the daemon log at its end).
    pub timings: std::sync::Arc<crate::timings::Timings>,
}

impl Gateway {
    /// Pings the engine over `channel` and records its caps.
    pub async fn connect(channel: Channel) -> Result<Self, GatewayError> {
        let mut client = LlbBridgeClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE);
        let timings = std::sync::Arc::new(crate::timings::Timings::new());
        let pong = client
            .ping(fpb::PingRequest {})
            .await
            .map_err(|s| GatewayError::rpc("ping", s))?
            .into_inner();
        timings.mark("ping");
        let enabled = |caps: &[bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap]| -> BTreeSet<String> {
            caps.iter().filter(|c| c.enabled).map(|c| c.id.clone()).collect()
        };
        let platforms = pong
            .workers
            .iter()
            .flat_map(|w| w.platforms.iter())
            .map(|p| Platform::new(&p.os, &p.architecture, &p.variant))
            .collect();
        let caps = EngineCaps {
            gateway: enabled(&pong.frontend_api_caps),
            llb: enabled(&pong.llb_caps),
            platforms,
        };
        Ok(Self {
            client,
            caps,
            session_id: String::new(),
            cache_imports: Vec::new(),
            resolve_mode: "default",
            timings,
        })
    }

    /// Solves `def` and returns the ref of its result: built before this
    /// returns with [`Evaluate::Now`]; with [`Evaluate::Lazily`] the ref is
    /// built by whoever uses it (the exporter, or buildx's debugger, which
    /// then holds the failed step's filesystems and can open a shell in them).
    pub async fn solve(
        &self,
        def: pb::Definition,
        evaluate: Evaluate,
    ) -> Result<String, GatewayError> {
        let cache_imports = if self.caps.gateway(caps::IMPORT_CACHES) {
            self.cache_imports
                .iter()
                .map(|c| fpb::CacheOptionsEntry {
                    r#type: c.kind.clone(),
                    attrs: c.attrs.clone().into_iter().collect(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let req = fpb::SolveRequest {
            definition: Some(def.clone()),
            allow_result_return: true,
            allow_result_array_ref: self.caps.gateway(caps::PROTO_REF_ARRAY),
            evaluate: evaluate == Evaluate::Now,
            cache_imports,
            ..Default::default()
        };
        let resp = match self.client.clone().solve(req).await {
            Ok(r) => r.into_inner(),
            Err(status) => {
                let mut engine = error::engine_status(&status);
                error::attach_source(&mut engine, &def);
                return Err(GatewayError::Solve {
                    status: Box::new(engine),
                });
            }
        };
        let id = match resp.result.and_then(|r| r.result) {
            Some(ResultKind::Ref(r)) => r.id,
            Some(ResultKind::RefDeprecated(id)) => id,
            _ => resp.r#ref,
        };
        Ok(id)
    }

    /// The frontend inputs (other frontends' results a client such as bake
    /// passes, by name), as definitions.
    pub async fn inputs(&self) -> Result<BTreeMap<String, pb::Definition>, GatewayError> {
        let resp = self
            .client
            .clone()
            .inputs(fpb::InputsRequest {})
            .await
            .map_err(|s| GatewayError::rpc("inputs", s))?;
        Ok(resp.into_inner().definitions.into_iter().collect())
    }

    /// Reads a whole file from a solved ref.
    pub async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        self.read_file_prefix(ref_id, path, None).await
    }

    /// Reads a file from a solved ref, at most `limit` bytes of it when given
    /// (the engine then never sends more).
    pub async fn read_file_prefix(
        &self,
        ref_id: &str,
        path: &str,
        limit: Option<usize>,
    ) -> Result<Vec<u8>, GatewayError> {
        let req = fpb::ReadFileRequest {
            r#ref: ref_id.to_owned(),
            file_path: path.to_owned(),
            range: limit.map(|n| fpb::FileRange {
                offset: 0,
                length: i64::try_from(n).unwrap_or(i64::MAX),
            }),
            ..Default::default()
        };
        let resp = self
            .client
            .clone()
            .read_file(req)
            .await
            .map_err(|s| GatewayError::rpc("read file", s))?;
        Ok(resp.into_inner().data)
    }

    /// Whether `path` exists in a solved ref (`StatFile`; a missing path is
    /// the engine's "no such file or directory").
    pub async fn exists(&self, ref_id: &str, path: &str) -> Result<bool, GatewayError> {
        let req = fpb::StatFileRequest {
            r#ref: ref_id.to_owned(),
            path: path.to_owned(),
            ..Default::default()
        };
        match self.client.clone().stat_file(req).await {
            Ok(_) => Ok(true),
            Err(s) if error::is_not_found(&s) => Ok(false),
            Err(s) => Err(GatewayError::rpc("stat file", s)),
        }
    }

    /// Whether directory `dir` of a solved ref has an entry matching
    /// `pattern` (`ReadDir` with an include pattern: one path component of
    /// BuildKit's pattern syntax). A missing directory has none.
    pub async fn dir_has_match(
        &self,
        ref_id: &str,
        dir: &str,
        pattern: &str,
    ) -> Result<bool, GatewayError> {
        let req = fpb::ReadDirRequest {
            r#ref: ref_id.to_owned(),
            dir_path: dir.to_owned(),
            include_pattern: pattern.to_owned(),
            ..Default::default()
        };
        match self.client.clone().read_dir(req).await {
            Ok(resp) => Ok(!resp.into_inner().entries.is_empty()),
            Err(s) if error::is_not_found(&s) => Ok(false),
            Err(s) => Err(GatewayError::rpc("read dir", s)),
        }
    }

    /// Builds the lazily solved `ref_id` by reading its root (`StatFile`),
    /// so that its failure comes back here as the engine's status while
    /// the engine, not this frontend's session, holds the failed step's
    /// state: the failure a `Solve` with `Evaluate::Now` returns registers
    /// that state under this session's result ids, which older engines
    /// (BuildKit 0.13, Docker 26.1) release when the frontend returns, and
    /// then `buildx debug --on error` cannot open its shell.
    pub async fn build_lazy(&self, ref_id: &str) -> Result<(), GatewayError> {
        let req = fpb::StatFileRequest {
            r#ref: ref_id.to_owned(),
            path: "/".to_owned(),
            ..Default::default()
        };
        match self.client.clone().stat_file(req).await {
            Ok(_) => Ok(()),
            Err(s) => Err(GatewayError::Solve {
                status: Box::new(error::engine_status(&s)),
            }),
        }
    }

    /// Resolves an image reference to its digest and config for `platform`.
    pub async fn resolve_image_config(
        &self,
        reference: &str,
        platform: &Platform,
    ) -> Result<ResolvedImage, GatewayError> {
        let req = fpb::ResolveImageConfigRequest {
            r#ref: reference.to_owned(),
            platform: Some(platform.to_pb()),
            resolve_mode: self.resolve_mode.to_owned(),
            log_name: crate::progress::load_metadata(reference),
            session_id: self.session_id.clone(),
            ..Default::default()
        };
        self.resolve(req, reference.to_owned()).await
    }

    /// One `ResolveImageConfig` call; `what` names the image in an error.
    async fn resolve(
        &self,
        req: fpb::ResolveImageConfigRequest,
        what: String,
    ) -> Result<ResolvedImage, GatewayError> {
        let resp = self
            .client
            .clone()
            .resolve_image_config(req)
            .await
            .map_err(|s| GatewayError::Resolve {
                reference: what,
                status: Box::new(s),
            })?
            .into_inner();
        Ok(ResolvedImage {
            digest: resp.digest,
            config: resp.config,
        })
    }

    /// Resolves the image `reference` (which carries its digest) in the OCI
    /// layout `store` the client holds, for `platform`.
    pub async fn resolve_layout_config(
        &self,
        reference: &str,
        store: &str,
        log_name: String,
        platform: &Platform,
    ) -> Result<ResolvedImage, GatewayError> {
        let req = fpb::ResolveImageConfigRequest {
            r#ref: reference.to_owned(),
            platform: Some(platform.to_pb()),
            log_name,
            resolver_type: RESOLVER_OCI_LAYOUT,
            session_id: self.session_id.clone(),
            store_id: store.to_owned(),
            ..Default::default()
        };
        self.resolve(req, format!("oci-layout://{store} {reference}"))
            .await
    }

    /// Sends a warning shown in buildx's output (when the engine supports
    /// it), with lines of detail buildx prints under it.
    pub async fn warn(
        &self,
        message: &str,
        detail: &[&str],
        source: Option<&SourceRange>,
    ) -> Result<(), GatewayError> {
        if !self.caps.gateway(caps::WARNINGS) {
            return Ok(());
        }
        let req = fpb::WarnRequest {
            digest: String::new(),
            level: 1,
            short: message.as_bytes().to_vec(),
            detail: detail.iter().map(|l| l.as_bytes().to_vec()).collect(),
            info: source.map(|s| s.info()),
            ranges: source.map(|s| vec![s.range()]).unwrap_or_default(),
            ..Default::default()
        };
        self.client
            .clone()
            .warn(req)
            .await
            .map_err(|s| GatewayError::rpc("warn", s))?;
        Ok(())
    }

    /// Returns the build result: one ref, or one per platform.
    /// `as_map` returns one platform as a map too (`multi-platform`), as a
    /// multi-platform build does.
    pub async fn return_result(
        &self,
        results: Vec<PlatformResult>,
        metadata: BTreeMap<String, Vec<u8>>,
        as_map: bool,
    ) -> Result<(), GatewayError> {
        let ref_array = self.caps.gateway(caps::PROTO_REF_ARRAY);
        let mut meta: HashMap<String, Vec<u8>> = metadata.into_iter().collect();
        let platforms: Vec<serde_json::Value> = results
            .iter()
            .map(|r| {
                let mut p = serde_json::Map::new();
                p.insert(
                    "architecture".into(),
                    r.platform.architecture.clone().into(),
                );
                p.insert("os".into(), r.platform.os.clone().into());
                if !r.platform.variant.is_empty() {
                    p.insert("variant".into(), r.platform.variant.clone().into());
                }
                serde_json::json!({ "id": r.platform.to_string(), "platform": p })
            })
            .collect();
        let platforms_json =
            serde_json::to_vec(&serde_json::json!({ "platforms": platforms })).unwrap_or_default();
        meta.insert("refs.platforms".into(), platforms_json);
        // Attestations by platform id, as `refs.platforms` names them.
        let attestations: Vec<(String, Vec<fpb::Attestation>)> = results
            .iter()
            .filter(|r| !r.attestations.is_empty())
            .map(|r| (r.platform.to_string(), r.attestations.clone()))
            .collect();
        let result = match results.as_slice() {
            [single] if !as_map => {
                meta.insert("containerimage.config".into(), single.config.clone());
                if let Some(base) = &single.base_config {
                    meta.insert("containerimage.base.config".into(), base.clone());
                }
                if ref_array {
                    ResultKind::Ref(fpb::Ref {
                        id: single.ref_id.clone(),
                        def: None,
                    })
                } else {
                    ResultKind::RefDeprecated(single.ref_id.clone())
                }
            }
            many => {
                for r in many {
                    meta.insert(
                        format!("containerimage.config/{}", r.platform),
                        r.config.clone(),
                    );
                    if let Some(base) = &r.base_config {
                        meta.insert(
                            format!("containerimage.base.config/{}", r.platform),
                            base.clone(),
                        );
                    }
                }
                if ref_array {
                    ResultKind::Refs(fpb::RefMap {
                        refs: many
                            .iter()
                            .map(|r| {
                                (
                                    r.platform.to_string(),
                                    fpb::Ref {
                                        id: r.ref_id.clone(),
                                        def: None,
                                    },
                                )
                            })
                            .collect(),
                    })
                } else {
                    ResultKind::RefsDeprecated(fpb::RefMapDeprecated {
                        refs: many
                            .iter()
                            .map(|r| (r.platform.to_string(), r.ref_id.clone()))
                            .collect(),
                    })
                }
            }
        };
        self.send_return(fpb::ReturnRequest {
            result: Some(fpb::Result {
                metadata: meta,
                attestations: attestations
                    .into_iter()
                    .map(|(id, list)| (id, fpb::Attestations { attestation: list }))
                    .collect(),
                result: Some(result),
            }),
            error: None,
        })
        .await
    }

    /// Returns a result made only of metadata (subrequests such as `--call=outline`).
    pub async fn return_metadata(
        &self,
        metadata: BTreeMap<String, Vec<u8>>,
    ) -> Result<(), GatewayError> {
        self.send_return(fpb::ReturnRequest {
            result: Some(fpb::Result {
                metadata: metadata.into_iter().collect(),
                attestations: HashMap::new(),
                result: None,
            }),
            error: None,
        })
        .await
    }

    /// Returns an error; BuildKit shows its message (and source excerpt) to the user.
    pub async fn return_error(
        &self,
        status: bollard_buildkit_proto::google::rpc::Status,
    ) -> Result<(), GatewayError> {
        self.send_return(fpb::ReturnRequest {
            result: None,
            error: Some(status),
        })
        .await
    }

    /// The `Return` call all three kinds of outcome go through.
    async fn send_return(&self, req: fpb::ReturnRequest) -> Result<(), GatewayError> {
        self.client
            .clone()
            .r#return(req)
            .await
            .map_err(|s| GatewayError::rpc("return", s))?;
        Ok(())
    }
}
