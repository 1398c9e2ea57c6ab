//! [`PendingInTable`]: the `PendingStore` of tokio-tower's engine.

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Weak};

use ::tokio_tower::multiplex::client::{Pending, PendingStore};
use tokio::io::{AsyncRead, AsyncWrite};

use super::feed::Feed;
use super::slot::Slot;
use super::tags::Tagged;
use super::transport::Transport;
use crate::connection::shared::Shared;
use crate::{CloseReason, Resp};

/// tokio-tower's handles on the calls on the wire, kept in the shared
/// in-flight table, beside the calls' `Uid`s: one table for both engines.
///
/// A call's handle goes into its [`Slot`] (which its entry holds) when its
/// request goes on the wire: the request's tag is its slot. The transport
/// routes every answer through [`Shared::route`] (the one
/// place answers are judged, for both engines) before tokio-tower sees
/// it, and holds the handle of the call it is for, which
/// [`completed`](PendingStore::completed) returns. An answer nobody waits
/// for (late, unknown, or the server's word about the connection) never
/// reaches tokio-tower, so none is fatal: its default store ends the
/// connection on an unknown tag.
///
/// When the multiplex client's task ends, this store is dropped: it
/// records the cause (the transport has recorded the real one, if any)
/// before every call's handle is dropped, so each caller reads it, and
/// the calls still queued in the [`Feed`] fail.
pub(crate) struct PendingInTable {
    shared: Arc<Shared>,
    feed: Weak<Feed>,
}

impl PendingInTable {
    pub(crate) fn new(shared: Arc<Shared>, feed: Weak<Feed>) -> Self {
        PendingInTable { shared, feed }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> PendingStore<Transport<T>, Tagged> for PendingInTable {
    fn sent(
        self: Pin<&mut Self>,
        slot: Option<Arc<Slot>>,
        pending: Pending<Resp>,
        _: Pin<&mut Transport<T>>,
    ) {
        slot.expect("a request's tag is its slot").sent(pending);
    }

    fn completed(
        self: Pin<&mut Self>,
        _: Option<Arc<Slot>>,
        transport: Pin<&mut Transport<T>>,
    ) -> Result<Option<Pending<Resp>>, ::tokio_tower::Error<Transport<T>, Tagged>> {
        Ok(transport.get_mut().take_handover())
    }

    fn in_flight(&self, transport: &Transport<T>) -> usize {
        if !transport.is_closing() {
            // tokio-tower reads the stream only while this is above zero:
            // kept there, an idle connection is read too, so a peer's close
            // (or an abort) is seen at once.
            return self.shared.len().max(1);
        }
        // Every handle is gone: done once no caller waits, tombstones aside.
        usize::from(self.shared.has_callers())
    }
}

impl Drop for PendingInTable {
    fn drop(&mut self) {
        // The cause first, then the callers' handles and the queued calls.
        self.shared.set_cause(CloseReason::ClientClosed);
        self.shared.close();
        if let Some(feed) = self.feed.upgrade() {
            feed.close();
        }
        if let Some(cause) = self.shared.cause() {
            tracing::debug!(error = %cause, "connection ended");
        }
    }
}

impl fmt::Debug for PendingInTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingInTable")
            .field("in_flight", &self.shared.len())
            .finish_non_exhaustive()
    }
}
