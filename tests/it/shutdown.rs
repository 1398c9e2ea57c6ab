//! Shutdown and closing, on both sides: the server's drain with its
//! going-away notice (on each server engine), clients that heed it (on
//! each client engine) or ignore it, a pool that moves to the other
//! server, and `Client::close` (on each client engine).

use std::error::Error as _;
use std::time::Duration;

use crate::support::calls::{all_answered, spawn_calls};
use crate::support::engines::{client_on, per_engine};
use crate::support::raw::Raw;
use crate::support::server::{scripted, TestServer};
use crate::support::time::{bounded, eventually, with_paused_clock};
use jsonmux::{Client, ClientBuilder, CloseReason, Code, Error, Message, ServerBuilder};
use tokio::time::Instant;
use tower::ServiceExt;

/// How long a draining server waits on a quiet connection (nothing in
/// flight, nothing sent) before it closes it.
const QUIET: Duration = Duration::from_secs(1);

/// A raw connection whose request `held` waits at `server`'s gate when
/// the drain starts; returned once it has read the going-away notice.
async fn held_through_the_notice(server: &mut TestServer) -> Raw {
    let mut raw = Raw::connect(server.addr).await;
    raw.send(br#"{"Uid":"held","Val":"wait:held"}"#).await;
    server.gates.arrived("held", 1).await;
    server.signal_stop();
    raw.expect_connection_error(Code::GoingAway).await;
    raw
}

per_engine! {
    /// A request in flight at shutdown is answered after the notice; the listener is closed at once.
    fn shutdown_answers_requests_in_flight_then_closes(engine: Engine) {
        with_paused_clock(move || async move {
            let mut server = TestServer::start_on(engine).await;
            let mut raw = Raw::connect(server.addr).await;
            raw.send(br#"{"Uid":"slow","Val":"wait:slow"}{"Uid":"quick","Val":"x"}"#)
                .await;
            assert_eq!(raw.resp().await.uid, "quick");
            server.gates.arrived("slow", 1).await;
            server.signal_stop();
            raw.expect_connection_error(Code::GoingAway).await;
            let refused = tokio::net::TcpStream::connect(server.addr).await;
            assert!(refused.is_err(), "the listener is closed once draining");
            server.gates.open("slow");
            assert_eq!(raw.resp().await.uid, "slow");
            raw.expect_eof().await;
            server.stop().await;
        });
    }
}

per_engine! {
    /// At the in-flight limit the notice still goes out at once; the request held back is read once there is room.
    fn a_connection_at_its_in_flight_limit_gets_the_notice_at_once(engine: Engine) {
        with_paused_clock(move || async move {
            let builder = ServerBuilder::new().engine(engine).max_in_flight(1);
            let mut server = TestServer::start_with(builder).await;
            let mut raw = Raw::connect(server.addr).await;
            raw.send(br#"{"Uid":"held","Val":"wait:held"}{"Uid":"behind","Val":"x"}"#)
                .await;
            server.gates.arrived("held", 1).await;
            server.signal_stop();
            raw.expect_connection_error(Code::GoingAway).await;
            server.gates.open("held");
            assert_eq!(raw.resp().await.uid, "held");
            assert_eq!(raw.resp().await.uid, "behind", "read during the grace");
            raw.expect_eof().await;
            server.stop().await;
        });
    }
}

per_engine! {
    /// A drain past its deadline cuts the connections with requests still in flight, exactly then.
    fn a_drain_past_its_deadline_cuts_the_connections_left(engine: Engine) {
        with_paused_clock(move || async move {
            let drain = Duration::from_millis(50);
            let builder = ServerBuilder::new().engine(engine).drain_timeout(drain);
            let server = TestServer::start_with(builder).await;
            let mut raw = Raw::connect(server.addr).await;
            raw.send(br#"{"Uid":"stuck","Val":"wait:stuck"}{"Uid":"quick","Val":"x"}"#)
                .await;
            assert_eq!(raw.resp().await.uid, "quick");
            server.gates.arrived("stuck", 1).await;
            let started = Instant::now();
            server.stop().await;
            assert_eq!(started.elapsed(), drain, "cut at the drain deadline");
            raw.expect_connection_error(Code::GoingAway).await;
            raw.expect_eof().await;
        });
    }
}

per_engine! {
    /// A Go-style client that ignores the notice is still answered during the grace, then closed once quiet.
    fn a_client_that_ignores_the_notice_is_answered_until_it_goes_quiet(engine: Engine) {
        with_paused_clock(move || async move {
            let mut server = TestServer::start_on(engine).await;
            let mut raw = held_through_the_notice(&mut server).await;
            // It keeps sending, as the Go client does.
            for i in 0..3 {
                tokio::time::sleep(QUIET / 2).await;
                raw.send(format!(r#"{{"Uid":"after{i}","Val":"x"}}"#).as_bytes())
                    .await;
                assert_eq!(raw.resp().await.uid, format!("after{i}"));
            }
            server.gates.open("held");
            assert_eq!(raw.resp().await.uid, "held");
            let answered = Instant::now();
            raw.expect_eof().await;
            assert_eq!(answered.elapsed(), QUIET, "closed once quiet");
            server.stop().await;
        });
    }
}

per_engine! {
    /// At the end of the grace the server reads no more: what it has read is answered, then it closes.
    fn reading_ends_with_the_grace_and_what_was_read_is_answered(engine: Engine) {
        with_paused_clock(move || async move {
            let grace = Duration::from_secs(3);
            let builder = ServerBuilder::new().engine(engine).drain_grace(grace);
            let mut server = TestServer::start_with(builder).await;
            let mut raw = held_through_the_notice(&mut server).await;
            let notice = Instant::now();
            // Busy through the grace: never quiet.
            let mut i = 0;
            while notice.elapsed() + QUIET / 2 < grace {
                tokio::time::sleep(QUIET / 2).await;
                raw.send(format!(r#"{{"Uid":"r{i}","Val":"x"}}"#).as_bytes())
                    .await;
                assert_eq!(raw.resp().await.uid, format!("r{i}"));
                i += 1;
            }
            tokio::time::sleep_until(notice + grace + QUIET / 2).await;
            raw.send(br#"{"Uid":"late","Val":"x"}"#).await;
            server.gates.open("held");
            assert_eq!(
                raw.resp().await.uid,
                "held",
                "read before the end: answered"
            );
            raw.expect_eof().await;
            assert_eq!(
                server.stats.snapshot().requests,
                1 + i,
                "`late` was not read"
            );
            server.stop().await;
        });
    }
}

per_engine! {
    /// The listener closes at once: a new server takes the port while the old one still drains.
    async fn a_new_server_takes_the_port_while_the_old_one_drains(engine: Engine) {
        let mut old = TestServer::start_on(engine).await;
        let mut raw = held_through_the_notice(&mut old).await;

        let builder = ServerBuilder::new().engine(engine);
        let new = TestServer::start_at(old.addr, builder, scripted).await;
        let client = Client::connect(new.addr).await.unwrap();
        let resp = client
            .clone()
            .oneshot(Message::new("new", "x"))
            .await
            .unwrap();
        assert_eq!(resp.uid, "new");
        old.gates.open("held");
        assert_eq!(raw.resp().await.uid, "held", "the old one still answers");
        drop(raw);
        old.stop().await;
        client.close().await;
        new.stop().await;
    }
}

per_engine! {
    /// On the notice a bare connection answers its calls in flight, refuses new ones (`going_away`), then closes.
    async fn a_bare_connection_drains_on_the_notice(engine: Engine) {
        let mut server = TestServer::start().await;
        let conn = ClientBuilder::new()
            .engine(engine)
            .dial(server.addr)
            .await
            .unwrap();
        let held = tokio::spawn(conn.clone().oneshot(Message::new("held", "wait:held")));
        server.gates.arrived("held", 1).await;
        server.signal_stop();
        // Calls that go out before the notice arrives are answered too.
        let refused = bounded("a call refused after the notice", async {
            for i in 0.. {
                let probe = Message::new(format!("probe{i}"), "x");
                if let Err(e) = conn.clone().oneshot(probe).await {
                    return e;
                }
            }
            unreachable!()
        })
        .await;
        assert!(refused.is_closed(), "{refused:?}");
        let cause = refused.source().and_then(|c| c.downcast_ref::<CloseReason>());
        let going_away = matches!(
            cause,
            Some(CloseReason::Server {
                code: Code::GoingAway,
                ..
            })
        );
        assert!(going_away, "{refused:?}");
        assert!(!conn.is_closed(), "open while a call is in flight");
        server.gates.open("held");
        assert_eq!(
            bounded("the held call", held).await.unwrap().unwrap().uid,
            "held"
        );
        eventually("the connection closes", || conn.is_closed()).await;
        server.stop().await;
    }
}

per_engine! {
    /// A pool over two servers loses no call when one drains: its calls in flight are answered, the other takes the new ones.
    fn a_pool_loses_no_call_when_one_of_its_servers_drains(engine: Engine) {
        with_paused_clock(move || async move {
            let mut a = TestServer::start().await;
            let b = TestServer::start().await;
            let client = ClientBuilder::new()
                .engine(engine)
                .pool_size(2)
                .connect_all([a.addr, b.addr])
                .await
                .unwrap();
            let up = |i: usize| client.endpoints().status()[i].connections;
            eventually("every connection up", || up(0) + up(1) == 4).await;
            let held = spawn_calls(&client, "held", 40, "wait:hold");
            eventually("the held calls at the servers", || {
                a.gates.count("hold") + b.gates.count("hold") == 40
            })
            .await;
            let at_a = a.gates.count("hold");
            assert!(at_a > 0 && at_a < 40, "spread over both: {at_a} at a");

            a.signal_stop();
            eventually("a's connections out of rotation", || up(0) == 0).await;
            let before = b.stats.snapshot().requests;
            all_answered(spawn_calls(&client, "during", 100, "x")).await;
            assert_eq!(b.stats.snapshot().requests - before, 100, "b took them all");
            assert_eq!(a.stats.snapshot().requests, at_a as u64, "a took none");

            a.gates.open("hold");
            b.gates.open("hold");
            all_answered(held).await;
            let addr = a.addr;
            a.stop().await;

            // Restarted on the same port, it takes calls again.
            let a = TestServer::start_at(addr, ServerBuilder::new(), scripted).await;
            eventually("a's connections back", || up(0) == 2).await;
            let again = spawn_calls(&client, "again", 40, "wait:again");
            eventually("calls at both again", || {
                a.gates.count("again") + b.gates.count("again") == 40
            })
            .await;
            assert!(a.gates.count("again") > 0, "a is in rotation again");
            a.gates.open("again");
            b.gates.open("again");
            all_answered(again).await;
            client.close().await;
            a.stop().await;
            b.stop().await;
        });
    }
}

per_engine! {
    /// `Client::close` fails new calls at once, lets the calls in flight be answered, then closes the connections.
    fn closing_a_client_answers_the_calls_in_flight_and_refuses_new_ones(engine: Engine) {
        with_paused_clock(move || async move {
            let s = TestServer::start().await;
            let client = client_on(engine, s.addr).await;
            let held = spawn_calls(&client, "held", 5, "wait:held");
            s.gates.arrived("held", 5).await;
            let closing = tokio::spawn(client.close());
            let late = client.clone().oneshot(Message::new("late", "x")).await;
            assert!(matches!(late, Err(Error::ClientClosed)), "{late:?}");
            tokio::task::yield_now().await;
            assert!(!closing.is_finished(), "calls are in flight");
            s.gates.open("held");
            all_answered(held).await;
            bounded("the close", closing).await.unwrap();
            s.all_closed().await;
            s.stop().await;
        });
    }
}

per_engine! {
    /// `Client::close` waits for a call that is never answered only until its request timeout.
    fn closing_a_client_waits_no_longer_than_the_request_timeout(engine: Engine) {
        with_paused_clock(move || async move {
            let deadline = Duration::from_secs(2);
            let s = TestServer::start_with(ServerBuilder::new().handler_timeout(None)).await;
            let client = ClientBuilder::new()
                .engine(engine)
                .request_timeout(Some(deadline))
                .connect(s.addr)
                .await
                .unwrap();
            let started = Instant::now();
            let hung = tokio::spawn(client.clone().oneshot(Message::new("hung", "hang")));
            tokio::task::yield_now().await;
            client.close().await;
            assert_eq!(started.elapsed(), deadline, "closed when the call gave up");
            let err = bounded("the hung call", hung).await.unwrap().unwrap_err();
            assert!(err.is_timeout(), "{err:?}");
            s.stop().await;
        });
    }
}
