//! Builder options: every setter chains, and the terminal call refuses a
//! value an option cannot take, naming the option and the value, before
//! it dials or binds anything.

use std::time::Duration;

use jsonmux::{ClientBuilder, Error, ServerBuilder};

/// The option `e` names, if it is an `InvalidOption`.
fn refused(e: Error) -> &'static str {
    match e {
        Error::InvalidOption { option, .. } => option,
        other => panic!("not an invalid option: {other:?}"),
    }
}

const ZERO: Option<Duration> = Some(Duration::ZERO);

/// A zero limit on the client is refused by the terminal call, whichever
/// the option: no zero is accepted silently.
#[tokio::test]
async fn every_zero_limit_of_the_client_is_refused_by_the_terminal_call() {
    let zeros: [(&str, ClientBuilder); 14] = [
        (
            "request_timeout",
            ClientBuilder::new().request_timeout(ZERO),
        ),
        (
            "dial_timeout",
            ClientBuilder::new().dial_timeout(Duration::ZERO),
        ),
        ("read_timeout", ClientBuilder::new().read_timeout(ZERO)),
        ("write_timeout", ClientBuilder::new().write_timeout(ZERO)),
        ("busy_poll", ClientBuilder::new().busy_poll(ZERO)),
        (
            "abandoned_timeout",
            ClientBuilder::new().abandoned_timeout(ZERO),
        ),
        ("keepalive_time", ClientBuilder::new().keepalive_time(ZERO)),
        (
            "tcp_user_timeout",
            ClientBuilder::new().tcp_user_timeout(ZERO),
        ),
        ("pool_size", ClientBuilder::new().pool_size(0)),
        (
            "concurrency_limit",
            ClientBuilder::new().concurrency_limit(Some(0)),
        ),
        ("buffer", ClientBuilder::new().buffer(Some(0))),
        ("max_frame_len", ClientBuilder::new().max_frame_len(0)),
        ("max_queued_bytes", ClientBuilder::new().max_queued_bytes(0)),
        ("max_abandoned", ClientBuilder::new().max_abandoned(Some(0))),
    ];
    for (option, builder) in zeros {
        let connect = builder.clone().connect("127.0.0.1:9").await.unwrap_err();
        assert_eq!(refused(connect), option);
        assert_eq!(
            refused(builder.connect_lazy(["127.0.0.1:9"]).unwrap_err()),
            option
        );
    }
}

/// A zero limit on the server is refused by `bind`, whichever the option.
#[tokio::test]
async fn every_zero_limit_of_the_server_is_refused_by_bind() {
    let zeros: [(&str, ServerBuilder); 8] = [
        (
            "handler_timeout",
            ServerBuilder::new().handler_timeout(ZERO),
        ),
        ("idle_timeout", ServerBuilder::new().idle_timeout(ZERO)),
        ("frame_timeout", ServerBuilder::new().frame_timeout(ZERO)),
        ("write_timeout", ServerBuilder::new().write_timeout(ZERO)),
        ("busy_poll", ServerBuilder::new().busy_poll(ZERO)),
        ("max_connections", ServerBuilder::new().max_connections(0)),
        ("max_in_flight", ServerBuilder::new().max_in_flight(0)),
        (
            "max_concurrent_requests",
            ServerBuilder::new().max_concurrent_requests(Some(0)),
        ),
    ];
    for (option, builder) in zeros {
        assert_eq!(
            refused(builder.bind("127.0.0.1:0").await.unwrap_err()),
            option
        );
    }
}

/// The first invalid option, in the order of the setters, is the one named;
/// a valid chain connects with one `?`.
#[tokio::test]
async fn the_first_invalid_option_is_named_with_its_value() {
    let e = ClientBuilder::new()
        .backoff(Duration::from_secs(2), Duration::from_secs(1))
        .pool_size(0)
        .connect_lazy(["127.0.0.1:9"])
        .unwrap_err();
    assert_eq!(e.to_string(), "invalid pool_size 0: must be at least 1");
    let e = ClientBuilder::new()
        .backoff(Duration::from_secs(2), Duration::from_secs(1))
        .connect_lazy(["127.0.0.1:9"])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid backoff (2s, 1s): min must not exceed max"
    );
}
