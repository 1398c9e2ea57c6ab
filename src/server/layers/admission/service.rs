//! [`Admission`]: the service.

use std::sync::Arc;
use std::task::{Context, Poll};

use tower::{BoxError, Service};

use super::future::ResponseFuture;
use super::{Occupancy, OccupancyHandle};

/// Calls the inner service unless the server-wide cap is reached; then
/// the call fails at once with tower's `Overloaded`. With no cap, passes
/// calls through.
#[derive(Clone, Debug)]
pub(crate) struct Admission<S> {
    inner: S,
    /// The shared count, through this connection's own handle.
    occupancy: Option<OccupancyHandle>,
}

impl<S> Admission<S> {
    pub(crate) fn new(inner: S, occupancy: Option<Arc<Occupancy>>) -> Self {
        Admission {
            inner,
            occupancy: occupancy.map(OccupancyHandle::new),
        }
    }
}

impl<S, R> Service<R> for Admission<S>
where
    S: Service<R, Error = BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        match &self.occupancy {
            // The inner service keeps the readiness it reported: the next
            // call uses it.
            Some(occupancy) if occupancy.is_full() => ResponseFuture::shed(),
            occupancy => ResponseFuture::admitted(self.inner.call(req), occupancy.clone()),
        }
    }
}
