//! Attacks on a TLS server, and a server that is not who it claims.

use std::sync::Arc;
use std::time::Duration;

use super::{assert_refused, client, Pki};
use crate::support::certs::Ca;
use crate::support::raw::Raw;
use crate::support::server::{scripted, TestServer};
use crate::support::time::{bounded, eventually, with_paused_clock};
use jsonmux::tls::{rustls, ServerTls};
use jsonmux::{ClientBuilder, Error, Message, ServerBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tower::ServiceExt;

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
    let tls = ServerTls::from_pem(other.cert.as_bytes(), other.key.as_bytes());
    let s = TestServer::start_at("127.0.0.1:0", ServerBuilder::new().tls(tls), scripted).await;
    let err = client(&pki, None).connect(s.addr).await.unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(
        err.report().contains("not valid for name"),
        "{}",
        err.report()
    );

    // The same certificate is accepted for the name it is for.
    let tls = pki.client_tls().server_name("pigs.example");
    let client = ClientBuilder::new().tls(tls).connect(s.addr).await.unwrap();
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
        let builder = pki.server_builder(false).max_connections(1);
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
        s.all_closed().await;

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
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(10),
            "the default handshake timeout"
        );
        let snap = s.stats.snapshot();
        assert_eq!((snap.tls_handshake_timeouts, snap.connections_open), (1, 0));
        s.stop().await;
    });
}

/// A rustls client configuration that trusts `pki`'s CA.
fn client_config(pki: &Pki) -> Arc<rustls::ClientConfig> {
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
    Arc::new(config)
}

/// The first flight of a TLS client trusting `pki`: its ClientHello.
fn client_hello(pki: &Pki) -> Vec<u8> {
    let name = "localhost".try_into().unwrap();
    let mut conn = rustls::ClientConnection::new(client_config(pki), name).unwrap();
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    hello
}

/// A TLS peer that never reads its answers is cut after the write timeout.
#[test]
fn a_tls_client_that_never_reads_its_answers_is_cut_after_the_write_timeout() {
    with_paused_clock(|| async {
        let pki = Pki::new();
        let limit = Some(Duration::from_millis(100));
        let builder = pki.server_builder(false).write_timeout(limit);
        let s = TestServer::start_at("127.0.0.1:0", builder, scripted).await;
        let tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        let config = client_config(&pki);
        let name = "localhost".try_into().unwrap();
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .unwrap();
        let (_never_read, mut write) = tokio::io::split(tls);
        // Big answers, far more than the socket buffers hold.
        let writer = tokio::spawn(async move {
            let val = "x".repeat(64 * 1024);
            for i in 0..1000 {
                let req = format!(r#"{{"Uid":"w{i}","Val":"{val}"}}"#);
                if write.write_all(req.as_bytes()).await.is_err() || write.flush().await.is_err() {
                    break;
                }
            }
        });
        eventually("the non-reader cut", || {
            let snap = s.stats.snapshot();
            (snap.write_timeouts, snap.connections_open) == (1, 0)
        })
        .await;
        writer.abort();
    });
}
