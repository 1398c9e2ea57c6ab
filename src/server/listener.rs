//! The accept loop over any stream of accepted connections: a permit per
//! connection, backoff on accept errors, drain on shutdown (or when the
//! stream ends).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_core::Stream;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio_util::codec::FramedWrite;
use tokio_util::task::TaskTracker;
use tower::{BoxError, Service};

use super::close::Close;
use super::connection_task::ConnectionTask;
use super::options::ServerOptions;
use super::per_connection::PerConnection;
use super::shutdown::Shutdown;
use super::stack::Stack;
use super::stats::StatsHandle;
use super::watch::Watch;
use crate::{ConnInfo, Error, JsonCodec, Message, Resp};

/// Longest pause between retries of a failing `accept` (e.g. out of file descriptors).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// Time a turned-away client gets to receive its error answer.
const REJECT_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) async fn run<I, T, E, F, S>(
    incoming: I,
    make: F,
    opts: ServerOptions,
    stats: StatsHandle,
    shutdown: impl Future,
) -> Result<(), Error>
where
    I: Stream<Item = Result<(T, ConnInfo), E>>,
    T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    E: Into<BoxError>,
    F: Fn(&ConnInfo) -> S + Send + Sync + 'static,
    S: Service<Message, Response = Resp> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(opts.max_connections));
    let tracker = TaskTracker::new();
    let stopping = Shutdown::default();
    let conns = Arc::new(PerConnection {
        make,
        stack: Stack::new(&opts, &stats),
        opts,
        stats: stats.clone(),
        drain: stopping.drain_signal(),
    });
    let opts = &conns.opts;
    let mut backoff = Duration::ZERO;
    tokio::pin!(shutdown);
    let mut incoming = Box::pin(incoming);

    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = incoming.next() => accepted,
        };
        let (stream, info) = match accepted {
            // The stream of connections has ended: nothing more to accept.
            None => break,
            Some(Ok(accepted)) => {
                backoff = Duration::ZERO;
                accepted
            }
            Some(Err(e)) => {
                let e = e.into();
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
            // A TLS client could not read a plaintext answer: it is just closed.
            if opts.speaks_plaintext() {
                tracker.spawn(reject(stream, why));
            }
            continue;
        };
        let serve = conns.serve(stream, info);
        let cut = Watch::new(stopping.cut_signal());
        tracker.spawn(ConnectionTask::new(
            serve,
            cut,
            permit,
            stats.connection_opened(),
        ));
    }

    // Closed at once (the listener's socket, a Unix socket's file), so
    // that a new server can take the address while this one drains.
    drop(incoming);
    stopping.drain(&tracker, opts.drain_timeout).await;
    Ok(())
}

/// Tells a client over the connection limit why it is turned away, then closes.
async fn reject<T: AsyncWrite + Unpin>(stream: T, why: Close) {
    let mut out = FramedWrite::new(stream, JsonCodec::<Message>::new());
    let _ = tokio::time::timeout(REJECT_TIMEOUT, async {
        if let Some(last) = why.last_answer() {
            let _ = out.send(last).await;
        }
        let _ = SinkExt::<Resp>::close(&mut out).await;
    })
    .await;
}
