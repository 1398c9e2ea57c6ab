//! One accepted connection, driven by the engine the options name.
//!
//! ```text
//! serve_connection ─ Engine::Jsonmux ─ driver: read, call, answer, write
//!                  │                     └ framing: Framed<any stream, JsonCodec> + the one timer
//!                  │                         ├ deadlines: what the connection waits for, and until when
//!                  │                         ├ readable: waits for bytes before taking a read buffer
//!                  │                         └ stamp: the Ts of the answers one write carries
//!                  └ Engine::TokioTower ─ tokio_tower: multiplex::Server over the same framing
//! ```

mod deadlines;
mod driver;
mod framing;
mod readable;
mod stamp;
#[cfg(feature = "tokio-tower")]
mod tokio_tower;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tower::{BoxError, Service};
use tracing::Instrument;

use super::options::ServerOptions;
use super::stats::StatsHandle;
use crate::trace::span_at;
use crate::{ConnInfo, Engine, Message, Resp};

/// Serves one connection until the peer closes it, it sends bad input, a
/// timeout ends it, or `shutdown` fires; in every case but a failed socket
/// the requests already read are answered and flushed before the socket
/// closes, and a reason other than the peer's own close is sent as a last
/// error answer.
///
/// This is the one place that picks the engine; each keeps the books in
/// `stats` and returns why it ended the connection.
pub(crate) async fn serve_connection<S, T>(
    stream: T,
    svc: S,
    info: &ConnInfo,
    opts: &ServerOptions,
    stats: &StatsHandle,
    shutdown: CancellationToken,
) where
    S: Service<Message, Response = Resp, Error = BoxError> + Send,
    S::Future: Send,
    T: AsyncRead + AsyncWrite + Send + Unpin,
{
    let span = span_at!(opts.span_level, "connection", peer = ?info.peer_addr);
    async move {
        let ended = match opts.engine {
            Engine::Jsonmux => driver::serve(stream, svc, opts, stats, shutdown).await,
            #[cfg(feature = "tokio-tower")]
            Engine::TokioTower => tokio_tower::serve(stream, svc, opts, stats, shutdown).await,
        };
        if let Some(why) = ended {
            tracing::debug!(error = %why, "connection ended");
        }
    }
    .instrument(span)
    .await
}
