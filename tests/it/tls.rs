//! TLS and mutual TLS, and the attacks a server reachable by others gets:
//! plaintext on the TLS port, missing, foreign or expired client
//! certificates, slow handshakes, a server certificate for another name.

use std::sync::Arc;
use std::time::Duration;

use crate::support::certs::{Ca, Issued};
use crate::support::raw::Raw;
use crate::support::server::{scripted, TestServer};
use crate::support::time::{bounded, eventually, with_paused_clock};
use jsonmux::server::DEFAULT_TLS_HANDSHAKE_TIMEOUT;
use jsonmux::tls::{rustls, ClientTls, ServerTls};
use jsonmux::{ClientBuilder, ConnInfo, Error, Message, Resp, ServerBuilder};
use rcgen::SanType;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tower::ServiceExt;

/// A CA, and a server certificate it signed for the loopback address.
struct Pki {
    ca: Ca,
    server: Issued,
}

impl Pki {
    fn new() -> Pki {
        let ca = Ca::new("jsonmux test CA");
        let server = ca.server(&["127.0.0.1", "localhost"]);
        Pki { ca, server }
    }

    /// A builder for a server with this PKI's certificate; with
    /// `mutual`, it requires client certificates from the CA.
    fn server_builder(&self, mutual: bool) -> ServerBuilder {
        let mut tls =
            ServerTls::from_pem(self.server.cert.as_bytes(), self.server.key.as_bytes()).unwrap();
        if mutual {
            tls = tls.client_ca_pem(self.ca.pem().as_bytes()).unwrap();
        }
        ServerBuilder::new().tls(tls).unwrap()
    }

    /// Client settings that trust this PKI's CA.
    fn client_tls(&self) -> ClientTls {
        ClientTls::new().ca_pem(self.ca.pem().as_bytes()).unwrap()
    }
}

/// A client builder over TLS, showing `identity` if given.
fn client(pki: &Pki, identity: Option<&Issued>) -> ClientBuilder {
    let mut tls = pki.client_tls();
    if let Some(id) = identity {
        tls = tls
            .identity_pem(id.cert.as_bytes(), id.key.as_bytes())
            .unwrap();
    }
    ClientBuilder::new().tls(tls).unwrap()
}

/// A client refused by a mutual-TLS server fails its first call (TLS 1.3
/// ends the client's handshake before the server has checked its
/// certificate) with the server's alert; the server counts the refusal.
async fn assert_refused(server: &TestServer, client: ClientBuilder, alert: &str) {
    let err = match client.connect_bare(server.addr).await {
        Err(e) => e,
        Ok(conn) => conn
            .oneshot(Message::new("in", "please"))
            .await
            .unwrap_err(),
    };
    assert!(err.report().contains(alert), "{}", err.report());
    eventually("the refusal counted", || {
        server.stats.snapshot().tls_handshake_failures == 1
    })
    .await;
    assert_eq!(server.stats.snapshot().requests, 0);
}

/// A mutual-TLS server serves a pooled client with a certificate from its CA.
#[tokio::test]
async fn a_mutual_tls_server_serves_a_client_with_a_valid_certificate() {
    let pki = Pki::new();
    let s = TestServer::start_at("127.0.0.1:0", pki.server_builder(true), scripted).await;
    let id = pki.ca.client("billing", Vec::new());
    let client = client(&pki, Some(&id)).connect(s.addr).await.unwrap();
    let calls: Vec<_> = (0..100)
        .map(|i| {
            tokio::spawn(
                client
                    .clone()
                    .oneshot(Message::new(format!("t{i}"), "sealed")),
            )
        })
        .collect();
    for call in calls {
        let resp = bounded("a call over mutual TLS", call)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(resp.val, "server: hello, sealed");
    }
    assert_eq!(s.stats.snapshot().tls_handshake_failures, 0);
    s.stop().await;
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
            async move {
                Ok::<_, Error>(Resp {
                    uid: msg.uid,
                    val,
                    ..Resp::default()
                })
            }
        })
    };
    let s = TestServer::start_per_connection(pki.server_builder(true), make).await;
    let sans = vec![
        SanType::DnsName("billing.internal".try_into().unwrap()),
        SanType::URI("spiffe://pigs.example/billing".try_into().unwrap()),
    ];
    let id = pki.ca.client("billing", sans);
    let conn = client(&pki, Some(&id)).connect_bare(s.addr).await.unwrap();
    let resp = conn.oneshot(Message::new("who", "am I")).await.unwrap();
    assert_eq!(
        resp.val,
        "CN=billing|billing.internal|spiffe://pigs.example/billing"
    );
    s.stop().await;
}

/// A client without a certificate is refused by a mutual-TLS server.
#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let pki = Pki::new();
    let s = TestServer::start_at("127.0.0.1:0", pki.server_builder(true), scripted).await;
    assert_refused(&s, client(&pki, None), "CertificateRequired").await;
}

