//! Peers that stall: silent, trickling an answer one byte at a time, or
//! not reading at all. Calls end by their deadline (or, with none, with
//! their connection), the connection is replaced once the peer is deemed
//! dead, its reservations with it, and what waits to be written to a peer
//! that does not read is bounded.

use super::*;
use crate::support::calls::spawn_calls;
use crate::support::peers::{Mode, Peer};
use crate::support::time::with_paused_clock;

/// A request value large enough that a few fill a socket nobody reads.
fn large() -> String {
    "v".repeat(256 * 1024)
}

/// Eight calls with `val` to a peer in `mode` that answers none: each
/// ends by its deadline, and the connection is replaced for
/// `PeerSilent`, the calls' reservations with it.
async fn deemed_silent(engine: Engine, mode: Mode, val: &str) -> Peer {
    let hostile = Peer::start(mode).await;
    let client = connect(builder(engine), &[hostile.addr]).await;
    let outcomes = calls_with(&client, "s", 8, val).await;
    outcomes.iter().for_each(Outcome::timed_out_or_silent);
    counted_once(&client, &outcomes);
    let why = replaced(&client, &hostile).await;
    assert!(matches!(why, CloseReason::PeerSilent(_)), "{why:?}");
    assert_eq!(client.stats().in_flight, 0, "the reservations went with it");
    hostile
}

per_engine! {
    /// A silent peer: calls end at their deadline and the connection is replaced for `PeerSilent`.
    fn a_silent_peer_times_the_calls_out_and_gets_its_connection_replaced(engine: Engine) {
        with_paused_clock(move || async move {
            deemed_silent(engine, Mode::Silent, "x").await;
        })
    }
}

per_engine! {
    /// One answer byte per 50 ms: calls end by their deadline, the connection is replaced (`PeerSilent`).
    fn a_peer_trickling_one_byte_per_50ms_gets_its_connection_replaced(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = deemed_silent(engine, Mode::Trickle(Duration::from_millis(50)), "x").await;
            let seen = hostile.seen();
            assert!(seen.written < 40, "no answer got whole: {seen:?}");
        })
    }
}

per_engine! {
    /// A peer that stops reading: calls end by their deadline, the connection is replaced for `PeerSilent`.
    fn a_peer_that_stops_reading_gets_its_connection_replaced(engine: Engine) {
        with_paused_clock(move || async move {
            deemed_silent(engine, Mode::StopsReading, &large()).await;
        })
    }
}

per_engine! {
    /// A peer that takes nothing, dead-peer rules off: the write timeout replaces the connection, and every call on it, none with a deadline, ends with that cause (`PeerNotReading`).
    fn a_peer_that_takes_nothing_is_replaced_by_the_write_timeout(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::StopsReading).await;
            let write_timeout = Duration::from_secs(1);
            let builder = rules_off(engine)
                .request_timeout(None)
                .write_timeout(Some(write_timeout))
                .connector(hostile.small_send_buffer());
            let client = connect(builder, &[hostile.addr]).await;
            // 512 KiB: far more than the two 4 KiB socket buffers hold.
            let big = "x".repeat(64 * 1024);
            let calls = spawn_calls(&client, "w", 8, &big);
            let limit = write_timeout * 3 / 2;
            let why = replaced_within(&client, &hostile, limit).await;
            let not_reading = |e: &CloseReason| matches!(e, CloseReason::PeerNotReading(_));
            assert!(not_reading(&why), "{why:?}");
            for call in calls {
                let out = bounded("a call with no deadline", call).await.unwrap();
                assert!(matches!(&out, Err(Error::Closed(c)) if not_reading(c)), "{out:?}");
            }
            assert_eq!(client.stats().in_flight, 0, "the reservations went with it");
        })
    }
}

per_engine! {
    /// Requests for a peer that does not read stay within `max_queued_bytes`, and those of calls given up on are never written.
    fn requests_queued_for_a_peer_that_does_not_read_are_bounded_and_dropped_with_their_calls(engine: Engine) {
        const VAL: usize = 32 * 1024;
        const MAX: usize = 128 * 1024;
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::StopsReading).await;
            let builder = rules_off(engine).connector(hostile.small_send_buffer());
            let builder = builder.max_queued_bytes(MAX);
            let conn = bounded("a connection", builder.dial("unread.example:1")).await.unwrap();
            let val = "x".repeat(VAL);
            let calls: Vec<_> = (0..32)
                .map(|i| {
                    let call = conn.clone().oneshot(Message::new(format!("q{i}"), &val));
                    tokio::spawn(tokio::time::timeout(Duration::from_millis(100), call))
                })
                .collect();
            // Every call has been made; the socket and the task's write buffer are full.
            tokio::time::sleep(Duration::from_millis(1)).await;
            let queued = conn.queued_bytes();
            assert!(queued <= MAX + VAL + 64, "{queued} bytes queued");
            for c in calls {
                let given_up = bounded("a call", c).await.unwrap();
                assert!(given_up.is_err(), "{given_up:?}");
            }
            hostile.start_reading();
            let after = conn.clone().oneshot(Message::new("after", "x"));
            let after = bounded("a call once the peer reads", after).await;
            assert_eq!(after.unwrap().uid, "after");
            let read = hostile.seen().read;
            assert_eq!(read.last().map(String::as_str), Some("after"));
            // What the sockets and the task's write buffer held when the
            // calls gave up went out; nothing queued behind it did.
            assert!(read.len() <= 6, "{} requests written: {read:?}", read.len());
            assert_eq!(conn.queued_bytes(), 0);
        });
    }
}
