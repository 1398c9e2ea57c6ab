//! [`PerConnection`]: what each accepted connection gets before its
//! engine runs: the TLS handshake, if configured, and a service of its own.

use std::future::Future;

use futures_util::future::Either;
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
    ///
    /// The future is the connection's whole state while it is open: a
    /// plain connection's is built by value (see
    /// [`serve_connection`]'s note on size); a TLS one is boxed, with
    /// its handshake.
    pub(crate) fn serve<T>(
        self: &Arc<Self>,
        io: T,
        info: ConnInfo,
    ) -> impl Future<Output = ()> + Send
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        F: Send + Sync + 'static,
    {
        #[cfg(feature = "tls")]
        if let Some(tls) = self.opts.tls.clone() {
            let conns = self.clone();
            return Either::Right(Box::pin(async move {
                let mut info = info;
                let handshake = tokio::select! {
                    done = tls.accept(io, &mut info) => done,
                    _ = conns.drain.cancelled() => return,
                };
                match handshake {
                    Ok(stream) => conns.serve_plain(stream, info).await,
                    Err(refused) => {
                        conns.stats.tls_refused(&refused);
                        tracing::debug!(peer = ?info.peer_addr, error = %refused, "connection refused");
                    }
                }
            }));
        }
        #[cfg(not(feature = "tls"))]
        let plain: Either<_, std::future::Pending<()>> = Either::Left(self.serve_plain(io, info));
        #[cfg(feature = "tls")]
        let plain = Either::Left(self.serve_plain(io, info));
        plain
    }

    /// Serves the connection's own service over `io`: its requests, which
    /// its cancels can stop, through the per-request rules.
    fn serve_plain<T>(&self, io: T, info: ConnInfo) -> impl Future<Output = ()> + Send
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let cancellations = Arc::new(Cancellations::default());
        let svc = (self.stack).service((self.make)(&info), info.peer_addr, cancellations.clone());
        let drain = self.drain.clone();
        let framing = Framing::new(io, &self.opts, &self.stats, drain, cancellations);
        serve_connection(framing, svc, &info, &self.opts)
    }
}
