//! The server: any `Service<Message, Response = Resp>` behind a listener
//! (TCP, Unix) or any stream of accepted connections, optionally over TLS.
//!
//! ```text
//! incoming        a Listener (TCP | Unix) or yours: (stream, ConnInfo) ─ accept loop
//! listener        accept ─ permit per connection (over the limit: an error answer, close)
//! per_connection  [TLS handshake within its timeout] ─ the connection's service: a clone,
//!                 or made from its ConnInfo (serve_with)
//! shutdown        listener closed at once ─ going-away notice to every connection ─ grace
//!                 ─ each closes once quiet ─ cut at the drain timeout
//! connection      the engine that drives it (ServerBuilder::engine); stops reading at max_in_flight
//!   driver        Engine::Jsonmux: read, call, answer ready handlers inline, one write per batch
//!   tokio_tower   Engine::TokioTower: tokio_tower::multiplex::Server over the same framing
//!   framing       Framed<stream, JsonCodec>, buffers released when idle
//!   deadlines     idle / frame / write timeouts: what the connection waits for, until when
//! stack           per-request rules, one ServiceBuilder, outermost first:
//!                 Cancel (a jsonmux client's cancel drops the handler) ─ CatchErrors ─
//!                 HandlerTimeout (its limit, or the caller's deadline) ─ Admission (server-wide
//!                 cap: shed or queue) ─ svc
//! ```
//!
//! Start with [`Server::builder`], or [`serve`] for the defaults.

pub(crate) mod builder;
mod close;
mod connection;
mod connection_task;
mod incoming;
mod layers;
mod listener;
mod options;
mod overload;
mod per_connection;
mod shutdown;
mod stack;
mod stats;
mod watch;

use std::future::Future;

use tokio::net::TcpListener;
use tower::{BoxError, Service};

pub use incoming::Listener;
pub(crate) use layers::Shed;
pub use overload::Overload;
pub use stats::{ServerStats, StatsHandle};

use crate::{Error, Server};
use crate::{Message, Resp};

/// Serves `svc` on `listener` with the default limits until `shutdown`
/// completes, then drains (see [`Server::serve`]).
///
/// # Examples
///
/// ```
/// use jsonmux::HelloService;
/// use tokio::net::TcpListener;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(jsonmux::server::serve(listener, HelloService, stopped));
/// stop.send(()).unwrap();
/// server.await.unwrap()?;
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// See [`Server::serve`].
pub async fn serve<S>(listener: TcpListener, svc: S, shutdown: impl Future) -> Result<(), Error>
where
    S: Service<Message, Response = Resp> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    Server::builder()
        .listener(listener)?
        .serve(svc, shutdown)
        .await
}
