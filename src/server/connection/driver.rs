//! The jsonmux engine: drives one connection's service over its
//! [`Framing`]: read requests, call, answer, write.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::FuturesUnordered;
use tokio::io::{AsyncRead, AsyncWrite};
use tower::{BoxError, Service};

use super::framing::{Framing, Read};
use super::slot::{self, Slot};
use crate::server::close::Close;
use crate::{Message, Resp};

/// Spare future slots a connection keeps for reuse.
const MAX_SPARE_SLOTS: usize = 64;

/// Serves one connection with the jsonmux engine until it ends; returns
/// why, unless the peer closed it.
///
/// Each handler is polled once, inline, as soon as it is called, and an
/// answer that is ready at once (the common case) goes straight into the
/// write buffer, without a task, an allocation or a wake-up. Only a handler
/// still working is parked, in a `FuturesUnordered` that wakes the
/// connection when it finishes. Everything read in one go is answered with
/// one write: the framing flushes when reading runs dry. The framing keeps
/// the books (requests in flight against the limit, the counters).
///
/// Whatever ends the reading (the peer, the drain, bad input, a timeout),
/// the requests read before are answered and flushed first, and a reason
/// the peer can be told is sent as a last error answer. On shutdown the
/// framing sends the going-away notice and reading goes on until the
/// connection is quiet or its grace is over (see [`Framing`]). A socket that
/// fails or stops taking answers, or a service that fails (its readiness:
/// requests' failures are answers), ends the connection at once.
pub(crate) fn serve<S, T>(framing: Framing<T>, svc: S) -> impl Future<Output = Option<Close>>
where
    S: Service<Message, Response = Resp, Error = BoxError>,
    T: AsyncRead + AsyncWrite + Unpin,
{
    run(Driver {
        framing,
        svc,
        working: None,
        spare: Vec::new(),
        end: None,
    })
}

/// [`serve`], given its driver. (An async fn keeps its arguments for its
/// whole life: with the driver as its one argument, the connection's state
/// is stored once.)
async fn run<S, T>(mut driver: Driver<S, T>) -> Option<Close>
where
    S: Service<Message, Response = Resp, Error = BoxError>,
    T: AsyncRead + AsyncWrite + Unpin,
{
    let ended = std::future::poll_fn(|cx| driver.poll(cx)).await;
    // Boxed: the last words' state (a send, a timeout) is needed only now;
    // inline, it would make every open connection's task larger.
    Box::pin(driver.framing.end(ended)).await
}

struct Driver<S: Service<Message>, T> {
    framing: Framing<T>,
    svc: S,
    /// Handlers that did not answer on their first poll. These are the
    /// requests in flight: every other request read has its answer
    /// buffered already. Made when a first handler waits, given back when
    /// the connection gives back its buffers.
    working: Option<FuturesUnordered<Working<S::Future>>>,
    /// Emptied slots, ready for the next request.
    spare: Vec<Slot<S::Future>>,
    /// Reading has ended, and why (`Some(None)`: the peer closed).
    end: Option<Option<Close>>,
}

