//! [`ResponseFuture`]: one call on a [`Pool`](super::Pool).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::futures::OwnedNotified;
use tokio::time::Sleep;
use tokio_util::sync::DropGuard;

use super::call::Call;
use super::set::Set;
use crate::{Error, Message, Resp};

/// The future a [`Pool`](crate::Pool) call returns: the connection's
/// answer, or, while no connection is up, the wait for one (which ends with
/// [`Error::ClientClosed`] if the pool is closed, and at the call's
/// deadline with [`Error::Timeout`] carrying the last connect error).
pub struct ResponseFuture {
    inner: Inner,
}

enum Inner {
    /// Sent on a connection.
    Sent(Call),
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
    pub(crate) fn sent(sent: Call) -> Self {
        ResponseFuture {
            inner: Inner::Sent(sent),
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
                Inner::Sent(f) => return Pin::new(f).poll(cx),
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
            match set.send(taken) {
                Ok(sent) => {
                    *inner = Inner::Sent(sent);
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
