//! How big a connection's buffers are: small when it wakes from idle
//! (idle connections are many, and each that spoke once has held them),
//! the read buffer doubled while reads fill it.

use bytes::BytesMut;

/// What a connection that wakes up from idle (or speaks for the first
/// time) gets to read into: a request's worth.
pub(super) const READ_START: usize = 256;
/// The most a read buffer is grown to because reads fill it: a busy
/// connection's batches. (A frame longer than this still fits: the buffer
/// grows to hold it.)
pub(super) const READ_MAX_GROWN: usize = 8 * 1024;
/// What the first answer after a wake-up is written into: an answer's
/// worth, grown as a batch needs.
pub(super) const WRITE_START: usize = 256;
/// Answers buffered past this many bytes are written out before more are
/// added (tokio-util's default).
pub(super) const WRITE_BATCH: usize = 8 * 1024;

/// A read filled `buf`: more may be waiting, so it doubles (up to
/// [`READ_MAX_GROWN`]) for the next reads to take more at once.
pub(super) fn grow_read(buf: &mut BytesMut) {
    let capacity = buf.capacity();
    if capacity < READ_MAX_GROWN {
        buf.reserve(capacity.max(READ_START));
    }
}

/// Before a read: room for a request's worth, taken back from the frames
/// already decoded when that costs no more than moving what is left of
/// them (never an allocation), so the read is not given the few bytes
/// left at the end of the buffer (which would cut the next request in
/// two, and cost a second read and a second parse).
pub(super) fn keep_room(buf: &mut BytesMut) {
    // When it cannot, what is there is read into as before.
    let _ = buf.try_reclaim(READ_START);
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Buf;

    #[test]
    fn a_filled_buffer_doubles_up_to_the_most_and_keeps_what_it_holds() {
        let mut buf = BytesMut::new();
        buf.reserve(READ_START);
        buf.extend_from_slice(b"{\"Uid\":");
        let mut capacities = vec![buf.capacity()];
        while buf.capacity() < READ_MAX_GROWN {
            grow_read(&mut buf);
            capacities.push(buf.capacity());
        }
        assert_eq!(capacities, [256, 512, 1024, 2048, 4096, 8192]);
        grow_read(&mut buf);
        assert_eq!(buf.capacity(), READ_MAX_GROWN, "not past the most");
        assert_eq!(&buf[..], b"{\"Uid\":");
    }

    #[test]
    fn the_room_of_decoded_frames_is_taken_back_before_a_read() {
        let mut buf = BytesMut::new();
        buf.reserve(READ_START);
        let start = buf.as_ptr();
        buf.extend_from_slice(&[b'x'; 240]);
        buf.advance(240);
        assert!(buf.capacity() - buf.len() < 20, "only the end is left");
        keep_room(&mut buf);
        assert!(buf.capacity() - buf.len() >= READ_START);
        assert_eq!(buf.as_ptr(), start, "the same allocation, from its start");
    }

    #[test]
    fn keeping_room_never_allocates() {
        let mut buf = BytesMut::new();
        buf.reserve(READ_START);
        buf.extend_from_slice(&[b'x'; 250]);
        buf.advance(10);
        let start = buf.as_ptr();
        keep_room(&mut buf);
        assert_eq!(buf.as_ptr(), start, "undecoded bytes stay where they are");
        assert_eq!(buf.len(), 240);
    }
}
