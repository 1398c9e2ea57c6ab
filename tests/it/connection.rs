//! One bare `Connection` against a real peer on loopback: `Uid`s in
//! flight, abandoned calls, every way the peer can end the connection,
//! and connections under tower's balancer.

use std::error::Error as _;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use jsonmux::{
    ClientBuilder, CloseReason, Code, CodecError, Connection, Engine, Error, Message, ServerBuilder,
};
use tower::balance::p2c::Balance;
use tower::discover::ServiceList;
use tower::{Service, ServiceExt};

use crate::support::calls::send;
use crate::support::engines::per_engine;
use crate::support::peers::{HangUp, Mode, Peer, Then, LAST_WORD};
use crate::support::server::TestServer;
use crate::support::time::{bounded, eventually};

/// A bare connection to `addr` on `engine`.
async fn connect(engine: Engine, addr: SocketAddr) -> Connection {
    let builder = ClientBuilder::new().engine(engine);
    bounded("a connection", builder.dial(addr)).await.unwrap()
}

per_engine! {
    /// A second call with a `Uid` in flight gets `DuplicateUid`; the first gets its answer.
    async fn a_second_call_with_a_uid_in_flight_is_refused_and_the_first_keeps_its_answer(
        engine: Engine,
    ) {
        let server = TestServer::start().await;
        let conn = connect(engine, server.addr).await;
        let first = send(&conn, "dup", "wait:first").await;
        server.gates.arrived("first", 1).await;
        let second = send(&conn, "dup", "other").await;
        let err = bounded("the duplicate", second).await.unwrap_err();
        assert!(
            matches!(&err, Error::DuplicateUid(u) if u == "dup"),
            "{err:?}"
        );
        server.gates.open("first");
        let resp = bounded("the first", first).await.unwrap();
        assert_eq!(resp.val, "server: hello, wait:first");
        server.stop().await;
    }
}

per_engine! {
    /// A dropped call's `Uid` stays taken until its late answer lands and is thrown away.
    async fn an_abandoned_uid_never_receives_a_stale_answer_and_is_freed_when_it_lands(engine: Engine) {
        let server = TestServer::start().await;
        let conn = connect(engine, server.addr).await;
        let slow = send(&conn, "x", "wait:late").await;
        server.gates.arrived("late", 1).await;
        drop(slow);
        assert_eq!(conn.in_flight(), 1, "a tombstone waits for the late answer");

        let reuse = send(&conn, "x", "fresh").await;
        assert!(matches!(reuse.await, Err(Error::DuplicateUid(_))));
        // Another call's answer goes by; the held one cannot have: still taken.
        let probe = send(&conn, "p", "x").await;
        bounded("the probe", probe).await.unwrap();
        assert_eq!(conn.in_flight(), 1, "taken until its own answer lands");

        server.gates.open("late");
        eventually("the late answer lands", || conn.in_flight() == 0).await;
        assert!(!conn.is_closed(), "freed by the answer, not by a close");
        let resp = send(&conn, "x", "fresh").await.await.unwrap();
        assert_eq!(resp.val, "server: hello, fresh", "never the stale answer");
        server.stop().await;
    }
}

per_engine! {
    /// Dropping a call whose answer already arrived leaves no tombstone: its `Uid` is free.
    async fn a_dropped_call_whose_answer_already_arrived_leaves_nothing_behind(engine: Engine) {
        let server = TestServer::start().await;
        let conn = connect(engine, server.addr).await;
        let call = send(&conn, "y", "x").await;
        // The probe is answered after y (the server holds it until y's answer
        // is out), so once the probe's answer is here, y's is too.
        let probe = send(&conn, "probe", "wait:probe").await;
        server.gates.arrived("probe", 1).await;
        server.gates.open("probe");
        bounded("probe", probe).await.unwrap();
        assert_eq!(conn.in_flight(), 0, "y's answer is in, waiting to be read");
        drop(call);
        assert_eq!(conn.in_flight(), 0, "dropping it left no tombstone");
        let resp = send(&conn, "y", "again").await.await.unwrap();
        assert_eq!(resp.val, "server: hello, again");
        server.stop().await;
    }
}

