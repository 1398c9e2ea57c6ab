//! [`stack`]: the one place the [`Client`](super::Client) stack is assembled.

use std::future::Future;
use std::pin::Pin;

use tower::buffer::Buffer;
use tower::limit::{ConcurrencyLimit, ConcurrencyLimitLayer};
use tower::util::{BoxCloneSyncService, Either};
use tower::{ServiceBuilder, ServiceExt};

use super::deadline::Deadline;
use super::options::ClientOptions;
use crate::pool::Pool;
use crate::{Error, Message, Resp};

/// The pool under its optional concurrency limit.
type Limited = Either<ConcurrencyLimit<Pool>, Pool>;

/// The whole stack: the deadline over the limited pool, with or without a
/// buffer between them. The stack with a buffer is boxed (its future too,
/// one allocation per call beside the buffer's own), so that the default
/// stack's future, which each call moves around, does not grow to hold
/// the buffer's; the buffer's errors (boxed by tower) become an [`Error`]
/// again there.
pub(crate) type Stack = Deadline<Either<Limited, BoxCloneSyncService<Message, Resp, Error>>>;

/// The `Buffer`'s worker: the task that takes queued calls to the pool.
pub(crate) type BufferWorker = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Assembles the client's stack over `pool`, outermost layer first:
///
/// ```text
/// call ─ Deadline ─ [Buffer] ─ ConcurrencyLimit ─ Pool
/// ```
///
/// * `Deadline` (`request_timeout`, the call's own deadline, the one it
///   inherits in a handler) bounds the call from `call` to its answer, the
///   wait in the buffer's queue and for a connection inside the pool's
///   future included, and puts the deadline on the request for the
///   connection to send. A call past its deadline is dropped: its
///   concurrency permit is given back at once, and its connection either
///   cancels it on the server (the server speaks jsonmux's extension) or
///   keeps its `Uid` taken as a reservation until the late answer arrives.
/// * `Buffer` (`buffer`, off by default) queues calls for its worker
///   task, which waits for a permit and hands each to the pool; it is
///   returned, for the caller to run. A caller past its capacity waits in
///   `poll_ready`.
/// * `ConcurrencyLimit` (`concurrency_limit`) caps the calls whose callers
///   still wait, over the whole pool. A caller past it waits in
///   `poll_ready` (with a buffer: its call waits in the queue) for a
///   permit, which frees at the latest when the oldest call holding one
///   reaches its deadline.
/// * The pool's load, which `pick` balances, counts `Uid`s taken per
///   connection: calls waiting plus the reservations of calls given up on.
///   With late answers it can exceed the concurrency limit, and a
///   connection full of reservations takes fewer new calls.
pub(crate) fn stack(pool: Pool, opts: &ClientOptions) -> (Stack, Option<BufferWorker>) {
    let limited = ServiceBuilder::new()
        .option_layer(opts.concurrency_limit.map(ConcurrencyLimitLayer::new))
        .service(pool);
    let deadline = |inner| Deadline::new(inner, opts.request_timeout, opts.inherit_deadline);
    let Some(capacity) = opts.buffer else {
        return (deadline(Either::Left(limited)), None);
    };
    // `Buffer::pair`, not its layer: the worker is returned, not spawned.
    let (buffer, worker) = Buffer::pair(limited, capacity);
    let buffered = BoxCloneSyncService::new(buffer.map_err(Error::from));
    (deadline(Either::Right(buffered)), Some(Box::pin(worker)))
}
