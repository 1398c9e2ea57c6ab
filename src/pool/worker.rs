//! [`PoolWorker`]: the future that runs every supervisor of a pool.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::endpoint::Endpoint;
use super::set::Set;
use super::supervisor::supervise;

type Supervisor = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A pool's background work, from [`Pool::pair`](super::Pool::pair): one
/// supervisor per connection slot (`pool_size` per endpoint), each dialing,
/// watching and redialing its connection. Run it (spawn it, or poll it
/// yourself) for the pool to connect.
///
/// Endpoints added with [`PoolHandle::add`](super::PoolHandle::add) reach
/// it over a channel, so adding needs no runtime. It must itself be polled
/// within a tokio runtime: it dials tokio sockets and spawns each
/// connection's task with `tokio::spawn`.
///
/// It finishes once every [`Pool`](super::Pool) clone (and every call
/// still waiting for a connection) is gone and its supervisors have stopped.
/// Dropped before that, it stops the dialing: connections already up keep
/// serving until they close, unwatched, and none is replaced.
#[must_use = "a pool connects only while its PoolWorker runs"]
pub struct PoolWorker {
    set: Arc<Set>,
    /// Endpoints added since the last poll.
    new_endpoints: mpsc::UnboundedReceiver<Arc<Endpoint>>,
    supervisors: FuturesUnordered<Supervisor>,
    /// Fires when the last `Pool` clone is dropped.
    stopped: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl PoolWorker {
    pub(crate) fn new(
        set: Arc<Set>,
        new_endpoints: mpsc::UnboundedReceiver<Arc<Endpoint>>,
    ) -> Self {
        let stopped = Box::pin(set.token.clone().cancelled_owned());
        PoolWorker {
            set,
            new_endpoints,
            supervisors: FuturesUnordered::new(),
            stopped,
        }
    }
}

impl Future for PoolWorker {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        // 1. Start the supervisors of every endpoint added since.
        while let Poll::Ready(Some(endpoint)) = this.new_endpoints.poll_recv(cx) {
            for _ in 0..this.set.opts.pool_size {
                let slot = supervise(this.set.clone(), endpoint.clone());
                this.supervisors.push(Box::pin(slot));
            }
        }
        // 2. Run them; each returns once its endpoint leaves the pool.
        while let Poll::Ready(Some(())) = Pin::new(&mut this.supervisors).poll_next(cx) {}
        // 3. Done once the pool is gone and every supervisor has returned.
        if this.stopped.as_mut().poll(cx).is_ready() && this.supervisors.is_empty() {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl fmt::Debug for PoolWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolWorker")
            .field("supervisors", &self.supervisors.len())
            .finish()
    }
}