async fn every_call_fails_promptly_when_the_server_dies(engine: Engine, how: HangUp) -> Vec<Error> {
    let n = 20;
    let peer = Peer::start(Mode::Dies(n, how)).await;
    let client = ClientBuilder::new()
        .engine(engine)
        .pool_size(1)
        .request_timeout(None)
        .fail_fast(true)
        .connect(peer.addr)
        .await
        .unwrap();
    let calls: Vec<_> = (0..n)
        .map(|i| tokio::spawn(client.clone().oneshot(Message::new(format!("c{i}"), "x"))))
        .collect();
    peer.until("the server read every request and hung up", |s| {
        s.read.len() == n && s.hung_up >= 1
    })
    .await;
    let mut errors = Vec::new();
    for call in calls {
        let out = bounded("a call on a dead connection", call).await.unwrap();
        errors.push(out.unwrap_err());
    }
    // Nothing to reconnect to: a later call fails fast instead of hanging.
    let later = bounded("a later call", client.oneshot(Message::new("z", "x"))).await;
    assert!(matches!(later, Err(Error::Unavailable(_))), "{later:?}");
    errors
}

per_engine! {
    /// A server's FIN fails every call in flight with `Closed`, caused by `PeerClosed`.
    async fn every_call_in_flight_fails_with_closed_by_peer_when_the_server_closes(engine: Engine) {
        for err in every_call_fails_promptly_when_the_server_dies(engine, HangUp::Close).await {
            assert!(err.is_closed(), "{err:?}");
            let cause = err.source().unwrap().downcast_ref::<CloseReason>().unwrap();
            assert!(matches!(cause, CloseReason::PeerClosed), "{cause:?}");
        }
    }
}

per_engine! {
    /// A server's RST fails every call in flight with `Closed`, caused by `Io(ConnectionReset)`.
    async fn every_call_in_flight_fails_with_the_io_cause_when_the_server_resets(engine: Engine) {
        for err in every_call_fails_promptly_when_the_server_dies(engine, HangUp::Reset).await {
            assert!(err.is_closed(), "{err:?}");
            let cause = err.source().unwrap().downcast_ref::<CloseReason>().unwrap();
            assert!(
                matches!(cause, CloseReason::Io(e) if e.kind() == io::ErrorKind::ConnectionReset),
                "{cause:?}"
            );
        }
    }
}

per_engine! {
    /// A connection with nothing in flight notices its peer closing.
    async fn an_idle_connection_notices_the_peer_closing_without_a_request(engine: Engine) {
        let peer = Peer::start(Mode::AcceptThenClose).await;
        let conn = connect(engine, peer.addr).await;
        peer.until("the server hung up", |s| s.hung_up >= 1).await;
        eventually("the close is noticed", || conn.is_closed()).await;
    }
}

per_engine! {
    /// An answer over the client's frame limit closes the connection with `FrameTooLarge`.
    async fn an_answer_over_the_clients_frame_limit_closes_with_that_cause(engine: Engine) {
        let server = TestServer::start().await;
        let client = ClientBuilder::new()
            .engine(engine)
            .max_frame_len(64)
            .connect(server.addr)
            .await
            .unwrap();
        let err = client
            .oneshot(Message::new("big", "v".repeat(100)))
            .await
            .unwrap_err();
        let cause = err.source().and_then(|s| s.downcast_ref::<CloseReason>());
        assert!(
            matches!(cause, Some(CloseReason::Protocol(CodecError::FrameTooLarge(64)))),
            "{err:?}"
        );
        server.stop().await;
    }
}

per_engine! {
    /// A call in flight when the last connection handle is dropped still gets its answer.
    async fn a_call_in_flight_still_gets_its_answer_after_the_connection_handle_is_dropped(
        engine: Engine,
    ) {
        let server = TestServer::start().await;
        let conn = connect(engine, server.addr).await;
        let call = send(&conn, "last", "wait:last").await;
        server.gates.arrived("last", 1).await;
        drop(conn);
        server.gates.open("last");
        let resp = bounded("the answer after the handle is gone", call)
            .await
            .unwrap();
        assert_eq!(resp.val, "server: hello, wait:last");
        server.stop().await;
    }
}

per_engine! {
    /// An answer for a `Uid` nobody sent is dropped: the connection lives and the real answers arrive.
    async fn an_answer_for_a_uid_nobody_sent_is_dropped_and_the_connection_lives(engine: Engine) {
        let peer = Peer::start(Mode::GhostThenAnswer).await;
        let conn = connect(engine, peer.addr).await;
        for uid in ["a", "b"] {
            let call = send(&conn, uid, "x").await;
            let resp = bounded("the real answer", call).await.unwrap();
            assert_eq!((resp.uid.as_str(), resp.val.as_str()), (uid, "server: hello, x"));
        }
        assert!(!conn.is_closed());
        assert_eq!(conn.in_flight(), 0);
    }
}

