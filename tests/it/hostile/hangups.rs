//! Peers that hang up: a reset after some answers, a close right after
//! the accept, a going-away notice for every call. The calls caught in it
//! end with the cause, the others are answered, and the pool redials at
//! its backoff's pace.

use std::io::ErrorKind;

use jsonmux::{CloseReason, Code};

use super::*;
use crate::support::calls::spawn_calls;
use crate::support::peers::{Mode, Peer, Then};
use crate::support::time::with_paused_clock;

fn reset(e: &CloseReason) -> bool {
    matches!(e, CloseReason::Io(e) if e.kind() == ErrorKind::ConnectionReset)
}

per_engine! {
    /// A reset after two answers fails only the calls in flight (`Closed(Io(reset))`); the next connection serves.
    fn a_reset_after_two_answers_fails_only_the_calls_in_flight(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::ResetAfter(2)).await;
            let client = connect(builder(engine), &[hostile.addr]).await;
            let mut outcomes = Vec::new();
            for tag in ["a", "b"] {
                outcomes.extend(calls(&client, tag, 1).await);
            }
            outcomes.iter().for_each(Outcome::answered);
            let caught = calls(&client, "r", 3).await;
            caught.iter().for_each(|o| o.closed_by(reset));
            let why = replaced(&client, &hostile).await;
            assert!(reset(&why), "{why:?}");
            let after = calls(&client, "n", 1).await;
            after.iter().for_each(Outcome::answered);
            outcomes.extend(caught.into_iter().chain(after));
            counted_once(&client, &outcomes);
            assert_eq!(client.stats().in_flight, 0);
        })
    }
}

per_engine! {
    /// A peer that accepts then closes: calls end by their deadline, redials keep the backoff's pace.
    fn a_peer_that_accepts_then_closes_is_redialed_at_the_backoffs_pace(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::AcceptThenClose).await;
            let (min, max) = (Duration::from_millis(10), Duration::from_millis(100));
            let builder = builder(engine).backoff(min, max);
            let client = connect(builder, &[hostile.addr]).await;
            let outcomes = calls(&client, "c", 4).await;
            for o in &outcomes {
                if !matches!(o.result, Err(Error::Timeout(_))) {
                    o.closed_by(|c| matches!(c, CloseReason::PeerClosed | CloseReason::Io(_)));
                }
            }
            counted_once(&client, &outcomes);
            // Every delay is at most max, and from the fourth on at least
            // max/2: a second brings 8 to 24 redials, never a storm.
            let before = hostile.seen().accepted;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let accepted = hostile.seen().accepted;
            let redials = accepted - before;
            assert!((8..=24).contains(&redials), "{redials} redials in 1 s");
            let stats = client.stats();
            assert!(stats.reconnects as usize + 2 >= accepted, "{stats:?}");
            assert_eq!(stats.in_flight, 0, "{stats:?}");
        })
    }
}

per_engine! {
    /// A peer that goes away on every call: under a steady load, redials keep the backoff's pace.
    fn a_peer_going_away_on_every_call_is_redialed_at_the_backoffs_pace(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::GoingAway).await;
            let (min, max) = (Duration::from_millis(10), Duration::from_millis(100));
            let builder = builder(engine).backoff(min, max);
            let client = connect(builder, &[hostile.addr]).await;
            // A call every millisecond for 100 ms.
            let mut calls = Vec::new();
            for i in 0..100 {
                let call = client.clone().oneshot(Message::new(format!("g{i}"), "x"));
                calls.push(tokio::spawn(call));
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let accepted = hostile.seen().accepted;
            for call in calls {
                let out = bounded("a call", call).await.unwrap();
                assert!(matches!(out, Err(Error::Timeout(_) | Error::Closed(_))), "{out:?}");
            }
            // Delays of at least min/2, doubling: a handful of redials.
            assert!(accepted <= 10, "{accepted} connections in 100 ms");
        })
    }
}

per_engine! {
    /// A peer's last word on a connection it keeps open: calls with no deadline end with it as the cause.
    fn a_last_word_on_a_connection_left_open_ends_the_calls_in_flight(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::LastWord(Then::StayOpen)).await;
            let builder = builder(engine).request_timeout(None);
            let client = connect(builder, &[hostile.addr]).await;
            let last_word =
                |e: &CloseReason| matches!(e, CloseReason::Server { code: Code::BadRequest, .. });
            for call in spawn_calls(&client, "w", 3, "x") {
                let out = bounded("a call with no deadline", call).await.unwrap();
                assert!(matches!(&out, Err(Error::Closed(c)) if last_word(c)), "{out:?}");
            }
        })
    }
}
