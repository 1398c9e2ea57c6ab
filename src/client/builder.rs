//! [`ClientBuilder`]: the client's options, mirroring the seed's `Option` and going further.

use std::time::Duration;

use super::options::*;
use super::{Client, Connection};
use crate::pool::Pool;
use crate::{Addr, Error};

/// Configures and connects a [`Client`], a bare [`Pool`] or a bare [`Connection`].
///
/// Every option has a production default, named in a `DEFAULT_*` constant.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use jsonmux::{ClientBuilder, Message};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr()?;
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let client = ClientBuilder::new()
///     .pool_size(2)
///     .request_timeout(Some(Duration::from_millis(500)))
///     .connect(addr)
///     .await?;
/// let resp = client.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    pub(crate) opts: Options,
}

impl ClientBuilder {
    /// A builder with every option at its default.
    pub fn new() -> Self {
        ClientBuilder::default()
    }

    setter! {
        /// Connections per endpoint (raised to 1 if 0). Default: [`DEFAULT_POOL_SIZE`].
        ///
        /// ```
        /// let b = jsonmux::ClientBuilder::new().pool_size(1);
        /// ```
        pool_size: usize => |n: usize| n.max(1)
    }

    setter! {
        /// Deadline for a call, from `call` to its answer, waiting for a
        /// connection to come up included; `None` for none. (A caller past the
        /// concurrency limit first waits in `poll_ready` for a permit; every
        /// call holding one ends by its own deadline, so that wait is bounded
        /// too.) Default: [`DEFAULT_REQUEST_TIMEOUT`].
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().request_timeout(Some(Duration::from_secs(1)));
        /// ```
        request_timeout: Option<Duration>
    }

    setter! {
        /// Deadline for resolving and connecting, together. Default: [`DEFAULT_DIAL_TIMEOUT`].
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().dial_timeout(Duration::from_millis(500));
        /// ```
        dial_timeout: Duration
    }

    setter! {
        /// Idle time before the first TCP keepalive probe; `None` turns
        /// keepalive off. Default: [`DEFAULT_KEEPALIVE_TIME`].
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().keepalive_time(Some(Duration::from_secs(10)));
        /// ```
        keepalive_time: Option<Duration>
    }

    setter! {
        /// Time between keepalive probes. Default: [`DEFAULT_KEEPALIVE_INTERVAL`].
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().keepalive_interval(Duration::from_secs(5));
        /// ```
        keepalive_interval: Duration
    }

    setter! {
        /// Unanswered probes before the kernel drops the connection.
        /// Default: [`DEFAULT_KEEPALIVE_RETRIES`].
        ///
        /// ```
        /// let b = jsonmux::ClientBuilder::new().keepalive_retries(5);
        /// ```
        keepalive_retries: u32
    }

    setter! {
        /// `TCP_NODELAY`: send small writes at once. Default: `true`.
        ///
        /// ```
        /// let b = jsonmux::ClientBuilder::new().nodelay(false);
        /// ```
        nodelay: bool
    }

    setter! {
        /// `SO_LINGER`; `Some(Duration::ZERO)` makes close send a reset, as
        /// the seed does. Default: `None` (the system's orderly close).
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().linger(Some(Duration::ZERO));
        /// ```
        linger: Option<Duration>
    }

    setter! {
        /// `TCP_USER_TIMEOUT` (Linux): data unacknowledged this long closes
        /// the connection; `None` for the system's default.
        /// Default: [`DEFAULT_TCP_USER_TIMEOUT`].
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().tcp_user_timeout(Some(Duration::from_secs(10)));
        /// ```
        tcp_user_timeout: Option<Duration>
    }

    setter! {
        /// Requests in flight at once over the whole pool; `None` for no
        /// limit (not advised: connections cap nothing themselves).
        /// Default: [`DEFAULT_CONCURRENCY_LIMIT`].
        ///
        /// ```
        /// let b = jsonmux::ClientBuilder::new().concurrency_limit(Some(128));
        /// ```
        concurrency_limit: Option<usize> => |n: Option<usize>| n.map(|n| n.max(1))
    }

    setter! {
        /// How the pool picks a connection. `None`: the least-loaded one
        /// (fewest requests in flight), which spreads the load evenly.
        /// `Some(n)`: on the endpoint with the fewest requests in flight,
        /// the first connection that has fewer than `n`, and its
        /// least-loaded one once all have `n`; the others are warm spares
        /// until the load needs them. The load is still spread over
        /// endpoints; only an endpoint's own connections are packed.
        ///
        /// Spreading lets the server work on the connections in parallel
        /// (a connection's handlers run on one task); packing sends bigger
        /// batches, with fewer syscalls and wake-ups per request on both
        /// sides, which wins on small machines and with cheap handlers (the
        /// README's Performance section has numbers).
        ///
        /// `n` is a soft limit: callers picking at the same moment may take
        /// a connection a little past it.
        /// Default: [`DEFAULT_PACK_UP_TO`] (least-loaded).
        ///
        /// ```
        /// let b = jsonmux::ClientBuilder::new().pack_up_to(Some(256));
        /// ```
        pack_up_to: Option<usize> => |n: Option<usize>| n.map(|n| n.max(1))
    }

