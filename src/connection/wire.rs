//! [`Wire`]: a client connection's framed stream, as both engines write
//! and read it: requests (with the extension's number and deadline when
//! it is on) and cancels out, answers in, one write per batch, and the
//! write timeout's watch.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_util::codec::Framed;

use super::cancels::Cancel;
use super::options::ConnectionOptions;
use super::shared::Shared;
use crate::proto::{budget_ms, write};
use crate::{CloseReason, CodecError, JsonCodec, Message, Resp};

/// Read buffer of a connection: room for a full batch of answers to small
/// requests (256 in flight), read with one syscall instead of four with
/// tokio-util's 8 KiB default.
const READ_CAPACITY: usize = 32 * 1024;

/// Room each read is given, taken back from the answers already decoded
/// when that costs no more than moving what is left of them: reads are
/// not handed the few bytes left at the end of the buffer (a short read
/// cuts a batch, or an answer, in two).
const READ_ROOM: usize = READ_CAPACITY / 2;

/// The framed stream of one client connection.
pub(crate) struct Wire<T> {
    framed: Framed<T, JsonCodec<Resp>>,
    /// Requests carry the extension's fields.
    extension: bool,
    /// The last flush left bytes unwritten (the peer takes nothing, or is
    /// slow); see [`flushed`](Wire::flushed).
    blocked: bool,
    /// The last flush did not finish: bytes may wait below the codec's
    /// buffer even when it is empty (a TLS session keeps the records it
    /// could not write until flushed again).
    unflushed: bool,
    /// When the requests of this write are sent, for their deadlines'
    /// time left: one clock read per write.
    now: Option<Instant>,
    /// Cancels taken to write (kept for its allocation).
    cancels: Vec<Cancel>,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Wire<T> {
    pub(crate) fn new(io: T, opts: &ConnectionOptions) -> Self {
        let codec =
            JsonCodec::with_max_frame_len(opts.max_frame_len).with_fast_read(Resp::read_fast);
        let mut framed = Framed::with_capacity(io, codec, READ_CAPACITY);
        // `with_capacity` sizes the write buffer too; that one grows to the
        // batches actually written instead.
        *framed.write_buffer_mut() = bytes::BytesMut::new();
        Wire {
            framed,
            extension: opts.extension,
            blocked: false,
            unflushed: false,
            now: None,
            cancels: Vec::new(),
        }
    }

    /// Encodes `msg`, numbered `seq` on the connection, into the write
    /// buffer; with the extension, its number and the time left to its
    /// deadline go with it. Returns true if it carried a deadline.
    pub(crate) fn encode(&mut self, msg: &Message, seq: u64) -> bool {
        let (seq, budget) = match (self.extension, msg.deadline()) {
            (false, _) => (None, None),
            (true, None) => (Some(seq), None),
            (true, Some(deadline)) => {
                let now = *self.now.get_or_insert_with(Instant::now);
                let left = deadline.saturating_duration_since(now);
                (Some(seq), Some(budget_ms(left)))
            }
        };
        write::request(self.framed.write_buffer_mut(), msg, seq, budget);
        budget.is_some()
    }

    /// Encodes the cancels the calls of `shared` have left for the server.
    pub(crate) fn encode_cancels(&mut self, shared: &Shared) {
        shared.cancels.take(&mut self.cancels);
        for cancel in self.cancels.drain(..) {
            write::cancel(self.framed.write_buffer_mut(), &cancel.uid, cancel.seq);
        }
    }

    /// True if a flush has something to do.
    pub(crate) fn has_unwritten(&self) -> bool {
        self.unflushed || !self.framed.write_buffer().is_empty()
    }

    /// Writes what is encoded, in one write if the stream takes it,
    /// telling `shared`'s health whether the peer takes what is written.
    pub(crate) fn poll_flush(
        &mut self,
        cx: &mut Context<'_>,
        shared: &Shared,
    ) -> Poll<Result<(), CloseReason>> {
        if !self.has_unwritten() {
            return Poll::Ready(Ok(()));
        }
        let before = self.framed.write_buffer().len();
        let flushed = Sink::<Resp>::poll_flush(Pin::new(&mut self.framed), cx);
        self.unflushed = flushed.is_pending();
        let wrote_some = self.framed.write_buffer().len() < before;
        self.flushed(shared, self.unflushed, wrote_some);
        if flushed.is_ready() {
            self.now = None;
        }
        flushed.map_err(CloseReason::from)
    }

    /// Makes room before more is encoded: writes once the buffer passes
    /// its boundary (memory stays bounded); `Pending` while the stream
    /// takes nothing more.
    #[cfg(feature = "tokio-tower")]
    pub(crate) fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        shared: &Shared,
    ) -> Poll<Result<(), CloseReason>> {
        let before = self.framed.write_buffer().len();
        let ready = Sink::<Resp>::poll_ready(Pin::new(&mut self.framed), cx);
        let wrote_some = self.framed.write_buffer().len() < before;
        if wrote_some || ready.is_pending() {
            // It flushed: all of it (ready), or not (the peer is slow).
            self.flushed(shared, ready.is_pending(), wrote_some);
        }
        ready.map_err(CloseReason::from)
    }

