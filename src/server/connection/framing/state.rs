//! [`Framing`] itself: its fields, and a new connection's, with no buffers.

use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

use crate::busy_poll::BusyPoll;
use crate::server::connection::buffers;
use crate::server::connection::deadlines::Deadlines;
use crate::server::connection::delay::Delays;
use crate::server::connection::readable::Readable;
use crate::server::connection::requests::Requests;
use crate::server::connection::stamp::Stamp;
use crate::server::connection::timer::Timer;
use crate::server::layers::Cancellations;
use crate::server::options::ServerOptions;
use crate::server::shutdown::Drain;
use crate::server::stats::StatsHandle;
use crate::{JsonCodec, Message};

/// The stream, framed by [`JsonCodec`], with the connection's clocks.
///
/// Reading runs dry → the answers buffered are written, all in one write,
/// and the clock for what the connection now waits for runs (see
/// [`Deadlines`]): a reason to end comes out of [`poll_read`] as
/// [`Read::End`], after the requests decoded before it, so the driver can
/// answer them all first.
///
/// An idle connection keeps no buffers: they are released once it has been
/// idle for a moment, and a read buffer is only given back once the stream
/// is [`Readable`].
///
/// When the server shuts down, the going-away notice goes out with the next
/// write and reading goes on through the drain's grace (see
/// [`shutdown`](crate::server::shutdown)); a connection with nothing in
/// flight then ends as [`Close::Drained`] once quiet, any connection at the
/// end of the grace.
///
/// [`poll_read`]: Framing::poll_read
/// [`Read::End`]: super::Read::End
/// [`Close::Drained`]: crate::server::close::Close::Drained
#[derive(Debug)]
pub(crate) struct Framing<T> {
    pub(super) framed: Framed<Readable<T>, JsonCodec<Message>>,
    /// The server's shutdown, as this connection lives it.
    pub(super) drain: Drain,
    /// The rules of the clocks.
    pub(super) deadlines: Deadlines,
    /// The one timer, for the next deadline of `deadlines`.
    pub(super) timer: Timer,
    /// Keeps an idle connection checking its socket for a while after each
    /// wait begins.
    pub(super) busy_poll: BusyPoll,
    /// Requests read since the shutdown signal was last checked.
    pub(super) reads_unchecked: u32,
    /// The time on this write's answers that came without one.
    pub(super) stamp: Stamp,
    /// How long this write's answers waited, for the server's delay.
    pub(super) delays: Delays,
    /// The requests in flight, the counters, the extension.
    pub(super) requests: Requests,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Framing<T> {
    pub(crate) fn new(
        stream: T,
        opts: &ServerOptions,
        stats: &StatsHandle,
        shutdown: CancellationToken,
        cancellations: Arc<Cancellations>,
    ) -> Self {
        let codec =
            JsonCodec::with_max_frame_len(opts.max_frame_len).with_fast_read(Message::read_fast);
        // No buffers until there is something to read or write: a
        // connection that never speaks costs no buffer memory.
        let mut framed = Framed::with_capacity(Readable::new(stream), codec, 0);
        *framed.write_buffer_mut() = BytesMut::new();
        // `with_capacity` also sets this to 0, which would flush every answer.
        framed.set_backpressure_boundary(buffers::WRITE_BATCH);
        Framing {
            framed,
            drain: Drain::new(shutdown, opts.drain_grace),
            deadlines: Deadlines::new(opts),
            timer: Timer::new(),
            busy_poll: BusyPoll::new(opts.busy_poll),
            reads_unchecked: 0,
            stamp: Stamp::default(),
            delays: Delays::default(),
            requests: Requests::new(opts, stats, cancellations),
        }
    }
}
