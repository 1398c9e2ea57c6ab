//! The client against a real server on loopback: correlation, limits,
//! error answers, busy polling.

use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use jsonmux::{Client, ClientBuilder, Code, Engine, Error, Message};
use tokio::time::Instant;
use tower::{Service, ServiceExt};

use crate::support::engines::{client_on, per_engine};
use crate::support::server::TestServer;
use crate::support::time::{bounded, with_paused_clock, with_real_clock};

per_engine! {
    /// One call through the default client stack gets the hello answer.
    async fn a_call_gets_the_hello_answer(engine: Engine) {
        let server = TestServer::start().await;
        let client = client_on(engine, server.addr).await;
        let resp = client
            .oneshot(Message::new("pixel-1", "pixelpig!"))
            .await
            .unwrap();
        assert_eq!(resp.uid, "pixel-1");
        assert_eq!(resp.val, "server: hello, pixelpig!");
        assert!(!resp.ts.is_empty());
        server.stop().await;
    }
}

per_engine! {
    /// Answers released in reverse order reach their own callers, in that order.
    async fn answers_that_come_back_out_of_order_reach_their_own_callers(engine: Engine) {
        let server = TestServer::start().await;
        let mut conn = ClientBuilder::new()
            .engine(engine)
            .dial(server.addr)
            .await
            .unwrap();
        let n = 40;
        let mut calls = FuturesUnordered::new();
        for i in 0..n {
            let msg = Message::new(format!("req-{i}"), format!("wait:{i}"));
            let call = conn.ready().await.unwrap().call(msg);
            calls.push(async move { (i, call.await) });
        }
        for i in (0..n).rev() {
            server.gates.open(&i.to_string());
            let (got, resp) = bounded("the released answer", calls.next()).await.unwrap();
            assert_eq!(got, i, "only the released call completes");
            let resp = resp.unwrap();
            assert_eq!(resp.uid, format!("req-{i}"));
            assert_eq!(resp.val, format!("server: hello, wait:{i}"));
        }
        server.stop().await;
    }
}

per_engine! {
    /// 500 tasks share one client: at most 64 calls at the server at once, each its own answer.
    async fn many_tasks_share_one_client_and_each_gets_its_own_answer(engine: Engine) {
        let server = TestServer::start().await;
        let client = ClientBuilder::new()
            .engine(engine)
            .concurrency_limit(Some(64))
            .connect(server.addr)
            .await
            .unwrap();
        // Every fourth call is held at the server: held calls pile up until
        // they take all 64 places, while the others are answered at once.
        let val = |i: usize| match i % 4 {
            0 => "wait:held".to_string(),
            _ => format!("now-{i}"),
        };
        let tasks: Vec<_> = (0..500)
            .map(|i| {
                let client = client.clone();
                let msg = Message::new(format!("t-{i}"), val(i));
                tokio::spawn(async move { (i, client.oneshot(msg).await) })
            })
            .collect();
        server.gates.arrived("held", 64).await;
        assert_eq!(server.gates.count("held"), 64, "the limit holds the rest");
        server.gates.open("held");
        for task in tasks {
            let (i, resp) = bounded("a shared-client call", task).await.unwrap();
            let resp = resp.unwrap();
            assert_eq!(resp.uid, format!("t-{i}"));
            assert_eq!(resp.val, format!("server: hello, {}", val(i)));
        }
        assert_eq!(server.gates.count("held"), 125);
        server.stop().await;
    }
}

per_engine! {
    /// A call held past the request timeout fails with `Timeout` exactly then; others go on.
    fn a_call_past_its_deadline_fails_with_timeout(engine: Engine) {
        with_paused_clock(move || async move {
            let server = TestServer::start().await;
            let deadline = Duration::from_millis(50);
            let client = ClientBuilder::new()
                .engine(engine)
                .request_timeout(Some(deadline))
                .connect(server.addr)
                .await
                .unwrap();
            let started = Instant::now();
            let late = client.clone().oneshot(Message::new("late", "wait:late"));
            let err = late.await.unwrap_err();
            assert_eq!(started.elapsed(), deadline, "failed at the deadline");
            assert!(matches!(err, Error::Timeout(_)), "{err:?}");
            assert_eq!(err.to_string(), "request timed out");
            assert_eq!(server.gates.count("late"), 1, "it was at the server");
            let ok = client.oneshot(Message::new("fine", "x")).await.unwrap();
            assert_eq!(ok.uid, "fine");
            server.stop().await;
        });
    }
}

