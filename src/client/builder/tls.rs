//! The TLS setter (the `tls` feature).

use super::ClientBuilder;
use crate::tls::ClientTls;
use crate::Error;

impl ClientBuilder {
    /// Speaks TLS over every connection: the server's certificate must
    /// chain to the roots of `tls` and be valid for the host dialed (or its
    /// [`server_name`](ClientTls::server_name)); a client certificate in it
    /// is shown to a server that asks (mutual TLS). The handshake counts
    /// against the [dial timeout](Self::dial_timeout), and a failed one is
    /// a failed dial ([`Error::Tls`]), retried with backoff like any other.
    /// Default: none, plain TCP (the seed's wire).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] if `tls` trusts no CA; [`Error::Tls`] if its
    /// client key does not fit its certificate.
    ///
    /// ```
    /// use jsonmux::tls::ClientTls;
    ///
    /// assert!(jsonmux::ClientBuilder::new().tls(ClientTls::new()).is_err()); // trusts nothing
    /// ```
    pub fn tls(mut self, tls: ClientTls) -> Result<Self, Error> {
        self.opts.pool.dialer.tls = Some(tls.build()?);
        Ok(self)
    }
}
