//! Answers a peer owes and never sends: each call given up on keeps its
//! `Uid` reserved for the late answer, and those reservations are bounded
//! in number (`max_abandoned`) and in time (`abandoned_timeout`). Past
//! either bound the connection retires (`AnswersOverdue`), its
//! reservations with it, and the pool dials another.

use super::*;
use crate::support::calls::call;
use crate::support::peers::{Mode, Peer};
use crate::support::time::with_paused_clock;

/// The requests a [`Mode::Drops`] peer answers: all but the `lost` ones.
fn not_lost(msg: &Message) -> bool {
    !msg.uid.starts_with("lost")
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
    /// Calls given up on keep their `Uid`s reserved up to `max_abandoned`; then the connection retires (`AnswersOverdue`).
    fn reservations_of_calls_given_up_on_are_bounded_by_max_abandoned(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::Silent).await;
            let builder = rules_off(engine).max_abandoned(Some(4));
            let conn = bounded("a connection", builder.dial(hostile.addr)).await.unwrap();
            for i in 0..4 {
                let call = conn.clone().oneshot(Message::new(format!("lost{i}"), "x"));
                let given_up = tokio::time::timeout(Duration::from_millis(10), call).await;
                assert!(given_up.is_err(), "the peer answers nothing");
            }
            assert!(conn.in_flight() <= 4, "{}", conn.in_flight());
            let next = conn.clone().oneshot(Message::new("next", "x"));
            let refused = tokio::time::timeout(Duration::from_secs(1), next).await;
            let err = refused.expect("refused at once").unwrap_err();
            let overdue = matches!(&err, Error::Closed(CloseReason::AnswersOverdue(4)));
            assert!(overdue, "{err:?}");
            let gone = || conn.in_flight() == 0;
            eventually("the reservations go with the connection", gone).await;
        });
    }
}

per_engine! {
    /// A server that drops some requests gets its connection replaced once their reservations pile up; the others are answered.
    fn a_pool_replaces_a_connection_whose_lost_answers_pile_up(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::Drops(not_lost)).await;
            let builder = builder(engine).request_timeout(Some(Duration::from_millis(10)));
            let client = connect(builder.max_abandoned(Some(4)), &[hostile.addr]).await;
            for i in 0..4 {
                calls(&client, &format!("lost{i}-"), 1).await[0].timed_out();
                assert!(client.stats().in_flight <= 4, "{:?}", client.stats());
                calls(&client, &format!("kept{i}-"), 1).await[0].answered();
            }
            let why = replaced_within(&client, &hostile, Duration::from_secs(1)).await;
            assert!(matches!(why, CloseReason::AnswersOverdue(4)), "{why:?}");
            calls(&client, "after", 1).await[0].answered();
        });
    }
}

per_engine! {
    /// A late answer gets `abandoned_timeout` to come, the idle connection meanwhile healthy; then it retires and frees the `Uid`.
    fn a_reservation_lives_at_most_twice_the_abandoned_timeout_and_leaves_an_idle_connection_healthy(engine: Engine) {
        with_paused_clock(move || async move {
            let hostile = Peer::start(Mode::Drops(not_lost)).await;
            let builder = builder(engine).request_timeout(Some(Duration::from_millis(10)));
            let builder = builder.abandoned_timeout(Some(Duration::from_secs(1)));
            let client = connect(builder, &[hostile.addr]).await;
            assert!(call(&client, "lost", "x").await.unwrap_err().is_timeout());
            let reserved = call(&client, "lost", "x").await.unwrap_err();
            assert!(matches!(reserved, Error::DuplicateUid(_)), "{reserved:?}");
            // Idle with the reservation left over, for five read timeouts:
            // not a silent peer.
            tokio::time::sleep(READ_TIMEOUT * 5).await;
            assert_eq!(hostile.seen().accepted, 1, "replaced while idle");
            call(&client, "kept", "x").await.unwrap();
            let limit = Duration::from_millis(1600);
            let why = replaced_within(&client, &hostile, limit).await;
            assert!(matches!(why, CloseReason::AnswersOverdue(1)), "{why:?}");
            // The `Uid` is free on the new connection: it goes out again.
            assert!(call(&client, "lost", "x").await.unwrap_err().is_timeout());
            let read = hostile.seen().read;
            assert_eq!(read.iter().filter(|u| *u == "lost").count(), 2, "{read:?}");
        });
    }
}
