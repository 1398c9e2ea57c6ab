//! [`Cancel`]: the service.

use std::sync::Arc;
use std::task::{Context, Poll};

use tower::Service;

use super::future::ResponseFuture;
use super::Cancellations;
use crate::{Message, Resp};

/// Makes each request that carries the extension's number cancellable:
/// its future registers in the connection's [`Cancellations`] once its
/// handler does not answer at once, and a cancel then drops the handler
/// and ends the future with the stand-in for "no answer"
/// (`Resp::cancelled`), which the connection writes nothing for.
#[derive(Clone, Debug)]
pub(crate) struct Cancel<S> {
    inner: S,
    cancellations: Arc<Cancellations>,
}

impl<S> Cancel<S> {
    pub(crate) fn new(inner: S, cancellations: Arc<Cancellations>) -> Self {
        Cancel {
            inner,
            cancellations,
        }
    }
}

impl<S> Service<Message> for Cancel<S>
where
    S: Service<Message, Response = Resp>,
{
    type Response = Resp;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, msg: Message) -> Self::Future {
        let cancellable = msg.ext.seq.map(|seq| (seq, self.cancellations.clone()));
        ResponseFuture::new(self.inner.call(msg), cancellable)
    }
}
