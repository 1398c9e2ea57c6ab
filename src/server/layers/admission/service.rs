//! [`Admission`]: the service.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::sync::futures::OwnedNotified;
use tower::{BoxError, Service};

use super::future::ResponseFuture;
use super::returned::GiveBack;
use super::{Occupancy, OccupancyHandle};
use crate::server::Overload;

/// Calls the inner service when there is room: under the server-wide cap
/// (if any) and with the inner service ready. Otherwise, in
/// [`Overload::Shed`] mode the call fails at once with tower's
/// `Overloaded`; in [`Overload::Queue`] mode `poll_ready` waits.
pub(crate) struct Admission<S> {
    inner: S,
    /// The shared count, through this connection's own handle.
    occupancy: Option<OccupancyHandle>,
    overload: Overload,
    /// Shed mode: the inner service was ready at the last `poll_ready`.
    inner_ready: bool,
    /// Queue mode: waiting for a place to free, while the cap is reached.
    freed: Option<Pin<Box<OwnedNotified>>>,
}

impl<S> Admission<S> {
    pub(crate) fn new(inner: S, occupancy: Option<Arc<Occupancy>>, overload: Overload) -> Self {
        Admission {
            inner,
            occupancy: occupancy.map(OccupancyHandle::new),
            overload,
            inner_ready: false,
            freed: None,
        }
    }

    /// Queue mode: ready once the cap is not reached.
    fn poll_place(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(occupancy) = &self.occupancy else {
            return Poll::Ready(());
        };
        loop {
            // Woken (or not) by a place freed since we last looked.
            if let Some(freed) = &mut self.freed {
                ready!(freed.as_mut().poll(cx));
                self.freed = None;
            }
            if !occupancy.is_full() {
                return Poll::Ready(());
            }
            // Full: take a ticket for the next freed place, then look again,
            // so a place freed in between is not missed.
            let freed = Box::pin(occupancy.freed());
            if !occupancy.is_full() {
                return Poll::Ready(());
            }
            self.freed = Some(freed);
        }
    }
}

impl<S, R> Service<R> for Admission<S>
where
    R: GiveBack,
    S: Service<R>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self.overload {
            // Always ready; `call` sheds if the inner service is not (as
            // tower's `LoadShed`). A failed service fails the connection.
            Overload::Shed => {
                self.inner_ready = match self.inner.poll_ready(cx) {
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                    polled => polled.is_ready(),
                };
                Poll::Ready(Ok(()))
            }
            // A place first, then the service: nobody is shed.
            Overload::Queue => {
                ready!(self.poll_place(cx));
                self.inner.poll_ready(cx).map_err(Into::into)
            }
        }
    }

    #[inline]
    fn call(&mut self, req: R) -> Self::Future {
        let occupancy = &self.occupancy;
        if self.overload == Overload::Shed {
            // The inner service keeps the readiness it reported when only
            // the cap sheds: the next call uses it.
            let full = occupancy.as_ref().is_some_and(|o| o.is_full());
            if full || !self.inner_ready {
                return ResponseFuture::shed(req.give_back());
            }
            self.inner_ready = false;
        }
        ResponseFuture::admitted(self.inner.call(req), occupancy.clone())
    }
}

impl<S: fmt::Debug> fmt::Debug for Admission<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admission")
            .field("inner", &self.inner)
            .field("occupancy", &self.occupancy)
            .field("overload", &self.overload)
            .field("waiting_for_a_place", &self.freed.is_some())
            .finish()
    }
}
