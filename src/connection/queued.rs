//! [`Queued`]: a request on its way to the connection's engine.

use std::sync::Arc;

use crate::Message;

/// A request on its way to the engine: its `Uid`'s key in the in-flight
/// table, its number on the connection, and the message. Written only if
/// its caller still waits (see [`Shared::sending`](super::shared::Shared::sending)).
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) key: Arc<str>,
    pub(crate) seq: u64,
    pub(crate) msg: Message,
}

impl Queued {
    /// The holders of a queued call's key while its caller waits: the
    /// in-flight table's entry, the call's future and this request.
    const WAITING: usize = 3;

    /// True if its caller surely still waits, known without the table's
    /// lock: its key is still held by both the table's entry and the
    /// call's future (each lets go of it when the answer is taken, the
    /// call cancelled or the connection closed, and the future when its
    /// caller gives up, just after leaving a reservation). Only this
    /// connection's task removes entries of queued requests, so a key
    /// still held by the table is its own entry. False: ask
    /// [`Shared::sending`].
    #[inline]
    pub(crate) fn surely_wanted(&self) -> bool {
        Arc::strong_count(&self.key) == Queued::WAITING
    }
}