    setter! {
        /// Largest answer accepted, in bytes; a larger one closes its
        /// connection with [`Error::Protocol`] ([`CodecError::FrameTooLarge`](crate::CodecError::FrameTooLarge)).
        /// Default: [`DEFAULT_MAX_FRAME_LEN`](crate::DEFAULT_MAX_FRAME_LEN).
        ///
        /// ```
        /// let b = jsonmux::ClientBuilder::new().max_frame_len(64 * 1024);
        /// ```
        max_frame_len: usize
    }

    setter! {
        /// A connection with requests waiting and nothing received for this
        /// long is closed ([`Error::PeerSilent`]) and replaced; `None` turns
        /// the check off. Default: [`DEFAULT_READ_TIMEOUT`].
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().read_timeout(Some(Duration::from_secs(5)));
        /// ```
        read_timeout: Option<Duration>
    }

    setter! {
        /// A connection on which this many calls in a row time out (with no
        /// answer in between) is closed ([`Error::TooManyTimeouts`]) and
        /// replaced; `None` turns the check off.
        /// Default: [`DEFAULT_MAX_CONSECUTIVE_TIMEOUTS`].
        ///
        /// ```
        /// let b = jsonmux::ClientBuilder::new().max_consecutive_timeouts(Some(4));
        /// ```
        max_consecutive_timeouts: Option<usize>
    }

    setter! {
        /// First delay before redialing a failed endpoint; delays double,
        /// with jitter, up to [`backoff_max`](Self::backoff_max).
        /// Default: [`DEFAULT_BACKOFF_MIN`].
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().backoff_min(Duration::from_millis(10));
        /// ```
        backoff_min: Duration
    }

    setter! {
        /// Longest delay between redials. Default: [`DEFAULT_BACKOFF_MAX`].
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().backoff_max(Duration::from_secs(1));
        /// ```
        backoff_max: Duration
    }

    setter! {
        /// While no connection is up: `false` makes calls wait for one (up to
        /// their deadline), `true` fails them at once with
        /// [`Error::Unavailable`]. Default: `false`.
        ///
        /// ```
        /// let b = jsonmux::ClientBuilder::new().fail_fast(true);
        /// ```
        fail_fast: bool
    }

    setter! {
        /// Busy polling, for latency at light load: a connection waiting
        /// for answers keeps checking its socket for this long after it
        /// last sent or received before it sleeps, yielding to the
        /// runtime's other tasks between checks. `None` sleeps at once.
        /// The server side, with the numbers and the CPU it costs, is
        /// [`ServerBuilder::busy_poll`](crate::ServerBuilder::busy_poll).
        /// Default: [`DEFAULT_BUSY_POLL`] (off).
        ///
        /// ```
        /// # use std::time::Duration;
        /// let b = jsonmux::ClientBuilder::new().busy_poll(Some(Duration::from_micros(50)));
        /// ```
        busy_poll: Option<Duration>
    }

    /// Dials one connection to `addr`, for composing your own stack
    /// without a pool (no reconnect, no dead-peer detection).
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] if `addr` cannot be reached within the dial timeout.
    pub async fn connect_bare(&self, addr: impl Into<Addr>) -> Result<Connection, Error> {
        let stream = self.opts.dial(&addr.into()).await?;
        Ok(Connection::with_options(stream, &self.opts))
    }

    /// A [`Pool`] over `addrs`, dialed in the background, for composing
    /// your own stack. Must be called within a tokio runtime.
    pub fn pool<A: Into<Addr>>(&self, addrs: impl IntoIterator<Item = A>) -> Pool {
        Pool::new(self.opts.clone(), addrs.into_iter().map(Into::into))
    }

    /// The ready [`Client`] over one endpoint, once a first connection is up.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] if `addr` cannot be reached within the dial timeout.
    pub async fn connect(&self, addr: impl Into<Addr>) -> Result<Client, Error> {
        self.connect_all([addr]).await
    }

    /// The ready [`Client`] over several endpoints, once a first connection
    /// to any of them is up; the others keep being dialed in the background.
    ///
    /// # Errors
    ///
    /// The last [`Error::Connect`] if every endpoint failed its first dial.
    pub async fn connect_all<A: Into<Addr>>(
        &self,
        addrs: impl IntoIterator<Item = A>,
    ) -> Result<Client, Error> {
        let pool = self.pool(addrs);
        pool.wait_first().await?;
        Ok(Client::from_pool(pool, &self.opts))
    }

    /// The ready [`Client`] at once, connecting in the background: calls
    /// made before a connection is up wait for one (or fail fast).
    /// Must be called within a tokio runtime.
    pub fn connect_lazy<A: Into<Addr>>(&self, addrs: impl IntoIterator<Item = A>) -> Client {
        Client::from_pool(self.pool(addrs), &self.opts)
    }
}
