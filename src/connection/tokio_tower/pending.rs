//! [`PendingByUid`]: the `PendingStore` of tokio-tower's engine.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;

use ::tokio_tower::multiplex::client::{Pending, PendingStore};
use tokio::io::{AsyncRead, AsyncWrite};

use super::tags::Tagged;
use super::transport::Transport;
use crate::connection::shared::Shared;
use crate::{Error, Resp};

/// tokio-tower's handle on each call that went out on the wire, by `Uid`,
/// with the shared in-flight table as the judge of what an answer is for.
///
/// An answer whose `Uid` went out is handed to its call only if the shared
/// table says the caller still waits; the late answer of a call given up
/// on meets its tombstone and is dropped, and frees the `Uid`. An answer
/// for a `Uid` that did not go out (unknown, or one still queued) is
/// dropped without touching the table. Neither is fatal: tokio-tower's
/// default store ends the connection on an unknown tag.
///
/// When the multiplex client's task ends, this store is dropped first:
/// it records the cause (the transport has recorded the real one, if any)
/// before every call's channel closes, so each caller reads it.
pub(crate) struct PendingByUid {
    calls: HashMap<Arc<str>, Pending<Resp>>,
    shared: Arc<Shared>,
}

impl PendingByUid {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        PendingByUid {
            calls: HashMap::new(),
            shared,
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> PendingStore<Transport<T>, Tagged> for PendingByUid {
    fn sent(
        self: Pin<&mut Self>,
        tag: Arc<str>,
        pending: Pending<Resp>,
        _: Pin<&mut Transport<T>>,
    ) {
        // The shared table refused a duplicate before the call: `tag` is free here.
        self.get_mut().calls.insert(tag, pending);
    }

    fn completed(
        self: Pin<&mut Self>,
        tag: Arc<str>,
        transport: Pin<&mut Transport<T>>,
    ) -> Result<Option<Pending<Resp>>, ::tokio_tower::Error<Transport<T>, Tagged>> {
        let this = self.get_mut();
        let (heard_at, last_word) = transport.get_mut().take_answer_notes();
        let Some(pending) = this.calls.remove(&tag) else {
            this.shared.heard(heard_at);
            match last_word {
                // Every call in flight will see it as the cause.
                Some(cause) => this.shared.set_cause(cause),
                None => tracing::debug!(uid = %tag, "an answer for a uid not sent; dropped"),
            }
            return Ok(None);
        };
        if this.shared.answered(&tag, heard_at) {
            Ok(Some(pending))
        } else {
            tracing::debug!(uid = %tag, "a late answer to a call given up on; dropped");
            Ok(None)
        }
    }

    fn in_flight(&self, transport: &Transport<T>) -> usize {
        if !transport.is_closing() {
            // tokio-tower reads the stream only while this is above zero:
            // kept there, an idle connection is read too, so a peer's close
            // (or an abort) is seen at once.
            return self.calls.len().max(1);
        }
        // Every handle is gone: done once no caller waits, tombstones aside.
        if self.shared.has_callers() {
            self.calls.len()
        } else {
            0
        }
    }
}

impl Drop for PendingByUid {
    fn drop(&mut self) {
        // The cause first, then the calls (dropped with `calls` after this).
        self.shared.set_cause(Error::ClientClosed);
        self.shared.close();
        if let Some(cause) = self.shared.cause() {
            tracing::debug!(error = %cause, "connection ended");
        }
    }
}

impl fmt::Debug for PendingByUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingByUid")
            .field("calls", &self.calls.len())
            .finish_non_exhaustive()
    }
}
