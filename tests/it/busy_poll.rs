//! Busy polling on the server: a polling connection lets others be served
//! and still goes idle, on a real and on a paused clock. Every test runs on
//! each server engine.

use std::time::Duration;

use crate::support::engines::per_engine;
use crate::support::raw::{still_serves, Raw};
use crate::support::server::TestServer;
use crate::support::time::{with_paused_clock, with_real_clock};
use jsonmux::{Code, Engine, ServerBuilder};

/// A server that busy-polls for `window` with the given idle timeout, and
/// a connection to it that has been answered once (so it is busy polling now).
async fn busy_polling(
    engine: Engine,
    window: Duration,
    idle: Option<Duration>,
) -> (TestServer, Raw) {
    let polls = ServerBuilder::new()
        .engine(engine)
        .busy_poll(Some(window))
        .idle_timeout(idle);
    let s = TestServer::start_with(polls).await;
    let mut polling = Raw::connect(s.addr).await;
    polling.send(br#"{"Uid":"a","Val":"1"}"#).await;
    assert_eq!(polling.resp().await.uid, "a");
    (s, polling)
}

per_engine! {
    /// A connection busy-polling for 60 s on the test's one thread lets others be served.
    fn a_busy_polling_connection_lets_others_be_served(engine: Engine) {
        // If busy polling held the thread, no other connection would be served.
        with_real_clock(move || async move {
            let (s, mut polling) = busy_polling(engine, Duration::from_secs(60), None).await;
            still_serves(s.addr).await;
            polling.send(br#"{"Uid":"b","Val":"2"}"#).await;
            assert_eq!(polling.resp().await.uid, "b", "answered while polling");
        });
    }
}

per_engine! {
    /// A connection busy-polling for 60 s still goes idle (real time: the window is real time).
    fn a_busy_polling_connection_still_goes_idle(engine: Engine) {
        // If busy polling held off the clock, the idle timeout would not come.
        with_real_clock(move || async move {
            let idle = Some(Duration::from_millis(50));
            let (_s, mut polling) = busy_polling(engine, Duration::from_secs(60), idle).await;
            polling.expect_error_then_close(Code::IdleTimeout).await;
        });
    }
}

per_engine! {
    /// A connection busy-polling a short real-time window goes idle on a paused clock.
    fn a_busy_polling_connection_goes_idle_on_a_paused_clock(engine: Engine) {
        // A paused clock only moves while nothing is ready to run: polling
        // timed by that clock would never end, and no timer would ever fire.
        with_paused_clock(move || async move {
            let idle = Some(Duration::from_millis(300));
            let (_s, mut polling) = busy_polling(engine, Duration::from_micros(50), idle).await;
            polling.expect_error_then_close(Code::IdleTimeout).await;
        });
    }
}
