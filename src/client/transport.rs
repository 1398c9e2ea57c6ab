//! The framed socket under a [`Connection`](super::Connection), as tokio-tower
//! sees it: a stream of [`Resp`], a sink of [`Message`], tagged by `Uid`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use pin_project::pin_project;
use tokio::net::TcpStream;
use tokio_tower::multiplex::TagStore;
use tokio_util::codec::Framed;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::shared::Shared;
use crate::{Error, JsonCodec, Message, Resp};

/// `Framed<TcpStream, JsonCodec>` that records the first error (or the
/// peer's close) in [`Shared`] before handing it to tokio-tower.
#[pin_project]
#[derive(Debug)]
pub(crate) struct Transport {
    #[pin]
    framed: Framed<TcpStream, JsonCodec<Resp>>,
    shared: Arc<Shared>,
    /// Fires when the connection is aborted from outside (dead peer).
    kill: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl Transport {
    pub(crate) fn new(framed: Framed<TcpStream, JsonCodec<Resp>>, shared: Arc<Shared>) -> Self {
        let kill = Box::pin(shared.kill.clone().cancelled_owned());
        Transport {
            framed,
            shared,
            kill,
        }
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
        if this.kill.as_mut().poll(cx).is_ready() {
            // `abort` recorded the cause before cancelling.
            return Poll::Ready(Some(Err(this.shared.closed_error())));
        }
        match ready!(this.framed.poll_next(cx)) {
            Some(Ok(resp)) => {
                this.shared.touch();
                // An error answer without a Uid is the server's last word
                // about the whole connection (bad input, overload): keep it
                // as the cause every request in flight will see.
                if let (true, Some(msg)) = (resp.uid.is_empty(), &resp.error) {
                    let cause = Error::from_wire(resp.code.as_deref(), msg.clone());
                    this.shared.set_cause(cause);
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
