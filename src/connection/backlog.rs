//! [`Backlog`]: the bytes of requests a connection holds for its peer,
//! and the bound on them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;

use crate::Message;

/// What a request's encoding adds to its `Uid` and `Val`:
/// `{"Uid":"","Val":""}` and the newline.
const FRAMING: usize = 20;

/// The bytes of requests taken by a connection and not yet handed to its
/// stream (queued for its task, or waiting for its turn in the engine),
/// bounded: a peer that stops reading holds at most `max` of them (give or
/// take one request), whatever the callers send.
///
/// A call takes room for its request with [`try_take`](Self::try_take)
/// before queueing it; the engine gives the room back with
/// [`give_back`](Self::give_back) as it takes requests to write. A call
/// that finds no room keeps its request in its own future and waits for
/// [`room`](Self::room): so the request of a caller who gives up meanwhile
/// goes with its future, and was never queued.
///
/// Waiters are woken one at a time when room comes back (each one that
/// gets room wakes the next, [`pass_on`](Self::pass_on)), and all of them
/// when the connection ends ([`close`](Self::close)).
#[derive(Debug)]
pub(crate) struct Backlog {
    bytes: AtomicUsize,
    max: usize,
    /// Notified when room comes back, and when the connection ends.
    room: Arc<Notify>,
}

impl Backlog {
    /// An empty backlog of at most `max` bytes (at least 1).
    pub(crate) fn new(max: usize) -> Self {
        Backlog {
            bytes: AtomicUsize::new(0),
            max: max.max(1),
            room: Arc::new(Notify::new()),
        }
    }

    /// The bytes `msg` takes, as counted here: its encoding, but for escapes.
    #[inline]
    pub(crate) fn size(msg: &Message) -> usize {
        msg.uid.len() + msg.val.len() + FRAMING
    }

    /// Takes room for `n` bytes if the backlog is under its bound (so it
    /// never passes it by more than one request); false if it is full.
    #[inline]
    pub(crate) fn try_take(&self, n: usize) -> bool {
        let mut now = self.bytes.load(Ordering::Relaxed);
        loop {
            if now >= self.max {
                return false;
            }
            match self.bytes.compare_exchange_weak(
                now,
                now + n,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(seen) => now = seen,
            }
        }
    }

    /// Gives back the room of `n` bytes taken; wakes a waiter if that
    /// brings the backlog under its bound.
    #[inline]
    pub(crate) fn give_back(&self, n: usize) {
        let before = self.bytes.fetch_sub(n, Ordering::Relaxed);
        if before >= self.max && before - n < self.max {
            self.room.notify_one();
        }
    }

    /// A waiter got room: wakes the next one if there is room left.
    pub(crate) fn pass_on(&self) {
        if self.bytes() < self.max {
            self.room.notify_one();
        }
    }

    /// The bytes held now.
    #[inline]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Resolves when room comes back (or the connection ends): create it,
    /// `enable` it, then try again, so no wake-up is missed in between.
    pub(crate) fn room(&self) -> OwnedNotified {
        self.room.clone().notified_owned()
    }

    /// The connection ended: wakes every waiter (to find it ended).
    pub(crate) fn close(&self) {
        self.room.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;

    #[test]
    fn room_is_taken_while_under_the_bound_so_it_is_passed_by_one_request_at_most() {
        let b = Backlog::new(100);
        assert!(b.try_take(60));
        assert!(b.try_take(60), "under the bound: taken");
        assert_eq!(b.bytes(), 120);
        assert!(!b.try_take(1), "full");
        b.give_back(60);
        assert!(
            b.try_take(500),
            "a request larger than the bound still goes"
        );
        assert!(!b.try_take(1));
    }

    #[test]
    fn a_message_counts_its_uid_val_and_framing() {
        let msg = Message::new("pixel-1", "pixelpig!");
        let encoded = serde_json::to_string(&msg).unwrap().len() + 1;
        assert_eq!(Backlog::size(&msg), encoded);
    }

    #[tokio::test]
    async fn a_waiter_is_woken_when_room_comes_back_and_passes_it_on() {
        let b = Backlog::new(10);
        assert!(b.try_take(10));
        let mut first = pin!(b.room());
        let mut second = pin!(b.room());
        first.as_mut().enable();
        second.as_mut().enable();
        let mut task = tokio_test::task::spawn(());
        task.enter(|cx, _| assert!(first.as_mut().poll(cx).is_pending()));
        b.give_back(5);
        task.enter(|cx, _| assert!(first.as_mut().poll(cx).is_ready()));
        task.enter(|cx, _| assert!(second.as_mut().poll(cx).is_pending()));
        assert!(b.try_take(1));
        b.pass_on();
        task.enter(|cx, _| assert!(second.as_mut().poll(cx).is_ready()));
    }

    #[tokio::test]
    async fn closing_wakes_every_waiter() {
        let b = Backlog::new(1);
        assert!(b.try_take(1));
        let waiters: Vec<_> = (0..3).map(|_| Box::pin(b.room())).collect();
        b.close();
        for w in waiters {
            w.await;
        }
    }
}
