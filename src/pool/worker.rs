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

use super::set::{Set, Task, ToWorker};
use super::supervisor::supervise;

/// A pool's background work, from [`Pool::pair`](super::Pool::pair): one
/// supervisor per connection slot (`pool_size` per endpoint), each dialing,
/// watching and redialing its connection. Run it (spawn it, or poll it
/// yourself) for the pool to connect.
///
/// Endpoints added with [`Endpoints::add`](super::Endpoints::add) and
/// streams given to [`Endpoints::discover`](super::Endpoints::discover)
/// reach it over a channel, so adding needs no runtime; it polls the
/// discovery streams too. It must itself be polled
/// within a tokio runtime: it dials tokio sockets and spawns each
/// connection's task with `tokio::spawn`.
///
/// It finishes once every [`Pool`](super::Pool) clone (and every call
/// still waiting for a connection) is gone and its supervisors have
/// stopped; discovery streams are dropped then.
/// Dropped before that, it stops the dialing: connections already up keep
/// serving until they close, unwatched, and none is replaced.
#[must_use = "a pool connects only while its PoolWorker runs"]
pub struct PoolWorker {
    set: Arc<Set>,
    /// Endpoints and discovery streams added since the last poll.
    new_work: mpsc::UnboundedReceiver<ToWorker>,
    /// One supervisor per connection slot, and one task per discovery stream.
    tasks: FuturesUnordered<Task>,
    /// Fires when the last `Pool` clone is dropped.
    stopped: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl PoolWorker {
    pub(crate) fn new(set: Arc<Set>, new_work: mpsc::UnboundedReceiver<ToWorker>) -> Self {
        let stopped = Box::pin(set.token.clone().cancelled_owned());
        PoolWorker {
            set,
            new_work,
            tasks: FuturesUnordered::new(),
            stopped,
        }
    }
}

impl Future for PoolWorker {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        // 1. Start the supervisors of every endpoint added since, and the
        //    discovery streams given since.
        while let Poll::Ready(Some(work)) = this.new_work.poll_recv(cx) {
            match work {
                ToWorker::Endpoint(endpoint) => {
                    for _ in 0..this.set.opts.pool_size {
                        let slot = supervise(this.set.clone(), endpoint.clone());
                        this.tasks.push(Box::pin(slot));
                    }
                }
                ToWorker::Task(task) => this.tasks.push(task),
            }
        }
        // 2. Run them; a supervisor returns once its endpoint leaves the
        //    pool, a discovery once its stream ends, both once the pool is
        //    gone. Endpoints a discovery adds reach step 1 by a wake-up.
        while let Poll::Ready(Some(())) = Pin::new(&mut this.tasks).poll_next(cx) {}
        // 3. Done once the pool is gone and every task has returned.
        if this.stopped.as_mut().poll(cx).is_ready() && this.tasks.is_empty() {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl fmt::Debug for PoolWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolWorker")
            .field("tasks", &self.tasks.len())
            .finish()
    }
}
