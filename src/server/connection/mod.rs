//! One accepted connection, driven by the engine the options name.
//!
//! ```text
//! serve_connection ─ Engine::Jsonmux ─ driver: read, call, answer, write
//!                                        └ framing: Framed<TcpStream, JsonCodec> + the one timer
//!                                            └ deadlines: what the connection waits for, and until when
//! ```

mod deadlines;
mod driver;
mod framing;

use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tower::{BoxError, Service};
use tracing::Instrument;

use super::options::ServerOptions;
use super::stats::ServerStats;
use crate::{Engine, Message, Resp};

/// Serves one connection until the peer closes it, it sends bad input, a
/// timeout ends it, or `shutdown` fires; in every case but a failed socket
/// the requests already read are answered and flushed before the socket
/// closes, and a reason other than the peer's own close is sent as a last
/// error answer.
///
/// This is the one place that picks the engine; each keeps the books in
/// `stats` and returns why it ended the connection.
pub(crate) async fn serve_connection<S>(
    stream: TcpStream,
    svc: S,
    opts: &ServerOptions,
    stats: &ServerStats,
    shutdown: CancellationToken,
) where
    S: Service<Message, Response = Resp, Error = BoxError> + Send,
    S::Future: Send,
{
    let peer = stream.peer_addr().ok();
    let span = tracing::debug_span!("connection", peer = ?peer);
    async move {
        let ended = match opts.engine {
            Engine::Jsonmux => driver::serve(stream, svc, opts, stats, shutdown).await,
        };
        if let Some(why) = ended {
            tracing::debug!(error = %why, "connection ended");
        }
    }
    .instrument(span)
    .await
}