per_engine! {
    /// A handler's error reaches the caller as `Server { Handler, .. }`; the connection lives.
    async fn a_handler_error_reaches_the_caller_as_a_server_error_and_the_connection_lives(
        engine: Engine,
    ) {
        let server = TestServer::start().await;
        let client = client_on(engine, server.addr).await;
        let err = client
            .clone()
            .oneshot(Message::new("f", "fail:no pigs"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Server { code: Code::Handler, message } if message == "no pigs"),
            "{err:?}"
        );
        let ok = client.oneshot(Message::new("g", "x")).await.unwrap();
        assert_eq!(ok.uid, "g");
        server.stop().await;
    }
}

per_engine! {
    /// An error answer with the handler's own code keeps that code and message.
    async fn a_handlers_own_error_code_and_message_reach_the_caller(engine: Engine) {
        let server = TestServer::start().await;
        let client = client_on(engine, server.addr).await;
        let err = client
            .oneshot(Message::new("c", "code:not_found:no such pig"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Server { code: Code::NotFound, message } if message == "no such pig"),
            "{err:?}"
        );
        server.stop().await;
    }
}

per_engine! {
    /// An `overloaded` error answer reaches the caller as `Overloaded`.
    async fn an_overloaded_answer_reaches_the_caller_as_overloaded(engine: Engine) {
        let server = TestServer::start().await;
        let builder = ClientBuilder::new().engine(engine);
        let client = builder.connect(server.addr).await.unwrap();
        let err = client
            .oneshot(Message::new("o", "code:overloaded:busy"))
            .await
            .unwrap_err();
        assert!(err.is_overloaded(), "{err:?}");
        server.stop().await;
    }
}

per_engine! {
    /// A proxy relays its upstream's error code and message unchanged, with no prefix per hop.
    async fn a_proxy_relays_its_upstreams_error_answer_unchanged(engine: Engine) {
        let upstream = TestServer::start().await;
        let to_upstream = client_on(engine, upstream.addr).await;
        let proxy = tower::service_fn(move |msg: Message| to_upstream.clone().oneshot(msg));
        let builder = jsonmux::ServerBuilder::new();
        let front = TestServer::start_at("127.0.0.1:0", builder, |_| proxy).await;
        let client = client_on(engine, front.addr).await;
        for (val, want) in [
            ("fail:no pigs", Code::Handler),
            ("code:permission_denied:pigs only", Code::PermissionDenied),
        ] {
            let err = client
                .clone()
                .oneshot(Message::new("p", val))
                .await
                .unwrap_err();
            let Error::Server { code, message } = &err else {
                panic!("{err:?}")
            };
            assert_eq!(*code, want);
            assert_eq!(message, val.rsplit(':').next().unwrap());
        }
        front.stop().await;
        upstream.stop().await;
    }
}

per_engine! {
    /// Errors out of a user's own `Buffer` + `Timeout` stack convert back with `From<BoxError>`.
    fn errors_out_of_a_users_own_tower_stack_convert_back_to_jsonmux_errors(engine: Engine) {
        with_paused_clock(move || async move {
            // A short drain: the held handler is cut at the end.
            let builder = jsonmux::ServerBuilder::new().drain_timeout(Duration::from_millis(1));
            let server = TestServer::start_with(builder).await;
            let conn = ClientBuilder::new()
                .engine(engine)
                .dial(server.addr)
                .await
                .unwrap();
            let svc = tower::ServiceBuilder::new()
                .timeout(Duration::from_millis(50))
                .buffer(8)
                .service(conn);
            let slow = svc.clone().oneshot(Message::new("slow", "wait:never"));
            let err = Error::from(slow.await.unwrap_err());
            assert!(err.is_timeout(), "{err:?}");
            let failed = svc.clone().oneshot(Message::new("f", "fail:no pigs")).await;
            let err = Error::from(failed.unwrap_err());
            let from_handler = matches!(&err, Error::Server { code, .. } if *code == Code::Handler);
            assert!(from_handler, "{err:?}");
            server.stop().await;
        });
    }
}

per_engine! {
    /// Dialing a port nobody listens on fails with `Connect`, its cause in the report.
    async fn connecting_to_a_port_nobody_listens_on_is_a_connect_error(engine: Engine) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = ClientBuilder::new()
            .engine(engine)
            .connect(addr)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Connect(_)), "{err:?}");
        assert_eq!(err.to_string(), "connect failed");
        assert!(
            err.report().starts_with("connect failed: "),
            "{}",
            err.report()
        );
    }
}

