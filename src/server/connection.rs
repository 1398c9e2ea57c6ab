//! One accepted connection: the driver over the framed socket, then a clean close.

use std::sync::Arc;

use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tower::{BoxError, Service};
use tracing::Instrument;

use super::admission::Admission;
use super::close::Close;
use super::driver::drive;
use super::options::ServerOptions;
use super::stats::ServerStats;
use super::transport::Transport;
use crate::{Message, Resp};

/// Serves one connection until the peer closes it, it sends bad input, a
/// timeout ends it, or `shutdown` fires; in every case the requests already
/// read are answered and flushed before the socket closes, and a reason
/// other than the peer's own close is sent as a last error answer.
pub(crate) async fn serve_connection<S>(
    stream: TcpStream,
    svc: S,
    opts: &ServerOptions,
    stats: &ServerStats,
    admission: Option<Arc<Admission>>,
    shutdown: CancellationToken,
) where
    S: Service<Message, Response = Resp, Error = BoxError> + Send,
    S::Future: Send,
{
    let peer = stream.peer_addr().ok();
    let span = tracing::debug_span!("connection", peer = ?peer);
    let mut transport = Transport::new(stream, opts, shutdown);
    async move {
        if let Err(e) = drive(&mut transport, svc, stats, admission).await {
            tracing::debug!(error = %e, "connection failed");
            if let Some(e) = e.downcast_ref::<Close>() {
                stats.closed(e);
            }
            return;
        }
        let framed = &mut transport.framed;
        let last_words = async {
            if let Some(e) = transport.error.take() {
                // Everything read before this point has been answered; say
                // why we stop, then hang up.
                tracing::debug!(error = %e, "closing with an error answer");
                stats.closed(&e);
                if let Some(last) = e.last_answer() {
                    let _ = framed.send(last).await;
                }
            }
            let _ = SinkExt::<Resp>::close(framed).await;
        };
        // A peer that does not read gets no longer for these than for any
        // other answer.
        match opts.write_timeout {
            Some(limit) => {
                let _ = tokio::time::timeout(limit, last_words).await;
            }
            None => last_words.await,
        }
    }
    .instrument(span)
    .await
}
