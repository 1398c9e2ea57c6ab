//! The framed socket under one server connection, as tokio-tower sees it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::net::TcpStream;
use tokio_util::codec::Framed;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::{Error, JsonCodec, Message, Resp};

/// A stream of requests that *ends* instead of failing.
///
/// tokio-tower's `multiplex::Server` drops everything in flight when its
/// stream fails. Ending the stream instead lets it answer every request
/// decoded so far and flush; the decode error is kept in `error` so the
/// connection can send it as a last answer. A shutdown signal ends the
/// stream the same way, which is how a drain starts.
#[derive(Debug)]
pub(crate) struct Transport {
    pub(crate) framed: Framed<TcpStream, JsonCodec<Message>>,
    shutdown: Pin<Box<WaitForCancellationFutureOwned>>,
    /// Why the stream ended early, if it did.
    pub(crate) error: Option<Error>,
    ended: bool,
}

impl Transport {
    pub(crate) fn new(
        framed: Framed<TcpStream, JsonCodec<Message>>,
        shutdown: CancellationToken,
    ) -> Self {
        Transport {
            framed,
            shutdown: Box::pin(shutdown.cancelled_owned()),
            error: None,
            ended: false,
        }
    }
}

impl Stream for Transport {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended || this.shutdown.as_mut().poll(cx).is_ready() {
            this.ended = true;
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.framed).poll_next(cx) {
            Poll::Ready(Some(Ok(msg))) => Poll::Ready(Some(Ok(msg))),
            Poll::Ready(Some(Err(e))) => {
                this.error = Some(e);
                this.ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(None) => {
                this.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Sink<Resp> for Transport {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Sink::<Resp>::poll_ready(Pin::new(&mut self.framed), cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Resp) -> Result<(), Error> {
        Pin::new(&mut self.framed).start_send(item)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Sink::<Resp>::poll_flush(Pin::new(&mut self.framed), cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Sink::<Resp>::poll_close(Pin::new(&mut self.framed), cx)
    }
}
