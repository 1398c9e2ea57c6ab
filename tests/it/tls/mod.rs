//! TLS and mutual TLS, and the attacks a server reachable by others gets:
//! plaintext on the TLS port, missing, foreign or expired client
//! certificates, slow handshakes, a server certificate for another name.

mod attacks;
mod serving;

use crate::support::certs::{Ca, Issued};
use crate::support::server::TestServer;
use crate::support::time::eventually;
use jsonmux::tls::{ClientTls, ServerTls};
use jsonmux::{ClientBuilder, Message, ServerBuilder};
use tower::ServiceExt;

/// A CA, and a server certificate it signed for the loopback address.
pub(super) struct Pki {
    pub(super) ca: Ca,
    server: Issued,
}

impl Pki {
    pub(super) fn new() -> Pki {
        let ca = Ca::new("jsonmux test CA");
        let server = ca.server(&["127.0.0.1", "localhost"]);
        Pki { ca, server }
    }

    /// A builder for a server with this PKI's certificate; with
    /// `mutual`, it requires client certificates from the CA.
    pub(super) fn server_builder(&self, mutual: bool) -> ServerBuilder {
        let mut tls = ServerTls::from_pem(self.server.cert.as_bytes(), self.server.key.as_bytes());
        if mutual {
            tls = tls.client_ca_pem(self.ca.pem().as_bytes());
        }
        ServerBuilder::new().tls(tls)
    }

    /// Client settings that trust this PKI's CA.
    pub(super) fn client_tls(&self) -> ClientTls {
        ClientTls::new().ca_pem(self.ca.pem().as_bytes())
    }
}

/// A client builder over TLS, showing `identity` if given.
pub(super) fn client(pki: &Pki, identity: Option<&Issued>) -> ClientBuilder {
    let mut tls = pki.client_tls();
    if let Some(id) = identity {
        tls = tls.identity_pem(id.cert.as_bytes(), id.key.as_bytes());
    }
    ClientBuilder::new().tls(tls)
}

/// A client refused by a mutual-TLS server fails its first call (TLS 1.3
/// ends the client's handshake before the server has checked its
/// certificate) with the server's alert; the server counts the refusal.
pub(super) async fn assert_refused(server: &TestServer, client: ClientBuilder, alert: &str) {
    let err = match client.dial(server.addr).await {
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
