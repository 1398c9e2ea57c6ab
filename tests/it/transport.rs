//! Pluggable transports: a client's own connector, a server over a stream
//! of connections of its own, and services made per connection.

use std::error::Error as _;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::engines::per_engine;
use crate::support::raw::Raw;
use crate::support::server::TestServer;
use crate::support::time::{bounded, with_paused_clock};
use futures_core::Stream;
use futures_util::StreamExt;
use jsonmux::{
    Addr, ClientBuilder, ConnInfo, Error, HelloService, Message, Resp, Server, ServerBuilder,
};
use tokio::io::DuplexStream;
use tokio::sync::mpsc;
use tower::{service_fn, ServiceBuilder, ServiceExt};

/// Server ends of in-memory pipes, as a stream of accepted connections.
fn pipes(
    mut rx: mpsc::UnboundedReceiver<DuplexStream>,
) -> impl Stream<Item = io::Result<(DuplexStream, ConnInfo)>> {
    futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx)
            .map(|pipe| pipe.map(|p| Ok((p, ConnInfo::default()))))
    })
}

/// A connector that dials by making a pipe and handing its other end to
/// the server; it records the addresses it was asked for.
#[derive(Clone)]
struct PipeConnector {
    to_server: mpsc::UnboundedSender<DuplexStream>,
    dialed: Arc<Mutex<Vec<Addr>>>,
}

impl PipeConnector {
    fn dial(&self, addr: Addr) -> io::Result<DuplexStream> {
        self.dialed.lock().unwrap().push(addr);
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        self.to_server
            .send(theirs)
            .map_err(|_| io::Error::from(io::ErrorKind::ConnectionRefused))?;
        Ok(ours)
    }
}

per_engine! {
    /// A pool of two dials through the user's connector, and a server over the
    /// stream of those pipes answers every call.
    async fn a_client_dials_through_its_own_connector_to_a_server_over_its_own_stream(engine: Engine) {
        let (to_server, accepted) = mpsc::unbounded_channel();
        let server = Server::builder().incoming(pipes(accepted)).unwrap();
        let stats = server.stats();
        tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));

        let connector = PipeConnector {
            to_server,
            dialed: Arc::default(),
        };
        let dialed = connector.dialed.clone();
        let client = ClientBuilder::new()
            .engine(engine)
            .pool_size(2)
            .connector(service_fn(move |addr| {
                let c = connector.clone();
                async move { c.dial(addr) }
            }))
            .connect("pigs.example:3000")
            .await
            .unwrap();
        for i in 0..20 {
            let resp = client
                .clone()
                .oneshot(Message::new(format!("p{i}"), "pipe"))
                .await;
            assert_eq!(resp.unwrap().val, "server: hello, pipe");
        }
        crate::support::time::eventually("both dials", || dialed.lock().unwrap().len() == 2).await;
        assert_eq!(dialed.lock().unwrap()[0], Addr::from("pigs.example:3000"));
        assert_eq!(stats.snapshot().connections_total, 2);
    }
}

/// A connector's I/O error is a dial error, `Connect`, with the error as its source.
#[tokio::test]
async fn a_connector_that_fails_is_a_failed_dial() {
    let refuse = service_fn(|_: Addr| async {
        Err::<DuplexStream, _>(io::Error::from(io::ErrorKind::ConnectionRefused))
    });
    let err = ClientBuilder::new()
        .connector(refuse)
        .dial("pigs.example:3000")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect(_)), "{err:?}");
    let io = err.source().and_then(|e| e.downcast_ref::<io::Error>());
    assert_eq!(
        io.map(io::Error::kind),
        Some(io::ErrorKind::ConnectionRefused)
    );
}

