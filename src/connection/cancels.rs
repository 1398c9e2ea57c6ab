//! [`Cancels`]: the cancel frames a connection owes its server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;

use futures_util::task::AtomicWaker;

/// A request to cancel on the server: its `Uid` on the wire and its number.
#[derive(Debug)]
pub(crate) struct Cancel {
    pub(crate) uid: Arc<str>,
    pub(crate) seq: u64,
}

/// The cancels of calls given up on, waiting for the connection's engine
/// to write them, shared by the calls (which add them) and the engine
/// (which takes them, and is woken to). Only a connection whose server
/// speaks the extension has any.
#[derive(Debug, Default)]
pub(crate) struct Cancels {
    queue: Mutex<Vec<Cancel>>,
    /// There is something in `queue`: read without its lock.
    pending: AtomicBool,
    /// The engine's task, woken when a cancel is added.
    writer: AtomicWaker,
}

impl Cancels {
    /// Adds a cancel, and wakes the engine to write it.
    pub(crate) fn push(&self, cancel: Cancel) {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(cancel);
        self.pending.store(true, Ordering::Release);
        self.writer.wake();
    }

    /// The engine's task is `waker`: to wake when a cancel is added.
    #[inline]
    pub(crate) fn register(&self, waker: &Waker) {
        self.writer.register(waker);
    }

    /// Moves every cancel waiting into `into`; nothing to do (no lock) when
    /// there is none.
    #[inline]
    pub(crate) fn take(&self, into: &mut Vec<Cancel>) {
        if !self.pending.swap(false, Ordering::Acquire) {
            return;
        }
        into.append(&mut self.queue.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancels_added_are_taken_once_and_wake_the_engine() {
        let cancels = Cancels::default();
        let (waker, woken) = futures_test_waker();
        cancels.register(&waker);
        cancels.push(Cancel {
            uid: "a".into(),
            seq: 7,
        });
        assert!(woken.load(Ordering::SeqCst));
        let mut taken = Vec::new();
        cancels.take(&mut taken);
        cancels.take(&mut taken);
        assert_eq!(taken.len(), 1);
        assert_eq!((&*taken[0].uid, taken[0].seq), ("a", 7));
    }

    /// A waker that records being woken.
    fn futures_test_waker() -> (Waker, Arc<AtomicBool>) {
        struct Flag(Arc<AtomicBool>);
        impl std::task::Wake for Flag {
            fn wake(self: Arc<Self>) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let woken = Arc::new(AtomicBool::new(false));
        (Waker::from(Arc::new(Flag(woken.clone()))), woken)
    }
}
