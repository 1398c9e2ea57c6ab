//! [`ResponseFuture`] of [`Admission`](super::Admission), and the place a
//! waiting handler holds.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tower::load_shed::error::Overloaded;
use tower::BoxError;

use super::{OccupancyHandle, Shed};
use crate::Message;

/// The handler's output, or `Overloaded` for a request shed at `call`.
#[pin_project]
#[derive(Debug)]
pub(crate) struct ResponseFuture<F> {
    #[pin]
    kind: Kind<F>,
}

#[pin_project(project = KindProj)]
#[derive(Debug)]
enum Kind<F> {
    /// Shed: fails on its first poll, giving the request back if it can.
    Shed(Option<Message>),
    /// Called: the handler, and its place under the cap (if there is a
    /// cap) once it waits.
    Admitted {
        #[pin]
        inner: F,
        place: Option<Place>,
    },
}

impl<F> ResponseFuture<F> {
    pub(super) fn shed(given_back: Option<Message>) -> Self {
        ResponseFuture {
            kind: Kind::Shed(given_back),
        }
    }

    pub(super) fn admitted(inner: F, occupancy: Option<OccupancyHandle>) -> Self {
        let place = occupancy.map(|occupancy| Place {
            occupancy,
            held: false,
        });
        ResponseFuture {
            kind: Kind::Admitted { inner, place },
        }
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Shed(given_back) => Poll::Ready(Err(match given_back.take() {
                Some(msg) => Shed(msg).into(),
                None => Overloaded::new().into(),
            })),
            KindProj::Admitted { inner, place } => match inner.poll(cx) {
                Poll::Ready(out) => {
                    if let Some(place) = place {
                        place.leave();
                    }
                    Poll::Ready(out.map_err(Into::into))
                }
                Poll::Pending => {
                    if let Some(place) = place {
                        place.hold();
                    }
                    Poll::Pending
                }
            },
        }
    }
}

/// A handler's place under the cap: held from its first `Pending` until
/// it answers or is dropped.
#[derive(Debug)]
struct Place {
    occupancy: OccupancyHandle,
    held: bool,
}

impl Place {
    fn hold(&mut self) {
        if !self.held {
            self.held = true;
            self.occupancy.enter();
        }
    }

    fn leave(&mut self) {
        if self.held {
            self.held = false;
            self.occupancy.leave();
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.leave();
    }
}
