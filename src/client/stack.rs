//! [`stack`]: the one place the [`Client`](super::Client) stack is assembled.

use std::future::Future;
use std::pin::Pin;

use tower::buffer::Buffer;
use tower::limit::{ConcurrencyLimit, ConcurrencyLimitLayer};
use tower::timeout::{Timeout, TimeoutLayer};
use tower::util::{BoxCloneSyncService, Either, MapErr};
use tower::{BoxError, ServiceBuilder};

use super::options::ClientOptions;
use crate::pool::Pool;
use crate::{Error, Message, Resp};

/// The pool under its optional concurrency limit.
type Limited = Either<ConcurrencyLimit<Pool>, Pool>;

/// [`Limited`], its errors boxed.
type Boxed = MapErr<Limited, fn(Error) -> BoxError>;

/// `S` under the optional timeout.
type Timed<S> = Either<Timeout<S>, S>;

/// The whole stack: without a buffer (the default) or with one, each
/// under the optional timeout. Every arm fails with `BoxError` (tower's
/// `Timeout` and `Buffer` box every error they pass on); the
/// [`Client`](super::Client)'s future turns it back into an [`Error`], the
/// one conversion. The stack with a buffer is boxed (its future too, one
/// allocation per call beside the buffer's own), so that the default
/// stack's future, which each call moves around, does not grow to hold
/// the buffer's.
pub(crate) type Stack = Either<Timed<Boxed>, BoxCloneSyncService<Message, Resp, BoxError>>;

/// The `Buffer`'s worker: the task that takes queued calls to the pool.
pub(crate) type BufferWorker = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Assembles the client's stack over `pool`, outermost layer first:
///
/// ```text
/// call ─ Timeout ─ [Buffer] ─ ConcurrencyLimit ─ Pool
/// ```
///
/// * `Timeout` (`request_timeout`) bounds the call from `call` to its
///   answer, the wait in the buffer's queue and for a connection inside
///   the pool's future included. A call past its deadline is dropped: its
///   concurrency permit is given back at once, and its `Uid` stays taken
///   on its connection as a tombstone until the late answer arrives.
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
///   connection: calls waiting plus the tombstones of calls given up on.
///   With late answers it can exceed the concurrency limit, and a
///   connection full of tombstones takes fewer new calls.
///
/// The errors are boxed under the timeout, not converted above it: a layer
/// around `Timeout`'s future would move that larger future once more per
/// call.
pub(crate) fn stack(pool: Pool, opts: &ClientOptions) -> (Stack, Option<BufferWorker>) {
    let limited = ServiceBuilder::new()
        .option_layer(opts.concurrency_limit.map(ConcurrencyLimitLayer::new))
        .service(pool);
    let Some(capacity) = opts.buffer else {
        let to_box: fn(Error) -> BoxError = |e| Box::new(e);
        return (
            Either::Left(timed(opts, MapErr::new(limited, to_box))),
            None,
        );
    };
    // `Buffer::pair`, not its layer: the worker is returned, not spawned.
    let (buffer, worker) = Buffer::pair(limited, capacity);
    let buffered = BoxCloneSyncService::new(timed(opts, buffer));
    (Either::Right(buffered), Some(Box::pin(worker)))
}

/// `svc` under the `Timeout` layer, if there is a request timeout.
fn timed<S>(opts: &ClientOptions, svc: S) -> Timed<S> {
    ServiceBuilder::new()
        .option_layer(opts.request_timeout.map(TimeoutLayer::new))
        .service(svc)
}
