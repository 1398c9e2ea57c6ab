//! tokio-tower's pending-request store, keyed by `Uid`.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use tokio_tower::multiplex::client::{Pending, PendingStore};

use super::shared::Shared;
use super::transport::Transport;
use crate::{Message, Resp};

/// Waiters by `Uid` for one connection's worker.
///
/// Differs from tokio-tower's default store in three ways: lookups are
/// O(1); an answer nobody waits for is logged and dropped instead of
/// killing the connection; and while the `Connection` handle lives it
/// reports one extra request in flight, which keeps the worker reading an
/// idle socket so a peer's close is noticed at once rather than at the
/// next request.
#[derive(Debug)]
pub(crate) struct UidStore {
    waiters: HashMap<String, Pending<Resp>>,
    shared: Arc<Shared>,
}

impl UidStore {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        UidStore {
            waiters: HashMap::new(),
            shared,
        }
    }
}

impl PendingStore<Transport, Message> for UidStore {
    fn sent(self: Pin<&mut Self>, tag: String, pending: Pending<Resp>, _: Pin<&mut Transport>) {
        // `InFlight::begin` refused duplicates before the request got here.
        self.get_mut().waiters.insert(tag, pending);
    }

    fn completed(
        self: Pin<&mut Self>,
        tag: String,
        _: Pin<&mut Transport>,
    ) -> Result<Option<Pending<Resp>>, tokio_tower::Error<Transport, Message>> {
        let this = self.get_mut();
        let Some(pending) = this.waiters.remove(&tag) else {
            tracing::warn!(uid = %tag, "answer for a uid not in flight; dropped");
            return Ok(None);
        };
        if this.shared.in_flight.answered(&tag) {
            Ok(Some(pending))
        } else {
            tracing::debug!(uid = %tag, "late answer for an abandoned request; dropped");
            Ok(None)
        }
    }

    fn in_flight(&self, _: &Transport) -> usize {
        self.waiters.len() + usize::from(!self.shared.handle_dropped())
    }
}
