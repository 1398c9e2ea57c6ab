//! The service one connection drives, assembled in one place from the options.

use std::sync::Arc;

use tower::{BoxError, Service, ServiceBuilder};

use super::admission::Admission;
use super::catch::CatchErrors;
use super::options::ServerOptions;
use super::stats::ServerStats;
use crate::{Message, Resp};

/// Wraps the user's service for one connection, outermost first:
///
/// ```text
/// CatchErrors            failures become error answers, counted; past the
///                        server-wide cap (max_concurrent_requests): `overloaded`;
///                        a handler past handler_timeout: `timeout`
///  LoadShed              the service not ready? answer `overloaded` at once
///   svc
/// ```
///
/// The per-connection limit (`max_in_flight`) is not a layer: the transport
/// stops reading a connection that has that many requests in flight, which
/// is backpressure (the client waits). The server-wide cap sheds (the
/// client is told), so one busy connection cannot starve the others and an
/// overloaded server says so instead of queueing without end. Neither takes
/// a lock per request.
pub(crate) fn connection_service<S>(
    svc: S,
    opts: &ServerOptions,
    admission: Option<Arc<Admission>>,
    stats: ServerStats,
) -> impl Service<Message, Response = Resp, Error = BoxError, Future = impl Send> + Send
where
    S: Service<Message, Response = Resp> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    ServiceBuilder::new()
        .layer_fn(|s| CatchErrors::new(s, stats.clone(), admission.clone(), opts.handler_timeout))
        .load_shed()
        .map_err(Into::<BoxError>::into)
        .service(svc)
}
