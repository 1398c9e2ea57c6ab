//! [`Connection`]: one multiplexed TCP connection as a tower service.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::net::TcpStream;
use tokio_tower::multiplex;
use tokio_util::codec::Framed;
use tower::Service;

use super::pending::UidStore;
use super::shared::Shared;
use super::transport::Transport;
use crate::{Error, JsonCodec, Message, Resp, DEFAULT_MAX_FRAME_LEN};

type Inner =
    multiplex::Client<Transport, tokio_tower::Error<Transport, Message>, Message, UidStore>;
type InnerFuture =
    Pin<Box<dyn Future<Output = Result<Resp, tokio_tower::Error<Transport, Message>>> + Send>>;

/// One TCP connection carrying many requests at once, correlated by `Uid`.
///
/// Built on tokio-tower's `multiplex::Client`: a background task writes
/// requests and routes each answer to its caller by `Uid`, in whatever order
/// the server answers. On top of it, `Connection` makes every call end in
/// exactly one typed outcome:
///
/// * a second request with a `Uid` already in flight fails with
///   [`Error::DuplicateUid`] instead of swapping answers;
/// * a call that times out or is dropped leaves a tombstone that swallows
///   its late answer, so a later request reusing the `Uid` never gets it;
/// * when the connection dies, every call in flight fails with
///   [`Error::Closed`], whose `source()` is the cause;
/// * an answer carrying an error becomes [`Error::Server`].
///
/// It is not `Clone` and caps nothing: wrap it in `Buffer` to share it and
/// in `ConcurrencyLimit` for backpressure, or use [`Client`](crate::Client),
/// which does both.
///
/// # Examples
///
/// Composing your own stack over a bare connection:
///
/// ```
/// use std::time::Duration;
/// use jsonmux::{Connection, Message};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr()?;
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let conn = Connection::connect(addr).await?;
/// let svc = ServiceBuilder::new()
///     .buffer(64)
///     .concurrency_limit(16)
///     .timeout(Duration::from_secs(1))
///     .service(conn);
/// let resp = svc.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// # Ok(()) }
/// ```
///
/// # A note on abandoned `Uid`s
///
/// The wire has no way to tell a late answer from a fresh one with the same
/// `Uid`, so a `Uid` whose caller gave up stays taken until its answer
/// arrives (it is then dropped). Reusing it before that fails with
/// [`Error::DuplicateUid`]: give retries a fresh `Uid`.
pub struct Connection {
    inner: Inner,
    shared: Arc<Shared>,
}

impl Connection {
    /// Dials `addr` with the default options (see
    /// [`ClientBuilder`](crate::ClientBuilder) for dial timeout, keepalive
    /// and the rest) and starts the connection's background task.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] if the address cannot be reached in time.
    pub async fn connect(addr: impl ToString) -> Result<Connection, Error> {
        super::ClientBuilder::new().connect_bare(addr).await
    }

    /// Runs the protocol over an open stream, with the default frame limit.
    ///
    /// Spawns the background task, so it must be called within a tokio runtime.
    pub fn new(stream: TcpStream) -> Connection {
        Connection::with_max_frame_len(stream, DEFAULT_MAX_FRAME_LEN)
    }

    /// Runs the protocol over an open stream; answers longer than
    /// `max_frame_len` bytes close the connection with
    /// [`Error::FrameTooLarge`].
    pub fn with_max_frame_len(stream: TcpStream, max_frame_len: usize) -> Connection {
        let shared = Arc::new(Shared::default());
        let framed = Framed::new(stream, JsonCodec::with_max_frame_len(max_frame_len));
        let inner = multiplex::Client::builder(Transport::new(framed, shared.clone()))
            .pending_store(UidStore::new(shared.clone()))
            .build();
        Connection { inner, shared }
    }

    /// The state this connection shares with its worker and supervisor.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// True once the connection has ended; every later call fails with
    /// [`Error::Closed`].
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// How many `Uid`s are taken on this connection: requests waiting for
    /// their answer plus abandoned ones whose late answer has not arrived.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.len()
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("in_flight", &self.in_flight())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Lets the worker finish once the requests still in flight are done.
        self.shared.set_handle_dropped();
    }
}

impl Service<Message> for Connection {
    type Response = Resp;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Ready once the worker can take one more request; an error means
        // the worker is gone, so report why the connection ended.
        self.inner
            .poll_ready(cx)
            .map_err(|_| self.shared.closed_error())
    }

    fn call(&mut self, msg: Message) -> ResponseFuture {
        if self.shared.in_flight.len() == 0 {
            // Waiting starts now: the dead-peer clock must not count idle time.
            self.shared.touch();
        }
        if let Err(e) = self.shared.in_flight.begin(&msg.uid) {
            return ResponseFuture {
                state: State::Failed(Some(e)),
            };
        }
        let guard = Guard {
            uid: msg.uid.clone(),
            shared: self.shared.clone(),
            done: false,
        };
        let inner = self.inner.call(msg);
        ResponseFuture {
            state: State::Waiting { inner, guard },
        }
    }
}

/// Keeps a request's `Uid` taken until its caller has an outcome, and
/// tombstones it if the caller gives up first.
struct Guard {
    uid: String,
    shared: Arc<Shared>,
    done: bool,
}

impl Guard {
    /// The caller has its outcome: free the `Uid` now.
    fn finish(&mut self) {
        self.done = true;
        self.shared.in_flight.finish(&self.uid);
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.done {
            self.shared.in_flight.abandon(&self.uid);
        }
    }
}

enum State {
    Waiting { inner: InnerFuture, guard: Guard },
    Failed(Option<Error>),
}

/// The future a [`Connection`] call returns.
pub struct ResponseFuture {
    state: State,
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Resp, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (inner, guard) = match &mut self.state {
            State::Waiting { inner, guard } => (inner, guard),
            State::Failed(e) => {
                return Poll::Ready(Err(e.take().expect("polled after completion")));
            }
        };
        let out = ready!(inner.as_mut().poll(cx));
        guard.finish();
        Poll::Ready(match out {
            Ok(Resp {
                error: Some(msg),
                code,
                ..
            }) => Err(Error::from_wire(code.as_deref(), msg)),
            Ok(resp) => Ok(resp),
            // tokio-tower says "cancelled" or "broken transport"; the
            // transport recorded the real cause before dropping us.
            Err(_) => Err(guard.shared.closed_error()),
        })
    }
}