    /// The next answer read, or why there is none.
    pub(crate) fn poll_answer(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Resp, CodecError>>> {
        // When it cannot, what is there is read into as before.
        let _ = self.framed.read_buffer_mut().try_reclaim(READ_ROOM);
        Pin::new(&mut self.framed).poll_next(cx)
    }

    /// Bytes encoded and not yet written.
    pub(crate) fn unwritten(&self) -> usize {
        self.framed.write_buffer().len()
    }

    /// The stream, for tests that look at what was written.
    #[cfg(all(test, feature = "tokio-tower"))]
    pub(crate) fn stream(&self) -> &T {
        self.framed.get_ref()
    }

    /// What a flush told of the peer, for the health's write timeout: the
    /// peer takes nothing while a flush leaves bytes unwritten (`blocked`)
    /// without writing any. The health hears when that starts (and again
    /// each time the peer takes some, `wrote_some`, which restarts the
    /// clock), and when writes flow again: a lock and a clock read per
    /// change, none per flush while writes flow.
    fn flushed(&mut self, shared: &Shared, blocked: bool, wrote_some: bool) {
        if blocked && (wrote_some || !self.blocked) {
            shared.write_blocked(Some(Instant::now()));
        } else if !blocked && self.blocked {
            shared.write_blocked(None);
        }
        self.blocked = blocked;
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;
    use tokio_test::task;

    use super::*;

    /// The answers of a batch that nearly filled the buffer are decoded:
    /// the next read is given the room they took, not what is left after
    /// them.
    #[tokio::test]
    async fn a_read_after_a_full_batch_gets_the_room_back() {
        let (mut peer, ours) = tokio::io::duplex(2 * READ_CAPACITY);
        let mut wire = Wire::new(ours, &ConnectionOptions::default());
        let answer = br#"{"Uid":"a","Val":"server: hello, pixelpig!","Ts":"t"}"#;
        let n = (READ_CAPACITY - READ_ROOM / 2) / (answer.len() + 1);
        for _ in 0..n {
            peer.write_all(answer).await.unwrap();
            peer.write_all(b"\n").await.unwrap();
        }
        let mut reading = task::spawn(());
        let mut read = 0;
        while let Poll::Ready(Some(answer)) = reading.enter(|cx, _| wire.poll_answer(cx)) {
            answer.unwrap();
            read += 1;
        }
        assert_eq!(read, n, "every answer read");
        let buf = wire.framed.read_buffer();
        assert!(
            buf.capacity() - buf.len() >= READ_ROOM,
            "{} spare",
            buf.capacity() - buf.len()
        );
    }
}
