//! [`ClientTls`]: what a client trusts and shows, and the handshake it
//! makes on every connection it dials.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::pem::Pem;
use super::{provider, setup_error, setup_failed};
use crate::{Addr, Error};

/// A client's TLS settings: the CA roots it trusts, the name it expects
/// the server's certificate to carry, and its own certificate for mutual
/// TLS. Give it to [`ClientBuilder::tls`](crate::ClientBuilder::tls).
///
/// The server's certificate must chain to one of the roots and be valid
/// for the name dialed (the host of `host:port`, an IP address included),
/// or for [`server_name`](ClientTls::server_name) when set.
///
/// The setters chain and only record what to use: files are read, and
/// everything checked, by the builder's terminal call (`connect`, …),
/// which fails with [`Error::Tls`] (a file that cannot be read or holds no
/// certificate or key, a key that does not fit its certificate) or
/// [`Error::InvalidOption`] (no root to trust, a server name that is not
/// one).
///
/// # Examples
///
/// ```no_run
/// use jsonmux::tls::ClientTls;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// let tls = ClientTls::new()
///     .ca_pem_file("ca.pem")
///     .identity_pem_files("client.pem", "client.key");
/// let client = jsonmux::ClientBuilder::new().tls(tls).connect("pigs.example:3443").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClientTls {
    roots: Vec<Pem>,
    system_roots: bool,
    identity: Option<(Pem, Pem)>,
    server_name: Option<String>,
    /// A whole rustls configuration given as is: roots and identity unused.
    config: Option<Arc<ClientConfig>>,
}

impl ClientTls {
    /// Settings that trust nothing yet: add roots with
    /// [`ca_pem_file`](ClientTls::ca_pem_file), [`ca_pem`](ClientTls::ca_pem)
    /// or [`system_roots`](ClientTls::system_roots).
    pub fn new() -> Self {
        ClientTls {
            roots: Vec::new(),
            system_roots: false,
            identity: None,
            server_name: None,
            config: None,
        }
    }

    /// Trusts the CA certificates in a PEM file.
    pub fn ca_pem_file(mut self, path: impl AsRef<Path>) -> Self {
        self.roots.push(Pem::File(path.as_ref().to_owned()));
        self
    }

    /// Trusts the CA certificates in PEM text.
    pub fn ca_pem(mut self, pem: &[u8]) -> Self {
        self.roots.push(Pem::Bytes(pem.to_owned()));
        self
    }

    /// Trusts the system's CA certificates (on Linux, the OpenSSL bundle:
    /// `SSL_CERT_FILE`, `SSL_CERT_DIR` or the distribution's usual paths);
    /// none found is an [`Error::Tls`].
    pub fn system_roots(mut self) -> Self {
        self.system_roots = true;
        self
    }

    /// The name the server's certificate must be valid for, and the one
    /// sent in SNI, instead of the host dialed: for an IP address or a
    /// Unix socket, or a certificate issued for a service name. It must
    /// be a DNS name or an IP address.
    pub fn server_name(mut self, name: &str) -> Self {
        self.server_name = Some(name.to_owned());
        self
    }

