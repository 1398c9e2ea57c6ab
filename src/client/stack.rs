//! [`stack`]: the one place the [`Client`](super::Client) stack is assembled.

use tower::limit::{ConcurrencyLimit, ConcurrencyLimitLayer};
use tower::timeout::{Timeout, TimeoutLayer};
use tower::util::{Either, MapErr};
use tower::{BoxError, ServiceBuilder};

use super::options::ClientOptions;
use crate::pool::Pool;
use crate::Error;

/// The pool under its optional concurrency limit, its errors boxed.
type Limited = MapErr<Either<ConcurrencyLimit<Pool>, Pool>, fn(Error) -> BoxError>;

/// The whole stack: the optional timeout over [`Limited`]. Both arms fail
/// with `BoxError` (tower's `Timeout` boxes every error it passes on); the
/// [`Client`](super::Client)'s future turns it back into an [`Error`], the
/// one conversion.
pub(crate) type Stack = Either<Timeout<Limited>, Limited>;

/// Assembles the client's stack over `pool`, outermost layer first:
///
/// ```text
/// call ─ Timeout ─ (errors boxed) ─ ConcurrencyLimit ─ Pool
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
///
/// The errors are boxed under the timeout, not converted above it: a layer
/// around `Timeout`'s future would move that larger future once more per
/// call.
pub(crate) fn stack(pool: Pool, opts: &ClientOptions) -> Stack {
    let to_box: fn(Error) -> BoxError = |e| Box::new(e);
    ServiceBuilder::new()
        .option_layer(opts.request_timeout.map(TimeoutLayer::new))
        .map_err(to_box)
        .option_layer(opts.concurrency_limit.map(ConcurrencyLimitLayer::new))
        .service(pool)
}
