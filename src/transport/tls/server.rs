//! [`ServerTls`]: the server's certificate, whom it asks for one, and the
//! handshake every accepted connection makes, within its timeout.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::server::TlsStream;

use super::pem::Pem;
use super::{identity, provider, setup_error};
use crate::{ConnInfo, Error};

/// Default time a connection gets to finish its TLS handshake: 10 s.
pub(crate) const DEFAULT_TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server's TLS settings: its certificate chain and key, and, for mutual
/// TLS, the CA its clients' certificates must chain to. Give it to
/// [`ServerBuilder::tls`](crate::ServerBuilder::tls).
///
/// With a client CA, a client without a valid certificate from it (none,
/// another CA's, an expired one) is refused during the handshake, and the
/// identity in the certificate of one that has it is in its connection's
/// [`ConnInfo::peer_identity`].
///
/// Every handshake must finish within the
/// [handshake timeout](ServerTls::handshake_timeout), so a client that
/// sends nothing or dribbles its handshake cannot hold a connection slot
/// for longer.
///
/// The setters chain and only record what to use: files are read, and
/// everything checked, by the builder's terminal call (`bind`, …), which
/// fails with [`Error::Tls`] (a file that cannot be read or holds no
/// certificate or key, a key that does not fit its certificate, a client
/// CA that cannot verify clients) or [`Error::InvalidOption`].
///
/// # Examples
///
/// ```no_run
/// use jsonmux::tls::ServerTls;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// let tls = ServerTls::from_pem_files("server.pem", "server.key").client_ca_pem_file("clients-ca.pem");
/// let server = jsonmux::Server::builder().tls(tls).bind("0.0.0.0:3443").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct ServerTls {
    /// The server's chain and key, or a whole rustls configuration.
    source: Source,
    /// Clients must show a certificate that chains to these.
    client_ca: Vec<Pem>,
    handshake_timeout: Duration,
}

#[derive(Clone)]
enum Source {
    Identity(Pem, Pem),
    Rustls(Arc<ServerConfig>),
}

impl ServerTls {
    /// The server's certificate chain (its own first) and private key,
    /// from PEM files.
    pub fn from_pem_files(cert_chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        let chain = Pem::File(cert_chain.as_ref().to_owned());
        ServerTls::new(Source::Identity(chain, Pem::File(key.as_ref().to_owned())))
    }

    /// [`from_pem_files`](ServerTls::from_pem_files) from PEM text.
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Self {
        let chain = Pem::Bytes(cert_chain.to_owned());
        ServerTls::new(Source::Identity(chain, Pem::Bytes(key.to_owned())))
    }

    /// A rustls configuration of your own, used as is (its certificate,
    /// client verification and crypto provider): the client CA setters do
    /// not apply, the handshake timeout does, and a client certificate it
    /// verified still shows in [`ConnInfo::peer_identity`].
    pub fn from_rustls(config: Arc<ServerConfig>) -> Self {
        ServerTls::new(Source::Rustls(config))
    }

    fn new(source: Source) -> Self {
        ServerTls {
            source,
            client_ca: Vec::new(),
            handshake_timeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT,
        }
    }

    /// Requires every client to show a certificate that chains to the CA
    /// certificates in this PEM file (mutual TLS). Call it again to trust
    /// several.
    pub fn client_ca_pem_file(mut self, path: impl AsRef<Path>) -> Self {
        self.client_ca.push(Pem::File(path.as_ref().to_owned()));
        self
    }

    /// [`client_ca_pem_file`](ServerTls::client_ca_pem_file) from PEM text.
    pub fn client_ca_pem(mut self, pem: &[u8]) -> Self {
        self.client_ca.push(Pem::Bytes(pem.to_owned()));
        self
    }

    /// Time from accept to a finished handshake; a connection past it is
    /// closed and counted in `tls_handshake_timeouts`. Default: 10 s.
    pub fn handshake_timeout(mut self, limit: Duration) -> Self {
        self.handshake_timeout = limit;
        self
    }

    /// The acceptor these settings make: every file read, everything checked.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for a zero handshake timeout; [`Error::Tls`]
    /// for a file that cannot be read or holds nothing usable, a key that
    /// does not fit the certificate, or a client CA certificate that
    /// cannot verify clients.
    pub(crate) fn build(&self) -> Result<TlsAcceptor, Error> {
        crate::check::time("handshake_timeout", self.handshake_timeout)?;
        let config = match &self.source {
            Source::Rustls(config) => config.clone(),
            Source::Identity(chain, key) => Arc::new(self.config_from_pem(chain, key)?),
        };
        Ok(TlsAcceptor {
            inner: config.into(),
            handshake_timeout: self.handshake_timeout,
        })
    }

    /// The rustls configuration of the certificate, key and client CA given.
    fn config_from_pem(&self, chain: &Pem, key: &Pem) -> Result<ServerConfig, Error> {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| setup_error("the TLS protocol versions", e))?;
        let builder = match &self.client_ca[..] {
            [] => builder.with_no_client_auth(),
            cas => {
                let mut roots = RootCertStore::empty();
                for pem in cas {
                    pem.add_to(&mut roots)?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                        .build()
                        .map_err(|e| setup_error("the client CA", e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        builder
            .with_single_cert(chain.certs()?, key.key()?)
            .map_err(|e| setup_error("the server certificate and key", e))
    }
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Identity(chain, key) => format!("certificates {chain:?}, key {key:?}"),
            Source::Rustls(_) => "a rustls ServerConfig".to_owned(),
        };
        f.debug_struct("ServerTls")
            .field("source", &source)
            .field("client_ca", &self.client_ca)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish()
    }
}

/// Why a handshake did not give a connection.
#[derive(Debug)]
pub(crate) enum Refused {
    /// It failed: not TLS, a client certificate missing or not trusted, …
    Failed(io::Error),
    /// It did not finish within the handshake timeout.
    TimedOut(Duration),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Failed(e) => write!(f, "tls handshake failed: {e}"),
            Refused::TimedOut(d) => write!(f, "tls handshake not finished within {d:?}"),
        }
    }
}

/// The handshake every accepted connection makes, from [`ServerTls`].
#[derive(Clone)]
pub(crate) struct TlsAcceptor {
    inner: tokio_rustls::TlsAcceptor,
    handshake_timeout: Duration,
}

impl TlsAcceptor {
    /// Makes the handshake over `io` within the handshake timeout, and
    /// puts the verified client identity, if any, in `info`.
    pub(crate) async fn accept<T>(
        &self,
        io: T,
        info: &mut ConnInfo,
    ) -> Result<TlsStream<T>, Refused>
    where
        T: AsyncRead + AsyncWrite + Unpin,
    {
        let stream = tokio::time::timeout(self.handshake_timeout, self.inner.accept(io))
            .await
            .map_err(|_| Refused::TimedOut(self.handshake_timeout))?
            .map_err(Refused::Failed)?;
        let (_, session) = stream.get_ref();
        if let Some(cert) = session.peer_certificates().and_then(|chain| chain.first()) {
            info.peer_identity = Some(identity::read(cert));
        }
        Ok(stream)
    }
}

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptor")
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}
