//! Hostile and unlucky clients against the server's limits: each gets a
//! clear error answer, and the server keeps serving everyone else. Every
//! test runs on each server engine.

use std::time::Duration;

use crate::support::engines::per_engine;
use crate::support::raw::{still_serves, Raw};
use crate::support::server::TestServer;
use crate::support::time::{bounded, eventually, with_paused_clock};
use jsonmux::{Client, ClientBuilder, Code, Error, Message, ServerBuilder};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use tower::ServiceExt;

per_engine! {
    /// A frame left unfinished gets `FrameTimeout` and a close exactly at the frame timeout.
    fn a_slow_sender_is_cut_off_after_the_frame_timeout(engine: Engine) {
        with_paused_clock(move || async move {
            let limit = Duration::from_millis(50);
            let builder = ServerBuilder::new().engine(engine).frame_timeout(Some(limit));
            let s = TestServer::start_with(builder).await;
            let mut raw = Raw::connect(s.addr).await;
            raw.send(br#"{"Uid":"slow","Va"#).await;
            let started = Instant::now();
            let msg = raw.expect_error_then_close(Code::FrameTimeout).await;
            assert_eq!(
                started.elapsed(),
                limit,
                "cut when the frame timeout ran out"
            );
            assert!(msg.contains("not completed"), "{msg}");
            assert_eq!(s.stats.snapshot().frame_timeouts, 1);
            still_serves(s.addr).await;
        });
    }
}

per_engine! {
    /// The idle timeout closes a quiet connection, not one whose request is held for twice as long.
    fn an_idle_connection_is_closed_but_one_with_work_in_flight_is_not(engine: Engine) {
        with_paused_clock(move || async move {
            let idle = Duration::from_millis(150);
            let builder = ServerBuilder::new().engine(engine).idle_timeout(Some(idle));
            let s = TestServer::start_with(builder).await;
            let started = Instant::now();
            let mut quiet = Raw::connect(s.addr).await;
            let mut busy = Raw::connect(s.addr).await;
            busy.send(br#"{"Uid":"long","Val":"wait:long"}"#).await;
            s.gates.arrived("long", 1).await;

            quiet.expect_error_then_close(Code::IdleTimeout).await;
            assert_eq!(
                started.elapsed(),
                idle,
                "the quiet one, at its idle timeout"
            );
            tokio::time::sleep_until(started + 2 * idle).await;
            s.gates.open("long");
            assert_eq!(busy.resp().await.uid, "long", "answered, not cut as idle");
            let answered = Instant::now();
            busy.expect_error_then_close(Code::IdleTimeout).await;
            assert_eq!(answered.elapsed(), idle, "idle from its answer on");
            assert_eq!(s.stats.snapshot().idle_closed, 2);
        });
    }
}

per_engine! {
    /// Each request restarts the idle clock: requests 2/3 of it apart keep a connection open.
    fn a_connection_answered_at_once_request_after_request_is_never_idle(engine: Engine) {
        with_paused_clock(move || async move {
            let idle = Duration::from_millis(150);
            let builder = ServerBuilder::new().engine(engine).idle_timeout(Some(idle));
            let s = TestServer::start_with(builder).await;
            let mut raw = Raw::connect(s.addr).await;
            // Four idle timeouts' worth of requests, each 2/3 of one apart.
            for n in 0..6 {
                tokio::time::sleep(idle * 2 / 3).await;
                raw.send(format!(r#"{{"Uid":"r{n}","Val":"x"}}"#).as_bytes())
                    .await;
                let resp = raw.resp().await;
                assert_eq!((resp.uid, resp.code), (format!("r{n}"), None));
            }
            let answered = Instant::now();
            raw.expect_error_then_close(Code::IdleTimeout).await;
            assert_eq!(answered.elapsed(), idle);
            assert_eq!(s.stats.snapshot().idle_closed, 1);
        });
    }
}

per_engine! {
    /// A client that never reads its answers is cut after the write timeout; others are served.
    fn a_client_that_never_reads_its_answers_is_cut_after_the_write_timeout(engine: Engine) {
        with_paused_clock(move || async move {
            let limit = Some(Duration::from_millis(100));
            let builder = ServerBuilder::new().engine(engine).write_timeout(limit);
            let s = TestServer::start_with(builder).await;
            let stream = tokio::net::TcpStream::connect(s.addr).await.unwrap();
            let (_never_read, mut write) = stream.into_split();
            // Big answers, far more than the socket buffers hold: the server's
            // writes stall, then it stops reading, then our writes stall too.
            let writer = tokio::spawn(async move {
                let val = "x".repeat(64 * 1024);
                for i in 0..1000 {
                    let req = format!(r#"{{"Uid":"w{i}","Val":"{val}"}}"#);
                    if write.write_all(req.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
            eventually("the non-reader cut", || {
                let snap = s.stats.snapshot();
                (snap.write_timeouts, snap.connections_open) == (1, 0)
            })
            .await;
            still_serves(s.addr).await;
            writer.abort();
        });
    }
}

per_engine! {
    /// A client past `max_connections` gets `TooManyConnections`; the slot frees on a close.
    async fn a_client_past_the_connection_limit_is_told_and_the_slot_frees_on_close(
        engine: Engine,
    ) {
        let builder = ServerBuilder::new().engine(engine).max_connections(2);
        let s = TestServer::start_with(builder).await;
        let mut a = Raw::connect(s.addr).await;
        let mut b = Raw::connect(s.addr).await;
        for raw in [&mut a, &mut b] {
            raw.send(br#"{"Uid":"in","Val":"x"}"#).await;
            raw.resp().await;
        }
        let mut c = Raw::connect(s.addr).await;
        let msg = c.expect_error_then_close(Code::TooManyConnections).await;
        assert!(msg.contains("limit of 2"), "{msg}");
        assert_eq!(s.stats.snapshot().connections_rejected, 1);

        drop(a);
        eventually("the slot frees", || {
            s.stats.snapshot().connections_open == 1
        })
        .await;
        still_serves(s.addr).await;
    }
}

per_engine! {
    /// A handler past the handler timeout is answered `Timeout` exactly then; the connection lives.
    fn a_handler_past_its_time_limit_answers_timeout(engine: Engine) {
        with_paused_clock(move || async move {
            let limit = Duration::from_millis(20);
            let builder = ServerBuilder::new().engine(engine).handler_timeout(Some(limit));
            let s = TestServer::start_with(builder).await;
            let client = Client::connect(s.addr).await.unwrap();
            let started = Instant::now();
            let err = client
                .clone()
                .oneshot(Message::new("h", "hang"))
                .await
                .unwrap_err();
            assert_eq!(started.elapsed(), limit);
            let timed_out = matches!(&err, Error::Server { code, .. } if *code == Code::Timeout);
            assert!(timed_out, "{err:?}");
            assert_eq!(
                client.oneshot(Message::new("ok", "x")).await.unwrap().uid,
                "ok"
            );
            assert_eq!(s.stats.snapshot().timeouts, 1);
        });
    }
}

per_engine! {
    /// With the global limit taken by held handlers, a new request is shed with `Overloaded`.
    async fn requests_past_the_global_limit_are_shed_with_overloaded(engine: Engine) {
        let s = TestServer::start_with(
            ServerBuilder::new().engine(engine)
                .max_concurrent_requests(Some(2)),
        )
        .await;
        let mut hog = Raw::connect(s.addr).await;
        hog.send(br#"{"Uid":"h1","Val":"wait:hog"}{"Uid":"h2","Val":"wait:hog"}"#)
            .await;
        s.gates.arrived("hog", 2).await;

        let client = ClientBuilder::new()
            .pool_size(1)
            .connect(s.addr)
            .await
            .unwrap();
        let err = client.oneshot(Message::new("late", "x")).await.unwrap_err();
        assert!(matches!(err, Error::Overloaded), "{err:?}");
        assert_eq!(s.stats.snapshot().shed, 1);
        s.gates.open("hog");
        for _ in 0..2 {
            assert_eq!(hog.resp().await.val, "server: hello, wait:hog");
        }
    }
}

per_engine! {
    /// Handlers that time out give their places under the global limit back.
    fn places_under_the_global_limit_come_back_when_handlers_time_out(engine: Engine) {
        with_paused_clock(move || async move {
            let s = TestServer::start_with(
                ServerBuilder::new().engine(engine)
                    .max_concurrent_requests(Some(2))
                    .handler_timeout(Some(Duration::from_millis(20))),
            )
            .await;
            let mut hog = Raw::connect(s.addr).await;
            hog.send(br#"{"Uid":"h1","Val":"hang"}{"Uid":"h2","Val":"hang"}"#)
                .await;
            for _ in 0..2 {
                assert_eq!(hog.resp().await.code, Some(Code::Timeout));
            }
            let client = Client::connect(s.addr).await.unwrap();
            let resp = client.oneshot(Message::new("after", "x")).await.unwrap();
            assert_eq!(resp.uid, "after");
            let snap = s.stats.snapshot();
            assert_eq!((snap.timeouts, snap.shed, snap.requests), (2, 0, 3));
        });
    }
}

per_engine! {
    /// At `max_in_flight` 1 the next request is not even read until the first is answered.
    fn the_per_connection_limit_holds_requests_back_instead_of_failing_them(engine: Engine) {
        with_paused_clock(move || async move {
            let builder = ServerBuilder::new().engine(engine).max_in_flight(1);
            let s = TestServer::start_with(builder).await;
            let mut raw = Raw::connect(s.addr).await;
            raw.send(br#"{"Uid":"a","Val":"wait:a"}{"Uid":"b","Val":"wait:b"}"#)
                .await;
            s.gates.arrived("a", 1).await;
            // Whatever can run, runs; then a second passes with `a` held.
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert_eq!(s.gates.count("b"), 0, "b waits for a");
            s.gates.open("a");
            s.gates.open("b");
            assert_eq!(raw.resp().await.uid, "a");
            assert_eq!(raw.resp().await.uid, "b");
        });
    }
}

per_engine! {
    /// A handler still working holds back neither the answers behind it nor a later one.
    async fn a_handler_still_working_does_not_hold_back_the_answers_behind_it(engine: Engine) {
        let s = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(s.addr).await;
        raw.send(br#"{"Uid":"stuck","Val":"hang"}{"Uid":"a","Val":"x"}{"Uid":"b","Val":"x"}"#)
            .await;
        assert_eq!(raw.resp().await.uid, "a");
        assert_eq!(raw.resp().await.uid, "b");
        // A handler that answers later is written when it finishes.
        raw.send(br#"{"Uid":"later","Val":"wait:later"}"#).await;
        s.gates.arrived("later", 1).await;
        s.gates.open("later");
        let later = raw.resp().await;
        assert_eq!(
            (later.uid.as_str(), later.val.as_str()),
            ("later", "server: hello, wait:later")
        );
    }
}

per_engine! {
    /// A value that never ends gets `FrameTooLarge` at the limit; the server stops reading.
    async fn a_huge_unterminated_value_is_refused_after_the_limit_not_buffered(engine: Engine) {
        let builder = ServerBuilder::new().engine(engine).max_frame_len(64 * 1024);
        let s = TestServer::start_with(builder).await;
        let mut raw = Raw::connect(s.addr).await;
        raw.send(br#"{"Uid":"big","Val":""#).await;
        // Keep sending up to 64 MiB; the server hangs up long before that.
        let chunk = vec![b'x'; 64 * 1024];
        let mut sent = 0usize;
        let refused = bounded("the server refuses the flood", async {
            while sent < 64 << 20 {
                if raw.writer.write_all(&chunk).await.is_err() {
                    return true;
                }
                sent += chunk.len();
            }
            false
        })
        .await;
        let r = raw.resp().await;
        assert_eq!(r.code, Some(Code::FrameTooLarge));
        assert!(refused || sent < 64 << 20, "the server stopped reading");
        assert_eq!(s.stats.snapshot().frames_too_large, 1);
        still_serves(s.addr).await;
    }
}

per_engine! {
    /// The server answers both of two requests with the same `Uid` from a raw client.
    async fn duplicate_uids_from_a_raw_client_are_each_answered(engine: Engine) {
        let s = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(s.addr).await;
        raw.send(br#"{"Uid":"same","Val":"1"}{"Uid":"same","Val":"2"}"#)
            .await;
        let mut vals = vec![raw.resp().await.val, raw.resp().await.val];
        vals.sort();
        assert_eq!(vals, ["server: hello, 1", "server: hello, 2"]);
        still_serves(s.addr).await;
    }
}

per_engine! {
    /// The stats count connections, requests, handler errors and bad requests.
    async fn stats_count_connections_requests_and_errors_by_kind(engine: Engine) {
        let s = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(s.addr).await;
        raw.send(br#"{"Uid":"a","Val":"x"}{"Uid":"b","Val":"fail:nope"}{"#)
            .await;
        raw.resp().await;
        raw.resp().await;
        raw.send(b"]").await;
        raw.expect_error_then_close(Code::BadRequest).await;
        s.all_closed().await;
        let snap = s.stats.snapshot();
        assert_eq!(snap.connections_total, 1);
        assert_eq!(snap.requests, 2);
        assert_eq!(snap.handler_errors, 1);
        assert_eq!(snap.bad_requests, 1);
    }
}
