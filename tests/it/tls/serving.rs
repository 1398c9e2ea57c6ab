//! TLS serving: mutual TLS, the client identity, reconnects, TLS over
//! Unix sockets and over the user's own transports.

use std::time::Duration;

use super::{client, Pki};
use crate::support::calls::{all_answered, spawn_calls};
use crate::support::engines::per_engine;
use crate::support::server::{scripted, TestServer};
use crate::support::time::{bounded, eventually};
use jsonmux::{ClientBuilder, ConnInfo, Error, Message, Resp};
use rcgen::SanType;
use tower::ServiceExt;

per_engine! {
    /// A mutual-TLS server serves a pooled client with a certificate from its CA.
    async fn a_mutual_tls_server_serves_a_client_with_a_valid_certificate(engine: Engine) {
        let pki = Pki::new();
        let s = TestServer::start_at("127.0.0.1:0", pki.server_builder(true), scripted).await;
        let id = pki.ca.client("billing", Vec::new());
        let client = client(&pki, Some(&id))
            .engine(engine)
            .connect(s.addr)
            .await
            .unwrap();
        let calls = spawn_calls(&client, "t", 100, "sealed");
        for resp in all_answered(calls).await {
            assert_eq!(resp.val, "server: hello, sealed");
        }
        assert_eq!(s.stats.snapshot().tls_handshake_failures, 0);
        s.stop().await;
    }
}

/// A handler made per connection sees the verified client identity: subject, DNS and URI SANs.
#[tokio::test]
async fn a_handler_sees_the_client_identity() {
    let pki = Pki::new();
    let make = |conn: &ConnInfo| {
        let id = conn.peer_identity.clone().expect("a verified identity");
        tower::service_fn(move |msg: Message| {
            let val = format!(
                "{}|{}|{}",
                id.subject,
                id.dns_names.join(","),
                id.uris.join(",")
            );
            async move { Ok::<_, Error>(Resp::new(msg.uid, val)) }
        })
    };
    let s = TestServer::start_per_connection(pki.server_builder(true), make).await;
    let sans = vec![
        SanType::DnsName("billing.internal".try_into().unwrap()),
        SanType::URI("spiffe://pigs.example/billing".try_into().unwrap()),
    ];
    let id = pki.ca.client("billing", sans);
    let conn = client(&pki, Some(&id)).dial(s.addr).await.unwrap();
    let resp = conn.oneshot(Message::new("who", "am I")).await.unwrap();
    assert_eq!(
        resp.val,
        "CN=billing|billing.internal|spiffe://pigs.example/billing"
    );
    s.stop().await;
}

/// A pooled TLS client reconnects, handshake and all, when its server restarts on the same port.
#[tokio::test]
async fn a_tls_client_reconnects_when_the_server_restarts() {
    let pki = Pki::new();
    let s = TestServer::start_at("127.0.0.1:0", pki.server_builder(true), scripted).await;
    let addr = s.addr;
    let id = pki.ca.client("billing", Vec::new());
    let client = client(&pki, Some(&id))
        .backoff(Duration::from_millis(5), Duration::from_millis(50))
        .connect(addr)
        .await
        .unwrap();
    assert_eq!(
        client
            .clone()
            .oneshot(Message::new("before", "x"))
            .await
            .unwrap()
            .uid,
        "before"
    );
    s.stop().await;
    eventually("the pool sees the server go", || {
        client.endpoints().status()[0].connections == 0
    })
    .await;

    let again = TestServer::start_at(addr, pki.server_builder(true), scripted).await;
    eventually("the pool reconnects", || {
        client.endpoints().status()[0].connections > 0
    })
    .await;
    assert_eq!(
        client
            .clone()
            .oneshot(Message::new("after", "x"))
            .await
            .unwrap()
            .uid,
        "after"
    );
    // (Checked with the client alive: one dropped in the middle of a
    // handshake is a failed handshake to the server.)
    assert_eq!(again.stats.snapshot().tls_handshake_failures, 0);
    again.stop().await;
}

/// TLS runs over a Unix socket too, checking the certificate against the name set.
#[tokio::test]
async fn tls_runs_over_a_unix_socket_with_a_server_name() {
    let pki = Pki::new();
    let path = std::env::temp_dir().join(format!("jsonmux-{}-tls.sock", std::process::id()));
    let server = pki.server_builder(false).bind_unix(&path).await.unwrap();
    let endpoint = server.endpoint().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(jsonmux::HelloService, stopped));

    let err = client(&pki, None).dial(endpoint.clone()).await.unwrap_err();
    assert!(
        err.report().contains("ClientTls::server_name"),
        "{}",
        err.report()
    );
    let tls = pki.client_tls().server_name("localhost");
    let client = ClientBuilder::new()
        .tls(tls)
        .connect(endpoint)
        .await
        .unwrap();
    assert_eq!(
        client.oneshot(Message::new("u", "x")).await.unwrap().val,
        "server: hello, x"
    );
    stop.send(()).unwrap();
    bounded("the drain", serving).await.unwrap().unwrap();
}

per_engine! {
    /// TLS over the user's own transports (a connector and an incoming stream
    /// of 2 KiB pipes): a burst of 512 calls, far more than a pipe holds, is
    /// answered in full, every record the TLS session holds back flushed.
    async fn a_burst_over_tls_on_small_pipes_is_answered_in_full(engine: Engine) {
        let pki = Pki::new();
        let (to_server, mut accepted) = tokio::sync::mpsc::unbounded_channel();
        let incoming = futures_util::stream::poll_fn(move |cx| {
            accepted
                .poll_recv(cx)
                .map(|pipe| pipe.map(|p| Ok::<_, std::io::Error>((p, ConnInfo::default()))))
        });
        let server = pki.server_builder(false).incoming(incoming).unwrap();
        tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
        let connector = tower::service_fn(move |_: jsonmux::Addr| {
            let (ours, theirs) = tokio::io::duplex(2048);
            let sent = to_server.send(theirs);
            async move {
                sent.map(|()| ours)
                    .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            }
        });
        let tls = pki.client_tls().server_name("localhost");
        let client = ClientBuilder::new()
            .engine(engine)
            .pool_size(1)
            .connector(connector)
            .tls(tls)
            .connect("pipe:0")
            .await
            .unwrap();
        let calls = spawn_calls(&client, "b", 512, "burst");
        for resp in all_answered(calls).await {
            assert_eq!(resp.val, "server: hello, burst");
        }
    }
}
