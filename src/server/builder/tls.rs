//! The TLS setter (the `tls` feature).

use super::ServerBuilder;
use crate::tls::ServerTls;

impl ServerBuilder {
    /// Speaks TLS on every connection, with the certificate of `tls` and,
    /// if it has a client CA, only to clients with a valid certificate from
    /// it (mutual TLS; the verified identity is in each connection's
    /// [`ConnInfo`](crate::ConnInfo)). A connection holds its slot under
    /// [`max_connections`](Self::max_connections) during its handshake, for
    /// at most the handshake timeout; one whose handshake fails or times
    /// out is closed and counted (`tls_handshake_failures`,
    /// `tls_handshake_timeouts`). A client over the connection limit is
    /// closed without a last answer (it could not read one before its
    /// handshake). Default: none, plain TCP.
    ///
    /// The terminal call reads the certificates and keys, and fails with
    /// [`Error::Tls`](crate::Error::Tls) if one cannot be read, the key
    /// does not fit the certificate, or a client CA certificate cannot
    /// verify clients.
    ///
    /// ```no_run
    /// use jsonmux::tls::ServerTls;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
    /// let tls = ServerTls::from_pem_files("server.pem", "server.key");
    /// let server = jsonmux::Server::builder().tls(tls).bind("127.0.0.1:3443").await?;
    /// # Ok(()) }
    /// ```
    pub fn tls(mut self, tls: ServerTls) -> Self {
        self.tls = Some(tls);
        self
    }
}
