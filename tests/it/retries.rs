//! Calls a server answered without running them are sent again by the
//! pool, elsewhere when it can, within the call's deadline and a budget;
//! calls that may have run never are.

use std::time::Duration;

use crate::support::calls::{all_answered, one_each, quick, spawn_calls};
use crate::support::engines::per_engine;
use crate::support::raw::Raw;
use crate::support::server::TestServer;
use jsonmux::{Code, Engine, Error, Message, ServerBuilder};
use tower::ServiceExt;

/// A server with one place (shedding the rest), taken by a request held
/// at its gate `held`.
async fn full_server(engine: Engine) -> (TestServer, Raw) {
    let builder = ServerBuilder::new()
        .engine(engine)
        .max_concurrent_requests(Some(1));
    let server = TestServer::start_with(builder).await;
    let mut holder = Raw::connect(server.addr).await;
    holder.send(br#"{"Uid":"held","Val":"wait:held"}"#).await;
    server.gates.arrived("held", 1).await;
    (server, holder)
}

per_engine! {
    /// Calls shed by a full server are sent to the other one and answered: no caller sees the overload.
    async fn calls_shed_by_one_server_are_answered_by_another(engine: Engine) {
        let (full, _holder) = full_server(engine).await;
        let free = TestServer::start_on(engine).await;
        let client = one_each(quick(engine), &[full.addr, free.addr]).await;
        let answers = all_answered(spawn_calls(&client, "c", 100, "x")).await;
        assert_eq!(answers.len(), 100);
        let stats = client.stats();
        let shed = full.stats.snapshot().shed;
        assert!(shed > 0, "the pick tried the full server too");
        assert_eq!((stats.retries, stats.retries_refused), (shed, 0));
        assert_eq!(free.stats.snapshot().requests, 100, "every call answered there");
        full.gates.open("held");
        full.stop().await;
        free.stop().await;
    }
}

per_engine! {
    /// A server that sheds everything sees no storm: retries stay within the budget's share of the calls, and callers get the overload.
    async fn retries_against_a_server_that_sheds_everything_stay_within_the_budget(engine: Engine) {
        let (full, _holder) = full_server(engine).await;
        let client = quick(engine)
            .pool_size(1)
            .retry_budget(0.2, 0)
            .connect(full.addr)
            .await
            .unwrap();
        for i in 0..200 {
            let out = client.clone().oneshot(Message::new(format!("c{i}"), "x")).await;
            assert!(matches!(out, Err(Error::Overloaded)), "{out:?}");
        }
        let stats = client.stats();
        // At most a fifth of the callers' own calls (a retry is sent, not called).
        assert!(stats.retries * 5 <= stats.calls.calls - stats.retries, "{stats:?}");
        assert!(stats.retries >= 30 && stats.retries_refused > 0, "{stats:?}");
        assert_eq!(full.stats.snapshot().requests, 1 + 200 + stats.retries);
        full.gates.open("held");
        full.stop().await;
    }
}

per_engine! {
    /// A call whose handler failed, or that timed out, may have run: it is never sent again.
    async fn calls_that_may_have_run_are_never_sent_again(engine: Engine) {
        let server = TestServer::start_on(engine).await;
        let client = quick(engine)
            .pool_size(1)
            .request_timeout(Some(Duration::from_millis(100)))
            .connect(server.addr)
            .await
            .unwrap();
        let failed = client.clone().oneshot(Message::new("f", "fail:boom")).await;
        assert!(matches!(failed, Err(Error::Server { code: Code::Handler, .. })), "{failed:?}");
        let hung = client.clone().oneshot(Message::new("h", "hang")).await;
        assert!(hung.unwrap_err().is_timeout());
        assert_eq!(server.stats.snapshot().requests, 2);
        assert_eq!(client.stats().retries, 0);
        server.stop().await;
    }
}

per_engine! {
    /// With the budget at zero, nothing is sent again: the caller gets the server's overload.
    async fn a_zero_budget_turns_retries_off(engine: Engine) {
        let (full, _holder) = full_server(engine).await;
        let free = TestServer::start_on(engine).await;
        let builder = quick(engine).retry_budget(0.0, 0);
        let client = one_each(builder, &[full.addr, free.addr]).await;
        let outs: Vec<_> = futures_util::future::join_all(
            (0..50).map(|i| client.clone().oneshot(Message::new(format!("c{i}"), "x"))),
        )
        .await;
        let shed = outs.iter().filter(|o| matches!(o, Err(Error::Overloaded))).count();
        assert_eq!(shed as u64, full.stats.snapshot().shed);
        assert!(shed > 0);
        assert_eq!(client.stats().retries, 0);
        full.gates.open("held");
        full.stop().await;
        free.stop().await;
    }
}
