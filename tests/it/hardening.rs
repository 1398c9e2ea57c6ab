//! A connection against peers that keep it open but break its rules:
//! answers that are not its calls' are not progress, reservations of
//! calls given up on are bounded, and requests a peer does not read
//! neither pile up nor outlive their calls.

use std::time::Duration;

use crate::support::calls::{call, quick};
use crate::support::engines::per_engine;
use crate::support::peers::{Mode, Peer, Wrong};
use crate::support::time::{bounded, eventually, with_paused_clock};
use jsonmux::{ClientBuilder, CloseReason, Connection, Engine, Error, Message};
use tokio::time::timeout;
use tower::ServiceExt;

/// Why the connection ended, for an [`Error::Closed`].
fn cause(e: &Error) -> Option<&CloseReason> {
    match e {
        Error::Closed(reason) => Some(reason),
        _ => None,
    }
}

/// Waits (in the test's time) for the peer to see the connection replaced.
async fn replaced_within(peer: &Peer, limit: Duration) {
    let again = timeout(
        limit,
        peer.until("a second connection", |s| s.accepted >= 2),
    )
    .await;
    assert!(
        again.is_ok(),
        "the connection was not replaced within {limit:?}"
    );
}

/// Waits for the peer's first connection.
async fn first_connection(peer: &Peer) {
    peer.until("the first connection", |s| s.accepted >= 1)
        .await;
}

/// A call waits on a peer that sends only answers to `Uid`s never sent
/// (`mode`), while other calls keep it talking: the silence is still seen,
/// and the connection replaced.
async fn silence_is_seen_through(engine: Engine, mode: Mode) {
    let peer = Peer::start(mode).await;
    let client = quick(engine)
        .pool_size(1)
        .request_timeout(None)
        .read_timeout(Some(Duration::from_millis(100)))
        .max_consecutive_timeouts(None)
        .connect(peer.addr)
        .await
        .unwrap();
    first_connection(&peer).await;
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "waits", "x").await }
    });
    // 40 × 25 ms: ten times the read timeout.
    let mut replaced = false;
    for i in 0..40 {
        if peer.seen().accepted >= 2 {
            replaced = true;
            break;
        }
        let poke = timeout(
            Duration::from_millis(25),
            call(&client, &format!("poke{i}"), "x"),
        )
        .await;
        assert!(!matches!(poke, Ok(Ok(_))), "the peer answers no call");
    }
    assert!(replaced, "the connection was not replaced");
    let err = bounded("the waiting call", waiting)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(cause(&err), Some(CloseReason::PeerSilent(_))),
        "{err:?}"
    );
}

per_engine! {
    /// Unsolicited answers (to `Uid`s never sent) are not progress: a flood of them does not hide the silence.
    fn a_flood_of_unsolicited_answers_does_not_keep_a_silent_connection_alive(engine: Engine) {
        with_paused_clock(move || silence_is_seen_through(engine, Mode::Flood));
    }
}

per_engine! {
    /// Answers with `"Uid": null` or an unknown `Uid` are not progress: the silence is still seen.
    fn answers_with_a_null_or_unknown_uid_do_not_keep_a_silent_connection_alive(engine: Engine) {
        with_paused_clock(move || async move {
            silence_is_seen_through(engine, Mode::WrongType(Wrong::UidNull)).await;
            silence_is_seen_through(engine, Mode::UnknownUids).await;
        });
    }
}

per_engine! {
    /// Answers to `Uid`s never sent do not end a streak of timeouts: `TooManyTimeouts` still fires.
    fn answers_not_to_our_calls_do_not_end_a_streak_of_timeouts(engine: Engine) {
        with_paused_clock(move || async move {
            for mode in [Mode::WrongType(Wrong::UidNull), Mode::UnknownUids] {
                let peer = Peer::start(mode).await;
                let client = quick(engine)
                .pool_size(1)
                    .request_timeout(Some(Duration::from_millis(20)))
                    .read_timeout(None)
                    .max_consecutive_timeouts(Some(3))
                    .connect(peer.addr)
                    .await
                    .unwrap();
                first_connection(&peer).await;
                for i in 0..3 {
                    let err = call(&client, &format!("t{i}"), "x").await.unwrap_err();
                    assert!(err.is_timeout(), "{err:?}");
                }
                replaced_within(&peer, Duration::from_secs(1)).await;
                let cause = client.endpoints().status()[0].last_error.clone();
                assert!(
                    matches!(cause, Some(Error::Closed(CloseReason::TooManyTimeouts(3)))),
                    "{cause:?}"
                );
            }
        });
    }
}

fn not_lost(msg: &Message) -> bool {
    !msg.uid.starts_with("lost")
}

per_engine! {
    /// Calls given up on keep their `Uid`s reserved up to `max_abandoned`; then the connection retires (`AnswersOverdue`).
    fn reservations_of_calls_given_up_on_are_bounded_by_max_abandoned(engine: Engine) {
        with_paused_clock(move || async move {
            let peer = Peer::start(Mode::Silent).await;
            let conn = ClientBuilder::new()
                .engine(engine)
                .max_abandoned(Some(4))
                .dial(peer.addr)
                .await
                .unwrap();
            for i in 0..4 {
                let given_up = timeout(
                    Duration::from_millis(10),
                    conn.clone().oneshot(Message::new(format!("lost{i}"), "x")),
                )
                .await;
                assert!(given_up.is_err(), "the peer answers nothing");
            }
            assert!(conn.in_flight() <= 4, "{}", conn.in_flight());
            let next = conn.clone().oneshot(Message::new("next", "x"));
            let err = timeout(Duration::from_secs(1), next)
                .await
                .expect("refused at once")
                .unwrap_err();
            assert!(
                matches!(cause(&err), Some(CloseReason::AnswersOverdue(4))),
                "{err:?}"
            );
            eventually("the reservations go with the connection", || {
                conn.in_flight() == 0
            })
            .await;
        });
    }
}

