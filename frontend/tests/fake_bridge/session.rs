//! One frontend session against the fake: the in-memory pipe, options from
//! the environment, and the status returned on failure.

use std::collections::BTreeMap;
use std::sync::Arc;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_server::LlbBridgeServer;
use stagecraft::build::{self, BuildFailure};
use stagecraft::gateway::{transport, Gateway};

use super::*;

/// Serves a fake engine on one end of an in-memory pipe and connects a gateway to the other.
pub async fn connect(engine: Engine) -> (Gateway, Arc<Recorder>) {
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
pub async fn serve(gw: &mut Gateway, opts: &[(&str, &str)]) -> Result<(), BuildFailure> {
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
pub async fn build_with(
    engine: Engine,
    opts: &[(&str, &str)],
) -> (Result<(), BuildFailure>, Arc<Recorder>) {
    let (mut gw, rec) = connect(engine).await;
    let outcome = serve(&mut gw, opts).await;
    (outcome, rec)
}
