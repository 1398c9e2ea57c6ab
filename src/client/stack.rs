//! [`stack`]: the one place the [`Client`](super::Client) stack is assembled.

use tower::limit::{ConcurrencyLimit, ConcurrencyLimitLayer};
use tower::timeout::Timeout;
use tower::util::{Either, MapErr};
use tower::{BoxError, ServiceBuilder};

use super::options::ClientOptions;
use crate::pool::Pool;
use crate::Error;

/// The pool under its optional concurrency limit.
type Limited = Either<ConcurrencyLimit<Pool>, Pool>;

/// The whole stack: the optional timeout over [`Limited`]. `Timeout` boxes
/// its errors; they become an [`Error`] again right above it, so both arms
/// fail with [`Error`] and nothing above converts anything.
pub(crate) type Stack = Either<MapErr<Timeout<Limited>, fn(BoxError) -> Error>, Limited>;

/// Assembles the client's stack over `pool`, outermost layer first:
///
/// ```text
/// call ─ Timeout ─ ConcurrencyLimit ─ Pool
/// ```
///
/// * `Timeout` (`request_timeout`) bounds the call from `call` to its
///   answer, the wait for a connection inside the pool's future included.
///   A call past its deadline is dropped: its concurrency permit is given
///   back at once, and its `Uid` stays taken on its connection as a
///   tombstone until the late answer arrives.
/// * `ConcurrencyLimit` (`concurrency_limit`) caps the calls whose callers
///   still wait, over the whole pool. A caller past it waits in
///   `poll_ready` for a permit, which frees at the latest when the oldest
///   call holding one reaches its deadline.
/// * The pool's load, which `pick` balances, counts `Uid`s taken per
///   connection: calls waiting plus the tombstones of calls given up on.
///   With late answers it can exceed the concurrency limit, and a
///   connection full of tombstones takes fewer new calls.
pub(crate) fn stack(pool: Pool, opts: &ClientOptions) -> Stack {
    let timeout = opts.request_timeout.map(|deadline| {
        ServiceBuilder::new()
            .map_err(Error::from as fn(BoxError) -> Error)
            .timeout(deadline)
            .into_inner()
    });
    ServiceBuilder::new()
        .option_layer(timeout)
        .option_layer(opts.concurrency_limit.map(ConcurrencyLimitLayer::new))
        .service(pool)
}
