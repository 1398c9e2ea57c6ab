//! [`ResponseFuture`] of [`CatchErrors`](super::CatchErrors), and the error
//! answer it makes of a failure or a panic.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tower::BoxError;

use super::uid::KeptUid;
use crate::server::layers::Shed;
use crate::{Code, Error, Resp};

/// The message of a handler timeout's answer.
const HANDLER_TIMED_OUT: &str = "the server's handler timed out";
/// The message of a panicked handler's answer.
pub(super) const HANDLER_PANICKED: &str = "handler panicked";

/// The handler's answer addressed to its request, or an error answer in
/// its place.
#[pin_project]
#[derive(Debug)]
pub(crate) struct ResponseFuture<F> {
    /// The handler at work; `None` if calling it panicked.
    #[pin]
    inner: Option<F>,
    /// The request's `Uid`, to address the answer; taken when done.
    uid: Option<KeptUid>,
    /// For a jsonmux client: the request's number, which the answer
    /// carries back.
    seq: Option<u64>,
    /// For a jsonmux client: when the request was read (the answer's delay
    /// counts from then); `NO_LOAD` if not.
    read_us: u32,
    /// The connection's peer, named in the log of a panic.
    peer: Option<SocketAddr>,
    span: tracing::Span,
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(
        inner: Option<F>,
        uid: KeptUid,
        (seq, read_us): (Option<u64>, u32),
        peer: Option<SocketAddr>,
        span: tracing::Span,
    ) -> Self {
        ResponseFuture {
            inner,
            uid: Some(uid),
            seq,
            read_us,
            peer,
            span,
        }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Resp, E>>,
    E: Into<BoxError>,
{
    /// Never an `Err`: the type is the stack's, so layers above can be any.
    type Output = Result<Resp, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        // 1. The handler, unless calling it panicked; a panic while it is
        //    polled ends it (it is never polled again). (The output is
        //    written in place, not returned through `catch_unwind`: an
        //    answer is large, and this runs for every request.)
        let mut out = None;
        if let Some(inner) = this.inner.as_pin_mut() {
            let polled = catch_unwind(AssertUnwindSafe(|| {
                if let Poll::Ready(done) = inner.poll(cx) {
                    out = Some(done);
                }
            }));
            match polled {
                Ok(()) if out.is_none() => return Poll::Pending,
                Ok(()) => {}
                Err(panic) => {
                    let uid = this.uid.as_ref().expect("polled after completion");
                    log_panic(uid.to_str(), *this.peer, &*panic);
                }
            }
        }
        // 2. The answer, addressed to the request whatever the handler said.
        let uid = this.uid.take().expect("polled after completion");
        // A shed request's `Val`, for the answer to give back.
        let mut given_back = None;
        let mut resp = match out {
            Some(Ok(mut resp)) => {
                uid.address(&mut resp.uid);
                resp
            }
            Some(Err(e)) => {
                let e = match e.into().downcast::<Shed>() {
                    Ok(shed) => {
                        given_back = Some(shed.0.val);
                        BoxError::from(Error::Overloaded)
                    }
                    Err(e) => e,
                };
                let (code, message) = answer_for(e);
                tracing::debug!(%code, error = %message, "request failed; answering with an error");
                Resp::error(uid.into_string(), code, message)
            }
            None => Resp::error(uid.into_string(), Code::Handler, HANDLER_PANICKED),
        };
        resp.seq = *this.seq;
        match given_back {
            // Shed: its `Val` back to the jsonmux client, which keeps no
            // copy, to send it again; no delay (nothing waited).
            Some(val) => resp.val = val,
            None => resp.load = *this.read_us,
        }
        Poll::Ready(Ok(resp))
    }
}

/// The error answer for a failure below: its code and message.
///
/// A jsonmux error answer that the handler passes on (a proxy relaying its
/// upstream's failure) keeps its code and message as they were.
pub(super) fn answer_for(e: BoxError) -> (Code, String) {
    match Error::from(e) {
        Error::Server { code, message } => (code, message),
        Error::Timeout(_) => (Code::Timeout, HANDLER_TIMED_OUT.to_owned()),
        e @ Error::Overloaded => (Code::Overloaded, e.to_string()),
        e => (Code::Handler, e.report()),
    }
}

/// Logs a handler's panic with the request's `Uid`, the peer and what the
/// panic said.
pub(super) fn log_panic(uid: &str, peer: Option<SocketAddr>, panic: &(dyn Any + Send)) {
    let said = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)");
    tracing::error!(
        uid,
        peer = peer.map(tracing::field::display),
        panic = said,
        "handler panicked; answering with an error"
    );
}
