//! [`PerConnection`]: what each accepted connection gets before its
//! engine runs: the TLS handshake, if configured, and a service of its own.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tower::{BoxError, Service};

use std::sync::Arc;

use super::connection::{serve_connection, Framing};
use super::layers::Cancellations;
use super::options::ServerOptions;
use super::stack::Stack;
use super::stats::StatsHandle;
use crate::{ConnInfo, Message, Resp};

/// What every connection of a server shares: the make-service, the
/// per-request stack, the options, the counters, the drain signal.
pub(crate) struct PerConnection<F> {
    /// Makes each connection's service from its [`ConnInfo`].
    pub(crate) make: F,
    pub(crate) stack: Stack,
    pub(crate) opts: ServerOptions,
    pub(crate) stats: StatsHandle,
    /// Asks connections to stop reading and finish.
    pub(crate) drain: CancellationToken,
}

impl<F, S> PerConnection<F>
where
    F: Fn(&ConnInfo) -> S,
    S: Service<Message, Response = Resp> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    /// Serves one accepted connection until it ends: the TLS handshake
    /// first if the server speaks TLS (within its timeout; a failure is
    /// counted and ends it), then its own service, wrapped in the
    /// per-request rules, under its engine.
    ///
    /// A drain that begins during the handshake ends the connection: it
    /// has no requests yet.
    pub(crate) async fn serve<T>(&self, io: T, info: ConnInfo)
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.opts.tls {
            let mut info = info;
            let handshake = tokio::select! {
                done = tls.accept(io, &mut info) => done,
                _ = self.drain.cancelled() => return,
            };
            match handshake {
                Ok(stream) => self.serve_plain(stream, info).await,
                Err(refused) => {
                    self.stats.tls_refused(&refused);
                    tracing::debug!(peer = ?info.peer_addr, error = %refused, "connection refused");
                }
            }
            return;
        }
        self.serve_plain(io, info).await
    }

    /// Serves the connection's own service over `io`: its requests, which
    /// its cancels can stop, through the per-request rules.
    async fn serve_plain<T>(&self, io: T, info: ConnInfo)
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let cancellations = Arc::new(Cancellations::default());
        let svc = (self.stack).service((self.make)(&info), info.peer_addr, cancellations.clone());
        let drain = self.drain.clone();
        let framing = Framing::new(io, &self.opts, &self.stats, drain, cancellations);
        serve_connection(framing, svc, &info, &self.opts).await
    }
}
