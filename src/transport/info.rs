//! [`ConnInfo`]: what a server knows about who is on the other end of a
//! connection.

use std::net::{IpAddr, SocketAddr};

/// What the server knows about a connection's peer, handed to the
/// make-service of [`Server::serve_with`](crate::Server::serve_with) so a
/// connection's service can see who calls.
///
/// The server's listeners fill it in: the peer's address for TCP, the
/// verified client certificate on a mutual-TLS server. A stream of your own
/// ([`ServerBuilder::incoming`](crate::ServerBuilder::incoming)) brings its
/// own, made with [`ConnInfo::default`] and its fields set.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use jsonmux::ConnInfo;
///
/// let mut info = ConnInfo::default();
/// info.peer_addr = Some(SocketAddr::from(([127, 0, 0, 1], 40000)));
/// assert!(info.peer_identity.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnInfo {
    /// The peer's address: set for TCP, `None` for a Unix socket or an
    /// in-memory stream.
    pub peer_addr: Option<SocketAddr>,
    /// The identity in the client's certificate, verified against the
    /// server's client CA: set on a mutual-TLS server, `None` otherwise.
    pub peer_identity: Option<PeerIdentity>,
}

/// Who a client certificate says its holder is: its subject and its
/// subject alternative names, read from a certificate the TLS handshake
/// has verified.
///
/// Decide on the SANs (a DNS name, a SPIFFE ID in `uris`) rather than the
/// subject where you can: they are what certificate authorities vouch for
/// today.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerIdentity {
    /// The certificate's subject as an RFC 4514 string, e.g.
    /// `CN=billing,O=Pigs Inc`.
    pub subject: String,
    /// DNS names among the subject alternative names.
    pub dns_names: Vec<String>,
    /// URIs among the subject alternative names (SPIFFE IDs, for one).
    pub uris: Vec<String>,
    /// E-mail addresses among the subject alternative names.
    pub emails: Vec<String>,
    /// IP addresses among the subject alternative names.
    pub ips: Vec<IpAddr>,
    /// The whole certificate, DER-encoded, for anything else you check.
    pub certificate: Vec<u8>,
}
