//! A pool picks the connection where a call is expected to wait least:
//! by the delay a jsonmux server reports to every client, or else by this
//! client's own round trips.

use std::time::Duration;

use crate::support::calls::{all_answered, one_each, quick, spawn_calls};
use crate::support::engines::per_engine;
use crate::support::server::TestServer;
use crate::support::time::with_paused_clock;
use jsonmux::{Engine, HelloService, Message, Resp, ServerBuilder};
use tower::ServiceExt;

/// A server whose handler takes 30 ms for `slow` and answers anything
/// else at once.
async fn sometimes_slow(engine: Engine) -> TestServer {
    let builder = ServerBuilder::new().engine(engine);
    TestServer::start_at("127.0.0.1:0", builder, |_| {
        tower::service_fn(|msg: Message| async move {
            if msg.val == "slow" {
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            Ok::<Resp, jsonmux::Error>(HelloService::hello(msg))
        })
    })
    .await
}

per_engine! {
    /// A server slow for another client's calls is avoided by a client whose own calls there were quick: its answers say how slow it is for everybody.
    fn a_server_slow_for_everybody_is_avoided_on_its_word(engine: Engine) {
        with_paused_clock(move || async move {
            let busy = sometimes_slow(engine).await;
            let idle = TestServer::start_on(engine).await;
            // Another client keeps the busy server slow.
            let other = quick(engine).pool_size(1).connect(busy.addr).await.unwrap();
            all_answered(spawn_calls(&other, "o", 8, "slow")).await;
            // This client: the busy server first, so that picking by calls
            // in flight alone would take it for every call made one by one.
            let client = one_each(quick(engine), &[busy.addr, idle.addr]).await;
            // A quick call on each, at the same time: one each.
            all_answered(spawn_calls(&client, "w", 2, "quick")).await;
            let status = client.endpoints().status();
            let delay = status[0].server_delay.expect("the busy server reports its delay");
            assert!(delay >= Duration::from_millis(20), "{delay:?}");
            let before = busy.stats.snapshot().requests;
            for i in 0..64 {
                client.clone().oneshot(Message::new(format!("c{i}"), "quick")).await.unwrap();
            }
            let to_busy = busy.stats.snapshot().requests - before;
            assert!(to_busy <= 8, "{to_busy} of 64 calls went to the busy server");
            busy.stop().await;
            idle.stop().await;
        })
    }
}

per_engine! {
    /// With the extension off, the pool goes by its own round trips: a server slow to answer this client is avoided too.
    fn without_the_servers_word_round_trips_decide(engine: Engine) {
        with_paused_clock(move || async move {
            let slow = sometimes_slow(engine).await;
            let fast = TestServer::start_on(engine).await;
            let builder = quick(engine).extension(false);
            let client = one_each(builder, &[slow.addr, fast.addr]).await;
            // One slow call to the slow server, one quick to the other.
            let first = client.clone().oneshot(Message::new("s", "slow"));
            let second = client.clone().oneshot(Message::new("q", "quick"));
            let (first, second) = tokio::join!(first, second);
            first.unwrap();
            second.unwrap();
            let status = client.endpoints().status();
            assert_eq!(status[0].server_delay, None, "nothing reported with the extension off");
            assert!(status[0].round_trip.unwrap() >= Duration::from_millis(30));
            let before = slow.stats.snapshot().requests;
            for i in 0..64 {
                client.clone().oneshot(Message::new(format!("c{i}"), "quick")).await.unwrap();
            }
            let to_slow = slow.stats.snapshot().requests - before;
            assert!(to_slow <= 8, "{to_slow} of 64 calls went to the slow server");
            slow.stop().await;
            fast.stop().await;
        })
    }
}
