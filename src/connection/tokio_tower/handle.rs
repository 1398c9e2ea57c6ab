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

use super::pending::PendingByUid;
use super::tags::Tagged;
use super::transport::Transport;
use crate::connection::future::ResponseFuture;
use crate::connection::inflight::Refused;
use crate::connection::options::ConnectionOptions;
use crate::connection::shared::Shared;
use crate::{Error, Message, Resp};

/// Requests queued per connection in front of its multiplex client: room
/// for the client's default concurrency limit. A caller past it waits for
/// room inside its call's future (its deadline runs).
const QUEUE: usize = 1024;

/// The multiplex client's future for one call.
type Answer = Pin<Box<dyn Future<Output = Result<Resp, Error>> + Send>>;

/// One call through the `Buffer`: handed over at `call` when the queue had
/// room, or waiting for room first.
pub(crate) type Call =
    Either<buffer::future::ResponseFuture<Answer>, Oneshot<Buffer<Tagged, Answer>, Tagged>>;

/// The connection's tokio-tower engine as its handles see it: the
/// multiplex client (not `Clone`, `&mut` to call) behind a `Buffer`, which
/// makes it shareable. Cloning clones the `Buffer`; once every clone is
/// gone, the multiplex client closes its side and ends when no caller
/// waits any more.
#[derive(Clone)]
pub(crate) struct Handle {
    buffer: Buffer<Tagged, Answer>,
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
            .pending_store(PendingByUid::new(shared.clone()))
            .build();
        Handle {
            buffer: Buffer::new(client, QUEUE),
        }
    }

    /// Sends `msg` (its `Uid` already the wire's, `caller_uid` the one to
    /// give back in [`UidMode::Tagged`](crate::client::UidMode::Tagged)):
    /// takes its `Uid`, or gives `msg` back if it is taken here, then hands
    /// it to the `Buffer` now, as `call` promises, if its queue has room;
    /// else the returned future waits for room (its deadline runs).
    pub(crate) fn try_send(
        &self,
        msg: Message,
        caller_uid: Option<String>,
        shared: &Arc<Shared>,
    ) -> Result<ResponseFuture, Message> {
        let mut msg = msg;
        let key = match shared.begin_elsewhere(&msg.uid) {
            Ok(key) => key,
            Err(Refused::Duplicate | Refused::Draining) => {
                if let Some(uid) = caller_uid {
                    msg.uid = uid;
                }
                return Err(msg);
            }
            Err(Refused::Closed) => {
                shared.stats.call();
                return Ok(ResponseFuture::failed(shared.failed(shared.closed_error())));
            }
        };
        shared.stats.call();
        let request = Tagged::new(msg, key.clone(), shared.clone());
        let mut buffer = self.buffer.clone();
        // Nobody to wake yet: a full queue is polled again, with the
        // caller's waker, by the call's future.
        let mut look = Context::from_waker(Waker::noop());
        let call = match buffer.poll_ready(&mut look) {
            Poll::Ready(Ok(())) => Either::Left(buffer.call(request)),
            _ => Either::Right(buffer.oneshot(request)),
        };
        Ok(ResponseFuture::tokio_tower(
            call,
            key,
            shared.clone(),
            caller_uid,
        ))
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}
