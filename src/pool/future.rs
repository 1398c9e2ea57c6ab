//! [`ResponseFuture`]: one call on a [`Pool`](super::Pool).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::sync::futures::OwnedNotified;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::DropGuard;

use super::call::Call;
use super::set::Set;
use crate::{CloseReason, Code, Error, Message, Resp};

/// Times a call is sent again, at most, after answers that say nothing ran.
const MAX_RETRIES: u8 = 2;

/// The future a [`Pool`](crate::Pool) call returns: the connection's
/// answer, or, while no connection is up, the wait for one (which ends with
/// [`Error::ClientClosed`] if the pool is closed, and at the call's
/// deadline with [`Error::Timeout`] carrying the last connect error).
///
/// A call the server answers without running it (it was shed as
/// overloaded, or the server is going away) is sent again, on a connection
/// to another endpoint if there is one, while its deadline allows and the
/// pool's retry budget has room (see
/// [`ClientBuilder::retry_budget`](crate::ClientBuilder::retry_budget)).
/// An [`idempotent`](crate::Message::idempotent) call may also get a copy
/// on another endpoint when it is slow (see
/// [`ClientBuilder::hedge`](crate::ClientBuilder::hedge)): the first
/// answer wins, and dropping the other cancels it.
pub struct ResponseFuture {
    inner: Inner,
}

enum Inner {
    /// Sent on a connection.
    Sent(Attempts),
    /// No connection was up: waiting for one.
    Waiting {
        msg: Option<Message>,
        set: Arc<Set>,
        /// Wakes us when the set of connections changes.
        changed: Option<Pin<Box<OwnedNotified>>>,
        /// Fires at the call's deadline, if it has one.
        deadline: Option<Pin<Box<Sleep>>>,
        /// Keeps the supervisors dialing even if every `Pool` clone is gone.
        _keep: Arc<DropGuard>,
    },
}

/// A call sent, and what may follow it: a retry, a copy.
struct Attempts {
    call: Call,
    /// What it takes to send it again; `None` when the pool does not.
    /// (Boxed: a call's future stays small, and futures move.)
    again: Option<Box<Again>>,
}

/// The copy of a slow idempotent call.
enum Copy {
    /// None: hedging is off, the call is not idempotent, or the copy
    /// failed.
    None,
    /// Sent when the timer fires, unless the call is answered first.
    Due(Pin<Box<Sleep>>),
    /// On its way, on another endpoint.
    Sent(Box<Call>),
}

/// What a call needs to be sent again: a copy of its request, and the
/// pool; and its copy, if it gets one.
struct Again {
    msg: Message,
    set: Arc<Set>,
    left: u8,
    /// When the call began, for the latencies hedging tracks.
    began: Option<Instant>,
    copy: Copy,
}

impl ResponseFuture {
    /// `sent`, with a copy of its request and the pool when the pool may
    /// send it again.
    pub(crate) fn sent(sent: Call, again: Option<(Message, Arc<Set>)>) -> Self {
        let again = again.map(|(msg, set)| Again::new(msg, set));
        ResponseFuture {
            inner: Inner::Sent(Attempts::new(sent, again)),
        }
    }

    pub(crate) fn waiting(msg: Message, set: Arc<Set>, keep: Arc<DropGuard>) -> Self {
        ResponseFuture {
            inner: Inner::Waiting {
                deadline: msg
                    .deadline()
                    .map(|d| Box::pin(tokio::time::sleep_until(d))),
                msg: Some(msg),
                set,
                changed: None,
                _keep: keep,
            },
        }
    }
}

/// The server said nothing ran for this call: safe to send again.
fn nothing_ran(e: &Error) -> bool {
    match e {
        Error::Overloaded => true,
        Error::Server { code, .. } => *code == Code::GoingAway,
        // Refused by a connection draining at its server's word: it never
        // left this client.
        Error::Closed(CloseReason::Server { code, .. }) => *code == Code::GoingAway,
        _ => false,
    }
}

impl Again {
    fn new(msg: Message, set: Arc<Set>) -> Self {
        let tracked =
            msg.is_idempotent() && set.hedger.as_ref().is_some_and(|h| h.tracks_latency());
        let mut again = Again {
            msg,
            set,
            left: MAX_RETRIES,
            began: tracked.then(Instant::now),
            copy: Copy::None,
        };
        again.copy = again.copy_due();
        again
    }

    /// The call `refused` (its server answered without running it), sent
    /// again if its deadline and the budget allow; `None` to give up with
    /// the refusal.
    fn retry(&mut self, refused: &Call) -> Option<Call> {
        if self.left == 0 || self.msg.deadline().is_some_and(|d| d <= Instant::now()) {
            return None;
        }
        let budget = self.set.budget.as_ref()?;
        if !budget.withdraw(self.set.calls()) {
            self.set.counts.retries_refused.fetch_add(1, Relaxed);
            refused.retry_refused();
            return None;
        }
        self.left -= 1;
        self.set.counts.retries.fetch_add(1, Relaxed);
        refused.retried();
        self.set.send_again(self.msg.clone(), refused.endpoint).ok()
    }