/// A client that busy-polls for `window`, connected to `server`.
async fn busy_polling(engine: Engine, window: Duration, server: &TestServer) -> Client {
    let builder = ClientBuilder::new().engine(engine).busy_poll(Some(window));
    builder.connect(server.addr).await.unwrap()
}

per_engine! {
    /// A client busy-polling for 60 s on the test's one thread lets the server and test run.
    fn a_busy_polling_client_lets_the_other_tasks_on_its_thread_run(engine: Engine) {
        // If busy polling held the thread, the server here would never answer,
        // and the test could not open the gate the second call waits at.
        with_real_clock(move || async move {
            let server = TestServer::start().await;
            let client = busy_polling(engine, Duration::from_secs(60), &server).await;
            let first = client.clone().oneshot(Message::new("a", "x"));
            let resp = bounded("an answer", first).await.unwrap();
            assert_eq!(resp.val, "server: hello, x");
            let held = tokio::spawn(client.oneshot(Message::new("b", "wait:held")));
            server.gates.arrived("held", 1).await;
            server.gates.open("held");
            let resp = bounded("the held answer", held).await.unwrap().unwrap();
            assert_eq!(resp.val, "server: hello, wait:held");
            server.stop().await;
        });
    }
}

per_engine! {
    /// A busy-polling client gets an answer that waits on a server timer of a paused clock.
    fn a_busy_polling_client_gets_answers_that_wait_on_a_paused_clock(engine: Engine) {
        // A paused clock only moves while nothing is ready to run: polling
        // timed by that clock would never end, and the server's timer (and the
        // request timeout) would never fire.
        with_paused_clock(move || async move {
            let limit = Duration::from_millis(20);
            let builder = jsonmux::ServerBuilder::new().handler_timeout(Some(limit));
            let server = TestServer::start_with(builder).await;
            let client = busy_polling(engine, Duration::from_micros(50), &server).await;
            let started = Instant::now();
            let err = client
                .oneshot(Message::new("late", "hang"))
                .await
                .unwrap_err();
            let timed_out = matches!(&err, Error::Server { code, .. } if *code == Code::Timeout);
            assert!(timed_out, "{err:?}");
            assert!(started.elapsed() >= limit, "answered once the timer fired");
            server.stop().await;
        });
    }
}

per_engine! {
    /// With a buffer, a call queued behind the concurrency limit fails at its deadline; the queue moves on.
    fn a_call_waiting_in_the_buffer_fails_at_its_deadline(engine: Engine) {
        with_paused_clock(move || async move {
            let server = TestServer::start().await;
            let deadline = Duration::from_millis(50);
            let client = ClientBuilder::new()
                .engine(engine)
                .buffer(Some(4))
                .concurrency_limit(Some(1))
                .request_timeout(Some(deadline))
                .connect(server.addr)
                .await
                .unwrap();
            let held = tokio::spawn(client.clone().oneshot(Message::new("held", "wait:held")));
            server.gates.arrived("held", 1).await;
            let started = Instant::now();
            let queued = client.clone().oneshot(Message::new("queued", "x")).await;
            assert!(matches!(queued, Err(Error::Timeout(_))), "{queued:?}");
            assert_eq!(started.elapsed(), deadline, "failed at the deadline");
            assert!(held.await.unwrap().unwrap_err().is_timeout());
            server.gates.open("held");
            let resp = client.oneshot(Message::new("next", "x")).await.unwrap();
            assert_eq!(resp.val, "server: hello, x");
            server.stop().await;
        });
    }
}

per_engine! {
    /// With a buffer, `pair` needs no runtime: the pool's worker runs the buffer's worker too.
    async fn with_a_buffer_pair_needs_no_runtime_and_its_worker_runs_the_buffer(engine: Engine) {
        let server = TestServer::start().await;
        let addr = server.addr;
        let (client, worker) = std::thread::spawn(move || {
            let builder = ClientBuilder::new().engine(engine).buffer(Some(8));
            builder.pair([addr]).unwrap()
        })
        .join()
        .unwrap();
        tokio::spawn(worker);
        let resp = bounded("an answer", client.oneshot(Message::new("p", "x"))).await;
        assert_eq!(resp.unwrap().val, "server: hello, x");
        server.stop().await;
    }
}
