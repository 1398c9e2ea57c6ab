//! The service one connection drives, assembled in one place from the options.

use tower::{BoxError, Service, ServiceBuilder};

use super::catch::CatchErrors;
use super::options::ServerOptions;
use crate::{Message, Resp};

/// Wraps the user's service for one connection, outermost first:
///
/// ```text
/// CatchErrors            failures become error answers;
///                        a handler past handler_timeout: `timeout`
///  LoadShed              the service not ready? answer `overloaded` at once
///   svc
/// ```
///
/// The two in-flight limits are not layers. Per connection
/// (`max_in_flight`), the transport stops reading a connection that has
/// that many requests in flight, which is backpressure (the client waits).
/// Server-wide (`max_concurrent_requests`), the driver sheds (the client is
/// told `overloaded`), so one busy connection cannot starve the others and
/// an overloaded server says so instead of queueing without end. Neither
/// takes a lock, and a handler that answers at once touches no shared
/// counter.
pub(crate) fn connection_service<S>(
    svc: S,
    opts: &ServerOptions,
) -> impl Service<Message, Response = Resp, Error = BoxError, Future = impl Send> + Send
where
    S: Service<Message, Response = Resp> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    ServiceBuilder::new()
        .layer_fn(|s| CatchErrors::new(s, opts.handler_timeout))
        .load_shed()
        .map_err(Into::<BoxError>::into)
        .service(svc)
}
