//! [`ResponseFuture`]: one call on a [`Pool`](super::Pool).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::futures::OwnedNotified;
use tokio::time::Sleep;
use tokio_util::sync::DropGuard;

use super::attempts::{Attempts, Plan};
use super::set::Set;
use crate::{Error, Message, Resp};

/// The future a [`Pool`](crate::Pool) call returns: the connection's
/// answer, or, while no connection is up, the wait for one (which ends with
/// [`Error::ClientClosed`] if the pool is closed, and at the call's
/// deadline with [`Error::Timeout`] carrying the last connect error).
///
/// A call a jsonmux server sheds (`overloaded`: its handler did not run)
/// is sent again, on a connection to another endpoint if there is one,
/// while its deadline allows and the pool's retry budget has room (see
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

impl ResponseFuture {
    pub(super) fn sent(attempts: Attempts) -> Self {
        ResponseFuture {
            inner: Inner::Sent(attempts),
        }
    }

    pub(super) fn waiting(msg: Message, set: Arc<Set>, keep: Arc<DropGuard>) -> Self {
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
            let plan = Plan::of(&taken, set);
            match set.send(taken) {
                Ok(sent) => {
                    *inner = Inner::Sent(Attempts::new(sent, plan));
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
