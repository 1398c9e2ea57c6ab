//! [`Connection`]: one multiplexed TCP connection as a tower service.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::Framed;
use tower::Service;

use super::dispatch::Dispatch;
use super::options::Options;
use super::shared::Shared;
use crate::{Addr, Error, JsonCodec, Message, Resp, DEFAULT_MAX_FRAME_LEN};

/// Read buffer of a connection: room for a full batch of answers to small
/// requests (256 in flight), read with one syscall instead of four with
/// tokio-util's 8 KiB default.
const READ_CAPACITY: usize = 32 * 1024;

/// One TCP connection carrying many requests at once, correlated by `Uid`.
///
/// A background task writes queued requests in batches (one write per
/// batch) and routes each answer to its caller by `Uid`, in whatever order
/// the server answers. Every call ends in exactly one typed outcome:
///
/// * a second request with a `Uid` already in flight fails with
///   [`Error::DuplicateUid`] instead of swapping answers;
/// * a call that times out or is dropped leaves a tombstone that swallows
///   its late answer, so a later request reusing the `Uid` never gets it;
/// * when the connection dies, every call in flight fails with
///   [`Error::Closed`], whose `source()` is the cause;
/// * an answer carrying an error becomes [`Error::Server`] with its code
///   (or [`Error::Overloaded`]).
///
/// It is cheap to [`Clone`] (clones share the connection, whose task ends
/// once every clone is gone and the answers awaited have arrived) and caps
/// nothing (`poll_ready` is always ready while the connection lives): put a
/// `ConcurrencyLimit` over it for backpressure, or use
/// [`Client`](crate::Client).
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
#[derive(Clone)]
pub struct Connection {
    /// The queue to the dispatch task; dropping every clone lets the task finish.
    requests: mpsc::UnboundedSender<Message>,
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
    pub async fn connect(addr: impl Into<Addr>) -> Result<Connection, Error> {
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
    /// [`Error::Protocol`] ([`CodecError::FrameTooLarge`](crate::CodecError::FrameTooLarge)).
    pub fn with_max_frame_len(stream: TcpStream, max_frame_len: usize) -> Connection {
        Connection::start(stream, max_frame_len, None)
    }

    /// Runs the protocol over an open stream with a builder's options.
    pub(crate) fn with_options(stream: TcpStream, opts: &Options) -> Connection {
        Connection::start(stream, opts.max_frame_len, opts.busy_poll)
    }

    fn start(stream: TcpStream, max_frame_len: usize, busy_poll: Option<Duration>) -> Connection {
        let shared = Arc::new(Shared::default());
        let codec = JsonCodec::with_max_frame_len(max_frame_len);
        let mut framed = Framed::with_capacity(stream, codec, READ_CAPACITY);
        // `with_capacity` sizes the write buffer too; that one grows to the
        // batches actually written instead.
        *framed.write_buffer_mut() = bytes::BytesMut::new();
        let (requests, queue) = mpsc::unbounded_channel();
        tokio::spawn(Dispatch::new(framed, queue, shared.clone(), busy_poll));
        Connection { requests, shared }
    }

    /// The state this connection shares with its task and supervisor.
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

impl Service<Message> for Connection {
    type Response = Resp;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Nothing to reserve: the queue is unbounded (limits belong to the
        // layers above). A dead connection says why it died.
        if self.shared.is_closed() {
            return Poll::Ready(Err(self.shared.closed_error()));
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, msg: Message) -> ResponseFuture {
        self.send(msg)
    }
}

impl Connection {
    /// [`Service::call`] without `&mut`: what a pool calls in place.
    pub(crate) fn send(&self, msg: Message) -> ResponseFuture {
        let in_flight = &self.shared.in_flight;
        if in_flight.len() == 0 {
            // Waiting starts now: the dead-peer clock must not count idle time.
            self.shared.touch();
        }
        let (uid, answer) = match in_flight.begin(&msg.uid) {
            Ok(Some(taken)) => taken,
            Ok(None) => return ResponseFuture::failed(self.shared.closed_error()),
            Err(e) => return ResponseFuture::failed(e),
        };
        if self.requests.send(msg).is_err() {
            in_flight.cancel(&uid);
            return ResponseFuture::failed(self.shared.closed_error());
        }
        ResponseFuture {
            state: State::Waiting {
                answer,
                uid,
                shared: self.shared.clone(),
            },
        }
    }
}

enum State {
    Waiting {
        answer: oneshot::Receiver<Resp>,
        /// Needed to tombstone the `Uid` if the caller gives up.
        uid: Arc<str>,
        shared: Arc<Shared>,
    },
    Failed(Option<Error>),
    Done,
}

/// The future a [`Connection`] call returns.
///
/// Dropping it before it completes (a timeout, a cancelled task) leaves a
/// tombstone for its `Uid`; see [`Connection`].
pub struct ResponseFuture {
    state: State,
}

impl ResponseFuture {
    fn failed(e: Error) -> Self {
        ResponseFuture {
            state: State::Failed(Some(e)),
        }
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Resp, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let out = match &mut self.state {
            State::Waiting { answer, shared, .. } => match ready!(Pin::new(answer).poll(cx)) {
                Ok(Resp {
                    error: Some(msg),
                    code,
                    ..
                }) => Err(Error::from_answer(code, msg)),
                Ok(resp) => Ok(resp),
                // The task dropped our sender: the connection ended, and
                // its cause was recorded first.
                Err(_) => Err(shared.closed_error()),
            },
            State::Failed(e) => Err(e.take().expect("polled after completion")),
            State::Done => panic!("ResponseFuture polled after completion"),
        };
        self.state = State::Done;
        Poll::Ready(out)
    }
}

impl Drop for ResponseFuture {
    fn drop(&mut self) {
        if let State::Waiting { uid, shared, .. } = &self.state {
            shared.in_flight.abandon(uid);
        }
    }
}
