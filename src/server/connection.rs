//! One accepted connection: a tokio-tower `multiplex::Server` over the framed socket.

use std::fmt;

use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio_tower::multiplex;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;
use tower::limit::ConcurrencyLimit;
use tower::Service;
use tracing::Instrument;

use super::builder::ServerOptions;
use super::catch::CatchErrors;
use super::transport::Transport;
use crate::{JsonCodec, Message, Resp};

/// Serves one connection until the peer closes it, it sends bad input, or
/// `shutdown` fires; in every case the requests already read are answered
/// and flushed before the socket closes.
pub(crate) async fn serve_connection<S>(
    stream: TcpStream,
    svc: S,
    opts: &ServerOptions,
    shutdown: CancellationToken,
) where
    S: Service<Message, Response = Resp> + Send + 'static,
    S::Error: fmt::Display + Send,
    S::Future: Send + 'static,
{
    let peer = stream.peer_addr().ok();
    let span = tracing::debug_span!("connection", peer = ?peer);
    let codec = JsonCodec::with_max_frame_len(opts.max_frame_len);
    let mut transport = Transport::new(Framed::new(stream, codec), shutdown);
    // The in-flight limit sits under `multiplex::Server`, which asks for
    // readiness before reading each request: a full connection stops reading.
    let svc = ConcurrencyLimit::new(CatchErrors::new(svc), opts.max_in_flight);
    async move {
        if let Err(e) = multiplex::Server::new(&mut transport, svc).await {
            tracing::debug!(error = %e, "connection failed");
            return;
        }
        let framed = &mut transport.framed;
        if let Some(e) = transport.error.take() {
            // The client's bytes could not be read: everything before them
            // has been answered; say what was wrong, then hang up.
            tracing::debug!(error = %e, "bad input; closing after an error answer");
            let _ = framed.send(Resp::error("", e.to_string())).await;
        }
        let _ = SinkExt::<Resp>::close(framed).await;
    }
    .instrument(span)
    .await
}
