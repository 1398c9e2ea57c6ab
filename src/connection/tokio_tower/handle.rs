//! [`Handle`]: what a [`Connection`](crate::Connection) keeps of its
//! tokio-tower engine, and how that engine is started.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ::tokio_tower::multiplex;
use futures_util::future::Either;
use tokio::io::{AsyncRead, AsyncWrite};
use tower::buffer::{self, Buffer};
use tower::util::Oneshot;
use tower::{Service, ServiceExt};

use super::pending::PendingInTable;
use super::tags::Tagged;
use super::transport::Transport;
use super::until_ended::UntilEnded;
use crate::connection::options::ConnectionOptions;
use crate::connection::queued::Queued;
use crate::connection::shared::Shared;
use crate::{Error, Resp};

/// Requests queued per connection in front of its multiplex client: room
/// for the client's default concurrency limit. A caller past it waits for
/// room inside its call's future (its deadline runs).
const QUEUE: usize = 1024;

/// The multiplex client's future for one call.
type ClientCall = Pin<Box<dyn Future<Output = Result<Resp, Error>> + Send>>;

/// One call through the `Buffer`: handed over at `call` when the queue had
/// room, or waiting for room first.
pub(crate) type Call =
    Either<buffer::future::ResponseFuture<ClientCall>, Oneshot<Buffer<Tagged, ClientCall>, Tagged>>;

/// The connection's tokio-tower engine as its handles see it: the
/// multiplex client (not `Clone`, `&mut` to call) behind a `Buffer`, which
/// makes it shareable. Cloning clones the `Buffer`; once every clone is
/// gone, the multiplex client closes its side and ends when no caller
/// waits any more.
#[derive(Clone)]
pub(crate) struct Handle {
    buffer: Buffer<Tagged, ClientCall>,
}

impl Handle {
    /// Starts the engine over `io`: spawns the multiplex client's task and
    /// the `Buffer`'s worker (so it must be called within a tokio runtime).
    pub(crate) fn start<T>(io: T, opts: &ConnectionOptions, shared: &Arc<Shared>) -> Handle
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let transport = Transport::new(io, shared.clone(), opts);
        let client = multiplex::Client::<_, Error, Tagged>::builder(transport)
            .pending_store(PendingInTable::new(shared.clone()))
            .build();
        Handle {
            buffer: Buffer::new(UntilEnded::new(client, shared.clone()), QUEUE),
        }
    }

    /// Hands `request`, its `Uid` taken in `shared`, to the `Buffer`: now,
    /// as `call` promises, if its queue has room; else the returned call
    /// waits for room first (its deadline runs).
    pub(crate) fn send(&self, request: Queued, shared: Arc<Shared>) -> Call {
        let request = Tagged::new(request, shared);
        let mut buffer = self.buffer.clone();
        // Nobody to wake yet: a full queue is polled again, with the
        // caller's waker, by the call's future.
        let mut look = Context::from_waker(Waker::noop());
        match buffer.poll_ready(&mut look) {
            Poll::Ready(Ok(())) => Either::Left(buffer.call(request)),
            _ => Either::Right(buffer.oneshot(request)),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}
