//! The accept loop: a permit per connection, backoff on accept errors, drain on shutdown.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Service;

use super::builder::ServerOptions;
use super::connection::serve_connection;
use crate::{Message, Resp};

/// Longest pause between retries of a failing `accept` (e.g. out of file descriptors).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

pub(crate) async fn run<S>(
    listener: TcpListener,
    svc: S,
    opts: ServerOptions,
    shutdown: impl Future,
) -> io::Result<()>
where
    S: Service<Message, Response = Resp> + Clone + Send + 'static,
    S::Error: fmt::Display + Send,
    S::Future: Send + 'static,
{
    let opts = Arc::new(opts);
    let permits = Arc::new(Semaphore::new(opts.max_connections));
    let tracker = TaskTracker::new();
    // `drain` asks connections to stop reading; `cut` ends them outright.
    let drain = CancellationToken::new();
    let cut = CancellationToken::new();
    let mut backoff = Duration::ZERO;
    tokio::pin!(shutdown);

    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        let (stream, permit) = match accepted {
            Ok(conn) => {
                backoff = Duration::ZERO;
                conn
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
        let _ = stream.set_nodelay(true);
        let (svc, opts, drain, cut) = (svc.clone(), opts.clone(), drain.clone(), cut.clone());
        tracker.spawn(async move {
            tokio::select! {
                _ = serve_connection(stream, svc, &opts, drain) => {}
                _ = cut.cancelled() => {}
            }
            drop(permit);
        });
    }

    drop(listener);
    drain.cancel();
    tracker.close();
    if tokio::time::timeout(opts.drain_timeout, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(left = tracker.len(), "drain timed out; closing connections");
        cut.cancel();
        tracker.wait().await;
    }
    Ok(())
}

/// Waits for a connection slot, then for a connection.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> io::Result<(tokio::net::TcpStream, tokio::sync::OwnedSemaphorePermit)> {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    let (stream, _) = listener.accept().await?;
    Ok((stream, permit))
}
