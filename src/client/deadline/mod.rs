//! [`Deadline`]: the client stack's outermost layer, bounding each call by
//! its deadline and putting that deadline on the call for the connection
//! to send.

mod future;

use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tower::Service;

pub(crate) use future::ResponseFuture;

use crate::{Error, Message, Resp};

/// Bounds each call by its deadline, the earliest of:
///
/// * the one the caller set on the message ([`Message::with_deadline`]);
/// * the deadline of the request being handled, when the call is made from
///   a jsonmux handler and `inherit` is on (see `crate::deadline`);
/// * `timeout` from now (the client's request timeout).
///
/// The deadline goes on the message, for the connection to send as the
/// time left, and the call fails with [`Error::Timeout`] when it passes
/// (at once, without calling the inner service, if it has passed already).
/// A call that times out is dropped, which is the inner service's
/// cancellation.
#[derive(Clone, Debug)]
pub(crate) struct Deadline<S> {
    inner: S,
    timeout: Option<Duration>,
    inherit: bool,
}

impl<S> Deadline<S> {
    pub(crate) fn new(inner: S, timeout: Option<Duration>, inherit: bool) -> Self {
        Deadline {
            inner,
            timeout,
            inherit,
        }
    }
}

impl<S> Service<Message> for Deadline<S>
where
    S: Service<Message, Response = Resp, Error = Error>,
{
    type Response = Resp;
    type Error = Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, mut msg: Message) -> Self::Future {
        let inherited = self.inherit.then(crate::deadline::current).flatten();
        let mut deadline = earliest(msg.deadline(), inherited);
        let now = (deadline.is_some() || self.timeout.is_some()).then(Instant::now);
        if let (Some(timeout), Some(now)) = (self.timeout, now) {
            deadline = earliest(deadline, now.checked_add(timeout));
        }
        let Some(deadline) = deadline else {
            return ResponseFuture::unbounded(self.inner.call(msg));
        };
        if now.is_some_and(|now| deadline <= now) {
            // Spent already (an inherited deadline, say): nothing is sent.
            return ResponseFuture::expired();
        }
        msg.set_deadline(Some(deadline));
        ResponseFuture::bounded(self.inner.call(msg), deadline)
    }
}

/// The earlier of two deadlines, either of which may be absent.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
