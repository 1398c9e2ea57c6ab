//! Answers that are not the calls' own: unknown `Uid`s, `"Uid":null`,
//! duplicates, unsolicited floods. None reaches a call or is kept; a peer
//! that sends nothing else is deemed dead like a silent one.

use super::*;
use crate::support::peers::{Mode, Peer, Wrong};
use crate::support::time::with_paused_clock;

/// Three calls to a peer in `mode`, which answers them with nothing of
/// theirs: each ends by its deadline, no answer reaches it, and the
/// client holds no more than their own reservations.
async fn reach_no_call(engine: Engine, mode: Mode) -> Peer {
    let hostile = Peer::start(mode).await;
    let client = connect(builder(engine), &[hostile.addr]).await;
    let outcomes = calls(&client, "c", 3).await;
    outcomes.iter().for_each(Outcome::timed_out_or_silent);
    counted_once(&client, &outcomes);
    let in_flight = client.stats().in_flight;
    assert!(in_flight <= 3, "{in_flight} Uids taken after 3 calls");
    hostile
}

/// A peer in `mode`, which answers nothing of the calls', is found dead
/// by each dead-peer rule alone: what it sends is not progress.
async fn gets_replaced(engine: Engine, mode: Mode) {
    silence_is_seen_through(engine, mode).await;
    a_streak_of_timeouts_goes_on(engine, mode).await;
}

/// The read timeout alone: a call with no deadline waits while calls
/// given up on one after the other keep the peer talking; the silence is
/// seen, the connection replaced for `PeerSilent`, the waiting call ended
/// with that cause.
async fn silence_is_seen_through(engine: Engine, mode: Mode) {
    let hostile = Peer::start(mode).await;
    let builder = builder(engine).request_timeout(None);
    let client = connect(builder.max_consecutive_timeouts(None), &[hostile.addr]).await;
    let waiting = tokio::spawn(client.clone().oneshot(Message::new("waits", "x")));
    // 40 pokes of a quarter of the read timeout each: ten read timeouts.
    for i in 0..40 {
        if hostile.seen().accepted >= 2 {
            break;
        }
        let poke = client
            .clone()
            .oneshot(Message::new(format!("poke{i}"), "x"));
        let poke = tokio::time::timeout(READ_TIMEOUT / 4, poke).await;
        assert!(!matches!(poke, Ok(Ok(_))), "the peer answers no call");
    }
    assert!(hostile.seen().accepted >= 2, "still the first connection");
    let why = replaced(&client, &hostile).await;
    assert!(matches!(why, CloseReason::PeerSilent(_)), "{why:?}");
    let waited = bounded("the waiting call", waiting).await.unwrap();
    let silent = matches!(&waited, Err(Error::Closed(CloseReason::PeerSilent(_))));
    assert!(silent, "{waited:?}");
}

/// `max_consecutive_timeouts` alone: three calls in a row time out, what
/// the peer sends between them does not end the streak, and the
/// connection is replaced for `TooManyTimeouts`.
async fn a_streak_of_timeouts_goes_on(engine: Engine, mode: Mode) {
    let hostile = Peer::start(mode).await;
    let builder = builder(engine).read_timeout(None);
    let client = connect(builder.max_consecutive_timeouts(Some(3)), &[hostile.addr]).await;
    for i in 0..3 {
        calls(&client, &format!("t{i}-"), 1).await[0].timed_out();
    }
    let why = replaced_within(&client, &hostile, Duration::from_secs(1)).await;
    assert!(matches!(why, CloseReason::TooManyTimeouts(3)), "{why:?}");
}

per_engine! {
    /// Answers to `Uid`s nobody sent reach no call; each times out at its deadline.
    fn answers_to_unknown_uids_reach_no_call(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = reach_no_call(engine, Mode::UnknownUids).await;
            assert_eq!(hostile.seen().read.len(), 3, "each was answered with a ghost");
        })
    }
}

per_engine! {
    /// A peer that answers only `Uid`s nobody sent is found silent, and ends no streak of timeouts: its connection is replaced.
    fn a_peer_answering_only_unknown_uids_gets_its_connection_replaced(engine: Engine) {
        with_paused_clock(move || async move { gets_replaced(engine, Mode::UnknownUids).await })
    }
}

per_engine! {
    /// `"Uid":null` answers reach no call (an empty `Uid`); each times out at its deadline.
    fn answers_with_a_null_uid_reach_no_call(engine: Engine) {
        with_paused_clock(move || async move {
            reach_no_call(engine, Mode::WrongType(Wrong::UidNull)).await;
        })
    }
}

per_engine! {
    /// A peer that answers only with `"Uid":null` is found silent, and ends no streak of timeouts: its connection is replaced.
    fn a_peer_answering_only_null_uids_gets_its_connection_replaced(engine: Engine) {
        with_paused_clock(move || async move {
            gets_replaced(engine, Mode::WrongType(Wrong::UidNull)).await
        })
    }
}

per_engine! {
    /// A flood of unsolicited answers reaches no call and is not kept; calls end at their deadline.
    fn an_unsolicited_flood_reaches_no_call_and_is_not_kept(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = reach_no_call(engine, Mode::Flood).await;
            // Dozens of batches went by while the calls waited.
            let seen = hostile.seen();
            assert!(seen.written >= 16 * 1024, "{seen:?}");
        })
    }
}

per_engine! {
    /// A peer that floods unsolicited answers and answers no call is found silent, and ends no streak of timeouts: its connection is replaced.
    fn a_flooding_peer_gets_its_connection_replaced(engine: Engine) {
        with_paused_clock(move || async move { gets_replaced(engine, Mode::Flood).await })
    }
}

per_engine! {
    /// Each answer sent twice reaches its call once; the copy is dropped, never handed to a reuse.
    fn an_answer_sent_twice_reaches_its_call_once(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::DuplicateAnswers).await;
            let client = connect(builder(engine), &[hostile.addr]).await;
            let mut outcomes = calls(&client, "d", 8).await;
            outcomes.iter().for_each(Outcome::answered);
            // The Uids again, with another value: each gets its new answer.
            let again = |i| client.clone().oneshot(Message::new(format!("d{i}"), "again"));
            for i in 0..8 {
                let resp = bounded("a reused Uid", again(i)).await.unwrap();
                assert_eq!(resp.val, "server: hello, again", "d{i}");
            }
            outcomes.extend(calls(&client, "e", 8).await);
            outcomes.iter().for_each(Outcome::answered);
            let stats = client.stats();
            assert_eq!((stats.in_flight, stats.reconnects), (0, 0), "{stats:?}");
            assert_eq!(stats.calls.calls, 24, "{stats:?}");
            assert_eq!(stats.calls.errors() + stats.calls.abandoned, 0, "{stats:?}");
            assert_eq!(hostile.seen().accepted, 1);
        })
    }
}
