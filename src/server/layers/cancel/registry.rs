//! [`Cancellations`]: the handlers of one connection that a cancel can stop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use futures_util::task::AtomicWaker;

/// The requests of one connection whose handlers are still working, by
/// the number their client gave them, for a cancel to reach them.
///
/// A request is registered once its handler turns out not to answer at
/// once, and leaves when it is answered, cancelled or dropped: the map
/// holds at most the connection's requests in flight, whatever the peer
/// sends. A cancel for a number not in it (answered already, or never
/// sent) changes nothing.
#[derive(Debug, Default)]
pub(crate) struct Cancellations {
    working: Mutex<HashMap<u64, Arc<Flag>>>,
}

/// How a cancel reaches one request's future.
#[derive(Debug, Default)]
pub(crate) struct Flag {
    cancelled: AtomicBool,
    /// The future's task, woken by the cancel.
    waker: AtomicWaker,
}

impl Flag {
    /// True once a cancel came for the request.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// The request's future is `waker`: to wake when a cancel comes.
    pub(crate) fn register(&self, waker: &Waker) {
        self.waker.register(waker);
    }
}

impl Cancellations {
    fn working(&self) -> MutexGuard<'_, HashMap<u64, Arc<Flag>>> {
        self.working.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Request `seq`'s handler is working: a cancel for `seq` can stop it.
    /// (A second request with the same number, which a jsonmux client never
    /// sends, replaces the first here.)
    pub(crate) fn register(&self, seq: u64) -> Arc<Flag> {
        let flag = Arc::new(Flag::default());
        self.working().insert(seq, flag.clone());
        flag
    }

    /// Request `seq` is answered or dropped: no cancel can reach it now.
    pub(crate) fn deregister(&self, seq: u64, flag: &Arc<Flag>) {
        let mut working = self.working();
        if working.get(&seq).is_some_and(|f| Arc::ptr_eq(f, flag)) {
            working.remove(&seq);
        }
    }

    /// A cancel came for request `seq`: its handler is stopped at its
    /// future's next poll (which this wakes). True if a handler was working.
    pub(crate) fn cancel(&self, seq: u64) -> bool {
        let Some(flag) = self.working().remove(&seq) else {
            return false;
        };
        flag.cancelled.store(true, Ordering::Release);
        flag.waker.wake();
        true
    }

    /// How many handlers a cancel could stop now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.working().len()
    }
}
