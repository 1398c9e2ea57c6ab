//! The TLS setter (the `tls` feature).

use super::ClientBuilder;
use crate::tls::ClientTls;

impl ClientBuilder {
    /// Speaks TLS over every connection: the server's certificate must
    /// chain to the roots of `tls` and be valid for the host dialed (or its
    /// [`server_name`](ClientTls::server_name)); a client certificate in it
    /// is shown to a server that asks (mutual TLS). The handshake counts
    /// against the [dial timeout](Self::dial_timeout), and a failed one is
    /// a failed dial ([`Error::Tls`](crate::Error::Tls)), retried with
    /// backoff like any other. Default: none, plain TCP.
    ///
    /// The terminal call reads the certificates and keys, and fails with
    /// [`Error::InvalidOption`](crate::Error::InvalidOption) if `tls`
    /// trusts no CA, or [`Error::Tls`](crate::Error::Tls) if a file cannot
    /// be read or the client's key does not fit its certificate.
    ///
    /// ```
    /// use jsonmux::tls::ClientTls;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let b = jsonmux::ClientBuilder::new().tls(ClientTls::new()); // trusts nothing
    /// assert!(b.connect("127.0.0.1:3443").await.is_err());
    /// # }
    /// ```
    pub fn tls(mut self, tls: ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }
}