per_engine! {
    /// A server that drops some requests gets its connection replaced once their reservations pile up; the others are answered.
    fn a_pool_replaces_a_connection_whose_lost_answers_pile_up(engine: Engine) {
        with_paused_clock(move || async move {
            let peer = Peer::start(Mode::Drops(not_lost)).await;
            let client = quick(engine)
                .pool_size(1)
                .request_timeout(Some(Duration::from_millis(10)))
                .max_abandoned(Some(4))
                .connect(peer.addr)
                .await
                .unwrap();
            first_connection(&peer).await;
            for i in 0..4 {
                assert!(call(&client, &format!("lost{i}"), "x")
                    .await
                    .unwrap_err()
                    .is_timeout());
                assert!(client.endpoints().status()[0].in_flight <= 4);
                call(&client, &format!("kept{i}"), "x").await.unwrap();
            }
            replaced_within(&peer, Duration::from_secs(1)).await;
            call(&client, "after", "x").await.unwrap();
        });
    }
}

per_engine! {
    /// A late answer gets `abandoned_timeout` to come, the idle connection meanwhile healthy; then it retires and frees the `Uid`.
    fn a_reservation_lives_at_most_twice_the_abandoned_timeout_and_leaves_an_idle_connection_healthy(engine: Engine) {
        with_paused_clock(move || async move {
            let peer = Peer::start(Mode::Drops(not_lost)).await;
            let client = quick(engine)
                .pool_size(1)
                .request_timeout(Some(Duration::from_millis(10)))
                .read_timeout(Some(Duration::from_millis(100)))
                .abandoned_timeout(Some(Duration::from_secs(1)))
                .connect(peer.addr)
                .await
                .unwrap();
            first_connection(&peer).await;
            assert!(call(&client, "lost", "x").await.unwrap_err().is_timeout());
            let reserved = call(&client, "lost", "x").await.unwrap_err();
            assert!(matches!(reserved, Error::DuplicateUid(_)), "{reserved:?}");
            // Idle with the reservation left over: not a silent peer.
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(peer.seen().accepted, 1, "replaced while idle");
            call(&client, "kept", "x").await.unwrap();
            replaced_within(&peer, Duration::from_millis(1600)).await;
            // The `Uid` is free on the new connection: it goes out again.
            assert!(call(&client, "lost", "x").await.unwrap_err().is_timeout());
            let read = peer.seen().read;
            assert_eq!(read.iter().filter(|u| *u == "lost").count(), 2, "{read:?}");
        });
    }
}

per_engine! {
    /// A peer that stops reading gets its connection replaced after `write_timeout` (`PeerNotReading`).
    fn a_peer_that_stops_reading_gets_its_connection_replaced_after_the_write_timeout(engine: Engine) {
        with_paused_clock(move || async move {
            let peer = Peer::start(Mode::StopsReading).await;
            let client = quick(engine)
                .pool_size(1)
                .connector(peer.small_send_buffer())
                .request_timeout(None)
                .read_timeout(None)
                .max_consecutive_timeouts(None)
                .write_timeout(Some(Duration::from_secs(1)))
                .connect("unread.example:1")
                .await
                .unwrap();
            first_connection(&peer).await;
            let big = "x".repeat(64 * 1024);
            let calls: Vec<_> = (0..8)
                .map(|i| tokio::spawn(client.clone().oneshot(Message::new(format!("w{i}"), &big))))
                .collect();
            replaced_within(&peer, Duration::from_millis(1500)).await;
            for c in calls {
                let err = bounded("a call", c).await.unwrap().unwrap_err();
                let why = cause(&err);
                assert!(matches!(why, Some(CloseReason::PeerNotReading(_))), "{err:?}");
            }
        });
    }
}

per_engine! {
    /// Requests for a peer that does not read stay within `max_queued_bytes`, and those of calls given up on are never written.
    fn requests_queued_for_a_peer_that_does_not_read_are_bounded_and_dropped_with_their_calls(engine: Engine) {
        const VAL: usize = 32 * 1024;
        const MAX: usize = 128 * 1024;
        with_paused_clock(move || async move {
            let peer = Peer::start(Mode::StopsReading).await;
            let conn: Connection = ClientBuilder::new()
                .engine(engine)
                .connector(peer.small_send_buffer())
                .max_queued_bytes(MAX)
                .dial("unread.example:1")
                .await
                .unwrap();
            let val = "x".repeat(VAL);
            let calls: Vec<_> = (0..32)
                .map(|i| {
                    let call = conn.clone().oneshot(Message::new(format!("q{i}"), &val));
                    tokio::spawn(timeout(Duration::from_millis(100), call))
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
            peer.start_reading();
            let after = bounded("a call once the peer reads", async {
                conn.clone().oneshot(Message::new("after", "x")).await
            })
            .await;
            assert_eq!(after.unwrap().uid, "after");
            let read = peer.seen().read;
            assert_eq!(read.last().map(String::as_str), Some("after"));
            // What the sockets and the task's write buffer held when the
            // calls gave up went out; nothing queued behind it did.
            assert!(read.len() <= 6, "{} requests written: {read:?}", read.len());
            assert_eq!(conn.queued_bytes(), 0);
        });
    }
}