/// A client certificate from another CA is refused.
#[tokio::test]
async fn a_client_certificate_from_another_ca_is_refused() {
    let pki = Pki::new();
    let s = TestServer::start_at("127.0.0.1:0", pki.server_builder(true), scripted).await;
    let stranger = Ca::new("another CA").client("mallory", Vec::new());
    assert_refused(&s, client(&pki, Some(&stranger)), "UnknownCA").await;
}

/// An expired client certificate is refused.
#[tokio::test]
async fn an_expired_client_certificate_is_refused() {
    let pki = Pki::new();
    let s = TestServer::start_at("127.0.0.1:0", pki.server_builder(true), scripted).await;
    let expired = pki.ca.expired_client("billing");
    assert_refused(&s, client(&pki, Some(&expired)), "CertificateExpired").await;
}

/// A client refuses a server whose certificate is for another name.
#[tokio::test]
async fn a_client_refuses_a_server_certificate_for_another_name() {
    let pki = Pki::new();
    let other = pki.ca.server(&["pigs.example"]);
    let tls = ServerTls::from_pem(other.cert.as_bytes(), other.key.as_bytes()).unwrap();
    let s = TestServer::start_at(
        "127.0.0.1:0",
        ServerBuilder::new().tls(tls).unwrap(),
        scripted,
    )
    .await;
    let err = client(&pki, None).connect(s.addr).await.unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(
        err.report().contains("not valid for name"),
        "{}",
        err.report()
    );

    // The same certificate is accepted for the name it is for.
    let tls = pki.client_tls().server_name("pigs.example").unwrap();
    let client = ClientBuilder::new()
        .tls(tls)
        .unwrap()
        .connect(s.addr)
        .await
        .unwrap();
    assert_eq!(
        client.oneshot(Message::new("n", "ame")).await.unwrap().uid,
        "n"
    );
    s.stop().await;
}

/// Plaintext on the TLS port is closed at once and counted, and frees its slot for the next client.
#[test]
fn a_plaintext_client_on_the_tls_port_is_closed_at_once_holding_no_slot() {
    with_paused_clock(|| async {
        let pki = Pki::new();
        let builder = pki.server_builder(false).max_connections(1).unwrap();
        let s = TestServer::start_at("127.0.0.1:0", builder, scripted).await;
        let mut raw = Raw::connect(s.addr).await;
        let started = Instant::now();
        raw.send(br#"{"Uid":"plain","Val":"text"}"#).await;
        let mut rest = Vec::new();
        bounded("the server to close", raw.reader.read_to_end(&mut rest))
            .await
            .unwrap();
        assert!(!rest.starts_with(b"{"), "no plaintext answer: {rest:?}");
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "closed at once, no timeout involved"
        );
        let snap = s.stats.snapshot();
        assert_eq!((snap.tls_handshake_failures, snap.requests), (1, 0));
        eventually("its slot freed", || {
            s.stats.snapshot().connections_open == 0
        })
        .await;

        let client = client(&pki, None).connect(s.addr).await.unwrap();
        assert_eq!(
            client.oneshot(Message::new("tls", "x")).await.unwrap().uid,
            "tls"
        );
        s.stop().await;
    });
}

/// A handshake sent one byte a second is cut at the handshake timeout, and counted.
#[test]
fn a_handshake_dribbled_one_byte_a_second_is_cut_at_the_handshake_timeout() {
    with_paused_clock(|| async {
        let pki = Pki::new();
        let s = TestServer::start_at("127.0.0.1:0", pki.server_builder(true), scripted).await;
        let hello = client_hello(&pki);
        assert!(hello.len() > 100, "more bytes than seconds in the timeout");

        let mut raw = Raw::connect(s.addr).await;
        let started = Instant::now();
        let mut end = [0u8; 1];
        for byte in &hello {
            if raw.writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = raw.reader.read(&mut end) => break,
            }
        }
        assert_eq!(started.elapsed(), DEFAULT_TLS_HANDSHAKE_TIMEOUT);
        let snap = s.stats.snapshot();
        assert_eq!((snap.tls_handshake_timeouts, snap.connections_open), (1, 0));
        s.stop().await;
    });
}

/// The first flight of a TLS client trusting `pki`: its ClientHello.
fn client_hello(pki: &Pki) -> Vec<u8> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca.pem().as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = "localhost".try_into().unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    hello
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
        .unwrap()
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
        client.pool().endpoints()[0].connections == 0
    })
    .await;

    let again = TestServer::start_at(addr, pki.server_builder(true), scripted).await;
    eventually("the pool reconnects", || {
        client.pool().endpoints()[0].connections > 0
    })
    .await;
    assert_eq!(
        client
            .oneshot(Message::new("after", "x"))
            .await
            .unwrap()
            .uid,
        "after"
    );
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

    let err = client(&pki, None)
        .connect_bare(endpoint.clone())
        .await
        .unwrap_err();
    assert!(
        err.report().contains("ClientTls::server_name"),
        "{}",
        err.report()
    );
    let tls = pki.client_tls().server_name("localhost").unwrap();
    let client = ClientBuilder::new()
        .tls(tls)
        .unwrap()
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
