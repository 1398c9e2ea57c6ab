//! Handlers that misbehave, and clients that leave: a panic costs one
//! error answer, an answer without its `Uid` still reaches its caller, and
//! the server's books stay right, on each server engine.

use std::task::{Context, Poll};
use std::time::Duration;

use crate::support::engines::per_engine;
use crate::support::raw::{still_serves, Raw};
use crate::support::server::TestServer;
use crate::support::time::{eventually, with_paused_clock};
use jsonmux::{Client, Code, Message, ServerBuilder};
use tokio::time::Instant;
use tower::ServiceExt;

per_engine! {
    /// A handler that panics, in `call` or while polled, costs one `handler` answer; the rest is served.
    async fn a_panicking_handler_costs_one_error_answer_and_nothing_else(engine: Engine) {
        let s = TestServer::start_on(engine).await;
        let mut raw = Raw::connect(s.addr).await;
        raw.send(br#"{"Uid":"held","Val":"wait:held"}{"Uid":"p1","Val":"panic:poll"}{"Uid":"a","Val":"x"}{"Uid":"p2","Val":"panic:call"}{"Uid":"b","Val":"x"}"#)
            .await;
        let mut answers = Vec::new();
        for _ in 0..4 {
            let r = raw.resp().await;
            answers.push((r.uid, r.code.map(Code::as_str), r.error));
        }
        answers.sort();
        let ok = |uid: &str| (uid.to_owned(), None, None);
        let panicked = |uid: &str| {
            let message = Some("handler panicked".to_owned());
            (uid.to_owned(), Some("handler"), message)
        };
        assert_eq!(answers, [ok("a"), ok("b"), panicked("p1"), panicked("p2")]);
        s.gates.open("held");
        assert_eq!(
            raw.resp().await.val,
            "server: hello, wait:held",
            "held: answered"
        );
        still_serves(s.addr).await;
        let snap = s.stats.snapshot();
        assert_eq!((snap.requests, snap.handler_errors), (6, 2));
        drop(raw);
        s.all_closed().await;
        s.stop().await;
    }
}

per_engine! {
    /// A handler that answers without the `Uid` still reaches its caller, who does not wait out a timeout.
    fn a_handler_that_forgets_the_uid_still_reaches_its_caller(engine: Engine) {
        with_paused_clock(move || async move {
            let s = TestServer::start_on(engine).await;
            let client = Client::connect(s.addr).await.unwrap();
            let started = Instant::now();
            let resp = client
                .clone()
                .oneshot(Message::new("mine", "no-uid"))
                .await
                .unwrap();
            assert_eq!(
                (resp.uid.as_str(), resp.val.as_str()),
                ("mine", "server: hello, no-uid")
            );
            assert_eq!(started.elapsed(), Duration::ZERO, "no timeout waited out");
            client.close().await;
            s.stop().await;
        });
    }
}

per_engine! {
    /// `connections_open` returns to 0 once clients of every kind have left.
    async fn connections_open_returns_to_zero_when_clients_leave(engine: Engine) {
        let s = TestServer::start_on(engine).await;
        let client = Client::connect(s.addr).await.unwrap();
        client
            .clone()
            .oneshot(Message::new("c", "x"))
            .await
            .unwrap();
        let mut raw = Raw::connect(s.addr).await;
        raw.send(br#"{"Uid":"p","Val":"panic:poll"}"#).await;
        assert_eq!(raw.resp().await.code, Some(Code::Handler));
        let idle = Raw::connect(s.addr).await;
        eventually("all connected", || s.stats.snapshot().connections_open >= 3).await;
        client.close().await;
        drop((raw, idle));
        s.all_closed().await;
        s.stop().await;
    }
}

per_engine! {
    /// A service that panics outside any request (in `poll_ready`) costs its connection, still counted closed.
    async fn a_connection_whose_service_panics_is_still_counted_closed(engine: Engine) {
        #[derive(Clone)]
        struct PanicsWhenAsked;
        impl tower::Service<Message> for PanicsWhenAsked {
            type Response = jsonmux::Resp;
            type Error = std::convert::Infallible;
            type Future = std::future::Ready<Result<jsonmux::Resp, Self::Error>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
                panic!("not ready, ever");
            }
            fn call(&mut self, msg: Message) -> Self::Future {
                std::future::ready(Ok(jsonmux::HelloService::hello(msg)))
            }
        }
        let builder = ServerBuilder::new().engine(engine);
        let s = TestServer::start_at("127.0.0.1:0", builder, |_| PanicsWhenAsked).await;
        let mut raw = Raw::connect(s.addr).await;
        raw.expect_eof().await;
        eventually("the connection counted closed", || {
            let snap = s.stats.snapshot();
            (snap.connections_total, snap.connections_open) == (1, 0)
        })
        .await;
        s.stop().await;
    }
}
