//! Peers that stall: silent, trickling an answer one byte at a time, or
//! not reading at all. Calls end by their deadline, and the connection is
//! replaced once the peer is deemed dead (or the late answers it owes are
//! overdue), its reservations with it.

use super::*;
use crate::support::peers::{Mode, Peer};
use crate::support::time::with_paused_clock;

/// A request value large enough that a few fill a socket nobody reads.
fn large() -> String {
    "v".repeat(256 * 1024)
}

/// This suite's options with both dead-peer rules off.
fn rules_off(engine: Engine) -> ClientBuilder {
    let builder = builder(engine).read_timeout(None);
    builder.max_consecutive_timeouts(None)
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
    /// Answers that never come, dead-peer rules off: the reservations retire the connection (`AnswersOverdue`).
    fn reservations_for_answers_that_never_come_retire_the_connection(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::Silent).await;
            let builder = rules_off(engine).abandoned_timeout(Some(Duration::from_secs(1)));
            let client = connect(builder, &[hostile.addr]).await;
            let outcomes = calls(&client, "l", 8).await;
            outcomes.iter().for_each(Outcome::timed_out);
            let why = replaced(&client, &hostile).await;
            assert!(matches!(why, CloseReason::AnswersOverdue(8)), "{why:?}");
            assert_eq!(client.stats().in_flight, 0, "the reservations went with it");
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
    /// A peer that takes nothing, dead-peer rules off: the write timeout replaces the connection (`PeerNotReading`).
    fn a_peer_that_takes_nothing_is_replaced_by_the_write_timeout(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::StopsReading).await;
            let builder = rules_off(engine).write_timeout(Some(READ_TIMEOUT));
            let client = connect(builder, &[hostile.addr]).await;
            let not_reading = |e: &CloseReason| matches!(e, CloseReason::PeerNotReading(_));
            // 16 MiB: more than the sockets between them hold.
            for o in calls_with(&client, "w", 64, &large()).await {
                if !matches!(o.result, Err(Error::Timeout(_))) {
                    o.closed_by(not_reading);
                }
            }
            let why = replaced(&client, &hostile).await;
            assert!(not_reading(&why), "{why:?}");
            assert_eq!(client.stats().in_flight, 0, "the reservations went with it");
        })
    }
}