    /// The timer of the call's copy, if it gets one.
    fn copy_due(&self) -> Copy {
        let hedger = self.set.hedger.as_ref();
        match hedger
            .filter(|_| self.msg.is_idempotent())
            .and_then(|h| h.delay())
        {
            Some(delay) => Copy::Due(Box::pin(tokio::time::sleep(delay))),
            None => Copy::None,
        }
    }

    /// The copy of the call on `first`'s endpoint, to another endpoint, if
    /// there is one and the budget allows.
    fn copy(&self, first: usize) -> Copy {
        let (Some(hedger), Some(budget)) = (&self.set.hedger, &self.set.budget) else {
            return Copy::None;
        };
        let Some(sent) = self.set.send_copy(&self.msg, first) else {
            return Copy::None;
        };
        if !budget.withdraw(self.set.calls()) {
            return Copy::None;
        }
        hedger.sent.fetch_add(1, Relaxed);
        sent.hedge_sent();
        Copy::Sent(Box::new(sent))
    }

    /// The copy of the call on `first`'s endpoint: sent once due; its
    /// answer if it came first (`Ready(Err)`: it failed, and is dropped).
    fn poll_copy(&mut self, first: usize, cx: &mut Context<'_>) -> Poll<Result<Resp, ()>> {
        if let Copy::Due(timer) = &mut self.copy {
            if timer.as_mut().poll(cx).is_ready() {
                self.copy = self.copy(first);
            }
        }
        let Copy::Sent(copy) = &mut self.copy else {
            return Poll::Pending;
        };
        match ready!(Pin::new(&mut **copy).poll(cx)) {
            Ok(resp) => {
                copy.hedge_won();
                self.answered(true);
                Poll::Ready(Ok(resp))
            }
            Err(_) => {
                self.copy = Copy::None;
                Poll::Ready(Err(()))
            }
        }
    }

    /// The call was answered: its latency counts for the hedging delay.
    fn answered(&self, by_copy: bool) {
        let Some(hedger) = &self.set.hedger else {
            return;
        };
        if by_copy {
            hedger.won.fetch_add(1, Relaxed);
        }
        if let Some(began) = self.began {
            hedger.answered(began.elapsed());
        }
    }
}

impl Attempts {
    fn new(call: Call, again: Option<Again>) -> Self {
        Attempts {
            call,
            again: again.map(Box::new),
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Resp, Error>> {
        loop {
            // 1. The copy: sent when due, and its answer if it came first.
            if let Some(again) = &mut self.again {
                if let Poll::Ready(Ok(resp)) = again.poll_copy(self.call.endpoint, cx) {
                    return Poll::Ready(Ok(resp));
                }
            }
            // 2. The call.
            let out = ready!(Pin::new(&mut self.call).poll(cx));
            let (e, again) = match (&out, &mut self.again) {
                (Ok(_), Some(again)) => {
                    again.answered(false);
                    return Poll::Ready(out);
                }
                (Ok(_), None) | (Err(_), None) => return Poll::Ready(out),
                (Err(e), Some(again)) => (e, again),
            };
            // It failed: the copy may still answer, or the call be sent again.
            if let Copy::Sent(copy) = std::mem::replace(&mut again.copy, Copy::None) {
                self.call = *copy;
                continue;
            }
            if !nothing_ran(e) {
                return Poll::Ready(out);
            }
            match again.retry(&self.call) {
                Some(next) => self.call = next,
                None => return Poll::Ready(out),
            }
        }
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.inner {
            Inner::Sent(_) => "sent",
            Inner::Waiting { .. } => "waiting for a connection",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Resp, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.get_mut().inner;
        loop {
            let (msg, set, changed, deadline) = match inner {
                Inner::Sent(attempts) => return attempts.poll(cx),
                Inner::Waiting {
                    msg,
                    set,
                    changed,
                    deadline,
                    ..
                } => (msg, set, changed, deadline),
            };
            // Register for changes first, then look, so a connection that
            // comes up in between is not missed.
            let changed =
                changed.get_or_insert_with(|| Box::pin(set.changed.clone().notified_owned()));
            changed.as_mut().enable();
            let taken = msg.take().expect("polled after completion");
            let copy = set.budget.is_some().then(|| taken.clone());
            match set.send(taken) {
                Ok(sent) => {
                    let again = copy.map(|msg| Again::new(msg, set.clone()));
                    *inner = Inner::Sent(Attempts::new(sent, again));
                    continue;
                }
                Err(back) => *msg = Some(back),
            }
            if set.is_closed() {
                return Poll::Ready(Err(Error::ClientClosed));
            }
            if set.opts.fail_fast {
                if let Some(cause) = set.last_error() {
                    return Poll::Ready(Err(Error::Unavailable(Arc::new(cause))));
                }
            }
            // Out of time with no connection: say why none is up.
            if let Some(deadline) = deadline {
                if deadline.as_mut().poll(cx).is_ready() {
                    let cause = set.last_error().map(Arc::new);
                    return Poll::Ready(Err(Error::Timeout(cause)));
                }
            }
            match changed.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    if let Inner::Waiting { changed, .. } = inner {
                        *changed = None;
                    }
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