    /// The client's own certificate chain and key, from PEM files, shown
    /// to a server that asks for one (mutual TLS).
    pub fn identity_pem_files(
        mut self,
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Self {
        let chain = Pem::File(cert_chain.as_ref().to_owned());
        self.identity = Some((chain, Pem::File(key.as_ref().to_owned())));
        self
    }

    /// [`identity_pem_files`](ClientTls::identity_pem_files) from PEM text.
    pub fn identity_pem(mut self, cert_chain: &[u8], key: &[u8]) -> Self {
        self.identity = Some((
            Pem::Bytes(cert_chain.to_owned()),
            Pem::Bytes(key.to_owned()),
        ));
        self
    }

    /// A rustls configuration of your own, used as is (its roots, client
    /// certificate, protocol versions and crypto provider);
    /// [`server_name`](ClientTls::server_name) still applies.
    pub fn from_rustls(config: Arc<ClientConfig>) -> Self {
        ClientTls {
            config: Some(config),
            ..ClientTls::new()
        }
    }

    /// The connector these settings make: every file read, everything checked.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] with no roots to trust or a server name
    /// that is none; [`Error::Tls`] for a file that cannot be read or holds
    /// nothing usable, or a client key that does not fit its certificate.
    pub(crate) fn build(&self) -> Result<TlsConnector, Error> {
        let server_name = match &self.server_name {
            Some(name) => Some(ServerName::try_from(name.clone()).map_err(|_| {
                Error::invalid("server_name", name, "must be a DNS name or an IP address")
            })?),
            None => None,
        };
        let config = match &self.config {
            Some(config) => config.clone(),
            None => Arc::new(self.config_from_pem()?),
        };
        Ok(TlsConnector {
            inner: config.into(),
            server_name,
        })
    }

    /// The rustls configuration of the roots and identity given.
    fn config_from_pem(&self) -> Result<ClientConfig, Error> {
        let mut roots = RootCertStore::empty();
        for pem in &self.roots {
            pem.add_to(&mut roots)?;
        }
        if self.system_roots {
            add_system_roots(&mut roots)?;
        }
        if roots.is_empty() {
            return Err(Error::invalid(
                "tls",
                self,
                "trusts no CA: add ca_pem_file, ca_pem or system_roots",
            ));
        }
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| setup_error("the TLS protocol versions", e))?
            .with_root_certificates(roots);
        match &self.identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.certs()?, key.key()?)
                .map_err(|e| setup_error("the client certificate and key", e)),
            None => Ok(builder.with_no_client_auth()),
        }
    }
}

/// Adds the system's CA certificates to `roots`.
fn add_system_roots(roots: &mut RootCertStore) -> Result<(), Error> {
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added > 0 {
        return Ok(());
    }
    match found.errors.into_iter().next() {
        Some(e) => Err(setup_error("loading the system's CA certificates", e)),
        None => Err(setup_failed("no CA certificate found on this system")),
    }
}

impl Default for ClientTls {
    fn default() -> Self {
        ClientTls::new()
    }
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("roots", &self.roots)
            .field("system_roots", &self.system_roots)
            .field("identity", &self.identity.is_some())
            .field("server_name", &self.server_name)
            .field("from_rustls", &self.config.is_some())
            .finish()
    }
}

/// The handshake every dialed connection makes, from [`ClientTls`].
#[derive(Clone)]
pub(crate) struct TlsConnector {
    inner: tokio_rustls::TlsConnector,
    server_name: Option<ServerName<'static>>,
}

impl TlsConnector {
    /// Makes the handshake over `io`, dialed at `addr`. (The caller bounds
    /// it with the dial timeout.)
    ///
    /// # Errors
    ///
    /// [`Error::Tls`]: the server's certificate is not trusted or not for
    /// the name, the server refused ours, the peer is not speaking TLS, or
    /// there is no name to check (a Unix socket without
    /// [`ClientTls::server_name`]).
    pub(crate) async fn connect<T>(&self, io: T, addr: &Addr) -> Result<TlsStream<T>, Error>
    where
        T: AsyncRead + AsyncWrite + Unpin,
    {
        let name = match &self.server_name {
            Some(name) => name.clone(),
            None => name_of(addr)?,
        };
        self.inner
            .connect(name, io)
            .await
            .map_err(|e| Error::Tls(Arc::new(e)))
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

/// The name to check the server's certificate against: the host of
/// `host:port` (`[v6]:port` too).
fn name_of(addr: &Addr) -> Result<ServerName<'static>, Error> {
    let Addr::Tcp(hostport) = addr else {
        return Err(setup_failed(format!(
            "{addr} has no host name to check the certificate against: set ClientTls::server_name"
        )));
    };
    let host = match hostport.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(v6, |(ip, _)| ip),
        None => hostport
            .rsplit_once(':')
            .map_or(&**hostport, |(host, _)| host),
    };
    ServerName::try_from(host.to_owned())
        .map_err(|e| setup_error(format!("{host:?} as a TLS server name"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_name_is_the_host_dialed() {
        let name = |a: &str| name_of(&Addr::from(a)).map(|n| n.to_str().into_owned());
        assert_eq!(name("pigs.example:3000").unwrap(), "pigs.example");
        assert_eq!(name("127.0.0.1:3000").unwrap(), "127.0.0.1");
        assert_eq!(name("[::1]:3000").unwrap(), "::1");
        assert!(name("unix:/tmp/x.sock").is_err());
    }
}
