//! One accepted connection, driven by the engine the options name.
//!
//! ```text
//! serve_connection ─ Engine::Jsonmux ─ driver: read, call, answer, write
//!                  │                     └ framing: Framed<any stream, JsonCodec> + the one timer
//!                  │                         ├ deadlines: what the connection waits for, and until when
//!                  │                         ├ timer: the one timer, pulled in only, polled once per arming
//!                  │                         ├ readable: waits for bytes before taking a read buffer
//!                  │                         ├ buffers: small after idle, the read buffer doubled while reads fill it
//!                  │                         └ stamp: the Ts of the answers one write carries
//!                  └ Engine::TokioTower ─ tokio_tower: multiplex::Server over the same framing
//! ```

mod buffers;
mod deadlines;
mod delay;
mod driver;
mod framing;
mod readable;
mod requests;
mod slot;
mod stamp;
mod timer;
#[cfg(feature = "tokio-tower")]
mod tokio_tower;

pub(crate) use framing::Framing;

use std::future::Future;

use futures_util::future::Either;
use futures_util::FutureExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tower::{BoxError, Service};
use tracing::Instrument;

use super::options::ServerOptions;
use crate::trace::span_at;
use crate::{ConnInfo, Engine, Message, Resp};

/// Serves one connection, over its `framing`, until the peer closes it,
/// it sends bad input, a timeout ends it, or the server's shutdown does; in
/// every case but a failed socket the requests already read are answered
/// and flushed before the socket closes, and a reason other than the
/// peer's own close is sent as a last error answer.
///
/// This is the one place that picks the engine; the framing keeps the
/// books (requests in flight, counters, the extension) for both, and each
/// returns why it ended the connection.
///
/// # A note on size
///
/// The future is the state of every open connection, idle ones included,
/// so it is built by value, not in an `async` block: one that awaits a
/// future it was given would hold it twice.
pub(crate) fn serve_connection<S, T>(
    framing: Framing<T>,
    svc: S,
    info: &ConnInfo,
    opts: &ServerOptions,
) -> impl Future<Output = ()> + Send
where
    S: Service<Message, Response = Resp, Error = BoxError> + Send,
    S::Future: Send,
    T: AsyncRead + AsyncWrite + Send + Unpin,
{
    let span = span_at!(opts.span_level, "connection", peer = ?info.peer_addr);
    let ended = match opts.engine {
        Engine::Jsonmux => Either::Left(driver::serve(framing, svc)),
        // Inline: a connection's state is as large as its largest engine's,
        // and this one's is the smaller.
        #[cfg(feature = "tokio-tower")]
        Engine::TokioTower => Either::Right(tokio_tower::serve(framing, svc)),
    };
    #[cfg(not(feature = "tokio-tower"))]
    let ended: Either<_, std::future::Pending<_>> = ended;
    ended
        .map(|ended| {
            if let Some(why) = ended {
                tracing::debug!(error = %why, "connection ended");
            }
        })
        .instrument(span)
}
