//! What a client tells about its calls: counters by endpoint and kind of
//! failure, and a span per call (on each client engine).

use std::time::Duration;

use crate::support::calls::{call, spawn_calls};
use crate::support::engines::per_engine;
use crate::support::logs::Logs;
use crate::support::server::{scripted, TestServer};
use crate::support::time::{bounded, eventually, with_paused_clock};
use jsonmux::{Client, ClientBuilder, Code, Error, Message, ServerBuilder};
use tower::ServiceExt;

per_engine! {
    /// Calls, error answers by code, duplicate `Uid`s and calls given up are counted, per endpoint and in total.
    fn the_client_counts_its_calls_and_each_failure_by_kind(engine: Engine) {
        with_paused_clock(move || async move {
            let s = TestServer::start().await;
            let client = ClientBuilder::new()
                .engine(engine)
                .pool_size(1)
                .request_timeout(Some(Duration::from_millis(100)))
                // The `overloaded` answer would be sent again: one call each here.
                .retry_budget(0.0, 0)
                .connect(s.addr)
                .await
                .unwrap();
            call(&client, "ok", "x").await.unwrap();
            let failures = [
                call(&client, "nf", "code:not_found:no pig").await,
                call(&client, "busy", "code:overloaded:later").await,
                call(&client, "boom", "fail:boom").await,
            ];
            assert!(failures.iter().all(Result::is_err), "{failures:?}");
            let held = tokio::spawn(client.clone().oneshot(Message::new("held", "wait:held")));
            s.gates.arrived("held", 1).await;
            let dup = call(&client, "held", "x").await.unwrap_err();
            assert!(matches!(dup, Error::DuplicateUid(_)), "{dup:?}");
            s.gates.open("held");
            held.await.unwrap().unwrap();
            let late = call(&client, "slow", "hang").await.unwrap_err();
            assert!(late.is_timeout(), "{late:?}");

            let stats = client.stats();
            let counts = stats.calls;
            assert_eq!((counts.calls, counts.errors(), counts.abandoned), (7, 4, 1));
            assert_eq!(counts.answered_with(Code::NotFound), 1);
            assert_eq!(counts.answered_with(Code::Overloaded), 1);
            assert_eq!(counts.answered_with(Code::Handler), 1);
            assert_eq!((counts.duplicate_uid, counts.closed), (1, 0));
            // The server speaks the extension: the call given up on was
            // cancelled there, and its Uid is free at once.
            assert_eq!(counts.cancels_sent, 1);
            assert_eq!((stats.in_flight, stats.connections), (0, 1));
            let endpoints = client.endpoints().status();
            assert_eq!(endpoints[0].calls, counts);
            assert_eq!(endpoints[0].in_flight, 0);
        });
    }
}

per_engine! {
    /// Calls cut off by a dying server count as closed; the redial after it counts as a reconnect.
    fn calls_cut_off_by_a_dying_server_and_the_reconnect_are_counted(engine: Engine) {
        with_paused_clock(move || async move {
            let builder = || ServerBuilder::new().drain_timeout(Duration::ZERO);
            let s = TestServer::start_with(builder()).await;
            let addr = s.addr;
            let client = ClientBuilder::new()
                .engine(engine)
                .pool_size(1)
                .request_timeout(None)
                .connect(addr)
                .await
                .unwrap();
            let calls = spawn_calls(&client, "k", 3, "wait:k");
            s.gates.arrived("k", 3).await;
            s.stop().await;
            for c in calls {
                let err = bounded("a cut-off call", c).await.unwrap().unwrap_err();
                assert!(err.is_closed(), "{err:?}");
            }
            eventually("the pool sees the server go", || {
                client.stats().connections == 0
            })
            .await;
            assert_eq!(client.stats().calls.closed, 3);

            let again = TestServer::start_at(addr, builder(), scripted).await;
            call(&client, "after", "x").await.unwrap();
            let stats = client.stats();
            assert_eq!((stats.reconnects, stats.calls.calls), (1, 4));
            assert_eq!(stats.calls.closed, 3, "kept across the reconnect");
            again.stop().await;
        });
    }
}

per_engine! {
    /// With `span_level(INFO)` each call has a `call` span with its `Uid`, endpoint, and error if it failed.
    fn at_span_level_info_each_call_has_a_span_with_its_uid_endpoint_and_error(engine: Engine) {
        with_paused_clock(move || async move {
            let (logs, _guard) = Logs::capture_info();
            let s = TestServer::start().await;
            let client = ClientBuilder::new()
                .engine(engine)
                .span_level(tracing::Level::INFO)
                .connect(s.addr)
                .await
                .unwrap();
            call(&client, "fine-1", "x").await.unwrap();
            call(&client, "lost-1", "code:not_found:no pig")
                .await
                .unwrap_err();

            let fine = logs.lines_with("uid=fine-1 ");
            assert_eq!(fine.len(), 1, "one span, closed once: {fine:?}");
            assert!(
                fine[0].contains(&format!("endpoint={}", s.addr)),
                "{fine:?}"
            );
            assert!(!fine[0].contains("error="), "{fine:?}");
            let lost = logs.lines_with("uid=lost-1 ");
            assert!(
                lost[0].contains("error=server error (not_found): no pig"),
                "{lost:?}"
            );
        });
    }
}

/// By default the call spans are at `DEBUG`: an `INFO` subscriber gets none.
#[test]
fn by_default_the_call_spans_are_debug_and_an_info_subscriber_gets_none() {
    with_paused_clock(|| async {
        let (logs, _guard) = Logs::capture_info();
        let s = TestServer::start().await;
        let client = Client::connect(s.addr).await.unwrap();
        call(&client, "quiet-1", "x").await.unwrap();
        assert_eq!(logs.lines_with("quiet-1"), Vec::<String>::new());
    });
}
