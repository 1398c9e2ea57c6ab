//! The framed socket under a [`Connection`](super::Connection), as tokio-tower
//! sees it: a stream of [`Resp`], a sink of [`Message`], tagged by `Uid`.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use pin_project::pin_project;
use tokio::net::TcpStream;
use tokio_tower::multiplex::TagStore;
use tokio_util::codec::Framed;

use super::inflight::InFlight;
use crate::{Error, JsonCodec, Message, Resp};

/// State one connection's caller side and background worker share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// `Uid`s in flight: duplicates refused, abandoned ones tombstoned.
    pub(crate) in_flight: InFlight,
    /// Why the connection ended, recorded by the worker *before* it drops
    /// the waiters (tokio-tower only tells them "cancelled").
    cause: OnceLock<Error>,
    /// The `Connection` handle is gone: the worker may stop once drained.
    handle_dropped: AtomicBool,
}

impl Shared {
    /// Records why the connection ended; the first cause wins.
    pub(crate) fn set_cause(&self, e: Error) {
        let _ = self.cause.set(e);
    }

    /// The error a request gets when the connection died under it.
    pub(crate) fn closed_error(&self) -> Error {
        Error::closed(self.cause.get().cloned().unwrap_or(Error::WorkerGone))
    }

    /// True once the connection has ended (with a recorded cause).
    pub(crate) fn is_closed(&self) -> bool {
        self.cause.get().is_some()
    }

    pub(crate) fn set_handle_dropped(&self) {
        self.handle_dropped.store(true, Ordering::Release);
    }

    pub(crate) fn handle_dropped(&self) -> bool {
        self.handle_dropped.load(Ordering::Acquire)
    }
}

/// `Framed<TcpStream, JsonCodec>` that records the first error (or the
/// peer's close) in [`Shared`] before handing it to tokio-tower.
#[pin_project]
#[derive(Debug)]
pub(crate) struct Transport {
    #[pin]
    framed: Framed<TcpStream, JsonCodec<Resp>>,
    shared: std::sync::Arc<Shared>,
}

impl Transport {
    pub(crate) fn new(
        framed: Framed<TcpStream, JsonCodec<Resp>>,
        shared: std::sync::Arc<Shared>,
    ) -> Self {
        Transport { framed, shared }
    }
}

/// Records `r`'s error, if any, as the connection's cause.
fn record<T>(shared: &Shared, r: Result<T, Error>) -> Result<T, Error> {
    r.inspect_err(|e| shared.set_cause(e.clone()))
}

impl Stream for Transport {
    type Item = Result<Resp, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        match ready!(this.framed.poll_next(cx)) {
            Some(Ok(resp)) => {
                // An error answer without a Uid is the server's last word
                // about the whole connection (bad input, overload): keep it
                // as the cause every request in flight will see.
                if let (true, Some(msg)) = (resp.uid.is_empty(), &resp.error) {
                    this.shared.set_cause(Error::Server(msg.clone()));
                }
                Poll::Ready(Some(Ok(resp)))
            }
            Some(Err(e)) => Poll::Ready(Some(record(this.shared, Err(e)))),
            None => {
                this.shared.set_cause(Error::PeerClosed);
                Poll::Ready(None)
            }
        }
    }
}

impl Sink<Message> for Transport {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.project();
        Sink::<Message>::poll_ready(this.framed, cx).map(|r| record(this.shared, r))
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        let this = self.project();
        record(this.shared, this.framed.start_send(item))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.project();
        Sink::<Message>::poll_flush(this.framed, cx).map(|r| record(this.shared, r))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.project();
        Sink::<Message>::poll_close(this.framed, cx).map(|r| record(this.shared, r))
    }
}

impl TagStore<Message, Resp> for Transport {
    type Tag = String;

    fn assign_tag(self: Pin<&mut Self>, r: &mut Message) -> String {
        r.uid.clone()
    }

    fn finish_tag(self: Pin<&mut Self>, r: &Resp) -> String {
        r.uid.clone()
    }
}
