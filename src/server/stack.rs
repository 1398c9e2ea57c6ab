//! The per-request rules a connection's service runs under, assembled in
//! one place from the options.

use std::net::SocketAddr;

use tower::{BoxError, Service, ServiceBuilder};

use std::sync::Arc;

use super::layers::{
    AdmissionLayer, CancelLayer, Cancellations, CatchErrorsLayer, HandlerTimeoutLayer,
};
use super::options::ServerOptions;
use super::stats::StatsHandle;
use crate::{Message, Resp};

/// The layers every connection's service gets, made once per server: the
/// server-wide cap in it is shared by all connections.
///
/// Outermost first:
///
/// ```text
/// Cancel               a jsonmux client's cancel drops the handler (every place below
///                      freed with it) and nothing is answered
///  CatchErrors         every failure or panic below becomes an error answer to its
///                      request; every answer gets its request's Uid (and number)
///   HandlerTimeout     handler_timeout, from the handler's first Pending, or the caller's
///                      deadline, whichever comes first: `timeout` (a request whose
///                      deadline was spent on arrival never gets here: the connection
///                      answers it `deadline_exceeded`, the handler not called)
///    Admission         max_concurrent_requests handlers at work, all connections, or
///                      the service not ready: `overloaded` (Shed) or wait (Queue)
///     svc
/// ```
///
/// A handler that answers on its first poll (the driver polls each one as
/// soon as it is called) starts no timer, holds no place under the cap and
/// cannot be cancelled: only handlers that wait pay for those rules.
///
/// The per-connection limit (`max_in_flight`) is not a layer: the framing
/// stops reading a connection with that many requests in flight, which is
/// backpressure (the client waits). By default the server-wide cap sheds
/// instead (the client is told `overloaded`), so one busy connection cannot
/// starve the others and an overloaded server says so instead of queueing
/// without end; with `Overload::Queue` it is backpressure too (Admission's
/// `poll_ready` waits, and the driver reads nothing meanwhile).
///
/// A layer whose option is `None` passes requests through. (It takes the
/// `Option` itself rather than being left out with `option_layer`: the
/// `Either` that makes would be one more level every request's future
/// passes through.)
#[derive(Clone, Debug)]
pub(crate) struct Stack {
    /// The level of the `request` spans.
    span_level: tracing::Level,
    handler_timeout: HandlerTimeoutLayer,
    admission: AdmissionLayer,
    /// Where every request's time goes, for the `metrics` recorder.
    #[cfg(feature = "metrics")]
    stats: StatsHandle,
}

impl Stack {
    pub(crate) fn new(opts: &ServerOptions, stats: &StatsHandle) -> Self {
        #[cfg(not(feature = "metrics"))]
        let _ = stats;
        Stack {
            span_level: opts.span_level,
            handler_timeout: HandlerTimeoutLayer::new(opts.handler_timeout),
            admission: AdmissionLayer::new(opts.max_concurrent_requests, opts.overload),
            #[cfg(feature = "metrics")]
            stats: stats.clone(),
        }
    }

    /// Wraps the user's service for one connection, from `peer`, whose
    /// cancels reach its requests through `cancellations`.
    pub(crate) fn service<S>(
        &self,
        svc: S,
        peer: Option<SocketAddr>,
        cancellations: Arc<Cancellations>,
    ) -> impl Service<Message, Response = Resp, Error = BoxError, Future = impl Send> + Send
    where
        S: Service<Message, Response = Resp> + Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        let svc = ServiceBuilder::new()
            .layer(CancelLayer::new(cancellations))
            .layer(CatchErrorsLayer::new(peer, self.span_level))
            .layer(self.handler_timeout)
            .layer(self.admission.clone())
            .service(svc);
        // With the `metrics` feature, every request is timed, its answer
        // (error answers included) ending the time.
        #[cfg(feature = "metrics")]
        let svc = crate::metrics::TimeRequests::new(svc, self.stats.metrics());
        svc
    }
}
