//! Drives one connection's service: read requests, call, answer, write.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::sync::Arc;

use futures_core::Stream;
use futures_sink::Sink;
use futures_util::stream::FuturesUnordered;
use tower::{BoxError, Service};

use super::admission::Admission;
use super::stats::ServerStats;
use super::transport::Transport;
use crate::{Code, Error, Message, Resp};

/// Spare future slots a connection keeps for reuse.
const MAX_SPARE_SLOTS: usize = 64;

/// A heap slot for one handler future, reused from request to request so
/// that calling a handler allocates nothing in the steady state.
type Slot<F> = Pin<Box<Option<F>>>;

/// Serves requests from `transport` with `svc` until the transport ends and
/// every request read has been answered (answers are written, not yet
/// flushed: the caller flushes and closes).
///
/// This replaces tokio-tower's `multiplex::Server`, for speed: each
/// handler is polled once, inline, as soon as it is called, and an answer
/// that is ready at once (the common case) goes straight into the write
/// buffer, without a task in a `FuturesUnordered`, an allocation or a
/// wake-up. Only a handler that is still working is parked in `working`,
/// which wakes the connection when it finishes. Everything read in one
/// go is answered with one write: the transport flushes when reading runs
/// dry.
///
/// The driver also keeps the shared books, as cheaply as it can: requests
/// are counted once per batch, error answers by their code, and the
/// server-wide cap (`admission`) is checked with one atomic load per
/// request and held only by handlers that did not answer at once.
///
/// # Errors
///
/// The service's own error, from `poll_ready` or a response future; the
/// connection's `CatchErrors` turns every per-request failure into an
/// answer, so this only happens if the service itself is broken.
pub(crate) fn drive<'a, S>(
    transport: &'a mut Transport,
    svc: S,
    stats: &'a ServerStats,
    admission: Option<Arc<Admission>>,
) -> impl Future<Output = Result<(), BoxError>> + 'a
where
    S: Service<Message, Response = Resp, Error = BoxError> + 'a,
{
    let mut driver = Driver {
        transport,
        svc,
        stats,
        admission,
        working: FuturesUnordered::new(),
        spare: Vec::new(),
        reading: true,
    };
    std::future::poll_fn(move |cx| driver.poll(cx))
}

struct Driver<'a, S: Service<Message>> {
    transport: &'a mut Transport,
    svc: S,
    stats: &'a ServerStats,
    /// The server-wide cap on handlers at work, if any.
    admission: Option<Arc<Admission>>,
    /// Handlers that did not answer on their first poll.
    working: FuturesUnordered<Working<S::Future>>,
    /// Emptied slots, ready for the next request.
    spare: Vec<Slot<S::Future>>,
    /// The transport has not ended yet.
    reading: bool,
}

impl<S> Driver<'_, S>
where
    S: Service<Message, Response = Resp, Error = BoxError>,
{
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        loop {
            let answered = self.answer_finished(cx)?;
            let read = self.read(cx)?;
            if answered + read == 0 {
                break;
            }
        }
        // Reading stopped (nothing to read, a limit, or the end): write out
        // what the last batch produced. (When reading ran dry the transport
        // has flushed already and this costs nothing.)
        let flushed = Sink::<Resp>::poll_flush(Pin::new(&mut *self.transport), cx)?.is_ready();
        if !self.reading && self.working.is_empty() && flushed {
            return Poll::Ready(Ok(()));
        }
        if self.working.is_empty() && self.spare.len() > 1 {
            // Nothing running: keep one slot, not the whole burst's worth.
            self.spare.truncate(1);
        }
        Poll::Pending
    }

    /// Writes the answers of handlers that finished since the last poll;
    /// returns how many.
    fn answer_finished(&mut self, cx: &mut Context<'_>) -> Result<usize, BoxError> {
        let mut answered = 0;
        while !self.working.is_empty() && self.sink_ready(cx)? {
            let Poll::Ready(Some((out, slot))) = Pin::new(&mut self.working).poll_next(cx) else {
                break;
            };
            self.recycle(slot);
            if let Some(admission) = &self.admission {
                admission.leave(1);
            }
            self.send(out?)?;
            answered += 1;
        }
        Ok(answered)
    }

    /// Reads and calls requests until there is nothing more to read, the
    /// socket cannot take more answers, or the service is busy; returns
    /// how many requests were read.
    fn read(&mut self, cx: &mut Context<'_>) -> Result<usize, BoxError> {
        let mut read = 0;
        while self.reading && self.sink_ready(cx)? {
            if self.svc.poll_ready(cx)?.is_pending() {
                break;
            }
            match Pin::new(&mut *self.transport).poll_next(cx) {
                Poll::Ready(Some(msg)) => {
                    read += 1;
                    if self.admission.as_ref().is_some_and(|a| a.is_full()) {
                        // Over the server-wide cap: the handler is not called.
                        let why = Error::Overloaded.to_string();
                        self.send(Resp::error(msg.uid, Code::Overloaded, why))?;
                        continue;
                    }
                    let fut = self.svc.call(msg);
                    self.start(fut, cx)?;
                }
                // The transport ends instead of failing (it keeps the
                // reason for the connection's last answer).
                Poll::Ready(None) => self.reading = false,
                Poll::Pending => break,
            }
        }
        self.stats.requests(read as u64);
        Ok(read)
    }

    /// Polls a new handler once: answers at once if it is done, else parks it.
    fn start(&mut self, fut: S::Future, cx: &mut Context<'_>) -> Result<(), BoxError> {
        let mut slot = self.spare.pop().unwrap_or_else(|| Box::pin(None));
        slot.set(Some(fut));
        let polled = slot.as_mut().as_pin_mut().map(|fut| fut.poll(cx));
        match polled {
            Some(Poll::Ready(out)) => {
                self.recycle(slot);
                self.send(out?)
            }
            _ => {
                if let Some(admission) = &self.admission {
                    admission.enter();
                }
                self.working.push(Working(Some(slot)));
                Ok(())
            }
        }
    }

    fn recycle(&mut self, mut slot: Slot<S::Future>) {
        slot.set(None);
        if self.spare.len() < MAX_SPARE_SLOTS {
            self.spare.push(slot);
        }
    }

    fn sink_ready(&mut self, cx: &mut Context<'_>) -> Result<bool, BoxError> {
        Ok(Sink::<Resp>::poll_ready(Pin::new(&mut *self.transport), cx)?.is_ready())
    }

    /// Queues an answer for the next write, counting it if it is an error.
    fn send(&mut self, resp: Resp) -> Result<(), BoxError> {
        if let Some(code) = resp.code {
            self.stats.error_code(code);
        }
        Ok(Sink::<Resp>::start_send(
            Pin::new(&mut *self.transport),
            resp,
        )?)
    }
}

impl<S: Service<Message>> Drop for Driver<'_, S> {
    fn drop(&mut self) {
        // Handlers dropped unfinished (the connection failed or was cut)
        // give their places back.
        if let Some(admission) = &self.admission {
            admission.leave(self.working.len());
        }
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
