//! The accept loop: a permit per connection, backoff on accept errors, drain on shutdown.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::codec::FramedWrite;
use tokio_util::task::TaskTracker;
use tower::{BoxError, Service};

use super::close::Close;
use super::connection::serve_connection;
use super::options::ServerOptions;
use super::shutdown::Shutdown;
use super::stack::Stack;
use super::stats::ServerStats;
use crate::{JsonCodec, Message, Resp};

/// Longest pause between retries of a failing `accept` (e.g. out of file descriptors).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// Time a turned-away client gets to receive its error answer.
const REJECT_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) async fn run<S>(
    listener: TcpListener,
    svc: S,
    opts: ServerOptions,
    stats: ServerStats,
    shutdown: impl Future,
) -> io::Result<()>
where
    S: Service<Message, Response = Resp> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let opts = Arc::new(opts);
    let permits = Arc::new(Semaphore::new(opts.max_connections));
    let stack = Stack::new(&opts);
    let tracker = TaskTracker::new();
    let stopping = Shutdown::default();
    let mut backoff = Duration::ZERO;
    tokio::pin!(shutdown);

    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff = Duration::ZERO;
                stream
            }
            Err(e) => {
                backoff = (backoff * 2).clamp(Duration::from_millis(5), MAX_ACCEPT_BACKOFF);
                tracing::warn!(error = %e, ?backoff, "accept failed; retrying");
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(backoff) => continue,
                }
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            let why = Close::TooManyConnections(opts.max_connections);
            stats.closed(&why);
            tracker.spawn(reject(stream, why));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let svc = stack.service(svc.clone(), stream.peer_addr().ok());
        let (opts, stats) = (opts.clone(), stats.clone());
        let (drain, cut) = (stopping.drain_signal(), stopping.cut_signal());
        tracker.spawn(async move {
            // Counted closed when dropped, however the task ends.
            let _open = stats.connection_opened();
            tokio::select! {
                _ = serve_connection(stream, svc, &opts, &stats, drain) => {}
                _ = cut.cancelled() => {}
            }
            drop(permit);
        });
    }

    // Closed at once, so that a new server can take the port while this
    // one drains.
    drop(listener);
    stopping.drain(&tracker, opts.drain_timeout).await;
    Ok(())
}

/// Tells a client over the connection limit why it is turned away, then closes.
async fn reject(stream: TcpStream, why: Close) {
    let mut out = FramedWrite::new(stream, JsonCodec::<Message>::new());
    let _ = tokio::time::timeout(REJECT_TIMEOUT, async {
        if let Some(last) = why.last_answer() {
            let _ = out.send(last).await;
        }
        let _ = SinkExt::<Resp>::close(&mut out).await;
    })
    .await;
}