per_engine! {
    /// The server's last word (an error answer without a `Uid`) is the cause every call in flight gets.
    async fn the_servers_last_word_is_the_cause_every_call_in_flight_gets(engine: Engine) {
        let peer = Peer::start(Mode::LastWord(Then::Close)).await;
        let conn = connect(engine, peer.addr).await;
        let first = send(&conn, "first", "x").await;
        let second = send(&conn, "second", "x").await;
        for call in [first, second] {
            let err = bounded("a call on a closed connection", call)
                .await
                .unwrap_err();
            let cause = err.source().and_then(|c| c.downcast_ref::<CloseReason>());
            let last_word = matches!(cause, Some(CloseReason::Server { code: Code::BadRequest, message }) if message == LAST_WORD);
            assert!(err.is_closed() && last_word, "{err:?}");
        }
    }
}

per_engine! {
    /// Answers, error answers and calls cut off by a dying server: each call ends in its one outcome.
    async fn each_call_ends_in_its_one_outcome_when_answers_errors_and_a_dying_server_mix(
        engine: Engine,
    ) {
        let server = TestServer::start_with(ServerBuilder::new().drain_timeout(Duration::ZERO)).await;
        let conn = connect(engine, server.addr).await;
        let vals = ["x", "fail:no pigs", "wait:held"];
        let mut calls = Vec::new();
        for i in 0..30 {
            let call = send(&conn, &format!("c{i}"), vals[i % 3]).await;
            calls.push(tokio::spawn(call));
        }
        server.gates.arrived("held", 10).await;
        server.stop().await;
        for (i, call) in calls.into_iter().enumerate() {
            let outcome = bounded("every call ends", call).await.unwrap();
            let cause = |e: &Error| e.source().and_then(|c| c.downcast_ref::<CloseReason>()).cloned();
            match (i % 3, outcome) {
                (0, Ok(resp)) => assert_eq!(resp.uid, format!("c{i}")),
                (1, Err(Error::Server { code, .. })) => assert_eq!(code, Code::Handler),
                (2, Err(e)) if matches!(cause(&e), Some(CloseReason::PeerClosed)) => {}
                (_, outcome) => panic!("call {i}: {outcome:?}"),
            }
        }
    }
}

per_engine! {
    /// tower's p2c over two connections sends a call to the idle one, and drops one that ended.
    async fn p2c_picks_the_connection_with_fewer_calls_in_flight_and_drops_an_ended_one(engine: Engine) {
        let (a, b) = (TestServer::start().await, TestServer::start().await);
        let to_b = connect(engine, b.addr).await;
        let conns = vec![connect(engine, a.addr).await, to_b.clone()];
        let mut balanced = Balance::new(ServiceList::new(conns));

        // With two services p2c compares both: the second call avoids the busy one.
        let first = balanced
            .ready()
            .await
            .unwrap()
            .call(Message::new("1", "wait:held"));
        let second = balanced
            .ready()
            .await
            .unwrap()
            .call(Message::new("2", "wait:held"));
        a.gates.arrived("held", 1).await;
        b.gates.arrived("held", 1).await;
        a.gates.open("held");
        b.gates.open("held");
        bounded("first", first).await.unwrap();
        bounded("second", second).await.unwrap();

        b.stop().await;
        eventually("b's connection ends", || to_b.is_closed()).await;
        for i in 0..8 {
            let call = balanced
                .ready()
                .await
                .unwrap()
                .call(Message::new(format!("n{i}"), "x"));
            bounded("a call after b ended", call).await.unwrap();
        }
        assert_eq!(balanced.len(), 1, "b's connection is out");
        a.stop().await;
    }
}

per_engine! {
    /// Many callers on a multi-threaded runtime, every other one giving up
    /// as soon as it has called (its request queued, or on the wire):
    /// every call that waits gets its own answer, and every `Uid` is free
    /// once the late answers are in.
    fn many_callers_on_threads_each_get_their_own_answer(engine: Engine) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = TestServer::start().await;
            let conn = connect(engine, server.addr).await;
            let mut callers = tokio::task::JoinSet::new();
            for t in 0..32 {
                let conn = conn.clone();
                callers.spawn(async move {
                    for i in 0..100 {
                        let uid = format!("{t}-{i}");
                        let call = send(&conn, &uid, &uid).await;
                        if i % 2 == 0 {
                            drop(call);
                            continue;
                        }
                        let resp = call.await.unwrap();
                        assert_eq!((resp.uid, resp.val), (uid.clone(), format!("server: hello, {uid}")));
                    }
                });
            }
            while let Some(done) = bounded("the callers", callers.join_next()).await {
                done.unwrap();
            }
            eventually("every Uid free", || conn.in_flight() == 0).await;
        });
    }
}
