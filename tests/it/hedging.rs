//! Hedged calls: an idempotent call still unanswered after the delay gets
//! a copy on another endpoint; the first answer wins and the other call
//! is cancelled. Other calls are never copied.

use std::time::Duration;

use crate::support::calls::{all_answered, one_each, quick, spawn_calls};
use crate::support::engines::per_engine;
use crate::support::server::TestServer;
use crate::support::time::{eventually, with_paused_clock};
use jsonmux::pool::Hedge;
use jsonmux::{Client, ClientBuilder, Engine, Message};
use tower::ServiceExt;

/// Servers `slow` (holds `wait:slow` at its gate) and `fast` (its gate
/// open), and a client with one connection to each, `slow` first.
async fn slow_and_fast(engine: Engine, builder: ClientBuilder) -> (TestServer, TestServer, Client) {
    let (slow, fast, client) = two_servers(engine, builder).await;
    fast.gates.open("slow");
    (slow, fast, client)
}

/// Two servers, their gates closed, and a client with one connection to
/// each, the first server's first.
async fn two_servers(engine: Engine, builder: ClientBuilder) -> (TestServer, TestServer, Client) {
    let first = TestServer::start_on(engine).await;
    let second = TestServer::start_on(engine).await;
    let client = one_each(builder, &[first.addr, second.addr]).await;
    (first, second, client)
}

fn hedged(engine: Engine) -> ClientBuilder {
    quick(engine)
        .request_timeout(Some(Duration::from_secs(1)))
        .hedge(Some(Hedge::after(Duration::from_millis(10))))
}

per_engine! {
    /// An idempotent call held by a slow server is answered by the copy sent to the other one, and the slow server's handler is cancelled.
    fn a_slow_idempotent_call_is_answered_by_its_copy(engine: Engine) {
        with_paused_clock(move || async move {
            let (a, b, client) = two_servers(engine, hedged(engine)).await;
            // One answer from each server first: both connections know
            // their server speaks the extension, so a call given up on is
            // cancelled there.
            let warm = spawn_calls(&client, "w", 2, "wait:w");
            a.gates.arrived("w", 1).await;
            b.gates.arrived("w", 1).await;
            a.gates.open("w");
            b.gates.open("w");
            all_answered(warm).await;
            // Both hold `wait:slow`; the one the call did not reach lets it pass.
            let (held, free) = (&a, &b);
            let call = tokio::spawn(client.clone().oneshot(Message::new("h", "wait:slow").idempotent()));
            eventually("the call at a server", || held.gates.count("slow") + free.gates.count("slow") == 1).await;
            let (held, free) = if held.gates.count("slow") == 1 { (held, free) } else { (free, held) };
            free.gates.open("slow");
            let resp = call.await.unwrap().unwrap();
            assert_eq!(resp.val, "server: hello, wait:slow");
            let stats = client.stats();
            assert_eq!((stats.hedges, stats.hedges_won), (1, 1));
            let cancelled = || held.stats.snapshot().handlers_cancelled == 1;
            eventually("the held server's handler cancelled", cancelled).await;
            a.stop().await;
            b.stop().await;
        })
    }
}

per_engine! {
    /// A call not marked idempotent is never copied: it waits for its server, here until its timeout.
    fn a_call_not_marked_idempotent_is_never_copied(engine: Engine) {
        with_paused_clock(move || async move {
            let (slow, fast, client) = slow_and_fast(engine, hedged(engine)).await;
            let out = client.clone().oneshot(Message::new("n", "wait:slow")).await;
            assert!(out.unwrap_err().is_timeout());
            assert_eq!(client.stats().hedges, 0);
            assert_eq!(fast.stats.snapshot().requests, 0);
            slow.stop().await;
            fast.stop().await;
        })
    }
}

per_engine! {
    /// Without hedging, an idempotent call is not copied either.
    fn without_hedging_nothing_is_copied(engine: Engine) {
        with_paused_clock(move || async move {
            let builder = quick(engine).request_timeout(Some(Duration::from_millis(100)));
            let (slow, fast, client) = slow_and_fast(engine, builder).await;
            let msg = Message::new("h", "wait:slow").idempotent();
            assert!(client.clone().oneshot(msg).await.unwrap_err().is_timeout());
            assert_eq!(fast.stats.snapshot().requests, 0);
            slow.stop().await;
            fast.stop().await;
        })
    }
}

per_engine! {
    /// The first answer wins: when the first server answers before the copy is due, no copy is sent.
    fn a_call_answered_in_time_gets_no_copy(engine: Engine) {
        with_paused_clock(move || async move {
            let (slow, fast, client) = slow_and_fast(engine, hedged(engine)).await;
            let msg = Message::new("q", "quick").idempotent();
            client.clone().oneshot(msg).await.unwrap();
            assert_eq!(client.stats().hedges, 0);
            slow.stop().await;
            fast.stop().await;
        })
    }
}

per_engine! {
    /// Calls that lose to their copy are withdrawn, not timed out: many in a row do not get the slow server's connection replaced.
    fn calls_that_lose_to_their_copy_are_not_timeouts(engine: Engine) {
        with_paused_clock(move || async move {
            let (slow, fast, client) = slow_and_fast(engine, hedged(engine)).await;
            // One answer from the slow server first, so that it is known
            // to speak the extension (losers are cancelled there).
            client.clone().oneshot(Message::new("warm", "quick")).await.unwrap();
            for i in 0..40 {
                let msg = Message::new(format!("h{i}"), "wait:slow").idempotent();
                client.clone().oneshot(msg).await.unwrap();
            }
            let stats = client.stats();
            assert_eq!(stats.hedges_won, 40, "{stats:?}");
            assert_eq!(stats.calls.closed, 0, "{stats:?}");
            let status = client.endpoints().status();
            assert_eq!((status[0].connections, status[0].reconnects), (1, 0), "{status:?}");
            slow.stop().await;
            fast.stop().await;
        })
    }
}