/// When its stream of connections ends, the server drains the ones it has and returns.
#[tokio::test]
async fn a_server_whose_stream_of_connections_ends_returns_once_they_are_done() {
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let one = futures_util::stream::iter([Ok::<_, io::Error>((server_end, ConnInfo::default()))]);
    let serving = tokio::spawn(
        Server::builder()
            .incoming(one)
            .unwrap()
            .serve(jsonmux::HelloService, std::future::pending::<()>()),
    );
    let conn = jsonmux::Connection::new(client_end);
    let resp = conn
        .clone()
        .oneshot(Message::new("last", "one"))
        .await
        .unwrap();
    assert_eq!(resp.val, "server: hello, one");
    bounded("the server to drain and return", serving)
        .await
        .unwrap()
        .unwrap();
}

/// Each connection gets its own `RateLimit` (not `Clone`): past 2 a second, that connection's calls are shed.
#[test]
fn serve_with_gives_each_connection_a_rate_limit_of_its_own() {
    with_paused_clock(|| async {
        let make = |_: &ConnInfo| {
            ServiceBuilder::new()
                .rate_limit(2, Duration::from_secs(1))
                .service(service_fn(|msg: Message| async move {
                    Ok::<_, Error>(HelloService::hello(msg))
                }))
        };
        let s = TestServer::start_per_connection(ServerBuilder::new(), make).await;
        let mut first = Raw::connect(s.addr).await;
        let mut second = Raw::connect(s.addr).await;
        first
            .send(br#"{"Uid":"a1","Val":"x"}{"Uid":"a2","Val":"x"}{"Uid":"a3","Val":"x"}"#)
            .await;
        let answers = [first.resp().await, first.resp().await, first.resp().await];
        let shed: Vec<_> = answers.iter().filter(|r| r.code.is_some()).collect();
        assert_eq!(shed.len(), 1, "{answers:?}");
        assert_eq!(shed[0].code, Some(jsonmux::Code::Overloaded));

        second
            .send(br#"{"Uid":"b1","Val":"x"}{"Uid":"b2","Val":"x"}"#)
            .await;
        for _ in 0..2 {
            assert_eq!(
                second.resp().await.code,
                None,
                "the other connection's rate is its own"
            );
        }

        tokio::time::sleep(Duration::from_secs(1)).await;
        first.send(br#"{"Uid":"a4","Val":"x"}"#).await;
        assert_eq!(
            first.resp().await.code,
            None,
            "a new second, a new allowance"
        );
        s.stop().await;
    });
}

/// A service made per connection sees its peer's address.
#[tokio::test]
async fn a_handler_sees_the_address_of_the_peer_calling() {
    let make = |conn: &ConnInfo| {
        let peer = conn.peer_addr;
        service_fn(move |msg: Message| async move {
            let val = peer.map_or("unknown".to_owned(), |p| p.to_string());
            Ok::<_, Error>(Resp::new(msg.uid, val))
        })
    };
    let s = TestServer::start_per_connection(ServerBuilder::new(), make).await;
    let mut raw = Raw::connect(s.addr).await;
    raw.send(br#"{"Uid":"who","Val":"me"}"#).await;
    let me = raw.writer.local_addr().unwrap();
    assert_eq!(raw.resp().await.val, me.to_string());
    s.stop().await;
}

/// A connection idle long enough to give its buffers back (over a pipe, so
/// through any stream) reads the next request whole, then the one after.
#[test]
fn a_connection_that_gave_its_buffers_back_reads_the_next_requests_whole() {
    with_paused_clock(|| async {
        let (client_end, server_end) = tokio::io::duplex(64 * 1024);
        let one =
            futures_util::stream::iter([Ok::<_, io::Error>((server_end, ConnInfo::default()))]);
        let server = Server::builder()
            .incoming(one.chain(futures_util::stream::pending()))
            .unwrap();
        tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
        let conn = jsonmux::Connection::new(client_end);
        for (i, idle) in [0, 5, 5].into_iter().enumerate() {
            tokio::time::sleep(Duration::from_secs(idle)).await;
            let msg = Message::new(format!("idle{i}"), "x".repeat(20_000));
            let resp = conn.clone().oneshot(msg).await.unwrap();
            assert_eq!(resp.uid, format!("idle{i}"));
            assert_eq!(resp.val.len(), "server: hello, ".len() + 20_000);
        }
    });
}
