//! The deadline of the request a handler is working on, for the calls the
//! handler makes through a jsonmux client: a chain of services A → B → C
//! then stops together when A's caller gives up.
//!
//! The server sets it while it polls a handler whose request has a
//! deadline; a client reads it when a call is made (in the handler's task,
//! while it is polled). A call made from a task the handler spawned does
//! not see it: pass [`Message::deadline`](crate::Message::deadline) on.

use std::cell::Cell;

use tokio::time::Instant;

thread_local! {
    /// Set while a handler is polled (a poll runs on one thread, start to
    /// end): a task-local for the length of each poll, at the cost of two
    /// writes to a thread-local cell.
    static CURRENT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The deadline of the request being handled, when called from its handler.
#[inline]
pub(crate) fn current() -> Option<Instant> {
    CURRENT.with(Cell::get)
}

/// Runs `f` (a poll of a handler) with `deadline` as the current one; the
/// one before is current again after it (polls nest: a handler may poll
/// another server's handler in a test).
#[inline]
pub(crate) fn within<R>(deadline: Instant, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Instant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(deadline))));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_current_only_within_its_scope() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let d = Instant::now();
            assert_eq!(current(), None);
            assert_eq!(within(d, current), Some(d));
            assert_eq!(current(), None);
        });
    }
}
