//! [`Pool`]: requests spread over many connections to many endpoints.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::futures::OwnedNotified;
use tokio_util::sync::DropGuard;
use tower::Service;

use super::handle::{Ctx, PoolHandle};
use crate::client::{ConnectionFuture, Options};
use crate::{Addr, Error, Message, Resp};

/// Connections to one or more endpoints, as one `Service`: each request
/// goes to the live connection with the fewest requests in flight.
///
/// Every endpoint gets `pool_size` connections, each kept alive by a
/// background task that redials with exponential backoff and jitter when
/// it fails or is closed (noticed at once, even when idle), and replaces it
/// when the peer looks dead (no answer for the read timeout while requests
/// wait, or too many timeouts in a row). Requests in flight on a connection
/// that dies fail with [`Error::Closed`] and the cause.
///
/// `Pool` is cheap to [`Clone`]: clones share the connections, so it needs
/// no `Buffer` to be shared by many tasks. The background tasks stop when
/// the last clone is dropped.
///
/// `poll_ready` is always ready: a connection's queue needs no reservation.
/// While no connection is up, a call's future waits for one (so a timeout
/// layer above bounds the wait) or, with `fail_fast`, fails at once with
/// [`Error::Unavailable`]. The pool never fails `poll_ready`, so it is also
/// safe behind `Buffer`, which would otherwise give up for good.
///
/// `Uid`s are unique per connection (see [`Connection`](crate::Connection)): each answer is
/// routed on the connection its request went out on.
///
/// Build one with [`ClientBuilder::pool`](crate::ClientBuilder::pool) to
/// compose your own stack, or take the ready [`Client`](crate::Client).
#[derive(Clone)]
pub struct Pool {
    ctx: Arc<Ctx>,
    /// Stops every supervisor when the last clone is dropped.
    _stop: Arc<DropGuard>,
}

impl Pool {
    /// A pool over `addrs`; connections are dialed in the background.
    pub(crate) fn new(opts: Options, addrs: impl IntoIterator<Item = Addr>) -> Pool {
        let ctx = Arc::new(Ctx::new(opts));
        let handle = PoolHandle { ctx: ctx.clone() };
        for addr in addrs {
            handle.add(addr);
        }
        Pool {
            _stop: Arc::new(ctx.token.clone().drop_guard()),
            ctx,
        }
    }

    /// Waits until one connection is up, or every endpoint has failed to connect.
    pub(crate) async fn wait_first(&self) -> Result<(), Error> {
        loop {
            let changed = self.ctx.changed.clone().notified_owned();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.ctx.len() > 0 {
                return Ok(());
            }
            if let Some(e) = self.ctx.all_down() {
                return Err(e);
            }
            changed.await;
        }
    }

    /// A handle to add or remove endpoints and read their health.
    pub fn handle(&self) -> PoolHandle {
        PoolHandle {
            ctx: self.ctx.clone(),
        }
    }

    /// Connections in rotation right now.
    pub fn connections(&self) -> usize {
        self.ctx.len()
    }
}

impl Service<Message> for Pool {
    type Response = Resp;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, msg: Message) -> ResponseFuture {
        // The common case: a connection is up; send on the least loaded.
        let msg = match self.ctx.send(msg) {
            Ok(sent) => {
                return ResponseFuture {
                    inner: Inner::Sent(sent),
                }
            }
            Err(msg) => msg,
        };
        ResponseFuture {
            inner: Inner::Waiting {
                msg: Some(msg),
                ctx: self.ctx.clone(),
                changed: None,
                _keep: self._stop.clone(),
            },
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("connections", &self.ctx.len())
            .field("endpoints", &self.handle().endpoints())
            .finish()
    }
}

/// The future a [`Pool`] call returns.
#[derive(Debug)]
pub struct ResponseFuture {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    /// Sent on a connection.
    Sent(ConnectionFuture),
    /// No connection was up: waiting for one.
    Waiting {
        msg: Option<Message>,
        ctx: Arc<Ctx>,
        /// Wakes us when the set of connections changes.
        changed: Option<Pin<Box<OwnedNotified>>>,
        /// Keeps the supervisors dialing even if every `Pool` clone is gone.
        _keep: Arc<DropGuard>,
    },
}

impl Future for ResponseFuture {
    type Output = Result<Resp, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.get_mut().inner;
        loop {
            let (msg, ctx, changed) = match inner {
                Inner::Sent(f) => return Pin::new(f).poll(cx),
                Inner::Waiting {
                    msg, ctx, changed, ..
                } => (msg, ctx, changed),
            };
            // Register for changes first, then look, so a connection that
            // comes up in between is not missed.
            let changed =
                changed.get_or_insert_with(|| Box::pin(ctx.changed.clone().notified_owned()));
            changed.as_mut().enable();
            let taken = msg.take().expect("polled after completion");
            match ctx.send(taken) {
                Ok(sent) => {
                    *inner = Inner::Sent(sent);
                    continue;
                }
                Err(back) => *msg = Some(back),
            }
            if ctx.opts.fail_fast {
                if let Some(cause) = ctx.last_error() {
                    return Poll::Ready(Err(Error::Unavailable(Arc::new(cause))));
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
