//! Spans: a handler's events say which request and which peer they are
//! about, at the level the server is told.

use crate::support::logs::Logs;
use crate::support::raw::Raw;
use crate::support::server::TestServer;
use crate::support::time::with_paused_clock;
use jsonmux::{HelloService, Message, ServerBuilder};
use tower::BoxError;

/// Serves requests with a handler that logs `handling <val>` at `INFO`;
/// returns the log line of the request sent, and the client's address.
async fn handler_log_line(builder: ServerBuilder) -> (String, std::net::SocketAddr) {
    let (logs, _guard) = Logs::capture_info();
    let logging = |_: &_| {
        tower::service_fn(|msg: Message| async move {
            tracing::info!("handling {}", msg.val);
            Ok::<_, BoxError>(HelloService::hello(msg))
        })
    };
    let s = TestServer::start_at("127.0.0.1:0", builder, logging).await;
    let mut raw = Raw::connect(s.addr).await;
    raw.send(br#"{"Uid":"traced-1","Val":"pig"}"#).await;
    assert_eq!(raw.resp().await.uid, "traced-1");
    let lines = logs.lines_with("handling pig");
    assert_eq!(lines.len(), 1, "{lines:?}");
    (lines[0].clone(), raw.writer.local_addr().unwrap())
}

/// With `span_level(INFO)`, an `info!` in a handler carries the request's `Uid` and the peer's address.
#[test]
fn at_span_level_info_a_handlers_events_carry_the_uid_and_the_peer() {
    with_paused_clock(|| async {
        let builder = ServerBuilder::new().span_level(tracing::Level::INFO);
        let (line, peer) = handler_log_line(builder).await;
        assert!(line.contains("uid=traced-1"), "{line}");
        assert!(line.contains(&peer.to_string()), "{line}");
    });
}

/// By default the spans are at `DEBUG`: an `INFO` subscriber gets a handler's event without them.
#[test]
fn by_default_the_spans_are_debug_and_an_info_subscriber_leaves_them_out() {
    with_paused_clock(|| async {
        let (line, peer) = handler_log_line(ServerBuilder::new()).await;
        assert!(!line.contains("uid="), "{line}");
        assert!(!line.contains(&peer.to_string()), "{line}");
    });
}
