//! [`Pool`]: requests spread over many connections to many endpoints.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use tokio_util::sync::DropGuard;
use tower::Service;

use super::endpoint::Endpoint;
use super::handle::{Ctx, PoolHandle};
use crate::client::{Connection, ConnectionFuture, Options};
use crate::{Error, Message, Resp};

/// A connection in rotation, and the endpoint it belongs to.
#[derive(Debug)]
pub(crate) struct Live {
    pub(crate) endpoint: Arc<Endpoint>,
    pub(crate) conn: Connection,
}

/// What `poll_ready` reserved for the next `call`.
#[derive(Debug)]
enum Reserved {
    /// The connection at this index is ready for one request.
    Conn(usize),
    /// Fail fast: nothing is up.
    Unavailable(Error),
}

/// Connections to one or more endpoints, as one `Service`: each request
/// goes to the ready connection with the fewest requests in flight.
///
/// Every endpoint gets `pool_size` connections, each kept alive by a
/// background task that redials with exponential backoff and jitter when
/// it fails or is closed (noticed at once, even when idle), and replaces it
/// when the peer looks dead (no answer for the read timeout while requests
/// wait, or too many timeouts in a row). Requests in flight on a connection
/// that dies fail with [`Error::Closed`] and the cause.
///
/// While no connection is up, `poll_ready` waits (bound it with a timeout
/// layer) or, with `fail_fast`, lets the call fail at once with
/// [`Error::Unavailable`]. It never fails itself, so the pool is safe
/// behind `Buffer`, which would otherwise give up for good.
///
/// `Uid`s are unique per connection (see [`Connection`]): each answer is
/// routed on the connection its request went out on.
///
/// Build one with [`ClientBuilder::pool`](crate::ClientBuilder::pool) to
/// compose your own stack, or take the ready [`Client`](crate::Client).
pub struct Pool {
    conns: Vec<Live>,
    up: mpsc::UnboundedReceiver<Live>,
    ctx: Arc<Ctx>,
    reserved: Option<Reserved>,
    /// Stops every supervisor when the pool is dropped.
    _stop: DropGuard,
}

impl Pool {
    /// A pool over `addrs`; connections are dialed in the background.
    pub(crate) fn new(opts: Options, addrs: impl IntoIterator<Item = String>) -> Pool {
        let (tx, up) = mpsc::unbounded_channel();
        let ctx = Arc::new(Ctx::new(opts, tx));
        let handle = PoolHandle { ctx: ctx.clone() };
        for addr in addrs {
            handle.add(addr);
        }
        Pool {
            conns: Vec::new(),
            up,
            _stop: ctx.token.clone().drop_guard(),
            ctx,
            reserved: None,
        }
    }

    /// Waits until one connection is up, or every endpoint has failed to connect.
    pub(crate) async fn wait_first(&mut self) -> Result<(), Error> {
        loop {
            if let Ok(live) = self.up.try_recv() {
                self.conns.push(live);
                return Ok(());
            }
            if let Some(e) = self.ctx.all_down() {
                return Err(e);
            }
            tokio::select! {
                Some(live) = self.up.recv() => {
                    self.conns.push(live);
                    return Ok(());
                }
                _ = self.ctx.changed.notified() => {}
            }
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
        self.conns.len()
    }

    /// Takes in new connections and drops dead or removed ones.
    fn refresh(&mut self, cx: &mut Context<'_>) {
        while let Poll::Ready(Some(live)) = self.up.poll_recv(cx) {
            self.conns.push(live);
        }
        self.conns
            .retain(|l| !l.conn.is_closed() && !l.endpoint.token.is_cancelled());
    }
}

impl Service<Message> for Pool {
    type Response = Resp;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.reserved.is_some() {
            return Poll::Ready(Ok(()));
        }
        // 1. Bring the set of connections up to date (this also registers
        //    for wake-ups when a supervisor brings a new one).
        self.refresh(cx);
        // 2. Of the connections ready for a request, pick the least loaded.
        let mut best: Option<(usize, usize)> = None;
        for (i, live) in self.conns.iter_mut().enumerate() {
            if let Poll::Ready(Ok(())) = live.conn.poll_ready(cx) {
                let load = live.conn.in_flight();
                if best.is_none_or(|(_, l)| load < l) {
                    best = Some((i, load));
                }
            }
        }
        if let Some((i, _)) = best {
            self.reserved = Some(Reserved::Conn(i));
            return Poll::Ready(Ok(()));
        }
        // 3. None ready. With nothing up at all, fail fast if asked to.
        if self.conns.is_empty() && self.ctx.opts.fail_fast {
            if let Some(cause) = self.ctx.last_error() {
                self.reserved = Some(Reserved::Unavailable(Error::Unavailable(Arc::new(cause))));
                return Poll::Ready(Ok(()));
            }
        }
        Poll::Pending
    }

    fn call(&mut self, msg: Message) -> ResponseFuture {
        match self
            .reserved
            .take()
            .expect("Pool::call without a reservation; poll_ready must be called first")
        {
            Reserved::Conn(i) => ResponseFuture::sent(self.conns[i].conn.call(msg)),
            Reserved::Unavailable(e) => ResponseFuture::failed(e),
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("connections", &self.conns.len())
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
    Conn(ConnectionFuture),
    /// Failed before it was sent.
    Failed(Option<Error>),
}

impl ResponseFuture {
    fn sent(f: ConnectionFuture) -> Self {
        ResponseFuture {
            inner: Inner::Conn(f),
        }
    }

    fn failed(e: Error) -> Self {
        ResponseFuture {
            inner: Inner::Failed(Some(e)),
        }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Resp, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().inner {
            Inner::Conn(f) => Pin::new(f).poll(cx),
            Inner::Failed(e) => Poll::Ready(Err(e.take().expect("polled after completion"))),
        }
    }
}
