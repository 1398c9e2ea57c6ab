//! Peers that hang up: a reset after some answers, a close right after
//! the accept. The calls caught in it fail with the cause, the others are
//! answered, and the pool redials at its backoff's pace.

use std::io::ErrorKind;

use super::*;
use crate::support::hostile::{Hostile, Mode};
use crate::support::time::with_paused_clock;

fn reset(e: &Error) -> bool {
    matches!(e, Error::Io(e) if e.kind() == ErrorKind::ConnectionReset)
}

client_engines! {
    /// A reset after two answers fails only the calls in flight (`Closed(Io(reset))`); the next connection serves.
    fn a_reset_after_two_answers_fails_only_the_calls_in_flight(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Hostile::start(Mode::ResetAfter(2)).await;
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

client_engines! {
    /// A peer that accepts then closes: calls end by their deadline, redials keep the backoff's pace.
    fn a_peer_that_accepts_then_closes_is_redialed_at_the_backoffs_pace(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Hostile::start(Mode::AcceptThenClose).await;
            let (min, max) = (Duration::from_millis(10), Duration::from_millis(100));
            let builder = builder(engine).backoff(min, max).unwrap();
            let client = connect(builder, &[hostile.addr]).await;
            let outcomes = calls(&client, "c", 4).await;
            for o in &outcomes {
                if !matches!(o.result, Err(Error::Timeout)) {
                    o.closed_by(|c| matches!(c, Error::PeerClosed | Error::Io(_)));
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
