//! [`Handle`]: what a [`Connection`](crate::Connection) keeps of its
//! tokio-tower engine, and how that engine is started.

use std::fmt;
use std::sync::Arc;

use ::tokio_tower::multiplex;
use tokio::io::{AsyncRead, AsyncWrite};

use super::call::Call;
use super::error::ClientError;
use super::feed::Feed;
use super::pending::PendingInTable;
use super::slot::Slot;
use super::tags::Tagged;
use super::transport::Transport;
use crate::connection::options::ConnectionOptions;
use crate::connection::queued::Queued;
use crate::connection::shared::Shared;

/// The connection's tokio-tower engine as its handles see it: the
/// multiplex client (not `Clone`, `&mut` to call) behind the [`Feed`],
/// which makes it shareable. Cloning shares the feed; once every clone
/// (and every call still queued) is gone, the multiplex client closes its
/// side and ends when no caller waits any more.
#[derive(Clone)]
pub(crate) struct Handle {
    feed: Arc<Feed>,
}

impl Handle {
    /// Starts the engine over `io`: spawns the multiplex client's task (so
    /// it must be called within a tokio runtime).
    pub(crate) fn start<T>(io: T, opts: &ConnectionOptions, shared: &Arc<Shared>) -> Handle
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let mut transport = Transport::new(io, shared.clone(), opts);
        let feed = Feed::new(|feed| {
            transport.pumps(feed.clone());
            let client = multiplex::Client::<_, ClientError, Tagged>::builder(transport)
                .pending_store(PendingInTable::new(shared.clone(), feed))
                .build();
            Box::new(client)
        });
        Handle { feed }
    }

    /// Hands `request`, its `Uid` taken in `shared` (its entry holding
    /// `slot`), to the multiplex client, or queues it until the client
    /// takes it.
    pub(crate) fn send(&self, request: Queued, slot: Arc<Slot>, shared: Arc<Shared>) -> Call {
        Call::send(&self.feed, Tagged::new(request, slot, shared))
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}