impl<S, T> Driver<S, T>
where
    S: Service<Message, Response = Resp, Error = BoxError>,
    T: AsyncRead + AsyncWrite + Unpin,
{
    /// Ready once every request read is answered and flushed after reading
    /// ended (`Ok`, with the reason to tell the peer), or at once if the
    /// socket or the service fails (`Err`).
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Close>, Close>> {
        loop {
            let answered = self.answer_finished(cx)?;
            let read = self.read(cx)?;
            if answered + read == 0 {
                break;
            }
        }
        // Reading stopped (nothing to read, a limit, or the end): write out
        // what the last batch produced. (When reading ran dry the framing
        // has flushed already and this costs nothing.)
        let flushed = self.framing.poll_flush(cx)?.is_ready();
        if self.working.as_ref().is_none_or(FuturesUnordered::is_empty) {
            if flushed {
                if let Some(why) = self.end.take() {
                    return Poll::Ready(Ok(why));
                }
            }
            if self.framing.released() {
                // Idle for a while: nothing kept for the next request.
                (self.spare, self.working) = (Vec::new(), None);
            } else {
                // Nothing running: keep one slot, not the whole burst's worth.
                self.spare.truncate(1);
            }
        }
        Poll::Pending
    }

    /// Writes the answers of handlers that finished since the last poll;
    /// returns how many.
    fn answer_finished(&mut self, cx: &mut Context<'_>) -> Result<usize, Close> {
        let mut answered = 0;
        while let Some(working) = self.working.as_mut().filter(|w| !w.is_empty()) {
            if self.framing.poll_ready(cx)?.is_pending() {
                break;
            }
            let Poll::Ready(Some((out, slot))) = Pin::new(working).poll_next(cx) else {
                break;
            };
            self.recycle(slot);
            self.send(out.map_err(Close::Service)?)?;
            answered += 1;
        }
        Ok(answered)
    }

    /// Reads and calls requests until there is nothing more to read, the
    /// in-flight limit is reached, the socket cannot take more answers, or
    /// the service is busy; returns how many requests were read.
    fn read(&mut self, cx: &mut Context<'_>) -> Result<usize, Close> {
        let mut read = 0;
        while self.end.is_none() && self.framing.poll_ready(cx)?.is_ready() {
            if self.framing.at_limit() {
                // Read nothing more until answers go out (finishing
                // handlers wake the connection); the drain still runs (its
                // notice goes out with the flush below).
                if self.framing.poll_drain(cx).is_ready() {
                    self.end = Some(Some(Close::Drained));
                }
                break;
            }
            if self
                .svc
                .poll_ready(cx)
                .map_err(Close::Service)?
                .is_pending()
            {
                // Waiting for room (the service, or a place under the
                // server-wide cap): the drain still runs, as above.
                if self.framing.poll_drain(cx).is_ready() {
                    self.end = Some(Some(Close::Drained));
                }
                break;
            }
            match self.framing.poll_read(cx) {
                Poll::Ready(Read::Request(msg)) => {
                    read += 1;
                    let fut = self.svc.call(msg);
                    self.start(fut, cx)?;
                }
                Poll::Ready(Read::End(why)) => self.end = Some(why),
                Poll::Pending => break,
            }
        }
        Ok(read)
    }

    /// Polls a new handler once: answers at once if it is done, else parks it.
    fn start(&mut self, fut: S::Future, cx: &mut Context<'_>) -> Result<(), Close> {
        match slot::start(self.spare.pop(), fut, cx) {
            Ok((out, slot)) => {
                self.recycle(slot);
                self.send(out.map_err(Close::Service)?)
            }
            Err(slot) => {
                let working = self.working.get_or_insert_with(FuturesUnordered::new);
                working.push(Working(Some(slot)));
                Ok(())
            }
        }
    }

    /// Keeps an emptied slot for the next handler.
    fn recycle(&mut self, mut slot: Slot<S::Future>) {
        slot.set(None);
        if self.spare.len() < MAX_SPARE_SLOTS {
            self.spare.push(slot);
        }
    }

    /// Queues an answer for the next write.
    fn send(&mut self, resp: Resp) -> Result<(), Close> {
        self.framing.send(resp)
    }
}

/// A parked handler; gives its slot back with the answer.
struct Working<F>(Option<Slot<F>>);

impl<F: Future> Future for Working<F> {
    type Output = (F::Output, Slot<F>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let slot = self.0.as_mut().expect("polled after completion");
        let fut = slot
            .as_mut()
            .as_pin_mut()
            .expect("a parked slot holds a future");
        let out = std::task::ready!(fut.poll(cx));
        Poll::Ready((out, self.0.take().expect("checked above")))
    }
}
