//! Peers that stall: silent, trickling an answer one byte at a time, or
//! not reading at all. Calls end by their deadline, and the connection is
//! replaced once the peer is deemed dead, its reservations with it.

use super::*;
use crate::support::hostile::{Hostile, Mode};
use crate::support::time::{with_paused_clock, with_real_clock};

/// A request value large enough that a few fill a socket nobody reads.
fn large() -> String {
    "v".repeat(256 * 1024)
}

/// This suite's options with both dead-peer rules off.
fn rules_off(engine: Engine) -> ClientBuilder {
    let builder = builder(engine).read_timeout(None).unwrap();
    builder.max_consecutive_timeouts(None).unwrap()
}

/// Eight calls with `val` to a peer in `mode` that answers none: each
/// ends by its deadline, and the connection is replaced for
/// `PeerSilent`, the calls' reservations with it.
async fn deemed_silent(engine: Engine, mode: Mode, val: &str) {
    let hostile = Hostile::start(mode).await;
    let client = connect(builder(engine), &[hostile.addr]).await;
    let outcomes = calls_with(&client, "s", 8, val).await;
    outcomes.iter().for_each(Outcome::timed_out_or_silent);
    counted_once(&client, &outcomes);
    let why = replaced(&client, &hostile).await;
    assert!(matches!(why, Error::PeerSilent(_)), "{why:?}");
    assert_eq!(client.stats().in_flight, 0, "the reservations went with it");
}

per_engine! {
    /// A silent peer: calls end at their deadline and the connection is replaced for `PeerSilent`.
    fn a_silent_peer_times_the_calls_out_and_gets_its_connection_replaced(engine: Engine) {
        with_paused_clock(move || async move { deemed_silent(engine, Mode::Silent, "x").await })
    }
}

per_engine! {
    #[ignore = "issue 15: fixed on branch h15fix"]
    /// Answers that never come: the calls' reservations are released, dead-peer rules off.
    fn reservations_for_answers_that_never_come_are_released(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Hostile::start(Mode::Silent).await;
            let client = connect(rules_off(engine), &[hostile.addr]).await;
            let outcomes = calls(&client, "l", 8).await;
            outcomes.iter().for_each(Outcome::timed_out);
            eventually("the reservations released", || client.stats().in_flight == 0).await;
        })
    }
}

per_engine! {
    /// One answer byte per 50 ms: the call ends by its deadline, the connection is replaced (`PeerSilent`).
    fn a_peer_trickling_one_byte_per_50ms_gets_its_connection_replaced(engine: Engine) {
        // On the real clock: the connection's health measures silence in
        // real time, and the trickle must be slower than the read timeout
        // in that time.
        with_real_clock(move || async move {
            let every = Duration::from_millis(50);
            let hostile = Hostile::start(Mode::Trickle(every)).await;
            let client = connect(builder(engine), &[hostile.addr]).await;
            let call = client.clone().oneshot(Message::new("t", "x"));
            let result = bounded("the trickled call", call).await;
            let outcome = Outcome { uid: "t".into(), val: "x".into(), result };
            outcome.timed_out_or_silent();
            let why = replaced(&client, &hostile).await;
            assert!(matches!(why, Error::PeerSilent(_)), "{why:?}");
            let seen = hostile.seen();
            assert!(seen.written < 40, "the answer never got whole: {seen:?}");
        })
    }
}

per_engine! {
    /// A peer that stops reading: calls end by their deadline, the connection is replaced for `PeerSilent`.
    fn a_peer_that_stops_reading_gets_its_connection_replaced(engine: Engine) {
        with_paused_clock(move || async move {
            deemed_silent(engine, Mode::StopsReading, &large()).await
        })
    }
}

per_engine! {
    #[ignore = "issue 15: fixed on branch h15fix"]
    /// A peer that takes nothing is replaced by the write timeout alone (dead-peer rules off).
    fn a_peer_that_takes_nothing_is_replaced_by_the_write_timeout(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Hostile::start(Mode::StopsReading).await;
            let client = connect(rules_off(engine), &[hostile.addr]).await;
            // 16 MiB of requests, all given up on: none must stay queued.
            for round in 0..4 {
                let outcomes = calls_with(&client, &format!("w{round}-"), 16, &large()).await;
                outcomes.iter().for_each(Outcome::timed_out);
            }
            replaced(&client, &hostile).await;
            assert_eq!(client.stats().in_flight, 0, "the reservations went with it");
        })
    }
}
