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

/// Calls to a peer in `mode`, one after the other as a steady client
/// would, until its first connection is replaced: within a few calls,
/// for one of the dead-peer rules.
async fn gets_replaced(engine: Engine, mode: Mode) {
    let hostile = Peer::start(mode).await;
    let builder = builder(engine).max_consecutive_timeouts(Some(3));
    let client = connect(builder, &[hostile.addr]).await;
    for i in 0..20 {
        if hostile.seen().accepted >= 2 {
            break;
        }
        calls(&client, &format!("c{i}-"), 1).await[0].timed_out_or_silent();
    }
    assert!(
        hostile.seen().accepted >= 2,
        "still the first connection after 20 calls"
    );
    let why = replaced(&client, &hostile).await;
    let dead = matches!(
        why,
        CloseReason::PeerSilent(_) | CloseReason::TooManyTimeouts(_)
    );
    assert!(dead, "{why:?}");
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
    /// A peer that answers only `Uid`s nobody sent gets its connection replaced.
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
    /// A peer that answers only with `"Uid":null` gets its connection replaced.
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
    /// A peer that floods unsolicited answers and answers no call gets its connection replaced.
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
