//! The gateway transport: HTTP/2 with prior knowledge over the frontend's
//! stdin (reads) and stdout (writes), as BuildKit connects to a frontend
//! container. No TLS; the authority is `localhost`.
//!
//! Only this module touches fds 0 and 1. Nothing else may write to stdout:
//! it is the gRPC pipe. `tokio::io::stdin()` is not used because its
//! blocking reader thread keeps the process alive after `Return`.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Channel, Endpoint};

use super::GatewayError;

/// A channel over any duplex byte stream (stdio in production, an in-memory pipe in tests).
pub async fn channel_over<S>(io: S) -> Result<Channel, GatewayError>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let slot = Arc::new(Mutex::new(Some(TokioIo::new(io))));
    let connector = tower::service_fn(move |_uri: tonic::transport::Uri| {
        let taken = slot.lock().ok().and_then(|mut s| s.take());
        async move {
            taken.ok_or_else(|| std::io::Error::other("the stdio connection can only be used once"))
        }
    });
    Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await
        .map_err(|e| GatewayError::Connect(e.to_string()))
}

/// A channel over this process's stdin and stdout pipes.
pub async fn stdio_channel() -> Result<Channel, GatewayError> {
    // SAFETY: fds 0 and 1 are open for the life of the process and are
    // owned from here on by the pipe ends; nothing else in the process uses them.
    let (stdin, stdout) = unsafe { (OwnedFd::from_raw_fd(0), OwnedFd::from_raw_fd(1)) };
    let reader = tokio::net::unix::pipe::Receiver::from_owned_fd(stdin)
        .map_err(|e| GatewayError::Connect(format!("stdin is not a pipe: {e}")))?;
    let writer = tokio::net::unix::pipe::Sender::from_owned_fd(stdout)
        .map_err(|e| GatewayError::Connect(format!("stdout is not a pipe: {e}")))?;
    channel_over(tokio::io::join(reader, writer)).await
}
