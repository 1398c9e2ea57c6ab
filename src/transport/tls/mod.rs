//! TLS and mutual TLS with rustls (the `tls` feature), over any transport.
//!
//! ```text
//! client   connector (TCP, Unix, yours) ─ TLS handshake: server cert checked against the CA roots
//!          and the name dialed; ours shown if asked ─ connection
//! server   listener or incoming ─ permit ─ TLS handshake within the handshake timeout: client cert
//!          required and verified if there is a client CA ─ ConnInfo::peer_identity ─ connection
//! ```
//!
//! [`ClientTls`] goes to [`ClientBuilder::tls`](crate::ClientBuilder::tls),
//! [`ServerTls`] to [`ServerBuilder::tls`](crate::ServerBuilder::tls). Both
//! read PEM files (or bytes), or take a [`rustls`] configuration of your
//! own. The crypto is rustls's `ring` provider; TLS 1.3 and 1.2.
//!
//! # Examples
//!
//! A mutual-TLS server, and a client with a certificate it accepts:
//!
//! ```no_run
//! use jsonmux::tls::{ClientTls, ServerTls};
//! use jsonmux::{ClientBuilder, HelloService, Server};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
//! let tls = ServerTls::from_pem_files("server.pem", "server.key").client_ca_pem_file("ca.pem");
//! let server = Server::builder().tls(tls).bind("127.0.0.1:3443").await?;
//! tokio::spawn(server.serve(HelloService, std::future::pending::<()>()));
//!
//! let tls = ClientTls::new()
//!     .ca_pem_file("ca.pem")
//!     .identity_pem_files("client.pem", "client.key")
//!     .server_name("localhost");
//! let client = ClientBuilder::new().tls(tls).connect("127.0.0.1:3443").await?;
//! # Ok(()) }
//! ```

mod client;
mod identity;
mod pem;
mod server;

use std::fmt;
use std::sync::Arc;

pub use client::ClientTls;
pub(crate) use client::TlsConnector;
pub use server::ServerTls;
pub(crate) use server::{Refused, TlsAcceptor};
/// The rustls version jsonmux uses, for [`ClientTls::from_rustls`] and
/// [`ServerTls::from_rustls`].
pub use tokio_rustls::rustls;

use crate::Error;

/// The crypto every configuration made here uses.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS setup step that failed, and why.
#[derive(Debug)]
struct Setup {
    what: String,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for Setup {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|e| e as _)
    }
}

/// [`Error::Tls`] for a step (`what`) that failed because of `cause`.
fn setup_error(
    what: impl Into<String>,
    cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Tls(Arc::new(Setup {
        what: what.into(),
        cause: Some(cause.into()),
    }))
}

/// [`Error::Tls`] for a step that cannot be done, with no cause below.
fn setup_failed(what: impl Into<String>) -> Error {
    Error::Tls(Arc::new(Setup {
        what: what.into(),
        cause: None,
    }))
}
