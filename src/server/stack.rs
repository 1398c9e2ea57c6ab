//! The service one connection drives, assembled in one place from the options.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tower::limit::{ConcurrencyLimitLayer, GlobalConcurrencyLimitLayer};
use tower::timeout::TimeoutLayer;
use tower::{BoxError, Service, ServiceBuilder};

use super::catch::CatchErrors;
use super::options::ServerOptions;
use super::stats::ServerStats;
use crate::{Message, Resp};

/// Wraps the user's service for one connection, outermost first:
///
/// ```text
/// ConcurrencyLimit(max_in_flight)     this connection's share; when full, stop reading it
///  CatchErrors                         failures become error answers, counted
///   LoadShed                           not ready below? answer `overloaded` at once
///    GlobalConcurrencyLimit            all connections together (max_concurrent_requests)
///     Timeout(handler_timeout)         a handler past its time answers `timeout`
///      svc
/// ```
///
/// The per-connection limit is backpressure (the client waits); the global
/// one sheds (the client is told), so one busy connection cannot starve the
/// others and an overloaded server says so instead of queueing without end.
pub(crate) fn connection_service<S>(
    svc: S,
    opts: &ServerOptions,
    global: Option<Arc<Semaphore>>,
    stats: ServerStats,
) -> impl Service<Message, Response = Resp, Error = BoxError, Future = impl Send> + Send
where
    S: Service<Message, Response = Resp> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    ServiceBuilder::new()
        .layer(ConcurrencyLimitLayer::new(opts.max_in_flight))
        .layer_fn(|s| CatchErrors::new(s, stats.clone()))
        .load_shed()
        .option_layer(global.map(GlobalConcurrencyLimitLayer::with_semaphore))
        .option_layer(opts.handler_timeout.map(TimeoutLayer::new))
        .map_err(Into::<BoxError>::into)
        .service(svc)
}
